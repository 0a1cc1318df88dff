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

__all__ = ["UNIT_DAYS", "TimeUnit", "time_unit_days", "time_unit_label"]

#: A time unit: ``"D"``, ``"W"``, ``"M"``, ``"Y"`` (optionally with a multiple, ``"2W"``), or a
#: positive ``datetime.timedelta`` / ``numpy.timedelta64``.
TimeUnit: TypeAlias = "str | dt.timedelta | np.timedelta64"

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
    """A short label for ``unit`` that :func:`time_unit_days` reads back to the same length.

    Named units keep their code (``"W"``, ``"2W"``); timedeltas become days (``"0.5D"``).

    Examples
    --------
    >>> import datetime
    >>> time_unit_label(" W"), time_unit_label(datetime.timedelta(days=14))
    ('W', '14D')
    """
    days = time_unit_days(unit)
    if isinstance(unit, str):
        return unit.strip()
    return f"{int(days)}D" if days.is_integer() else f"{days!r}D"
