"""Stages, allowed transitions and the explainable stage policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle import (
    ALLOWED_TRANSITIONS,
    ROUTING,
    Reason,
    Stage,
    StageAssignment,
    StagePolicy,
    allowed_matrix,
    check_transitions,
)
from custvalue.lifecycle.stages import as_stage, as_stage_codes

A, R, RC, T = Stage.ACQUIRE, Stage.RETAIN, Stage.RECOVER, Stage.TERMINATE

#: The stage each reason code implies.
REASON_STAGE = {
    Reason.VALUE_CLASS: T,
    Reason.ACQUISITION_FAILED: T,
    Reason.NEW_CUSTOMER: A,
    Reason.NEW_CUSTOMER_PROBLEM: A,
    Reason.UNRESOLVED_COMPLAINT: RC,
    Reason.SERVICE_FAILURE: RC,
    Reason.LOST: T,
    Reason.INACTIVE_TOO_LONG: T,
    Reason.LAPSING: RC,
    Reason.INACTIVE: RC,
    Reason.ACTIVE: R,
}


def test_allowed_transitions_are_the_documented_ones() -> None:
    assert {(A, R), (A, T), (R, RC), (RC, R), (RC, T), (T, A)} == ALLOWED_TRANSITIONS
    ok = allowed_matrix()
    assert ok.diagonal().all()
    assert ok.sum() == 4 + 6
    for (a, b), target in ROUTING.items():
        assert not ok[a, b]  # routing only replaces illegal moves ...
        assert ok[a, target]  # ... by legal ones
    assert len(ROUTING) == 16 - ok.sum()


def test_stage_conversion() -> None:
    assert as_stage("recover") == RC
    assert as_stage(" Terminate ") == T
    assert as_stage(1) == R
    codes = as_stage_codes([["ACQUIRE", "retain"], ["", "TERMINATE"]], "p", missing=True)
    np.testing.assert_array_equal(codes, [[0, 1], [-1, 3]])
    np.testing.assert_array_equal(as_stage_codes([A, RC], "p"), [0, 2])
    with pytest.raises(InvalidInputError, match=r"stage: unknown stage 'RETIAN'"):
        as_stage("RETIAN")
    with pytest.raises(InvalidInputError, match=r"paths .* index \(1, 0\): 'LOST'"):
        as_stage_codes([["ACQUIRE"], ["LOST"]], "paths")
    with pytest.raises(InvalidInputError, match=r"codes must hold stage codes 0\.\.3.*index 1: 4"):
        as_stage_codes([0, 4], "codes")
    with pytest.raises(InvalidTypeError):
        as_stage(1.5)


def test_illegal_transition_is_an_error() -> None:
    check_transitions(["ACQUIRE", "RETAIN", "TERMINATE"], ["RETAIN", "RECOVER", "ACQUIRE"])
    with pytest.raises(
        InvalidInputError, match=r"illegal transition ACQUIRE -> RECOVER at index 1"
    ):
        check_transitions(["RETAIN", "ACQUIRE"], ["RETAIN", "RECOVER"])


def test_policy_rules_by_hand() -> None:
    pol = StagePolicy(recover_after=10, terminate_after=30)
    out = pol.assign(
        n_purchases=[1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 0],
        p_alive=[1.0, 1.0, 0.05, 0.9, 0.9, 0.05, 0.9, 0.4, 0.9, 0.9, 0.05, 1.0],
        time_since_last_purchase=[2, 31, 2, 2, 2, 2, 31, 2, 11, 2, 2, 0],
        service_failure=[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
        unresolved_complaint=[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0],
        value_class_flag=[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    )
    assert out.stage_names().tolist() == [
        "ACQUIRE", "TERMINATE", "TERMINATE", "RECOVER", "RECOVER", "TERMINATE",
        "TERMINATE", "RECOVER", "RECOVER", "TERMINATE", "RECOVER", "ACQUIRE",
    ]  # fmt: skip
    assert out.reason_names().tolist() == [
        "NEW_CUSTOMER", "ACQUISITION_FAILED", "ACQUISITION_FAILED", "SERVICE_FAILURE",
        "UNRESOLVED_COMPLAINT", "LOST", "INACTIVE_TOO_LONG", "LAPSING", "INACTIVE",
        "VALUE_CLASS", "UNRESOLVED_COMPLAINT", "NEW_CUSTOMER_PROBLEM",
    ]  # fmt: skip
    np.testing.assert_array_equal(out.counts(), [2, 0, 5, 5])
    keep = StagePolicy(terminate_value_class=False).assign([3], [0.9], value_class_flag=[True])
    assert keep.stage_names().tolist() == ["RETAIN"]


policy_inputs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 20), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 100.0), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@given(
    policy_inputs,
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 50.0),
    st.floats(0.0, 50.0),
    st.integers(1, 5),
)
def test_policy_assigns_exactly_one_consistent_stage(
    data: tuple[list[int], ...], p1: float, p2: float, g1: float, g2: float, k: int
) -> None:
    n, p, gap, bz, fail, compl = data
    pol = StagePolicy(
        retain_min_purchases=k,
        p_alive_terminate=min(p1, p2),
        p_alive_recover=max(p1, p2),
        recover_after=min(g1, g2),
        terminate_after=max(g1, g2),
    )
    kwargs = {
        "time_since_last_purchase": gap,
        "value_class_flag": bz,
        "service_failure": fail,
        "unresolved_complaint": compl,
    }
    first = pol.assign(n, p, **kwargs)
    again = pol.assign(n, p, **kwargs)
    assert first == again  # deterministic
    assert first.stages.shape == first.reasons.shape == (len(n),)
    for stage, reason in zip(first.stages, first.reasons, strict=True):
        assert REASON_STAGE[Reason(reason)] == Stage(stage)
    new = np.array(n) < k
    assert (first.stages[new] != RC).all()  # ACQUIRE -> RECOVER is illegal, so never proposed
    assert first.counts().sum() == len(n)
    assert StageAssignment.from_json(first.to_json()) == first
    assert "<table>" in first._repr_html_()


def test_policy_bad_input() -> None:
    pol = StagePolicy()
    with pytest.raises(
        InvalidInputError, match=r"p_alive must be <= 1; first bad value at index 1: 1\.5"
    ):
        pol.assign([1, 2], [0.5, 1.5])
    with pytest.raises(InvalidInputError, match=r"n_purchases must be >= 0.*index 0: -1"):
        pol.assign([-1], [0.5])
    with pytest.raises(InvalidInputError, match=r"n_purchases must be a whole number.*2\.5"):
        pol.assign([2.5], [0.5])
    with pytest.raises(InvalidInputError, match=r"service_failure must be boolean.*index 1: 2"):
        pol.assign([1, 2], [0.5, 0.5], service_failure=[0, 2])
    with pytest.raises(InvalidInputError, match="incompatible shapes"):
        pol.assign([1, 2], [0.5, 0.5, 0.5])
    with pytest.raises(InvalidInputError, match="must not exceed p_alive_recover"):
        StagePolicy(p_alive_terminate=0.6)
    with pytest.raises(InvalidInputError, match="must not exceed terminate_after"):
        StagePolicy(terminate_after=10)
    with pytest.raises(InvalidInputError, match="p_alive_recover must lie in"):
        StagePolicy(p_alive_recover=1.5)
    with pytest.raises(InvalidInputError, match="retain_min_purchases"):
        StagePolicy(retain_min_purchases=0)


# ------------------------------------------------- thresholds: exactly on, just below, above
def _down(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _up(x: float) -> float:
    return float(np.nextafter(x, np.inf))


BOUNDARY_POLICY = StagePolicy(
    retain_min_purchases=2,
    p_alive_recover=0.5,
    p_alive_terminate=0.1,
    recover_after=10.0,
    terminate_after=30.0,
)

#: (n_purchases, p_alive, time_since_last_purchase) -> reason, with each threshold met exactly
#: ("below" a threshold is strict in the docs: p < p_alive_*, gap > *_after, n < retain_min).
BOUNDARY_CASES = [
    # p_alive_terminate = 0.1 for a repeat customer (0.1 is still above nothing else: LAPSING)
    ((3, _down(0.1), 0.0), Reason.LOST),
    ((3, 0.1, 0.0), Reason.LAPSING),
    ((3, _up(0.1), 0.0), Reason.LAPSING),
    # p_alive_recover = 0.5
    ((3, _down(0.5), 0.0), Reason.LAPSING),
    ((3, 0.5, 0.0), Reason.ACTIVE),
    ((3, _up(0.5), 0.0), Reason.ACTIVE),
    # recover_after = 10
    ((3, 0.9, _down(10.0)), Reason.ACTIVE),
    ((3, 0.9, 10.0), Reason.ACTIVE),
    ((3, 0.9, _up(10.0)), Reason.INACTIVE),
    # terminate_after = 30
    ((3, 0.9, _down(30.0)), Reason.INACTIVE),
    ((3, 0.9, 30.0), Reason.INACTIVE),
    ((3, 0.9, _up(30.0)), Reason.INACTIVE_TOO_LONG),
    # retain_min_purchases = 2 (whole numbers: one below, on, one above)
    ((1, 0.9, 0.0), Reason.NEW_CUSTOMER),
    ((2, 0.9, 0.0), Reason.ACTIVE),
    ((3, 0.9, 0.0), Reason.ACTIVE),
    # a new customer's loss uses the same two thresholds
    ((1, _down(0.1), 0.0), Reason.ACQUISITION_FAILED),
    ((1, 0.1, 0.0), Reason.NEW_CUSTOMER),
    ((1, 0.9, 30.0), Reason.NEW_CUSTOMER),
    ((1, 0.9, _up(30.0)), Reason.ACQUISITION_FAILED),
    ((2, _down(0.1), 0.0), Reason.LOST),
]


@pytest.mark.parametrize(("inputs", "reason"), BOUNDARY_CASES, ids=lambda v: repr(v))
def test_policy_thresholds_on_below_and_above(
    inputs: tuple[int, float, float], reason: Reason
) -> None:
    n, p, gap = inputs
    out = BOUNDARY_POLICY.assign([n], [p], time_since_last_purchase=[gap])
    assert Reason(int(out.reasons[0])) == reason
    assert Stage(int(out.stages[0])) == REASON_STAGE[reason]


def test_policy_thresholds_vectorised_match_one_by_one() -> None:
    n, p, gap = (np.array(v) for v in zip(*(c[0] for c in BOUNDARY_CASES), strict=True))
    out = BOUNDARY_POLICY.assign(n, p, time_since_last_purchase=gap)
    assert [Reason(int(r)) for r in out.reasons] == [c[1] for c in BOUNDARY_CASES]


def test_policy_equal_thresholds_and_extremes() -> None:
    """p_alive_terminate = p_alive_recover and thresholds at 0 and 1 are valid and strict."""
    pol = StagePolicy(p_alive_recover=0.3, p_alive_terminate=0.3, recover_after=0.0,
                      terminate_after=0.0)  # fmt: skip
    out = pol.assign([3, 3, 3], [0.3, _down(0.3), 1.0], time_since_last_purchase=[0.0, 0.0, 0.0])
    assert out.reason_names().tolist() == ["ACTIVE", "LOST", "ACTIVE"]
    out = pol.assign([3], [1.0], time_since_last_purchase=[5e-324])
    assert out.reason_names().tolist() == ["INACTIVE_TOO_LONG"]
    edge = StagePolicy(p_alive_recover=1.0, p_alive_terminate=0.0)
    out = edge.assign([3, 3, 3], [0.0, _down(1.0), 1.0])
    assert out.reason_names().tolist() == ["LAPSING", "LAPSING", "ACTIVE"]


def test_object_arrays_of_stages_with_missing_entries() -> None:
    """Mixed Python objects (names, codes, None, "", -1) take the object-dtype path."""
    mixed = np.array([-1, "RETAIN", None, "", RC, 3], dtype=object)
    np.testing.assert_array_equal(as_stage_codes(mixed, "p", missing=True), [-1, 1, -1, -1, 2, 3])
    np.testing.assert_array_equal(as_stage_codes(values=[0, 3], name="p"), [0, 3])
    with pytest.raises(InvalidInputError, match=r"p must hold stage names or codes.*index 0: -1"):
        as_stage_codes(np.array([-1, "RETAIN"], dtype=object), "p")  # -1 only with missing
    with pytest.raises(InvalidInputError, match=r"index 1: 7\.5$"):
        as_stage_codes(np.array(["RETAIN", 7.5], dtype=object), "p")
    with pytest.raises(InvalidInputError, match=r"index \(1, 0\): 'GONE'"):
        as_stage_codes(np.array([["RETAIN"], ["GONE"]], dtype=object), "p")
    with pytest.raises(InvalidInputError, match=r"index 0: ''"):
        as_stage_codes(np.array(["", "RETAIN"], dtype=object), "p")  # "" only with missing


def test_policy_rejects_negative_time_since_last_purchase() -> None:
    with pytest.raises(
        InvalidInputError, match=r"time_since_last_purchase must be >= 0.*index 1: -0\.5"
    ):
        StagePolicy().assign([1, 2], [0.5, 0.5], time_since_last_purchase=[0.0, -0.5])
