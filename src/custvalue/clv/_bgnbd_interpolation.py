"""The alive-customer expectation of the BG/NBD family by verified piecewise interpolation.

A customer alive at ``T`` with ``x`` repeat purchases expects
``E_alive(t; r+x, alpha+T, a, b+x) = h_x(s)`` purchases in the next ``t``, a function of
``s = t / (alpha + T)`` alone (FHL 2005 eq. 9 with the posterior parameters):
``h_x(s) = E_p[(1 - (1 + p s)^-(r+x)) / p]``, ``p ~ Beta(a, b+x)``. On a base whose customers
all have different ages (continuous event times) nothing repeats, and each customer would
cost one Gauss hypergeometric function (0.1-0.2 us, the bulk of a prediction). But ``h_x`` is
one smooth function per distinct ``x``: it is analytic in ``v = ln s`` within the strip
``|Im v| < pi`` (its only singularities are at real ``s <= -1``), so Chebyshev interpolation
on pieces of ``v`` of width :data:`WIDTH` with :data:`NODES` nodes converges like
``25^-NODES`` (Trefethen, *Approximation Theory and Approximation Practice*, ch. 8).

The node values come from the direct evaluation (``expected_purchases_alive`` of
:mod:`custvalue.clv._bgnbd_kernels`: closed form, quadrature where it is unreliable). The
interpolant is used only when it is verified: every piece's last two Chebyshev coefficients
must be below :data:`TAIL_TOLERANCE` of the piece's values (the series has converged), and
the interpolated values of a strided sample of customers must equal the direct evaluation
within :data:`CHECK_TOLERANCE` plus the direct values' own rounding (:func:`rounding`);
otherwise the caller evaluates directly. It pays only when the
table (distinct ``x`` times pieces times nodes) is much smaller than the number of values.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._collapse import rank_values

__all__ = [
    "QUADRATURE_NODES",
    "QUADRATURE_TABLE_SHARE",
    "QUADRATURE_WIDTH",
    "alive_by_interpolation",
]

FloatArray = NDArray[np.float64]
#: ``expected_purchases_alive(t, r, alpha, a, b)`` of the kernels, the direct evaluation.
Direct = Callable[[ArrayLike, ArrayLike, ArrayLike, ArrayLike, ArrayLike], FloatArray]

#: Width of a piece in ``v = ln s`` and Chebyshev nodes per piece (half-width 0.25 against a
#: singularity distance of pi: the coefficients fall by ~25x per degree).
WIDTH = 0.5
NODES = 12
#: The same where each node value is a quadrature: wider pieces need fewer node values in all
#: (half-width 2 against pi: ~3.4x per degree, 30 nodes for 1e-16; 7.5 nodes per unit of
#: ``v`` instead of 24), at 2.5 times the cost per interpolated value, which is small there.
QUADRATURE_WIDTH = 4.0
QUADRATURE_NODES = 30
#: Largest ``|c_{K-2}| + |c_{K-1}|`` accepted, relative to the largest value of the piece
#: (the node values carry ~1e-15 relative rounding: converged series end at that level), or
#: within the node values' own rounding (:func:`rounding`), whichever is larger.
TAIL_TOLERANCE = 1e-13
#: Largest relative difference accepted between interpolated and direct sample values, beyond
#: the direct values' own rounding.
CHECK_TOLERANCE = 1e-12
#: Ulps of the closed form's prefactor that its values carry (see :func:`rounding`).
ROUNDING_ULPS = 64


def rounding(a: float, b: ArrayLike) -> FloatArray:
    """Absolute rounding of the direct evaluation for ``Beta(a, b)`` (``b`` with ``x``).

    The closed form is ``(a+b-1)/(a-1) [1 - (1-z)^(a-1) 2F1(...)]``: at small ``t/alpha``
    the bracket nearly cancels, so its values carry ~``ROUNDING_ULPS`` ulps of the prefactor
    (3e-12 relative for CDNOW's ``x = 0`` customers over a month); the interpolant is held to
    the direct evaluation's accuracy, not beyond it.
    """
    out: FloatArray = (
        ROUNDING_ULPS
        * np.finfo(np.float64).eps
        * np.abs((a + np.asarray(b, dtype=np.float64) - 1.0) / (a - 1.0))
    )
    return out


#: Customers checked against the direct evaluation.
CHECK_SAMPLE = 64
#: The table of node values may hold at most this share of the values to interpolate.
TABLE_SHARE = 1 / 16
#: The same where every direct value is a quadrature (~10 us, against ~0.1 us for a value of
#: the interpolant): a table of half the values still halves the cost.
QUADRATURE_TABLE_SHARE = 1 / 2
#: Values evaluated per block (the gathered coefficient rows stay in cache).
BLOCK = 1 << 15


@functools.lru_cache(maxsize=4)
def _chebyshev(nodes: int) -> tuple[FloatArray, FloatArray]:
    """Chebyshev points of the first kind on [-1, 1] and the matrix mapping values at them
    to the coefficients of the interpolating Chebyshev series."""
    j = np.arange(nodes)
    points = np.cos(np.pi * (j + 0.5) / nodes)
    matrix = 2.0 / nodes * np.cos(np.pi * np.outer(j, j + 0.5) / nodes)
    matrix[0] /= 2.0
    points.setflags(write=False)
    matrix.setflags(write=False)
    return points, matrix


def _clenshaw(coef: FloatArray, y: FloatArray) -> FloatArray:
    """``sum_m coef[m] T_m(y)`` (Clenshaw's recurrence); ``coef`` is ``(degree + 1, values)``
    so that each step reads one contiguous row."""
    b1 = np.zeros_like(y)
    b2 = np.zeros_like(y)
    y2 = 2.0 * y
    for m in range(coef.shape[0] - 1, 0, -1):
        b1, b2 = coef[m] + y2 * b1 - b2, b1
    out: FloatArray = coef[0] + y * b1 - b2
    return out


def alive_by_interpolation(
    direct: Direct,
    t: FloatArray, x: FloatArray, T: FloatArray, r: float, alpha: float, a: float, b: float,
    *, table_share: float = TABLE_SHARE, width: float = WIDTH, nodes: int = NODES,
) -> FloatArray | None:  # fmt: skip
    """``E_alive(t; r+x, alpha+T, a, b+x)`` broadcast over ``t``, ``x`` and ``T``, or None.

    ``x`` and ``T`` are 1-D columns of customers, ``t`` a scalar, one horizon per customer
    or a column ``(k, 1)`` of horizons. None when interpolation does not pay (too many
    distinct ``x`` or too wide a range of ``s`` for the number of values) or cannot be
    verified; the caller then evaluates directly. ``direct`` is the kernels'
    ``expected_purchases_alive`` (passed in: the kernels call this module). The table may hold
    up to ``table_share`` of the values: :data:`TABLE_SHARE` against the closed form, more
    where every direct value is a quadrature (:data:`QUADRATURE_TABLE_SHARE`, with pieces of
    ``width`` and ``nodes`` nodes :data:`QUADRATURE_WIDTH` and :data:`QUADRATURE_NODES`).
    Frequencies with fewer values than their table would have rows are evaluated directly.
    """
    shape = np.broadcast_shapes(t.shape, x.shape)
    log_age = np.log(alpha + T)  # v = ln s = ln t - ln(alpha + T), formed block by block
    with np.errstate(divide="ignore"):  # ln 0 = -inf: no window, no purchases
        log_t = np.log(t).reshape(1, -1) if t.shape == x.shape else np.log(t).reshape(-1, 1)
    finite = np.isfinite(log_t)
    if not np.any(finite):
        return None
    if log_t.shape[1] > 1:  # one horizon per customer
        v = (log_t - log_age)[finite]
        v_lo, v_hi = float(np.min(v)), float(np.max(v))
    else:
        ages = (float(np.min(log_age)), float(np.max(log_age)))
        v_lo = float(np.min(log_t[finite])) - ages[1]
        v_hi = float(np.max(log_t[finite])) - ages[0]
    n_pieces = max(1, math.ceil((v_hi - v_lo) / width + 1e-9))
    x_rank, n_x = rank_values(x)
    size = math.prod(shape)
    # a frequency with fewer values than its table rows is cheaper evaluated directly
    per_x = n_pieces * nodes
    tabled = np.bincount(x_rank, minlength=n_x) * (size // x.size) >= per_x
    n_tab = int(np.count_nonzero(tabled))
    if n_tab == 0 or n_tab * per_x > table_share * size:
        return None
    # node values: one row per (tabulated x, piece); alpha = 1 makes t = s
    xu = np.empty(n_x)
    xu[x_rank] = x
    xu = xu[tabled]
    points, matrix = _chebyshev(nodes)
    left = v_lo + width * np.arange(n_pieces)
    s_nodes = np.exp(left[:, None] + width / 2 * (points[None, :] + 1.0))  # (pieces, nodes)
    xx = np.repeat(xu, n_pieces)[:, None]
    values = direct(np.tile(s_nodes, (n_tab, 1)), r + xx, 1.0, a, b + xx)  # (rows, nodes)
    coef = values @ matrix.T
    tail = np.abs(coef[:, -1]) + np.abs(coef[:, -2])
    allowed = np.maximum(TAIL_TOLERANCE * np.max(np.abs(values), axis=1), rounding(a, b + xx[:, 0]))
    if not (np.all(np.isfinite(coef)) and np.all(tail <= allowed)):
        return None
    per_customer = log_t.shape[1] > 1
    if n_tab == n_x:  # every frequency tabulated (continuous bases): no gathers
        cols: slice | NDArray[np.intp] = slice(None)
        rest = np.empty(0, dtype=np.intp)
        part = _evaluate(log_t, log_age, x_rank, coef, v_lo, n_pieces, width)
        out = part
    else:
        table_of = np.cumsum(tabled) - 1  # distinct-x rank -> tabulated rank
        on_table = tabled[x_rank]
        cols, rest = np.flatnonzero(on_table), np.flatnonzero(~on_table)
        out = np.empty((log_t.shape[0], x.size))
        part = _evaluate(
            log_t[:, cols] if per_customer else log_t, log_age[cols], table_of[x_rank[cols]],
            coef, v_lo, n_pieces, width,
        )  # fmt: skip
        out[:, cols] = part
    if rest.size:
        t_rest = t[rest] if per_customer else t
        out[:, rest] = direct(t_rest, r + x[rest], alpha + T[rest], a, b + x[rest]).reshape(
            log_t.shape[0], rest.size
        )
    # verify on a strided sample of the interpolated values against the direct evaluation
    pick = np.unravel_index(
        np.linspace(0, part.size - 1, min(CHECK_SAMPLE, part.size)).astype(np.intp), part.shape
    )
    horizons = np.broadcast_to(t.reshape(1, -1) if per_customer else t.reshape(-1, 1), out.shape)
    st = horizons[:, cols][pick]
    sx, sT = x[cols][pick[1]], T[cols][pick[1]]
    exact = direct(st, r + sx, alpha + sT, a, b + sx)
    allowed = CHECK_TOLERANCE * np.abs(exact) + rounding(a, b + sx)
    if not np.all(np.abs(part[pick] - exact) <= allowed):
        return None
    result: FloatArray = out.reshape(shape)
    return result


def _evaluate(
    log_t: FloatArray, log_age: FloatArray, x_rank: NDArray[np.int64], coef: FloatArray,
    v_lo: float, n_pieces: int, width: float,
) -> FloatArray:  # fmt: skip
    """The interpolant at ``v = ln t - ln(alpha + T)``, ``(horizons, customers)``: ``log_t``
    is ``(k, 1)`` or ``(1, n)``, ``log_age`` and ``x_rank`` (distinct-``x`` rank) one per
    customer; evaluated in blocks of customers."""
    n = log_age.size
    out = np.empty((log_t.shape[0], n))
    base = x_rank * n_pieces
    by_degree = np.ascontiguousarray(coef.T)  # (nodes, rows): gathered per degree
    for lo in range(0, n, BLOCK):
        cols = slice(lo, lo + BLOCK)
        for k in range(log_t.shape[0]):
            vv = (log_t[k, cols] if log_t.shape[1] > 1 else log_t[k]) - log_age[cols]
            zero = ~np.isfinite(vv)  # t = 0
            u = (np.where(zero, v_lo, vv) - v_lo) / width
            piece = np.clip(u.astype(np.intp), 0, n_pieces - 1)
            y = 2.0 * (u - piece) - 1.0
            rows = np.take(by_degree, base[cols] + piece, axis=1)
            out[k, cols] = np.where(zero, 0.0, _clenshaw(rows, y))
    return out
