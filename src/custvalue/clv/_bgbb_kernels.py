"""BG/BB math kernels (Fader, Hardie and Shang 2010): pure functions on numpy arrays.

Notation of the paper: ``x`` = number of opportunities with a transaction (repeat
transactions), ``t_x`` = the opportunity of the last transaction (0 if none), ``n`` = number of
opportunities observed; ``p ~ Beta(alpha, beta)`` is the per-opportunity transaction
probability while alive, ``theta ~ Beta(gamma, delta)`` the probability of becoming inactive at
the start of each opportunity. Inputs are validated by :mod:`custvalue.clv.bgbb`; the kernels
work in log space (Beta-function ratios as log-Pochhammer symbols, normalised cumulative
sums) so they stay finite and accurate for ``n`` in the tens of thousands and parameters from
1e-8 to 1e8.

Every sum of the model is a sum of Beta-function ratios whose terms *decrease* along the
summation index (``B(a, b + j)`` decreases in ``j``), so each is evaluated as ``exp(first term)
* cumsum(term / first term)``: all partial sums are >= 1, nothing cancels or underflows.

References
----------
Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
noncontractual setting. Marketing Science 29(6), 1086-1108.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from scipy import special

from custvalue._collapse import collapse_rows

__all__ = [
    "discounted_residual_hyp2f1",
    "log_beta_ratio",
    "log_likelihood",
    "log_likelihood_and_gradient",
    "log_poch",
    "log_probability_alive",
    "log_probability_of_count",
    "survival_sums",
]

FloatArray = NDArray[np.float64]

#: Elements of a padded (rows x terms) block evaluated at once (memory bound).
BLOCK_ELEMENTS = 1 << 20


def _blocks(lengths: NDArray[np.int64]) -> Iterator[tuple[NDArray[np.intp], int]]:
    """Groups of rows (indices) to evaluate together, with their padded width.

    Rows are sorted by length so that padding each block to its longest row wastes little;
    a block holds at most :data:`BLOCK_ELEMENTS` padded elements (or a single row).
    """
    order = np.argsort(lengths, kind="stable")
    ls = np.maximum(lengths[order], 1)
    start, n = 0, order.size
    while start < n:
        window = min(n - start, BLOCK_ELEMENTS // int(ls[start]) + 1)
        cost = np.arange(1, window + 1) * ls[start : start + window]
        size = max(1, int(np.searchsorted(cost, BLOCK_ELEMENTS, side="right")))
        yield order[start : start + size], int(ls[start + size - 1])
        start += size


#: From this argument on, log-Pochhammer symbols use the Stirling difference form.
_STIRLING_MIN = 30.0


def log_poch(z: FloatArray | float, m: FloatArray | float) -> FloatArray:
    """``ln Gamma(z + m) - ln Gamma(z)`` (``z > 0``, ``m >= 0``) without cancellation.

    For ``z >= 30`` the difference of Stirling series, arranged as ``(z - 1/2) log1p(m/z) +
    m ln(z + m) - m`` plus the difference of the correction terms (accurate to ~1e-17 there);
    below, the plain difference of ``gammaln`` (both values are then small or the result is
    large). ``betaln`` differences such as ``B(a+x, b+y)/B(a, b)`` at ``a, b ~ 1e8`` would lose
    half the digits; see :func:`log_beta_ratio`.
    """
    zz = np.asarray(z, dtype=np.float64)
    mm = np.asarray(m, dtype=np.float64)
    zz, mm = np.broadcast_arrays(zz, mm)
    big = zz >= _STIRLING_MIN
    zb = np.where(big, zz, _STIRLING_MIN)
    w = zb + mm

    def corr(v: FloatArray) -> FloatArray:
        v2 = v * v
        out: FloatArray = (1 / 12 - (1 / 360 - (1 / 1260 - 1 / (1680 * v2)) / v2) / v2) / v
        return out

    stirling = (zb - 0.5) * np.log1p(mm / zb) + mm * np.log(w) - mm + corr(w) - corr(zb)
    with np.errstate(invalid="ignore"):
        plain = special.gammaln(zz + mm) - special.gammaln(zz)
    out: FloatArray = np.where(mm == 0, 0.0, np.where(big, stirling, plain))
    return out


def log_beta_ratio(
    a: FloatArray | float, b: FloatArray | float, x: FloatArray | float, y: FloatArray | float
) -> FloatArray:
    """``ln B(a + x, b + y) - ln B(a, b)`` (``x, y >= 0``) as log-Pochhammer symbols."""
    ab = np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)
    xy = np.asarray(x, dtype=np.float64) + np.asarray(y, dtype=np.float64)
    out: FloatArray = log_poch(a, x) + log_poch(b, y) - log_poch(ab, xy)
    return out


def _log_ratio(num: FloatArray, gap: float | FloatArray, den: FloatArray) -> FloatArray:
    """``log(num / den)`` where ``den = num + gap`` (``gap > 0``), accurate both when the ratio
    is near 1 (``log1p(-gap/den)``) and when it is tiny (the quotient itself)."""
    r = gap / den
    with np.errstate(divide="ignore"):
        out: FloatArray = np.where(r < 0.5, np.log1p(-np.minimum(r, 0.5)), np.log(num / den))
    return out


# ---------------------------------------------------------------------------- likelihood
def _tail_sums(
    x: FloatArray, t_x: FloatArray, m: NDArray[np.int64], alpha: float, beta: float,
    gamma: float, delta: float, gradient: bool,
) -> tuple[FloatArray, list[FloatArray]]:  # fmt: skip
    """For each row, ``log B_0`` and ``C = sum_{i<m} B_i / B_0`` (plus weighted sums).

    ``B_i = B(alpha+x, beta+t_x-x+i) B(gamma+1, delta+t_x+i)`` (without the constant
    ``1/(B(alpha,beta) B(gamma,delta))``), the terms of the second part of FHS (2010) eq. (7).
    Rows sharing ``(x, t_x)`` share their terms, so they are grouped and the sums read from
    one cumulative sum per group. With ``gradient``, also the sums weighted by
    ``psi(alpha+beta+j)``, ``psi(beta+j-x) - psi(alpha+beta+j)``, ``psi(gamma+delta+1+j)`` and
    ``psi(delta+j) - psi(gamma+delta+1+j)`` (``j = t_x + i``).
    """
    n_rows = x.size
    log_b0 = log_beta_ratio(alpha, beta, x, t_x - x) + log_beta_ratio(gamma, delta, 1.0, t_x)
    n_sums = 5 if gradient else 1
    sums = [np.zeros(n_rows) for _ in range(n_sums)]
    has = m > 0
    if not has.any():
        return log_b0, sums
    rows = np.flatnonzero(has)
    (gx, gt), _, inverse = collapse_rows(x[rows], t_x[rows])
    length = np.zeros(gx.size, dtype=np.int64)
    np.maximum.at(length, inverse, m[rows])
    # rows of each group, for reading the cumulative sums back
    for block, width in _blocks(length):
        bx, bt = gx[block][:, None], gt[block][:, None]
        i = np.arange(width, dtype=np.float64)[None, :]
        j = bt + i
        k = j - bx  # beta + k: the no-purchase count
        # log(term_i / term_0) as a sum of exact per-step log ratios (no big-number cancellation)
        jn = j[:, 1:]  # step from opportunity j - 1 to j
        step = np.zeros(j.shape)
        step[:, 1:] = _log_ratio(beta + jn - 1.0 - bx, alpha + bx, alpha + beta + jn - 1.0)
        step[:, 1:] += _log_ratio(delta + jn - 1.0, gamma + 1.0, gamma + delta + jn)
        with np.errstate(under="ignore"):
            e = np.exp(np.cumsum(step, axis=1))
        e[i >= length[block][:, None]] = 0.0
        weighted = [e]
        if gradient:
            psi_abj = special.digamma(alpha + beta + j)
            psi_gdj = special.digamma(gamma + delta + 1.0 + j)
            weighted += [
                e * psi_abj,
                e * (special.digamma(beta + k) - psi_abj),
                e * psi_gdj,
                e * (special.digamma(delta + j) - psi_gdj),
            ]
        cums = [np.cumsum(w, axis=1) for w in weighted]
        # scatter to the rows of these groups
        local = np.full(gx.size, -1, dtype=np.int64)
        local[block] = np.arange(block.size)
        row_local = local[inverse]
        sel = row_local >= 0
        r_idx = rows[sel]
        col = m[r_idx] - 1
        for out, cum in zip(sums, cums, strict=True):
            out[r_idx] = cum[row_local[sel], col]
    return log_b0, sums


def log_likelihood_and_gradient(
    x: FloatArray, t_x: FloatArray, n: FloatArray, alpha: float, beta: float, gamma: float,
    delta: float, gradient: bool = True,
) -> tuple[FloatArray, FloatArray | None, FloatArray]:  # fmt: skip
    """Per-row log-likelihood (FHS 2010 eq. 7), its gradient (rows x 4) and log P(alive at n).

    ``L = B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n)/B(gamma,delta)
    + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta)
    B(gamma+1, delta+t_x+i)/B(gamma,delta)``.
    The first term is the customer alive at ``n``; its share of ``L`` is P(alive at n).
    """
    m = np.rint(n - t_x).astype(np.int64)
    log_a = log_beta_ratio(alpha, beta, x, n - x) + log_beta_ratio(gamma, delta, 0.0, n)
    log_b0, sums = _tail_sums(x, t_x, m, alpha, beta, gamma, delta, gradient)
    with np.errstate(divide="ignore"):
        log_s = np.where(m > 0, log_b0 + np.log(np.where(m > 0, sums[0], 1.0)), -np.inf)
    ll = np.logaddexp(log_a, log_s)
    log_alive = log_a - ll
    if not gradient:
        return ll, None, log_alive
    w_a = np.exp(log_alive)
    w_s = 1.0 - w_a
    f = np.where(m > 0, np.exp(log_b0 - ll), 0.0)
    psi = special.digamma
    psi_abn = psi(alpha + beta + n)
    psi_gdn = psi(gamma + delta + n)
    psi_ax = psi(alpha + x)
    grad = np.empty((x.size, 4))
    grad[:, 0] = (
        w_a * (psi_ax - psi_abn) + w_s * psi_ax - f * sums[1] - psi(alpha) + psi(alpha + beta)
    )
    grad[:, 1] = w_a * (psi(beta + n - x) - psi_abn) + f * sums[2] + psi(alpha + beta) - psi(beta)
    grad[:, 2] = (
        w_a * (psi(gamma) - psi_gdn) + w_s * psi(gamma + 1.0) - f * sums[3]
        - psi(gamma) + psi(gamma + delta)
    )  # fmt: skip
    grad[:, 3] = w_a * (psi(delta + n) - psi_gdn) + f * sums[4] - psi(delta) + psi(gamma + delta)
    return ll, grad, log_alive


def log_likelihood(
    x: FloatArray, t_x: FloatArray, n: FloatArray, alpha: float, beta: float, gamma: float,
    delta: float,
) -> FloatArray:  # fmt: skip
    """Per-row log-likelihood, FHS (2010) eq. (7)."""
    return log_likelihood_and_gradient(x, t_x, n, alpha, beta, gamma, delta, gradient=False)[0]


def log_probability_alive(
    x: FloatArray, t_x: FloatArray, n: FloatArray, alpha: float, beta: float, gamma: float,
    delta: float,
) -> FloatArray:  # fmt: skip
    """log P(alive at opportunity n | x, t_x, n)."""
    return log_likelihood_and_gradient(x, t_x, n, alpha, beta, gamma, delta, gradient=False)[2]


# ---------------------------------------------------------------------------- predictions
def survival_sums(d: FloatArray, m: FloatArray, gamma: float, z: float = 1.0) -> FloatArray:
    """``sum_{k=1}^{m} z^k B(gamma, d+k) / B(gamma, d)`` for each pair ``(d, m)``.

    ``B(gamma, d+k)/B(gamma, d)`` is the probability that a customer alive at an opportunity
    with posterior ``theta ~ Beta(gamma, d)`` is still alive ``k`` opportunities later; the sum
    is the expected number of those opportunities (discounted by ``z`` per opportunity). Summed
    directly in log space (``m`` terms per distinct pair); ``m`` must be finite.
    """
    out = np.zeros(d.size)
    (ud, um), _, inverse = collapse_rows(d, m)
    lengths = np.rint(um).astype(np.int64)
    vals = np.zeros(ud.size)
    log_z = math.log(z) if z > 0 else -np.inf
    for block, width in _blocks(lengths):
        bd = ud[block][:, None]
        k = np.arange(1, width + 1, dtype=np.float64)[None, :]
        # log of B(gamma, d+k)/B(gamma, d) = sum_{i<k} log((d+i)/(gamma+d+i))
        with np.errstate(under="ignore"):
            step = _log_ratio(bd + k - 1.0, gamma, gamma + bd + k - 1.0) + log_z
            e = np.exp(np.cumsum(step, axis=1))
        e[k > lengths[block][:, None]] = 0.0
        vals[block] = e.sum(axis=1)
    out[:] = vals[inverse]
    return out


def discounted_residual_hyp2f1(d: FloatArray, gamma: float, z: float) -> FloatArray:
    """``sum_{k>=1} z^k B(gamma, d+k)/B(gamma, d)`` by FHS (2010) eq. (14)'s closed form.

    ``= z d/(gamma+d) 2F1(1, d+1; gamma+d+1; z)`` (``0 <= z < 1``).
    """
    out: FloatArray = z * d / (gamma + d) * special.hyp2f1(1.0, d + 1.0, gamma + d + 1.0, z)
    return out


def log_probability_of_count(
    k: FloatArray, m: FloatArray, a1: FloatArray, b1: FloatArray, gamma: float, d1: FloatArray
) -> FloatArray:
    """log P(k transactions in the next m opportunities | alive now, p ~ Beta(a1, b1),
    theta ~ Beta(gamma, d1)).

    The customer stays alive for ``l`` of the ``m`` opportunities with probability
    ``B(gamma+1, d1+l)/B(gamma, d1)`` (``l < m``) or ``B(gamma, d1+m)/B(gamma, d1)``
    (``l = m``), and transacts at each with probability ``p``:
    ``P = sum_{l=k}^{m} C(l, k) B(a1+k, b1+l-k)/B(a1, b1) P(l)`` (FHS 2010 eq. 7 with the
    posterior parameters). Zero (``-inf``) for ``k > m``.
    """
    out = np.full(k.size, -np.inf)
    ok = k <= m
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    kk, mm, aa, bb, dd = k[idx], m[idx], a1[idx], b1[idx], d1[idx]
    lengths = np.rint(mm - kk).astype(np.int64) + 1
    vals = np.empty(idx.size)
    for block, width in _blocks(lengths):
        bk, bm = kk[block][:, None], mm[block][:, None]
        ba, bb_, bd = aa[block][:, None], bb[block][:, None], dd[block][:, None]
        l = bk + np.arange(width, dtype=np.float64)[None, :]  # noqa: E741
        log_c = special.gammaln(l + 1.0) - special.gammaln(bk + 1.0) - special.gammaln(l - bk + 1.0)
        log_pb = log_beta_ratio(ba, bb_, bk, l - bk)
        log_surv = np.where(
            l < bm, log_beta_ratio(gamma, bd, 1.0, l), log_beta_ratio(gamma, bd, 0.0, bm)
        )
        terms = np.where(l <= bm, log_c + log_pb + log_surv, -np.inf)
        vals[block] = special.logsumexp(terms, axis=1)
    out[idx] = vals
    return out
