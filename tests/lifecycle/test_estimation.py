"""Transition counting and estimation: MLE, Dirichlet posterior, censoring, no-exit rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from custvalue.errors import InvalidInputError
from custvalue.lifecycle import (
    MigrationEstimate,
    Stage,
    allowed_matrix,
    count_transitions,
    estimate_migration,
)

ALLOWED = allowed_matrix()
COUNTS = np.array([[10, 30, 0, 60], [0, 80, 20, 0], [0, 15, 25, 10], [5, 0, 0, 95]])

allowed_counts = st.lists(st.integers(0, 50), min_size=16, max_size=16).map(
    lambda v: np.where(ALLOWED, np.array(v).reshape(4, 4), 0)
)


def test_mle_and_standard_errors_by_hand() -> None:
    est = estimate_migration(COUNTS)
    assert est.method == "mle"
    np.testing.assert_allclose(est.matrix[1], [0, 0.8, 0.2, 0])
    np.testing.assert_allclose(est.standard_errors[1, 2], np.sqrt(0.2 * 0.8 / 100))
    np.testing.assert_allclose(est.standard_errors[2, 1], np.sqrt(0.3 * 0.7 / 50))
    assert est.model.matrix[3, 0] == 0.05
    assert MigrationEstimate.from_json(est.to_json()) == est
    assert "<th>standard_error</th>" in est._repr_html_()


@given(allowed_counts, st.floats(0.01, 5.0))
def test_posterior_mean_formula_and_stochastic_rows(counts: np.ndarray, a: float) -> None:
    est = estimate_migration(counts, prior=a, no_exits="prior")
    prior = np.where(ALLOWED, a, 0.0)
    expected = (counts + prior) / (counts.sum(1, keepdims=True) + prior.sum(1, keepdims=True))
    np.testing.assert_allclose(est.matrix, expected, rtol=1e-12)
    np.testing.assert_allclose(est.matrix.sum(axis=1), 1.0, atol=1e-12)
    assert ((est.matrix >= 0) & (est.matrix <= 1)).all()
    assert (est.matrix[~ALLOWED] == 0).all()
    lo, hi = est.credible_intervals(0.9)
    assert ((lo >= 0) & (lo <= hi) & (hi <= 1)).all()


def test_credible_intervals_are_beta_marginals() -> None:
    est = estimate_migration(COUNTS, prior=0.5)
    lo, hi = est.credible_intervals(0.9)
    # RETAIN -> RECOVER: Beta(20 + 0.5, 80 + 0.5) marginal of Dirichlet(80.5, 20.5)
    assert lo[1, 2] == pytest.approx(stats.beta.ppf(0.05, 20.5, 80.5), rel=1e-12)
    assert hi[1, 2] == pytest.approx(stats.beta.ppf(0.95, 20.5, 80.5), rel=1e-12)
    assert lo[1, 0] == hi[1, 0] == 0.0


def test_posterior_draws_average_to_the_posterior_mean() -> None:
    est = estimate_migration(COUNTS, prior=1.0)
    draws = est.posterior_draws(4000, rng=np.random.default_rng(1))
    assert draws.shape == (4000, 4, 4)
    np.testing.assert_allclose(draws.sum(axis=2), 1.0, atol=1e-12)
    assert (draws[:, ~ALLOWED] == 0).all()
    se = draws.std(axis=0) / np.sqrt(4000)
    assert (np.abs(draws.mean(axis=0) - est.matrix) <= 4 * se + 1e-12).all()
    np.testing.assert_allclose(draws.std(axis=0), est.standard_errors, rtol=0.1, atol=1e-3)
    # without a prior: never-observed cells stay 0 in every draw (flat-limit posterior)
    mle = estimate_migration(COUNTS)
    assert (mle.posterior_draws(50, rng=2)[:, 1, 0] == 0).all()


def test_censoring_last_observation_is_not_absorption() -> None:
    paths = [
        ["ACQUIRE", "RETAIN", "RECOVER"],  # last seen in RECOVER: censored
        ["RETAIN", "RECOVER", "RETAIN"],
        ["", "ACQUIRE", "TERMINATE"],  # acquired late
    ]
    counts = count_transitions(paths)
    assert counts[Stage.RECOVER].tolist() == [0, 1, 0, 0]  # no RECOVER -> RECOVER invented
    assert counts.sum() == 5
    with pytest.raises(InvalidInputError, match="stage TERMINATE has no observed exits"):
        estimate_migration(counts)
    est = estimate_migration(counts, no_exits="absorbing")
    assert est.matrix[Stage.RECOVER, Stage.RECOVER] == 0.0  # RECOVER is not absorbing
    assert est.matrix[Stage.RECOVER, Stage.RETAIN] == 1.0
    only_censored = count_transitions([["RETAIN", "RECOVER"]])
    with pytest.raises(InvalidInputError, match="stage RECOVER has no observed exits"):
        estimate_migration(only_censored, no_exits="error", fixed_rows={"ACQUIRE": [1, 0, 0, 0]})


def test_no_exit_rows_are_explicit_choices() -> None:
    counts = COUNTS.copy()
    counts[Stage.TERMINATE] = 0
    fixed = estimate_migration(counts, fixed_rows={"terminate": [0.1, 0, 0, 0.9]})
    np.testing.assert_array_equal(fixed.matrix[3], [0.1, 0, 0, 0.9])
    assert fixed.fixed.tolist() == [False, False, False, True]
    assert (fixed.standard_errors[3] == 0).all()
    assert estimate_migration(counts, no_exits="absorbing").matrix[3, 3] == 1.0
    prior = estimate_migration(counts, prior=2.0, no_exits="prior")
    np.testing.assert_allclose(prior.matrix[3], [0.5, 0, 0, 0.5])
    with pytest.raises(InvalidInputError, match="no observed exits"):
        estimate_migration(counts, no_exits="prior")  # no prior to fall back on
    lo, hi = fixed.credible_intervals()
    np.testing.assert_array_equal(lo[3], hi[3])


def test_bad_counts_and_paths() -> None:
    bad = COUNTS.astype(float)
    bad[1, 1] = -1
    with pytest.raises(
        InvalidInputError, match=r"counts must be >= 0; first bad value at index \(1, 1\): -1"
    ):
        estimate_migration(bad)
    bad[1, 1] = 2.5
    with pytest.raises(InvalidInputError, match="counts must be a whole number"):
        estimate_migration(bad)
    illegal = COUNTS.copy()
    illegal[0, 2] = 3
    with pytest.raises(
        InvalidInputError, match=r"3 illegal transitions ACQUIRE -> RECOVER at index \(0, 2\)"
    ):
        estimate_migration(illegal)
    with pytest.raises(InvalidInputError, match="fixed_rows\\[RETAIN\\] must sum to 1"):
        estimate_migration(COUNTS, fixed_rows={"RETAIN": [0, 0.5, 0.4, 0]})
    with pytest.raises(InvalidInputError, match="unknown stage 'LOST'"):
        estimate_migration(COUNTS, fixed_rows={"LOST": [0, 0, 0, 1]})
    with pytest.raises(InvalidInputError, match="prior must be >= 0"):
        estimate_migration(COUNTS, prior=-1.0)
    with pytest.raises(InvalidInputError, match="illegal transition RETAIN -> ACQUIRE"):
        count_transitions([["RETAIN", "ACQUIRE"]])
    with pytest.raises(InvalidInputError, match=r"paths must hold stage names.*\(0, 1\): 'GONE'"):
        count_transitions([["RETAIN", "GONE"]])
    with pytest.raises(InvalidInputError, match="level must be < 1"):
        estimate_migration(COUNTS).credible_intervals(1.0)


# ---------------------------------------------------------------- exact values (issue 18)
def test_posterior_sd_at_small_counts_is_the_beta_marginal_sd() -> None:
    """At counts of 1 the Dirichlet sd with alpha_0 + 1 (0.224) and alpha_0 (0.250) differ."""
    counts = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1], [1, 0, 0, 1]])
    est = estimate_migration(counts, prior=1.0)
    # RETAIN row: Dirichlet(2, 2) over (RETAIN, RECOVER); marginal Beta(2, 2), sd sqrt(1/20)
    assert est.standard_errors[1, 2] == pytest.approx(stats.beta.std(2, 2), rel=1e-12)
    assert est.standard_errors[1, 2] == pytest.approx(0.2236068, abs=1e-7)
    # ACQUIRE row: Dirichlet(2, 2, 1) over (ACQUIRE, RETAIN, TERMINATE)
    var = stats.dirichlet.var([2.0, 2.0, 1.0])
    np.testing.assert_allclose(est.standard_errors[0, [0, 1, 3]], np.sqrt(var), rtol=1e-12)
    assert est.standard_errors[0, 2] == 0.0


@given(
    st.lists(st.integers(0, 3), min_size=16, max_size=16).map(
        lambda v: np.where(ALLOWED, np.array(v).reshape(4, 4), 0)
    ),
    st.sampled_from([0.05, 0.5, 1.0, 2.0]),
)
def test_posterior_sd_equals_scipy_dirichlet_marginals(counts: np.ndarray, a: float) -> None:
    est = estimate_migration(counts, prior=a, no_exits="prior")
    alpha = np.where(ALLOWED, counts + a, 0.0)
    for i in range(4):
        row = alpha[i][ALLOWED[i]]
        np.testing.assert_allclose(
            est.standard_errors[i][ALLOWED[i]], np.sqrt(stats.dirichlet.var(row)), rtol=1e-10
        )
        np.testing.assert_allclose(est.matrix[i][ALLOWED[i]], stats.dirichlet.mean(row))


def test_mle_standard_errors_are_binomial_at_small_counts() -> None:
    counts = np.array([[1, 2, 0, 0], [0, 1, 0, 0], [0, 1, 1, 1], [0, 0, 0, 1]])
    est = estimate_migration(counts)
    np.testing.assert_allclose(est.matrix[0], [1 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(est.standard_errors[0, 1], np.sqrt(2 / 9 / 3), rtol=1e-12)
    np.testing.assert_allclose(est.standard_errors[2, 1:], np.sqrt(2 / 9 / 3), rtol=1e-12)
    assert est.standard_errors[1, 1] == 0.0  # p = 1: no spread


def test_absorbing_no_exit_row_is_fixed_and_stays_put_in_every_draw() -> None:
    counts = COUNTS.copy()
    counts[Stage.TERMINATE] = 0
    est = estimate_migration(counts, prior=1.0, no_exits="absorbing")
    assert est.fixed.tolist() == [False, False, False, True]
    np.testing.assert_array_equal(est.matrix[3], [0, 0, 0, 1])
    draws = est.posterior_draws(20, rng=3)
    assert (draws[:, 3] == [0, 0, 0, 1]).all()
    lo, hi = est.credible_intervals(0.9)
    np.testing.assert_array_equal(lo[3], [0, 0, 0, 1])
    np.testing.assert_array_equal(hi[3], [0, 0, 0, 1])


def test_credible_interval_when_the_rest_of_the_row_is_below_one_pseudo_count() -> None:
    """RETAIN row counts (0, 5, 0, 0) with prior 0.5: cell RETAIN->RETAIN is Beta(5.5, 0.5)."""
    counts = COUNTS.copy()
    counts[1] = [0, 5, 0, 0]
    est = estimate_migration(counts, prior=0.5)
    lo, hi = est.credible_intervals(0.9)
    assert lo[1, 1] == pytest.approx(stats.beta.ppf(0.05, 5.5, 0.5), rel=1e-12)
    assert hi[1, 1] == pytest.approx(stats.beta.ppf(0.95, 5.5, 0.5), rel=1e-12)
    assert lo[1, 2] == pytest.approx(stats.beta.ppf(0.05, 0.5, 5.5), rel=1e-12)


def test_array_prior_and_fixed_rows_on_illegal_cells() -> None:
    """A (4, 4) prior and fixed rows may hold 0 on illegal moves, never anything > 0."""
    prior = np.where(ALLOWED, 0.5, 0.0)
    est = estimate_migration(COUNTS, prior=prior)
    np.testing.assert_allclose(est.matrix, estimate_migration(COUNTS, prior=0.5).matrix)
    bad = prior.copy()
    bad[1, 0] = 0.25
    with pytest.raises(InvalidInputError, match=r"prior must be 0 on illegal.*\(1, 0\): 0\.25"):
        estimate_migration(COUNTS, prior=bad)
    with pytest.raises(InvalidInputError, match=r"fixed_rows\[RETAIN\] must be 0 on illegal"):
        estimate_migration(COUNTS, fixed_rows={"RETAIN": [0.5, 0.5, 0.0, 0.0]})
