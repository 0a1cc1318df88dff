"""Segments from predicted value and P(alive)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import customer_values, share_vectors

from custvalue.errors import InvalidInputError
from custvalue.segments import predicted_value_segments


@given(customer_values(max_size=80), share_vectors(3))
def test_value_tiers_monotone_and_partition(values, shares) -> None:
    v = np.array(values)
    seg = predicted_value_segments(v, shares=shares)
    order = np.argsort(-v, kind="stable")
    assert (np.diff(seg.codes[order]) >= 0).all()
    assert seg.table.count.sum() == v.size
    alive = (np.arange(v.size) % 3) / 2.0
    split = predicted_value_segments(v, alive, shares=shares)
    np.testing.assert_array_equal(split.codes // 2, seg.codes)
    np.testing.assert_array_equal(split.codes % 2 == 1, alive < 0.5)


def test_hand_example() -> None:
    seg = predicted_value_segments(
        [500.0, 40, 30, 20, 10], [0.9, 0.2, 0.8, 0.6, 0.1], shares=(0.2, 0.8), names=("Top", "Rest")
    )
    assert seg.labels.tolist() == [
        "Top, active",
        "Rest, at risk",
        "Rest, active",
        "Rest, active",
        "Rest, at risk",
    ]
    assert seg.segments == ("Top, active", "Top, at risk", "Rest, active", "Rest, at risk")
    np.testing.assert_array_equal(seg.table.value_total, [500.0, 0.0, 50.0, 50.0])
    default = predicted_value_segments(np.arange(10.0))
    assert default.table.count.tolist() == [2, 3, 5]


def test_errors() -> None:
    with pytest.raises(InvalidInputError, match="names must have one entry per share"):
        predicted_value_segments([1.0], shares=(0.5, 0.5))
    with pytest.raises(InvalidInputError, match="p_alive must be <= 1; first bad value at index 0"):
        predicted_value_segments([1.0], [1.5])
    with pytest.raises(InvalidInputError, match="predicted_value has 1, p_alive has 2"):
        predicted_value_segments([1.0], [0.5, 0.5])
    with pytest.raises(InvalidInputError, match="names must be distinct"):
        predicted_value_segments([1.0], shares=(0.5, 0.5), names=("a", "a"))
