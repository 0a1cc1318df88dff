"""Reproducibility (seeded randomness, no global state) and no mutation of caller data.

* Every random entry point takes ``rng`` (an int seed or a ``numpy.random.Generator``): the same
  seed gives bit-identical output, a shared Generator advances, and numpy's global random state
  is never touched (checked with a sentinel state).
* Every public function leaves its input arrays untouched, works on read-only inputs, and any
  output array that shares memory with an input is read-only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest

import custvalue
from custvalue import clv, lifecycle, segments
from custvalue.errors import ConvergenceWarning, InvalidInputError, InvalidTypeError

PARAMS = clv.BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
BG = clv.BetaGeo(PARAMS)
BGBB = clv.BetaGeoBetaBinom(clv.BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
SBG = clv.ShiftedBetaGeo(clv.ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
GG = clv.GammaGamma(clv.GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
MM = lifecycle.MigrationModel(
    [[0.1, 0.6, 0.0, 0.3], [0.0, 0.8, 0.2, 0.0], [0.0, 0.4, 0.3, 0.3], [0.2, 0.0, 0.0, 0.8]]
)
ESTIMATE = lifecycle.estimate_migration(
    np.array([[2, 30, 0, 8], [0, 50, 10, 0], [0, 6, 3, 5], [1, 0, 0, 4]]),
    prior=lifecycle.allowed_matrix().astype(float),
)
TREE = lifecycle.tarp_tree(
    "minor", no_failure_rate=0.9, failure_share=0.3, complaint_share=0.4, quick_share=0.5,
    resolved_share=0.3, unresolved_share=0.2,
)  # fmt: skip
TREE_AFTER = lifecycle.tarp_tree(
    "minor", no_failure_rate=0.9, failure_share=0.3, complaint_share=0.6, quick_share=0.5,
    resolved_share=0.3, unresolved_share=0.2,
)  # fmt: skip
SIM = clv.simulate_bgnbd(PARAMS, np.full(500, 39.0), rng=0)
#: Models with a covariance, for clv_interval's normal draws.
BG_FIT = attrs.evolve(BG, covariance=np.diag([1e-4, 1e-2, 1e-3, 1e-2]))
GG_FIT = attrs.evolve(GG, covariance=np.diag([1e-2, 1e-2, 1e-1]))
POSTERIOR = lifecycle.RepurchasePosterior.from_counts([50, 40, 30, 20, 10], [45, 20, 14, 9, 8])


def _bootstrap(rng: Any) -> clv.BootstrapResult:
    # a replicate of 500 customers may land on the boundary (a, b -> inf) and warn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clv.bootstrap(clv.BetaGeo, SIM.frequency, SIM.recency, SIM.T, n_resamples=3, rng=rng)


RANDOM: dict[str, Callable[[Any], Any]] = {
    "simulate_bgnbd": lambda rng: clv.simulate_bgnbd(
        PARAMS, np.linspace(1.0, 60.0, 40), rng=rng, horizon=20.0
    ),
    "simulate_pareto_nbd": lambda rng: clv.simulate_pareto_nbd(
        clv.ParetoNBDParams(0.553, 10.578, 0.606, 11.669),
        np.linspace(1.0, 60.0, 40),
        rng=rng,
        horizon=20.0,
    ),
    "bootstrap": lambda rng: _bootstrap(rng),
    "BetaGeoBetaBinom.simulate": lambda rng: BGBB.simulate(
        np.arange(1.0, 40.0), rng=rng, horizon=5
    ),
    "clv_interval": lambda rng: clv.clv_interval(
        BG_FIT,
        GG_FIT,
        SIM.frequency[:20],
        SIM.recency[:20],
        SIM.T[:20],
        30.0,
        horizon=52.0,
        discount_rate=0.002,
        n_resamples=5,
        rng=rng,
    ),
    "MigrationModel.simulate": lambda rng: MM.simulate([0, 1, 2, 3, 1, 1], 12, rng=rng),
    "MigrationModel.simulate_value": lambda rng: MM.simulate_value(
        [0, 1, 2, 3, 1], [10.0, 50.0, 5.0, 0.0], 0.1, 12, rng=rng
    ),
    "MigrationEstimate.posterior_draws": lambda rng: ESTIMATE.posterior_draws(25, rng=rng),
    "RepurchasePosterior.draws": lambda rng: POSTERIOR.draws(30, rng=rng),
    "RepurchasePosterior.summary": lambda rng: POSTERIOR.summary(n_draws=300, rng=rng),
}


def _arrays(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _arrays(v)]
    if attrs.has(type(value)):
        return [a for f in attrs.fields(type(value)) for a in _arrays(getattr(value, f.name))]
    if isinstance(value, float):
        return [np.asarray(value)]
    return []


def _bit_identical(a: Any, b: Any) -> bool:
    xs, ys = _arrays(a), _arrays(b)
    return len(xs) == len(ys) > 0 and all(
        x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
        for x, y in zip(xs, ys, strict=True)
    )


@pytest.mark.parametrize("name", list(RANDOM))
def test_same_seed_gives_bit_identical_output(name: str) -> None:
    call = RANDOM[name]
    assert _bit_identical(call(123), call(123))
    assert _bit_identical(call(np.random.default_rng(9)), call(np.random.default_rng(9)))
    assert _bit_identical(call(7), call(np.random.default_rng(7)))  # int seed = default_rng(seed)
    assert not _bit_identical(call(1), call(2))  # the seed matters


@pytest.mark.parametrize("name", list(RANDOM))
def test_a_shared_generator_advances(name: str) -> None:
    gen = np.random.default_rng(5)
    first, second = RANDOM[name](gen), RANDOM[name](gen)
    assert not _bit_identical(first, second)


@pytest.mark.parametrize("name", list(RANDOM))
@pytest.mark.parametrize("bad", [1.5, "seed", True, None, np.random.RandomState(0), -3])
def test_invalid_rng_is_rejected(name: str, bad: Any) -> None:
    with pytest.raises((InvalidTypeError, InvalidInputError)):
        RANDOM[name](bad)


def test_global_random_state_is_never_used_or_changed() -> None:
    """Sentinel: fix numpy's global state, run everything random, the state is unchanged, and
    re-seeding the global state does not change any result."""
    np.random.seed(20240229)  # noqa: NPY002 - the sentinel under test
    before = np.random.get_state()  # noqa: NPY002
    first = {name: call(11) for name, call in RANDOM.items()}
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]
    np.random.seed(1)  # noqa: NPY002
    for name, call in RANDOM.items():
        assert _bit_identical(first[name], call(11)), name


# ------------------------------------------------------------------------- no mutation
def _inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 12
    sim = clv.simulate_bgnbd(PARAMS, rng.uniform(5.0, 60.0, 400), rng=rng)
    x, tx, T = (a.copy() for a in (sim.frequency, sim.recency, sim.T))  # writable inputs
    m = np.where(x > 0, rng.gamma(6.0, 5.0, x.size), 0.0)
    discrete = BGBB.simulate(np.arange(1.0, 60.0), rng=rng)
    dates = np.datetime64("2000-01-01") + rng.integers(0, 300, 30).astype("timedelta64[D]")
    return {
        "x": x, "tx": tx, "T": T, "m": m, "t": np.array([1.0, 5.0, 39.0]),
        "ids": rng.integers(0, 8, 30), "dates": dates, "amount": rng.uniform(1.0, 50.0, 30),
        "values": rng.normal(50.0, 30.0, n), "cost": rng.uniform(0.0, 20.0, n),
        "unit": rng.uniform(0.0, 1.0, n), "counts": rng.integers(1, 9, n).astype(float),
        "scores": rng.integers(1, 6, n).astype(float), "matrix": MM.matrix.copy(),
        "transitions": np.array([[2, 30, 0, 8], [0, 50, 10, 0], [0, 6, 3, 5], [1, 0, 0, 4]]),
        "start": np.array([0.25, 0.25, 0.25, 0.25]), "rewards": np.array([10.0, 50.0, 5.0, 0.0]),
        "paths": np.array([[0, 1, 1, 2, 1, 1], [0, 3, 3, 0, 1, 2], [1, 1, 2, 3, 0, 1]]),
        "tiers": rng.integers(0, 4, n),
        "periods": rng.integers(1990, 2000, 30).astype(float),
        "bx": np.array(discrete.frequency), "btx": np.array(discrete.recency),
        "bn": np.array(discrete.T),
    }  # fmt: skip


CALLS: dict[str, Callable[[dict[str, np.ndarray]], Any]] = {
    "summarize_transactions": lambda d: custvalue.summarize_transactions(
        d["ids"], d["dates"], d["amount"]),
    "calibration_holdout_split": lambda d: custvalue.calibration_holdout_split(
        d["ids"], d["dates"], d["amount"], calibration_end=np.datetime64("2000-07-01")),
    "BetaGeo.fit": lambda d: BG.fit(d["x"], d["tx"], d["T"]),
    "BetaGeo.probability_alive": lambda d: BG.probability_alive(d["x"], d["tx"], d["T"]),
    "BetaGeo.expected_purchases": lambda d: BG.expected_purchases(10.0, d["x"], d["tx"], d["T"]),
    "BetaGeo.probability_no_purchase": lambda d: BG.probability_no_purchase(
        10.0, d["x"], d["tx"], d["T"]),
    "BetaGeo.log_likelihood_per_customer": lambda d: BG.log_likelihood_per_customer(
        d["x"], d["tx"], d["T"]),
    "BetaGeo.expected_purchases_new": lambda d: BG.expected_purchases_new(d["t"]),
    "BetaGeo.probability_of_purchases": lambda d: BG.probability_of_purchases(d["x"], d["T"]),
    "BetaGeoBetaBinom.fit": lambda d: BGBB.fit(d["bx"], d["btx"], d["bn"], weights=d["bn"]),
    "BetaGeoBetaBinom.probability_alive": lambda d: BGBB.probability_alive(
        d["bx"], d["btx"], d["bn"]),
    "BetaGeoBetaBinom.expected_purchases": lambda d: BGBB.expected_purchases(
        d["t"][:, None], d["bx"], d["btx"], d["bn"]),
    "BetaGeoBetaBinom.conditional_probability_of_purchases": lambda d: (
        BGBB.conditional_probability_of_purchases(d["bx"], d["bn"], d["bx"], d["btx"], d["bn"])),
    "BetaGeoBetaBinom.probability_of_purchases": lambda d: BGBB.probability_of_purchases(
        d["bx"], d["bn"]),
    "bgbb_histories": lambda d: clv.bgbb_histories(d["ids"], d["periods"], last_period=2001),
    "DiscreteHistories": lambda d: clv.DiscreteHistories(d["bx"], d["btx"], d["bn"], d["bn"]),
    "GammaGamma.fit": lambda d: GG.fit(d["x"], d["m"]),
    "GammaGamma.expected_spend": lambda d: GG.expected_spend(d["x"], d["m"]),
    "spend_frequency_independence": lambda d: clv.spend_frequency_independence(d["x"], d["m"]),
    "simulate_bgnbd": lambda d: clv.simulate_bgnbd(PARAMS, d["T"], rng=1),
    "simulate_pareto_nbd": lambda d: clv.simulate_pareto_nbd(
        clv.ParetoNBDParams(0.553, 10.578, 0.606, 11.669), d["T"], rng=1),
    "bootstrap": lambda d: clv.bootstrap(
        clv.BetaGeo, d["x"], d["tx"], d["T"], weights=d["T"], n_resamples=2, rng=1),
    "customer_lifetime_value": lambda d: clv.customer_lifetime_value(
        BG, GG, d["x"], d["tx"], d["T"], d["m"], horizon=52.0, discount_rate=0.002),
    "clv_interval": lambda d: clv.clv_interval(
        BG_FIT, GG_FIT, d["x"], d["tx"], d["T"], d["m"], horizon=52.0, discount_rate=0.002,
        n_resamples=3, rng=0),
    "clv_cash_flows": lambda d: clv.clv_cash_flows(
        BG, GG, d["x"], d["tx"], d["T"], d["m"], periods=4.0, horizon=52.0, discount_rate=0.002),
    "discounted_expected_transactions": lambda d: clv.discounted_expected_transactions(
        BG, d["x"], d["tx"], d["T"], horizon=52.0, discount_rate=0.002),
    "lifetimes_customer_lifetime_value": lambda d: clv.lifetimes_customer_lifetime_value(
        BG, GG, d["x"], d["tx"], d["T"], d["m"], freq="W"),
    "tier_profiles": lambda d: segments.tier_profiles(
        d["tiers"], d["values"] + d["cost"], d["cost"]),
    "rfm_segments": lambda d: segments.rfm_segments(
        segments.rfm_scores(d["T"], d["x"] + 1, d["m"]), value=d["T"]),
    "check_transitions": lambda d: lifecycle.check_transitions(d["paths"][:, :-1],
                                                               d["paths"][:, 1:]),
    "link_retention": lambda d: lifecycle.link_retention(
        SBG, lifecycle.MigrationModel(d["matrix"]), tenure=d["x"]),
    "retention_churn_probability": lambda d: lifecycle.retention_churn_probability(SBG, d["x"]),
    "ShiftedBetaGeo.fit": lambda d: clv.ShiftedBetaGeo.fit(
        d["x"] + 1, d["x"] % 2 == 0, weights=d["T"]),
    "link_recovery": lambda d: lifecycle.link_recovery(TREE, lifecycle.MigrationModel(d["matrix"])),
    "recovery_what_if": lambda d: lifecycle.recovery_what_if(
        lifecycle.MigrationModel(d["matrix"]), TREE, TREE_AFTER, d["rewards"], 0.1),
    "rfm_scores": lambda d: segments.rfm_scores(
        d["T"], d["x"] + 1, d["m"] * (d["x"] + 1), binning="nested"),
    "SegmentMap.assign": lambda d: segments.RF_SEGMENT_MAP.assign(d["scores"], d["scores"]),
    "customer_profit": lambda d: segments.customer_profit(d["values"], d["cost"]),
    "pyramid_tiers": lambda d: segments.pyramid_tiers(d["values"]),
    "customer_pyramid": lambda d: segments.customer_pyramid(d["values"], d["cost"]),
    "gini": lambda d: segments.gini(d["m"]),
    "lorenz_curve": lambda d: segments.lorenz_curve(d["m"]),
    "top_share": lambda d: segments.top_share(d["m"]),
    "share_of_wallet": lambda d: segments.share_of_wallet(d["unit"], d["counts"]),
    "market_share": lambda d: segments.market_share(d["unit"], d["counts"]),
    "potential_value": lambda d: segments.potential_value(d["values"], d["unit"]),
    "value_classes": lambda d: segments.value_classes(d["values"], d["values"] + d["cost"]),
    "predicted_value_segments": lambda d: segments.predicted_value_segments(
        d["values"], d["unit"]),
    "satisfaction_loyalty_quadrants": lambda d: segments.satisfaction_loyalty_quadrants(
        d["scores"], d["scores"], value=d["values"]),
    "loyalty_ladder": lambda d: segments.loyalty_ladder(d["counts"], value=d["values"]),
    "StagePolicy.assign": lambda d: lifecycle.StagePolicy().assign(d["counts"], d["unit"]),
    "stage_history": lambda d: lifecycle.stage_history(
        d["ids"], d["dates"], np.array(["2000-04-01", "2000-09-01"], dtype="datetime64[D]"),
        p_alive=BG),
    "MigrationModel": lambda d: lifecycle.MigrationModel(d["matrix"]),
    "MigrationModel.value": lambda d: MM.value(d["rewards"], 0.1),
    "MigrationModel.forecast": lambda d: MM.forecast(d["start"], 5),
    "MigrationModel.simulate": lambda d: MM.simulate(d["paths"][0], 4, rng=2),
    "estimate_migration": lambda d: lifecycle.estimate_migration(d["transitions"]),
    "count_transitions": lambda d: lifecycle.count_transitions(d["paths"]),
    "repurchase_intent": lambda d: lifecycle.repurchase_intent(*[d["unit"]] * 10),
    "intent_derivative_complaint_share": lambda d: lifecycle.intent_derivative_complaint_share(
        *[d["unit"]] * 8),
}  # fmt: skip


#: Public callables that take no caller arrays (scalars, strings or nothing), or whose own
#: tests check this: the completeness test below accepts them without an entry in CALLS.
NO_ARRAYS = {
    "time_unit_days": "a time unit (string or timedelta)",
    "continuous_discount_rate": "two scalars",
    "compare_models": "fitted models and a CalibrationHoldout, no caller arrays",
    "allowed_matrix": "no input",
    "tarp_tree": "scalar rates",
    "evaluate": "a CalibrationHoldout, whose arrays are read-only copies",
    "score": "DataFrame adapter: tests/test_frame.py checks the caller's frame is unchanged",
}


def test_every_public_function_taking_arrays_is_checked() -> None:
    names = {name.split(".")[0] for name in CALLS}
    for module in (custvalue, clv, segments, lifecycle):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type):
                assert name in names or name in NO_ARRAYS, f"{module.__name__}.{name}"


def _snapshot(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in inputs.items()}


def _mutated(call: Callable[[dict[str, np.ndarray]], Any]) -> list[str]:
    inputs = _inputs()
    before = _snapshot(inputs)
    call(inputs)
    return [
        k
        for k, v in inputs.items()
        if v.dtype != before[k].dtype or not np.array_equal(v, before[k], equal_nan=True)
    ]


@pytest.mark.parametrize("name", list(CALLS))
def test_inputs_are_not_mutated(name: str) -> None:
    assert _mutated(CALLS[name]) == [], f"{name} modified its arguments"


def _aliased_writable(out: Any, inputs: dict[str, np.ndarray]) -> list[str]:
    return [
        key
        for array in _arrays(out)
        for key, value in inputs.items()
        if np.shares_memory(array, value) and array.flags.writeable
    ]


def test_the_checks_can_fail() -> None:
    """Guards against vacuous checks: a mutating call and a writable alias are detected."""

    def mutate(d: dict[str, np.ndarray]) -> None:
        d["x"][0] += 1.0

    assert _mutated(mutate) == ["x"]
    inputs = _inputs()
    assert _aliased_writable((inputs["T"][:3],), inputs) == ["T"]


@pytest.mark.parametrize("name", list(CALLS))
def test_read_only_inputs_work_and_aliased_outputs_are_read_only(name: str) -> None:
    inputs = _inputs()
    writable = CALLS[name](_snapshot(inputs))
    for value in inputs.values():
        value.flags.writeable = False
    out = CALLS[name](inputs)
    assert _bit_identical(out, writable) or not _arrays(out)
    assert _aliased_writable(out, inputs) == [], f"{name}: output aliases an input writably"
    writable_inputs = _inputs()
    out = CALLS[name](writable_inputs)
    assert _aliased_writable(out, writable_inputs) == [], f"{name}: output aliases an input"
