"""Time units: the length of ``"D"``, ``"W"``, ``"M"``, ``"Y"`` (and multiples) in days.

Every duration in custvalue (``recency``, ``T``, horizons) is expressed in one time unit,
chosen when the transaction log is summarised. A unit is a *length* of time, not a calendar
bucket: a month is 365.25 / 12 = 30.4375 days, a year 365.25 days.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TypeAlias

import numpy as np

from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "UNIT_DAYS",
    "Duration",
    "TimeUnit",
    "as_duration",
    "same_time_unit",
    "time_unit_days",
    "time_unit_label",
]

#: A time unit: ``"D"``, ``"W"``, ``"M"``, ``"Y"`` (optionally with a multiple, ``"2W"``), or a
#: positive ``datetime.timedelta`` / ``numpy.timedelta64``.
TimeUnit: TypeAlias = "str | dt.timedelta | np.timedelta64"

#: A duration: a number (in the unit at hand), a string such as ``"12M"``, ``"1.5Y"``,
#: ``"90D"`` or ``"inf"``, a ``datetime.timedelta`` or a ``numpy.timedelta64``.
Duration: TypeAlias = "float | int | str | dt.timedelta | np.timedelta64"

#: Length in days of each named unit. A month is a twelfth of the mean Julian year.
UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}

_UNIT_RE = re.compile(r"^\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)?\s*([DWMY])\s*$")
_UNIT_HELP = (
    "time_unit must be 'D' (day), 'W' (7 days), 'M' (365.25/12 = 30.4375 days), "
    "'Y' (365.25 days), a multiple such as '2W', or a positive datetime.timedelta / "
    "numpy.timedelta64"
)


def time_unit_days(unit: TimeUnit) -> float:
    """Length of a time unit in days.

    Parameters
    ----------
    unit
        ``"D"`` (1 day), ``"W"`` (7 days), ``"M"`` (365.25 / 12 = 30.4375 days, the mean month
        of the Julian year), ``"Y"`` (365.25 days), any of them with a positive multiple
        (``"2W"``, ``"0.5D"``), or a positive ``datetime.timedelta`` or ``numpy.timedelta64``
        (calendar units ``'M'``/``'Y'`` of ``timedelta64`` are refused: their length varies).

    Returns
    -------
    float
        The unit's length in days (> 0).

    Raises
    ------
    InvalidInputError
        Unknown code, or a non-positive or non-finite length.
    InvalidTypeError
        ``unit`` is of another type.

    Examples
    --------
    >>> time_unit_days("W"), time_unit_days("M"), time_unit_days("2W")
    (7.0, 30.4375, 14.0)
    >>> import datetime
    >>> time_unit_days(datetime.timedelta(hours=12))
    0.5
    """
    if isinstance(unit, np.timedelta64):
        code = np.datetime_data(unit.dtype)[0]
        if code in ("Y", "M", "generic") or np.isnat(unit):
            raise InvalidInputError(f"{_UNIT_HELP}; got {unit!r}")
        days = float(unit / np.timedelta64(1, "D"))
    elif isinstance(unit, dt.timedelta):
        days = unit.total_seconds() / 86400.0
    elif isinstance(unit, str):
        match = _UNIT_RE.match(unit)
        if match is None:
            raise InvalidInputError(f"{_UNIT_HELP}; got {unit!r}")
        days = float(match.group(1) or 1.0) * UNIT_DAYS[match.group(2)]
    else:
        raise InvalidTypeError(f"{_UNIT_HELP}; got {type(unit).__name__} {unit!r}")
    if not (math.isfinite(days) and days > 0):
        raise InvalidInputError(f"{_UNIT_HELP}; got {unit!r} (length {days!r} days)")
    return days


def time_unit_label(unit: TimeUnit) -> str:
    """The canonical label of ``unit``, which :func:`time_unit_days` reads back to its length.

    Named units keep their code with the multiple written shortest (``" W"`` and ``"1W"`` give
    ``"W"``, ``"2.0W"`` gives ``"2W"``); timedeltas become days (``"0.5D"``, ``"14D"``).

    Examples
    --------
    >>> import datetime
    >>> time_unit_label(" W"), time_unit_label("2.0W"), time_unit_label(datetime.timedelta(days=14))
    ('W', '2W', '14D')
    """
    days = time_unit_days(unit)
    if isinstance(unit, str):
        match = _UNIT_RE.match(unit)
        assert match is not None  # time_unit_days accepted it
        multiple = float(match.group(1) or 1.0)
        return match.group(2) if multiple == 1.0 else f"{_number_text(multiple)}{match.group(2)}"
    return f"{_number_text(days)}D"


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def same_time_unit(left: TimeUnit, right: TimeUnit) -> bool:
    """Whether two time units have the same length (``"W"``, ``"7D"`` and ``"1W"`` do).

    Examples
    --------
    >>> same_time_unit("W", "7D"), same_time_unit("W", "D")
    (True, False)
    """
    return math.isclose(time_unit_days(left), time_unit_days(right), rel_tol=1e-12)


_DURATION_RE = re.compile(r"^(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)([DWMY])$")
_DURATION_HELP = (
    "a duration is a number >= 0 in the model's time unit, a string such as '90D', '12W', "
    "'6M', '1.5Y' or 'inf' (D = day, W = 7 days, M = 30.4375 days, Y = 365.25 days), a "
    "datetime.timedelta or a numpy.timedelta64"
)


def as_duration(value: Duration, unit: TimeUnit | None, name: str = "horizon") -> float:
    """A duration as a number of ``unit`` (e.g. the months in ``"1Y"`` when ``unit`` is ``"M"``).

    Parameters
    ----------
    value
        A number >= 0 (already in ``unit``, returned unchanged; ``math.inf`` allowed), a string
        ``"<number><code>"`` with code ``D`` (day), ``W`` (7 days), ``M`` (365.25 / 12 days) or
        ``Y`` (365.25 days), a bare number string (``"52"``, in ``unit``), ``"inf"``, a
        ``datetime.timedelta`` or a ``numpy.timedelta64`` (not the calendar codes ``'M'``,
        ``'Y'``, whose length varies). Surrounding whitespace of strings is ignored.
    unit
        The time unit to express the duration in (see :func:`time_unit_days`), usually the
        model's. ``None`` (a model without a unit) accepts bare numbers only.
    name
        The argument's name, used in error messages.

    Returns
    -------
    float
        The duration in ``unit``, ``>= 0`` (``inf`` for ``"inf"``).

    Raises
    ------
    InvalidInputError
        A malformed string (``"12X"``, ``"M12"``), a negative, NaN or NaT duration, or a
        duration with a time code while ``unit`` is ``None``.
    InvalidTypeError
        ``value`` is of another type (e.g. a bool or an array).

    Examples
    --------
    >>> as_duration("1Y", "M"), as_duration("2W", "D"), as_duration(52, "W")
    (12.0, 14.0, 52.0)
    >>> import datetime
    >>> as_duration(datetime.timedelta(days=3, hours=12), "D")
    3.5
    >>> as_duration("inf", None)
    inf
    """
    days: float | None = None
    if isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be a duration; got {value!r}. {_DURATION_HELP}")
    if isinstance(value, str):
        text = value.strip()
        match = _DURATION_RE.match(text)
        if match is not None:
            days = float(match.group(1)) * UNIT_DAYS[match.group(2)]
        elif text.lower() in ("inf", "infinity", "+inf"):
            return math.inf
        else:
            try:
                number = float(text)
            except ValueError:
                raise InvalidInputError(
                    f"{name} must be a duration; got {value!r}. {_DURATION_HELP}"
                ) from None
            return _nonnegative(number, value, name)
    elif isinstance(value, np.timedelta64):
        code = np.datetime_data(value.dtype)[0]
        if code in ("Y", "M", "generic") or np.isnat(value):
            raise InvalidInputError(
                f"{name} must be a duration; got {value!r} (NaT, or a calendar unit whose length "
                f"varies). {_DURATION_HELP}"
            )
        days = float(value / np.timedelta64(1, "D"))
    elif isinstance(value, dt.timedelta):
        days = value.total_seconds() / 86400.0
    elif isinstance(value, (int, float, np.integer, np.floating)):
        return _nonnegative(float(value), value, name)
    else:
        raise InvalidTypeError(
            f"{name} must be a duration; got {type(value).__name__} {value!r}. {_DURATION_HELP}"
        )
    if unit is None:
        raise InvalidInputError(
            f"{name}={_shown(value)} is a duration, but the model has no time unit (it was fitted "
            "from bare arrays): give the duration as a number in the data's time unit, or set "
            "the unit (fit from a CustomerSummary, pass time_unit=, or BetaGeo(params, "
            "time_unit='W'))"
        )
    _nonnegative(days, value, name)
    return days / time_unit_days(unit)


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _nonnegative(number: float, value: object, name: str) -> float:
    if math.isnan(number) or number < 0:
        raise InvalidInputError(
            f"{name} must be a duration >= 0; got {_shown(value)}. {_DURATION_HELP}"
        )
    return number
