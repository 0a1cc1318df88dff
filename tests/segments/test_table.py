"""The shared segment table and Segmentation result."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.segments import Segmentation, SegmentTable
from custvalue.segments._table import make_segmentation, segment_table


def test_hand_computed_table() -> None:
    codes = np.array([0, 1, 0, 2, 0])
    value = np.array([10.0, 5.0, 20.0, -5.0, 30.0])
    table = segment_table(codes, ["a", "b", "c", "d"], value, extra={"cost": np.arange(5.0)})
    assert table.segment == ("a", "b", "c", "d")
    np.testing.assert_array_equal(table.count, [3, 1, 1, 0])
    np.testing.assert_array_equal(table.customer_share, [0.6, 0.2, 0.2, 0.0])
    np.testing.assert_array_equal(table.value_total, [60.0, 5.0, -5.0, 0.0])
    np.testing.assert_array_equal(table.value_share, [1.0, 5 / 60, -5 / 60, 0.0])
    np.testing.assert_array_equal(table.value_mean[:3], [20.0, 5.0, -5.0])
    assert np.isnan(table.value_mean[3])  # empty segment: documented NaN
    np.testing.assert_array_equal(table.extra("cost"), [0 + 2 + 4, 1, 3, 0])
    assert table.row("a")["value_total"] == 60.0
    assert "<table>" in table._repr_html_()
    assert "d" in table.to_text()


def test_default_value_counts_customers() -> None:
    table = segment_table(np.array([1, 1, 0]), ["x", "y"])
    np.testing.assert_array_equal(table.value_total, [1.0, 2.0])
    np.testing.assert_array_equal(table.value_share, table.customer_share)


def test_zero_total_value_gives_nan_share() -> None:
    table = segment_table(np.array([0, 1]), ["x", "y"], np.array([1.0, -1.0]))
    assert np.isnan(table.value_share).all()


def test_arrays_are_read_only() -> None:
    table = segment_table(np.array([0]), ["x"], np.array([1.0]))
    with pytest.raises(ValueError, match="read-only"):
        table.count[0] = 5


@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=50),
    st.lists(st.floats(-1e6, 1e6), min_size=50, max_size=50),
)
def test_table_partitions_customers_and_round_trips(codes: list[int], values: list[float]) -> None:
    value = np.array(values[: len(codes)])
    seg = make_segmentation(np.array(codes), ["a", "b", "c", "d", "e"], value)
    assert seg.table.count.sum() == len(codes)
    assert np.isclose(seg.table.customer_share.sum(), 1.0)
    np.testing.assert_allclose(seg.table.value_total.sum(), value.sum(), atol=1e-6)
    back = Segmentation.from_json(seg.to_json())
    np.testing.assert_array_equal(back.codes, seg.codes)
    assert back.segments == seg.segments
    for field in ("count", "customer_share", "value_total", "value_share", "value_mean"):
        np.testing.assert_array_equal(getattr(back.table, field), getattr(seg.table, field))
    table = SegmentTable.from_json(seg.table.to_json())
    np.testing.assert_array_equal(table.value_mean, seg.table.value_mean)
    assert table.extra_totals.shape == (5, 0)


def test_labels_and_masks() -> None:
    seg = make_segmentation(np.array([1, 0, 1]), ["low", "high"], np.array([1.0, 2.0, 3.0]))
    assert seg.labels.tolist() == ["high", "low", "high"]
    np.testing.assert_array_equal(seg.mask("high"), [True, False, True])
    with pytest.raises(InvalidInputError, match="segment must be one of"):
        seg.mask("nope")


def test_bad_json_is_rejected() -> None:
    with pytest.raises(PersistenceError):
        SegmentTable.from_json('{"format": "custvalue", "kind": "Segmentation"}')
    seg = make_segmentation(np.array([0, 1]), ["a", "b"])
    text = seg.to_json().replace('"segments": ["a", "b"]', '"segments": ["a"]')
    with pytest.raises(PersistenceError, match="out of range"):
        Segmentation.from_json(text)
