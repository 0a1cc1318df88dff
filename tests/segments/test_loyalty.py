"""Jones & Sasser quadrants and the loyalty ladder."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import InvalidInputError
from custvalue.segments import (
    LADDER_RUNGS,
    LOYALTY_QUADRANTS,
    loyalty_ladder,
    satisfaction_loyalty_quadrants,
)

scores = st.lists(st.integers(1, 7), min_size=1, max_size=50)


@given(scores, scores, st.integers(1, 7), st.integers(1, 7))
def test_quadrants_partition_and_follow_thresholds(sat, loy, s_cut, l_cut) -> None:
    n = min(len(sat), len(loy))
    s, lo = np.array(sat[:n], dtype=float), np.array(loy[:n], dtype=float)
    q = satisfaction_loyalty_quadrants(
        s, lo, scale_max=7, satisfaction_threshold=s_cut, loyalty_threshold=l_cut
    )
    assert q.table.count.sum() == n
    np.testing.assert_array_equal(q.mask("Loyalist"), (s >= s_cut) & (lo >= l_cut))
    np.testing.assert_array_equal(q.mask("Mercenary"), (s >= s_cut) & (lo < l_cut))
    np.testing.assert_array_equal(q.mask("Hostage"), (s < s_cut) & (lo >= l_cut))
    np.testing.assert_array_equal(q.mask("Defector"), (s < s_cut) & (lo < l_cut))


def test_quadrants_top_box_default_and_value() -> None:
    q = satisfaction_loyalty_quadrants([5, 4, 5, 2], [5, 5, 4, 1], value=[10.0, 20.0, 30.0, 40.0])
    # top box (5 of 5) only: a 4 is not "high"
    assert q.labels.tolist() == ["Loyalist", "Hostage", "Mercenary", "Defector"]
    assert q.segments == LOYALTY_QUADRANTS
    np.testing.assert_array_equal(q.table.value_total, [10.0, 30.0, 20.0, 40.0])
    with pytest.raises(
        InvalidInputError,
        match=re.escape("satisfaction must be <= 5; first bad value at index 1: 6.0"),
    ):
        satisfaction_loyalty_quadrants([5, 6], [1, 1])
    with pytest.raises(InvalidInputError, match="satisfaction has 2, loyalty has 1"):
        satisfaction_loyalty_quadrants([5, 5], [1])
    with pytest.raises(InvalidInputError, match="customers has 1, value has 2"):
        satisfaction_loyalty_quadrants([5], [1], value=[1.0, 2.0])


@given(st.lists(st.integers(0, 12), min_size=1, max_size=50), st.data())
def test_ladder_is_monotone_in_purchases(counts, data) -> None:
    referred = data.draw(st.lists(st.booleans(), min_size=len(counts), max_size=len(counts)))
    ladder = loyalty_ladder(counts, referred=referred, repeat_min=2, client_min=5)
    c, r = np.array(counts), np.array(referred)
    expected = np.select([c == 0, c == 1, c < 5, ~r, r], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(ladder.codes, expected)
    assert ladder.table.count.sum() == len(counts)


def test_ladder_hand_example_and_errors() -> None:
    ladder = loyalty_ladder([0, 1, 2, 5, 7, 3], referred=[0, 1, 0, 0, 1, 1])
    assert ladder.labels.tolist() == [
        "Prospect",
        "First-time customer",
        "Repeat customer",
        "Client",
        "Advocate",
        "Repeat customer",  # referred, but not yet a client
    ]
    assert ladder.segments == LADDER_RUNGS
    assert loyalty_ladder([5]).labels.tolist() == ["Client"]  # no flag, no advocates
    with pytest.raises(
        InvalidInputError,
        match=re.escape("purchase_count must be a whole number; first bad value at index 0: 1.5"),
    ):
        loyalty_ladder([1.5])
    with pytest.raises(
        InvalidInputError,
        match=re.escape("referred must be True/False (or 0/1); first bad value at index 0: 2.0"),
    ):
        loyalty_ladder([1], referred=[2])
    with pytest.raises(InvalidInputError, match="client_min must be > repeat_min"):
        loyalty_ladder([1], repeat_min=3, client_min=3)
