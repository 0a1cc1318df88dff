"""Coercion and grouping of raw transaction logs (ids, dates, amounts).

Used by :mod:`custvalue.summary` and the command line. Everything here works on whole numpy
arrays: the only Python loops are over *object* arrays (Python ``date`` objects, mixed id
types), whose elements cannot be converted any other way.

Conventions
-----------
- Customer ids become ``int64`` (integer input, or an object array holding only integers) or
  ``str`` (everything else). Ids of other types are compared through ``str()``; two distinct
  ids with the same ``str()`` (``1`` and ``"1"``) are an error, never silently merged.
- Dates become whole days since 1970-01-01 (``int64``), i.e. they are floored to the calendar
  day. ``datetime`` objects with a time zone keep their local (wall-clock) date; ISO strings
  with a UTC offset are rejected, because their calendar day is ambiguous.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._validation import fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "PurchaseDays",
    "coerce_date_scalar",
    "coerce_dates",
    "coerce_ids",
    "group_purchase_days",
    "parse_iso_days",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Smallest and largest accepted day (0001-01-01 and 9999-12-31, in days since 1970-01-01).
DAY_MIN = int(np.datetime64("0001-01-01", "D").astype(np.int64))
DAY_MAX = int(np.datetime64("9999-12-31", "D").astype(np.int64))

_DATE_HELP = (
    "must be dates (numpy datetime64, datetime.date/datetime, or ISO 8601 strings "
    "'YYYY-MM-DD[Thh:mm[:ss]]' without a UTC offset)"
)


def _single(n: int, index: int) -> NDArray[np.bool_]:
    bad = np.zeros(n, dtype=bool)
    bad[index] = True
    return bad


def _as_1d(values: ArrayLike, name: str) -> NDArray[Any]:
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{name} must be a 1-D array: {exc}") from None
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D; got shape {arr.shape}")
    return arr


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):  # pandas.NA and friends refuse bool()
        return True


def coerce_ids(values: ArrayLike, name: str = "customer_id") -> NDArray[Any]:
    """Return customer ids as a 1-D ``int64`` or ``str`` array (see the module conventions)."""
    arr = None
    if isinstance(values, (list, tuple)):
        # np.asarray would turn [1, "1"] into two equal strings and tuples into a 2-D array:
        # keep its result only for purely numeric (or boolean) lists.
        try:
            probe = np.asarray(values)
        except (TypeError, ValueError):
            probe = None
        if probe is None or probe.size == 0 or probe.dtype.kind not in "iufb":
            arr = np.fromiter(values, dtype=object, count=len(values))
    if arr is None:
        arr = _as_1d(values, name)
    kind = arr.dtype.kind
    if kind in "iu":
        if kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            fail_at(name, "must fit in int64", arr, arr > np.iinfo(np.int64).max)
        return arr.astype(np.int64)
    if kind == "S":
        arr = np.char.decode(arr, "utf-8")
        kind = "U"
    if kind == "U":
        fail_at(name, "must not be empty (missing id)", arr, arr == "")
        return arr
    if kind != "O":
        raise InvalidTypeError(
            f"{name} must hold integers or strings; got dtype {arr.dtype}"
            + (" (convert whole-number float ids with .astype(np.int64))" if kind == "f" else "")
        )
    missing = np.frompyfunc(_is_missing, 1, 1)(arr).astype(bool)
    fail_at(name, "must not be missing (None/NaN)", arr, missing)
    numeric = np.frompyfunc(lambda v: isinstance(v, (float, bool, np.floating, np.bool_)), 1, 1)
    fail_at(name, "must not hold floats or booleans", arr, numeric(arr).astype(bool))

    def _is_int(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

    is_int = np.frompyfunc(_is_int, 1, 1)(arr).astype(bool)
    if is_int.all():
        try:
            return arr.astype(np.int64)
        except OverflowError:
            raise InvalidInputError(f"{name} holds an integer that does not fit in int64") from None
    is_str = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(arr).astype(bool)
    empty = np.frompyfunc(lambda v: isinstance(v, str) and not v, 1, 1)(arr).astype(bool)
    fail_at(name, "must not be empty (missing id)", arr, empty)
    if is_str.all():
        all_text: NDArray[np.str_] = arr.astype(str)
        return all_text
    text = np.array([str(v) for v in arr.tolist()], dtype=str)
    # Mixed or non-str ids are compared through str(): refuse two different ids that read alike.
    seen: dict[str, tuple[int, Any]] = {}
    for i, (key, value) in enumerate(zip(text.tolist(), arr.tolist(), strict=True)):
        try:
            hash(value)
        except TypeError:
            fail_at(name, "must hold hashable ids", arr, _single(arr.size, i))
        first = seen.setdefault(key, (i, value))
        if first[1] is not value and (type(first[1]) is not type(value) or first[1] != value):
            raise InvalidInputError(
                f"{name} values {first[1]!r} (index {first[0]}) and {value!r} (index {i}) "
                f"both read as {key!r}; use one id type (all integers or all strings)"
            )
    return text


def parse_iso_days(text: NDArray[Any]) -> tuple[IntArray, int | None]:
    """Parse a 1-D string or object array of ISO dates into days since 1970-01-01.

    Returns ``(days, first_bad)``: ``first_bad`` is the index of the first value numpy cannot
    parse (``days`` is then empty), else ``None``. Missing values (``""``, ``"NaT"``) parse to
    NaT, which the caller must check; days come back as ``int64`` with NaT as its minimum.
    """

    def parse(chunk: NDArray[Any]) -> IntArray | None:
        with warnings.catch_warnings():
            # numpy only *warns* about UTC offsets ("...Z", "+02:00"); we refuse them.
            warnings.simplefilter("error", UserWarning)
            warnings.simplefilter("error", DeprecationWarning)
            try:
                return chunk.astype("datetime64[D]").astype(np.int64)
            except (ValueError, TypeError, OverflowError, UserWarning, DeprecationWarning):
                return None

    days = parse(text)
    if days is not None:
        return days, None
    # Bisect for the first failing element: O(n) work in total, all vectorised.
    lo, hi = 0, text.size  # text[:lo] parses; text[:hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if parse(text[lo:mid]) is not None:
            lo = mid
        else:
            hi = mid
    return np.empty(0, dtype=np.int64), lo


def _normalise_date_object(value: Any) -> Any:
    """An object-array element ready for numpy: aware datetimes lose their zone (wall date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, (str, dt.date, np.datetime64)):
        return value
    return None  # caught as a bad type by the caller


def coerce_dates(values: ArrayLike, name: str = "date") -> IntArray:
    """Return dates as whole days since 1970-01-01 (``int64``), floored to the calendar day."""
    arr = _as_1d(values, name)
    kind = arr.dtype.kind
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if kind == "M":
        if np.datetime_data(arr.dtype)[0] == "generic":
            arr = arr.astype("datetime64[D]")
        days = arr.astype("datetime64[D]").astype(np.int64)
    elif kind in "USO":
        if kind == "O":
            ok = np.frompyfunc(lambda v: isinstance(v, (str, dt.date, np.datetime64)), 1, 1)(arr)
            fail_at(name, _DATE_HELP, arr, ~ok.astype(bool))
            text = np.frompyfunc(_normalise_date_object, 1, 1)(arr)
        else:
            text = arr
        days, bad = parse_iso_days(text)
        if bad is not None:
            fail_at(name, _DATE_HELP, arr, _single(arr.size, bad))
    else:
        raise InvalidTypeError(f"{name} {_DATE_HELP}; got dtype {arr.dtype}")
    nat = np.iinfo(np.int64).min
    fail_at(name, "must not be missing (NaT or empty)", arr, days == nat)
    fail_at(name, "must lie between years 1 and 9999", arr, (days < DAY_MIN) | (days > DAY_MAX))
    return days


def coerce_date_scalar(value: Any, name: str) -> int:
    """One date (string, ``date``, ``datetime``, ``datetime64``) as days since 1970-01-01."""
    if isinstance(value, (list, tuple)) or np.ndim(value) != 0:
        raise InvalidInputError(f"{name} must be a single date; got {value!r}")
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, np.datetime64):
        cell: NDArray[Any] = np.asarray([value])
    else:
        cell = np.empty(1, dtype=object)
        cell[0] = value
    try:
        return int(coerce_dates(cell, name)[0])
    except (InvalidInputError, InvalidTypeError):
        raise InvalidInputError(f"{name} {_DATE_HELP}; got {value!r}") from None


class PurchaseDays:
    """Transactions grouped into (customer, calendar day) purchases, one entry per customer.

    Attributes
    ----------
    customer_id
        The distinct customers, sorted (``int64`` or ``str``), shape ``(n_customers,)``.
    n_days
        Number of distinct purchase days per customer, ``int64``.
    first_day, last_day
        First and last purchase day (days since 1970-01-01), ``int64``.
    total
        Sum of all amounts per customer, or ``None`` without amounts.
    repeat_total
        Sum of the amounts *not* on the customer's first purchase day, or ``None``.
    """

    __slots__ = ("customer_id", "first_day", "last_day", "n_days", "repeat_total", "total")

    def __init__(
        self,
        customer_id: NDArray[Any],
        n_days: IntArray,
        first_day: IntArray,
        last_day: IntArray,
        total: FloatArray | None,
        repeat_total: FloatArray | None,
    ) -> None:
        self.customer_id = customer_id
        self.n_days = n_days
        self.first_day = first_day
        self.last_day = last_day
        self.total = total
        self.repeat_total = repeat_total


def _flags(sorted_values: IntArray) -> NDArray[np.bool_]:
    """True where a sorted array starts a new run of equal values."""
    new = np.empty(sorted_values.size, dtype=bool)
    new[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    return new


def group_purchase_days(
    ids: NDArray[Any], days: IntArray, amounts: FloatArray | None, *, with_total: bool = True
) -> PurchaseDays:
    """Per-customer purchase-day statistics of a non-empty log, in O(n log n) numpy work.

    Customers get dense integer codes: integer ids whose range is at most a few times the
    number of rows are used directly (``id - min``); other ids are ranked with ``np.unique``.
    The distinct (customer, day) pairs come from one ``np.sort`` of an ``int64`` key
    ``code * 2**k + day`` (no argsort); amounts are then summed per customer with
    ``np.bincount``, separately for the rows off the customer's first day, so the repeat
    spend is a plain sum (no cancellation). Keys that fit in 32 bits are sorted as
    ``uint32`` (about 1.5x faster than ``int64``). With ``with_total=False`` the per-customer
    ``total`` is skipped (``None``), saving a pass when only ``repeat_total`` is needed.
    """
    n = ids.size
    d_lo = int(days.min())
    # A power-of-two span, so that the key splits back with a shift and a mask (an int64
    # division is several times slower than the rest of the pass).
    d_bits = max(int(days.max()) - d_lo, 1).bit_length()
    d_span = 1 << d_bits
    uniq: NDArray[Any] | None = None
    id_lo = 0
    if ids.dtype.kind == "i":
        id_lo = int(ids.min())
        n_codes = int(ids.max()) - id_lo + 1
        dense = n_codes <= max(4 * n, 1 << 16) and n_codes * d_span < 2**62
    else:
        dense = False
    if dense:
        code = ids - id_lo
    else:
        uniq, inverse = np.unique(ids, return_inverse=True)
        code = inverse.reshape(-1).astype(np.int64)
        n_codes = uniq.size
    rel_day = days - d_lo
    key = code * d_span + rel_day
    if n_codes * d_span <= 2**32:  # a narrower key sorts faster
        key = key.astype(np.uint32)
    key = np.sort(key)
    pairs = key[_flags(key)].astype(np.int64)
    pair_code = pairs >> d_bits
    pair_day = pairs & (d_span - 1)
    starts = np.flatnonzero(_flags(pair_code))
    ends = np.append(starts[1:], pairs.size)
    present = pair_code[starts]
    first = pair_day[starts]
    total: FloatArray | None = None
    repeat_total: FloatArray | None = None
    if amounts is not None:
        first_by_code = np.zeros(n_codes, dtype=np.int64)
        first_by_code[present] = first
        off_first = np.where(rel_day != first_by_code[code], amounts, 0.0)
        if with_total:
            total = np.asarray(np.bincount(code, amounts, n_codes), dtype=np.float64)[present]
        repeat_total = np.asarray(np.bincount(code, off_first, n_codes), dtype=np.float64)[present]
    return PurchaseDays(
        customer_id=present + id_lo if uniq is None else uniq[present],
        n_days=(ends - starts).astype(np.int64),
        first_day=first + d_lo,
        last_day=pair_day[ends - 1] + d_lo,
        total=total,
        repeat_total=repeat_total,
    )
