"""Repurchase trees: every tolerance and range check on, just inside and just outside, and the
tree's derived quantities against hand-computed values (TARP minor-problem rates)."""

from __future__ import annotations

import numpy as np
import pytest

from custvalue.errors import InvalidInputError
from custvalue.lifecycle import (
    SHARE_TOLERANCE,
    InclusiveResolution,
    RepurchasePosterior,
    RepurchaseTree,
    tarp_tree,
)

TOL = SHARE_TOLERANCE  # 1e-9
RATES = {
    "no_failure_rate": 0.9,
    "no_complaint_rate": 0.37,
    "quick_rate": 0.95,
    "resolved_rate": 0.70,
    "unresolved_rate": 0.46,
}


def _tree(**shares: float) -> RepurchaseTree:
    base = {"failure_share": 0.25, "complaint_share": 0.4, "quick_share": 0.3}
    base |= {"resolved_share": 0.4, "unresolved_share": 0.3}
    return RepurchaseTree(**(base | shares), **RATES)


# ------------------------------------------------------------------ resolution shares sum to 1
@pytest.mark.parametrize(
    ("unresolved", "ok"),
    [
        (0.3, True),
        (0.3 + 0.5 * TOL, True),
        (0.3 - 0.5 * TOL, True),
        (0.3 + 2 * TOL, False),
        (0.3 - 2 * TOL, False),
    ],
)
def test_resolution_shares_sum_to_one_within_the_tolerance(unresolved: float, ok: bool) -> None:
    if ok:
        assert _tree(unresolved_share=unresolved).unresolved_share == unresolved
    else:
        with pytest.raises(InvalidInputError, match="must equal 1"):
            _tree(unresolved_share=unresolved)


@pytest.mark.parametrize("name", ["failure_share", "complaint_share", "no_failure_rate"])
def test_unit_interval_is_closed(name: str) -> None:
    """Shares and rates may be exactly 0 or 1, not one ulp outside."""
    args = {"failure_share": 0.25, "complaint_share": 0.4, "quick_share": 0.3}
    args |= {"resolved_share": 0.4, "unresolved_share": 0.3, **RATES}
    for value in (0.0, 1.0):
        assert getattr(RepurchaseTree(**(args | {name: value})), name) == value
    with pytest.raises(InvalidInputError, match=f"{name} must be <= 1"):
        RepurchaseTree(**(args | {name: float(np.nextafter(1.0, 2.0))}))
    with pytest.raises(InvalidInputError, match=f"{name} must be >= 0"):
        RepurchaseTree(**(args | {name: -5e-324}))


def test_leaf_shares_sum_to_one_within_the_tolerance() -> None:
    rates = [0.9, 0.37, 0.95, 0.7, 0.46]
    RepurchaseTree.from_leaves([0.5, 0.2, 0.1, 0.1, 0.1 + 0.5 * TOL], rates)
    with pytest.raises(InvalidInputError, match="leaf_shares must sum to 1"):
        RepurchaseTree.from_leaves([0.5, 0.2, 0.1, 0.1, 0.1 + 2 * TOL], rates)


# ------------------------------------------------------------------------------- move limits
def test_moving_exactly_a_whole_leaf_empties_it() -> None:
    tree = _tree()
    unresolved = float(tree.leaf_shares[4])  # 0.25 * 0.4 * 0.3 = 0.03
    after = tree.move("unresolved", "resolved_quickly", unresolved)
    assert after.leaf_shares[4] == 0.0
    assert after.intent == pytest.approx(tree.intent + unresolved * (0.95 - 0.46), abs=1e-15)
    # a rounding error's worth more is accepted (and clamped); more than the tolerance is not
    tree.move("unresolved", "resolved_quickly", unresolved + 0.5 * TOL)
    with pytest.raises(InvalidInputError, match="cannot move a share"):
        tree.move("unresolved", "resolved_quickly", unresolved + 2 * TOL)
    # basis "complainers": amount 1 moves all complainers' unresolved share (0.3 of them)
    all_of = tree.move("unresolved", "resolved", 0.3, basis="complainers")
    assert all_of.unresolved_share == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------ inclusive reading limits
def _inclusive(quick: float, resolved: float, resolved_rate: float, quick_rate: float = 0.5):  # type: ignore[no-untyped-def]
    return RepurchaseTree.from_inclusive(
        failure_share=0.25,
        complaint_share=0.4,
        no_failure_rate=0.9,
        no_complaint_rate=0.37,
        resolution=InclusiveResolution(
            resolved_share=resolved,
            resolved_rate=resolved_rate,
            quick_share=quick,
            quick_rate=quick_rate,
            unresolved_share=1.0 - resolved,
            unresolved_rate=0.46,
        ),
    )


def test_quick_share_may_equal_but_not_exceed_the_inclusive_resolved_share() -> None:
    tree = _inclusive(0.6, 0.6, 0.5)
    assert tree.resolved_share == 0.0
    assert tree.quick_share == 0.6
    _inclusive(0.6 + 0.5 * TOL, 0.6, 0.5)
    with pytest.raises(InvalidInputError, match="cannot exceed the inclusive resolved_share"):
        _inclusive(0.6 + 2 * TOL, 0.6, 0.5)


@pytest.mark.parametrize(
    ("resolved_rate", "implied"),
    [
        (0.25, 0.0),  # (1.0 * 0.25 - 0.5 * 0.5) / 0.5 = 0 exactly
        (0.75, 1.0),  # (0.75 - 0.25) / 0.5 = 1 exactly
        # the tolerance applies to the held share S r_S - q r_q (continuous at q == S)
        (0.25 - 0.5 * TOL, 0.0),  # held -0.5e-9: inside the tolerance, clamped to 0
        (0.75 + 0.5 * TOL, 1.0),
        (0.25 - 2 * TOL, None),  # held -2e-9: outside
        (0.75 + 2 * TOL, None),
    ],
)
def test_implied_resolved_not_quickly_rate_on_its_limits(
    resolved_rate: float, implied: float | None
) -> None:
    if implied is None:
        with pytest.raises(InvalidInputError, match="outside \\[0, 1\\]"):
            _inclusive(0.5, 1.0, resolved_rate)
    else:
        assert _inclusive(0.5, 1.0, resolved_rate).resolved_rate == pytest.approx(implied, abs=0)


# --------------------------------------------------------------- derived values by hand
def test_derived_quantities_by_hand() -> None:
    """f = 0.25, c = 0.4, (q, s, u) = (0.3, 0.4, 0.3), TARP minor rates."""
    shares = {"failure_share": 0.25, "complaint_share": 0.4, "quick_share": 0.3}
    tree = tarp_tree(
        "minor", no_failure_rate=0.9, resolved_share=0.4, unresolved_share=0.3, **shares
    )
    complained = 0.3 * 0.95 + 0.4 * 0.70 + 0.3 * 0.46  # 0.703
    assert tree.recovery_rate("complainers") == pytest.approx(0.703, abs=1e-15)
    assert tree.recovery_rate() == pytest.approx(0.6 * 0.37 + 0.4 * complained, abs=1e-15)
    assert tree.intent == pytest.approx(0.75 * 0.9 + 0.25 * (0.222 + 0.4 * 0.703), abs=1e-15)
    assert tree.no_intent_share == pytest.approx(1 - tree.intent, abs=0)
    np.testing.assert_allclose(tree.leaf_shares, [0.75, 0.15, 0.03, 0.04, 0.03], rtol=0, atol=1e-16)
    lost = tree.lost_customers(1000.0)
    np.testing.assert_allclose(lost, [75.0, 94.5, 1.5, 12.0, 16.2], rtol=1e-13)
    assert tree.derivative_complaint_share() == pytest.approx(0.25 * (0.703 - 0.37), abs=1e-15)
    inc = tree.inclusive()
    assert inc.resolved_share == pytest.approx(0.7, abs=1e-16)
    assert inc.resolved_rate == pytest.approx((0.3 * 0.95 + 0.4 * 0.70) / 0.7, rel=1e-15)


# ------------------------------------------------------- survey posterior: independent values
def test_survey_posterior_draws_match_scipy_beta_and_dirichlet_moments() -> None:
    """Draw moments within 4 standard errors of scipy's closed forms (20,000 draws: the
    tolerance on a mean is ~0.03 sd, far below a swapped alpha/beta or a missing prior)."""
    from scipy import stats

    post = RepurchasePosterior.from_counts(
        [6, 3, 2, 1, 4], [5, 1, 2, 0, 1], rate_prior=(2.0, 3.0), share_prior=0.5
    )
    alpha = np.array([5, 1, 2, 0, 1]) + 2.0
    beta = np.array([1, 2, 0, 1, 3]) + 3.0
    np.testing.assert_array_equal(post.rate_alpha, alpha)
    np.testing.assert_array_equal(post.rate_beta, beta)
    shares, rates = post.draws(20_000, rng=np.random.default_rng(11))
    k = rates.shape[0]
    for got, mean, var in (
        (rates, stats.beta.mean(alpha, beta), stats.beta.var(alpha, beta)),
        (
            shares,
            *(
                f(np.array([6, 3, 2, 1, 4]) + 0.5)
                for f in (stats.dirichlet.mean, stats.dirichlet.var)
            ),
        ),
    ):
        se_mean = np.sqrt(var / k)
        assert (np.abs(got.mean(axis=0) - mean) <= 4 * se_mean).all()
        # the sample variance has standard error ~ var * sqrt(2 / k) (up to kurtosis), use 6x
        assert (np.abs(got.var(axis=0) - var) <= 6 * var * np.sqrt(2 / k) + 1e-12).all()
    lo, hi = post.rate_intervals(0.8)
    np.testing.assert_allclose(lo, stats.beta.ppf(0.1, alpha, beta), rtol=1e-12)
    np.testing.assert_allclose(hi, stats.beta.ppf(0.9, alpha, beta), rtol=1e-12)
    intent = post.summary(0.9, n_draws=20_000, rng=np.random.default_rng(12)).intent
    s12, r12 = post.draws(20_000, rng=np.random.default_rng(12))  # the same draws
    sd = float((s12 * r12).sum(axis=1).std())
    exact = float(stats.dirichlet.mean(np.array([6, 3, 2, 1, 4]) + 0.5) @ (alpha / (alpha + beta)))
    assert intent[0] == pytest.approx(exact, abs=4 * sd / np.sqrt(20_000))


def test_html_table_shows_the_hand_computed_lost_shares() -> None:
    shares = {"failure_share": 0.25, "complaint_share": 0.4, "quick_share": 0.3}
    tree = tarp_tree(
        "minor", no_failure_rate=0.9, resolved_share=0.4, unresolved_share=0.3, **shares
    )
    html = tree._repr_html_()
    # lost share = share * (1 - rate): 0.15 * 0.63, 0.04 * 0.30, 0.03 * 0.54
    for leaf, lost in (("no_complaint", "0.0945"), ("resolved", "0.012"), ("unresolved", "0.0162")):
        assert f"<td>{leaf}</td>" in html
        assert f"<td>{lost}</td>" in html
    assert "repurchase intent 0.8008; no intent 0.1992" in html


def test_from_leaves_needs_five_shares_and_five_rates() -> None:
    shares, rates = [0.5, 0.2, 0.1, 0.1, 0.1], [0.9, 0.37, 0.95, 0.7, 0.46]
    for bad in ((shares, rates[:4]), (shares, [*rates, 0.5]), (shares[:4], rates)):
        with pytest.raises(InvalidInputError, match=r"need shape \(5,\)"):
            RepurchaseTree.from_leaves(*bad)
