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
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import special

from custvalue._collapse import group_rows

__all__ = [
    "HistoryLikelihood",
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
class _Block(NamedTuple):
    """Padded (groups x terms) layout of one block of :class:`HistoryLikelihood`'s sums."""

    x: FloatArray  # (groups, 1)
    j: FloatArray  # (groups, width): opportunity index t_x + i
    valid: NDArray[np.bool_]
    j_idx: NDArray[np.intp]  # j, clipped to the tables
    k_idx: NDArray[np.intp]  # j - x, clipped
    local: NDArray[np.intp]  # each history's group within the block
    rows: NDArray[np.intp]  # the histories
    col: NDArray[np.intp]  # n - t_x - 1: where each history reads its cumulative sum


class HistoryLikelihood:
    """FHS (2010) eq. (7) over fixed histories, evaluated at any parameters.

    Everything that depends on the histories only is prepared once (for a fit, the optimizer
    evaluates the same histories dozens of times): every Beta-function ratio of the likelihood
    is a combination of log-Pochhammer symbols ``ln Gamma(c + k) - ln Gamma(c)`` at whole
    ``k <= max(n) + 1``, so each evaluation builds 1-D tables of them (and of the digamma
    function) and gathers. The sum over ``i = 0..n-t_x-1`` of
    ``B_i = B(alpha+x, beta+t_x-x+i) B(gamma+1, delta+t_x+i)`` is shared by histories with
    equal ``(x, t_x)``: one normalised cumulative sum per such group, in padded blocks, read
    at ``n - t_x`` for each history.
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> None:
        self.size = x.size
        self.x = x.astype(np.intp)
        self.t = t_x.astype(np.intp)
        self.n = n.astype(np.intp)
        self.m = self.n - self.t
        self.top = int(np.max(self.n)) + 2 if x.size else 2
        self.blocks: list[_Block] = []
        rows = np.flatnonzero(self.m > 0)
        if not rows.size:
            return
        (gx, gt), inverse = group_rows(x[rows], t_x[rows])
        length = np.zeros(gx.size, dtype=np.int64)
        np.maximum.at(length, inverse, self.m[rows])
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(gx.size + 1))
        for block, width in _blocks(length):
            i = np.arange(width, dtype=np.float64)[None, :]
            bx, bt = gx[block][:, None], gt[block][:, None]
            j = bt + i
            # rows of the block's groups, with their group's position in the block and column
            members = [order[starts[g] : starts[g + 1]] for g in block]
            local = np.repeat(np.arange(block.size), [mm.size for mm in members])
            r_idx = rows[np.concatenate(members)]
            col = self.m[r_idx] - 1
            valid = i < length[block][:, None]
            j_idx = np.minimum(j, self.top).astype(np.intp)
            k_idx = np.minimum(j - bx, self.top).astype(np.intp)
            self.blocks.append(_Block(bx, j, valid, j_idx, k_idx, local, r_idx, col))

    def __call__(
        self, alpha: float, beta: float, gamma: float, delta: float, gradient: bool = True
    ) -> tuple[FloatArray, FloatArray | None, FloatArray]:
        """Per-history log-likelihood, its gradient (histories x 4) and log P(alive at n)."""
        k = np.arange(self.top + 1, dtype=np.float64)
        pa, pb, pab = log_poch(alpha, k), log_poch(beta, k), log_poch(alpha + beta, k)
        pd_, pgd = log_poch(delta, k), log_poch(gamma + delta, k)
        x, t, n, m = self.x, self.t, self.n, self.m
        log_a = pa[x] + pb[n - x] - pab[n] + pd_[n] - pgd[n]
        log_b0 = pa[x] + pb[t - x] - pab[t] + math.log(gamma) + pd_[t] - pgd[t + 1]
        n_sums = 5 if gradient else 1
        sums = [np.zeros(self.size) for _ in range(n_sums)]
        if gradient:
            db, dab = special.digamma(beta + k), special.digamma(alpha + beta + k)
            dd, dgd = special.digamma(delta + k), special.digamma(gamma + delta + k)
        for bx, j, valid, j_idx, k_idx, local, r_idx, col in self.blocks:
            # log(B_i / B_0) as a sum of exact per-step log ratios (no big-number cancellation)
            jn = j[:, 1:]  # step from opportunity j - 1 to j
            step = np.zeros(j.shape)
            step[:, 1:] = _log_ratio(beta + jn - 1.0 - bx, alpha + bx, alpha + beta + jn - 1.0)
            step[:, 1:] += _log_ratio(delta + jn - 1.0, gamma + 1.0, gamma + delta + jn)
            with np.errstate(under="ignore"):
                e = np.exp(np.cumsum(step, axis=1))
            e[~valid] = 0.0
            weighted = [e]
            if gradient:
                psi_abj = dab[j_idx]
                psi_gdj = dgd[np.minimum(j_idx + 1, self.top)]
                weighted += [
                    e * psi_abj,
                    e * (db[k_idx] - psi_abj),
                    e * psi_gdj,
                    e * (dd[j_idx] - psi_gdj),
                ]
            for out, w in zip(sums, weighted, strict=True):
                out[r_idx] = np.cumsum(w, axis=1)[local, col]
        has = m > 0
        with np.errstate(divide="ignore"):
            log_s = np.where(has, log_b0 + np.log(np.where(has, sums[0], 1.0)), -np.inf)
        ll = np.logaddexp(log_a, log_s)
        log_alive = log_a - ll
        if not gradient:
            return ll, None, log_alive
        w_a = np.exp(log_alive)
        w_s = 1.0 - w_a
        f = np.where(has, np.exp(log_b0 - ll), 0.0)
        da = special.digamma(alpha + k)
        psi_abn, psi_gdn, psi_ax = dab[n], dgd[n], da[x]
        psi = special.digamma
        c_ab, c_gd = float(psi(alpha + beta)), float(psi(gamma + delta))
        grad = np.empty((self.size, 4))
        grad[:, 0] = w_a * (psi_ax - psi_abn) + w_s * psi_ax - f * sums[1] - da[0] + c_ab
        grad[:, 1] = w_a * (db[n - x] - psi_abn) + f * sums[2] + c_ab - db[0]
        grad[:, 2] = (
            w_a * (psi(gamma) - psi_gdn) + w_s * psi(gamma + 1.0) - f * sums[3]
            - psi(gamma) + c_gd
        )  # fmt: skip
        grad[:, 3] = w_a * (dd[n] - psi_gdn) + f * sums[4] - dd[0] + c_gd
        return ll, grad, log_alive


def log_likelihood_and_gradient(
    x: FloatArray, t_x: FloatArray, n: FloatArray, alpha: float, beta: float, gamma: float,
    delta: float, gradient: bool = True,
) -> tuple[FloatArray, FloatArray | None, FloatArray]:  # fmt: skip
    """Per-row log-likelihood (FHS 2010 eq. 7), its gradient (rows x 4) and log P(alive at n).

    ``L = B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n)/B(gamma,delta)
    + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta)
    B(gamma+1, delta+t_x+i)/B(gamma,delta)``.
    The first term is the customer alive at ``n``; its share of ``L`` is P(alive at n).
    See :class:`HistoryLikelihood`.
    """
    return HistoryLikelihood(x, t_x, n)(alpha, beta, gamma, delta, gradient)


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
    (ud, um), inverse = group_rows(d, m)
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
