"""BG/NBD model: properties, gradient, invariances, persistence, extremes, bad input."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from strategies import bgnbd_histories, bgnbd_params

from custvalue.clv import BetaGeo, BetaGeoParams, ParetoNBD
from custvalue.clv import _bgnbd_kernels as k
from custvalue.clv import _mbgnbd_kernels as mbg_k
from custvalue.clv.bgnbd import _HistoryObjective
from custvalue.errors import (
    ConvergenceError,
    ConvergenceWarning,
    InvalidInputError,
    PersistenceError,
)

CDNOW = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


# ------------------------------------------------------------------ probabilities, monotonicity
@given(bgnbd_params(), bgnbd_histories(), st.floats(0.0, 1e3))
def test_predictions_in_range_and_monotone(params: Any, hist: Any, t: float) -> None:
    model = BetaGeo(BetaGeoParams(*params))
    x, t_x, T = hist
    p_alive = model.probability_alive(x, t_x, T)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    assert np.all(p_alive[x == 0] == 1.0)
    e1 = model.expected_purchases(t, x, t_x, T)
    e2 = model.expected_purchases(t * 1.5 + 1.0, x, t_x, T)
    assert np.all(np.isfinite(e1))
    assert np.all(e1 >= 0)
    assert np.all(e2 >= e1 * (1 - 1e-9))
    none = model.probability_no_purchase(t, x, t_x, T)
    assert np.all((none >= 0) & (none <= 1))
    assert np.all(none >= 1 - p_alive - 1e-12)  # dead customers never buy
    new = model.expected_purchases_new([t, 2 * t + 1])
    assert 0 <= new[0] <= new[1] * (1 + 1e-9)


@given(bgnbd_params(), st.floats(0.01, 500.0))
def test_probability_of_purchases_is_a_distribution_with_mean_e(params: Any, t: float) -> None:
    model = BetaGeo(BetaGeoParams(*params))
    n = np.arange(0, 6000)
    p = model.probability_of_purchases(n, t)
    assert np.all((p >= 0) & (p <= 1))
    tail = float(model.probability_of_purchases(n[-1], t))
    if tail < 1e-14:  # the support is covered: total mass 1, mean = E[X(t)]
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        # (rel 1e-6: near a = 1 the closed form is bridged, accurate to ~1e-7 when E is small)
        assert float(n @ p) == pytest.approx(float(model.expected_purchases_new(t)), rel=1e-6)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@settings(max_examples=15)
@given(bgnbd_params(low=0.05, high=20.0), st.floats(0.1, 300.0))
def test_expected_purchases_equals_quadrature(params: Any, t: float) -> None:
    """Closed form (FHL eq. 9) vs scipy quad over p of E[(1 - (alpha/(alpha+pt))^r)/p]."""
    r, alpha, a, b = params
    closed = float(k.expected_purchases_alive(t, r, alpha, a, b))
    ours_quad = float(k.expected_purchases_alive_quadrature(t, r, alpha, a, b))
    from scipy import special

    def integrand(p: float) -> float:
        g = -np.expm1(-r * np.log1p(p * t / alpha)) / p
        return float(
            g * np.exp((a - 1) * np.log(p) + (b - 1) * np.log1p(-p) - special.betaln(a, b))
        )

    ref = integrate.quad(integrand, 0, 1, points=[min(0.5, alpha / t)], limit=400, epsabs=0)[0]
    assert closed == pytest.approx(ref, rel=1e-6)
    assert ours_quad == pytest.approx(ref, rel=1e-6)


def test_a_equal_one_is_the_limit() -> None:
    r, alpha, b, t = 0.5, 3.0, 2.0, 40.0
    at_one = float(k.expected_purchases_alive(t, r, alpha, 1.0, b))
    quad = float(k.expected_purchases_alive_quadrature(t, r, alpha, 1.0, b))
    assert at_one == pytest.approx(quad, rel=1e-8)
    near = k.expected_purchases_alive(t, r, alpha, [1 - 1e-3, 1 + 1e-3], b)
    assert near[0] > at_one > near[1]
    # a + b = 1 (removable singularity of the closed form)
    v = float(k.expected_purchases_alive(t, r, alpha, 0.4, 0.6))
    assert v == pytest.approx(float(k.expected_purchases_alive_quadrature(t, r, alpha, 0.4, 0.6)))


# ------------------------------------------------------------------ gradient, time unit
@pytest.mark.parametrize("kern", [k, mbg_k], ids=["BG/NBD", "MBG/NBD"])
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_frequency=50))
def test_gradient_matches_finite_differences(kern: Any, params: Any, hist: Any) -> None:
    x, t_x, T = hist
    theta = np.array(params)
    grads = np.array([g.sum() for g in kern.log_likelihood_gradient(x, t_x, T, *theta)])
    for i in range(4):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        ll_up, ll_down = (kern.log_likelihood(x, t_x, T, *v).sum() for v in (up, down))
        fd = (ll_up - ll_down) / (2 * h)
        assert grads[i] == pytest.approx(fd, rel=1e-5, abs=1e-6 * (1 + abs(fd)) / theta[i])


def _gradient_term_sizes(x: Any, T: Any, w: Any, theta: Any) -> Any:
    """Bounds on the terms summed into each component of the objective's gradient (their
    rounding, not the sum's size, limits a finite difference of the gradient)."""
    from scipy.special import digamma

    r, alpha, a, b = theta
    top = float(np.max(x)) + 1.0
    logs = abs(np.log(alpha)) + abs(np.log(alpha + float(np.max(T))))
    size_a = abs(digamma(a + b)) + abs(digamma(a + b + top)) + 1 / a
    sizes = (
        abs(digamma(r)) + abs(digamma(r + top)) + 2 * logs,
        (r + top) / alpha,
        size_a,
        abs(digamma(b)) + abs(digamma(b + top)) + size_a + 1 / b,
    )
    return float(np.sum(w)) * np.array(sizes)


@pytest.mark.parametrize("dropout", [False, True], ids=["BG/NBD", "MBG/NBD"])
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_frequency=50))
def test_objective_hessian_matches_finite_differences(
    dropout: bool, params: Any, hist: Any
) -> None:
    """The fit's analytic Hessian (Newton polishing, standard errors) against central
    differences of its analytic gradient, Richardson-extrapolated; the tolerance is the
    extrapolation's own error estimate plus the rounding of the differenced gradients
    (a few ulps of the largest terms they sum)."""
    x, t_x, T = hist
    w = 1.0 + np.arange(x.size) % 3  # weights count repeated rows
    objective = _HistoryObjective(x, t_x, T, w, dropout_at_zero=dropout)
    theta = np.array(params)
    hess = objective.hessian(theta)
    assert np.array_equal(hess, hess.T)
    rounding_scale = 64 * np.finfo(float).eps * _gradient_term_sizes(x, T, w, theta)
    for i in range(4):

        def central(h: float, i: int = i) -> Any:
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            # the step actually taken (theta +- h is rounded: ~1e-12 of h)
            return (objective(up)[1] - objective(down)[1]) / (up[i] - down[i])

        h = 1e-4 * theta[i]
        coarse, fine = central(h), central(h / 2)
        extrapolated = (4 * fine - coarse) / 3
        tolerance = np.abs(fine - coarse) + rounding_scale / h
        assert np.all(np.abs(hess[:, i] - extrapolated) <= tolerance)


@given(bgnbd_params(), bgnbd_histories(), st.floats(0.01, 100.0), st.floats(0.0, 100.0))
def test_time_unit_invariance(params: Any, hist: Any, c: float, t: float) -> None:
    """Times and alpha scaled by c: predictions unchanged, LL shifts by -x ln c."""
    r, alpha, a, b = params
    x, t_x, T = hist
    m1 = BetaGeo(BetaGeoParams(r, alpha, a, b))
    m2 = BetaGeo(BetaGeoParams(r, alpha * c, a, b))
    np.testing.assert_allclose(
        m2.probability_alive(x, t_x * c, T * c), m1.probability_alive(x, t_x, T), rtol=1e-10
    )
    np.testing.assert_allclose(
        m2.expected_purchases(t * c, x, t_x * c, T * c),
        m1.expected_purchases(t, x, t_x, T),
        rtol=1e-8,
        atol=1e-300,
    )
    np.testing.assert_allclose(
        m2.log_likelihood_per_customer(x, t_x * c, T * c),
        m1.log_likelihood_per_customer(x, t_x, T) - x * np.log(c),
        rtol=1e-10,
        atol=1e-8,
    )


# ------------------------------------------------------------------ fitting
def _small_sample(seed: int = 3, n: int = 3000) -> tuple[Any, Any, Any]:
    from custvalue.clv import simulate_bgnbd

    sim = simulate_bgnbd(CDNOW, np.full(n, 39.0), rng=seed, resolution=1 / 7)
    return sim.frequency, sim.recency, sim.T


def test_weighted_fit_equals_repeated_rows() -> None:
    x, t_x, T = _small_sample(n=600)
    w = np.random.default_rng(0).integers(1, 4, size=x.size)
    weighted = BetaGeo.fit(x, t_x, T, weights=w)
    repeated = BetaGeo.fit(np.repeat(x, w), np.repeat(t_x, w), np.repeat(T, w))
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-7)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-12)
    assert weighted.n_customers == repeated.n_customers == w.sum()
    zero = BetaGeo.fit(np.r_[x, 5.0], np.r_[t_x, 1.0], np.r_[T, 2.0], weights=np.r_[w, 0])
    np.testing.assert_allclose(zero.params.as_array(), weighted.params.as_array(), rtol=1e-7)


@pytest.mark.parametrize("model", [BetaGeo, ParetoNBD], ids=["BG/NBD", "Pareto/NBD"])
def test_fit_without_merging_distinct_histories_is_the_same_fit(
    model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Continuous event times make every history distinct; the fit then skips merging
    identical rows (it would cost more than it saves). Both paths give the same optimum:
    parameters to the optimizer's resolution, log-likelihood to the rounding of its sum."""
    from custvalue.clv import _inputs, simulate_bgnbd

    n = 2 * _inputs._COLLAPSE_ALWAYS  # a quarter weigh 0: more rows than always merged
    sim = simulate_bgnbd(CDNOW, np.random.default_rng(5).uniform(1.0, 80.0, n), rng=5)
    x, t_x, T = sim.frequency, sim.recency, sim.T
    w = np.random.default_rng(6).integers(0, 4, size=n)  # weight 0 drops a row
    decisions: list[bool] = []

    def fits(merge: bool) -> Any:
        def judged(*columns: Any, **kw: Any) -> bool:
            decisions.append(merge)
            return merge

        monkeypatch.setattr(_inputs, "repetition_pays", judged)
        return model.fit(x, t_x, T, weights=w, strict=True)

    merged, plain = fits(True), fits(False)
    assert decisions == [True, False]  # both paths were taken
    np.testing.assert_allclose(plain.params.as_array(), merged.params.as_array(), rtol=1e-7)
    assert plain.log_likelihood == pytest.approx(merged.log_likelihood, rel=1e-13)


def test_fit_is_pure_and_model_frozen() -> None:
    x, t_x, T = _small_sample(n=300)
    before = x.copy()
    model = BetaGeo.fit(x, t_x, T)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(AttributeError):
        model.params = CDNOW  # type: ignore[misc]
    built = BetaGeo(CDNOW)
    assert built.log_likelihood is None
    assert built.stderr is None
    assert built.diagnostics is None
    assert "not fitted" in built.summary()


def test_degenerate_data_warns_or_raises() -> None:
    x, T = np.zeros(50), np.linspace(1, 30, 50)
    with pytest.warns(ConvergenceWarning, match="not"):
        model = BetaGeo.fit(x, x, T)
    assert model.diagnostics is not None
    assert not model.diagnostics.converged
    with pytest.raises(ConvergenceError):
        BetaGeo.fit(x, x, T, strict=True)


# ------------------------------------------------------------------ summary, persistence
def test_summary_and_html() -> None:
    model = BetaGeo.fit(*_small_sample(n=500))
    text = model.summary()
    for word in ("alpha", "std err", "95%", "log-likelihood", "AIC", "BIC", "n: 500", "yes"):
        assert word in text
    html = model._repr_html_()
    assert "<table>" in html
    assert "alpha" in html
    assert model.aic == pytest.approx(8 - 2 * model.log_likelihood)


def test_json_round_trip_is_exact() -> None:
    fitted = BetaGeo.fit(*_small_sample(n=500))
    for model in (fitted, BetaGeo(CDNOW)):
        back = BetaGeo.from_json(model.to_json())
        assert back == model
        assert back.to_json() == model.to_json()
    with pytest.raises(PersistenceError):
        BetaGeo.from_json(fitted.to_json().replace('"BetaGeo"', '"GammaGamma"'))
    with pytest.raises(PersistenceError):
        BetaGeo.from_json(BetaGeo(CDNOW).to_json().replace("0.243", "-0.243"))
    with pytest.raises(PersistenceError):
        BetaGeo.from_json(fitted.to_json()[:-20])


@given(bgnbd_params(low=1e-3, high=1e3))
def test_json_round_trip_property(params: Any) -> None:
    model = BetaGeo(BetaGeoParams(*params))
    assert BetaGeo.from_json(model.to_json()) == model


# ------------------------------------------------------------------ extremes
@pytest.mark.parametrize("value", [1e-6, 1e-2, 1.0, 1e2, 1e6])
@pytest.mark.parametrize("which", ["r", "alpha", "a", "b"])
def test_extreme_parameters_and_histories_are_finite(value: float, which: str) -> None:
    base = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    base[which] = value
    model = BetaGeo(BetaGeoParams(**base))
    x = np.array([0, 1, 10, 1000, 1e5, 1e5, 3])
    t_x = np.array([0, 1, 30, 5e5, 1e6, 10.0, 1e6])
    T = np.array([1, 1e6, 39, 1e6, 1e6, 1e6, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning escapes
        p_alive = model.probability_alive(x, t_x, T)
        e = model.expected_purchases([1.0, 39.0, 1e6, 1e6, 1e6, 1.0, 0.0], x, t_x, T)
        none = model.probability_no_purchase(1e3, x, t_x, T)
        ll = model.log_likelihood_per_customer(x, t_x, T)
        new = model.expected_purchases_new([0.0, 1e-3, 1.0, 1e6])
        pn = model.probability_of_purchases([0, 1, 10, 1e4, 1e5], 1e3)
    for arr in (p_alive, e, none, ll, new, pn):
        assert np.all(np.isfinite(arr))
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    assert np.all((none >= 0) & (none <= 1))
    assert np.all((pn >= 0) & (pn <= 1))
    assert np.all(e >= 0)
    assert np.all(np.diff(new) >= 0)
    assert np.all(ll <= 1e-9 + np.where(x > 0, np.inf, 0.0))  # a probability when x = 0


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "match"),
    [
        ([1, -1], [1, 0], [2, 2], r"frequency must be >= 0.*index 1: -1"),
        ([1, 2.7], [1, 1], [2, 2], r"frequency must be a whole number.*index 1: 2.7"),
        ([1, 2], [1, 3], [2, 2], r"recency must be <= T.*index 1: 3"),
        ([1, np.nan], [1, 1], [2, 2], r"frequency must not be NaN.*index 1"),
        ([0, 1], [0.5, 1], [2, 2], r"recency must be 0 where frequency is 0.*index 0"),
        ([1, 2, 3], [1, 1], [2, 2], r"incompatible shapes"),
        ([1, 2], [1, 1], [2, -1], r"T must be >= 0.*index 1"),
        ([1, 2], [1, 1], [2, 0], r"recency must be <= T.*index 1"),
    ],
)
def test_bad_histories_are_rejected(frequency: Any, recency: Any, T: Any, match: str) -> None:
    model = BetaGeo(CDNOW)
    with pytest.raises(InvalidInputError, match=match):
        model.probability_alive(frequency, recency, T)
    with pytest.raises(InvalidInputError, match=match):
        BetaGeo.fit(frequency, recency, T)


def test_bad_scalars_are_rejected() -> None:
    model = BetaGeo(CDNOW)
    with pytest.raises(InvalidInputError, match="t must be >= 0"):
        model.expected_purchases(-1.0, 1, 1, 2)
    with pytest.raises(InvalidInputError, match="n must be a whole number"):
        model.probability_of_purchases(1.5, 2.0)
    with pytest.raises(InvalidInputError, match="t must be finite"):
        model.expected_purchases_new(np.inf)
    with pytest.raises(InvalidInputError, match="alpha must be > 0"):
        BetaGeoParams(r=1, alpha=0, a=1, b=1)
    with pytest.raises(InvalidInputError, match="b must not be NaN"):
        BetaGeoParams(r=1, alpha=1, a=1, b=np.nan)
    with pytest.raises(InvalidInputError, match="weights must be >= 0"):
        BetaGeo.fit([1, 2], [1, 1], [2, 2], weights=[1, -1])
    with pytest.raises(InvalidInputError, match="at least one customer"):
        BetaGeo.fit([], [], [])


def test_large_inputs_are_evaluated_per_distinct_history() -> None:
    """Grouping identical histories (a speed path for large inputs) changes no result."""
    from custvalue.clv import simulate_bgnbd

    sim = simulate_bgnbd(
        BetaGeoParams(r=0.24, alpha=4.4, a=0.79, b=2.4),
        np.full(30_000, 39.0) - np.arange(30_000) % 12 / 7,
        rng=8,
        resolution=1 / 7,
    )
    x, t_x, T = sim.frequency, sim.recency, sim.T
    assert x.size >= 20_000  # above the grouping threshold
    assert np.unique(np.stack([x, t_x, T]), axis=1).shape[1] < x.size // 2
    model = BetaGeo(BetaGeoParams(r=0.3, alpha=5.0, a=0.8, b=2.5))
    p = (0.3, 5.0, 0.8, 2.5)
    t = np.full(x.shape, 52.0)
    np.testing.assert_allclose(
        model.expected_purchases(52.0, x, t_x, T),
        k.expected_purchases_conditional(t, x, t_x, T, *p),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        model.probability_alive(x, t_x, T), k.probability_alive(x, t_x, T, *p), rtol=1e-14
    )
    horizons = np.arange(x.size) % 3 + 1.0  # a varying first column is grouped on too
    np.testing.assert_allclose(
        model.probability_no_purchase(horizons, x, t_x, T),
        k.probability_no_purchase_conditional(horizons, x, t_x, T, *p),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        model.log_likelihood_per_customer(x, t_x, T),
        k.log_likelihood(x, t_x, T, *p),
        rtol=1e-14,
    )


def test_probability_no_purchase_keeps_the_digits_of_a_small_result() -> None:
    """x = 0 (alive for sure): P(no purchase in t) = ((alpha+T)/(alpha+T+t))^r exactly;
    1 - P(alive) [1 - q] lost 9 digits when q ~ 2e-7 (found by the explore run)."""
    r = 12.182493960703473
    model = BetaGeo(BetaGeoParams(r=r, alpha=1.0, a=1.0, b=1.0))
    got = float(model.probability_no_purchase(5.0, 0, 0, 1.0))
    assert got == pytest.approx((2.0 / 7.0) ** r, rel=1e-14)
    assert got == pytest.approx(2.354476366516591e-7, rel=1e-14)  # 30-digit mpmath
