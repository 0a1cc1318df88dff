"""Segment maps: validation at construction, the REFERENCE RF map, assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from strategies import rfm_histories

from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.segments import RF_SEGMENT_MAP, SegmentMap, SegmentRule, rfm_scores, rfm_segments

# The map as written in REFERENCE.md: (segment, recency scores, frequency scores)
REFERENCE_RF_MAP = [
    ("Hibernating", (1, 2), (1, 2)),
    ("At Risk", (1, 2), (3, 4)),
    ("Can't Lose Them", (1, 2), (5,)),
    ("About to Sleep", (3,), (1, 2)),
    ("Need Attention", (3,), (3,)),
    ("Loyal", (3, 4), (4, 5)),
    ("Promising", (4,), (1,)),
    ("New", (5,), (1,)),
    ("Potential Loyalists", (4, 5), (2, 3)),
    ("Champions", (5,), (4, 5)),
]


def test_reference_rf_map_covers_all_25_cells_exactly_once() -> None:
    expected: dict[tuple[int, int], str] = {}
    for name, rs, fs in REFERENCE_RF_MAP:
        for cell in itertools.product(rs, fs):
            assert cell not in expected, cell
            expected[cell] = name
    assert len(expected) == 25
    for (r, f), name in expected.items():
        assert RF_SEGMENT_MAP.segments[RF_SEGMENT_MAP.lookup[r - 1, f - 1]] == name
    # each rule of the preset matches cells no other rule matches
    hits = np.zeros((5, 5), dtype=int)
    for rule in RF_SEGMENT_MAP.rules:
        lo_r, hi_r = rule.recency or (1, 5)
        lo_f, hi_f = rule.frequency or (1, 5)
        hits[lo_r - 1 : hi_r, lo_f - 1 : hi_f] += 1
    np.testing.assert_array_equal(hits, np.ones((5, 5)))
    assert len(RF_SEGMENT_MAP.segments) == 10


def test_overlapping_map_is_rejected() -> None:
    rules = [
        SegmentRule("Good", recency=(3, 5), frequency=(1, 5)),
        SegmentRule("Bad", recency=(1, 3), frequency=(1, 5)),
    ]
    with pytest.raises(InvalidInputError, match=r"overlap in 5 cell\(s\), first \['R3F1'"):
        SegmentMap(rules)
    # declared priority resolves the overlap: first matching rule wins
    prioritised = SegmentMap(rules, priority=True)
    assert prioritised.segments[prioritised.lookup[2, 0]] == "Good"


def test_map_with_uncovered_cell_is_rejected() -> None:
    rules = [
        SegmentRule("Good", recency=(4, 5)),
        SegmentRule("Bad", recency=(1, 2)),
    ]
    with pytest.raises(InvalidInputError, match=r"uncovered, first \['R3F1', 'R3F2'"):
        SegmentMap(rules)


def test_map_with_unreachable_segment_is_rejected() -> None:
    rules = [
        SegmentRule("Everyone", recency=(1, 5)),
        SegmentRule("Champions", recency=5, frequency=5),
    ]
    with pytest.raises(InvalidInputError, match=r"rules\[1\] \('Champions'\) is unreachable"):
        SegmentMap(rules, priority=True)


def test_bad_rules_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"recency range \(0, 2\)"):
        SegmentMap([SegmentRule("x", recency=(0, 2))])
    with pytest.raises(InvalidInputError, match="sets monetary"):
        SegmentMap([SegmentRule("x", monetary=1)])
    with pytest.raises(InvalidInputError, match="must not be empty"):
        SegmentMap([])
    with pytest.raises(InvalidInputError, match="must be a SegmentRule"):
        SegmentMap([("x", 1, 1)])  # type: ignore[list-item]


def test_rfm_map_with_monetary() -> None:
    m = SegmentMap(
        [SegmentRule("Big", monetary=(2, 2)), SegmentRule("Small", monetary=1)],
        k=2,
        use_monetary=True,
    )
    assert m.assign([1, 2], [2, 1], [2, 1]).tolist() == [0, 1]
    with pytest.raises(InvalidInputError, match="monetary_score is required"):
        m.assign([1], [1])
    with pytest.raises(
        InvalidInputError, match=r"recency_score must be <= 2; first bad value at index 0: 3\.0"
    ):
        m.assign([3], [1], [1])


def test_hand_computed_segments() -> None:
    s = rfm_scores(
        [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        [10, 1, 8, 9, 6, 5, 4, 3, 2, 1],
        [5.0, 15, 25, 35, 45, 55, 65, 75, 85, 95],
    )
    # R: 5 5 4 4 3 3 2 2 1 1. F: sorted counts 1 1 2 3 4 5 6 8 9 10, edges (2nd, 4th, 6th,
    # 8th smallest) = 1, 3, 5, 8, score = 1 + #(edges < count): 5 1 4 5 4 3 3 2 2 1
    assert s.frequency_score.tolist() == [5, 1, 4, 5, 4, 3, 3, 2, 2, 1]
    seg = rfm_segments(s)
    assert seg.labels.tolist() == [
        "Champions",  # R5 F5
        "New",  # R5 F1
        "Loyal",  # R4 F4
        "Loyal",  # R4 F5
        "Loyal",  # R3 F4
        "Need Attention",  # R3 F3
        "At Risk",  # R2 F3
        "Hibernating",  # R2 F2
        "Hibernating",  # R1 F2
        "Hibernating",  # R1 F1
    ]
    assert seg.table.row("Hibernating")["spend_total"] == 75.0 + 85 + 95
    assert seg.table.row("Loyal")["spend_mean"] == 35.0
    assert seg.table.row("Can't Lose Them")["count"] == 0  # every map segment is listed
    clv = np.arange(10.0)
    by_clv = rfm_segments(s, value=clv, value_name="clv")
    assert by_clv.table.row("Loyal")["clv_total"] == 2.0 + 3 + 4


@given(rfm_histories())
def test_default_map_labels_partition_customers(history) -> None:
    s = rfm_scores(*(np.array(a, dtype=float) for a in history))
    seg = rfm_segments(s)
    assert seg.table.count.sum() == s.recency_score.size
    assert set(seg.labels.tolist()) <= set(RF_SEGMENT_MAP.segments)
    np.testing.assert_array_equal(
        seg.codes, RF_SEGMENT_MAP.lookup[s.recency_score - 1, s.frequency_score - 1]
    )


def test_k_mismatch_and_value_length() -> None:
    s = rfm_scores([1.0, 2.0], [1, 2], [1.0, 2.0], k=3)
    with pytest.raises(InvalidInputError, match="k=3 but segment_map is written for k=5"):
        rfm_segments(s)
    s5 = rfm_scores([1.0, 2.0], [1, 2], [1.0, 2.0])
    with pytest.raises(InvalidInputError, match="same length"):
        rfm_segments(s5, value=[1.0])


def test_json_round_trip_revalidates() -> None:
    back = SegmentMap.from_json(RF_SEGMENT_MAP.to_json())
    assert back.rules == RF_SEGMENT_MAP.rules
    np.testing.assert_array_equal(back.lookup, RF_SEGMENT_MAP.lookup)
    broken = RF_SEGMENT_MAP.to_json().replace('"recency": [5, 5]', '"recency": [4, 5]', 1)
    with pytest.raises(PersistenceError, match=r"valid SegmentMap.*overlap"):
        SegmentMap.from_json(broken)
    assert "Champions" in RF_SEGMENT_MAP.to_text()
