"""clv_interval: point estimate, per-draw aggregates, bootstrap oracle, coverage by simulation."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    CLVInterval,
    GammaGamma,
    GammaGammaParams,
    bootstrap,
    clv_interval,
    customer_lifetime_value,
    simulate_bgnbd,
)
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError, InvalidTypeError

BGP = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
GGP = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
#: Reference customers whose true-parameter CLV the intervals should cover.
REF = (
    np.array([0.0, 2.0, 5.0, 10.0]),
    np.array([0.0, 30.0, 35.0, 38.0]),
    np.full(4, 39.0),
    np.array([0.0, 30.0, 50.0, 20.0]),
)
RATE = 0.002  # per week


def _sample(seed: int, n: int) -> tuple[BetaGeo, GammaGamma, Any]:
    """Fit BG/NBD and Gamma-Gamma to ``n`` customers simulated at the true parameters."""
    g = np.random.default_rng(seed)
    T = g.integers(7 * 26, 7 * 39 + 1, n) / 7.0
    sim = simulate_bgnbd(BGP, T, rng=g)
    x = np.asarray(sim.frequency)
    nu = g.gamma(GGP.q, 1.0 / GGP.gamma, n)  # spend rate nu ~ Gamma(q, rate gamma)
    xs = np.maximum(x, 1.0)
    m = np.where(x > 0, g.gamma(GGP.p * xs, 1.0) / (nu * xs), 0.0)  # mean of x Gamma(p, nu)
    bg = BetaGeo.fit(x, sim.recency, sim.T)
    gg = GammaGamma.fit(x[x > 0], m[x > 0])
    return bg, gg, (x, np.asarray(sim.recency), np.asarray(sim.T), m)


@pytest.fixture(scope="module")
def fitted() -> tuple[BetaGeo, GammaGamma, Any]:
    return _sample(0, 1500)


def _coverage(n_samples: int) -> Any:
    truth = customer_lifetime_value(BetaGeo(BGP), GammaGamma(GGP), *REF, horizon=52,
                                    discount_rate=RATE)  # fmt: skip
    hits = []
    for seed in range(n_samples):
        bg, gg, _ = _sample(seed, 1500)
        ci = clv_interval(bg, gg, *REF, horizon=52, discount_rate=RATE, rng=seed)
        per_customer = (ci.lower <= truth) & (truth <= ci.upper)
        hits.append([*per_customer, ci.total_lower <= truth.sum() <= ci.total_upper])
    return np.mean(hits, axis=0)


@pytest.mark.slow  # ~60-200 s: 200 simulated samples, each fitted twice
def test_nominal_90_percent_intervals_cover_the_true_clv_85_to_95_percent() -> None:
    coverage = _coverage(200)  # binomial s.e. of a 90% coverage over 200 samples: 2.1%
    assert np.all((coverage >= 0.85) & (coverage <= 0.95)), coverage


@pytest.mark.slow
def test_intervals_cover_the_true_clv_in_most_of_a_few_samples() -> None:
    """Fast variant: 20 samples; a coverage of 0.9 gives >= 14 hits with prob. 0.998."""
    coverage = _coverage(20)
    assert np.all(coverage >= 0.7), coverage


def test_point_estimate_is_customer_lifetime_value(fitted: Any) -> None:
    bg, gg, data = fitted
    ci = clv_interval(bg, gg, *data, horizon=52, discount_rate=RATE, n_resamples=20, rng=1)
    clv = customer_lifetime_value(bg, gg, *data, horizon=52, discount_rate=RATE)
    np.testing.assert_allclose(ci.estimate, clv, rtol=1e-12, atol=0)
    assert ci.total_estimate == pytest.approx(float(clv.sum()), rel=1e-12)
    assert ci.purchases_estimate == pytest.approx(
        float(bg.expected_purchases(52, *data[:3]).sum()), rel=1e-12
    )
    assert np.all(ci.lower <= ci.upper)
    assert ci.total_lower < ci.total_estimate < ci.total_upper
    assert ci.purchases_lower < ci.purchases_estimate < ci.purchases_upper
    # the aggregates' bounds are percentiles of the per-draw aggregates
    lo, hi = np.quantile(ci.total_draws, [0.05, 0.95])
    assert (ci.total_lower, ci.total_upper) == (lo, hi)


def test_bootstrap_method_matches_a_loop_over_the_replicates(fitted: Any) -> None:
    """Oracle: CLV of each replicate by customer_lifetime_value, then percentiles."""
    bg, gg, (x, t_x, T, m) = fitted
    tb = bootstrap(BetaGeo, x, t_x, T, n_resamples=12, rng=3)
    sb = bootstrap(GammaGamma, x[x > 0], m[x > 0], n_resamples=10, rng=4)
    mask = x >= 2
    ci = clv_interval(bg, gg, x, t_x, T, m, horizon=math.inf, discount_rate=RATE,
                      method="bootstrap", transaction_bootstrap=tb, spend_bootstrap=sb,
                      level=0.8, segment=mask)  # fmt: skip
    assert ci.n_resamples == 10
    assert ci.method == "bootstrap"
    assert ci.n_segment == mask.sum()
    draws = np.array([
        customer_lifetime_value(t, s, x, t_x, T, m, horizon=math.inf, discount_rate=RATE)
        for t, s in zip(tb.models()[:10], sb.models(), strict=True)
    ])  # fmt: skip
    lo, hi = np.quantile(draws, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(ci.lower, lo, rtol=1e-7)
    np.testing.assert_allclose(ci.upper, hi, rtol=1e-7)
    np.testing.assert_allclose(ci.total_draws, draws[:, mask].sum(axis=1), rtol=1e-7)
    assert ci.total_estimate == pytest.approx(float(ci.estimate[mask].sum()), rel=1e-12)
    assert math.isinf(ci.purchases_estimate)
    assert np.all(np.isinf(ci.purchases_draws))


def test_zero_covariance_collapses_the_intervals_and_seeds_reproduce(fitted: Any) -> None:
    bg, gg, data = fitted
    bg0 = attrs.evolve(bg, covariance=np.zeros((4, 4)))
    gg0 = attrs.evolve(gg, covariance=np.zeros((3, 3)))
    ci = clv_interval(bg0, gg0, *data, horizon=52, discount_rate=RATE, n_resamples=5, rng=0)
    np.testing.assert_allclose(ci.lower, ci.estimate, rtol=1e-8)
    np.testing.assert_allclose(ci.upper, ci.estimate, rtol=1e-8)
    a = clv_interval(bg, gg, *data, horizon=26, discount_rate=RATE, n_resamples=5, rng=7)
    b = clv_interval(bg, gg, *data, horizon=26, discount_rate=RATE, n_resamples=5, rng=7)
    assert a == b
    assert CLVInterval.from_json(a.to_json()) == a


def test_customer_summary_gives_ids_and_units() -> None:
    s = load_cdnow_summary()
    bg = BetaGeo.fit(s)
    gg = GammaGamma.fit(s.frequency[s.frequency > 0], s.monetary_value[s.frequency > 0],
                        time_unit=s.time_unit)  # fmt: skip
    ci = clv_interval(bg, gg, s, horizon="12M", annual_discount_rate=0.1, n_resamples=10, rng=0)
    np.testing.assert_array_equal(ci.to_columns()["customer_id"], s.customer_id)
    assert ci.time_unit == "W"
    assert ci.horizon == pytest.approx(365.25 / 7)
    assert "total CLV" in ci.summary()
    assert "CLVInterval(rows=2357" in repr(ci)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "jackknife"}, InvalidInputError, "method must be one of"),
        ({"level": 1.0}, InvalidInputError, "level"),
        ({"rng": None}, InvalidInputError, "needs rng="),
        ({"n_resamples": 1}, InvalidInputError, "n_resamples"),
        ({"segment": [1, 0, 1, 0]}, InvalidTypeError, "segment must be a boolean mask"),
        ({"segment": [True, False]}, InvalidInputError, "segment must have 4 entries"),
        ({"method": "bootstrap"}, InvalidInputError, "needs transaction_bootstrap="),
        ({"horizon": math.inf, "discount_rate": 0.0}, InvalidInputError, "discount_rate"),
    ],
)
def test_bad_input(fitted: Any, kwargs: dict[str, Any], error: type, message: str) -> None:
    bg, gg, _ = fitted
    args: dict[str, Any] = {"horizon": 52, "discount_rate": RATE, "rng": 0, "n_resamples": 5}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        clv_interval(bg, gg, *REF, **args)


def test_models_without_covariance_or_mismatched_bootstraps_are_refused(fitted: Any) -> None:
    bg, gg, (x, t_x, T, m) = fitted
    with pytest.raises(InvalidInputError, match="transaction_model has no covariance"):
        clv_interval(BetaGeo(BGP), gg, *REF, horizon=52, discount_rate=RATE, rng=0)
    sb = bootstrap(GammaGamma, x[x > 0], m[x > 0], n_resamples=3, rng=0)
    with pytest.raises(InvalidInputError, match="bootstrap of GammaGamma, but the"):
        clv_interval(bg, gg, *REF, horizon=52, discount_rate=RATE, method="bootstrap",
                     transaction_bootstrap=sb, spend_bootstrap=sb)  # fmt: skip
    with pytest.raises(InvalidTypeError, match="must be a BootstrapResult"):
        clv_interval(
            bg,
            gg,
            *REF,
            horizon=52,
            discount_rate=RATE,
            method="bootstrap",
            transaction_bootstrap=bg,
            spend_bootstrap=sb,
        )  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="n_resamples must be between 2 and 3"):
        clv_interval(bg, gg, *REF, horizon=52, discount_rate=RATE, method="bootstrap",
                     transaction_bootstrap=bootstrap(BetaGeo, x, t_x, T, n_resamples=3, rng=0),
                     spend_bootstrap=sb, n_resamples=4)  # fmt: skip


def test_two_dimensional_input_is_flattened_in_c_order(fitted: Any) -> None:
    bg, gg, _ = fitted
    x, t_x, T, m = (a.reshape(2, 2) for a in REF)
    ci = clv_interval(bg, gg, x, t_x, T, m[:, :1], horizon=52, discount_rate=RATE,
                      n_resamples=4, rng=0)  # fmt: skip
    clv = customer_lifetime_value(bg, gg, x, t_x, T, m[:, :1], horizon=52, discount_rate=RATE)
    np.testing.assert_allclose(ci.estimate, clv.reshape(-1), rtol=1e-12)
    np.testing.assert_array_equal(ci.customer_id, np.arange(4))
