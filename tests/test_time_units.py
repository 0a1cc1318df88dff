"""Durations and time-unit labels (custvalue.time_units)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.time_units import (
    UNIT_DAYS,
    as_duration,
    same_time_unit,
    time_unit_days,
    time_unit_label,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("12M", "M", 12.0),
        ("1Y", "M", 12.0),
        ("1Y", "D", 365.25),
        ("90D", "D", 90.0),
        ("2W", "D", 14.0),
        ("1.5Y", "Y", 1.5),
        (" 6M ", "Y", 0.5),
        (".5W", "D", 3.5),
        ("1e1D", "D", 10.0),
        ("52", "W", 52.0),
        (52, "W", 52.0),
        (0, None, 0.0),
        (2.5, None, 2.5),
        (math.inf, "W", math.inf),
        ("inf", "W", math.inf),
        ("inf", None, math.inf),
        (dt.timedelta(days=3, hours=12), "D", 3.5),
        (dt.timedelta(weeks=2), "W", 2.0),
        (np.timedelta64(14, "D"), "W", 2.0),
        (np.timedelta64(36, "h"), "D", 1.5),
        ("7D", "7D", 1.0),
        ("1D", dt.timedelta(hours=12), 2.0),
        ("0D", "W", 0.0),
    ],
)
def test_as_duration(value: Any, unit: Any, expected: float) -> None:
    assert as_duration(value, unit) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "bad", ["12X", "-1M", "M12", "", "1 M", "12m", "M", "1MM", "nan", "-1", "-inf", "1Y2M", "--1D"]
)
def test_bad_duration_strings(bad: str) -> None:
    with pytest.raises(InvalidInputError, match=r"cltv_horizon.*duration") as info:
        as_duration(bad, "W", name="cltv_horizon")
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize(
    "bad", [-1, -0.5, math.nan, -math.inf, dt.timedelta(days=-1), np.timedelta64(-1, "D")]
)
def test_negative_or_nan_durations(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match=">= 0"):
        as_duration(bad, "D")


@pytest.mark.parametrize(
    "bad",
    [np.timedelta64(1, "M"), np.timedelta64(1, "Y"), np.timedelta64("NaT", "D"), np.timedelta64(3)],
)
def test_calendar_or_nat_timedelta64(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"calendar unit|NaT"):
        as_duration(bad, "D")


@pytest.mark.parametrize("bad", [True, [1.0], np.array([1.0]), None, b"1D"])
def test_duration_types(bad: Any) -> None:
    with pytest.raises(InvalidTypeError, match="horizon must be a duration"):
        as_duration(bad, "D")


@pytest.mark.parametrize("value", ["1Y", "90D", dt.timedelta(days=1), np.timedelta64(1, "D")])
def test_duration_needs_a_unit(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="no time unit"):
        as_duration(value, None)


@given(
    amount=st.floats(0.0, 1e6),
    code=st.sampled_from(sorted(UNIT_DAYS)),
    unit=st.sampled_from(["D", "W", "2W", "M", "Y", "0.5D"]),
)
def test_duration_is_days_over_unit_length(amount: float, code: str, unit: str) -> None:
    text = f"{amount!r}{code}"
    expected = amount * UNIT_DAYS[code] / time_unit_days(unit)
    assert as_duration(text, unit) == pytest.approx(expected, rel=1e-14, abs=0)
    # the same real duration expressed in days, then in the unit, is the same number
    assert as_duration(amount * UNIT_DAYS[code], "D") / time_unit_days(unit) == pytest.approx(
        as_duration(text, unit), rel=1e-14, abs=0
    )


@pytest.mark.parametrize(
    ("unit", "label"),
    [
        ("W", "W"),
        (" W ", "W"),
        ("1W", "W"),
        ("1.0W", "W"),
        ("2W", "2W"),
        ("2.0W", "2W"),
        ("0.5D", "0.5D"),
        (dt.timedelta(days=14), "14D"),
        (dt.timedelta(hours=84), "3.5D"),
        (np.timedelta64(2, "W"), "14D"),
    ],
)
def test_canonical_labels(unit: Any, label: str) -> None:
    assert time_unit_label(unit) == label
    assert time_unit_label(label) == label
    assert time_unit_days(label) == time_unit_days(unit)


def test_same_time_unit() -> None:
    assert same_time_unit("W", "7D")
    assert same_time_unit(dt.timedelta(days=7), "W")
    assert not same_time_unit("W", "D")
    assert not same_time_unit("M", "30D")  # a month is 30.4375 days
