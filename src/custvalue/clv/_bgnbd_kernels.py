"""BG/NBD math kernels: pure functions on numpy arrays.

Every function takes each model parameter (``r``, ``alpha``, ``a``, ``b``) as a broadcastable
array argument, performs no validation and returns float64 arrays; the validated public entry
points live in :mod:`custvalue.clv.bgnbd`. Notation follows Fader, Hardie and Lee (2005):
``x`` repeat purchases, ``t_x`` time of the last purchase since the first, ``T`` the
customer's age, all times in one (caller's) unit; ``alpha`` is in that same unit.

The MBG/NBD model (Batislam, Denizel and Filiztekin 2007) is the same process with one more
dropout opportunity, right after the first purchase: a customer with ``x`` repeat purchases
has survived ``x + 1`` opportunities instead of ``x``. Every history kernel takes
``dropout_at_zero=True`` for it (:mod:`custvalue.clv._mbgnbd_kernels` binds it); the only
changes are ``b + x -> b + x + 1`` in the Beta posterior and the dropout term present for
``x = 0`` too. A customer alive at ``T`` then buys exactly as a BG/NBD customer with the
posterior parameters, so :func:`expected_purchases_alive` and
:func:`log_probability_of_purchases` serve both models.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way:
an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2008). Computing P(alive) using the BG/NBD
model. http://brucehardie.com/notes/021/
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from custvalue._collapse import group_rows, repetition_pays
from custvalue.clv._bgnbd_interpolation import (
    QUADRATURE_NODES,
    QUADRATURE_TABLE_SHARE,
    QUADRATURE_WIDTH,
    alive_by_interpolation,
)

__all__ = [
    "expected_purchases_alive",
    "expected_purchases_alive_quadrature",
    "expected_purchases_conditional",
    "expected_purchases_new",
    "log_conditional_probability_of_purchases",
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


def _survived(x: FloatArray, dropout_at_zero: bool) -> FloatArray:
    """Dropout opportunities survived by a customer alive after ``x`` repeat purchases:
    ``x`` (BG/NBD: after each repeat purchase), ``x + 1`` (MBG/NBD: also after the first)."""
    return x + 1.0 if dropout_at_zero else x


def _log_terms(
    x: FloatArray, t_x: FloatArray, T: FloatArray, r: FloatArray, alpha: FloatArray,
    a: FloatArray, b: FloatArray, dropout_at_zero: bool = False,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """The two terms inside the last logarithm of FHL (2005) eq. (6), as logarithms.

    With ``k`` = :func:`_survived` opportunities: ``A3 = -(r+x) ln(alpha+T)`` (alive at T);
    ``A4 = ln a - ln(b+k-1) - (r+x) ln(alpha+t_x)`` (dropped out right after the last
    purchase) for k > 0 and ``-inf`` for k = 0.
    """
    k = _survived(x, dropout_at_zero)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.log(a) - np.log(b + k - 1.0) - (r + x) * np.log(alpha + t_x)
    A4 = np.where(k > 0, A4, -np.inf)
    return A3, A4


def log_likelihood(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """Per-customer BG/NBD log-likelihood, FHL (2005) eq. (6), in the data's time unit.

    ``lnGamma(r+x) - lnGamma(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b) - (r+x) ln(alpha+t_x)
    + ln[((alpha+t_x)/(alpha+T))^(r+x) + 1{x>0} a/(b+x-1)]``, the last term via ``logaddexp``.
    With ``dropout_at_zero`` (MBG/NBD, Batislam et al. 2007 eq. 3) ``x`` becomes ``x + 1``
    in ``lnB(a, b+x)`` and in the dropout term, which is then present for ``x = 0`` too.
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    A3, A4 = _log_terms(xf, txf, Tf, rf, af_, aa, bb, dropout_at_zero)
    out: FloatArray = (
        special.gammaln(rf + xf)
        - special.gammaln(rf)
        + rf * np.log(af_)
        + special.betaln(aa, bb + _survived(xf, dropout_at_zero))
        - special.betaln(aa, bb)
        + np.logaddexp(A3, A4)
    )
    return out


def log_likelihood_gradient(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Analytic gradient of :func:`log_likelihood` in ``(r, alpha, a, b)``, per customer.

    With ``w_alive = P(alive)`` (the share of the ``A3`` term) and ``w_dead = 1 - w_alive``:
    ``d/dr = psi(r+x) - psi(r) + ln alpha - w_alive ln(alpha+T) - w_dead ln(alpha+t_x)``,
    ``d/dalpha = r/alpha - (r+x) [w_alive/(alpha+T) + w_dead/(alpha+t_x)]``,
    ``d/da = psi(a+b) - psi(a+b+x) + w_dead/a``,
    ``d/db = psi(b+x) - psi(b) + psi(a+b) - psi(a+b+x) - w_dead/(b+x-1)``
    (``x`` -> ``x + 1`` in the ``a``, ``b`` terms with ``dropout_at_zero``).
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    A3, A4 = _log_terms(xf, txf, Tf, rf, af_, aa, bb, dropout_at_zero)
    w_alive = special.expit(A3 - A4)
    w_dead = special.expit(A4 - A3)
    k = _survived(xf, dropout_at_zero)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_b = np.where(k > 0, w_dead / (bb + k - 1.0), 0.0)
    d_r = (
        special.digamma(rf + xf)
        - special.digamma(rf)
        + np.log(af_)
        - w_alive * np.log(af_ + Tf)
        - w_dead * np.log(af_ + txf)
    )
    d_alpha = rf / af_ - (rf + xf) * (w_alive / (af_ + Tf) + w_dead / (af_ + txf))
    psi_ab = special.digamma(aa + bb)
    psi_abx = special.digamma(aa + bb + k)
    d_a = psi_ab - psi_abx + w_dead / aa
    d_b = special.digamma(bb + k) - special.digamma(bb) + psi_ab - psi_abx - inv_b
    return d_r, d_alpha, d_a, d_b


def log_odds_dead(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """Log-odds that a customer has dropped out, ``ln[P(dead)/P(alive)]`` (FHL 2008, eq. 1).

    ``ln a - ln(b+x-1) + (r+x) ln((alpha+T)/(alpha+t_x))`` for x > 0, ``-inf`` for x = 0;
    with ``dropout_at_zero`` (MBG/NBD, Batislam et al. 2007 appendix eq. 5)
    ``ln a - ln(b+x) + ...`` for every x.
    """
    xf, txf, Tf, rf, af_, aa, bb = (_f(v) for v in (x, t_x, T, r, alpha, a, b))
    k = _survived(xf, dropout_at_zero)
    # in place in one array of the broadcast shape: 1M customers are a few fresh arrays
    # fewer (the same operations, so the same values, as the one-line formula)
    out: FloatArray = np.empty(np.broadcast_shapes(*(v.shape for v in (xf, txf, Tf, rf, af_))))
    np.subtract(Tf, txf, out=out)
    out /= af_ + txf
    np.log1p(out, out=out)
    out *= rf + xf
    with np.errstate(divide="ignore", invalid="ignore"):
        out += np.log(aa) - np.log(bb + k - 1.0)
    if not dropout_at_zero:  # x = 0: alive with certainty
        np.copyto(out, -np.inf, where=k <= 0)
    return out


def probability_alive(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """P(alive | x, t_x, T), FHL (2008) eq. (1), as ``1 / (1 + odds of dropout)``.

    Exactly 1 for x = 0 in the BG/NBD model: a customer can only drop out right after a
    repeat purchase (not so with ``dropout_at_zero``).
    """
    out = log_odds_dead(x, t_x, T, r, alpha, a, b, dropout_at_zero=dropout_at_zero)
    # 1 / (1 + odds) in place: scipy's expit is not vectorised (~6 ns a value against ~1)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def _alive_closed_form(
    s: FloatArray, log1p_s: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """``(a+b-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)]``, z = t/(alpha+t).

    FHL (2005) eq. (9) after Euler's transformation ``2F1(r, b; c; z) = (1-z)^(c-r-b)
    2F1(c-r, c-b; c; z)``, which keeps the hypergeometric factor bounded as z -> 1 and
    independent of large ``r``. Singular at ``a = 1`` (handled by the caller). Takes
    ``s = t/alpha`` and ``ln(1 + s) = -ln(1 - z)``; the arguments are not broadcast against
    each other beforehand, so terms of the parameters alone (``a + b - 1``, ...) cost one
    value per customer, not one per customer and horizon.
    """
    z = s / (1.0 + s)
    c = a + b - 1.0
    with np.errstate(all="ignore"):
        hyp = special.hyp2f1(c - r, a - 1.0, c, z)
        bracket = -np.expm1(np.log(hyp) - (a - 1.0) * log1p_s)
        out: FloatArray = c / (a - 1.0) * bracket
    return out


def _alive_direct(
    s: FloatArray, log1p_s: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """:func:`_alive_closed_form` with the removable singularity at ``a = 1`` bridged.

    Within ``|a - 1| < A_ONE_GAP`` the value is the cubic through ``a = 1 +- A_ONE_GAP`` and
    ``1 +- 2 A_ONE_GAP`` (error ~ A_ONE_GAP**4 from the curve, ~ eps/A_ONE_GAP from cancellation).
    """
    near_one = np.abs(a - 1.0) < A_ONE_GAP
    if not np.any(near_one):
        return _alive_closed_form(s, log1p_s, r, a, b)
    out = _alive_closed_form(s, log1p_s, r, np.where(near_one, 2.0, a), b)
    nodes = (-2.0, -1.0, 1.0, 2.0)
    u = (a - 1.0) / A_ONE_GAP
    bridged = np.zeros_like(out)
    for i, ui in enumerate(nodes):
        value = _alive_closed_form(s, log1p_s, r, np.full_like(a, 1.0 + ui * A_ONE_GAP), b)
        weight = np.ones_like(u)
        for j, uj in enumerate(nodes):
            if j != i:
                weight = weight * (u - uj) / (ui - uj)
        bridged = bridged + weight * value
    result: FloatArray = np.where(near_one, bridged, out)
    return result


def _alive_bounds(
    s: FloatArray, log1p_s: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Rigorous bounds on the alive-customer expectation (``s = t/alpha``).

    ``g(p) = (1 - (1 + p t/alpha)^-r)/p`` decreases in p, so ``g(1) <= E <= g(0+) = r t/alpha``;
    for ``a > 1`` also ``E <= E[1/p] = (a+b-1)/(a-1)``.
    """
    lower = -np.expm1(-r * log1p_s)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_inv = np.where(a > 1.0, (a + b - 1.0) / (a - 1.0), np.inf)
    upper = np.minimum(r * s, mean_inv)
    return lower, upper


#: Gauss-Legendre rule per panel of :func:`expected_purchases_alive_quadrature`.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
#: Widest panel, in logit(p), and the bounds on the number of panels per value.
_PANEL_WIDTH = 2.0
_MIN_PANELS, _MAX_PANELS = 4, 1024
#: Where ``b p`` exceeds this the integrand falls steeply (like ``(1 - p)^b``).
_STEEP = 1.0
#: Values integrated at once by :func:`expected_purchases_alive_quadrature`: its working set
#: is about eight arrays of ``_QUAD_CHUNK * 8 * n_panels`` floats (<= 4 MiB each, n_panels
#: <= 1024) whatever the number of values.
_QUAD_CHUNK = 64
#: Beta mass left out of the integration range (its contribution is added in closed form).
_TAIL_MASS = 1e-17
#: Below ``p = _FLAT / ((r + 1) (s + 1))`` the integrand equals its value at 0 to ~_FLAT.
_FLAT = 1e-14
#: Where ``min(a, b)`` exceeds this the Beta law is nearly normal in logit(p): the range is
#: clipped to ``_NORMAL_SDS`` standard deviations around its mode.
_NORMAL_SHAPE, _NORMAL_SDS = 30.0, 20.0


@functools.lru_cache(maxsize=32)
def _unit_nodes(n_panels: int) -> tuple[FloatArray, FloatArray]:
    """Composite Gauss-Legendre nodes and weights on [0, 1] (``n_panels`` equal panels)."""
    edges = np.linspace(0.0, 1.0, n_panels + 1)
    half = 0.5 * (edges[1] - edges[0])
    centers = edges[:-1] + half
    nodes = (centers[:, None] + half * _GL_NODES[None, :]).ravel()
    weights: FloatArray = np.tile(_GL_WEIGHTS, n_panels) * half
    return nodes, weights


def _log_g(log_p: FloatArray, log_s: FloatArray, r: FloatArray) -> FloatArray:
    """``ln g(p)``, ``g(p) = (1 - (1 + p s)^-r) / p``, from ``ln p`` and ``ln s`` (no overflow)."""
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log(-np.expm1(-r * np.logaddexp(0.0, log_p + log_s))) - log_p
    return out


def _log_beta_quantile(log_mass: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """``ln`` of the Beta(a, b) quantile at ``exp(log_mass)`` (lower tail), for tiny masses.

    ``betaincinv`` where it answers; else the leading-order tail ``(ln(mass a) + ln B) / a``
    (also for masses below the float64 range).
    """
    with np.errstate(all="ignore"):
        q = special.betaincinv(a, b, np.exp(np.maximum(log_mass, -700.0)))
        approx = (log_mass + np.log(a) + special.betaln(a, b)) / a
        out: FloatArray = np.where(
            (log_mass > -700.0) & (q > 0) & np.isfinite(q), np.log(q), np.minimum(approx, 0.0)
        )
    return out


def _logit_integral(
    u0: FloatArray, u1: FloatArray, width: FloatArray, log_s: FloatArray, r: FloatArray,
    a: FloatArray, b: FloatArray, log_beta: FloatArray,
) -> FloatArray:  # fmt: skip
    """``int_{u0}^{u1} g(p) Beta(p; a, b) dp/du du``, ``p = expit(u)``, composite Gauss-Legendre.

    One panel count for the chunk, enough for every value's ``(u1 - u0) / width``.
    """
    span = u1 - u0
    if not np.any(span > 0):
        return np.zeros(span.shape)
    n_panels = int(np.clip(np.ceil(np.max(span / width)), _MIN_PANELS, _MAX_PANELS))
    nodes, weights = _unit_nodes(n_panels)
    u = u0[:, None] + span[:, None] * nodes[None, :]
    log_p = -np.logaddexp(0.0, -u)
    log_q = log_p - u  # logit: u = ln p - ln(1 - p)
    log_body = _log_g(log_p, log_s[:, None], r[:, None])
    log_body += a[:, None] * log_p + b[:, None] * log_q - log_beta[:, None]
    out: FloatArray = np.exp(log_body, out=log_body) @ weights * span
    return out


def _alive_quadrature_chunk(
    log_s: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """:func:`expected_purchases_alive_quadrature` on one chunk of 1-D inputs (``s = t/alpha``)."""
    log_beta = special.betaln(a, b)
    # The range starts where the Beta mass below it, weighted by the integrand's largest value
    # g(0) = r s, is below _TAIL_MASS relative to E (E >= g(1), as g decreases); the tail is
    # then g(lo) times that mass. For large t most of E sits near p ~ 1/s, far below the
    # usual Beta quantiles, and is integrated; never below the flat region of g.
    # ln g(1) = ln(1 - (1 + s)^-r); for tiny y = r ln(1 + s) it is ln y - y/2, computed as
    # ln r + ln ln(1 + s) so that y underflowing to 0 (s ~ 1e-320) still gives a finite log
    log1p_s = np.logaddexp(0.0, log_s)
    y = r * log1p_s
    with np.errstate(divide="ignore"):  # t = 0 exactly: ln 0 = -inf is the right answer
        log_lower = np.where(y > 1e-8, np.log(-np.expm1(-y)), np.log(r) + np.log(log1p_s) - 0.5 * y)
    log_mass = np.log(_TAIL_MASS) + np.minimum(0.0, log_lower - np.log(r) - log_s)
    log_flat = np.log(_FLAT) - np.log1p(r) - np.logaddexp(0.0, log_s)
    with np.errstate(all="ignore"):
        # upper quantile from the complement: betaincinv(a, b, 1 - eps) sees 1 - eps == 1.0
        q_hi = special.betainccinv(a, b, _TAIL_MASS)
        q_hi = np.where(np.isnan(q_hi), -np.expm1((np.log(_TAIL_MASS * b) + log_beta) / b), q_hi)
    hi = np.clip(q_hi, 1e-300, 1.0 - 1e-16)
    log_lo = np.maximum(_log_beta_quantile(log_mass, a, b), log_flat)
    log_lo = np.minimum(log_lo, np.log(0.5 * hi))
    u_lo = log_lo - np.log1p(-np.exp(log_lo))  # logit(lo)
    u_hi = special.logit(hi)
    # Nearly normal Beta laws (both shapes large): +-20 sd around the mode in logit(p) (the
    # mass beyond is below e^-150 relative, and g changes by O(1) over the whole range).
    sd = np.sqrt(1.0 / a + 1.0 / b)
    normal = np.minimum(a, b) > _NORMAL_SHAPE
    mode = np.log(a) - np.log(b)
    u_lo = np.where(normal, np.maximum(u_lo, mode - _NORMAL_SDS * sd), u_lo)
    u_hi = np.where(normal, np.minimum(u_hi, mode + _NORMAL_SDS * sd), u_hi)
    log_lo = np.where(normal, -np.logaddexp(0.0, -u_lo), log_lo)
    hi = np.where(normal, special.expit(u_hi), hi)
    # The slope of the log-integrand in u is at most a (1 - p) + b p + 1: split the range
    # where b p reaches _STEEP, so that the long flat left part gets wide panels and only
    # the short right part (b p from _STEEP up to ~40) narrow ones.
    u_mid = np.clip(special.logit(np.minimum(_STEEP / b, 0.5)), u_lo, u_hi)
    u_mid = np.where(normal, u_hi, u_mid)
    width_left = np.minimum(_PANEL_WIDTH, 5.0 / (a + _STEEP + 1.0))
    width_left = np.where(normal, np.minimum(width_left, 0.5 * sd), width_left)
    width_right = np.minimum(_PANEL_WIDTH, 5.0 / (a + b * hi + 1.0))
    body = _logit_integral(u_lo, u_mid, width_left, log_s, r, a, b, log_beta)
    body += _logit_integral(u_mid, u_hi, width_right, log_s, r, a, b, log_beta)
    # the tails: the integrand at the cut times the Beta mass beyond it
    with np.errstate(all="ignore"):
        mass_lo = np.where(
            log_lo < -69.0,
            a * log_lo - np.log(a) - log_beta,  # DLMF 8.17.7, leading term (exact to ~b lo)
            np.log(special.betainc(a, b, np.exp(np.maximum(log_lo, -69.0)))),
        )
    tail_lo = np.exp(_log_g(log_lo, log_s, r) + mass_lo)
    tail_hi = np.exp(_log_g(np.log(hi), log_s, r)) * special.betaincc(a, b, hi)
    out: FloatArray = body + tail_lo + tail_hi
    return out


def expected_purchases_alive_quadrature(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """:func:`expected_purchases_alive` by numerical integration over ``p ~ Beta(a, b)``.

    ``E = int_0^1 (1 - (1 + p t/alpha)^-r)/p  Beta(p; a, b) dp`` (FHL 2005, the integrand of
    eq. 9), integrated in ``logit(p)`` with composite 8-point Gauss-Legendre panels (4 to
    1,024, narrow enough for the integrand's steepest slope) between a lower cut (a Beta
    quantile or, for large ``t/alpha``, where the integrand becomes flat) and the upper
    ``1 - 1e-17`` quantile; the mass outside is added
    with the integrand at the cut (``betainc``). Everything is in log space, so ``t`` may be
    any finite value. Free of cancellation; used as a fallback where the closed form is
    inaccurate and as an independent check in the tests. Memory is bounded: values are
    integrated ``_QUAD_CHUNK`` at a time.
    """
    tf, rf, af_, aa, bb = (
        np.ravel(v) for v in np.broadcast_arrays(*(_f(v) for v in (t, r, alpha, a, b)))
    )
    shape = np.broadcast_shapes(*(np.shape(v) for v in (t, r, alpha, a, b)))
    with np.errstate(divide="ignore"):
        log_s = np.log(tf) - np.log(af_)
    out = np.empty(tf.size)
    # t = 0 (ln s = -inf) and far tails give infinities on the way; the result is masked below
    with np.errstate(all="ignore"):
        for lo in range(0, tf.size, _QUAD_CHUNK):
            sl = slice(lo, lo + _QUAD_CHUNK)
            out[sl] = _alive_quadrature_chunk(log_s[sl], rf[sl], aa[sl], bb[sl])
    # t = 0: no window, no purchases
    result: FloatArray = np.where(tf > 0, out, 0.0).reshape(shape)
    return result


def _quadrature_once_per_value(*columns: FloatArray) -> FloatArray:
    """:func:`expected_purchases_alive_quadrature` of 1-D columns, once per distinct row.

    The quadrature costs ~0.1 ms per value; customer bases repeat ``(x, T)`` a lot.
    """
    if columns[0].size < 2:
        return expected_purchases_alive_quadrature(*columns)
    unique, inverse = group_rows(*columns)
    out: FloatArray = expected_purchases_alive_quadrature(*unique)[inverse]
    return out


def expected_purchases_alive(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """Expected purchases in a window of length ``t`` for a customer alive at its start.

    With ``lambda ~ Gamma(r, alpha)`` and ``p ~ Beta(a, b)``, this is FHL (2005) eq. (9):
    ``E = E_p[(1 - (alpha/(alpha + p t))^r) / p]``. For a new customer pass the prior
    parameters; conditional on a history pass the posterior ``(r+x, alpha+T, a, b+x)``
    (FHL 2005 eq. 10). When ``a + b - 1 < 0.5`` the identity
    ``E(a, b) = b/(a+b) E(a, b+1) + 1 - (1-z)^a 2F1(a+b-r, a; a+b; z)`` avoids the
    removable singularity at ``a + b = 1``. The arguments broadcast; each intermediate has
    the shape of the arguments it depends on (horizons ``(k, 1)`` against customers ``(n,)``
    compute the customers' terms once). Large inputs are evaluated in blocks of
    :data:`BLOCK_VALUES` values along the last axis, so the dozen intermediates stay in the
    processor's cache instead of streaming through fresh memory (about 1.6x faster at 12M
    values, and a bounded working set).
    """
    args = [_f(v) for v in (t, r, alpha, a, b)]
    shape = np.broadcast_shapes(*(v.shape for v in args))
    size = math.prod(shape)
    if size <= 2 * BLOCK_VALUES or shape[-1] < 2:
        return _alive_block(shape, args)
    n_last = shape[-1]
    step = max(1, BLOCK_VALUES // (size // n_last))
    out = np.empty(shape)
    for lo in range(0, n_last, step):
        sl = slice(lo, lo + step)
        part = [v[..., sl] if v.ndim and v.shape[-1] == n_last else v for v in args]
        out[..., sl] = _alive_block(out[..., sl].shape, part)
    return out


#: Values per block of :func:`expected_purchases_alive` (about 1 MiB per intermediate).
BLOCK_VALUES = 1 << 17


def _alive_block(shape: tuple[int, ...], args: list[FloatArray]) -> FloatArray:
    """:func:`expected_purchases_alive` of one block: ``args`` are ``(t, r, alpha, a, b)``
    and ``shape`` their broadcast shape."""
    tf, rf, af_, aa, bb = args
    with np.errstate(all="ignore"):
        s = tf / af_
        log1p_s = np.log1p(s)
    c = aa + bb - 1.0
    shift = c < C_SHIFT
    if not np.any(shift):
        out = _alive_direct(s, log1p_s, rf, aa, bb)
    else:
        out = _alive_direct(s, log1p_s, rf, aa, np.where(shift, bb + 1.0, bb))
        with np.errstate(all="ignore"):
            hyp = special.hyp2f1(aa + bb - rf, aa, aa + bb, s / (1.0 + s))
            first = -np.expm1(np.log(hyp) - aa * log1p_s)
        out = np.where(shift, bb / (aa + bb) * out + first, out)
    lower, upper = _alive_bounds(s, log1p_s, rf, aa, bb)
    # Fall back to quadrature where the closed form failed or lost >= ~5 digits to the
    # cancellation in 1 - (1-z)^(a-1) 2F1(...) (when E is tiny relative to its prefactor:
    # at 1e-7 of it, r = 0.01 and t/alpha ~ 1e-5, the closed form was 5e-8 off 40-digit mpmath).
    with np.errstate(all="ignore"):
        cancel = np.abs(out) < 1e-5 * np.abs(c / (aa - 1.0))
        # scipy's hyp2f1 loses accuracy (silently, up to ~15%) for large parameters, near
        # the bridged singularity a = 1, for tiny a and for z -> 1; integrate there instead
        # (checked against 50-digit mpmath in tests/test_numerics_mpmath.py).
        unreliable = (
            (np.maximum(np.abs(c - rf), np.maximum(aa, bb)) > LARGE_PARAM)
            | (np.abs(aa - 1.0) < 1e-3)
            | (aa < 1e-3)  # nearly singular Beta(a, b) at p = 0
            | (rf < 1e-3)  # E ~ r: the closed form's 1 - 2F1(...) cancels
        )
        bad = (tf > 0) & (
            ~np.isfinite(out)
            | (out < lower * 0.999)
            | (out > upper * 1.001)
            | cancel
            | unreliable
            | (tf > 1e6 * af_)  # z = t/(alpha+t) within 1e-6 of 1
        )
    out = np.broadcast_to(out, shape)
    if np.any(bad):
        out = np.array(out, dtype=np.float64)
        columns = (np.broadcast_to(v, shape)[bad] for v in (tf, rf, af_, aa, bb))
        out[bad] = _quadrature_once_per_value(*columns)
    result: FloatArray = np.where(tf > 0, np.clip(out, lower, upper), 0.0)
    return result


def expected_purchases_new(
    t: ArrayLike, r: ArrayLike, alpha: ArrayLike, a: ArrayLike, b: ArrayLike
) -> FloatArray:
    """E[X(t)] for a new customer (a randomly chosen one at time 0), FHL (2005) eq. (9)."""
    return expected_purchases_alive(t, r, alpha, a, b)


def expected_purchases_conditional(
    t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike,
    alpha: ArrayLike, a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """E[X(T, T+t) | x, t_x, T], expected purchases in the next ``t``, FHL (2005) eq. (10).

    Computed as ``P(alive) * E_alive(t; r+x, alpha+T, a, b+x)`` (the posterior of a customer
    alive at T is again of BG/NBD form); ``b+x+1`` with ``dropout_at_zero`` (MBG/NBD, Wagner
    and Hoppe 2008).
    """
    xf, Tf, tf = _f(x), _f(T), _f(t)
    p_alive = probability_alive(xf, t_x, Tf, r, alpha, a, b, dropout_at_zero=dropout_at_zero)
    b_post = _f(b) + (1.0 if dropout_at_zero else 0.0)  # b of the survivors of time 0
    xb, Tb = np.broadcast_arrays(xf, Tf)
    groupable = (
        xb.ndim == 1
        and (tf.ndim == 0 or tf.shape == xb.shape or (tf.ndim == 2 and tf.shape[1] == 1))
        and xb.size >= GROUP_MIN
        and all(np.ndim(v) == 0 for v in (r, alpha, a, b))
    )
    if groupable:
        e_alive = _alive_once_per_history(tf, xb, Tb, r, alpha, a, b_post)
    else:
        e_alive = expected_purchases_alive(tf, _f(r) + xf, _f(alpha) + Tf, a, b_post + xf)
    out: FloatArray = p_alive * e_alive
    return out


#: Inputs with at least this many customers are considered for grouping identical rows.
GROUP_MIN = 20_000


def _alive_once_per_history(
    t: FloatArray, x: FloatArray, T: FloatArray, r: ArrayLike, alpha: ArrayLike,
    a: ArrayLike, b: ArrayLike,
) -> FloatArray:  # fmt: skip
    """``E_alive(t; r+x, alpha+T, a, b+x)``, once per distinct ``(x, T)`` (and ``t``).

    ``x`` and ``T`` are 1-D columns of customers; ``t`` is a scalar, one horizon per customer,
    or a column ``(k, 1)`` of horizons shared by all (the result is then ``(k, n)``). The
    expectation of a customer alive at T does not depend on ``t_x``, so it repeats far
    more than whole histories do (e.g. ~30,000 distinct (x, T) among 1M customers acquired
    over three years on a day grid, against ~420,000 distinct histories). Grouping is used
    only when a sample shows enough repetition (:func:`repetition_pays`): the 2F1 closed form
    costs ~0.1-1 us per value and the grouping ~0.05-0.5 us per customer.
    """
    columns = (t, x, T) if t.shape == x.shape else (x, T)
    varying = [i for i, c in enumerate(columns) if not (c == c[0]).all()]

    def alive(tt: FloatArray, xx: FloatArray, TT: FloatArray) -> FloatArray:
        return expected_purchases_alive(tt, _f(r) + xx, _f(alpha) + TT, a, _f(b) + xx)

    if varying and not repetition_pays(*(columns[i] for i in varying)):
        # nothing repeats (continuous times): one smooth function of t/(alpha+T) per x
        params = (float(r), float(alpha), float(a), float(b))  # type: ignore[arg-type]
        interpolated = alive_by_interpolation(expected_purchases_alive, t, x, T, *params)
        return alive(t, x, T) if interpolated is None else interpolated
    # group on the varying columns only (a common horizon t costs a ranking pass for nothing)
    grouped = [c[:1] for c in columns]
    inverse: NDArray[np.intp] = np.zeros(x.size, dtype=np.intp)
    if varying:
        unique, inverse = group_rows(*(columns[i] for i in varying))
        for i, u in zip(varying, unique, strict=True):
            grouped[i] = u
    tu, xu, Tu = grouped if len(grouped) == 3 else (t, *grouped)
    if _quadrature_region(r, a, b):
        # every distinct value would be a quadrature: a table of them per distinct x pays
        params = (float(r), float(alpha), float(a), float(b))  # type: ignore[arg-type]
        interpolated = alive_by_interpolation(
            expected_purchases_alive, tu, xu, Tu, *params, table_share=QUADRATURE_TABLE_SHARE,
            width=QUADRATURE_WIDTH, nodes=QUADRATURE_NODES,
        )  # fmt: skip
        if interpolated is not None:
            return interpolated[..., inverse]
    out: FloatArray = alive(tu, xu, Tu)[..., inverse]
    return out


def _quadrature_region(r: ArrayLike, a: ArrayLike, b: ArrayLike) -> bool:
    """Whether the parameters alone send the alive expectation to quadrature (the conditions
    of :func:`_alive_block` that hold whatever the history): scalar parameters only."""
    if any(np.ndim(v) for v in (r, a, b)):
        return False
    rr, aa, bb = float(r), float(a), float(b)  # type: ignore[arg-type]
    return abs(aa - 1.0) < 1e-3 or aa < 1e-3 or rr < 1e-3 or max(aa, bb) > LARGE_PARAM


def probability_no_purchase_conditional(
    t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike,
    alpha: ArrayLike, a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """P(X(T, T+t) = 0 | x, t_x, T): no purchase in the next ``t`` given the history.

    ``1 - P(alive) [1 - ((alpha+T)/(alpha+T+t))^(r+x)]``: a dead customer never buys; an
    alive one has posterior ``lambda ~ Gamma(r+x, alpha+T)`` and buys nothing with
    probability ``E[exp(-lambda t)]`` (dropout only happens after a purchase).
    """
    xf, Tf, tf = _f(x), _f(T), _f(t)
    p_alive = probability_alive(xf, t_x, Tf, r, alpha, a, b, dropout_at_zero=dropout_at_zero)
    log_stay = -(_f(r) + xf) * np.log1p(tf / (_f(alpha) + Tf))
    buy_if_alive = -np.expm1(log_stay)
    # 1 - P(alive) * buy cancels when both are near 1 (x = 0, long t: 1 - (1 - 2e-7) loses
    # 9 digits); there (1 - P(alive)) + P(alive) * stay keeps the small result's digits
    out: FloatArray = np.where(
        buy_if_alive > 0.5,
        (1.0 - p_alive) + p_alive * np.exp(log_stay),
        1.0 - p_alive * buy_if_alive,
    )
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


def log_conditional_probability_of_purchases(
    n: ArrayLike, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike, r: ArrayLike,
    alpha: ArrayLike, a: ArrayLike, b: ArrayLike, *, dropout_at_zero: bool = False,
) -> FloatArray:  # fmt: skip
    """ln P(X(T, T+t) = n | x, t_x, T): ``n`` purchases in the next ``t`` given the history.

    A customer alive at ``T`` has the posterior ``lambda ~ Gamma(r+x, alpha+T)``, ``p ~ Beta(a,
    b+x)`` and, the Poisson process being memoryless, buys in ``(T, T+t]`` exactly like a new
    customer of a BG/NBD model with those parameters; a dead one never buys. So (FHL 2008,
    and Fader, Hardie and Lee's conditional-PMF note)
    ``P = P(alive) P_new(n; t, r+x, alpha+T, a, b+x) + 1{n=0} (1 - P(alive))``, evaluated with
    ``logaddexp`` from the log-odds of dropout and :func:`log_probability_of_purchases` (its
    negative-binomial tail is a regularised incomplete beta), so ``x`` in the ten thousands
    and ``n`` in the thousands stay finite. With ``dropout_at_zero`` (MBG/NBD) the posterior
    is ``Beta(a, b+x+1)``; and at ``x = t_x = T = 0`` this is the new customer's PMF.
    """
    nf, xf, Tf = _f(n), _f(x), _f(T)
    odds = log_odds_dead(xf, t_x, Tf, r, alpha, a, b, dropout_at_zero=dropout_at_zero)
    log_alive = -np.logaddexp(0.0, odds)
    log_dead = odds + log_alive  # -inf when alive with certainty (BG/NBD, x = 0)
    b_post = _f(b) + _survived(xf, dropout_at_zero)
    log_new = log_probability_of_purchases(nf, t, _f(r) + xf, _f(alpha) + Tf, a, b_post)
    both = np.logaddexp(log_alive + log_new, np.where(nf == 0, log_dead, -np.inf))
    out: FloatArray = np.minimum(both, 0.0)  # P(alive) + P(dead) may round to 1 + eps
    return out
