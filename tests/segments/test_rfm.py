"""RFM scoring: properties (order and monotone-transform invariance), hand examples, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import customer_values, rfm_histories

from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.segments import RFMScores, rfm_scores
from custvalue.segments.rfm import quantile_scores

SETTINGS = st.fixed_dictionaries(
    {
        "k": st.integers(2, 9),
        "monetary": st.sampled_from(["total", "mean"]),
        "binning": st.sampled_from(["independent", "nested"]),
        "ties": st.sampled_from(["lower", "average"]),
    }
)


def _scores(s: RFMScores) -> np.ndarray:
    return np.stack([s.recency_score, s.frequency_score, s.monetary_score])


@given(rfm_histories(), SETTINGS, st.randoms(use_true_random=False))
def test_scores_invariant_to_customer_order(history, settings, rnd) -> None:
    since, count, spend = (np.array(a, dtype=float) for a in history)
    perm = np.array(rnd.sample(range(len(since)), len(since)))
    a = rfm_scores(since, count, spend, **settings)
    b = rfm_scores(since[perm], count[perm], spend[perm], **settings)
    np.testing.assert_array_equal(_scores(a)[:, perm], _scores(b))
    assert a.collapsed == b.collapsed


@given(rfm_histories(), SETTINGS)
def test_scores_invariant_to_monotone_transforms(history, settings) -> None:
    since, count, spend = (np.array(a, dtype=float) for a in history)
    a = rfm_scores(since, count, spend, **settings)
    if settings["monetary"] == "total":
        # any strictly increasing transform of each input, exact on these whole numbers
        b = rfm_scores(since**2 + 3 * since, count**3, np.exp(spend / 97.0), **settings)
    else:
        # mean spend depends on count too: scale both spend and recency, keep count
        b = rfm_scores(7 * since + 1, count, 4 * spend, **settings)
    np.testing.assert_array_equal(_scores(a), _scores(b))


@given(rfm_histories(), SETTINGS)
def test_scores_in_range_cells_consistent_table_partitions(history, settings) -> None:
    since, count, spend = (np.array(a, dtype=float) for a in history)
    s = rfm_scores(since, count, spend, **settings)
    k = settings["k"]
    assert _scores(s).min() >= 1
    assert _scores(s).max() <= k
    np.testing.assert_array_equal(
        s.cell, 100 * s.recency_score.astype(int) + 10 * s.frequency_score + s.monetary_score
    )
    assert s.table.count.sum() == since.size
    assert sorted(int(c) for c in s.table.segment) == sorted(set(s.cell.tolist()))
    assert np.isclose(s.table.value_total.sum(), spend.sum())


@given(rfm_histories(), st.integers(2, 9), st.sampled_from(["lower", "average"]))
def test_independent_scores_monotone_and_reproduced_by_edges(history, k, ties) -> None:
    since, count, spend = (np.array(a, dtype=float) for a in history)
    s = rfm_scores(since, count, spend, k=k, ties=ties)
    for values, score, edges in (
        (count, s.frequency_score, s.frequency_edges),
        (spend, s.monetary_score, s.monetary_edges),
    ):
        order = np.argsort(values, kind="stable")
        assert (np.diff(score[order]) >= 0).all()  # higher value, never a lower score
        np.testing.assert_array_equal(score, 1 + (edges[None, :] < values[:, None]).sum(axis=1))
    # recency: documented rule on the time-since-last-purchase scale
    expected_r = 1 + (since[:, None] < s.recency_edges[None, :]).sum(axis=1)
    np.testing.assert_array_equal(s.recency_score, expected_r)
    # ties always share a score
    for values, score in ((since, s.recency_score), (count, s.frequency_score)):
        for v in np.unique(values):
            assert np.unique(score[values == v]).size == 1


@given(customer_values(min_size=1, max_size=200), st.integers(2, 9))
def test_lower_rule_balances_distinct_values(values, k) -> None:
    arr = np.array(values)
    scores, _ = quantile_scores(arr, k, "lower")
    if np.unique(arr).size == arr.size:  # no ties: sizes differ by at most one
        sizes = np.bincount(scores, minlength=k + 1)[1:]
        assert sizes.max() - sizes.min() <= 1


def test_hand_computed_quintiles() -> None:
    since = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    count = np.array([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    spend = np.array([5.0, 15, 25, 35, 45, 55, 65, 75, 85, 95])
    s = rfm_scores(since, count, spend)
    assert s.recency_score.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s.frequency_score.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s.monetary_score.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s.recency_edges.tolist() == [9.0, 7.0, 5.0, 3.0]
    assert s.frequency_edges.tolist() == [2.0, 4.0, 6.0, 8.0]
    assert s.monetary_edges.tolist() == [15.0, 35.0, 55.0, 75.0]
    assert s.cell[0] == 551
    assert s.cell[-1] == 115
    assert s.collapsed == ()
    assert s.table.row("551")["spend_total"] == 20.0


def test_hand_computed_ties_and_collapse() -> None:
    # 6 one-time buyers, 2 with 2 purchases, 2 with 5: quintile bins must collapse
    count = np.array([1.0, 1, 1, 1, 1, 1, 2, 2, 5, 5])
    lower = rfm_scores(np.arange(10.0), count, np.ones(10))
    assert lower.frequency_score.tolist() == [1] * 6 + [4, 4, 5, 5]
    assert lower.frequency_edges.tolist() == [1.0, 1.0, 1.0, 2.0]
    assert any(
        note.startswith("frequency: no customer has score(s) 2, 3") for note in lower.collapsed
    )
    average = rfm_scores(np.arange(10.0), count, np.ones(10), ties="average")
    # mean ranks 3.5, 7.5, 9.5 -> 1 + floor(5 (r - 0.5) / 10) = 2, 4, 5
    assert average.frequency_score.tolist() == [2] * 6 + [4, 4, 5, 5]
    assert average.frequency_edges.tolist() == [-np.inf, 1.0, 1.0, 2.0]
    # all spends equal: one score for everybody
    assert np.unique(lower.monetary_score).size == 1


def test_monetary_mean_and_nested() -> None:
    since = np.array([1.0, 1, 1, 1, 9, 9, 9, 9])
    count = np.array([1.0, 2, 3, 4, 1, 2, 3, 4])
    spend = np.array([40.0, 40, 40, 40, 10, 20, 30, 40])
    mean = rfm_scores(since, count, spend, k=2, monetary="mean")
    # mean spend 40, 20, 13.3, 10, 10, 10, 10, 10 -> top half: 40, 20, 13.3 and no tie split
    assert mean.monetary_score.tolist() == [2, 2, 2, 1, 1, 1, 1, 1]
    nested = rfm_scores(since, count, spend, k=2, binning="nested")
    assert nested.recency_score.tolist() == [2, 2, 2, 2, 1, 1, 1, 1]
    # frequency ranked within each recency score
    assert nested.frequency_score.tolist() == [1, 1, 2, 2, 1, 1, 2, 2]
    assert nested.frequency_edges.shape == (2, 1)
    assert nested.monetary_edges.shape == (2, 2, 1)
    # monetary within each RF cell: (40, 40) tie -> both score 1; (10, 20) -> 1, 2
    assert nested.monetary_score.tolist() == [1, 1, 1, 1, 1, 2, 1, 2]
    assert any(note.startswith("monetary (nested): 2 of 4") for note in nested.collapsed)


def test_json_round_trip() -> None:
    s = rfm_scores([1.0, 5, 9, 3], [1, 2, 3, 4], [10.0, 20, 30, 40], k=3, binning="nested")
    back = RFMScores.from_json(s.to_json())
    np.testing.assert_array_equal(_scores(back), _scores(s))
    np.testing.assert_array_equal(back.monetary_edges, s.monetary_edges)
    np.testing.assert_array_equal(back.total_spend, s.total_spend)
    assert (back.k, back.binning, back.collapsed) == (3, "nested", s.collapsed)
    assert back.to_json() == s.to_json()
    assert "<table>" in s._repr_html_()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (
            ([1.0, np.nan], [1, 1], [1.0, 2.0]),
            {},
            "time_since_last_purchase must not be NaN; first bad value at index 1",
        ),
        (
            ([1.0, -2.0], [1, 1], [1.0, 2.0]),
            {},
            "time_since_last_purchase must be >= 0; first bad value at index 1: -2.0",
        ),
        (
            ([1.0, 2.0], [1, 0], [1.0, 2.0]),
            {},
            "purchase_count must be >= 1; first bad value at index 1: 0.0",
        ),
        (
            ([1.0, 2.0], [1, 2.5], [1.0, 2.0]),
            {},
            "purchase_count must be a whole number; first bad value at index 1: 2.5",
        ),
        (([1.0, 2.0], [1, 2], [1.0]), {}, "same length"),
        (([], [], []), {}, "must not be empty"),
        (([1.0], [1], [1.0]), {"k": 10}, "k must be an integer from 2 to 9"),
        (([1.0], [1], [1.0]), {"k": True}, "k must be an integer"),
        (([1.0], [1], [1.0]), {"ties": "first"}, "ties must be one of"),
        (([1.0], [1], [1.0]), {"binning": "grid"}, "binning must be one of"),
        (([1.0], [1], [1.0]), {"monetary": "sum"}, "monetary must be one of"),
        (([[1.0]], [1], [1.0]), {}, "must have 1 dimension"),
    ],
)
def test_bad_input(args, kwargs, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        rfm_scores(*args, **kwargs)


def test_bad_type() -> None:
    with pytest.raises(InvalidTypeError, match="total_spend"):
        rfm_scores([1.0], [1], ["a lot"])


@given(customer_values(min_size=1, max_size=200), st.integers(2, 9))
def test_average_rule_matches_average_ranks(values, k) -> None:
    from scipy.stats import rankdata

    arr = np.array(values)
    scores, _ = quantile_scores(arr, k, "average")
    expected = np.minimum(1 + np.floor(k * (rankdata(arr, method="average") - 0.5) / arr.size), k)
    np.testing.assert_array_equal(scores, expected)
