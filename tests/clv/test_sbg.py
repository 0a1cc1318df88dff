"""Shifted-beta-geometric churn model: published fits, oracles, properties, bad input."""

from __future__ import annotations

import itertools
import json
import math

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.clv import (
    FittedModelLike,
    PurchaseModel,
    ShiftedBetaGeo,
    ShiftedBetaGeoParams,
)
from custvalue.clv import _sbg_kernels as kernels
from custvalue.errors import (
    ConvergenceWarning,
    InvalidInputError,
    InvalidTypeError,
    PersistenceError,
)
from tests.strategies import sbg_params

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
PUBLISHED = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))


def _model(alpha: float, beta: float) -> ShiftedBetaGeo:
    return ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=alpha, beta=beta))


# ----------------------------------------------------------------- published numbers
@pytest.mark.parametrize(
    ("survivors", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)],
)
def test_fader_hardie_2007_fits(survivors: list[int], alpha: float, beta: float, ll: float) -> None:
    """FH (2007) Table/Figure values, printed to 3 decimals (LL to 2): +-5e-4 (+-5e-3)."""
    model = ShiftedBetaGeo.fit_survivors(survivors, time_unit="Y")
    assert abs(model.params.alpha - alpha) <= 5e-4
    assert abs(model.params.beta - beta) <= 5e-4
    assert model.log_likelihood is not None
    assert abs(model.log_likelihood - ll) <= 5e-3
    assert model.n_customers == survivors[0]
    assert model.diagnostics is not None
    assert model.diagnostics.converged
    assert model.time_unit == "Y"


def test_fit_survivors_is_fit_on_the_grouped_rows() -> None:
    s = np.array(REGULAR, dtype=float)
    lifetime = [*range(1, 8), 7]
    churned = [1] * 7 + [0]
    weights = [*(s[:-1] - s[1:]), s[-1]]
    grouped = ShiftedBetaGeo.fit(lifetime, churned, weights=weights)
    counts = ShiftedBetaGeo.fit_survivors(REGULAR)
    np.testing.assert_allclose(grouped.params.as_array(), counts.params.as_array(), rtol=1e-12)
    assert grouped.log_likelihood == pytest.approx(counts.log_likelihood, rel=1e-14)


def test_weighted_fit_equals_repeated_rows() -> None:
    lifetime = np.array([1, 2, 3, 3, 5, 6])
    churned = np.array([True, True, True, False, True, False])
    weights = np.array([3, 1, 2, 4, 1, 5])
    weighted = ShiftedBetaGeo.fit(lifetime, churned, weights=weights)
    repeated = ShiftedBetaGeo.fit(np.repeat(lifetime, weights), np.repeat(churned, weights))
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-12)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-13)
    assert weighted.n_customers == repeated.n_customers == weights.sum()
    # rows with weight 0 are ignored
    zero = ShiftedBetaGeo.fit([*lifetime, 9], [*churned, True], weights=[*weights, 0])
    assert zero == weighted


def test_log_likelihood_per_customer_sums_to_the_fitted_total() -> None:
    model = ShiftedBetaGeo.fit_survivors(HIGH_END)
    s = np.array(HIGH_END, dtype=float)
    per = model.log_likelihood_per_customer([*range(1, 8), 7], [1] * 7 + [0])
    assert float(per @ np.append(s[:-1] - s[1:], s[-1])) == pytest.approx(
        model.log_likelihood, rel=1e-13
    )


# ----------------------------------------------------------------- gradient
@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (3.0, 0.2), (0.05, 40.0)])
def test_gradient_matches_finite_differences(alpha: float, beta: float) -> None:
    t = np.array([1.0, 2.0, 5.0, 0.0, 3.0, 12.0])
    c = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    d_alpha, d_beta = kernels.log_likelihood_gradient(t, c, alpha, beta)
    for i, analytic in enumerate((d_alpha, d_beta)):
        h = 1e-4 * (alpha, beta)[i]
        up = (alpha + h, beta) if i == 0 else (alpha, beta + h)
        down = (alpha - h, beta) if i == 0 else (alpha, beta - h)
        numeric = (_model(*up).log_likelihood_per_customer(t, c)
                   - _model(*down).log_likelihood_per_customer(t, c)) / (2 * h)  # fmt: skip
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------- properties
@given(sbg_params(), st.integers(0, 50))
def test_churn_probabilities_and_tail_sum_to_one(params: tuple[float, float], n: int) -> None:
    """sum_{t=1..K} P(T = n + t | T > n) + P(T > n + K | T > n) = 1 for every K."""
    model = _model(*params)
    t = np.arange(1, 301)
    p = model.probability_churn(t, periods_survived=n)
    assert np.all((p >= 0) & (p <= 1))
    total = math.fsum(p) + float(model.survival(300, periods_survived=n))
    assert total == pytest.approx(1.0, abs=1e-11)


@given(sbg_params(), st.integers(0, 30))
def test_survival_is_monotone_in_unit_interval(params: tuple[float, float], n: int) -> None:
    model = _model(*params)
    s = model.survival(np.arange(0, 200), periods_survived=n)
    assert s[0] == 1.0
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 0)
    # conditional survival is the ratio of unconditional ones
    ratio = model.survival(np.arange(0, 20) + n) / model.survival(n)
    np.testing.assert_allclose(model.survival(np.arange(0, 20), periods_survived=n), ratio,
                               rtol=1e-10, atol=1e-300)  # fmt: skip


@given(sbg_params())
def test_retention_rate_increases_and_is_the_survival_ratio(params: tuple[float, float]) -> None:
    model = _model(*params)
    t = np.arange(1, 100)
    r = model.retention_rate(t)
    assert np.all(np.diff(r) >= 0)
    assert r[-1] > r[0]
    assert np.all((r > 0) & (r <= 1))
    np.testing.assert_allclose(r, model.survival(1, periods_survived=t - 1), rtol=1e-11)
    np.testing.assert_allclose(1 - r[:20], model.probability_churn(1, periods_survived=t[:20] - 1),
                               rtol=1e-9, atol=1e-15)  # fmt: skip


def test_retention_curve_columns() -> None:
    curve = PUBLISHED.retention_curve(5)
    cols = curve.to_columns()
    assert list(cols) == ["period", "survival", "retention_rate", "churn_probability"]
    np.testing.assert_array_equal(cols["period"], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(curve.survival, np.cumprod(curve.retention_rate), rtol=1e-13)
    np.testing.assert_allclose(
        curve.churn_probability, -np.diff(np.append(1.0, curve.survival)), rtol=1e-12
    )


# ----------------------------------------------------------------- lifetimes
def test_expected_lifetime_infinite_at_and_below_alpha_one() -> None:
    assert np.isinf(_model(1.0, 2.0).expected_lifetime())  # exactly on the threshold
    assert np.isinf(_model(0.704, 1.182).expected_lifetime(periods_survived=[0, 5])).all()
    nxt = math.nextafter(1.0, 2.0)
    assert np.isfinite(_model(nxt, 2.0).expected_lifetime())


@pytest.mark.parametrize(("alpha", "beta", "n"), [(3.0, 4.0, 0), (2.5, 0.3, 7), (40.0, 90.0, 2)])
def test_expected_lifetime_is_the_direct_sum(alpha: float, beta: float, n: int) -> None:
    model = _model(alpha, beta)
    k = np.arange(0, 200_000)
    direct = math.fsum(model.survival(k, periods_survived=n))
    tail = model.survival(k[-1], periods_survived=n) * k[-1] / (alpha - 1)  # power-law tail
    assert float(model.expected_lifetime(periods_survived=n)) == pytest.approx(
        direct + float(tail), rel=1e-6
    )


@pytest.mark.parametrize("d", [0.01, 0.1, 1.0])
@pytest.mark.parametrize(
    ("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (5.0, 0.5), (1e8, 1e-3), (1e8, 1e8)]
)
@pytest.mark.parametrize("n", [0, 4, 100])
def test_derl_is_the_direct_sum(d: float, alpha: float, beta: float, n: int) -> None:
    model = _model(alpha, beta)
    k = np.arange(1, 6000)
    direct = math.fsum(model.survival(k, periods_survived=n) * np.exp(-(k - 1) * np.log1p(d)))
    derl = float(model.discounted_expected_residual_lifetime(d, periods_survived=n))
    assert derl == pytest.approx(direct, rel=1e-12)


def test_derl_at_zero_discount() -> None:
    assert np.isinf(PUBLISHED.discounted_expected_residual_lifetime(0.0))
    assert np.isinf(_model(1.0, 3.0).discounted_expected_residual_lifetime(0.0))
    m = _model(3.0, 4.0)
    # undiscounted: expected further renewals = E[T - n | T > n] - 1
    for n in (0, 6):
        assert float(m.discounted_expected_residual_lifetime(0.0, periods_survived=n)) == (
            pytest.approx(float(m.expected_lifetime(periods_survived=n)) - 1, rel=1e-14)
        )
        near = float(m.discounted_expected_residual_lifetime(1e-7, periods_survived=n))
        assert near == pytest.approx(float(m.expected_lifetime(periods_survived=n)) - 1, rel=1e-5)


def test_derl_refuses_positive_rates_below_its_resolution() -> None:
    """1e-7 (MIN_DERL_RATE) is accepted and accurate; just below it is refused by name: at
    1e-12 the continued fraction returned 4096 instead of 11208 (alpha 0.704, beta 1.182)."""
    from custvalue.clv.sbg import MIN_DERL_RATE

    assert MIN_DERL_RATE == 1e-7
    m = _model(0.704, 1.182)
    assert float(m.discounted_expected_residual_lifetime(1e-7)) == pytest.approx(
        367.274981083, rel=1e-9
    )  # 40-digit mpmath
    for d in (np.nextafter(1e-7, 0.0), 1e-12, 5e-324):
        with pytest.raises(InvalidInputError, match="discount_rate must be 0 or >= 1e-07"):
            m.discounted_expected_residual_lifetime(d)


# ----------------------------------------------------------------- mpmath
mp = pytest.importorskip("mpmath")
EXTREME = (1e-8, 1e-3, 0.7, 3.0, 1e3, 1e8)


def _mp_log_survival(t: float, a: float, b: float, n: float) -> object:
    a_, b_ = mp.mpf(a), mp.mpf(b) + n
    return (mp.loggamma(b_ + t) - mp.loggamma(b_)) - (
        mp.loggamma(a_ + b_ + t) - mp.loggamma(a_ + b_)
    )


def test_log_survival_and_churn_against_mpmath_on_the_extreme_grid() -> None:
    mp.mp.dps = 50
    worst = 0.0
    for a, b, t, n in itertools.product(EXTREME, EXTREME, (1, 7, 1e4, 1e6), (0, 5, 1e5)):
        got = float(kernels.log_survival(t, a, b, n))
        ref = _mp_log_survival(t, a, b, n)
        worst = max(worst, abs(got - float(ref)) / max(1.0, abs(float(ref))))
        got_p = float(kernels.log_churn_probability(t, a, b, n))
        ref_p = mp.log(a) - mp.log(mp.mpf(a) + b + n + t - 1) + _mp_log_survival(t - 1, a, b, n)
        worst = max(worst, abs(got_p - float(ref_p)) / max(1.0, abs(float(ref_p))))
    assert worst < 1e-11  # cancellation of ~1e4-sized log-gammas at alpha = 1e3, beta = 1e8


#: DERL reference grid (fast): mpmath needs seconds per value once beta + n reaches ~1e4.
DERL_GRID = list(itertools.product((0.7, 3.0, 1e3), (1e-3, 3.8, 1e3), (0, 50), (1e-4, 0.1, 10.0)))
#: Slow part: tenures of 1e4 and beta = 1e8 (and alpha = 1e-8, where scipy's hyp2f1 is NaN).
#: alpha = 1e8 (mpmath takes minutes there) is checked against the direct sum instead.
DERL_GRID_SLOW = [
    *itertools.product((1e-8, 0.7, 3.0), (3.8, 1e3), (1e4,), (0.1,)),
    (0.7, 1e8, 0, 10.0),
]


def _mp_derl(alpha: float, beta: float, n: float, d: float) -> float:
    mp.mp.dps = 30
    b = mp.mpf(beta) + n
    z = 1 / (1 + mp.mpf(d))
    ref = b / (alpha + b) * mp.hyp2f1(1, b + 1, alpha + b + 1, z, maxterms=10**7, maxprec=20000)
    return float(ref)


@pytest.mark.parametrize(("alpha", "beta", "n", "d"), DERL_GRID)
def test_derl_against_mpmath(alpha: float, beta: float, n: float, d: float) -> None:
    got = float(kernels.discounted_residual_lifetime(d, alpha, beta, n))
    assert got == pytest.approx(_mp_derl(alpha, beta, n, d), rel=1e-11)


@pytest.mark.slow
@pytest.mark.parametrize(("alpha", "beta", "n", "d"), DERL_GRID_SLOW)
def test_derl_against_mpmath_large_tenures(alpha: float, beta: float, n: float, d: float) -> None:
    got = float(kernels.discounted_residual_lifetime(d, alpha, beta, n))
    assert got == pytest.approx(_mp_derl(alpha, beta, n, d), rel=1e-11)


def test_derl_finite_at_the_extremes() -> None:
    # (d -> 0 with alpha <~ 1 needs ~20 / sqrt(d) continued-fraction steps: d >= 1e-4 here,
    # d = 1e-8 once, where the iteration cap leaves a relative error of ~1e-8)
    cases = [*itertools.product(EXTREME, EXTREME, (0, 1e4), (1e-4, 1.0, 1e4)), (0.7, 1.2, 0, 1e-8)]
    for a, b, n, d in cases:
        value = float(kernels.discounted_residual_lifetime(d, a, b, n))
        assert math.isfinite(value)
        assert 0 <= value <= (1 + d) / d * (1 + 1e-7)


# ----------------------------------------------------------------- simulation
def test_simulation_recovers_the_parameters_within_three_standard_errors() -> None:
    truth = _model(0.704, 1.182)
    sim = truth.simulate(20_000, 12, rng=2024)
    fitted = ShiftedBetaGeo.fit(sim.lifetime, sim.churned)
    assert fitted.stderr is not None
    z = (fitted.params.as_array() - truth.params.as_array()) / fitted.stderr
    assert np.all(np.abs(z) < 3), z
    # the simulated survivor curve matches S(t) within binomial error
    n = sim.lifetime.size
    for t in (1, 4, 12):
        share = float(np.mean(~sim.churned | (sim.lifetime > t)))
        s = float(truth.survival(t))
        assert abs(share - s) < 4 * math.sqrt(s * (1 - s) / n)


def test_simulate_is_seeded_and_shaped() -> None:
    a = PUBLISHED.simulate(500, 5, rng=7)
    b = PUBLISHED.simulate(500, 5, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.lifetime, b.lifetime)
    assert set(a.to_columns()) == {"lifetime", "churned", "churn_probability"}
    assert np.all(a.lifetime[~a.churned] == 5)
    assert np.all((a.lifetime[a.churned] >= 1) & (a.lifetime[a.churned] <= 5))
    assert not a.lifetime.flags.writeable
    # extreme churn probabilities stay valid: theta ~ 1 churns in period 1, theta ~ 0 never
    fast = _model(1e8, 1e-8).simulate(100, 3, rng=1)
    assert np.all(fast.churned)
    assert np.all(fast.lifetime == 1)
    slow = _model(1e-8, 1e8).simulate(100, 3, rng=1)
    assert not np.any(slow.churned)
    zero = PUBLISHED.simulate(10, 0, rng=1)
    assert not np.any(zero.churned)
    assert np.all(zero.lifetime == 0)


# ----------------------------------------------------------------- protocol, units, JSON
def test_fitted_model_protocol_not_purchase_model() -> None:
    model = ShiftedBetaGeo.fit_survivors(REGULAR)
    m: FittedModelLike = model
    assert isinstance(m, FittedModelLike)
    assert not isinstance(model, PurchaseModel)
    assert model.aic == pytest.approx(4 - 2 * model.log_likelihood)
    assert model.bic == pytest.approx(2 * math.log(1000) - 2 * model.log_likelihood)
    assert "alpha" in model.summary()
    assert "1680.2652" in model.summary()
    assert "<table" in model._repr_html_()
    assert repr(PUBLISHED) == "ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))"
    unfitted = PUBLISHED
    assert unfitted.stderr is None
    assert unfitted.aic is None
    assert unfitted.bic is None


def test_in_unit_only_to_the_same_period() -> None:
    yearly = attrs.evolve(ShiftedBetaGeo.fit_survivors(REGULAR), time_unit="Y")
    assert yearly.in_unit("12M") is yearly
    with pytest.raises(InvalidInputError, match=r"'Y' periods cannot be re-expressed"):
        yearly.in_unit("M")
    with pytest.raises(InvalidInputError, match="no time unit"):
        PUBLISHED.in_unit("Y")


def test_json_round_trip_is_exact() -> None:
    fitted = ShiftedBetaGeo.fit_survivors(HIGH_END, time_unit="M", penalizer=0.01)
    for model in (fitted, PUBLISHED, _model(1e-8, 1e8)):
        back = ShiftedBetaGeo.from_json(model.to_json())
        assert back == model
        assert back.params.as_array().tobytes() == model.params.as_array().tobytes()
    doc = json.loads(fitted.to_json())
    doc["payload"]["params"]["alpha"] = -1.0
    with pytest.raises(PersistenceError):
        ShiftedBetaGeo.from_json(json.dumps(doc))
    with pytest.raises(PersistenceError):
        ShiftedBetaGeo.from_json(fitted.to_json().replace('"ShiftedBetaGeo"', '"BetaGeo"'))


def test_penalizer_shrinks_towards_one() -> None:
    plain = ShiftedBetaGeo.fit_survivors(HIGH_END)
    penalized = ShiftedBetaGeo.fit_survivors(HIGH_END, penalizer=1.0)
    assert abs(math.log(penalized.params.beta)) < abs(math.log(plain.params.beta))
    assert penalized.diagnostics is not None
    assert penalized.diagnostics.penalizer == 1.0
    assert penalized.log_likelihood < plain.log_likelihood


def test_no_churn_at_all_warns() -> None:
    with pytest.warns(ConvergenceWarning):
        ShiftedBetaGeo.fit([3, 3, 3], [0, 0, 0])


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000, 631, 700, 500], r"survivors must not increase .* at index 2: 700"),
        ([1000, -1, -2], r"survivors must be >= 0; first bad value at index 1: -1"),
        ([1000, float("nan")], r"survivors must not be NaN; first bad value at index 1"),
        ([1000], r"at least one later count; got 1"),
        ([0, 0, 0], r"survivors\[0\] \(the cohort size\) must be > 0; got 0.0"),
        ([[1000, 900]], r"survivors must have 1 dimension"),
    ],
)
def test_bad_survivors(survivors: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ShiftedBetaGeo.fit_survivors(survivors)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lifetime", "churned", "message"),
    [
        ([1, 2, 3], [1, 2, 0], r"churned must be 0 or 1 .* at index 1: 2"),
        ([1, 2, 3], [1, 0.5, 0], r"churned must be 0 or 1 .* at index 1: 0.5"),
        ([1, 0, 3], [1, 1, 0], r"lifetime must be >= 1 where churned .* at index 1: 0"),
        ([1, 2.5, 3], [1, 1, 0], r"lifetime must be a whole number; .* at index 1: 2.5"),
        ([1, -2, 3], [1, 1, 0], r"lifetime must be >= 0; .* at index 1: -2"),
        ([1, 2], [1, 1, 0], r"incompatible shapes"),
        ([], [], r"at least one customer"),
    ],
)
def test_bad_lifetimes(lifetime: object, churned: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ShiftedBetaGeo.fit(lifetime, churned)  # type: ignore[arg-type]


def test_bad_arguments_of_predictions() -> None:
    with pytest.raises(InvalidInputError, match=r"t must be >= 1; .* at index 0: 0"):
        PUBLISHED.probability_churn([0, 1])
    with pytest.raises(InvalidInputError, match=r"periods_survived must be a whole number"):
        PUBLISHED.survival(1, periods_survived=1.5)
    with pytest.raises(InvalidInputError, match=r"discount_rate must be >= 0"):
        PUBLISHED.discounted_expected_residual_lifetime(-0.1)
    with pytest.raises(InvalidInputError, match=r"weights must be >= 0; .* at index 1: -1"):
        ShiftedBetaGeo.fit([1, 2], [1, 1], weights=[1, -1])
    with pytest.raises(InvalidInputError, match="alpha must be > 0"):
        ShiftedBetaGeoParams(alpha=0.0, beta=1.0)
    with pytest.raises(InvalidTypeError):
        ShiftedBetaGeo.fit(["a"], [1])
    with pytest.raises(InvalidInputError, match="initial must be a ShiftedBetaGeoParams"):
        ShiftedBetaGeo.fit([1], [1], initial=(1.0, 1.0))  # type: ignore[arg-type]
