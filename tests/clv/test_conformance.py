"""The conformance battery every purchase model passes (as scipy tests its distributions).

Each test runs over ``conformance_models.CASES`` and uses only the methods of the
:class:`~custvalue.clv.PurchaseModel` protocol, so a new model gets all of it by being added to
that list. What each test would catch is said in its docstring.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from conformance_models import CASES, Case
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import bgnbd_histories

from custvalue.clv import PurchaseModel
from custvalue.errors import CustValueError, InvalidInputError

pytestmark = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


@st.composite
def _histories(draw: st.DrawFn, case: Case) -> tuple[Any, Any, Any]:
    """(frequency, recency, T) valid for the case: whole periods for discrete models."""
    if not case.discrete:
        x, t_x, age = draw(bgnbd_histories(max_size=6, max_frequency=60))
        return x, t_x, age
    n = draw(st.integers(1, 6))
    rows = []
    for _ in range(n):
        periods = draw(st.integers(1, 40))
        freq = draw(st.integers(0, periods))
        rec = 0 if freq == 0 else draw(st.integers(freq, periods))
        rows.append((float(freq), float(rec), float(periods)))
    x, t_x, age = (np.array(col) for col in zip(*rows, strict=True))
    return x, t_x, age


def _times(case: Case) -> st.SearchStrategy[float]:
    if case.discrete:
        return st.integers(0, 30).map(float)
    return st.floats(0.0, 200.0)


def _simulated(case: Case, n: int, seed: int, horizon: float = 0.0) -> Any:
    return case.model.simulate(np.full(n, case.T), rng=seed, horizon=horizon)


def test_satisfies_the_protocol(case: Case) -> None:
    """The protocol is structural: a missing or misnamed method fails here, not in user code."""
    model: PurchaseModel = case.model
    assert isinstance(model, PurchaseModel)
    assert model.time_unit is not None


@settings(max_examples=20)
@given(data=st.data())
def test_probabilities_lie_in_the_unit_interval(case: Case, data: st.DataObject) -> None:
    """P(alive), P(X(t) = n) and P(X(T, T+t) = n | history) are probabilities."""
    model = case.model
    x, t_x, age = data.draw(_histories(case))
    t = data.draw(_times(case))
    n = data.draw(st.integers(0, 20))
    for p in (
        model.probability_alive(x, t_x, age),
        model.probability_of_purchases(n, t),
        model.conditional_probability_of_purchases(n, t, x, t_x, age),
    ):
        assert np.all(np.isfinite(p))
        assert np.all((p >= 0.0) & (p <= 1.0))


@settings(max_examples=15)
@given(data=st.data())
def test_probability_mass_sums_to_one_and_has_the_expected_mean(
    case: Case, data: st.DataObject
) -> None:
    """Sum over n of P(X = n) is 1 and sum of n P(X = n) is the expectation, new customers
    and customers with a history: catches a missing term of the mass function or an
    expectation over a different window."""
    model = case.model
    x, t_x, age = data.draw(_histories(case))
    t = data.draw(st.integers(1, 20).map(float) if case.discrete else st.floats(0.1, 40.0))
    n = np.arange(3000.0)[:, None]  # the mass beyond n = 400 reaches 1e-9 for heavy buyers
    new = model.probability_of_purchases(n, t)
    np.testing.assert_allclose(new.sum(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose((n * new).sum(axis=0), model.expected_purchases_new(t), rtol=1e-8)
    cond = model.conditional_probability_of_purchases(n, t, x[None, :], t_x[None, :], age)
    np.testing.assert_allclose(cond.sum(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(
        (n * cond).sum(axis=0), model.expected_purchases(t, x, t_x, age), rtol=1e-8, atol=1e-12
    )


@settings(max_examples=20)
@given(data=st.data())
def test_expectations_are_non_negative_and_non_decreasing_in_the_horizon(
    case: Case, data: st.DataObject
) -> None:
    model = case.model
    x, t_x, age = data.draw(_histories(case))
    t = np.sort(np.array(data.draw(st.lists(_times(case), min_size=2, max_size=6))))
    new = model.expected_purchases_new(t)
    cond = model.expected_purchases(t[:, None], x, t_x, age)
    for e in (new, cond):
        assert np.all(np.isfinite(e))
        assert np.all(e >= 0.0)
        assert np.all(np.diff(e, axis=0) >= -1e-12 * np.abs(e[1:]))
    assert model.expected_purchases_new(0.0) == 0.0
    np.testing.assert_array_equal(model.expected_purchases(0.0, x, t_x, age), 0.0)


@settings(max_examples=15)
@given(data=st.data())
def test_predictions_do_not_depend_on_the_time_unit(case: Case, data: st.DataObject) -> None:
    """The same real durations in days and in the model's unit give the same predictions:
    catches a time-dimensioned parameter that in_unit forgets to rescale."""
    if case.discrete:
        with pytest.raises(CustValueError, match="period"):
            case.model.in_unit("D")
        return
    model = case.model
    daily = model.in_unit("D")
    k = 7.0 if model.time_unit == "W" else pytest.fail("conformance cases are weekly")
    x, t_x, age = data.draw(_histories(case))
    t = data.draw(_times(case))
    pairs = [
        (model.probability_alive(x, t_x, age), daily.probability_alive(x, k * t_x, k * age)),
        (
            model.expected_purchases(t, x, t_x, age),
            daily.expected_purchases(k * t, x, k * t_x, k * age),
        ),
        (model.expected_purchases_new(t), daily.expected_purchases_new(k * t)),
        (model.probability_of_purchases(2, t), daily.probability_of_purchases(2, k * t)),
        (
            model.conditional_probability_of_purchases(1, t, x, t_x, age),
            daily.conditional_probability_of_purchases(1, k * t, x, k * t_x, k * age),
        ),
    ]
    for weekly, in_days in pairs:
        np.testing.assert_allclose(in_days, weekly, rtol=1e-9, atol=1e-300)
    # densities scale by 1/k per purchase time: log-likelihoods differ by -(x) ln k (x dates)
    ll_w = model.log_likelihood_per_customer(x, t_x, age)
    ll_d = daily.log_likelihood_per_customer(x, k * t_x, k * age)
    np.testing.assert_allclose(ll_d, ll_w - x * math.log(k), rtol=1e-9, atol=1e-9)


@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    """Each model fitted once on 3,000 customers simulated from its own parameters."""
    out = {}
    for case in CASES:
        sim = _simulated(case, 3000, seed=2024)
        model = type(case.model).fit(
            sim.frequency, sim.recency, sim.T, time_unit=case.model.time_unit, **case.fit_kwargs
        )
        out[case.id] = (sim, model)
    return out


def test_fit_is_a_stationary_point_of_the_per_customer_likelihood(
    case: Case, fitted: dict[str, Any]
) -> None:
    """The fit's analytic gradient is right: at its optimum, central finite differences of
    the summed ``log_likelihood_per_customer`` vanish (a wrong gradient stops the optimizer
    elsewhere), and the reported log-likelihood is that sum."""
    sim, model = fitted[case.id]
    assert model.diagnostics.converged, model.diagnostics.message
    total = float(model.log_likelihood_per_customer(sim.frequency, sim.recency, sim.T).sum())
    assert model.log_likelihood == pytest.approx(total, rel=1e-12)
    names = [f.name for f in type(model.params).__attrs_attrs__]
    theta = model.params.as_array()
    for i in range(theta.size):
        grads = []
        for h in (1e-5, 2e-5):  # Richardson: the FD error is O(h^2)
            up, down = theta.copy(), theta.copy()
            up[i] *= math.exp(h)
            down[i] *= math.exp(-h)
            lls = [
                float(
                    type(model)(type(model.params)(*p), time_unit=model.time_unit)
                    .log_likelihood_per_customer(sim.frequency, sim.recency, sim.T)
                    .sum()
                )
                for p in (up, down)
            ]
            grads.append((lls[0] - lls[1]) / (2 * h))
        d_log = (4 * grads[0] - grads[1]) / 3
        # per customer, in log-parameters: the driver's own tolerance is 1e-6
        assert abs(d_log) / sim.frequency.size < 1e-5, names[i]


def test_parameters_are_recovered_within_three_standard_errors(
    case: Case, fitted: dict[str, Any]
) -> None:
    """Simulator and likelihood describe the same process (a factor wrong in either shows
    as a bias of many standard errors at n = 3,000)."""
    _, model = fitted[case.id]
    true = case.model.params.as_array()
    est = model.params.as_array()
    se = model.stderr
    assert se is not None
    assert np.all(np.isfinite(se))
    z = (est - true) / se
    assert np.all(np.abs(z) < 3.5), dict(zip(model.PARAM_NAMES, z, strict=True))


def test_conditional_expectation_matches_simulated_holdout(case: Case) -> None:
    """Mean of E[X(T, T+t) | history] over simulated customers equals their mean simulated
    holdout purchases within 3 standard errors; so does P(alive) vs the latent state."""
    horizon = 10.0 if case.discrete else 26.0
    sim = _simulated(case, 20_000, seed=7, horizon=horizon)
    model = case.model
    expected = model.expected_purchases(horizon, sim.frequency, sim.recency, sim.T)
    diff = sim.holdout_frequency - expected
    se = diff.std(ddof=1) / math.sqrt(diff.size)
    assert abs(diff.mean()) < 3 * se
    alive = sim.alive_at_T - model.probability_alive(sim.frequency, sim.recency, sim.T)
    assert abs(alive.mean()) < 3 * alive.std(ddof=1) / math.sqrt(alive.size)
    n0 = model.conditional_probability_of_purchases(0, horizon, sim.frequency, sim.recency, sim.T)
    zero = (sim.holdout_frequency == 0) - n0
    assert abs(zero.mean()) < 3 * zero.std(ddof=1) / math.sqrt(zero.size)


def test_weighted_fit_equals_the_repeated_rows(case: Case) -> None:
    """Weights are counts: fitting (rows, weights) equals fitting the rows repeated."""
    sim = _simulated(case, 300, seed=11)
    w = np.arange(300) % 3 + 1.0
    cls = type(case.model)
    weighted = cls.fit(sim.frequency, sim.recency, sim.T, weights=w, **case.fit_kwargs)
    rep = np.repeat(np.arange(300), w.astype(int))
    repeated = cls.fit(sim.frequency[rep], sim.recency[rep], sim.T[rep], **case.fit_kwargs)
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)
    assert weighted.n_customers == repeated.n_customers == w.sum()


def test_json_round_trip_is_exact(case: Case, fitted: dict[str, Any]) -> None:
    """Parameters, fit statistics, covariance and unit survive to the last bit; the document
    names its kind, so another model's loader refuses it."""
    _, model = fitted[case.id]
    cls = type(model)
    for m in (case.model, model):
        text = m.to_json()
        back = cls.from_json(text)
        assert back == m
        assert back.to_json() == text
        assert json.loads(text)["kind"] == cls.__name__
    other = next((c for c in CASES if type(c.model) is not cls), None)
    if other is not None:
        with pytest.raises(CustValueError, match=cls.__name__):
            cls.from_json(other.model.to_json())


def test_summary_and_html_describe_the_fit(case: Case, fitted: dict[str, Any]) -> None:
    _, model = fitted[case.id]
    text = model.summary()
    for name in model.PARAM_NAMES:
        assert name in text
    assert f"{model.log_likelihood:.4f}" in text
    assert "<table" in model._repr_html_()
    assert model.aic == pytest.approx(2 * len(model.PARAM_NAMES) - 2 * model.log_likelihood)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "argument"),
    [
        ([1.0, -1.0], [1.0, 0.0], [5.0, 5.0], "frequency"),
        ([1.0, 2.0], [1.0, 6.0], [5.0, 5.0], "recency"),
        ([1.0, 1.5], [1.0, 2.0], [5.0, 5.0], "frequency"),
        ([1.0, np.nan], [1.0, 2.0], [5.0, 5.0], "frequency"),
        ([1.0, 2.0], [1.0, 2.0], [5.0, np.inf], "T"),
    ],
)
def test_bad_histories_are_refused_by_name_and_position(
    case: Case, frequency: list[float], recency: list[float], T: list[float], argument: str
) -> None:
    """Fits and predictions name the argument and the position (1), never return NaN."""
    model = case.model
    if case.discrete and argument == "T":
        argument = "n_periods"  # BG/BB's name for the opportunities observed
    calls = [
        lambda: model.probability_alive(frequency, recency, T),
        lambda: model.expected_purchases(1.0, frequency, recency, T),
        lambda: model.conditional_probability_of_purchases(0, 1.0, frequency, recency, T),
        lambda: model.log_likelihood_per_customer(frequency, recency, T),
        lambda: type(model).fit(frequency, recency, T, **case.fit_kwargs),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError, match=argument) as info:
            call()
        assert "1" in str(info.value)
