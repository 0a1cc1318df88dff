"""Collapse identical rows into weights, so that fitting costs O(unique rows)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["collapse_rows", "group_rows", "rank_values", "repetition_pays"]

FloatArray = NDArray[np.float64]


#: Largest code range grouped with a dense table (bool + int32 per code) instead of a sort.
_DENSE_LIMIT = 1 << 23


def _dense_ranks(values: NDArray[np.int64], size: int) -> tuple[NDArray[np.int64], int]:
    """Ranks of non-negative integer ``values`` < ``size`` among their distinct values, O(n).

    When every value below ``size`` occurs (frequencies, a populated day grid) the values
    are their own ranks. The rank table is int64 (gathered without a conversion pass) up to
    :data:`_WIDE_TABLE` entries, int32 above (half the memory).
    """
    present = np.zeros(size, dtype=bool)
    present[values] = True
    if present.all():
        return values, size
    rank_of = np.cumsum(present, dtype=np.int64 if size <= _WIDE_TABLE else np.int32) - 1
    ranks = rank_of[values]
    return ranks.astype(np.int64, copy=False), int(rank_of[-1]) + 1


#: Largest rank table of :func:`_dense_ranks` kept as int64 (8 MB).
_WIDE_TABLE = 1 << 20


def rank_values(col: FloatArray) -> tuple[NDArray[np.int64], int]:
    """Rank of each entry among the column's distinct values (equal values, equal rank).

    Whole numbers in a modest range (frequencies, day counts) are ranked with a dense table
    in O(n), values on a regular grid (times in days / 7) by their grid index; other columns
    by a binary search among the sorted distinct values. No argsort of the column.
    """
    lo, hi = float(np.min(col)), float(np.max(col))
    if hi - lo < min(_DENSE_LIMIT, 4 * col.size + 1024):
        shifted = col - lo
        ints = shifted.astype(np.int64)
        # exact only if the shift loses nothing: map back and compare with the column
        if np.array_equal(ints, shifted) and np.array_equal(ints + lo, col):
            return _dense_ranks(ints, int(hi - lo) + 1)
    limit = min(_DENSE_LIMIT, 4 * col.size + 1024)
    grid = _grid_ranks(col, lo, hi, limit)
    if grid is not None:
        return grid
    distinct = _distinct_sorted(col)
    if distinct.size > 1 and (distinct[-1] - distinct[0]) < limit * float(
        np.min(np.diff(distinct))
    ):
        # Values on a grid (e.g. days / 7): k = rint((v - v0) / step) is monotone in v, so if
        # it is strictly increasing over the distinct values it identifies them exactly, and
        # the same float operations give every entry the k of its value. O(n), no search.
        step = float(np.min(np.diff(distinct)))
        k_distinct = np.rint((distinct - distinct[0]) / step).astype(np.int64)
        if np.all(np.diff(k_distinct) > 0):
            table = np.empty(int(k_distinct[-1]) + 1, dtype=np.int64)
            table[k_distinct] = np.arange(distinct.size)
            k = np.rint((col - distinct[0]) / step).astype(np.int64)
            return table[k], int(distinct.size)
    return np.searchsorted(distinct, col).astype(np.int64, copy=False), int(distinct.size)


def _grid_ranks(
    col: FloatArray, lo: float, hi: float, limit: int
) -> tuple[NDArray[np.int64], int] | None:
    """Ranks of values on a regular grid (e.g. days / 7) without sorting the column, or None.

    The grid step is guessed from a strided sample; every entry gets k = rint((v - lo) /
    step). The map is exact if each k holds a single value, which is verified on the full
    column: store one value per k, then check every entry equals the value stored for its k.
    """
    n = col.size
    sample = np.unique(col[:: max(1, n // 4096)])
    if sample.size < 2 or n < 4 * sample.size:
        return None
    step = float(np.min(np.diff(sample)))
    if not (step > 0 and (hi - lo) < limit * step):
        return None
    k = np.rint((col - lo) / step).astype(np.int64)
    size = int(np.max(k)) + 1
    value_of = np.empty(size)
    value_of[k] = col
    if not np.array_equal(value_of[k], col):
        return None  # two different values share a grid index: not a grid at this step
    return _dense_ranks(k, size)


def _distinct(col: FloatArray) -> FloatArray:
    """Distinct values in any order; hash-based on numpy >= 2.3 (faster than a full sort)."""
    try:
        out: FloatArray = np.unique(col, sorted=False)  # type: ignore[call-overload,unused-ignore]
    except TypeError:  # numpy < 2.3
        return np.unique(col)
    return out


def _distinct_sorted(col: FloatArray) -> FloatArray:
    """Sorted distinct values."""
    out: FloatArray = np.sort(_distinct(col))
    return out


def _row_codes(columns: tuple[FloatArray, ...]) -> tuple[NDArray[np.int64], int]:
    """One int64 code per row, equal exactly when the rows are equal, and the code range.

    Each column is replaced by its rank among its distinct values, and the ranks are
    combined in a mixed radix. This avoids ``np.unique(axis=0)``, which sorts rows
    lexicographically and is an order of magnitude slower.
    """
    code = np.zeros(columns[0].shape[0], dtype=np.int64)
    radix = 1
    for col in columns:
        ranks, size = rank_values(col)
        if radix * size >= 2**62:  # re-rank the partial code to keep it small
            distinct = np.unique(code)
            code = np.searchsorted(distinct, code).astype(np.int64, copy=False)
            radix = int(distinct.size)
        code = code * size + ranks
        radix *= size
    return code, radix


def _stable_order(code: NDArray[np.int64], radix: int) -> NDArray[np.intp]:
    """``np.argsort(code, kind="stable")`` for codes in ``[0, radix)``.

    Codes below 2**32 are ordered by two stable passes on 16-bit halves (least significant
    first): numpy sorts 16-bit keys by counting, which makes this ~2.5x faster than a merge
    sort of the 64-bit codes on a million rows.
    """
    if radix > 1 << 32:
        return np.argsort(code, kind="stable")
    low = np.argsort((code & 0xFFFF).astype(np.uint16), kind="stable")
    high = (code[low] >> 16).astype(np.uint16)
    out: NDArray[np.intp] = low[np.argsort(high, kind="stable")]
    return out


def group_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], NDArray[np.intp]]:
    """Group identical rows of the given 1-D columns, without counting them.

    Returns
    -------
    unique_columns
        The distinct rows, one array per input column.
    inverse
        For each input row, the index of its distinct row, so that
        ``unique_columns[k][inverse] == columns[k]``.
    """
    n = columns[0].shape[0]
    if n == 0:
        return tuple(np.empty(0, dtype=np.float64) for _ in columns), np.empty(0, dtype=np.intp)
    code, radix = _row_codes(columns)
    if radix <= _DENSE_LIMIT:  # group without sorting; same order as np.unique(code)
        ranks, n_unique = _dense_ranks(code, radix)
        inverse = ranks.astype(np.intp, copy=False)
        first = np.empty(n_unique, dtype=np.intp)
        first[inverse] = np.arange(n, dtype=np.intp)  # a representative row of each group
    else:  # one sort of the codes; ~10x faster than np.unique + searchsorted on 1M rows
        order = _stable_order(code, radix)
        sorted_code = code[order]
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        np.not_equal(sorted_code[1:], sorted_code[:-1], out=starts[1:])
        inverse = np.empty(n, dtype=np.intp)
        inverse[order] = np.cumsum(starts, dtype=np.intp) - 1  # groups in the order of the codes
        first = order[starts]
    return tuple(np.ascontiguousarray(c[first]) for c in columns), inverse


def collapse_rows(
    *columns: FloatArray, weights: FloatArray | None = None
) -> tuple[tuple[FloatArray, ...], FloatArray, NDArray[np.intp]]:
    """Group identical rows of the given 1-D columns and sum their weights.

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
    unique, inverse = group_rows(*columns)
    w = np.ones(inverse.size) if weights is None else weights
    unique_weights = np.bincount(inverse, weights=w, minlength=unique[0].size).astype(np.float64)
    return unique, unique_weights, inverse


#: Rows of the sample :func:`repetition_pays` collapses (a few milliseconds).
_SAMPLE_ROWS = 1 << 16


def repetition_pays(*columns: FloatArray, min_duplicate_share: float = 0.25) -> bool:
    """Whether grouping identical rows first is likely to pay, judged on a sample.

    Collapses an evenly strided sample of ``_SAMPLE_ROWS`` rows (each history is represented
    in proportion to its count, whatever the row order) and answers True when at least
    ``min_duplicate_share`` of the sampled rows repeat an earlier sampled row. The sample
    under-counts repetition (a history seen twice in the data is rarely sampled twice), so
    the answer errs towards the plain path, which is never slower than ~1x; the full
    ``collapse_rows`` is only paid for when it is clearly repaid.
    """
    n = columns[0].shape[0]
    step = max(1, n // _SAMPLE_ROWS)
    sample = tuple(np.ascontiguousarray(c[::step]) for c in columns)
    most = (1.0 - min_duplicate_share) * sample[0].size
    # rows are at least as distinct as any of their columns: a column of continuous times
    # answers in ~1 ms, before the rows are ranked (~25 ms for three columns)
    if any(_distinct(c).size > most for c in sample):
        return False
    unique, _ = group_rows(*sample)
    return unique[0].size <= most
