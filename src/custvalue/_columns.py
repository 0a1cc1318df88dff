"""One protocol for results that tabulate themselves, and the views built on it.

Every result class implements ``to_columns()``: an ordered mapping of column name -> read-only
1-D numpy array, all of one length. The three views of a result are built from it and nothing
else, so they cannot drift apart:

- :func:`custvalue.frame.to_frame`: the columns as a pandas / Polars / PyArrow frame;
- ``_repr_html_`` (notebooks): :func:`columns_html`;
- the short text ``repr``: :func:`columns_repr`.

A result with two natural shapes (a transition matrix: one row per ``(from, to)`` pair, or one
row per ``from`` stage with a column per ``to`` stage) takes ``layout="long"`` or
``layout="wide"`` and documents its default.

This module imports only numpy, so any module of the package can use it without a cycle.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "LAYOUTS",
    "Columns",
    "Layout",
    "Tabular",
    "check_layout",
    "columns_html",
    "columns_repr",
    "freeze_columns",
    "matrix_columns",
]

Columns = dict[str, NDArray[Any]]
Layout = Literal["long", "wide"]
#: The accepted values of a ``layout`` argument of ``to_columns``.
LAYOUTS: tuple[str, ...] = ("long", "wide")


@runtime_checkable
class Tabular(Protocol):
    """Anything with ``to_columns()`` (every result class of custvalue)."""

    def to_columns(self) -> Columns:
        """Named read-only 1-D arrays of one length."""
        ...


def check_layout(layout: object) -> Layout:
    """``layout`` if it is ``"long"`` or ``"wide"``, else an error naming the argument."""
    if layout == "long":
        return "long"
    if layout == "wide":
        return "wide"
    raise InvalidInputError(f"layout must be one of {list(LAYOUTS)}; got {layout!r}")


def freeze_columns(columns: Mapping[str, Any]) -> Columns:
    """Check ``columns`` (str names, 1-D arrays of one length) and return read-only views.

    The caller's arrays are never modified: each column is a new read-only view, so a result's
    own (possibly writable) arrays cannot be changed through its table.
    """
    out: Columns = {}
    length: int | None = None
    for name, value in columns.items():
        if not isinstance(name, str):
            raise InvalidTypeError(f"column names must be str; got {name!r}")
        arr = np.asarray(value)
        if arr.ndim != 1:
            raise InvalidInputError(f"column {name!r} must be 1-D; got shape {arr.shape}")
        if length is None:
            length = arr.shape[0]
        elif arr.shape[0] != length:
            raise InvalidInputError(
                f"column {name!r} has {arr.shape[0]} rows; the columns before it have {length}"
            )
        view = arr.view()
        view.setflags(write=False)
        out[name] = view
    return out


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def columns_html(columns: Mapping[str, NDArray[Any]], caption: str = "", max_rows: int = 10) -> str:
    """An HTML table of ``columns`` (first ``max_rows`` rows; floats to 4 significant digits)."""
    names = list(columns)
    n = int(next(iter(columns.values())).shape[0]) if names else 0
    head = "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = [
        "<tr>"
        + "".join(f"<td>{html.escape(_cell(columns[name][i]))}</td>" for name in names)
        + "</tr>"
        for i in range(min(n, max_rows))
    ]
    if n > max_rows:
        body.append(f"<tr><td colspan='{len(names)}'>... {n - max_rows} more rows</td></tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def columns_repr(obj: object, columns: Mapping[str, NDArray[Any]], **facts: Any) -> str:
    """Short one-line text repr: class name, row count, column names and a few facts.

    A one-row result (a record) shows its values instead of the column names.

    >>> import numpy as np
    >>> class Result:
    ...     pass
    >>> columns_repr(Result(), {"a": np.zeros(3), "b": np.ones(3)}, level=0.9)
    'Result(rows=3, columns=[a, b], level=0.9)'
    >>> columns_repr(Result(), {"a": np.array([0.25]), "n": np.array([4])})
    'Result(a=0.25, n=4)'
    """
    n = int(next(iter(columns.values())).shape[0]) if columns else 0
    extra = "".join(f", {key}={_cell(value)}" for key, value in facts.items())
    if n == 1:  # a record: show its values
        values = ", ".join(f"{key}={_cell(column[0])}" for key, column in columns.items())
        return f"{type(obj).__name__}({values}{extra})"
    return f"{type(obj).__name__}(rows={n}, columns=[{', '.join(columns)}]{extra})"


def matrix_columns(labels: Any, layout: object = "long", **matrices: Any) -> Columns:
    """Square matrices over ``labels`` (rows: from, columns: to) as a table.

    ``layout="long"``: one row per ``(from, to)`` pair, columns ``from_stage``, ``to_stage`` and
    one column per matrix. ``layout="wide"``: one row per ``from`` label, column ``from_stage``,
    then one column per ``to`` label (named ``<to>`` for a single matrix, ``<matrix>_<to>``
    for several).

    >>> import numpy as np
    >>> cols = matrix_columns(["A", "B"], "wide", probability=np.eye(2))
    >>> list(cols), cols["B"].tolist()
    (['from_stage', 'A', 'B'], [0.0, 1.0])
    """
    names = np.asarray(labels, dtype=str)
    k = names.shape[0]
    cols: dict[str, Any]
    if check_layout(layout) == "long":
        cols = {"from_stage": np.repeat(names, k), "to_stage": np.tile(names, k)}
        cols.update({key: np.asarray(m).reshape(-1) for key, m in matrices.items()})
    else:
        cols = {"from_stage": names}
        for key, m in matrices.items():
            for j, to in enumerate(names):
                cols[str(to) if len(matrices) == 1 else f"{key}_{to}"] = np.asarray(m)[:, j]
    return freeze_columns(cols)
