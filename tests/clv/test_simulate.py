"""BG/NBD simulator: Monte Carlo agreement with the closed forms and parameter recovery."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import bgnbd_params

from custvalue.clv import BetaGeo, BetaGeoParams, simulate_bgnbd
from custvalue.errors import InvalidInputError, InvalidTypeError

TRUE = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def sim() -> Any:
    T = np.random.default_rng(7).uniform(30.0, 40.0, size=40_000)
    return simulate_bgnbd(TRUE, T, rng=2024, horizon=39.0)


def _z(sample: Any, expected: float) -> float:
    return abs(float(np.mean(sample)) - expected) / (np.std(sample) / np.sqrt(len(sample)))


def test_fit_recovers_true_parameters(sim: Any) -> None:
    model = BetaGeo.fit(sim.frequency, sim.recency, sim.T)
    assert model.stderr is not None
    z = np.abs(model.params.as_array() - TRUE.as_array()) / model.stderr
    assert np.all(z < 3.5), z


def test_conditional_predictions_match_simulation(sim: Any) -> None:
    """E[X(T, T+39) | history] and P(alive) average to what the simulation realises."""
    model = BetaGeo(TRUE)
    expected = model.expected_purchases(39.0, sim.frequency, sim.recency, sim.T)
    # each customer's residual has mean 0 given its history: test their average
    assert _z(sim.holdout_frequency - expected, 0.0) < 3
    p_alive = model.probability_alive(sim.frequency, sim.recency, sim.T)
    assert _z(sim.alive_at_T - p_alive, 0.0) < 3
    none = model.probability_no_purchase(39.0, sim.frequency, sim.recency, sim.T)
    assert _z((sim.holdout_frequency == 0) - none, 0.0) < 3
    # within a stratum too: the heavy repeat buyers
    heavy = sim.frequency >= 5
    assert _z(sim.holdout_frequency[heavy] - expected[heavy], 0.0) < 3


def test_new_customer_distribution_matches_simulation() -> None:
    model = BetaGeo(TRUE)
    sim = simulate_bgnbd(TRUE, np.full(30_000, 39.0), rng=11)
    assert _z(sim.frequency, float(model.expected_purchases_new(39.0))) < 3
    n = np.arange(0, 6)
    p = model.probability_of_purchases(n, 39.0)
    for k, pk in zip(n, p, strict=True):
        assert _z(sim.frequency == k, float(pk)) < 3.5


def test_histories_are_valid_and_reproducible() -> None:
    T = np.array([1.0, 5.0, 39.0, 100.0] * 50)
    a = simulate_bgnbd(TRUE, T, rng=5, horizon=10.0)
    b = simulate_bgnbd(TRUE, T, rng=np.random.default_rng(5), horizon=10.0)
    np.testing.assert_array_equal(a.frequency, b.frequency)
    np.testing.assert_array_equal(a.recency, b.recency)
    assert np.all((a.recency >= 0) & (a.recency <= a.T))
    assert np.all(a.recency[a.frequency == 0] == 0)
    assert np.all(a.frequency == np.round(a.frequency))
    assert np.all(a.holdout_frequency[~a.alive_at_T] == 0)
    # the output is accepted by the model's validation
    BetaGeo(TRUE).probability_alive(a.frequency, a.recency, a.T)


@settings(max_examples=10)
@given(bgnbd_params(low=0.1, high=5.0), st.integers(0, 2**32 - 1))
def test_resolution_grid_merges_purchases(params: Any, seed: int) -> None:
    p = BetaGeoParams(*params)
    T = np.full(300, 20.0)
    exact = simulate_bgnbd(p, T, rng=seed)
    daily = simulate_bgnbd(p, T, rng=seed, resolution=1.0)
    assert np.all(daily.frequency <= exact.frequency)
    assert np.all(daily.recency == np.floor(daily.recency))
    np.testing.assert_array_equal(daily.alive_at_T, exact.alive_at_T)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="T must be > 0"):
        simulate_bgnbd(TRUE, [1.0, 0.0], rng=1)
    with pytest.raises(InvalidInputError, match="horizon must be >= 0"):
        simulate_bgnbd(TRUE, [1.0], rng=1, horizon=-1.0)
    with pytest.raises(InvalidInputError, match="resolution must be > 0"):
        simulate_bgnbd(TRUE, [1.0], rng=1, resolution=0.0)
    with pytest.raises(InvalidTypeError, match="rng"):
        simulate_bgnbd(TRUE, [1.0], rng=None)  # type: ignore[arg-type]
