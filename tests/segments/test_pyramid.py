"""Customer pyramid: monotone tiers, the Lead rule, hand-computed profiles, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import customer_values, share_vectors

from custvalue.errors import InvalidInputError
from custvalue.segments import (
    PYRAMID_TIERS,
    CustomerPyramid,
    customer_profit,
    customer_pyramid,
    pyramid_tiers,
    tier_profiles,
)

REVENUE = np.array([900.0, 400, 300, 200, 150, 120, 100, 90, 60, 40])
COST = np.full(10, 100.0)  # profits 800 300 200 100 50 20 0 -10 -40 -60


def _assert_monotone(profit: np.ndarray, tiers: np.ndarray) -> None:
    order = np.argsort(-profit, kind="stable")
    assert (np.diff(tiers[order]) >= 0).all()  # no worse tier above a better one
    for v in np.unique(profit):
        assert np.unique(tiers[profit == v]).size == 1  # ties share a tier


@given(customer_values(max_size=80), share_vectors(4), st.sampled_from([0.0, None, -5.0, 10.0]))
def test_customer_share_tiers_monotone_and_lead_rule(values, shares, threshold) -> None:
    profit = np.array(values)
    tiers = pyramid_tiers(profit, shares=shares, lead_threshold=threshold)
    assert set(tiers.tolist()) <= {0, 1, 2, 3}
    _assert_monotone(profit, tiers)
    if threshold is not None:
        assert (tiers[profit < threshold] == 3).all()


@given(
    st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=80, unique=True),
    share_vectors(4),
)
def test_customer_share_tiers_hold_exact_counts_without_ties(values, shares) -> None:
    """Without ties the top tiers hold exactly ceil(cumulative share * n) customers.

    (This used to be a branch of the property above, taken only when all values were distinct
    and the Lead rule was off: under the derandomized default profile it never ran.)
    """
    profit = np.array(values)
    n = profit.size
    tiers = pyramid_tiers(profit, shares=shares, lead_threshold=None)
    cum = np.ceil(np.cumsum(shares)[:-1] * n - 1e-9 * n)
    np.testing.assert_array_equal(np.cumsum(np.bincount(tiers, minlength=4))[:-1], cum)


@given(customer_values(max_size=80), share_vectors(3), st.sampled_from([0.0, 25.0]))
def test_profit_share_tiers_monotone(values, shares, threshold) -> None:
    profit = np.array(values)
    tiers = pyramid_tiers(profit, cutoff="profit_share", shares=shares, lead_threshold=threshold)
    _assert_monotone(profit, tiers)
    np.testing.assert_array_equal(tiers == 3, profit < threshold)
    pool = profit[profit >= threshold]
    if pool.sum() > 0:
        # the customers above a tier's first member hold less than the cumulative cut-off
        for tier, cut in zip((1, 2), np.cumsum(shares)[:2], strict=True):
            members = profit[tiers == tier]
            if members.size:
                above = pool[pool > members.max()].sum() / pool.sum()
                assert above >= cut - 1e-9


def test_hand_computed_customer_share_pyramid() -> None:
    p = customer_pyramid(REVENUE, COST)
    # ranks 1-2 Platinum, 3-5 Gold, 6-8 Iron, 9-10 Lead; -10 (rank 8) is forced to Lead
    assert p.labels.tolist() == ["Platinum"] * 2 + ["Gold"] * 3 + ["Iron"] * 2 + ["Lead"] * 3
    t = p.table
    assert t.segment == PYRAMID_TIERS
    np.testing.assert_array_equal(t.count, [2, 3, 2, 3])
    np.testing.assert_array_equal(t.value_total, [1100.0, 350.0, 20.0, -110.0])
    np.testing.assert_array_equal(t.extra("revenue"), [1300.0, 650.0, 220.0, 190.0])
    np.testing.assert_array_equal(t.extra("cost"), [200.0, 300.0, 200.0, 300.0])
    np.testing.assert_allclose(t.value_share, np.array([1100.0, 350, 20, -110]) / 1360)
    # Lead = exactly the unprofitable customers with a zero Lead share
    exact = customer_pyramid(REVENUE, COST, shares=(0.2, 0.3, 0.5, 0.0))
    np.testing.assert_array_equal(exact.tiers.mask("Lead"), REVENUE - COST < 0)
    # pure share split
    pure = customer_pyramid(REVENUE, COST, lead_threshold=None)
    np.testing.assert_array_equal(pure.table.count, [2, 3, 3, 2])


def test_hand_computed_profit_share_pyramid() -> None:
    p = customer_pyramid(REVENUE, COST, cutoff="profit_share")
    # pool 800 300 200 100 50 20 0 (total 1470); share before: 0, .544, .748, .884 ...
    assert p.labels.tolist() == ["Platinum"] + ["Gold"] * 2 + ["Iron"] * 4 + ["Lead"] * 3
    np.testing.assert_array_equal(p.table.value_total, [800.0, 500.0, 170.0, -110.0])


def test_acquisition_cost_and_profiles() -> None:
    profit = customer_profit([100.0, 50.0, 10.0], [20.0, 10.0, 0.0], [5.0, 50.0, 0.0])
    assert profit.tolist() == [75.0, -10.0, 10.0]
    p = customer_pyramid([100.0, 50.0, 10.0], [20.0, 10.0, 0.0], [5.0, 50.0, 0.0])
    assert p.labels.tolist() == ["Platinum", "Lead", "Gold"]
    np.testing.assert_array_equal(p.table.extra("cost"), [25.0, 0.0, 0.0, 60.0])
    table = tier_profiles([0, 3, 1], [100.0, 50.0, 10.0], [25.0, 60.0, 0.0])
    np.testing.assert_array_equal(table.value_total, p.table.value_total)


def test_json_round_trip() -> None:
    p = customer_pyramid(REVENUE, COST, lead_threshold=None)
    back = CustomerPyramid.from_json(p.to_json())
    np.testing.assert_array_equal(back.tiers.codes, p.tiers.codes)
    np.testing.assert_array_equal(back.profit, p.profit)
    assert back.lead_threshold is None
    assert back.to_json() == p.to_json()
    assert "Platinum" in p._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shares": (0.2, 0.3, 0.3, 0.3)}, "shares must sum to 1"),
        ({"shares": (0.5, 0.5)}, "shares must have 4 entries"),
        ({"shares": (1.2, -0.2, 0.0, 0.0)}, r"shares must be >= 0; first bad value at index 1"),
        ({"shares": (0.5, np.nan, 0.5, 0.0)}, "shares must not be NaN; first bad value at index 1"),
        ({"cutoff": "profit_share", "lead_threshold": None}, "lead_threshold must be a number"),
        ({"cutoff": "profit_share", "lead_threshold": -1.0}, "lead_threshold must be a number"),
        ({"cutoff": "median"}, "cutoff must be one of"),
    ],
)
def test_bad_settings(kwargs, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        pyramid_tiers(REVENUE - COST, **kwargs)


def test_bad_arrays() -> None:
    with pytest.raises(
        InvalidInputError, match=r"cost_to_serve must be >= 0; first bad value at index 1: -1\.0"
    ):
        customer_profit([1.0, 2.0], [1.0, -1.0])
    with pytest.raises(InvalidInputError, match="revenue has 2, cost_to_serve has 3"):
        customer_profit([1.0, 2.0], [1.0, 1.0, 1.0])
    with pytest.raises(
        InvalidInputError, match="profit must not be NaN; first bad value at index 0"
    ):
        pyramid_tiers([np.nan])
    with pytest.raises(InvalidInputError, match="tiers must be <= 3"):
        tier_profiles([4], [1.0], [1.0])
    with pytest.raises(InvalidInputError, match=r"tiers must be >= 0.*index 1: -1"):
        tier_profiles([0, -1], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(InvalidInputError, match=r"tiers must be a whole number.*index 0: 1\.5"):
        tier_profiles([1.5], [1.0], [1.0])


@given(customer_values(negative=False, max_size=60), share_vectors(3))
def test_profit_share_tiers_match_a_direct_walk(values, shares) -> None:
    from custvalue.segments._cutoffs import tiers_by_value_share

    v = np.array(values)
    total = v.sum()
    cut = np.cumsum(shares)[:-1]
    expected = []
    for x in v:  # share held by strictly more profitable customers decides the tier
        before = v[v > x].sum() / total if total > 0 else 0.0
        expected.append(int(np.sum(cut - 1e-9 <= before)))
    np.testing.assert_array_equal(tiers_by_value_share(v, np.array(shares)), expected)
