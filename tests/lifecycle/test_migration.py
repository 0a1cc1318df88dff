"""Migration model: value by stage, absorbing-chain facts, forecast, simulation, what-if."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import stage_matrices, stage_rewards

from custvalue.errors import InvalidInputError
from custvalue.lifecycle import (
    AbsorbingFacts,
    MigrationModel,
    Stage,
    StageValue,
    WhatIf,
    allowed_matrix,
)
from custvalue.lifecycle._markov import discounted_value

EXAMPLE = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
REWARDS = [0.0, 100.0, 20.0, 0.0]


def test_value_by_hand() -> None:
    # V = R + P V / 1.1 solved by hand for the example chain
    v = MigrationModel(EXAMPLE).value(REWARDS, 0.1)
    P = np.array(EXAMPLE)
    np.testing.assert_allclose(v.values, REWARDS + P @ v.values / 1.1, rtol=1e-12)
    np.testing.assert_allclose(v.values, [296.0, 542.0 + 2 / 3, 264.0, 0.0], rtol=1e-12)
    assert v.horizon is None
    assert StageValue.from_json(v.to_json()) == v


@given(st.floats(0.0, 0.99), st.floats(0.0, 1.0), st.floats(0.1, 1000.0))
def test_two_state_retention_special_case(r: float, d: float, m: float) -> None:
    closed = m * (1 + d) / (1 + d - r)
    if d > 1e-6:  # the pure kernel needs 1 + d > 1 (I - P is singular); the model copes
        P = np.array([[r, 1 - r], [0.0, 1.0]])
        got = discounted_value(P, np.array([m, 0.0]), d, None)[0]
        np.testing.assert_allclose(got, closed, rtol=1e-10)
    # the same through the stage model: RETAIN stays with r, else RECOVER, which terminates
    model = MigrationModel([[1, 0, 0, 0], [0, r, 1 - r, 0], [0, 0, 0, 1], [0, 0, 0, 1]])
    got = model.value([0, m, 0, 0], d).values[Stage.RETAIN]
    np.testing.assert_allclose(got, closed, rtol=1e-10)


def _value_mpmath(P: list[list[float]], R: list[float], d: float) -> list[float]:
    """Oracle: ``(I - P / (1 + d)) V = R`` at 1,300 bits, enough to hold ``1 + d`` exactly for
    every float64 ``d`` and leave 50 digits after the condition number (at most 1 / d)."""
    with mpmath.workprec(1300):
        n = len(R)
        one = 1 + mpmath.mpf(d)
        A = mpmath.matrix(
            [[(1 if i == j else 0) - mpmath.mpf(P[i][j]) / one for j in range(n)] for i in range(n)]
        )
        V = mpmath.lu_solve(A, mpmath.matrix([mpmath.mpf(r) for r in R]))
        return [float(V[i]) for i in range(n)]


def test_tiny_discount_rate_on_the_identity_chain_is_exact() -> None:
    # Staying forever: V = R (1 + d) / d, a geometric series; today's float formula lost eps/d.
    for d in (1e-12, 1e-15, 2.0**-60, 1e-200):
        got = MigrationModel(np.eye(4)).value([30.0, 1.0, -7.0, 0.0], d).values
        exact = [float(Fraction(r) * (1 + Fraction(d)) / Fraction(d)) for r in (30, 1, -7, 0)]
        np.testing.assert_allclose(got, exact, rtol=1e-15, atol=0)
    assert MigrationModel(np.eye(4)).value([30.0] * 4, 1e-12).values[0] == 30.000000000030e12
    with pytest.raises(InvalidInputError, match="exceeds the float64 range"):
        MigrationModel(np.eye(4)).value([1e300, 0, 0, 0], 1e-10)


@st.composite
def _near_diagonal(draw: st.DrawFn) -> list[list[float]]:
    """Every stage stays with probability 1 - leak, leak down to 1e-300 (allowed moves only)."""
    P = np.eye(4)
    for i, j in [(0, 1), (1, 2), (2, 1), (3, 0)]:
        leak = draw(st.sampled_from([0.0, 1e-300, 2.0**-70, 1e-12, 1e-6, 0.01]))
        P[i, i], P[i, j] = 1.0 - leak, leak
    return P.tolist()


@settings(max_examples=max(20, settings.default.max_examples))
@given(
    st.one_of(st.just(np.eye(4).tolist()), _near_diagonal(), stage_matrices()),
    stage_rewards(),
    st.one_of(st.sampled_from([1e-16, 1e-12, 1e-9, 5e-324, 1.0]), st.floats(1e-15, 1.0)),
)
# Found by .ci/explore.sh: P[3, 3] == 1.0 with a 1.75e-91 leak back (the row sums to 1 within
# tolerance) was taken for a zero-reward sink and valued 0 instead of p30 * V0 / d = 1.75e-75.
@example(
    P=[[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.75e-91, 0, 0, 1.0]],
    R=[1.0, 0.0, 0.0, 0.0],
    d=1e-16,
)
def test_infinite_value_is_accurate_to_1e10_or_refused(
    P: list[list[float]], R: list[float], d: float
) -> None:
    """Against a 60-digit solve on diagonal, near-diagonal and general chains, for d down to
    the smallest subnormal: accurate to 1e-10 relative, or refused with a clear error when the
    matrix rows (exactly) sum to at least 1 + d or the value overflows float64."""
    model = MigrationModel(P)
    try:
        got = model.value(R, d).values
    except InvalidInputError as exc:
        rows = max(sum(map(Fraction, row)) for row in model.matrix.tolist())
        if "exceeds the float64 range" in str(exc):
            assert max(map(abs, _value_mpmath(model.matrix.tolist(), R, d))) > 1e300
        else:
            assert "too small" in str(exc)  # noqa: PT017
            assert rows >= 1 + Fraction(d)
        return
    np.testing.assert_allclose(got, _value_mpmath(model.matrix.tolist(), R, d), rtol=1e-10)


@given(stage_matrices(), stage_rewards(), st.floats(0.01, 0.5), st.integers(0, 40))
def test_finite_horizon_is_the_partial_sum_and_tends_to_the_closed_form(
    P: list[list[float]], R: list[float], d: float, horizon: int
) -> None:
    model = MigrationModel(P)
    M = np.array(P) / (1 + d)
    partial = sum(np.linalg.matrix_power(M, t) @ np.array(R) for t in range(horizon + 1))
    np.testing.assert_allclose(model.value(R, d, horizon=horizon).values, partial, atol=1e-8)
    long = model.value(R, d, horizon=3000).values
    np.testing.assert_allclose(long, model.value(R, d).values, rtol=1e-7, atol=1e-7)


def test_closed_form_matches_simulation_within_three_standard_errors() -> None:
    model = MigrationModel(EXAMPLE).with_transition("TERMINATE", "ACQUIRE", 0.1)
    d, horizon, n = 0.05, 150, 20_000  # tail beyond 150 periods: < 1e-3 of the value
    exact = model.value(REWARDS, d, horizon=horizon).values
    for stage in Stage:
        sims = model.simulate_value([stage] * n, REWARDS, d, horizon, rng=np.random.default_rng(7))
        se = sims.std(ddof=1) / np.sqrt(n)
        assert abs(sims.mean() - exact[stage]) < 3 * se + 1e-12, stage


def test_undiscounted_value_is_expected_reward_until_absorption() -> None:
    model = MigrationModel(EXAMPLE)
    facts = model.absorbing()
    expected = facts.fundamental_matrix @ np.array(REWARDS[:3])
    np.testing.assert_allclose(model.value(REWARDS, 0.0).values[:3], expected, rtol=1e-12)
    np.testing.assert_allclose(model.value(REWARDS, 1e-9).values[:3], expected, rtol=1e-6)
    with pytest.raises(InvalidInputError, match="diverges"):
        model.with_transition("TERMINATE", "ACQUIRE", 0.1).value(REWARDS, 0.0)


@given(stage_matrices(absorbing_terminate=True, terminating=True), stage_rewards())
def test_d_to_zero_matches_fundamental_matrix(P: list[list[float]], R: list[float]) -> None:
    model = MigrationModel(P)
    N = model.absorbing().fundamental_matrix
    np.testing.assert_allclose(
        model.value(R, 0.0).values[:3], N @ np.array(R[:3]), rtol=1e-9, atol=1e-9
    )


def test_absorbing_facts_by_hand_and_by_simulation() -> None:
    facts = MigrationModel(EXAMPLE).absorbing()
    np.testing.assert_allclose(facts.expected_periods, [9.0, 40 / 3, 25 / 3], rtol=1e-12)
    # from RECOVER: retain with 0.3, stay 0.4, terminate 0.3 -> 0.3 / 0.6
    assert facts.probability_recover_to_retain == pytest.approx(0.5, rel=1e-12)
    np.testing.assert_allclose(facts.probability_reach_retain, [0.6, 0.9, 0.5, 0.0], rtol=1e-12)
    paths = MigrationModel(EXAMPLE).simulate(["RETAIN"] * 20_000, 400, rng=3)
    periods = (paths != Stage.TERMINATE).sum(axis=1)
    assert abs(periods.mean() - facts.expected_periods[1]) < 3 * periods.std() / np.sqrt(20_000)
    assert periods.var() == pytest.approx(facts.variance_periods[1], rel=0.05)
    assert AbsorbingFacts.from_json(facts.to_json()) == facts
    assert "fundamental" in facts._repr_html_()


@given(stage_matrices(absorbing_terminate=True, terminating=True))
def test_absorbing_facts_identities(P: list[list[float]]) -> None:
    facts = MigrationModel(P).absorbing()
    Q = np.array(P)[:3, :3]
    N = facts.fundamental_matrix
    np.testing.assert_allclose(N @ (np.eye(3) - Q), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(facts.expected_periods, N.sum(axis=1), rtol=1e-12)
    assert (facts.expected_periods >= 1 - 1e-12).all()
    assert (facts.variance_periods >= -1e-6 * facts.expected_periods**2).all()
    assert 0.0 <= facts.probability_recover_to_retain <= 1.0 + 1e-12


def test_absorbing_requires_absorbing_terminate() -> None:
    model = MigrationModel(EXAMPLE).with_transition("TERMINATE", "ACQUIRE", 0.2)
    with pytest.raises(InvalidInputError, match="TERMINATE is not absorbing"):
        model.absorbing()
    assert model.with_absorbing_terminate().absorbing().expected_periods[0] == pytest.approx(9.0)
    stuck = MigrationModel([[0, 1, 0, 0], [0, 1, 0, 0], [0, 0.5, 0, 0.5], [0, 0, 0, 1]])
    with pytest.raises(InvalidInputError, match="ACQUIRE never reaches TERMINATE"):
        stuck.absorbing()


@settings(max_examples=20)
@given(stage_matrices(), st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_forecast_and_simulation_stay_stochastic_and_legal(
    P: list[list[float]], k: int, seed: int
) -> None:
    model = MigrationModel(P)
    fc = model.forecast([100, 50, 25, 5], k)
    assert fc.shape == (k + 1, 4)
    assert (fc >= 0).all()
    np.testing.assert_allclose(fc.sum(axis=1), 180.0)
    # absolute rounding of sums of 180 customers (~1e-12): two orders of the same products
    # differ by subnormals such as 5.8e-322 vs 5.2e-322 (explore run, P[3, 0] = 5e-324)
    np.testing.assert_allclose(
        fc[-1], np.array([100, 50, 25, 5]) @ np.linalg.matrix_power(np.array(P), k), atol=1e-12
    )
    paths = model.simulate([0, 1, 2, 3] * 50, k, rng=seed)
    ok = allowed_matrix() & (np.array(P) > 0)
    assert ok[paths[:, :-1], paths[:, 1:]].all()  # only moves with positive probability


@given(
    stage_matrices(),
    st.sampled_from(sorted((a, b) for a, b in np.argwhere(allowed_matrix()).tolist())),
    st.floats(0.0, 1.0),
)
def test_with_transition_keeps_rows_stochastic(
    P: list[list[float]], cell: tuple[int, int], p: float
) -> None:
    i, j = cell
    model = MigrationModel(P)
    old = np.array(P)
    others = [k for k in range(4) if k != j]
    if old[i, others].sum() == 0.0 and p < 1.0:  # nothing else in the row to scale
        with pytest.raises(InvalidInputError, match="no other mass"):
            model.with_transition(i, j, p)
        return
    changed = model.with_transition(i, j, p).matrix
    assert changed[i, j] == p
    np.testing.assert_allclose(changed.sum(axis=1), 1.0, atol=1e-12)
    assert ((changed >= 0) & (changed <= 1)).all()
    np.testing.assert_array_equal(np.delete(changed, i, axis=0), np.delete(old, i, axis=0))
    if old[i, others].sum() > 0:  # proportional rule: the other entries keep their ratios
        np.testing.assert_allclose(
            changed[i, others], old[i, others] / old[i, others].sum() * (1 - p), atol=1e-12
        )


def test_what_if_better_recovery() -> None:
    model = MigrationModel(EXAMPLE)
    w = model.what_if("RECOVER", "RETAIN", 0.5, REWARDS, 0.1)
    # proportional: the remaining 0.5 of the RECOVER row keeps its 0.4 : 0.3 ratio
    np.testing.assert_allclose(
        w.matrix_after[Stage.RECOVER], [0, 0.5, 0.5 * 4 / 7, 0.5 * 3 / 7], rtol=1e-12
    )
    after = MigrationModel(w.matrix_after).value(REWARDS, 0.1).values
    np.testing.assert_allclose(w.difference, after - model.value(REWARDS, 0.1).values)
    assert (w.difference[:3] > 0).all()
    assert w.difference[Stage.TERMINATE] == 0
    stay = model.with_transition("RECOVER", "RETAIN", 0.5, renormalize="stay").matrix
    np.testing.assert_allclose(stay[Stage.RECOVER], [0, 0.5, 0.2, 0.3], rtol=1e-12)
    with pytest.raises(InvalidInputError, match="would become"):
        model.with_transition("RECOVER", "RETAIN", 0.8, renormalize="stay")
    with pytest.raises(InvalidInputError, match="illegal transition RETAIN -> TERMINATE"):
        model.with_transition("RETAIN", "TERMINATE", 0.1)
    with pytest.raises(InvalidInputError, match="renormalize"):
        model.with_transition("RECOVER", "RETAIN", 0.5, renormalize="uniform")  # type: ignore[arg-type]
    assert WhatIf.from_json(w.to_json()) == w
    assert "change" in w._repr_html_()


def test_bad_matrices_and_arguments() -> None:
    bad_sum = np.array(EXAMPLE)
    bad_sum[2, 2] = 0.3
    with pytest.raises(
        InvalidInputError,
        match=r"row sums must equal 1 \(tolerance 1e-09\); first bad value at index 2: 0\.89",
    ):
        MigrationModel(bad_sum)
    negative = np.array(EXAMPLE)
    negative[1] = [0, 1.2, -0.2, 0]
    with pytest.raises(
        InvalidInputError, match=r"matrix must be >= 0; first bad value at index \(1, 2\): -0\.2"
    ):
        MigrationModel(negative)
    illegal = np.array(EXAMPLE)
    illegal[1] = [0, 0.8, 0, 0.2]
    with pytest.raises(
        InvalidInputError, match=r"illegal transition RETAIN -> TERMINATE at index \(1, 3\)"
    ):
        MigrationModel(illegal)
    with pytest.raises(InvalidInputError, match=r"shape \(4, 4\)"):
        MigrationModel(np.eye(3))
    model = MigrationModel(EXAMPLE)
    with pytest.raises(InvalidInputError, match="rewards must have shape"):
        model.value([1.0, 2.0], 0.1)
    with pytest.raises(InvalidInputError, match="discount_rate must be >= 0"):
        model.value(REWARDS, -0.1)
    with pytest.raises(
        InvalidInputError, match=r"start_stages must hold stage names.*index 0: 'LOYAL'"
    ):
        model.simulate(["LOYAL"], 3, rng=0)
    with pytest.raises(InvalidInputError, match="start must be >= 0"):
        model.forecast([-1, 0, 0, 0], 2)
    assert MigrationModel.from_json(model.to_json()) == model
    assert "transition matrix" in model._repr_html_()
