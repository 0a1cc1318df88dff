"""Short tables for the representations of results: HTML (``_repr_html_``) and plain text
(``__repr__``), rendered from the *same* header and rows so the two views cannot drift.

A result class builds one :class:`TableView`, e.g. from its columns with :func:`column_view`,
and renders it twice::

    def _view(self) -> TableView:
        return column_view("CustomerSummary(...)", self._columns())

    def __repr__(self) -> str:
        return text_table(*self._view())

    def _repr_html_(self) -> str:
        return html_table(*self._view())

Long results show their first :data:`MAX_ROWS` rows and a line saying how many more there are,
like a pandas frame's head, so ``print(result)`` stays within about 15 lines.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MAX_ROWS", "TableView", "column_view", "format_cell", "html_table", "text_table"]

#: Rows shown by the short representations.
MAX_ROWS = 10


def format_cell(value: Any) -> str:
    """One cell as text: floats with 4 significant digits (whole numbers from 10,000 up, with
    thousands separators), everything else through ``str``."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return f"{v:,.4g}" if not np.isfinite(v) or abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


class TableView(NamedTuple):
    """One table, rendered by both :func:`html_table` and :func:`text_table` (``*view``)."""

    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    more: int = 0


def column_view(
    caption: str, columns: Mapping[str, ArrayLike], max_rows: int = MAX_ROWS
) -> TableView:
    """The first ``max_rows`` rows of named 1-D columns, and how many rows are left out."""
    arrays = [np.asarray(v) for v in columns.values()]
    n = int(arrays[0].shape[0]) if arrays else 0
    shown = min(n, max_rows)
    rows = [[a[i] for a in arrays] for i in range(shown)]
    return TableView(list(columns), rows, caption, n - shown)


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "", more: int = 0
) -> str:
    """A plain HTML table (cells as :func:`format_cell`); ``more`` hidden rows are counted."""

    def cell(v: Any) -> str:
        return html.escape(format_cell(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    if more:
        body += f"<tr><td colspan='{len(header)}'>... {more:,} more rows</td></tr>"
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "", more: int = 0
) -> str:
    """The same table as :func:`html_table`, as fixed-width plain text (first column left
    aligned, the others right aligned), caption first, hidden rows counted last."""
    cells = [[format_cell(v) for v in r] for r in rows]
    widths = [max([len(h), *(len(r[j]) for r in cells)]) for j, h in enumerate(header)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.ljust(w) if j == 0 else v.rjust(w)
            for j, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    lines = [caption] if caption else []
    if header:
        lines += [line(list(header)), *(line(r) for r in cells)]
    if more:
        lines.append(f"... {more:,} more rows")
    return "\n".join(lines)
