"""Shifted-beta-geometric (sBG) kernels: pure functions of broadcastable numpy arrays.

The churn probability ``theta`` of a subscriber is the same every period and is
``Beta(alpha, beta)`` across customers; the period ``T`` in which a customer churns is
geometric given ``theta`` (``T = 1, 2, ...``). Fader and Hardie (2007), "How to project
customer retention", Journal of Interactive Marketing 21(1), 76-90, eqs. (1)-(4); Fader and
Hardie (2010), "Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity", Marketing Science 29(1), 85-93, eq. (6).

Every log-probability reduces to ``ln S(n + t) - ln S(n) = D(beta + n, t) - D(alpha + beta +
n, t)`` with ``D(x, t) = ln Gamma(x + t) - ln Gamma(x)`` (a log rising factorial), evaluated
by Stirling's series when ``x`` is large so that parameters up to 1e8 and more keep full
relative accuracy (a plain difference of ``gammaln`` loses ``x ln x`` ulps).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from custvalue._collapse import group_rows

__all__ = [
    "discounted_residual_lifetime",
    "log_churn_probability",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_rising",
    "log_survival",
]

FloatArray = NDArray[np.float64]

#: From this argument on, ``log_rising`` uses Stirling's series (truncation error below
#: 1e-25 there) instead of a difference of ``gammaln``.
_STIRLING_FROM = 1e3


def _stirling_tail(z: FloatArray) -> FloatArray:
    """``ln Gamma(z) - [(z - 1/2) ln z - z + ln(2 pi) / 2]`` for large ``z`` (three terms)."""
    inv = 1.0 / z
    inv2 = inv * inv
    out: FloatArray = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 / 1260.0))
    return out


def log_rising(x: ArrayLike, t: ArrayLike) -> FloatArray:
    """``ln Gamma(x + t) - ln Gamma(x)`` (log of the rising factorial ``(x)_t``), ``x > 0``,
    ``t >= 0``, accurate to a few ulps of the result for any ``x``."""
    xa, ta = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    out = np.empty(xa.shape)
    small = xa < _STIRLING_FROM
    xs, ts = xa[small], ta[small]
    out[small] = special.gammaln(xs + ts) - special.gammaln(xs)
    xl, tl = xa[~small], ta[~small]
    # (x + t - 1/2) ln(x + t) - (x - 1/2) ln x - t = t ln x + (x + t - 1/2) log1p(t / x) - t
    out[~small] = (
        tl * np.log(xl)
        + (xl + tl - 0.5) * np.log1p(tl / xl)
        - tl
        + (_stirling_tail(xl + tl) - _stirling_tail(xl))
    )
    return out


def log_survival(t: ArrayLike, alpha: ArrayLike, beta: ArrayLike, n: ArrayLike = 0.0) -> FloatArray:
    """``ln P(T > n + t | T > n)`` (FH 2007 eq. 3 given survival to ``n``); ``t, n >= 0``.

    ``S(n + t) / S(n) = B(alpha, beta + n + t) / B(alpha, beta + n)``
    ``= (beta + n)_t / (alpha + beta + n)_t``.
    """
    a = np.asarray(alpha, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64) + np.asarray(n, dtype=np.float64)
    tt = np.asarray(t, dtype=np.float64)
    # Two exact arrangements of the same four log-gammas; each keeps its terms small where it
    # is used: (b)_t / (a + b)_t when alpha >= t, Gamma-ratio shifts by alpha when alpha < t.
    by_t = log_rising(b, tt) - log_rising(a + b, tt)
    by_alpha = log_rising(b, a) - log_rising(b + tt, a)
    out: FloatArray = np.where(a < tt, by_alpha, by_t)
    return out


def log_churn_probability(
    t: ArrayLike, alpha: ArrayLike, beta: ArrayLike, n: ArrayLike = 0.0
) -> FloatArray:
    """``ln P(T = n + t | T > n)`` for ``t >= 1`` (FH 2007 eq. 2 given survival to ``n``).

    ``= ln alpha - ln(alpha + beta + n + t - 1) + ln S(n + t - 1 | n)``.
    """
    a = np.asarray(alpha, dtype=np.float64)
    tt = np.asarray(t, dtype=np.float64)
    ab = a + np.asarray(beta, dtype=np.float64) + np.asarray(n, dtype=np.float64)
    out: FloatArray = np.log(a) - np.log(ab + (tt - 1.0)) + log_survival(tt - 1.0, a, beta, n)
    return out


def log_likelihood(
    lifetime: FloatArray, churned: FloatArray, alpha: float, beta: float
) -> FloatArray:
    """Per-customer log-likelihood (FH 2007 eq. 5): ``ln P(T = t)`` for a customer who
    churned in period ``t`` (``churned`` 1), ``ln S(t)`` for one still active after ``t``
    periods (``churned`` 0, right-censored)."""
    gone = churned > 0
    t = np.where(gone, np.maximum(lifetime, 1.0), lifetime)
    out: FloatArray = np.where(
        gone, log_churn_probability(t, alpha, beta), log_survival(t, alpha, beta)
    )
    return out


def log_likelihood_gradient(
    lifetime: FloatArray, churned: FloatArray, alpha: float, beta: float
) -> tuple[FloatArray, FloatArray]:
    """Per-customer ``d ln L / d alpha`` and ``d ln L / d beta`` of :func:`log_likelihood`.

    With ``ab = alpha + beta`` and the digamma function ``psi``:
    censored: ``psi(ab) - psi(ab + t)`` and ``psi(beta + t) - psi(beta) + psi(ab) - psi(ab + t)``;
    churned in ``t``: ``1 / alpha + psi(ab) - psi(ab + t)`` and
    ``psi(beta + t - 1) - psi(beta) + psi(ab) - psi(ab + t)``.
    """
    gone = churned > 0
    ab = alpha + beta
    common = special.digamma(ab) - special.digamma(ab + lifetime)
    shift = np.where(gone, 1.0, 0.0)
    d_alpha = common + shift / alpha
    d_beta = common + special.digamma(beta + lifetime - shift) - special.digamma(beta)
    return d_alpha, d_beta


#: Iteration cap of the continued fraction (about 2e4 are needed at d = 1e-8, alpha = 1e-8).
_CF_MAX_ITERATIONS = 100_000
_TINY = 1e-300


def _hyp2f1_one(a: FloatArray, b: FloatArray, x: FloatArray) -> FloatArray:
    """``2F1(1, a + b; a + 1; x)`` for ``a > 0``, real ``b``, ``0 < x < 1`` by the continued
    fraction of the incomplete beta function (modified Lentz), element-wise.

    ``I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 2F1(a + b, 1; a + 1; x)`` and the continued
    fraction of ``I_x`` (DLMF 8.17.22) is that hypergeometric function; its coefficients
    stay finite for ``b <= 0`` too, where ``I_x`` itself is undefined. Unlike
    ``scipy.special.hyp2f1`` it stays finite and accurate when ``a`` is 1e3 and more.
    """
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    dd = 1.0 - qab * x / qap
    dd = 1.0 / np.where(np.abs(dd) < _TINY, _TINY, dd)
    c = np.ones_like(dd)
    h: FloatArray = np.array(dd, dtype=np.float64)
    active = np.arange(h.size)
    for m in range(1, _CF_MAX_ITERATIONS):
        m2 = 2.0 * m
        ai, bi, xi = a[active], b[active], x[active]
        aa = m * (bi - m) * xi / ((qam[active] + m2) * (ai + m2))
        d1 = 1.0 + aa * dd[active]
        d1 = 1.0 / np.where(np.abs(d1) < _TINY, _TINY, d1)
        c1 = 1.0 + aa / c[active]
        c1 = np.where(np.abs(c1) < _TINY, _TINY, c1)
        h[active] *= d1 * c1
        aa = -(ai + m) * (qab[active] + m) * xi / ((ai + m2) * (qap[active] + m2))
        d2 = 1.0 + aa * d1
        d2 = 1.0 / np.where(np.abs(d2) < _TINY, _TINY, d2)
        c2 = 1.0 + aa / c1
        c2 = np.where(np.abs(c2) < _TINY, _TINY, c2)
        step = d2 * c2
        h[active] *= step
        dd[active], c[active] = d2, c2
        going = np.abs(step - 1.0) >= 1e-16
        active = active[going]
        if active.size == 0:
            break
    return h


def discounted_residual_lifetime(
    discount_rate: ArrayLike, alpha: float, beta: float, n: ArrayLike
) -> FloatArray:
    """DERL of a customer alive after ``n`` periods (FH 2010 eq. 6 with their n = ``n + 1``).

    ``sum_{k >= 1} S(n + k | n) / (1 + d)^(k - 1)
    = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))``
    (the expected discounted number of future renewals, the first one, at the end of the
    current period, undiscounted). At ``d = 0`` it is ``E[1 / theta] - 1 = (beta + n) /
    (alpha - 1)`` under the posterior ``Beta(alpha, beta + n)``, infinite when ``alpha <= 1``.
    """
    d = np.asarray(discount_rate, dtype=np.float64)
    b = beta + np.asarray(n, dtype=np.float64)
    d, b = (np.array(v, dtype=np.float64) for v in np.broadcast_arrays(d, b))
    out = np.empty(d.shape)
    at_one = d == 0.0
    out[at_one] = b[at_one] / (alpha - 1.0) if alpha > 1.0 else np.inf
    rest = ~at_one
    # one continued fraction per distinct (d, n): customer bases repeat tenures
    (du, bu), inverse = group_rows(d[rest], b[rest])
    # E[theta | n] (1 + 1/d) < 1e-17: the first-order expansion of (1 + d) E[(1 - theta) /
    # (d + theta)] in theta / d is exact in float64 (and the fraction would overflow there)
    mean = alpha / (alpha + bu)
    with np.errstate(over="ignore", divide="ignore"):  # 1/d overflows for subnormal d: not tiny
        tiny = mean * (1.0 + 1.0 / du) < 1e-17
    values = np.empty(bu.shape)
    values[tiny] = (1.0 + du[tiny]) / du[tiny] * (1.0 - mean[tiny] * (1.0 + 1.0 / du[tiny]))
    bc, dc = bu[~tiny], du[~tiny]
    a_cf = alpha + bc  # 2F1(1, a + b'; a + 1; x) with a = alpha + B, b' = 1 - alpha
    with np.errstate(over="ignore", invalid="ignore"):
        values[~tiny] = bc / a_cf * _hyp2f1_one(a_cf, np.full(bc.shape, 1.0 - alpha), 1 / (1 + dc))
    out[rest] = values[inverse.reshape(-1)]
    return out
