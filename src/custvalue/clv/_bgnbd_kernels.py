"""BG/NBD math kernels: pure functions on numpy arrays.

Every function takes each model parameter (``r``, ``alpha``, ``a``, ``b``) as a broadcastable
array argument, performs no validation and returns float64 arrays; the validated public entry
points live in :mod:`custvalue.clv.bgnbd`. Notation follows Fader, Hardie and Lee (2005):
``x`` repeat purchases, ``t_x`` time of the last purchase since the first, ``T`` the
customer's age, all times in one (caller's) unit; ``alpha`` is in that same unit.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2008). Computing P(alive) using the BG/NBD
model. http://brucehardie.com/notes/021/
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "expected_purchases_alive",
    "expected_purchases_alive_quadrature",
    "expected_purchases_conditional",
    "expected_purchases_new",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_odds_dead",
    "log_probability_of_purchases",
    "probability_alive",
    "probability_no_purchase_conditional",
]

FloatArray = NDArray[np.float64]

#: Half-width of the window around ``a = 1`` where the removable singularity of the closed
#: form is bridged by linear interpolation between ``a = 1 - A_ONE_GAP`` and ``1 + A_ONE_GAP``.
A_ONE_GAP = 1e-5
#: Below this value of ``a + b - 1`` the closed form is shifted to ``b + 1`` (avoids the
#: removable singularity at ``a + b = 1``).
C_SHIFT = 0.5
#: Below this log-value the regularised incomplete beta is replaced by its log-space series.
_LOG_TINY = -600.0
#: Above this size of ``a``, ``b`` or ``a + b - 1 - r`` the closed form's ``hyp2f1`` is not
#: trusted and the expectation is integrated numerically.
LARGE_PARAM = 1e3


def _f(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def _log_terms(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: FloatArray, alpha: FloatArray,
    a: FloatArray, b: FloatArray,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """The two terms inside the last logarithm of FHL (2005) eq. (6), as logarithms.

    ``A3 = -(r+x) ln(alpha+T)``; ``A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)`` for x > 0 and
    ``-inf`` for x = 0.
    """
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.log(a) - np.log(b + x - 1.0) - (r + x) * np.log(alpha + t_x)
    A4 = np.where(x > 0, A4, -np.inf)
    return A3, A4


def log_likelihood(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """Per-customer BG/NBD log-likelihood, FHL (2005) eq. (6), in the data's time unit.

    ``lnGamma(r+x) - lnGamma(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b) - (r+x) ln(alpha+t_x)
    + ln[((alpha+t_x)/(alpha+T))^(r+x) + 1{x>0} a/(b+x-1)]``, the last term via ``logaddexp``.
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    A3, A4 = _log_terms(xf, txf, Tf, rf, af_, aa, bb)
    out: FloatArray = (
        special.gammaln(rf + xf)
        - special.gammaln(rf)
        + rf * np.log(af_)
        + special.betaln(aa, bb + xf)
        - special.betaln(aa, bb)
        + np.logaddexp(A3, A4)
    )
    return out


def log_likelihood_gradient(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Analytic gradient of :func:`log_likelihood` in ``(r, alpha, a, b)``, per customer.

    With ``w_alive = P(alive)`` (the share of the ``A3`` term) and ``w_dead = 1 - w_alive``:
    ``d/dr = psi(r+x) - psi(r) + ln alpha - w_alive ln(alpha+T) - w_dead ln(alpha+t_x)``,
    ``d/dalpha = r/alpha - (r+x) [w_alive/(alpha+T) + w_dead/(alpha+t_x)]``,
    ``d/da = psi(a+b) - psi(a+b+x) + w_dead/a``,
    ``d/db = psi(b+x) - psi(b) + psi(a+b) - psi(a+b+x) - w_dead/(b+x-1)``.
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    A3, A4 = _log_terms(xf, txf, Tf, rf, af_, aa, bb)
    w_alive = special.expit(A3 - A4)
    w_dead = special.expit(A4 - A3)
    has_repeat = xf > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_b = np.where(has_repeat, w_dead / (bb + xf - 1.0), 0.0)
    d_r = (
        special.digamma(rf + xf)
        - special.digamma(rf)
        + np.log(af_)
        - w_alive * np.log(af_ + Tf)
        - w_dead * np.log(af_ + txf)
    )
    d_alpha = rf / af_ - (rf + xf) * (w_alive / (af_ + Tf) + w_dead / (af_ + txf))
    psi_ab = special.digamma(aa + bb)
    psi_abx = special.digamma(aa + bb + xf)
    d_a = psi_ab - psi_abx + w_dead / aa
    d_b = special.digamma(bb + xf) - special.digamma(bb) + psi_ab - psi_abx - inv_b
    return d_r, d_alpha, d_a, d_b


def log_odds_dead(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """Log-odds that a customer has dropped out, ``ln[P(dead)/P(alive)]`` (FHL 2008, eq. 1).

    ``ln a - ln(b+x-1) + (r+x) ln((alpha+T)/(alpha+t_x))`` for x > 0, ``-inf`` for x = 0.
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.log(aa) - np.log(bb + xf - 1.0) + (rf + xf) * np.log1p((Tf - txf) / (af_ + txf))
    out: FloatArray = np.where(xf > 0, odds, -np.inf)
    return out


def probability_alive(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """P(alive | x, t_x, T), FHL (2008) eq. (1), as ``expit(-log-odds of dropout)``.

    Exactly 1 for x = 0: in the BG/NBD model a customer can only drop out right after a
    repeat purchase.
    """
    out: FloatArray = special.expit(-log_odds_dead(x, t_x, T, r, alpha, a, b))
    return out


def _alive_closed_form(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """``(a+b-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)]``, z = t/(alpha+t).

    FHL (2005) eq. (9) after Euler's transformation ``2F1(r, b; c; z) = (1-z)^(c-r-b)
    2F1(c-r, c-b; c; z)``, which keeps the hypergeometric factor bounded as z -> 1 and
    independent of large ``r``. Singular at ``a = 1`` (handled by the caller).
    """
    log1mz = -np.log1p(t / alpha)  # ln(1 - z)
    z = t / (alpha + t)
    c = a + b - 1.0
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(c - r, a - 1.0, c, z)
        bracket = -np.expm1((a - 1.0) * log1mz + np.log(hyp))
        out: FloatArray = c / (a - 1.0) * bracket
    return out


def _alive_direct(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """:func:`_alive_closed_form` with the removable singularity at ``a = 1`` bridged.

    Within ``|a - 1| < A_ONE_GAP`` the value is the cubic through ``a = 1 +- A_ONE_GAP`` and
    ``1 +- 2 A_ONE_GAP`` (error ~ A_ONE_GAP**4 from the curve, ~ eps/A_ONE_GAP from cancellation).
    """
    near_one = np.abs(a - 1.0) < A_ONE_GAP
    if not np.any(near_one):
        return _alive_closed_form(t, r, alpha, a, b)
    out = _alive_closed_form(t, r, alpha, np.where(near_one, 2.0, a), b)
    nodes = (-2.0, -1.0, 1.0, 2.0)
    u = (a - 1.0) / A_ONE_GAP
    bridged = np.zeros_like(out)
    for i, ui in enumerate(nodes):
        value = _alive_closed_form(t, r, alpha, np.full_like(a, 1.0 + ui * A_ONE_GAP), b)
        weight = np.ones_like(u)
        for j, uj in enumerate(nodes):
            if j != i:
                weight = weight * (u - uj) / (ui - uj)
        bridged = bridged + weight * value
    result: FloatArray = np.where(near_one, bridged, out)
    return result


def _alive_bounds(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Rigorous bounds on the alive-customer expectation.

    ``g(p) = (1 - (1 + p t/alpha)^-r)/p`` decreases in p, so ``g(1) <= E <= g(0+) = r t/alpha``;
    for ``a > 1`` also ``E <= E[1/p] = (a+b-1)/(a-1)``.
    """
    s = t / alpha
    lower = -np.expm1(-r * np.log1p(s))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_inv = np.where(a > 1.0, (a + b - 1.0) / (a - 1.0), np.inf)
    upper = np.minimum(r * s, mean_inv)
    return lower, upper


#: Gauss-Legendre panels used by :func:`expected_purchases_alive_quadrature`.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_N_PANELS = 256


def expected_purchases_alive_quadrature(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """:func:`expected_purchases_alive` by numerical integration over ``p ~ Beta(a, b)``.

    ``E = int_0^1 (1 - (1 + p t/alpha)^-r)/p  Beta(p; a, b) dp`` (FHL 2005, the integrand of
    eq. 9), integrated in ``logit(p)`` with composite Gauss-Legendre panels between Beta
    quantiles; the mass outside is added with the integrand at the cut (``betainc``). Slower
    than the closed form (about 2,000 evaluations per value) but free of cancellation; used as
    a fallback where the closed form is inaccurate and as an independent check in the tests.
    """
    tf, rf, af_, aa, bb = (
        np.ravel(v) for v in np.broadcast_arrays(*(_f(v) for v in (t, r, alpha, a, b)))
    )
    shape = np.broadcast_shapes(*(np.shape(v) for v in (t, r, alpha, a, b)))
    s = tf / af_

    def g(p: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            val = -np.expm1(-rf[:, None] * np.log1p(p * s[:, None])) / p
        out: FloatArray = np.where(p > 0, val, (rf * s)[:, None])
        return out

    eps = 1e-17
    p_cut = np.clip(1e-14 / ((rf + 1.0) * (s + 1.0)), 1e-300, 0.5)
    log_beta = special.betaln(aa, bb)
    with np.errstate(all="ignore"):
        q_lo = special.betaincinv(aa, bb, eps)
        # upper quantile from the complement: betaincinv(a, b, 1 - eps) sees 1 - eps == 1.0
        q_hi = special.betainccinv(aa, bb, eps)
        # betaincinv can return NaN in the far tails: use the leading-order tail quantiles
        q_lo = np.where(np.isnan(q_lo), np.exp((np.log(eps * aa) + log_beta) / aa), q_lo)
        q_hi = np.where(np.isnan(q_hi), -np.expm1((np.log(eps * bb) + log_beta) / bb), q_hi)
    lo = np.clip(np.maximum(q_lo, p_cut), 1e-300, 0.5)
    hi = np.clip(q_hi, 0.5, 1.0 - 1e-16)
    lo = np.minimum(lo, hi * 0.5)
    u_lo, u_hi = special.logit(lo), special.logit(hi)
    edges = np.linspace(0.0, 1.0, _N_PANELS + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    rel = (centers[:, None] + 0.5 * (edges[1] - edges[0]) * _GL_NODES[None, :]).ravel()
    wts = np.tile(_GL_WEIGHTS, _N_PANELS) * 0.5 * (edges[1] - edges[0])
    span = (u_hi - u_lo)[:, None]
    u = u_lo[:, None] + span * rel[None, :]
    log_p = -np.logaddexp(0.0, -u)
    log_q = -np.logaddexp(0.0, u)
    dens = np.exp(aa[:, None] * log_p + bb[:, None] * log_q - special.betaln(aa, bb)[:, None])
    body = (g(np.exp(log_p)) * dens) @ wts * span[:, 0]
    tail_lo = g(lo[:, None])[:, 0] * special.betainc(aa, bb, lo)
    tail_hi = g(hi[:, None])[:, 0] * special.betaincc(aa, bb, hi)
    total: FloatArray = (body + tail_lo + tail_hi).reshape(shape)
    return total


def expected_purchases_alive(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """Expected purchases in a window of length ``t`` for a customer alive at its start.

    With ``lambda ~ Gamma(r, alpha)`` and ``p ~ Beta(a, b)``, this is FHL (2005) eq. (9):
    ``E = E_p[(1 - (alpha/(alpha + p t))^r) / p]``. For a new customer pass the prior
    parameters; conditional on a history pass the posterior ``(r+x, alpha+T, a, b+x)``
    (FHL 2005 eq. 10). When ``a + b - 1 < 0.5`` the identity
    ``E(a, b) = b/(a+b) E(a, b+1) + 1 - (1-z)^a 2F1(a+b-r, a; a+b; z)`` avoids the
    removable singularity at ``a + b = 1``.
    """
    tf, rf, af_, aa, bb = np.broadcast_arrays(*(_f(v) for v in (t, r, alpha, a, b)))
    shift = (aa + bb - 1.0) < C_SHIFT
    if not np.any(shift):
        out = _alive_direct(tf, rf, af_, aa, bb)
    else:
        b_used = np.where(shift, bb + 1.0, bb)
        out = _alive_direct(tf, rf, af_, aa, b_used)
        log1mz = -np.log1p(tf / af_)
        z = tf / (af_ + tf)
        with np.errstate(all="ignore"):
            hyp = special.hyp2f1(aa + bb - rf, aa, aa + bb, z)
            first = -np.expm1(aa * log1mz + np.log(hyp))
        out = np.where(shift, bb / (aa + bb) * out + first, out)
    lower, upper = _alive_bounds(tf, rf, af_, aa, bb)
    # Fall back to quadrature where the closed form failed or lost >= ~7 digits to the
    # cancellation in 1 - (1-z)^(a-1) 2F1(...) (when E is tiny relative to its prefactor).
    with np.errstate(all="ignore"):
        cancel = np.abs(out) < 1e-7 * np.minimum(np.abs((aa + bb - 1.0) / (aa - 1.0)), 1.0)
        # scipy's hyp2f1 loses accuracy (silently, up to ~15%) for large parameters, near
        # the bridged singularity a = 1, for tiny a and for z -> 1; integrate there instead
        # (checked against 50-digit mpmath in tests/test_numerics_mpmath.py).
        unreliable = (
            (np.maximum(np.abs(aa + bb - 1.0 - rf), np.maximum(aa, bb)) > LARGE_PARAM)
            | (np.abs(aa - 1.0) < 1e-3)
            | (aa < 1e-3)  # nearly singular Beta(a, b) at p = 0
            | (rf < 1e-3)  # E ~ r: the closed form's 1 - 2F1(...) cancels
            | (tf > 1e6 * af_)  # z = t/(alpha+t) within 1e-6 of 1
        )
        bad = (tf > 0) & (
            ~np.isfinite(out) | (out < lower * 0.999) | (out > upper * 1.001) | cancel | unreliable
        )
    if np.any(bad):
        out = np.array(out, dtype=np.float64).reshape(tf.shape)
        out[bad] = expected_purchases_alive_quadrature(tf[bad], rf[bad], af_[bad], aa[bad], bb[bad])
    result: FloatArray = np.where(tf > 0, np.clip(out, lower, upper), 0.0)
    return result


def expected_purchases_new(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """E[X(t)] for a new customer (a randomly chosen one at time 0), FHL (2005) eq. (9)."""
    return expected_purchases_alive(t, r, alpha, a, b)


def expected_purchases_conditional(
    t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike,
    alpha: ArrayLike, a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """E[X(T, T+t) | x, t_x, T], expected purchases in the next ``t``, FHL (2005) eq. (10).

    Computed as ``P(alive) * E_alive(t; r+x, alpha+T, a, b+x)`` (the posterior of a customer
    alive at T is again of BG/NBD form).
    """
    xf, Tf = _f(x), _f(T)
    p_alive = probability_alive(xf, t_x, Tf, r, alpha, a, b)
    e_alive = expected_purchases_alive(t, _f(r) + xf, _f(alpha) + Tf, a, _f(b) + xf)
    out: FloatArray = p_alive * e_alive
    return out


def probability_no_purchase_conditional(
    t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike,
    alpha: ArrayLike, a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """P(X(T, T+t) = 0 | x, t_x, T): no purchase in the next ``t`` given the history.

    ``1 - P(alive) [1 - ((alpha+T)/(alpha+T+t))^(r+x)]``: a dead customer never buys; an
    alive one has posterior ``lambda ~ Gamma(r+x, alpha+T)`` and buys nothing with
    probability ``E[exp(-lambda t)]`` (dropout only happens after a purchase).
    """
    xf, Tf, tf = _f(x), _f(T), _f(t)
    p_alive = probability_alive(xf, t_x, Tf, r, alpha, a, b)
    buy_if_alive = -np.expm1(-(_f(r) + xf) * np.log1p(tf / (_f(alpha) + Tf)))
    out: FloatArray = 1.0 - p_alive * buy_if_alive
    return out


def log_probability_of_purchases(
    n: ArrayLike, t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """ln P(X(t) = n) for a new customer, FHL (2005) eq. (8), entirely in log space.

    ``P = B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t)) + 1{n>0} B(a+1, b+n-1)/B(a, b)
    [1 - sum_{j<n} NB(j)]``; the negative-binomial tail is
    ``1 - sum_{j<n} NB(j) = I_{t/(alpha+t)}(n, r)`` (``scipy.special.betainc``), exact for any n.
    """
    nf, tf, rf, af_, aa, bb = np.broadcast_arrays(*(_f(v) for v in (n, t, r, alpha, a, b)))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(tf) - np.log(af_ + tf)  # ln(t/(alpha+t)); -inf at t = 0
        log_p = -np.log1p(tf / af_)  # ln(alpha/(alpha+t))
        log_nb = (
            special.gammaln(rf + nf)
            - special.gammaln(rf)
            - special.gammaln(nf + 1.0)
            + rf * log_p
            + np.where(nf > 0, nf * log_q, 0.0)
        )
        first = special.betaln(aa, bb + nf) - special.betaln(aa, bb) + log_nb
        n1 = np.maximum(nf, 1.0)
        tail = np.log(special.betainc(n1, rf, tf / (af_ + tf)))
        # Where I_q(n, r) underflows, use its series in log space (DLMF 8.17.8):
        # I_q(n, r) = q^n (1-q)^r / (n B(n, r)) 2F1(n+r, 1; n+1; q).
        tiny = tail < _LOG_TINY
        if np.any(tiny):
            log_series = (
                n1 * log_q
                + rf * log_p
                - np.log(n1)
                - special.betaln(n1, rf)
                + np.log(special.hyp2f1(n1 + rf, 1.0, n1 + 1.0, tf / (af_ + tf)))
            )
            tail = np.where(tiny & np.isfinite(log_series), log_series, tail)
        second = special.betaln(aa + 1.0, bb + nf - 1.0) - special.betaln(aa, bb) + tail
    second = np.where(nf > 0, second, -np.inf)
    out: FloatArray = np.logaddexp(first, second)
    return out
