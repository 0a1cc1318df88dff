"""Every cut-off of the segmentation tools, with inputs exactly on, just below and just above it.

A threshold written as ``<`` where the docs say ``<=`` (or a ``ceil`` that became ``floor``)
changes the output only for a customer exactly on the threshold, so each case below puts one
there and its neighbours one float (``np.nextafter``) away. Expected values are by hand from
the documented rules.
"""

from __future__ import annotations

import numpy as np
import pytest

from custvalue.segments import (
    loyalty_ladder,
    predicted_value_segments,
    pyramid_tiers,
    satisfaction_loyalty_quadrants,
    value_classes,
)
from custvalue.segments.rfm import quantile_scores


def _down(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _up(x: float) -> float:
    return float(np.nextafter(x, np.inf))


# ---------------------------------------------------------------- customer pyramid: Lead rule
@pytest.mark.parametrize(
    ("profit", "lead"),
    [(0.0, False), (-0.0, False), (_down(0.0), True), (_up(0.0), False)],
)
def test_lead_rule_is_strictly_below_the_threshold(profit: float, lead: bool) -> None:
    """Docs: a customer with ``profit < lead_threshold`` is Lead (profit exactly 0 is not)."""
    values = np.array([100.0, 50.0, 20.0, profit])
    tiers = pyramid_tiers(values, shares=(0.25, 0.25, 0.5, 0.0), lead_threshold=0.0)
    assert bool(tiers[3] == 3) == lead


@pytest.mark.parametrize(
    ("profit", "lead"), [(25.0, False), (_down(25.0), True), (_up(25.0), False)]
)
def test_lead_rule_on_a_positive_threshold_under_profit_shares(profit: float, lead: bool) -> None:
    values = np.array([100.0, 50.0, 40.0, profit])
    tiers = pyramid_tiers(values, cutoff="profit_share", lead_threshold=25.0)
    assert bool(tiers[3] == 3) == lead


# ------------------------------------------------------- customer pyramid: customer-share cuts
def test_customer_share_cut_on_an_exact_rank() -> None:
    """n = 10, shares 20/30/30/20: cut ranks 2, 5, 8 exactly (no ceil/floor slack)."""
    values = np.arange(10.0, 0.0, -1.0)
    tiers = pyramid_tiers(values, shares=(0.2, 0.3, 0.3, 0.2), lead_threshold=None)
    assert tiers.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3]


def test_customer_share_cut_between_ranks_rounds_up() -> None:
    """n = 7: cumulative 0.2 * 7 = 1.4 -> the top ceil(1.4) = 2 are Platinum; 0.5 * 7 -> 4."""
    values = np.arange(7.0, 0.0, -1.0)
    tiers = pyramid_tiers(values, shares=(0.2, 0.3, 0.3, 0.2), lead_threshold=None)
    assert tiers.tolist() == [0, 0, 1, 1, 2, 2, 3]


@pytest.mark.parametrize(
    ("third", "tier"),
    [(9.0, 0), (_down(9.0), 1), (_up(8.0), 1)],
)
def test_customer_tied_with_a_cut_value_goes_to_the_better_tier(third: float, tier: int) -> None:
    """The threshold is the 2nd-highest value (9); a customer equal to it is Platinum too."""
    values = np.array([10.0, 9.0, third, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    tiers = pyramid_tiers(values, shares=(0.2, 0.3, 0.3, 0.2), lead_threshold=None)
    assert tiers[2] == tier
    assert tiers[1] == 0


# --------------------------------------------------------- customer pyramid: profit-share cuts
@pytest.mark.parametrize(
    ("top", "second_tier"),
    [(50.0, 1), (50.0 + 1e-6, 1), (50.0 - 1e-6, 0)],
)
def test_profit_share_cut_exactly_reached(top: float, second_tier: int) -> None:
    """Platinum fills until the customers above hold 50% of profit.

    With profits (top, 30, 100 - 30 - top): when the top customer holds exactly 50% the second
    customer starts Gold; holding a little less, the second still belongs to Platinum. The rule
    compares with a 1e-9 tolerance, so the neighbours are 1e-6 (not one ulp) away.
    """
    values = np.array([top, 30.0, 100.0 - 30.0 - top])
    tiers = pyramid_tiers(values, cutoff="profit_share", shares=(0.5, 0.3, 0.2), lead_threshold=0)
    assert tiers[0] == 0
    assert tiers[1] == second_tier


# ---------------------------------------------------------------------------- value classes
@pytest.mark.parametrize(
    ("actual", "label"),
    [(0.0, "Other"), (_down(0.0), "BZ"), (_up(0.0), "Other"), (-0.0, "Other")],
)
def test_bz_is_strictly_below_zero(actual: float, label: str) -> None:
    """Docs: BZ is exactly the set of customers with actual value < 0."""
    seg = value_classes([500.0, 80.0, 60.0, actual], potential=[600.0, 80.0, 60.0, actual])
    assert seg.labels[3] == label


def test_mvc_share_on_an_exact_rank_and_ties() -> None:
    """mvc_share 0.2 of 10 customers: exactly the top 2; a tie with the 2nd joins MVC."""
    actual = np.arange(10.0, 0.0, -1.0)
    seg = value_classes(actual, potential=actual, mvc_share=0.2, mgc_share=0.0)
    assert seg.labels.tolist().count("MVC") == 2
    tied = actual.copy()
    tied[2] = 9.0
    assert value_classes(tied, potential=tied, mvc_share=0.2, mgc_share=0.0).labels[2] == "MVC"
    below = actual.copy()
    below[2] = _down(9.0)
    assert value_classes(below, potential=below, mvc_share=0.2, mgc_share=0.0).labels[2] != "MVC"


@pytest.mark.parametrize(
    ("actual", "potential", "label"),
    [(5.0, 5.0, "Other"), (5.0, _up(5.0), "MGC"), (0.0, 0.0, "Other"), (0.0, 5e-324, "MGC")],
)
def test_mgc_needs_unrealised_potential_above_zero(
    actual: float, potential: float, label: str
) -> None:
    """A customer with potential == actual has nothing unrealised and is never MGC; one ulp of
    unrealised potential is enough."""
    seg = value_classes(
        [100.0, 10.0, actual], potential=[100.0, 10.0, potential], mvc_share=1 / 3, mgc_share=1 / 3
    )
    assert seg.labels[2] == label


@pytest.mark.parametrize(("share", "potential"), [(0.1, 1000.0), (_up(0.1), 100.0 / _up(0.1))])
def test_wallet_share_floor_is_one_over_max_multiple(share: float, potential: float) -> None:
    """max_multiple 10 floors the share at 0.1: on the floor and above, potential = actual/share."""
    seg = value_classes([100.0, 50.0], wallet_share=[share, 0.5], max_multiple=10)
    assert seg.table.extra("potential").sum() == pytest.approx(potential + 100.0, rel=1e-15)


@pytest.mark.parametrize("share", [_down(0.1), 0.05, 0.0])
def test_wallet_share_below_the_floor_is_capped(share: float) -> None:
    """Below the floor potential is exactly max_multiple * actual (100 / 0.1 = 1000 exactly)."""
    seg = value_classes([100.0, 50.0], wallet_share=[share, 0.5], max_multiple=10)
    assert seg.table.extra("potential").sum() == 1000.0 + 100.0


# ------------------------------------------------------------------------- RFM quantile edges
def test_rfm_lower_rule_edges_on_exact_quantiles() -> None:
    """n = 10, k = 5: edges are the 2nd, 4th, 6th and 8th smallest values (ceil(j n / k))."""
    values = np.arange(1.0, 11.0)
    scores, edges = quantile_scores(values, 5, "lower")
    assert edges.tolist() == [2.0, 4.0, 6.0, 8.0]
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_lower_rule_rounds_the_edge_rank_up() -> None:
    """n = 7, k = 5: ranks ceil(7 j / 5) = 2, 3, 5, 6 (not floor: 1, 2, 4, 5)."""
    values = np.arange(1.0, 8.0)
    scores, edges = quantile_scores(values, 5, "lower")
    assert edges.tolist() == [2.0, 3.0, 5.0, 6.0]
    assert scores.tolist() == [1, 1, 2, 3, 3, 4, 5]


@pytest.mark.parametrize(("third", "score"), [(2.0, 1), (_up(2.0), 2), (_down(4.0), 2), (4.0, 2)])
def test_rfm_value_tied_with_an_edge_gets_the_lower_score(third: float, score: int) -> None:
    """Docs: score = 1 + #{edges < value}; a customer equal to an edge gets the lower score."""
    values = np.array([1.0, 2.0, third, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    scores, edges = quantile_scores(values, 5, "lower")
    assert edges[0] == 2.0
    assert scores[2] == score


def test_rfm_average_rule_on_a_bin_boundary() -> None:
    """Average rule: score 1 + floor(k (r - 1/2) / n). n = 10, k = 5, distinct values:
    rank r = 2 gives floor(0.75) = 0 -> 1, r = 3 gives floor(1.25) = 1 -> 2; a tie of ranks 2
    and 3 has mean rank 2.5 -> floor(1.0) = 1 -> score 2 (exactly on the boundary)."""
    values = np.arange(1.0, 11.0)
    scores, _ = quantile_scores(values, 5, "average")
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    tied = values.copy()
    tied[2] = 2.0
    scores, _ = quantile_scores(tied, 5, "average")
    assert scores[1] == scores[2] == 2
    assert scores[0] == 1


# ------------------------------------------------------ loyalty quadrants, ladder, predicted
@pytest.mark.parametrize(("score", "high"), [(5.5, True), (_down(5.5), False), (_up(5.5), True)])
def test_quadrant_high_means_at_or_above_the_threshold(score: float, high: bool) -> None:
    seg = satisfaction_loyalty_quadrants(
        [score, 7.0], [7.0, score], scale_max=7, satisfaction_threshold=5.5, loyalty_threshold=5.5
    )
    assert seg.labels.tolist() == (["Loyalist"] * 2 if high else ["Hostage", "Mercenary"])


def test_ladder_rungs_at_each_purchase_threshold() -> None:
    """repeat_min 3, client_min 5: counts just below, on and above each threshold."""
    ladder = loyalty_ladder([0, 1, 2, 3, 4, 5, 6, 5, 4], referred=[0] * 7 + [1, 1],
                            repeat_min=3, client_min=5)  # fmt: skip
    assert ladder.labels.tolist() == [
        "Prospect", "First-time customer", "First-time customer", "Repeat customer",
        "Repeat customer", "Client", "Client", "Advocate", "Repeat customer",
    ]  # fmt: skip


@pytest.mark.parametrize(("p", "at_risk"), [(0.5, False), (_down(0.5), True), (_up(0.5), False)])
def test_predicted_value_active_means_p_alive_at_or_above_the_threshold(
    p: float, at_risk: bool
) -> None:
    seg = predicted_value_segments([10.0, 5.0, 1.0], [1.0, 1.0, p], alive_threshold=0.5)
    assert seg.labels[2].endswith("at risk") is at_risk
