"""HTML tables for the notebook representations (``_repr_html_``) of results.

Results build their HTML from their own columns with :func:`custvalue._columns.columns_html`;
:func:`html_table` is the row-wise entry for tables that are not a result's columns (e.g. a
bootstrap summary). Both share one cell format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from custvalue._columns import columns_html

__all__ = ["html_table"]


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """An HTML table from rows (every row shown; floats with 4 significant digits)."""
    columns = {
        name: np.array([row[j] for row in rows], dtype=object) for j, name in enumerate(header)
    }
    return columns_html(columns, caption, max_rows=len(rows))
