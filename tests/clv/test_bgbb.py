"""BG/BB (Fader, Hardie and Shang 2010): published donations fit, lifetimes parity, mpmath
references at extreme inputs, DERT three ways, simulation checks, properties, bad input."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

from custvalue._collapse import collapse_rows
from custvalue.clv import (
    BetaGeoBetaBinom,
    BetaGeoBetaBinomParams,
    DiscreteHistories,
    PurchaseModel,
    bgbb_histories,
    customer_lifetime_value,
    discounted_expected_transactions,
)
from custvalue.clv import _bgbb_kernels as kernels
from custvalue.datasets import load_donations
from custvalue.errors import InvalidInputError
from tests.strategies import bgbb_params, discrete_histories

PUBLISHED = BetaGeoBetaBinomParams(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
MODEL = BetaGeoBetaBinom(PUBLISHED, time_unit="Y")


@pytest.fixture(scope="module")
def donations() -> tuple[Any, Any, Any, Any]:
    d = load_donations()
    return tuple(
        np.asarray(c, dtype=np.float64) for c in (d.frequency, d.recency, d.periods, d.weights)
    )


@pytest.fixture(scope="module")
def fitted(donations: tuple[Any, Any, Any, Any]) -> BetaGeoBetaBinom:
    x, t_x, n, w = donations
    return BetaGeoBetaBinom.fit(x, t_x, n, weights=w, time_unit="Y", strict=True)


# ------------------------------------------------------------------ published values
def test_donations_fit_matches_paper(fitted: BetaGeoBetaBinom) -> None:
    assert tuple(fitted.params.as_array()) == pytest.approx((1.204, 0.750, 0.657, 2.783), abs=5e-4)
    assert fitted.log_likelihood == pytest.approx(-33225.6, abs=0.05)
    assert fitted.n_customers == 11104
    assert fitted.diagnostics is not None
    assert fitted.diagnostics.converged
    assert fitted.time_unit == "Y"
    assert np.all(np.isfinite(fitted.stderr))


def test_fit_from_discrete_histories_equals_fit_from_arrays(
    fitted: BetaGeoBetaBinom, donations: tuple[Any, Any, Any, Any]
) -> None:
    x, t_x, n, w = donations
    h = DiscreteHistories(x.astype(int), t_x.astype(int), n.astype(int), w.astype(int), "Y")
    again = BetaGeoBetaBinom.fit(h)
    assert again.params == fitted.params
    assert again.time_unit == "Y"


def test_weighted_fit_equals_repeated_rows() -> None:
    sim = MODEL.simulate(np.full(3000, 6.0), rng=2)
    (x, t_x, n), w, _ = collapse_rows(sim.frequency, sim.recency, sim.T)
    weighted = BetaGeoBetaBinom.fit(x, t_x, n, weights=w)
    rep = BetaGeoBetaBinom.fit(np.repeat(x, w.astype(int)), np.repeat(t_x, w.astype(int)), sim.T)
    assert weighted.log_likelihood == pytest.approx(rep.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(weighted.params.as_array(), rep.params.as_array(), rtol=1e-6)


# ------------------------------------------------------------------ direct references
def _direct_ll(x: int, t_x: int, n: int, a: float, b: float, g: float, d: float) -> float:
    """FHS (2010) eq. (7) term by term with scipy's beta function (moderate inputs)."""
    from scipy.special import beta

    total = beta(a + x, b + n - x) / beta(a, b) * beta(g, d + n) / beta(g, d)
    for i in range(n - t_x):
        total += beta(a + x, b + t_x - x + i) / beta(a, b) * beta(g + 1, d + t_x + i) / beta(g, d)
    return math.log(total)


@settings(max_examples=40, deadline=None)
@given(params=bgbb_params(), hist=discrete_histories())
def test_likelihood_matches_direct_sum(params: Any, hist: Any) -> None:
    model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(*params))
    got = model.log_likelihood_per_customer(*hist)
    want = [_direct_ll(int(a), int(b), int(c), *params) for a, b, c in zip(*hist, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


def test_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(0, 30, size=40).astype(float)
    t_x = np.floor(rng.random(40) * (n + 1))
    x = np.where(t_x > 0, np.floor(rng.random(40) * t_x) + 1, 0.0)
    theta = np.array([0.8, 2.5, 0.4, 3.0])
    _, grad, _ = kernels.log_likelihood_and_gradient(x, t_x, n, *theta)
    assert grad is not None
    for i in range(4):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        fd = (kernels.log_likelihood(x, t_x, n, *up) - kernels.log_likelihood(x, t_x, n, *down)) / (
            2 * h
        )
        np.testing.assert_allclose(grad[:, i], fd, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ lifetimes parity
def _lifetimes(params: BetaGeoBetaBinomParams, weights: Any = None, frequency: Any = None) -> Any:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = lifetimes.BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series(
        {"alpha": params.alpha, "beta": params.beta, "gamma": params.gamma, "delta": params.delta}
    )
    if weights is not None:
        fitter.data = pd.DataFrame({"frequency": frequency, "weights": weights})
    return fitter


def _grid() -> tuple[Any, Any, Any]:
    rows = [(x, t, n) for n in range(0, 13) for t in range(0, n + 1) for x in range(0, t + 1)]
    rows = [r for r in rows if (r[0] == 0) == (r[1] == 0)]
    x, t_x, n = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return x, t_x, n


@pytest.mark.parametrize("params", [PUBLISHED, BetaGeoBetaBinomParams(0.3, 4.0, 2.5, 0.7)])
def test_lifetimes_parity_at_equal_parameters(params: BetaGeoBetaBinomParams) -> None:
    # lifetimes adds 1e-15 to the sum term of the likelihood (before dividing by the Beta
    # constants), which biases every prediction through L where L is small.
    fitter = _lifetimes(params)
    model = BetaGeoBetaBinom(params)
    x, t_x, n = _grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ll = fitter._loglikelihood(params.as_array(), x, t_x, n)
        alive0 = fitter.conditional_probability_alive(0, x, t_x, n)
        alive3 = fitter.conditional_probability_alive(3, x, t_x, n)
        expected = fitter.conditional_expected_number_of_purchases_up_to_time(4, x, t_x, n)
    ours = model.log_likelihood_per_customer(x, t_x, n)
    # where lifetimes' 1e-15 shifts the likelihood by more than 1e-10 relative, skip the row
    a, b, g, d = params.as_array()
    bias = 1e-15 * np.exp(-betaln(a, b) - betaln(g, d) - ours)
    clean = bias < 1e-10
    assert clean.sum() > 200
    np.testing.assert_allclose(ours[clean], ll[clean], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(model.probability_alive(x, t_x, n)[clean], alive0[clean], rtol=1e-9)
    np.testing.assert_allclose(
        model.probability_alive_at(3, x, t_x, n)[clean], alive3[clean], rtol=1e-9
    )
    np.testing.assert_allclose(
        model.expected_purchases(4, x, t_x, n)[clean], expected[clean], rtol=1e-9
    )


def test_lifetimes_parity_new_customer_counts(donations: tuple[Any, Any, Any, Any]) -> None:
    x, _, _, w = donations
    fitter = _lifetimes(PUBLISHED, weights=w, frequency=x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fitter.expected_number_of_transactions_in_first_n_periods(6)
    got = MODEL.probability_of_purchases(table.index.to_numpy(), 6) * w.sum()
    np.testing.assert_allclose(got, table["model"].to_numpy(), rtol=1e-9)


def test_fitted_likelihood_at_least_lifetimes(
    fitted: BetaGeoBetaBinom, donations: tuple[Any, Any, Any, Any]
) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, n, w = donations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = lifetimes.BetaGeoBetaBinomFitter().fit(
            x.astype(int), t_x.astype(int), n.astype(int), w
        )
    theirs = float(np.sum(w * fitter._loglikelihood(fitter.params_.to_numpy(), x, t_x, n)))
    assert fitted.log_likelihood is not None
    assert fitted.log_likelihood >= theirs - 1e-9


# ------------------------------------------------------------------ predictions
@settings(max_examples=30, deadline=None)
@given(
    params=bgbb_params(), hist=discrete_histories(max_size=4, max_periods=25), t=st.integers(0, 12)
)
def test_conditional_distribution_sums_to_one_and_has_the_expected_mean(
    params: Any, hist: Any, t: int
) -> None:
    model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(*params))
    x, t_x, n = (c[:, None] for c in hist)
    k = np.arange(t + 1)[None, :]
    probs = model.conditional_probability_of_purchases(k, t, x, t_x, n)
    assert np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-10)
    mean = (probs * k).sum(axis=1)
    np.testing.assert_allclose(mean, model.expected_purchases(t, *hist), rtol=1e-9, atol=1e-12)
    # nothing beyond t opportunities
    assert np.all(model.conditional_probability_of_purchases(t + 1, t, *hist) == 0)
    alive = model.probability_alive(*hist)
    assert np.all((alive >= 0) & (alive <= 1))
    np.testing.assert_allclose(
        model.conditional_probability_of_purchases(0, 0, *hist), 1.0, rtol=1e-12
    )


@settings(max_examples=30, deadline=None)
@given(params=bgbb_params(), t=st.integers(0, 30))
def test_new_customer_distribution(params: Any, t: int) -> None:
    model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(*params))
    k = np.arange(t + 1)
    probs = model.probability_of_purchases(k, t)
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-10)
    assert float(probs @ k) == pytest.approx(
        float(model.expected_purchases_new(t)), rel=1e-9, abs=1e-12
    )
    # a new customer is a history with x = t_x = n = 0
    np.testing.assert_allclose(
        model.expected_purchases_new(t), model.expected_purchases(t, 0, 0, 0), rtol=1e-12
    )


def test_expected_purchases_closed_form_of_the_paper() -> None:
    # FHS (2010) eq. (13) as written (gamma != 1): 1/L B(a+x+1, b+n-x)/B(a,b) delta/(gamma-1)
    # Gamma(gamma+delta)/Gamma(1+delta) [Gamma(1+delta+n)/Gamma(gamma+delta+n) - ...(n+n*)]
    from scipy.special import betaln, gammaln

    a, b, g, d = PUBLISHED.as_array()
    x, t_x, n, m = 3.0, 4.0, 6.0, 5.0
    log_l = _direct_ll(3, 4, 6, a, b, g, d)
    want = (
        math.exp(betaln(a + x + 1, b + n - x) - betaln(a, b) - log_l)
        * d / (g - 1) * math.exp(gammaln(g + d) - gammaln(1 + d))
        * (math.exp(gammaln(1 + d + n) - gammaln(g + d + n))
           - math.exp(gammaln(1 + d + n + m) - gammaln(g + d + n + m)))
    )  # fmt: skip
    assert float(MODEL.expected_purchases(m, x, t_x, n)) == pytest.approx(want, rel=1e-12)
    # at gamma = 1 the closed form has a removable singularity; the sum has none
    one = BetaGeoBetaBinom(BetaGeoBetaBinomParams(a, b, 1.0, d))
    near = BetaGeoBetaBinom(BetaGeoBetaBinomParams(a, b, 1.0 + 1e-9, d))
    assert float(one.expected_purchases(m, x, t_x, n)) == pytest.approx(
        float(near.expected_purchases(m, x, t_x, n)), rel=1e-8
    )


def test_fractional_window_counts_whole_opportunities() -> None:
    assert float(MODEL.expected_purchases(2.7, 3, 4, 6)) == float(
        MODEL.expected_purchases(2, 3, 4, 6)
    )
    assert float(MODEL.expected_purchases("3Y", 3, 4, 6)) == float(
        MODEL.expected_purchases(3, 3, 4, 6)
    )
    assert np.all(np.diff(MODEL.expected_purchases(np.arange(0, 30), 3, 4, 6)) > 0)


# ------------------------------------------------------------------ DERT three ways
@pytest.mark.parametrize("rate", [0.1, 0.02, 0.5])
def test_dert_closed_form_equals_discrete_sum_and_long_direct_sum(rate: float) -> None:
    x, t_x, n = _grid()
    closed = MODEL.discounted_expected_residual_transactions(x, t_x, n, discount_rate=rate)
    hook = discounted_expected_transactions(
        MODEL, x, t_x, n, horizon=math.inf, discount_rate=math.log1p(rate)
    )
    np.testing.assert_allclose(hook, closed, rtol=1e-10)
    # a long direct sum: P(alive at n + k) E[p | history] / (1 + rate)^k, k = 1..3000
    k = np.arange(1, 3001)[:, None]
    alive = MODEL.probability_alive_at(k, x[None, :], t_x[None, :], n[None, :])
    a, b = PUBLISHED.alpha, PUBLISHED.beta
    direct = (alive * (1 + rate) ** -k.astype(float)).sum(axis=0) * (a + x) / (a + b + n)
    np.testing.assert_allclose(direct, closed, rtol=1e-10)


def test_finite_horizon_det_is_the_discrete_sum_up_to_the_horizon() -> None:
    rate = math.log(1.1)
    got = discounted_expected_transactions(MODEL, [3], [4], [6], horizon=5.5, discount_rate=rate)
    inc = np.diff(MODEL.expected_purchases(np.arange(0, 6), 3, 4, 6))
    want = float(np.sum(inc * np.exp(-rate * np.arange(1, 6))))
    assert float(got[0]) == pytest.approx(want, rel=1e-12)
    undiscounted = discounted_expected_transactions(
        MODEL, [3], [4], [6], horizon=5, discount_rate=0.0
    )
    assert float(undiscounted[0]) == pytest.approx(
        float(MODEL.expected_purchases(5, 3, 4, 6)), rel=1e-12
    )


def test_clv_runs_on_bgbb() -> None:
    class Spend:
        time_unit = "Y"

        def expected_spend(self, frequency: Any, monetary_value: Any) -> Any:
            return np.asarray(monetary_value, dtype=float)

    clv = customer_lifetime_value(
        MODEL, Spend(), [6], [6], [6], [50.0], horizon="inf", annual_discount_rate=0.1
    )
    dert = MODEL.discounted_expected_residual_transactions(6, 6, 6, discount_rate=0.1)
    assert float(clv[0]) == pytest.approx(50.0 * float(dert), rel=1e-10)


# ------------------------------------------------------------------ extreme inputs
mp = pytest.importorskip("mpmath")


def _mp_reference(
    x: int, t_x: int, n: int, m: int, params: tuple[float, ...]
) -> tuple[Any, Any, Any]:
    """50-digit log L, P(alive at n) and E[X(n, n+m)] by direct sums."""
    with mp.workdps(50):
        a, b, g, d = (mp.mpf(v) for v in params)
        B = mp.beta
        first = B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d)
        total = first + mp.fsum(
            B(a + x, b + t_x - x + i) / B(a, b) * B(g + 1, d + t_x + i) / B(g, d)
            for i in range(n - t_x)
        )
        alive = first / total
        surv = mp.fsum(B(g, d + n + k) / B(g, d + n) for k in range(1, m + 1))
        return mp.log(total), alive, alive * (a + x) / (a + b + n) * surv


EXTREME_PARAMS = [
    (1e-6, 1e-6, 1e-6, 1e-6),
    (1e6, 1e-3, 1e3, 1e6),
    (1e-3, 1e6, 1e-6, 1e-2),
    (0.5, 2.0, 1.0, 1e6),
    (1e8, 1e8, 1e-8, 1e8),
]
EXTREME_HISTORIES = [
    (0, 0, 1, 3),
    (1, 1, 1, 1),
    (20, 50, 100, 40),
    (0, 0, 3000, 200),
    (2900, 3000, 3000, 5),
]


def _check_against_mpmath(params: tuple[float, ...], histories: list[tuple[int, ...]]) -> None:
    model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(*params))
    for x, t_x, n, m in histories:
        ll, alive, expected = _mp_reference(x, t_x, n, m, params)
        # abs: an error of 1e-10 in ln L is a relative error of 1e-10 in L (ln L near 0 when
        # one outcome is almost certain, e.g. alpha = 1e-3 with beta = 1e6)
        assert float(model.log_likelihood_per_customer(x, t_x, n)) == pytest.approx(
            float(ll), rel=1e-10, abs=1e-10
        )
        assert float(model.probability_alive(x, t_x, n)) == pytest.approx(
            float(alive), rel=1e-8, abs=1e-300
        )
        assert float(model.expected_purchases(m, x, t_x, n)) == pytest.approx(
            float(expected), rel=1e-8, abs=1e-300
        )


@pytest.mark.parametrize("params", EXTREME_PARAMS)
def test_extreme_inputs_against_mpmath(params: tuple[float, ...]) -> None:
    _check_against_mpmath(params, [h for h in EXTREME_HISTORIES if h[2] <= 100])


@pytest.mark.slow
@pytest.mark.parametrize("params", EXTREME_PARAMS)
def test_long_extreme_histories_against_mpmath(params: tuple[float, ...]) -> None:
    _check_against_mpmath(params, [h for h in EXTREME_HISTORIES if h[2] > 100])


def test_long_histories_stay_finite() -> None:
    n = np.array([1e4, 1e4, 2e4])
    x = np.array([0.0, 9000.0, 1.0])
    t_x = np.array([0.0, 9999.0, 1.0])
    for params in EXTREME_PARAMS:
        model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(*params))
        for out in (
            model.log_likelihood_per_customer(x, t_x, n),
            model.probability_alive(x, t_x, n),
            model.expected_purchases(1e4, x, t_x, n),
        ):
            assert np.all(np.isfinite(out))


# ------------------------------------------------------------------ simulation
def test_simulation_recovers_parameters_and_predicts_holdout() -> None:
    true = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.2, 0.75, 0.66, 2.8), time_unit="Y")
    sim = true.simulate(np.full(20_000, 6.0), rng=11, horizon=5)
    fit = BetaGeoBetaBinom.fit(sim.frequency, sim.recency, sim.T, strict=True)
    se = fit.stderr
    assert se is not None
    assert np.all(np.abs(fit.params.as_array() - true.params.as_array()) < 3 * se)
    # conditional predictions of the holdout, by calibration frequency
    pred = true.expected_purchases(5, sim.frequency, sim.recency, sim.T)
    for x in range(7):
        sel = sim.frequency == x
        diff = sim.holdout_frequency[sel] - pred[sel]
        assert abs(diff.mean()) < 3 * diff.std() / math.sqrt(sel.sum()) + 1e-12
    # latent state vs P(alive)
    alive = true.probability_alive(sim.frequency, sim.recency, sim.T)
    resid = sim.alive_at_T - alive
    assert abs(resid.mean()) < 3 * resid.std() / math.sqrt(resid.size)


# ------------------------------------------------------------------ histories from a log
def test_bgbb_histories_from_period_labels() -> None:
    ids = np.array(["a", "a", "a", "b", "c", "c", "d", "d"])
    year = np.array([1995, 1997, 1997, 1996, 1995, 1995, 1995, 1996])
    h = bgbb_histories(ids, year, last_period=2001, time_unit="Y")
    rows = set(
        zip(
            h.frequency.tolist(),
            h.recency.tolist(),
            h.n_periods.tolist(),
            h.weights.tolist(),
            strict=True,
        )
    )
    # a: born 1995, buys 1997 -> (1, 2, 6); b: (0, 0, 5); c: (0, 0, 6); d: (1, 1, 6)
    assert rows == {(1, 2, 6, 1), (0, 0, 5, 1), (0, 0, 6, 1), (1, 1, 6, 1)}
    assert h.time_unit == "Y"
    assert h.n_customers == 4
    # the histories fit directly, as do two identical customers collapsed into a count
    twice = bgbb_histories(np.array([1, 1, 2, 2]), np.array([0, 1, 0, 1]), last_period=3)
    assert twice.weights.tolist() == [2]


def test_bgbb_histories_errors_name_the_customer() -> None:
    with pytest.raises(InvalidInputError, match=r"period must be <= last_period.*customer_id 'z'"):
        bgbb_histories(np.array(["y", "z"]), np.array([2000, 2003]), last_period=2002)
    with pytest.raises(InvalidInputError, match=r"period must be a whole number.*customer_id 7"):
        bgbb_histories(np.array([3, 7]), np.array([2000, 2000.5]), last_period=2002)
    with pytest.raises(InvalidInputError, match="shape"):
        bgbb_histories(np.array([1, 2]), np.array([2000]), last_period=2002)


# ------------------------------------------------------------------ protocol, units, JSON
def test_protocol_and_units() -> None:
    model: PurchaseModel = MODEL
    assert isinstance(model, PurchaseModel)
    assert MODEL.in_unit("12M").time_unit == "12M"
    with pytest.raises(InvalidInputError, match=r"purchase opportunities.*'Y'"):
        MODEL.in_unit("M")
    with pytest.raises(InvalidInputError, match="no time unit"):
        BetaGeoBetaBinom(PUBLISHED).in_unit("Y")
    with pytest.raises(InvalidInputError, match="time unit mismatch"):
        MODEL.expected_purchases(1, 1, 1, 2, time_unit="W")


def test_json_round_trip_is_exact(fitted: BetaGeoBetaBinom) -> None:
    for model in (fitted, MODEL, attrs.evolve(MODEL, time_unit=None)):
        back = BetaGeoBetaBinom.from_json(model.to_json())
        assert back == model
        assert back.to_json() == model.to_json()
    doc = json.loads(fitted.to_json())
    assert doc["kind"] == "BetaGeoBetaBinom"
    assert "BetaGeoBetaBinomParams(alpha=1.204" in repr(MODEL)
    assert "time_unit='Y'" in repr(MODEL)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, 2], [1, 1], [3, 3]), r"frequency must be <= recency.*index 1.*2"),
        (([0, 1], [0, 4], [3, 3]), r"recency must be <= n_periods.*index 1.*4"),
        (([0, 0], [0, 1], [3, 3]), r"recency must be 0 where frequency is 0.*index 1"),
        (([0, 1], [0, 1.5], [3, 3]), r"recency must be a whole number.*index 1.*1.5"),
        (([0, 1], [0, 1], [3, -3]), r"n_periods.*index 1.*-3"),
    ],
)
def test_bad_histories_name_argument_value_and_position(args: Any, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        MODEL.probability_alive(*args)
    with pytest.raises(InvalidInputError, match=message):
        BetaGeoBetaBinom.fit(*args)


def test_other_bad_input() -> None:
    from custvalue.datasets import load_cdnow_summary

    with pytest.raises(InvalidInputError, match="bgbb_histories"):
        MODEL.probability_alive(load_cdnow_summary())
    with pytest.raises(InvalidInputError, match="n_periods must be > 0"):
        BetaGeoBetaBinom.fit([0], [0], [0])
    with pytest.raises(InvalidInputError, match="delta"):
        BetaGeoBetaBinomParams(1, 1, 1, 0)
    with pytest.raises(InvalidInputError, match="discount_rate"):
        MODEL.discounted_expected_residual_transactions(1, 1, 2, discount_rate=0.0)
    with pytest.raises(InvalidInputError, match="t"):
        MODEL.expected_purchases(-1, 1, 1, 2)
    # every sum runs over the opportunities: at most 1e6 of them, exactly on the threshold
    assert np.isfinite(MODEL.expected_purchases(1e6, 1, 1, 2))
    with pytest.raises(InvalidInputError, match=r"t must be <= 1e\+?0?6"):
        MODEL.expected_purchases(1e6 + 1, 1, 1, 2)
    with pytest.raises(InvalidInputError, match=r"n_periods must be <= 1e\+?0?6"):
        MODEL.probability_alive(0, 0, 1e6 + 1)


@pytest.mark.parametrize("top", [6, 300])
def test_grouped_evaluation_equals_row_by_row(top: int) -> None:
    # >= 4096 rows are evaluated once per distinct history (dense code table for n < 128,
    # the general collapse above); the result must not depend on it
    rng = np.random.default_rng(top)
    n = rng.integers(0, top + 1, size=5000).astype(float)
    t_x = np.floor(rng.random(n.size) * (n + 1))
    x = np.where(t_x > 0, np.floor(rng.random(n.size) * t_x) + 1, 0.0)
    grouped = MODEL.log_likelihood_per_customer(x, t_x, n)
    rows = np.concatenate(
        [MODEL.log_likelihood_per_customer(x[i : i + 1000], t_x[i : i + 1000], n[i : i + 1000])
         for i in range(0, n.size, 1000)]
    )  # fmt: skip
    np.testing.assert_array_equal(grouped, rows)
    h = bgbb_histories(np.repeat(np.arange(3), 2), np.array([0, 2, 0, 0, 1, 1]), last_period=4)
    np.testing.assert_array_equal(
        MODEL.expected_purchases(2, h),
        MODEL.expected_purchases(2, h.frequency, h.recency, h.n_periods),
    )


def test_bgbb_histories_refuses_more_than_the_opportunity_cap_by_customer() -> None:
    """A period 1e6 before last_period is the cap (accepted); one more is refused by id, not
    cast to int64 garbage (found by the fuzz target: -9.2e18)."""
    from custvalue.clv import bgbb_histories
    from custvalue.errors import InvalidInputError

    ok = bgbb_histories([1, 2], [2000 - 1_000_000, 2000], last_period=2000)
    assert sorted(ok.n_periods.tolist()) == [0, 1_000_000]
    with pytest.raises(InvalidInputError, match=r"index 1 \(customer_id 'b'\)"):
        bgbb_histories(["a", "b"], [2000, 2000 - 1_000_001], last_period=2000)
