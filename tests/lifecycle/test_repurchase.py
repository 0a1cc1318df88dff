"""Repurchase-intent tree, TARP preset, readings of 'resolved', moves, survey posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import repurchase_trees_args

from custvalue.errors import InvalidInputError
from custvalue.lifecycle import (
    LEAVES,
    TARP_RATES,
    InclusiveResolution,
    IntentSummary,
    MigrationModel,
    MoveGain,
    RepurchasePosterior,
    RepurchaseTree,
    Stage,
    intent_derivative_complaint_share,
    link_recovery,
    recovery_what_if,
    repurchase_intent,
    tarp_tree,
)

SHARES = {
    "failure_share": 0.25,
    "complaint_share": 0.4,
    "quick_share": 0.3,
    "resolved_share": 0.4,
    "unresolved_share": 0.3,
}


def _structural(a: dict[str, float]) -> tuple[float, ...]:
    keys = ("failure_share", "complaint_share", "quick_share", "resolved_share", "unresolved_share")
    rates = ("no_failure", "no_complaint", "quick", "resolved", "unresolved")
    return tuple(a[k] for k in keys) + tuple(a[f"{r}_rate"] for r in rates)


@given(repurchase_trees_args())
def test_intent_formula_is_a_convex_combination(args: dict[str, float]) -> None:
    tree = RepurchaseTree(**args)
    assert tree.intent == pytest.approx(float(repurchase_intent(*_structural(args))), abs=1e-12)
    assert tree.leaf_shares.sum() == pytest.approx(1.0, abs=1e-12)
    assert (tree.leaf_shares >= -1e-15).all()
    rates = tree.leaf_rates
    assert rates.min() - 1e-12 <= tree.intent <= rates.max() + 1e-12
    assert tree.no_intent_share == pytest.approx(1 - tree.intent)
    assert tree.lost_customers(1000).sum() == pytest.approx(1000 * tree.no_intent_share, abs=1e-9)
    assert RepurchaseTree.from_json(tree.to_json()) == tree


@given(repurchase_trees_args(), st.sampled_from(LEAVES), st.floats(0.0, 1.0))
def test_raising_a_leaf_rate_never_lowers_the_total(
    args: dict[str, float], leaf: str, bump: float
) -> None:
    tree = RepurchaseTree(**args)
    name = {"resolved_quickly": "quick"}.get(leaf, leaf) + "_rate"
    higher = RepurchaseTree(**{**args, name: max(args[name], min(1.0, args[name] + bump))})
    assert higher.intent >= tree.intent - 1e-15


@given(repurchase_trees_args())
def test_complaint_derivative_matches_finite_difference(args: dict[str, float]) -> None:
    f, c, q, s, u, r0, r_nc, r_q, r_s, r_u = _structural(args)
    h = 1e-6
    numeric = (
        repurchase_intent(f, c + h, q, s, u, r0, r_nc, r_q, r_s, r_u)
        - repurchase_intent(f, c - h, q, s, u, r0, r_nc, r_q, r_s, r_u)
    ) / (2 * h)
    exact = intent_derivative_complaint_share(f, q, s, u, r_nc, r_q, r_s, r_u)
    assert float(exact) == pytest.approx(float(numeric), abs=1e-8)
    assert RepurchaseTree(**args).derivative_complaint_share() == pytest.approx(float(exact))


@given(repurchase_trees_args())
@example(
    args={
        "failure_share": 0.0,
        "complaint_share": 0.0,
        "quick_share": 0.9999997880724191,
        "resolved_share": 2.1192758104224646e-07,
        "unresolved_share": 0.0,
        "no_failure_rate": 0.0,
        "no_complaint_rate": 0.0,
        "quick_rate": 0.0,
        "resolved_rate": 0.0,
        "unresolved_rate": 0.0,
    }
)  # quick + resolved rounds to 1 + 2e-16 (found by the explore run): refused before
def test_inclusive_and_exclusive_readings_convert_losslessly(args: dict[str, float]) -> None:
    tree = RepurchaseTree(**args)
    inc = tree.inclusive()
    assert inc.resolved_share == pytest.approx(tree.quick_share + tree.resolved_share)
    back = RepurchaseTree.from_inclusive(
        failure_share=tree.failure_share,
        complaint_share=tree.complaint_share,
        no_failure_rate=tree.no_failure_rate,
        no_complaint_rate=tree.no_complaint_rate,
        resolution=inc,
    )
    assert back.intent == pytest.approx(tree.intent, abs=1e-12)
    np.testing.assert_allclose(back.leaf_shares, tree.leaf_shares, atol=1e-12)
    if tree.resolved_share > 1e-6:  # an empty leaf's rate carries no information
        assert back.resolved_rate == pytest.approx(tree.resolved_rate, abs=1e-9)


def test_tarp_preset_values() -> None:
    minor, major = TARP_RATES["minor"], TARP_RATES["major"]
    assert (minor.did_not_complain, minor.not_resolved, minor.resolved, minor.resolved_quickly) == (
        0.37, 0.46, 0.70, 0.95,
    )  # fmt: skip
    assert (major.did_not_complain, major.not_resolved, major.resolved, major.resolved_quickly) == (
        0.09, 0.19, 0.54, 0.82,
    )  # fmt: skip
    tree = tarp_tree("minor", no_failure_rate=0.9, **SHARES)
    np.testing.assert_array_equal(tree.leaf_rates, [0.9, 0.37, 0.95, 0.70, 0.46])
    # R = 0.75 * 0.9 + 0.25 * (0.6 * 0.37 + 0.4 * (0.3 * 0.95 + 0.4 * 0.70 + 0.3 * 0.46))
    assert tree.intent == pytest.approx(0.8008, abs=1e-12)
    # inclusive reading: 54% is the rate of all resolved (70% of complainers, 30% quickly)
    inc = tarp_tree(
        "major",
        no_failure_rate=0.9,
        **{**SHARES, "resolved_share": 0.7},
        resolved_reading="inclusive",
    )
    assert inc.resolved_share == pytest.approx(0.4)
    assert inc.resolved_rate == pytest.approx((0.7 * 0.54 - 0.3 * 0.82) / 0.4)
    assert inc.inclusive().resolved_rate == pytest.approx(0.54)
    with pytest.raises(
        InvalidInputError, match="outside \\[0, 1\\]"
    ):  # 95% quick can't average to 70%
        tarp_tree(
            "minor", no_failure_rate=0.9, **{**SHARES, "quick_share": 0.69, "resolved_share": 0.7},
            resolved_reading="inclusive",
        )  # fmt: skip
    with pytest.raises(InvalidInputError, match="problem must be"):
        tarp_tree("huge", no_failure_rate=0.9, **SHARES)  # type: ignore[arg-type]


def test_moves_between_leaves_gain_in_customers_and_money() -> None:
    tree = tarp_tree("minor", no_failure_rate=0.9, **SHARES)
    f, c = 0.25, 0.4
    gain = tree.gain(
        "unresolved", "resolved_quickly", 0.1, basis="complainers",
        n_customers=10_000, value_per_customer=250.0,
    )  # fmt: skip
    assert gain.intent_change == pytest.approx(f * c * 0.1 * (0.95 - 0.46), abs=1e-12)
    assert gain.customers == pytest.approx(10_000 * gain.intent_change)
    assert gain.money == pytest.approx(250.0 * gain.customers)
    assert gain.after.unresolved_share == pytest.approx(0.2)
    assert MoveGain.from_json(gain.to_json()) == gain
    more = tree.gain("no_complaint", "complained", 0.1, basis="failures")
    assert more.intent_change == pytest.approx(0.1 * tree.derivative_complaint_share(), abs=1e-12)
    assert np.isnan(more.customers)
    assert more.after.complaint_share == pytest.approx(0.5)
    with pytest.raises(InvalidInputError, match="cannot move a share"):
        tree.move("unresolved", "resolved", 0.5)
    with pytest.raises(InvalidInputError, match="unknown leaf 'happy'"):
        tree.move("happy", "resolved", 0.01)
    with pytest.raises(InvalidInputError, match="amount must be >= 0"):
        tree.move("unresolved", "resolved", -0.01)


def test_link_into_migration_and_value_what_if() -> None:
    P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
    model = MigrationModel(P)
    tree = tarp_tree("major", no_failure_rate=0.9, **SHARES)
    linked = link_recovery(tree, model, population="complainers")
    expected = 0.3 * 0.82 + 0.4 * 0.54 + 0.3 * 0.19
    assert linked.matrix[Stage.RECOVER, Stage.RETAIN] == pytest.approx(expected)
    np.testing.assert_allclose(linked.matrix.sum(axis=1), 1.0)
    better = tree.move("unresolved", "resolved_quickly", 0.2, basis="complainers")
    w = recovery_what_if(model, tree, better, [0, 100, 20, 0], 0.1)
    assert (w.difference[:3] > 0).all()  # better complaint handling is worth more in every stage
    assert w.difference[Stage.TERMINATE] == 0.0
    direct = link_recovery(better, model).value([0, 100, 20, 0], 0.1).values
    np.testing.assert_allclose(w.after.values, direct)


def test_tree_bad_input() -> None:
    rates = ["no_failure_rate", "no_complaint_rate", "quick_rate", "resolved_rate"]
    args = {**SHARES, "failure_share": 1.2, **dict.fromkeys([*rates, "unresolved_rate"], 0.5)}
    with pytest.raises(InvalidInputError, match=r"failure_share must be <= 1; got 1\.2"):
        RepurchaseTree(**args)
    with pytest.raises(InvalidInputError, match="must equal 1"):
        tarp_tree("minor", no_failure_rate=0.9, **{**SHARES, "unresolved_share": 0.5})
    with pytest.raises(InvalidInputError, match="no_failure_rate must be >= 0"):
        tarp_tree("minor", no_failure_rate=-0.1, **SHARES)
    with pytest.raises(InvalidInputError, match="leaf_shares must sum to 1"):
        RepurchaseTree.from_leaves([0.5, 0.1, 0.1, 0.1, 0.1], [0.5] * 5)


def test_survey_posterior() -> None:
    respondents = [500, 120, 40, 60, 30]
    intending = [450, 44, 38, 42, 14]
    post = RepurchasePosterior.from_counts(respondents, intending)
    np.testing.assert_array_equal(post.rate_alpha, np.array(intending) + 1)
    np.testing.assert_array_equal(post.rate_beta, np.array(respondents) - intending + 1)
    np.testing.assert_allclose(post.leaf_shares, (np.array(respondents) + 1) / 755)
    tree = post.mean_tree()
    np.testing.assert_allclose(
        tree.leaf_rates, (np.array(intending) + 1) / (np.array(respondents) + 2)
    )
    np.testing.assert_allclose(tree.leaf_shares, post.leaf_shares)
    lo, hi = post.rate_intervals(0.95)
    assert ((lo < tree.leaf_rates) & (tree.leaf_rates < hi)).all()
    summary = post.summary(0.95, n_draws=4000, rng=np.random.default_rng(5))
    mean, low, high = summary.intent
    assert low < tree.intent < high
    assert mean == pytest.approx(tree.intent, abs=0.005)
    np.testing.assert_allclose(summary.no_intent, [1 - mean, 1 - high, 1 - low])
    assert summary.lost.shape == (3, 5)
    assert IntentSummary.from_json(summary.to_json()) == summary
    assert RepurchasePosterior.from_json(post.to_json()) == post
    fixed = RepurchasePosterior.from_counts(
        respondents, intending, leaf_shares=[0.8, 0.1, 0.04, 0.04, 0.02]
    )
    draws, _ = fixed.draws(10, rng=0)
    assert (draws == fixed.leaf_shares).all()
    with pytest.raises(
        InvalidInputError,
        match="intending must not exceed respondents; first bad value at index 2: 41",
    ):
        RepurchasePosterior.from_counts(respondents, [450, 44, 41, 42, 14])
    with pytest.raises(InvalidInputError, match="respondents must be >= 0"):
        RepurchasePosterior.from_counts([-1, 1, 1, 1, 1], [0] * 5)
    with pytest.raises(InvalidInputError, match="shape \\(5,\\)"):
        RepurchasePosterior.from_counts([1, 1, 1], [0] * 3)


def test_inclusive_reading_at_the_all_quick_boundary_answers_like_its_neighbours() -> None:
    """quick_share == resolved_share (every resolved complaint resolved quickly): the inclusive
    rate of all resolved must then be the quick rate. TARP's 54% vs 82% contradict it, on the
    boundary as just below (implied rate -1e6) and just above (within the share tolerance)."""
    base = {"no_failure_rate": 0.9, "failure_share": 0.25, "complaint_share": 0.4}
    S = 0.4
    for q in (S, np.nextafter(S, 0.0), S - 1e-7, np.nextafter(S, 1.0), S + 1e-10):
        with pytest.raises(InvalidInputError, match="inclusive reading"):
            tarp_tree(
                "major", **base, quick_share=q, resolved_share=S, unresolved_share=1 - S,
                resolved_reading="inclusive",
            )  # fmt: skip
    # The feasible edge for TARP major: the implied resolved-not-quickly rate reaches 0 at
    # q* = S r_S / r_q; on it the resolved branch still holds S r_S, just beyond it fails.
    edge = S * 0.54 / 0.82
    on = tarp_tree(
        "major", **base, quick_share=edge, resolved_share=S, unresolved_share=1 - S,
        resolved_reading="inclusive",
    )  # fmt: skip
    assert on.resolved_rate == pytest.approx(0.0, abs=1e-9)
    assert on.inclusive().resolved_rate == pytest.approx(0.54, abs=1e-12)
    with pytest.raises(InvalidInputError, match="outside \\[0, 1\\]"):
        tarp_tree(
            "major", **base, quick_share=edge + 1e-6, resolved_share=S, unresolved_share=1 - S,
            resolved_reading="inclusive",
        )  # fmt: skip
    # Consistent rates (resolved rate = quick rate): on, below and above the boundary give the
    # intent of the exclusive tree whose resolved complainers are all quick.
    exclusive = RepurchaseTree(0.25, 0.4, S, 0.0, 1 - S, 0.9, 0.09, 0.82, 0.3, 0.19)
    for q in (S, np.nextafter(S, 0.0), S - 1e-7, np.nextafter(S, 1.0), S + 1e-10):
        tree = RepurchaseTree.from_inclusive(
            failure_share=0.25, complaint_share=0.4, no_failure_rate=0.9, no_complaint_rate=0.09,
            resolution=InclusiveResolution(
                resolved_share=S, resolved_rate=0.82, quick_share=q, quick_rate=0.82,
                unresolved_share=1 - S, unresolved_rate=0.19,
            ),
        )  # fmt: skip
        assert tree.intent == pytest.approx(exclusive.intent, abs=1e-9), q  # share tolerance
