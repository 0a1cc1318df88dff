"""Gamma-Gamma spend model: published CDNOW values, lifetimes oracle, properties, bad input."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from shared_data import cdnow_master_summary
from strategies import gamma_gamma_params, spend_histories

from custvalue.clv.gamma_gamma import (
    GammaGamma,
    GammaGammaParams,
    SpendFrequencyIndependence,
    conditional_expected_spend,
    gamma_gamma_log_likelihood,
    gamma_gamma_log_likelihood_gradient,
    spend_frequency_independence,
)
from custvalue.errors import (
    ConvergenceWarning,
    InvalidInputError,
    ModelAssumptionWarning,
    NonPositiveSpendWarning,
    PersistenceError,
)

CDNOW_PARAMS = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def _cdnow_path() -> Path:
    """The raw CDNOW file bundled with the package (read here without custvalue's parser)."""
    return Path(str(resources.files("custvalue.datasets") / "CDNOW_sample.txt"))


def cdnow_spend_summary() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(frequency, monetary_value) of the 2,357 CDNOW customers, 39-week calibration.

    Purchases on the same day are one transaction (their values summed); frequency counts
    repeat purchase days up to 1997-09-30; monetary value is the mean of the repeat-day totals
    (0 for one-time buyers).
    """
    raw = np.loadtxt(_cdnow_path())
    cust = raw[:, 1].astype(np.int64)
    ymd = raw[:, 2].astype(np.int64)
    origin = dt.date(1997, 1, 1)
    dates = np.array(
        [(dt.date(int(v) // 10000, int(v) // 100 % 100, int(v) % 100) - origin).days for v in ymd]
    )
    end = (dt.date(1997, 9, 30) - origin).days
    keys = np.unique(np.stack([cust, dates], axis=1), axis=0, return_inverse=True)
    day_keys, inverse = keys[0], keys[1].reshape(-1)
    day_value = np.bincount(inverse, weights=raw[:, 4])
    ids = np.unique(cust)
    first = {c: 10**9 for c in ids.tolist()}
    for c, d in day_keys.tolist():
        first[c] = min(first[c], d)
    freq = dict.fromkeys(ids.tolist(), 0)
    total = dict.fromkeys(ids.tolist(), 0.0)
    for (c, d), v in zip(day_keys.tolist(), day_value.tolist(), strict=True):
        if d != first[c] and d <= end:
            freq[c] += 1
            total[c] += v
    x = np.array([freq[c] for c in ids.tolist()], dtype=np.float64)
    m = np.array([total[c] / freq[c] if freq[c] else 0.0 for c in ids.tolist()])
    return x, m


def _simulated_spends(
    n: int, seed: int, q: float = 4.0, p: float = 6.0
) -> tuple[NDArray[np.float64], ...]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 12, size=n).astype(float)
    nu = rng.gamma(q, 1.0 / 15.0, size=n)
    totals = rng.gamma(np.maximum(p * x, 1e-300), 1.0 / nu)  # x Gamma(p, rate nu) values
    return x, np.where(x > 0, totals / np.maximum(x, 1), 0.0)


@pytest.fixture(scope="module")
def cdnow() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The CDNOW (x, m) via the library's summary, checked against the helper above."""
    x, m = cdnow_spend_summary()
    try:
        from custvalue import summarize_transactions
    except ImportError:  # the summary module is not there: the helper alone
        return x, m
    raw = np.loadtxt(_cdnow_path(), dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    summary = summarize_transactions(
        raw[:, 1].astype(np.int64),
        dates,
        raw[:, 4].astype(float),
        observation_end="1997-09-30",
        time_unit="W",
    )
    np.testing.assert_array_equal(summary.frequency, x)
    np.testing.assert_allclose(summary.monetary_value, m, rtol=1e-12)
    return np.asarray(summary.frequency, dtype=float), np.asarray(summary.monetary_value)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: tuple[NDArray[np.float64], NDArray[np.float64]]) -> GammaGamma:
    return GammaGamma.fit(*cdnow)


# ----------------------------------------------------------------------- published values
def test_cdnow_published_parameters_and_log_likelihood(cdnow_fit: GammaGamma) -> None:
    p = cdnow_fit.params
    assert (round(p.p, 2), round(p.q, 2), round(p.gamma, 2)) == (6.25, 3.74, 15.44)
    assert cdnow_fit.log_likelihood is not None
    assert round(cdnow_fit.log_likelihood, 1) == -4055.9  # complete density, no constant dropped
    assert cdnow_fit.n_customers == 946
    assert cdnow_fit.n_excluded == 2357 - 946
    assert cdnow_fit.diagnostics is not None
    assert cdnow_fit.diagnostics.converged
    assert round(cdnow_fit.population_mean_spend(), 2) == 35.17


def test_cdnow_published_expected_spend(
    cdnow: tuple[NDArray[np.float64], NDArray[np.float64]], cdnow_fit: GammaGamma
) -> None:
    x, m = cdnow
    got = np.round(cdnow_fit.expected_spend(x[:10], m[:10]), 2)
    published = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_array_equal(got, published)


def test_summary_and_html(cdnow_fit: GammaGamma) -> None:
    text = cdnow_fit.summary()
    for needle in ("gamma", "std err", "95% lower", "-4055.9177", "AIC", "BIC", "946"):
        assert needle in text
    assert str(cdnow_fit) == text
    assert "<table>" in cdnow_fit._repr_html_()
    assert cdnow_fit.aic == pytest.approx(6 + 2 * 4055.9177, abs=1e-3)
    unfitted = GammaGamma(CDNOW_PARAMS)
    assert unfitted.stderr is None
    assert unfitted.aic is None
    assert "not fitted" in unfitted.summary()


def test_independence_check_on_cdnow(
    cdnow: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> None:
    res = spend_frequency_independence(*cdnow)
    assert res.n == 946
    # Fader and Hardie (2013) report a correlation of 0.11 between x and m on CDNOW.
    assert round(res.pearson_r, 2) == 0.11
    assert res.pearson_p_value < 0.01
    assert res.independent is False
    assert SpendFrequencyIndependence.from_json(res.to_json()) == res
    assert "<table>" in res._repr_html_()


def test_independence_check_accepts_independent_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 20, size=2000).astype(float)
    m = rng.gamma(3.0, 10.0, size=2000)
    res = spend_frequency_independence(x, m, level=0.001)
    assert abs(res.pearson_r) < 0.1
    assert res.independent


# ----------------------------------------------------------------------- lifetimes oracle
def test_lifetimes_oracle(
    cdnow: tuple[NDArray[np.float64], NDArray[np.float64]], cdnow_fit: GammaGamma
) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    x, m = cdnow
    rep = x > 0
    lt = lifetimes.GammaGammaFitter().fit(x[rep], m[rep])
    theirs = np.asarray(lt.params_[["p", "q", "v"]], dtype=float)
    np.testing.assert_allclose(cdnow_fit.params.as_array(), theirs, rtol=1e-4)
    their_ll = -lt._negative_log_likelihood_ * rep.sum()
    assert cdnow_fit.log_likelihood is not None
    assert cdnow_fit.log_likelihood >= their_ll - 1e-9
    # identical parameters: identical predictions
    same = GammaGamma(GammaGammaParams(p=theirs[0], q=theirs[1], gamma=theirs[2]))
    np.testing.assert_allclose(
        same.expected_spend(x, m),
        np.asarray(lt.conditional_expected_average_profit(x, m), dtype=float),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        np.sqrt(np.diag(cdnow_fit.covariance)), lt.standard_errors_.to_numpy(), rtol=1e-3
    )


# ----------------------------------------------------------------------- properties
@given(gamma_gamma_params(), spend_histories())
def test_expected_spend_is_between_m_and_population_mean(
    params: tuple[float, float, float], hist: tuple[list[float], list[float]]
) -> None:
    model = GammaGamma(GammaGammaParams(*params))
    x, m = np.array(hist[0]), np.array(hist[1])
    mean = model.population_mean_spend()
    got = model.expected_spend(x, m)
    lo = np.where(x > 0, np.minimum(m, mean), mean)
    hi = np.where(x > 0, np.maximum(m, mean), mean)
    tol = 1e-12 * np.maximum(hi, 1.0)
    assert np.all(got >= lo - tol)
    assert np.all(got <= hi + tol)
    p, q, _ = params
    w = p * x / (p * x + q - 1)
    np.testing.assert_allclose(got, w * m + (1 - w) * mean, rtol=1e-10)


@given(gamma_gamma_params(finite_mean=False), spend_histories(min_size=1, max_size=5))
def test_gradient_matches_finite_differences(
    params: tuple[float, float, float], hist: tuple[list[float], list[float]]
) -> None:
    x, m = np.array(hist[0]), np.array(hist[1])
    rep = x > 0
    if not rep.any():
        return
    x, m = x[rep], m[rep]
    theta = np.array(params)
    analytic = np.array([g.sum() for g in gamma_gamma_log_likelihood_gradient(*theta, x, m)])
    for i in range(3):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric = (
            gamma_gamma_log_likelihood(*up, x, m).sum()
            - gamma_gamma_log_likelihood(*down, x, m).sum()
        ) / (2 * h)
        scale = np.abs(gamma_gamma_log_likelihood(*theta, x, m)).sum() / theta[i] + 1.0
        assert abs(analytic[i] - numeric) <= 1e-5 * scale


def test_kernel_is_a_normalised_density() -> None:
    """Integrating exp(LL) over m gives 1 for several x: no constant is missing."""
    from scipy import integrate

    for x in (1.0, 2.0, 7.0):
        total = integrate.quad(
            lambda mm, x=x: math.exp(gamma_gamma_log_likelihood(6.25, 3.74, 15.44, x, mm)),
            0,
            np.inf,
            epsrel=1e-11,
            limit=200,
        )[0]
        assert total == pytest.approx(1.0, rel=1e-8)


def test_conditional_mean_equals_posterior_mean_by_quadrature() -> None:
    """E[M|x,m] = E[p/nu | x, m] with nu | x, m ~ Gamma(px+q, rate gamma + x m)."""
    from scipy import integrate, stats

    p, q, g, x, m = 6.25, 3.74, 15.44, 3.0, 40.0
    post = stats.gamma(a=p * x + q, scale=1.0 / (g + x * m))
    value = integrate.quad(lambda nu: p / nu * post.pdf(nu), 0, np.inf, epsrel=1e-12)[0]
    assert conditional_expected_spend(p, q, g, x, m) == pytest.approx(value, rel=1e-9)


@settings(max_examples=10)
@given(st.integers(0, 2**32 - 1))
def test_weighted_fit_equals_repeated_rows(seed: int) -> None:
    x, m = _simulated_spends(300, seed, p=1.5)
    reps = np.random.default_rng(seed).integers(0, 4, size=x.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        repeated = GammaGamma.fit(np.repeat(x, reps), np.repeat(m, reps))
    se = repeated.stderr
    # Small samples can put the MLE at infinity (p -> inf, gamma -> 0: no evidence of spread
    # within customers); the property concerns interior optima.
    assume(repeated.diagnostics is not None and repeated.diagnostics.converged)
    assume(se is not None and bool(se[0] < 0.5 * repeated.params.p))
    weighted = GammaGamma.fit(x, m, weights=reps, strict=True)
    # Same likelihood function, so the same optimum: equal to the optimizer's resolution,
    # which on flat directions is measured in standard errors.
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-12)
    assert se is not None
    diff = np.abs(weighted.params.as_array() - repeated.params.as_array())
    assert np.all(diff <= 1e-4 * se + 1e-9 * repeated.params.as_array())
    assert weighted.n_customers == repeated.n_customers


def test_json_round_trip_is_exact(cdnow_fit: GammaGamma) -> None:
    back = GammaGamma.from_json(cdnow_fit.to_json())
    assert back.params == cdnow_fit.params
    assert back.log_likelihood == cdnow_fit.log_likelihood
    assert back.n_customers == cdnow_fit.n_customers
    assert back.n_excluded == cdnow_fit.n_excluded
    assert back.diagnostics == cdnow_fit.diagnostics
    assert cdnow_fit.covariance is not None
    assert back.covariance is not None
    assert np.array_equal(back.covariance, cdnow_fit.covariance)
    assert back.to_json() == cdnow_fit.to_json()
    plain = GammaGamma(CDNOW_PARAMS)
    again = GammaGamma.from_json(plain.to_json())
    assert again.params == plain.params
    assert again.covariance is None


@given(gamma_gamma_params(finite_mean=False))
def test_json_round_trip_of_any_parameters(params: tuple[float, float, float]) -> None:
    model = GammaGamma(GammaGammaParams(*params))
    assert GammaGamma.from_json(model.to_json()).params == model.params


def test_from_json_rejects_bad_documents() -> None:
    doc = json.loads(GammaGamma(CDNOW_PARAMS).to_json())
    doc["payload"]["params"]["q"] = -1.0
    with pytest.raises(PersistenceError, match="valid GammaGamma: q must be positive"):
        GammaGamma.from_json(json.dumps(doc))
    with pytest.raises(PersistenceError):
        GammaGamma.from_json('{"format": "custvalue", "kind": "BetaGeo"')


def test_monte_carlo_parameter_recovery() -> None:
    p, q, g = 6.0, 4.0, 15.0
    x, m = _simulated_spends(6000, 20240601, q=q)
    model = GammaGamma.fit(x, m)
    se = model.stderr
    assert se is not None
    err = (model.params.as_array() - np.array([p, q, g])) / se
    assert np.all(np.abs(err) < 3.5), err


def test_fit_is_scale_equivariant(cdnow: tuple[NDArray[np.float64], NDArray[np.float64]]) -> None:
    x, m = cdnow
    base = GammaGamma.fit(x, m)
    big = GammaGamma.fit(x, m * 1e7)
    np.testing.assert_allclose(big.params.p, base.params.p, rtol=1e-6)
    np.testing.assert_allclose(big.params.gamma, base.params.gamma * 1e7, rtol=1e-6)
    assert big.log_likelihood is not None
    assert base.log_likelihood is not None
    assert big.log_likelihood == pytest.approx(base.log_likelihood - 946 * math.log(1e7), rel=1e-9)


def test_one_time_buyers_are_excluded_and_get_the_population_mean() -> None:
    x, m = _simulated_spends(500, 11)
    assert (x == 0).sum() > 10
    with_zeros = GammaGamma.fit(x, m)
    without = GammaGamma.fit(x[x > 0], m[x > 0])
    assert with_zeros.params == without.params
    # their monetary value is ignored
    assert GammaGamma.fit(x, np.where(x == 0, 123.0, m)).params == without.params
    mean = with_zeros.population_mean_spend()
    np.testing.assert_allclose(with_zeros.expected_spend([0, 0], [0.0, 99.0]), [mean, mean])


# ----------------------------------------------------------------------- q <= 1 and bad input
def test_q_at_most_one() -> None:
    model = GammaGamma(GammaGammaParams(p=2.0, q=0.8, gamma=5.0))
    with pytest.raises(InvalidInputError, match="infinite"):
        model.population_mean_spend()
    with pytest.raises(InvalidInputError, match="index 1"):
        model.expected_spend([3, 0], [10.0, 0.0])
    # finite posterior mean for repeat buyers (p x + q > 1)
    assert model.expected_spend(3, 10.0) == pytest.approx((5 + 30) * 2 / (6 + 0.8 - 1))
    assert "infinite" in model.summary()


def test_fit_warns_when_q_at_most_one() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    x = rng.integers(1, 5, size=n).astype(float)
    nu = rng.gamma(0.6, 1.0, size=n)  # q = 0.6: heavy-tailed spends
    m = rng.gamma(2.0 * x, 1.0 / nu) / x
    with pytest.warns(ModelAssumptionWarning, match="q ="):
        model = GammaGamma.fit(x, m)
    assert model.params.q <= 1


@pytest.mark.parametrize(
    ("x", "m", "match"),
    [
        # repeat buyers may have a mean spend <= 0 (excluded from the fit, see below); a
        # one-time buyer's ignored spend must still be >= 0
        ([1, 0, 3], [10.0, -5.0, 5.0], "monetary_value must be >= 0 where frequency is 0.*index 1"),
        ([1, 2, 3], [10.0, np.nan, 5.0], "monetary_value must not be NaN.*index 1"),
        ([1, 2.5, 3], [10.0, 4.0, 5.0], "frequency must be a whole number.*index 1: 2.5"),
        ([1, -1, 3], [10.0, 4.0, 5.0], "frequency must be >= 0.*index 1"),
        ([1, 2, 3], [10.0, 4.0], "incompatible shapes"),
        ([1, 2, 3], [10.0, np.inf, 5.0], "monetary_value must be finite"),
    ],
)
def test_bad_input(x: list[float], m: list[float], match: str) -> None:
    model = GammaGamma(CDNOW_PARAMS)
    with pytest.raises(InvalidInputError, match=match):
        model.expected_spend(x, m)
    with pytest.raises(InvalidInputError, match=match):
        GammaGamma.fit(x, m)


def test_fit_rejects_no_repeat_buyers_and_bad_weights() -> None:
    with pytest.raises(InvalidInputError, match="no repeat buyers"):
        GammaGamma.fit([0, 0], [0.0, 0.0])
    with pytest.raises(InvalidInputError, match="weights must be >= 0"):
        GammaGamma.fit([1, 2], [3.0, 4.0], weights=[1.0, -1.0])
    with pytest.raises(InvalidInputError, match="weights must have the shape"):
        GammaGamma.fit([1, 2], [3.0, 4.0], weights=[1.0, 1.0, 1.0])


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_params_must_be_positive_finite(bad: float) -> None:
    with pytest.raises(InvalidInputError, match="q must be positive and finite"):
        GammaGammaParams(p=1.0, q=bad, gamma=1.0)


def test_independence_check_rejects_degenerate_input() -> None:
    with pytest.raises(InvalidInputError, match="at least 3"):
        spend_frequency_independence([1, 2, 0], [1.0, 2.0, 0.0])
    with pytest.raises(InvalidInputError, match="constant"):
        spend_frequency_independence([1, 1, 1], [1.0, 2.0, 3.0])
    with pytest.raises(InvalidInputError, match="level"):
        spend_frequency_independence([1, 2, 3], [1.0, 2.0, 3.0], level=1.5)


def test_scalar_inputs_give_scalar_outputs() -> None:
    model = GammaGamma(CDNOW_PARAMS)
    assert np.shape(model.expected_spend(2, 20.0)) == ()
    assert np.shape(model.expected_spend([[2, 0]], [20.0])) == (1, 2)


@pytest.mark.parametrize(
    ("x", "m"),
    [
        ([1, 2, 3, 4] * 10, [5.0] * 40),  # no spread at all: MLE at infinity
        ([1] * 50 + [30] * 50, [1e-3] * 50 + [1e6] * 50),  # extreme spends
        ([1, 2], [3.0, 4.0]),  # two customers
    ],
)
def test_degenerate_data_warn_instead_of_crashing(x: list[int], m: list[float]) -> None:
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = GammaGamma.fit(x, m)
    assert np.all(np.isfinite(model.params.as_array()))
    assert model.diagnostics is not None
    assert not model.diagnostics.converged


# ----------------------------------------------------------------------- spend <= 0 (issue 12)
def test_nonpositive_spends_are_excluded_counted_and_warned_once() -> None:
    x, m = _simulated_spends(300, 5)
    positive = GammaGamma.fit(x, m)
    # two repeat buyers whose refunds cancel their spend (0) or exceed it (-4.5), at the
    # positions 3 and 7 of the input, placed exactly on the threshold m = 0 and below it
    xb, mb = np.insert(x, [3, 6], [1.0, 2.0]), np.insert(m, [3, 6], [0.0, -4.5])
    assert np.flatnonzero((xb > 0) & (mb <= 0)).tolist() == [3, 7]
    with pytest.warns(NonPositiveSpendWarning) as caught:
        model = GammaGamma.fit(xb, mb)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "2 customer(s)" in message
    assert "first: position 3 of the input, monetary_value 0.0" in message
    assert caught[0].filename == __file__  # stacklevel: the caller's line
    # exactly the fit without them
    assert model.params == positive.params
    assert model.log_likelihood == positive.log_likelihood
    assert model.n_customers == positive.n_customers
    assert model.n_excluded_nonpositive == 2.0
    assert positive.n_excluded_nonpositive == 0.0
    assert "repeat buyers with spend <= 0 excluded: 2" in model.summary()
    # they get the population mean spend, exactly, like one-time buyers; other rows unchanged
    spend = model.expected_spend(xb, mb)
    assert spend[3] == spend[7] == model.population_mean_spend()
    np.testing.assert_array_equal(np.delete(spend, [3, 7]), positive.expected_spend(x, m))
    np.testing.assert_array_equal(model.log_likelihood_per_customer(xb, mb)[[3, 7]], [0.0, 0.0])
    # weighted: the count is the sum of their weights
    weights = np.full(xb.size, 2.0)
    with pytest.warns(NonPositiveSpendWarning, match="4 customer"):
        assert GammaGamma.fit(xb, mb, weights=weights).n_excluded_nonpositive == 4.0
    back = GammaGamma.from_json(model.to_json())
    assert back.n_excluded_nonpositive == 2.0
    assert back == model


def test_only_nonpositive_repeat_buyers_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="no repeat buyers with a positive mean spend"):
        GammaGamma.fit([0, 1, 2], [0.0, 0.0, -1.0])


def test_cdnow_master_customer_10244_does_not_stop_the_pipeline() -> None:
    """The full CDNOW master file: customer 10244 bought again for a total of $0."""
    from custvalue.clv import (
        BetaGeo,
        customer_lifetime_value,
        discounted_expected_transactions,
        score,
    )

    # not bundled (1.8 MB); the exact treatment is also tested on simulated data above
    summary = cdnow_master_summary("W")
    assert summary.n_customers == 23570
    bad = np.flatnonzero((summary.frequency > 0) & (summary.monetary_value <= 0))
    assert summary.customer_id[bad].tolist() == [10244]
    i = int(bad[0])
    with pytest.warns(NonPositiveSpendWarning) as caught:
        spend = GammaGamma.fit(summary)
    assert len(caught) == 1
    assert "1 customer(s)" in str(caught[0].message)
    assert "first: customer id 10244, monetary_value 0.0" in str(caught[0].message)
    assert spend.n_excluded_nonpositive == 1.0
    assert spend.n_customers == np.count_nonzero(summary.frequency > 0) - 1
    assert spend.time_unit == "W"
    mean = spend.population_mean_spend()
    assert spend.expected_spend(summary)[i] == mean
    purchases = BetaGeo.fit(summary)
    clv = customer_lifetime_value(purchases, spend, summary, horizon="1Y", annual_discount_rate=0.1)
    assert np.all(np.isfinite(clv))
    # CLV of 10244 = population mean spend x its discounted expected transactions
    one = discounted_expected_transactions(
        purchases, summary.frequency[i], summary.recency[i], summary.T[i], horizon="1Y",
        annual_discount_rate=0.1,
    )  # fmt: skip
    assert clv[i] == pytest.approx(mean * float(one), rel=1e-12)
    scored = score(summary, purchases, spend, horizon="1Y", discount_rate=0.002)
    assert scored["expected_spend"][i] == mean
    assert np.all(np.isfinite(scored["clv"]))


# ----------------------------------------------------------------------- fit report, table
def test_zero_iteration_fit_says_why(cdnow_fit: GammaGamma) -> None:
    diagnostics = cdnow_fit.diagnostics
    assert diagnostics is not None
    assert diagnostics.n_iterations == 0  # the profile-likelihood start is the optimum
    assert "starts at the profile-likelihood optimum" in diagnostics.message
    assert "profile-likelihood optimum" in cdnow_fit.summary()


def test_parameter_table_and_to_frame(cdnow_fit: GammaGamma) -> None:
    table = cdnow_fit.parameter_table()
    assert table["parameter"].tolist() == ["p", "q", "gamma"]
    np.testing.assert_array_equal(table["estimate"], cdnow_fit.params.as_array())
    assert cdnow_fit.stderr is not None
    np.testing.assert_array_equal(table["standard_error"], cdnow_fit.stderr)
    np.testing.assert_allclose(
        table["lower_95"], table["estimate"] - 1.959963984540054 * table["standard_error"]
    )
    np.testing.assert_allclose(
        table["upper_95"], table["estimate"] + 1.959963984540054 * table["standard_error"]
    )
    assert np.all(np.isnan(GammaGamma(CDNOW_PARAMS).parameter_table()["standard_error"]))
    pd = pytest.importorskip("pandas")
    pytest.importorskip("narwhals")
    from custvalue.frame import to_frame

    frame = to_frame(cdnow_fit)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "parameter",
        "estimate",
        "standard_error",
        "lower_95",
        "upper_95",
    ]
    assert list(table) == ["parameter", "estimate", "standard_error", "lower_95", "upper_95"]
    assert frame["parameter"].tolist() == ["p", "q", "gamma"]
    np.testing.assert_array_equal(frame["estimate"].to_numpy(), table["estimate"])


@functools.cache
def _reference_fit() -> GammaGamma:
    return GammaGamma.fit(*_simulated_spends(300, 5))


@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.sampled_from([0.0, -0.0, -1e-300, -3.5, -1e6])),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 2**31 - 1),
)
def test_nonpositive_rows_change_nothing_but_the_count(
    extra: list[tuple[int, float]], seed: int
) -> None:
    """Inserting repeat buyers with spend <= 0 anywhere leaves the fit exactly as it was."""
    x, m = _simulated_spends(300, 5)  # a sample whose fit converges cleanly
    reference = _reference_fit()
    rng = np.random.default_rng(seed)
    at = np.sort(rng.integers(0, x.size + 1, size=len(extra)))
    xb = np.insert(x, at, [e[0] for e in extra])
    mb = np.insert(m, at, [e[1] for e in extra])
    first = int(np.flatnonzero((xb > 0) & (mb <= 0))[0])
    with pytest.warns(NonPositiveSpendWarning, match=f"{len(extra)} customer.*position {first} "):
        model = GammaGamma.fit(xb, mb)
    assert model.params == reference.params
    assert model.n_excluded_nonpositive == len(extra)
    spend = model.expected_spend(xb, mb)
    bad = (xb > 0) & (mb <= 0)
    assert np.all(spend[bad] == model.population_mean_spend())
    np.testing.assert_array_equal(spend[~bad], reference.expected_spend(x, m))
