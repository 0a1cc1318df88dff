"""Pareto/NBD math kernels: pure functions on flat numpy arrays.

Every function takes the parameters ``r, alpha, s, beta`` as floats, performs no validation
and returns float64 arrays; the validated entry points live in
:mod:`custvalue.clv.pareto_nbd`. Notation of Schmittlein, Morrison and Colombo (1987) and
Fader and Hardie (2005): ``x`` repeat purchases, ``t_x`` time of the last purchase, ``T`` age.

The likelihood needs the "death between ``t_x`` and ``T``" integral

    I = int_{t_x}^{T} (alpha + y)^-(r+x) (beta + y)^-(s+1) dy,

which the papers write as a difference of two Gauss hypergeometric functions (branching on
``max(alpha, beta)``, with cancellation when ``t_x`` is close to ``T`` and overflow for heavy
buyers). Here it is integrated directly: with ``y = t_x + L (e^u - 1)`` (``1/L`` = the
integrand's initial log-decay rate) the integrand becomes a smooth, bounded function of ``u``
on ``[0, ln(1 + (T - t_x)/L)]`` whose largest value is 1 after factoring out the value at
``t_x``; composite 12-node Gauss-Legendre panels of width 2.5 in ``u`` integrate it to
~1e-13. The same nodes give the gradient (moments of ``ln(alpha + y)``, ``1/(alpha + y)``,
... under the integrand), with no hypergeometric function, no case split for
``alpha == beta``, ``t_x == T`` or ``s == 1`` and no difference of large numbers.

Where the two bases are close (``|beta - alpha| <= (alpha + t_x) / 4``, e.g. CDNOW's 10.6 and
11.7), the value alone (predictions, not the fit's gradient) comes from a binomial series
instead: expanding ``(beta + y)^-(s+1)`` in powers of ``(beta - alpha) / (alpha + y)`` leaves
integrals of single powers, which are closed forms. About 16 terms of a few multiplications
replace 12 nodes of exponentials and logarithms: half the time, and 1e-15 instead of 1e-13.

References
----------
Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). Counting your customers: who are
they and what will they do next? Management Science 33(1), 1-24.
Fader, P. S. and Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
expressions. http://brucehardie.com/notes/009/
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
customer base analysis. Journal of Marketing Research 42(4), 415-430.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "conditional_probability_of_purchases",
    "dead_integral",
    "discounted_residual_transactions",
    "expected_purchases_conditional",
    "expected_purchases_new",
    "log_likelihood",
    "log_likelihood_and_gradient",
    "log_probability_of_purchases",
    "probability_alive",
]

FloatArray = NDArray[np.float64]

#: Gauss-Legendre nodes per panel, and the width of a panel in the integration variable:
#: 12 nodes on panels of width 2.5 reach ~1e-13 on the mpmath grid and the CDNOW data (one
#: panel for most real histories).
_PANEL_NODES = 12
_PANEL_WIDTH = 2.5
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(_PANEL_NODES)
#: Most panels per row (the ranges met are at most ~60 wide).
_MAX_PANELS = 128
#: Rows per block of the node matrices (bounds memory at ~ _CHUNK * nodes * 8 bytes).
_CHUNK = 16_384
#: The ``P(X(t) = n)`` integrand is integrated where it is within ``e^-_SUPPORT`` of its peak.
_SUPPORT = 46.0
#: The binomial series of the dead integral is used where ``|u| = |beta - alpha| / (alpha +
#: t_x)`` is at most this (the terms shrink at least like ``|u|^k``: ~27 terms at the limit) ...
_SERIES_MAX_RATIO = 0.25
#: ... and its sum cannot lose more than a factor ``((1+|u|)/(1-|u|))^(s+1)`` of rounding to
#: cancellation (alternating terms when ``beta > alpha``) beyond this.
_SERIES_MAX_CANCELLATION = 16.0
#: Rows per block of the series: its arrays stay in the cache, and each of its ~10 passes per
#: term over a block is long enough that numpy's per-call cost does not show.
_SERIES_BLOCK = 32_768
#: A series block stops once every row's latest term is bounded below this share of its sum and
#: the terms shrink by at least half per step (so the rest is below the latest term).
_SERIES_TOLERANCE = 2.0**-54


@functools.lru_cache(maxsize=64)
def _unit_nodes(n_panels: int) -> tuple[FloatArray, FloatArray]:
    """Composite Gauss-Legendre nodes and weights on [0, 1] (``n_panels`` equal panels)."""
    half = 0.5 / n_panels
    centers = np.arange(n_panels) * (2 * half) + half
    nodes = (centers[:, None] + half * _GL_NODES[None, :]).ravel()
    weights: FloatArray = np.tile(_GL_WEIGHTS, n_panels) * half
    return nodes, weights


def _grouped_by_panels(n_panels: NDArray[np.int64]) -> list[tuple[int, NDArray[np.intp]]]:
    """Row indices grouped by panel count, in blocks of at most ``_CHUNK`` rows."""
    out: list[tuple[int, NDArray[np.intp]]] = []
    for count in np.unique(n_panels):
        rows = np.flatnonzero(n_panels == count)
        for lo in range(0, rows.size, _CHUNK):
            out.append((int(count), rows[lo : lo + _CHUNK]))
    return out


def _series_rows(a1: FloatArray, b1: float, A: FloatArray, B: FloatArray) -> NDArray[np.bool_]:
    """Rows whose dead integral the binomial series evaluates fast and to rounding accuracy.

    ``|u| = |B - A| / A`` at most :data:`_SERIES_MAX_RATIO`, and the cancellation bound
    ``((1+|u|)/(1-|u|))^b1`` at most :data:`_SERIES_MAX_CANCELLATION`, i.e. ``|u| <= g / (2 + g)``
    with ``g = _SERIES_MAX_CANCELLATION^(1/b1) - 1``. ``B - A = beta - alpha`` is the same for
    every row, so this is one comparison per row.
    """
    g = math.expm1(math.log(_SERIES_MAX_CANCELLATION) / b1)
    limit = min(_SERIES_MAX_RATIO, g / (2.0 + g))
    out: NDArray[np.bool_] = np.abs(B - A) <= limit * A
    return out


def _log_dead_series(
    a1: FloatArray, b1: float, A: FloatArray, B: FloatArray, D: FloatArray,
    moments: bool = False,
) -> tuple[FloatArray, FloatArray | None]:  # fmt: skip
    """``ln int_0^D (A + z)^-a1 (B + z)^-b1 dz`` for rows of :func:`_series_rows` (``D > 0``),
    and with ``moments`` the integrand's means of :func:`dead_integral`.

    With ``u = (B - A) / A`` and ``c = a1 + b1``, expanding ``(1 + (B - A)/(A + z))^-b1``
    binomially (``|B - A| < A + z`` for every ``z >= 0``) leaves integrals of single powers:

        I = A^(1-c) S,  S = sum_k g_k h_k,  g_k = binom(-b1, k) u^k,
        h_k = (1 - rho^(c-1+k)) / (c-1+k),  rho = A / (A + D).

    ``e_k = 1 - rho^(c-1+k)`` is built by the recurrence ``e_k = rho e_(k-1) + (1 - rho)`` from
    ``-expm1((c-1) ln rho)``, so short windows (``rho`` near 1) lose nothing; ``c - 1 = r + x +
    s > 0``. ``h_k`` does not increase with ``k`` and the sum is at least ``(1 + |u|)^-b1``
    times its first term, so ``|term_k| / S <= (1 + |u|)^b1 |binom(-b1, k)| |u|^k``: the block
    stops, without looking at its rows, once that bound (at the block's largest ``|u|``) is
    below :data:`_SERIES_TOLERANCE` and the terms shrink by half per step at least (so the
    rest is below the last term).

    The means are derivatives of ``ln I`` and shifted integrals, summed alongside:
    ``E[1/(A+z)] = I(a1+1)/I = sum_k g_k h_(k+1) / (A S)``; ``E[1/(B+z)] = I(b1+1)/I =
    sum_k g'_k h_(k+1) / (A S)`` with ``g'_k = binom(-b1-1, k) u^k``; ``E[ln(A+z)] = -d ln I /
    d a1 = ln A - sum_k g_k h'_k / S`` with ``h'_k = dh_k/dc = ((1 - e_k) ln(1 + D/A) - h_k) /
    (c-1+k)``; and ``E[ln(B+z)] = -d ln I / d b1``, the same plus ``-sum_k g_k H_k h_k / S``
    (``H_k = sum_(j<k) 1/(b1+j)``, the derivative of ``ln |binom(-b1, k)|``). The stopping
    bound then uses ``b1 + 1``, as ``g'_k`` does.
    """
    out = np.empty(a1.size)
    mom = np.empty((4, a1.size)) if moments else None
    grow = b1 + 1.0 if moments else b1  # the largest binomial exponent summed
    for lo in range(0, a1.size, _SERIES_BLOCK):
        blk = slice(lo, lo + _SERIES_BLOCK)
        a, d = A[blk], D[blk]
        n = a.size
        cm1 = a1[blk] + (b1 - 1.0)
        u = (B[blk] - a) / a
        gap = d / (a + d)  # 1 - rho
        keep = a / (a + d)  # rho
        lam = np.log1p(d / a)  # -ln rho
        e = -np.expm1(cm1 * -lam)
        h = e / cm1
        total = h.copy()
        coef = np.ones(n)
        den, term = cm1.copy(), np.empty(n)
        u_max = float(np.max(np.abs(u)))
        bound = _SERIES_MAX_CANCELLATION  # |term_k| / total <= bound: see above
        if mom is not None:
            dh = _first_slope(cm1, lam, e, h)
            # d h_0 / dc, then the sums of g_k h'_k, g_k H_k h_k, g_k h_(k+1), g'_k h_(k+1)
            s_a, s_b, s_1, s_3 = dh.copy(), np.zeros(n), np.zeros(n), np.zeros(n)
            coef3 = np.ones(n)
            harmonic = 0.0
        k = 0
        while True:  # in place: the cost is the number of passes over the block
            k += 1
            e *= keep
            e += gap
            den += 1.0
            np.divide(e, den, out=h)
            if mom is not None:
                np.multiply(coef, h, out=term)  # g_(k-1) h_k
                s_1 += term
                np.multiply(coef3, h, out=term)  # g'_(k-1) h_k
                s_3 += term
                coef3 *= u
                coef3 *= -(b1 + k) / k
                harmonic += 1.0 / (b1 + k - 1.0)
            coef *= u
            coef *= -(b1 + k - 1.0) / k
            np.multiply(coef, h, out=term)
            total += term
            if mom is not None:
                term *= harmonic
                s_b += term
                np.subtract(1.0, e, out=dh)
                dh *= lam
                dh -= h
                dh /= den
                dh *= coef
                s_a += dh
            bound *= (grow + k - 1.0) / k * u_max
            if bound <= _SERIES_TOLERANCE and (grow + k) / (k + 1) * u_max <= 0.5:
                break
        log_a = np.log(a)
        out[blk] = np.log(total) - cm1 * log_a
        if mom is not None:
            mom[0, blk] = log_a - s_a / total
            mom[1, blk] = s_1 / (a * total)
            mom[2, blk] = log_a - (s_a + s_b) / total
            mom[3, blk] = s_3 / (a * total)
    return out, mom


#: Below this ``q = (c-1) ln(1 + D/A)`` the first term's slope is summed as a series.
_SLOPE_SERIES_BELOW = 0.5


def _first_slope(cm1: FloatArray, lam: FloatArray, e: FloatArray, h: FloatArray) -> FloatArray:
    """``dh_0/dc = ((1 - e_0) lam - h_0) / (c-1)`` of :func:`_log_dead_series`.

    With ``q = (c-1) lam`` this is ``-lam^2 (1 - e^-q - q e^-q) / q^2``: the direct form
    subtracts two values near ``lam`` and loses ``1/q`` of its digits (``eps / (c-1)``
    absolute in the mean of ``ln(alpha + y)`` when ``r + s`` is tiny), so below
    :data:`_SLOPE_SERIES_BELOW` it is summed as ``sum_(n>=2) (-1)^n (n-1) q^(n-2) / n!``
    (16 terms: the rest is below 1e-17 there).
    """
    out = (1.0 - e) * lam
    out -= h
    out /= cm1
    q = cm1 * lam
    small = np.flatnonzero(q < _SLOPE_SERIES_BELOW)
    if small.size:
        qs = q[small]
        total = np.zeros(small.size)
        for n in range(17, 1, -1):  # Horner from the highest power
            total = total * qs + (-1.0) ** n * (n - 1) / math.factorial(n)
        out[small] = -(lam[small] ** 2) * total
    return out


def dead_integral(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: float, alpha: float, s: float,
    beta: float, *, moments: bool = False,
) -> tuple[FloatArray, FloatArray | None]:  # fmt: skip
    """``ln I`` (``-inf`` when ``t_x == T``) and, with ``moments``, the integrand's means of
    ``ln(alpha + y)``, ``1/(alpha + y)``, ``ln(beta + y)``, ``1/(beta + y)`` (shape ``(4, n)``).

    Rows of :func:`_series_rows` are summed by :func:`_log_dead_series`, the others
    integrated by :func:`_log_dead_quadrature`.
    """
    a1 = r + x
    b1 = s + 1.0
    A = alpha + t_x
    B = beta + t_x
    D = T - t_x
    live = D > 0
    # the moments sum a series in b1 + 1 as well: eligibility as for that exponent
    series = live & _series_rows(a1, b1 + 1.0 if moments else b1, A, B)
    quad = live & ~series
    log_i = np.full(x.shape, -np.inf)
    mom = np.zeros((4, x.size)) if moments else None
    for method, mask in ((_log_dead_series, series), (_log_dead_quadrature, quad)):
        rows = np.flatnonzero(mask)
        if rows.size == x.size:  # every row: no copies
            return method(a1, b1, A, B, D, moments)
        if rows.size:
            log_i[rows], part = method(a1[rows], b1, A[rows], B[rows], D[rows], moments)
            if mom is not None and part is not None:
                mom[:, rows] = part
    return log_i, mom


def _log_dead_quadrature(
    a1: FloatArray, b1: float, A: FloatArray, B: FloatArray, D: FloatArray, moments: bool
) -> tuple[FloatArray, FloatArray | None]:
    """:func:`dead_integral` by Gauss-Legendre panels in ``u`` (rows with ``D > 0``)."""
    rate = a1 / A + b1 / B
    L = 1.0 / rate
    U = np.log1p(D * rate)
    n_panels = np.clip(np.ceil(U / _PANEL_WIDTH), 1, _MAX_PANELS).astype(np.int64)
    log_j = np.empty(a1.shape)
    mom = np.empty((4, a1.size)) if moments else None
    for count, rows in _grouped_by_panels(n_panels):
        nodes, weights = _unit_nodes(count)
        a_r, b_r = A[rows, None], B[rows, None]
        # in-place arithmetic on (rows, nodes) blocks: the cost is memory traffic
        w = U[rows, None] * nodes[None, :]
        e = np.expm1(w)
        e *= L[rows, None]
        la = np.divide(e, a_r)
        np.log1p(la, out=la)
        lb = np.divide(e, b_r)
        np.log1p(lb, out=lb)
        tmp = np.multiply(la, a1[rows, None])
        w -= tmp
        np.multiply(lb, b1, out=tmp)
        w -= tmp
        np.exp(w, out=w)
        w *= weights[None, :]
        total = w.sum(axis=1)
        log_j[rows] = np.log(total * U[rows])
        if mom is not None:
            w /= total[:, None]
            mom[0, rows] = np.log(A[rows]) + np.einsum("ij,ij->i", w, la)
            mom[2, rows] = np.log(B[rows]) + np.einsum("ij,ij->i", w, lb)
            np.add(e, a_r, out=tmp)
            mom[1, rows] = np.einsum("ij,ij->i", w, np.reciprocal(tmp, out=tmp))
            np.add(e, b_r, out=tmp)
            mom[3, rows] = np.einsum("ij,ij->i", w, np.reciprocal(tmp, out=tmp))
    log_i: FloatArray = log_j + np.log(L) - a1 * np.log(A) - b1 * np.log(B)
    return log_i, mom


def _log_alive_dead(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: float, alpha: float, s: float,
    beta: float, moments: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:  # fmt: skip
    """The two likelihood terms without the common factor, in logs: alive through ``T`` and
    dead in ``(t_x, T]``."""
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_i, mom = dead_integral(x, t_x, T, r, alpha, s, beta, moments=moments)
    return log_alive, math.log(s) + log_i, mom


def log_likelihood(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: float, alpha: float, s: float,
    beta: float,
) -> FloatArray:  # fmt: skip
    """Per-customer log-likelihood (Fader and Hardie 2005 note, eq. 2 in integral form)."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    shape = x.shape
    x, t_x, T = x.ravel(), t_x.ravel(), T.ravel()
    with np.errstate(divide="ignore"):
        log_alive, log_dead, _ = _log_alive_dead(x, t_x, T, r, alpha, s, beta)
    out = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * math.log(alpha)
        + s * math.log(beta)
        + np.logaddexp(log_alive, log_dead)
    )
    result: FloatArray = out.reshape(shape)
    return result


def log_likelihood_and_gradient(
    x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray, r: float, alpha: float,
    s: float, beta: float,
) -> tuple[float, FloatArray]:  # fmt: skip
    """Weighted total log-likelihood and its gradient in ``(r, alpha, s, beta)`` (flat inputs)."""
    with np.errstate(divide="ignore"):
        log_alive, log_dead, mom = _log_alive_dead(x, t_x, T, r, alpha, s, beta, True)
    assert mom is not None
    total = float(w.sum())
    ll = float(
        np.dot(w, special.gammaln(r + x) + np.logaddexp(log_alive, log_dead))
        + total * (r * math.log(alpha) + s * math.log(beta) - special.gammaln(r))
    )
    dead = special.expit(log_dead - log_alive)
    alive = 1.0 - dead
    wa, wd = w * alive, w * dead
    lT_a, lT_b = np.log(alpha + T), np.log(beta + T)
    rx = r + x
    d_r = np.dot(w, special.digamma(rx)) + total * (math.log(alpha) - special.digamma(r))
    d_r -= np.dot(wa, lT_a) + np.dot(wd, mom[0])
    d_alpha = total * r / alpha - np.dot(wa * rx, 1.0 / (alpha + T)) - np.dot(wd * rx, mom[1])
    d_s = total * math.log(beta) - np.dot(wa, lT_b) + np.dot(wd, 1.0 / s - mom[2])
    d_beta = total * s / beta - s * np.dot(wa, 1.0 / (beta + T)) - (s + 1.0) * np.dot(wd, mom[3])
    return ll, np.array([d_r, d_alpha, d_s, d_beta], dtype=np.float64)


def probability_alive(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: float, alpha: float, s: float,
    beta: float,
) -> FloatArray:  # fmt: skip
    """P(alive at T | x, t_x, T) = alive term / (alive + dead terms)."""
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    shape = x.shape
    with np.errstate(divide="ignore"):
        log_alive, log_dead, _ = _log_alive_dead(
            x.ravel(), t_x.ravel(), T.ravel(), r, alpha, s, beta
        )
    # 1 / (1 + e^(dead - alive)) in place: scipy's expit is not vectorised (~6 ns a value)
    np.subtract(log_dead, log_alive, out=log_dead)
    with np.errstate(over="ignore"):
        np.exp(log_dead, out=log_dead)
    log_dead += 1.0
    out: FloatArray = np.reciprocal(log_dead, out=log_dead).reshape(shape)
    return out


def _power_integral(a: float, L: FloatArray) -> FloatArray:
    """``(1 - e^(-a L)) / a``, and its limit ``L`` at ``a == 0`` (``s == 1``)."""
    if a == 0.0:
        return L
    with np.errstate(over="ignore"):
        out: FloatArray = -np.expm1(-a * L) / a
    return out


def expected_purchases_new(
    t: FloatArray, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    """E[X(t)] of a new customer: ``r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``."""
    t = np.asarray(t, dtype=np.float64)
    out: FloatArray = r * beta / alpha * _power_integral(s - 1.0, np.log1p(t / beta))
    return out


def expected_purchases_conditional(
    t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, r: float, alpha: float,
    s: float, beta: float,
) -> FloatArray:  # fmt: skip
    """E[X(T, T+t] | x, t_x, T] = P(alive) x E[X(t)] of a new customer with the posterior
    parameters ``(r + x, alpha + T, s, beta + T)``."""
    t, x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, t_x, T)))
    p_alive = probability_alive(x, t_x, T, r, alpha, s, beta)
    bT = beta + T
    rate = (r + x) * bT / (alpha + T)
    out: FloatArray = p_alive * rate * _power_integral(s - 1.0, np.log1p(t / bT))
    return out


def _log_new_mixture(
    n: FloatArray, log_t: FloatArray, r: FloatArray, la: FloatArray, s: float, lb: FloatArray
) -> FloatArray:
    """``ln int_{-inf}^{ln t} exp(l(u)) du``, ``l(u) = (n+1) u - (r+n) ln(alpha + e^u) -
    (s+1) ln(beta + e^u)`` (``la = ln alpha``, ``lb = ln beta``; flat arrays).

    ``l`` is concave (its slope decreases), so the integrand is unimodal: the peak is found by
    bisection on the slope, the support (within ``e^-46`` of the peak) by doubling steps, and
    the support is cut into Gauss-Legendre panels narrower than the peak's width (or, for a
    peak at ``ln t``, than its decay scale).
    """
    a1, b1, c = r + n, s + 1.0, n + 1.0

    def ell(u: FloatArray) -> FloatArray:
        out: FloatArray = c * u - a1 * np.logaddexp(la, u) - b1 * np.logaddexp(lb, u)
        return out

    def slope(u: FloatArray) -> FloatArray:
        out: FloatArray = c - a1 * special.expit(u - la) - b1 * special.expit(u - lb)
        return out

    lo = np.minimum(np.minimum(la, lb), log_t) - np.log(a1 + b1 + 1.0) - 1.0
    hi = log_t.copy()
    rising = slope(hi) >= 0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    peak = np.where(rising, log_t, 0.5 * (lo + hi))
    top = ell(peak)
    left = np.full(peak.shape, np.inf)
    right = np.full(peak.shape, np.inf)
    for k in range(-12, 10):
        step = 2.0**k
        left = np.where(np.isinf(left) & (ell(peak - step) < top - _SUPPORT), step, left)
        right = np.where(np.isinf(right) & (ell(peak + step) < top - _SUPPORT), step, right)
    u0 = peak - np.where(np.isinf(left), 2.0**10, left)
    u1 = np.minimum(log_t, peak + np.where(np.isinf(right), 2.0**10, right))
    curv = a1 * special.expit(peak - la) * special.expit(la - peak) + b1 * special.expit(
        peak - lb
    ) * special.expit(lb - peak)
    # panels narrower than the peak (curvature) and than the decay scale at a boundary peak
    width = np.minimum(1.0, 1.0 / np.sqrt(np.maximum(curv, 1e-300)))
    width = np.minimum(width, 2.0 / np.maximum(np.abs(slope(peak)), 1e-300))
    span = u1 - u0
    n_panels = np.clip(np.ceil(span / width), 2, 4 * _MAX_PANELS).astype(np.int64)
    out = np.empty(peak.shape)
    for count, rows in _grouped_by_panels(n_panels):
        nodes, weights = _unit_nodes(count)
        u = u0[rows, None] + span[rows, None] * nodes[None, :]
        vals = (
            c[rows, None] * u
            - a1[rows, None] * np.logaddexp(la[rows, None], u)
            - b1 * np.logaddexp(lb[rows, None], u)
            - top[rows, None]
        )
        out[rows] = top[rows] + np.log(np.exp(vals) @ weights * span[rows])
    return out


def _log_probability_new(
    n: FloatArray, t: FloatArray, r: FloatArray, alpha: FloatArray, s: float, beta: FloatArray
) -> FloatArray:
    """ln P(X(t) = n) of a new customer, elementwise over flat arrays (parameters ``r``,
    ``alpha``, ``beta`` may vary per row: the conditional case uses the posterior ones)."""
    out = np.where(n == 0, 0.0, -np.inf)
    pos = t > 0
    if not np.any(pos):
        return out
    n, t, r, alpha, beta = (v[pos] for v in (n, t, r, alpha, beta))
    log_comb = special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1.0)
    la, lb, lt = np.log(alpha), np.log(beta), np.log(t)
    # alive at t: NBD(n) x (beta / (beta + t))^s
    l_at = np.logaddexp(la, lt)
    alive = log_comb + r * (la - l_at) + n * (lt - l_at) + s * (lb - np.logaddexp(lb, lt))
    # dead at tau < t: int_0^t NBD(n; tau) s beta^s (beta+tau)^-(s+1) dtau, tau = e^u
    dead = log_comb + r * la + math.log(s) + s * lb + _log_new_mixture(n, lt, r, la, s, lb)
    out[pos] = np.logaddexp(alive, dead)
    return out


def log_probability_of_purchases(
    n: FloatArray, t: FloatArray, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    """ln P(X(t) = n) for a new customer (mixture over the exponential lifetime)."""
    n, t = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
    shape = n.shape
    nf, tf = n.ravel(), t.ravel()
    ones = np.ones(nf.shape)
    out = _log_probability_new(nf, tf, r * ones, alpha * ones, s, beta * ones)
    result: FloatArray = np.minimum(out, 0.0).reshape(shape)
    return result


def conditional_probability_of_purchases(
    n: FloatArray, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, r: float,
    alpha: float, s: float, beta: float,
) -> FloatArray:  # fmt: skip
    """P(X(T, T+t] = n | x, t_x, T): dead at T (n = 0 only) or alive at T, and then a new
    customer with the posterior parameters ``(r + x, alpha + T, s, beta + T)`` (given alive
    at ``T``, lambda ~ Gamma(r+x, alpha+T) and mu ~ Gamma(s, beta+T) independently)."""
    n, t, x, t_x, T = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (n, t, x, t_x, T))
    )
    shape = n.shape
    nf, tf, xf, txf, Tf = (v.ravel() for v in (n, t, x, t_x, T))
    p_alive = probability_alive(xf, txf, Tf, r, alpha, s, beta)
    log_new = _log_probability_new(nf, tf, r + xf, alpha + Tf, s, beta + Tf)
    out = p_alive * np.exp(np.minimum(log_new, 0.0)) + np.where(nf == 0, 1.0 - p_alive, 0.0)
    result: FloatArray = np.clip(out, 0.0, 1.0).reshape(shape)
    return result


def discounted_residual_transactions(
    x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float, r: float, alpha: float,
    s: float, beta: float,
) -> FloatArray | None:  # fmt: skip
    """DERT (Fader, Hardie and Lee 2005 JMR, eq. 2) with continuous discount rate ``delta``:

    ``P(alive) (r + x) / (alpha + T) * E[1 / (delta + mu)]``, ``mu ~ Gamma(s, beta + T)``
    (the posterior of the alive), and ``E[1/(delta + mu)] = z^s U(s, s, z) / delta`` with
    ``z = delta (beta + T)`` and Tricomi's ``U``. None where ``hyperu`` under- or overflows.
    """
    p_alive = probability_alive(x, t_x, T, r, alpha, s, beta)
    z = delta * (beta + T)
    with np.errstate(all="ignore"):
        u = special.hyperu(s, s, z)
        zsu = np.exp(s * np.log(z) + np.log(u))
    if not np.all(np.isfinite(zsu) & (u > 0)):
        return None
    out: FloatArray = p_alive * (r + x) / (alpha + T) * zsu / delta
    return out
