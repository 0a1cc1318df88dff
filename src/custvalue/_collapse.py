"""Collapse identical rows into weights, so that fitting costs O(unique rows)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["collapse_rows"]

FloatArray = NDArray[np.float64]


def _row_codes(columns: tuple[FloatArray, ...]) -> NDArray[np.int64]:
    """One int64 code per row, equal exactly when the rows are equal.

    Each column is replaced by its rank among its distinct values (a 1-D ``np.unique``),
    and the ranks are combined in a mixed radix. This avoids ``np.unique(axis=0)``, which
    sorts rows lexicographically and is an order of magnitude slower.
    """
    code = np.zeros(columns[0].shape[0], dtype=np.int64)
    radix = 1
    for col in columns:
        _, inverse = np.unique(col, return_inverse=True)
        size = int(inverse.max()) + 1 if inverse.size else 1
        if radix * size >= 2**62:  # re-rank the partial code to keep it small
            _, code = np.unique(code, return_inverse=True)
            code = code.astype(np.int64)
            radix = int(code.max()) + 1
        code = code * size + inverse.astype(np.int64)
        radix *= size
    return code


def collapse_rows(
    *columns: FloatArray, weights: FloatArray | None = None
) -> tuple[tuple[FloatArray, ...], FloatArray, NDArray[np.intp]]:
    """Group identical rows of the given 1-D columns.

    Returns
    -------
    unique_columns
        The distinct rows, one array per input column.
    unique_weights
        The summed weight (or count) of each distinct row.
    inverse
        For each input row, the index of its distinct row, so that
        ``unique_columns[k][inverse] == columns[k]``.
    """
    n = columns[0].shape[0]
    if n == 0:
        empty = np.empty(0, dtype=np.float64)
        return tuple(empty for _ in columns), empty, np.empty(0, dtype=np.intp)
    code = _row_codes(columns)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    inverse = inverse.astype(np.intp, copy=False).reshape(-1)
    w = np.ones(n) if weights is None else weights
    unique_weights = np.bincount(inverse, weights=w, minlength=first.size).astype(np.float64)
    return tuple(np.ascontiguousarray(c[first]) for c in columns), unique_weights, inverse
