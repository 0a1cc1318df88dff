"""Stage histories at cut-off dates from a transaction log."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle import (
    Reason,
    Stage,
    StageHistory,
    StagePolicy,
    allowed_matrix,
    count_transitions,
    stage_history,
)
from custvalue.summary import CustomerSummary

IDS = [1, 1, 1, 2, 2, 3, 4, 4]
DATES = [
    "2020-01-01", "2020-01-20", "2020-03-01",  # 1: repeat buyer
    "2020-01-05", "2020-02-10",  # 2: repeat buyer, then silent
    "2020-02-15",  # 3: acquired after the first cut-off
    "2020-01-10", "2020-04-01",  # 4: new, then a second purchase
]  # fmt: skip
CUTS = ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"]


class FixedModel:
    """P(alive) = 0.9 for buyers within 5 weeks of their last purchase, else 0.05."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> Any:
        self.calls.append(len(np.asarray(T)))
        assert (np.asarray(T) > 0).all()  # T = 0 rows are handled by stage_history
        return np.where(np.asarray(T) - np.asarray(recency) <= 5, 0.9, 0.05)


def test_history_by_hand() -> None:
    model = FixedModel()
    h = stage_history(IDS, DATES, CUTS, p_alive=model, time_unit="W")
    assert h.customer_id.tolist() == [1, 2, 3, 4]
    names = np.array(["ACQUIRE", "RETAIN", "RECOVER", "TERMINATE"])
    got = [[names[s] if s >= 0 else "-" for s in row] for row in h.stages]
    assert got == [
        ["RETAIN", "RECOVER", "RETAIN", "RECOVER"],  # lost twice: RETAIN -> TERMINATE routed
        ["ACQUIRE", "RETAIN", "RECOVER", "TERMINATE"],  # lost: routed via RECOVER, then ends
        ["-", "ACQUIRE", "TERMINATE", "TERMINATE"],  # acquired late, acquisition failed
        ["ACQUIRE", "TERMINATE", "TERMINATE", "ACQUIRE"],  # comes back: re-acquired
    ]
    assert h.routed.tolist() == [
        [False, True, False, True],
        [False, False, True, False],
        [False, False, False, False],
        [False, False, False, True],
    ]
    assert h.reasons[2, 2] == Reason.ACQUISITION_FAILED
    assert h.reasons[0, 3] == Reason.LOST
    assert h.reasons[2, 0] == -1
    assert len(model.calls) == 4  # the model is reused once per cut-off, never refitted
    counts = h.transition_counts()
    assert counts.sum() == 3 + 3 + 2 + 3  # customer 3 enters late, last cut-offs are censored
    np.testing.assert_array_equal(counts, count_transitions(np.where(h.stages < 0, -1, h.stages)))
    np.testing.assert_array_equal(h.stage_counts()[0], [2, 1, 0, 0])
    assert StageHistory.from_json(h.to_json()) == h
    assert "routed" in h._repr_html_()


def test_callable_is_called_per_cutoff_with_the_truncated_summary() -> None:
    seen: list[tuple[str, int]] = []

    def p_alive(summary: CustomerSummary) -> Any:
        seen.append((str(summary.observation_end), summary.n_customers))
        return np.ones(summary.n_customers)

    flags = np.zeros((4, 4), dtype=bool)
    flags[0, 2] = True  # customer 1 complains before the third cut-off
    h = stage_history(IDS, DATES, CUTS, p_alive=p_alive, unresolved_complaint=flags)
    assert seen == [("2020-01-31", 3), ("2020-02-29", 4), ("2020-03-31", 4), ("2020-04-30", 4)]
    assert h.stages[0].tolist() == [Stage.RETAIN, Stage.RETAIN, Stage.RECOVER, Stage.RETAIN]
    assert h.reasons[0, 2] == Reason.UNRESOLVED_COMPLAINT
    bz = stage_history(IDS, DATES, CUTS, p_alive=p_alive, value_class_flag=[0, 1, 0, 0])
    assert bz.stages[1].tolist() == [Stage.TERMINATE] * 4


logs = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 180)), min_size=1, max_size=40)


@given(logs, st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_recorded_histories_only_make_legal_moves(
    rows: list[tuple[int, int]], level: float, seed: int
) -> None:
    ids = [r[0] for r in rows]
    dates = np.datetime64("2021-01-01") + np.array([r[1] for r in rows])
    cuts = np.datetime64("2021-01-01") + np.array([30, 60, 90, 120, 150, 180])

    def p_alive(summary: CustomerSummary) -> Any:
        rng = np.random.default_rng(seed + summary.n_customers)
        return np.where(rng.random(summary.n_customers) < level, 0.05, 0.95)

    policy = StagePolicy(recover_after=20, terminate_after=60)
    h = stage_history(ids, dates, cuts, p_alive=p_alive, policy=policy, time_unit="D")
    a, b = h.stages[:, :-1], h.stages[:, 1:]
    seen = (a >= 0) & (b >= 0)
    assert allowed_matrix()[a[seen], b[seen]].all()
    assert ((a >= 0) <= (b >= 0)).all()  # once acquired, observed at every later cut-off
    assert h.stage_counts().sum() == (h.stages >= 0).sum()
    assert h.transition_counts().sum() == seen.sum()


def test_history_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        stage_history(IDS, DATES, ["2020-02-29", "2020-01-31"], p_alive=FixedModel())
    with pytest.raises(InvalidTypeError, match="p_alive must have a probability_alive"):
        stage_history(IDS, DATES, CUTS, p_alive=0.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="service_failure must have shape"):
        stage_history(IDS, DATES, CUTS, p_alive=FixedModel(), service_failure=[True, False])
    with pytest.raises(InvalidInputError, match="p_alive must be <= 1"):
        stage_history(IDS, DATES, CUTS, p_alive=lambda s: np.full(s.n_customers, 2.0))
