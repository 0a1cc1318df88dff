"""The Gamma-Gamma fitter's own objective (``clv._gamma_gamma_fit``) against independent values.

``GammaGamma.fit`` does not call the public log-likelihood and gradient: it maximises
``SpendObjective``, which regroups the sums by distinct frequency and caches the per-row work
on gamma. So its value and gradient are checked here directly, against a 30-digit mpmath
evaluation of Fader & Hardie (2013) eq. (1a) and its derivatives (``mpmath.diff``), and
against central differences of the objective itself; the profile-likelihood derivative used
for the starting values is checked against the full gradient and a finite difference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.special import gammaln

from custvalue.clv._gamma_gamma_fit import SpendObjective, starting_values

mp = pytest.importorskip("mpmath")

EPS = float(np.finfo(np.float64).eps)


@st.composite
def weighted_spend(draw: st.DrawFn, max_size: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat buyers only (x >= 1, m > 0) with ties in x and positive weights."""
    n = draw(st.integers(1, max_size))
    x = draw(st.lists(st.sampled_from([1, 2, 3, 7, 40]), min_size=n, max_size=n))
    m = draw(st.lists(st.floats(0.5, 500.0), min_size=n, max_size=n))
    w = draw(st.lists(st.sampled_from([1.0, 2.0, 0.5, 13.0]), min_size=n, max_size=n))
    return np.array(x, float), np.array(m), np.array(w)


params = st.tuples(st.floats(0.2, 30.0), st.floats(0.2, 30.0), st.floats(0.5, 200.0))


def mp_log_likelihood(theta: tuple[object, ...], x: np.ndarray, m: np.ndarray, w: np.ndarray):  # type: ignore[no-untyped-def]
    p, q, g = theta
    total = mp.mpf(0)
    for xi, mi, wi in zip(x, m, w, strict=True):
        xi, mi, wi = mp.mpf(float(xi)), mp.mpf(float(mi)), mp.mpf(float(wi))
        total += wi * (
            mp.loggamma(p * xi + q)
            - mp.loggamma(p * xi)
            - mp.loggamma(q)
            + q * mp.log(g)
            + (p * xi - 1) * mp.log(mi)
            + p * xi * mp.log(xi)
            - (p * xi + q) * mp.log(g + xi * mi)
        )
    return total


def mp_gradient(theta: tuple[float, float, float], x: np.ndarray, m: np.ndarray, w: np.ndarray):  # type: ignore[no-untyped-def]
    out = []
    with mp.workdps(30):
        base = [mp.mpf(v) for v in theta]
        for i in range(3):

            def along(t, i=i):  # type: ignore[no-untyped-def]
                point = list(base)
                point[i] = t
                return mp_log_likelihood(tuple(point), x, m, w)

            out.append(float(mp.diff(along, base[i])))
        value = float(mp_log_likelihood(tuple(base), x, m, w))
    return value, np.array(out)


@settings(max_examples=min(settings.default.max_examples, 15))
@given(weighted_spend(max_size=4), params)
def test_objective_value_and_gradient_match_mpmath(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], theta: tuple[float, float, float]
) -> None:
    x, m, w = data
    ll, grad = SpendObjective(x, m, w)(np.array(theta))
    ref_ll, ref_grad = mp_gradient(theta, x, m, w)
    # the float64 sums lose a few ulps of the largest term; terms are at most ~ W * 1e3
    scale = float(w.sum()) * (1.0 + float(np.max(x)) * max(theta) * 10.0)
    assert ll == pytest.approx(ref_ll, rel=1e-11, abs=1e-12 * scale)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-11 * scale)


@given(weighted_spend(), params)
def test_objective_gradient_matches_central_differences(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], theta: tuple[float, float, float]
) -> None:
    """Central differences with step h = eps^(1/3) theta_i: error h^2 |f'''| / 6 + eps S / h.

    S is the sum of the absolute values of the terms of the log-likelihood (what rounding acts
    on); over the sampled range theta_i^3 |f'''| / 6 stays below S, so the total error is
    below 2 eps^(2/3) S / theta_i, and the test allows 10 eps^(2/3) S / theta_i.
    """
    x, m, w = data
    obj = SpendObjective(x, m, w)
    t = np.array(theta)
    _, grad = obj(t)
    p, q, g = theta
    px = p * x
    terms = [gammaln(px + q), gammaln(px), gammaln(q) + 0 * x, q * math.log(g) + 0 * x,
             (px - 1) * np.log(m), px * np.log(x), (px + q) * np.log(g + x * m)]  # fmt: skip
    size = float(w @ np.sum(np.abs(terms), axis=0))
    for i in range(3):
        h = EPS ** (1 / 3) * t[i]
        up, down = t.copy(), t.copy()
        up[i] += h
        down[i] -= h
        fd = (obj(up)[0] - obj(down)[0]) / (up[i] - down[i])
        tol = 10 * EPS ** (2 / 3) * size / t[i]
        assert abs(grad[i] - fd) <= tol, (i, grad[i], fd, tol)


def test_check_grad_at_the_cdnow_estimates() -> None:
    """scipy.optimize.check_grad on a realistic data set at the published CDNOW estimates."""
    rng = np.random.default_rng(7)
    x = rng.integers(1, 20, size=300).astype(float)
    m = rng.gamma(4.0, 10.0, size=300)
    w = np.ones(300)
    obj = SpendObjective(x, m, w)
    theta = np.array([6.25, 3.74, 15.44])
    err = optimize.check_grad(
        lambda t: obj(t)[0], lambda t: obj(t)[1], theta, epsilon=1e-6 * float(theta.min())
    )
    norm = float(np.linalg.norm(obj(theta)[1]))
    assert err <= 1e-5 * max(norm, 1.0) + 1e-4


def test_gamma_cache_does_not_leak_between_points() -> None:
    """The per-row sums are cached on gamma: moving p, q, then gamma must not reuse stale sums."""
    x, m, w = np.array([1.0, 2.0, 2.0]), np.array([10.0, 20.0, 35.0]), np.ones(3)
    obj = SpendObjective(x, m, w)
    a = obj(np.array([2.0, 3.0, 10.0]))
    obj(np.array([2.0, 3.0, 11.0]))
    b = obj(np.array([2.0, 3.0, 10.0]))
    fresh = SpendObjective(x, m, w)(np.array([2.0, 3.0, 10.0]))
    assert a[0] == b[0] == fresh[0]
    np.testing.assert_array_equal(b[1], fresh[1])


@given(weighted_spend(), st.floats(1.0, 100.0))
def test_profile_derivative_is_the_full_gradient_at_the_inner_optimum(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], g: float
) -> None:
    """Envelope theorem: D = d LL / d ln(gamma) at the inner (p, q) optimum = gamma dLL/dgamma."""
    # two buyers at x = 1 spending 5 and 50: spend varies, so (p, q) has an interior optimum
    x, m, w = (
        np.append(v, extra) for v, extra in zip(data, ([1, 1], [5, 50], [1, 1]), strict=True)
    )
    obj = SpendObjective(x, m, w)
    res = obj._inner(g, 1.0, 2.0)
    if res is None:  # the inner Newton may decline (e.g. unbounded q); nothing to compare
        return
    p, q, d, curvature = res
    _, grad = obj(np.array([p, q, g]))
    scale = float(w.sum()) * (1.0 + p * float(np.max(x)) + q)
    assert abs(grad[0]) <= 1e-6 * scale  # the inner optimum in p ...
    assert abs(grad[1]) <= 1e-6 * scale  # ... and in q
    assert d == pytest.approx(g * grad[2], rel=1e-9, abs=1e-9 * scale)
    # D' (the profile's second derivative) against a central difference of D in ln(gamma).
    # Each D = W q - gamma (p E + q F) comes from its own inner Newton solve; its terms are of
    # size W q and cancel, so D carries noise ~1e-7 W (1 + q) and the difference quotient
    # ~1e-7 W (1 + q) / h besides its truncation h^2 |D'''| / 6. With h = 1e-3 the check
    # allows 1e-3 relative plus 1e-3 W (1 + q) absolute (10x the noise).
    h = 1e-3
    lo, hi = obj._inner(g * math.exp(-h), p, q), obj._inner(g * math.exp(h), p, q)
    if lo is None or hi is None or not math.isfinite(curvature):
        return
    fd = (hi[2] - lo[2]) / (2 * h)
    noise = 1e-3 * float(w.sum()) * (1.0 + q)
    assert curvature == pytest.approx(fd, rel=1e-3, abs=noise)


def _simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gamma-Gamma spends at p = 6, q = 4, gamma = 15: x ~ 1..8, m = mean of x Gamma(p, nu)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 9, size=n).astype(float)
    nu = rng.gamma(4.0, 1 / 15.0, size=n)
    m = rng.gamma(6.0 * x, 1.0 / (nu * x))  # the mean of x Gamma(p, nu) draws
    return x, m


def test_moment_start_is_the_documented_regression() -> None:
    """Method of moments by hand: within-x variances regressed on 1/x (weights n_x - 1 counts),
    Var(m | x) = A / x + B, B = mu^2 / (q - 2), A = B (q - 1) / p, gamma = mu (q - 1) / p."""
    x, m = _simulated(4000, 5)
    obj = SpendObjective(x, m, np.ones(x.size))
    mu = m.mean()
    values = np.unique(x)
    var = np.array([m[x == v].var(ddof=1) for v in values])
    count = np.array([(x == v).sum() for v in values], float)
    design = np.stack([1 / values, np.ones(values.size)], axis=1) * np.sqrt(count)[:, None]
    a_coef, b_coef = np.linalg.lstsq(design, var * np.sqrt(count), rcond=None)[0]
    q = 2 + mu * mu / b_coef
    p = b_coef * (q - 1) / a_coef
    np.testing.assert_allclose(obj.moment_start(), [p, q, mu * (q - 1) / p], rtol=1e-9)


def test_starting_values_are_the_maximum_likelihood_estimate() -> None:
    """The profile-likelihood start is the MLE itself (the driver then has nothing to do):
    the full gradient vanishes there and it matches the fitted parameters."""
    from custvalue.clv import GammaGamma

    x, m = _simulated(2000, 6)
    obj = SpendObjective(x, m, np.ones(x.size))
    start = np.array(starting_values(obj))
    _, grad = obj(start)
    assert np.max(np.abs(grad * start)) <= 1e-8 * x.size  # stationary in log-parameters
    fit = GammaGamma.fit(x, m).params.as_array()
    np.testing.assert_allclose(start, fit, rtol=1e-6)
