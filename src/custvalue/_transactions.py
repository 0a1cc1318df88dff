"""Coercion and grouping of raw transaction logs (ids, dates, amounts).

Used by :mod:`custvalue.summary` and the command line. Everything here works on whole numpy
arrays: the only Python loops are over *object* arrays (Python ``date`` objects, mixed id
types) and over the *distinct* values of a ``date_format`` column.

Conventions
-----------
- Customer ids become ``int64`` (integer input, or an object array holding only integers) or
  ``str`` (everything else), with surrounding whitespace stripped. One column mixing integers
  and strings is refused. ``bytes`` ids are decoded as UTF-8. Ids of other types are compared
  through ``str()``; two distinct ids with the same ``str()`` are an error, never silently
  merged. Ids longer than :data:`MAX_ID_LENGTH` characters are refused (numpy string arrays
  are fixed-width, so one huge id would multiply the memory of every row).
- Dates become whole days since 1970-01-01 (``int64``), i.e. they are floored to the calendar
  day. Text is stripped of surrounding whitespace and must be a full ISO 8601 date
  ``YYYY-MM-DD`` (optionally followed by a time), or match ``date_format`` (``strftime``
  codes). Partial dates (``"2024"``, ``"2024-01"``) and words (``"today"``, ``"now"``) are
  refused, never read as 1 January or the current date.
- Time zones: a date is the **wall-clock calendar day where it was recorded**. Aware datetimes
  (Python, pandas, Polars, PyArrow, Dask) keep their local date: the zone is dropped, never
  converted to UTC. ISO strings with a UTC offset (``Z``, ``+02:00``) are refused, because
  their calendar day is ambiguous; naive values are taken as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._validation import fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "MAX_ID_LENGTH",
    "RETURNS",
    "PurchaseDays",
    "Returns",
    "apply_returns",
    "coerce_date_scalar",
    "coerce_dates",
    "coerce_ids",
    "group_purchase_days",
    "parse_iso_days",
    "repeat_purchase_days",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Smallest and largest accepted day (0001-01-01 and 9999-12-31, in days since 1970-01-01).
DAY_MIN = int(np.datetime64("0001-01-01", "D").astype(np.int64))
DAY_MAX = int(np.datetime64("9999-12-31", "D").astype(np.int64))
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

#: Longest accepted customer id, in characters.
MAX_ID_LENGTH = 256
#: Longest text accepted as one date (longer values cannot be dates; refused before any copy).
_MAX_DATE_LENGTH = 64

#: How negative amounts (refunds, returns) are read; see :func:`apply_returns`.
Returns = Literal["error", "net", "drop"]
RETURNS: tuple[str, ...] = ("error", "net", "drop")

_DATE_HELP = (
    "must be dates (numpy datetime64, datetime.date/datetime, or ISO 8601 text "
    "'YYYY-MM-DD[Thh:mm[:ss]]' without a UTC offset; pass date_format= with strftime codes, "
    "e.g. date_format='%Y%m%d' or '%d/%m/%Y', for other layouts)"
)


def _single(n: int, index: int) -> NDArray[np.bool_]:
    bad = np.zeros(n, dtype=bool)
    bad[index] = True
    return bad


def _as_1d(values: ArrayLike, name: str) -> NDArray[Any]:
    """A 1-D array; lists and tuples become object arrays (never a fixed-width copy sized by
    their longest string)."""
    if isinstance(values, (list, tuple)) and not all(
        isinstance(v, (int, float, np.number)) for v in values
    ):
        return np.fromiter(values, dtype=object, count=len(values))
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


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 10]}...{text[-5:]}"


def _mask(func: Any, arr: NDArray[Any]) -> NDArray[np.bool_]:
    """Element-wise predicate over an object array.

    The predicates compare values (``v != v`` finds NaN); comparing NaN can raise the CPU's
    invalid-operation flag, which numpy would report as a warning of this vectorized loop.
    """
    with np.errstate(invalid="ignore"):
        out: NDArray[np.bool_] = np.frompyfunc(func, 1, 1)(arr).astype(bool)
    return out


def _decode_utf8(arr: NDArray[Any], name: str) -> NDArray[Any]:
    """Decode the ``bytes`` elements of an object array (or a bytes array) as UTF-8."""

    def decode(v: Any) -> Any:
        if isinstance(v, (bytes, np.bytes_)):
            try:
                return bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                return None
        return v

    out = np.frompyfunc(decode, 1, 1)(arr.astype(object))
    fail_at(name, "must be valid UTF-8 when given as bytes", arr, _mask(_is_missing, out))
    return np.asarray(out, dtype=object)


def _text_lengths(arr: NDArray[Any]) -> NDArray[np.int64]:
    """Length of each element of a ``str`` or all-``str`` object array."""
    if arr.dtype.kind == "U":
        lengths: NDArray[np.int64] = np.char.str_len(arr).astype(np.int64)
        return lengths
    return np.asarray(np.frompyfunc(len, 1, 1)(arr), dtype=np.int64)


def _check_id_length(arr: NDArray[Any], name: str) -> None:
    if arr.dtype.kind == "U" and arr.dtype.itemsize // 4 <= MAX_ID_LENGTH:
        return
    fail_at(
        name,
        f"must be at most {MAX_ID_LENGTH} characters long (a longer value is not an id; "
        "check the column and the delimiter)",
        arr,
        _text_lengths(arr) > MAX_ID_LENGTH,
    )


def _text_ids(arr: NDArray[Any], name: str) -> NDArray[np.str_]:
    """Stripped ``str`` ids from a ``str`` or all-``str`` object array (length checked first)."""
    _check_id_length(arr, name)
    text = _strip(arr.astype(str))
    fail_at(name, "must not be empty (missing id)", arr, text == "")
    out: NDArray[np.str_] = text
    return out


def coerce_ids(values: ArrayLike, name: str = "customer_id") -> NDArray[Any]:
    """Return customer ids as a 1-D ``int64`` or ``str`` array (see the module conventions)."""
    if isinstance(values, (list, tuple)) and all(type(v) is int for v in values):
        try:
            return np.asarray(values, dtype=np.int64).reshape(-1)
        except OverflowError:
            pass  # the object path names the value
    arr = _as_1d(values, name)
    kind = arr.dtype.kind
    if kind in "iu":
        if kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
            fail_at(name, "must fit in int64", arr, arr > np.iinfo(np.int64).max)
        return arr.astype(np.int64)
    if kind == "S":
        arr = _decode_utf8(arr, name)
        kind = "O"
    if kind == "U":
        return _text_ids(arr, name)
    if kind != "O":
        raise InvalidTypeError(
            f"{name} must hold integers or strings; got dtype {arr.dtype}"
            + (" (convert whole-number float ids with .astype(np.int64))" if kind == "f" else "")
        )
    fail_at(name, "must not be missing (None/NaN)", arr, _mask(_is_missing, arr))
    numeric = _mask(lambda v: isinstance(v, (float, bool, np.floating, np.bool_)), arr)
    fail_at(name, "must not hold floats or booleans", arr, numeric)
    if _mask(lambda v: isinstance(v, (bytes, np.bytes_)), arr).any():
        arr = _decode_utf8(arr, name)

    def _is_int(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

    is_int = _mask(_is_int, arr)
    if is_int.all():
        try:
            return arr.astype(np.int64)
        except OverflowError:
            raise InvalidInputError(f"{name} holds an integer that does not fit in int64") from None
    is_str = _mask(lambda v: isinstance(v, str), arr)
    if is_int.any() and is_str.any():
        i, j = int(np.argmax(is_int)), int(np.argmax(is_str))
        raise InvalidInputError(
            f"{name} mixes integer and string ids ({arr[i]!r} at index {i}, "
            f"{_short(arr[j])} at index {j}); use one id type (all integers or all strings)"
        )
    if is_str.all():
        return _text_ids(arr, name)
    as_text = np.frompyfunc(lambda v: v.strip() if isinstance(v, str) else str(v), 1, 1)(arr)
    text = _text_ids(as_text, name)
    # Mixed or non-str ids are compared through str(): refuse two different ids that read alike.
    seen: dict[str, tuple[int, Any]] = {}
    for i, (key, value) in enumerate(zip(text.tolist(), arr.tolist(), strict=True)):
        try:
            hash(value)
        except TypeError:
            fail_at(name, "must hold hashable ids", arr, _single(arr.size, i))
        if isinstance(value, str):
            value = value.strip()
        first = seen.setdefault(key, (i, value))
        if first[1] is not value and (type(first[1]) is not type(value) or first[1] != value):
            raise InvalidInputError(
                f"{name} values {first[1]!r} (index {first[0]}) and {value!r} (index {i}) "
                f"both read as {key!r}; use one id type (all integers or all strings)"
            )
    return text


def _codes(text: NDArray[np.str_], min_width: int = 0) -> NDArray[np.uint32]:
    """The code points of a ``str`` array, shape ``(n, width)``, zero-padded."""
    width = max(text.dtype.itemsize // 4, min_width, 1)
    fixed = np.ascontiguousarray(text, dtype=f"U{width}")
    codes: NDArray[np.uint32] = fixed.view(np.uint32).reshape(text.size, width)
    return codes


def _strip(text: NDArray[np.str_]) -> NDArray[np.str_]:
    """``text`` without surrounding whitespace; only the values that need it are stripped."""
    if text.size == 0:
        return text
    codes = _codes(text)
    last = np.maximum(np.count_nonzero(codes, axis=1) - 1, 0)
    edge = (codes[:, 0] <= 32) | (codes[np.arange(text.size), last] <= 32)
    edge |= (codes[:, 0] == 0xA0) | (codes[np.arange(text.size), last] == 0xA0)
    if not edge.any():
        return text
    out: NDArray[np.str_] = text.copy()
    out[edge] = np.char.strip(text[edge])
    return out


def _iso_shape(text: NDArray[np.str_]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """``(ok, offset)`` for stripped ``str`` text: ``ok`` where it starts ``YYYY-MM-DD`` and
    has no UTC offset; ``offset`` where it carries one (``Z``, ``+hh:mm``, ``-hh:mm``)."""
    codes = _codes(text, 10)
    digit = (codes[:, [0, 1, 2, 3, 5, 6, 8, 9]] - np.uint32(48)) < 10  # wraps below '0'
    ok = digit.all(axis=1) & (codes[:, 4] == 45) & (codes[:, 7] == 45)
    tail = codes[:, 10:]
    offset = ((tail == 90) | (tail == 122) | (tail == 43) | (tail == 45)).any(axis=1)
    return ok & ~offset, ok & offset


def parse_iso_days(text: NDArray[Any]) -> tuple[IntArray, int | None]:
    """Parse a 1-D string or object array of ISO dates into days since 1970-01-01.

    Returns ``(days, first_bad)``: ``first_bad`` is the index of the first value that is not
    a full ISO date without UTC offset (``days`` is then empty), else ``None``. Surrounding
    whitespace is ignored. Missing values (``""``, ``"NaT"``) parse to NaT, which the caller
    must check; days come back as ``int64`` with NaT as its minimum. No warning is raised or
    filtered: the text is checked before numpy parses it.
    """
    if text.dtype.kind == "O":
        lengths = _text_lengths(text)
        too_long = lengths > _MAX_DATE_LENGTH
        if too_long.any():
            return np.empty(0, dtype=np.int64), int(np.flatnonzero(too_long)[0])
    stripped = _strip(text.astype(str))
    if stripped.size == 0:
        return np.empty(0, dtype=np.int64), None
    missing = (stripped == "") | (stripped == "NaT")
    ok, _ = _iso_shape(stripped)
    bad = ~(ok | missing)
    if bad.any():
        return np.empty(0, dtype=np.int64), int(np.flatnonzero(bad)[0])

    def parse(chunk: NDArray[np.str_]) -> IntArray | None:
        try:
            return chunk.astype("datetime64[D]").astype(np.int64)
        except (ValueError, TypeError, OverflowError):
            return None

    days = parse(stripped)
    if days is not None:
        return days, None
    # Bisect for the first failing element: O(n) work in total, all vectorised.
    lo, hi = 0, stripped.size  # stripped[:lo] parses; stripped[:hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if parse(stripped[lo:mid]) is not None:
            lo = mid
        else:
            hi = mid
    return np.empty(0, dtype=np.int64), lo


def _date_text(value: Any) -> Any:
    """An object-array element as text for the ISO parser: date-like objects become their
    (local, wall-clock) ISO date; strings stay; anything else becomes ``None`` (a bad type)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return "NaT" if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, str):
        return value
    return None


def _bad_date(name: str, arr: NDArray[Any], index: int, ids: NDArray[Any] | None) -> None:
    value = arr[index]
    hint = ""
    text = str(value).strip()
    if text.isdigit() and len(text) == 8:
        hint = " (compact dates such as '20150201' need date_format='%Y%m%d')"
    elif text.lower() in ("today", "now", "yesterday", "tomorrow"):
        hint = " (words are not dates)"
    elif len(text) < 10 and text[:4].isdigit():
        hint = " (a partial date is not a day)"
    elif text[10:] and any(c in text[10:] for c in "Zz+-"):
        hint = " (refused: the calendar day of a time with a UTC offset is ambiguous)"
    fail_at(name, _DATE_HELP + hint, arr, _single(arr.size, index), ids=ids)


def _strptime_days(
    arr: NDArray[Any], name: str, date_format: str, ids: NDArray[Any] | None
) -> IntArray:
    """Parse text (or integers such as 20150201) with ``strptime``, once per distinct value."""
    if arr.dtype.kind == "O":
        ok = _mask(lambda v: isinstance(v, (str, int, np.integer)), arr)
        ok &= ~_mask(lambda v: isinstance(v, (bool, np.bool_)), arr)
        fail_at(name, _DATE_HELP, arr, ~ok, ids=ids)
        too_long = _mask(lambda v: isinstance(v, str) and len(v) > _MAX_DATE_LENGTH, arr)
        fail_at(name, _DATE_HELP, arr, too_long, ids=ids)
    elif arr.dtype.kind == "U" and arr.dtype.itemsize // 4 > _MAX_DATE_LENGTH:
        fail_at(name, _DATE_HELP, arr, np.char.str_len(arr) > _MAX_DATE_LENGTH, ids=ids)
    days, first = strptime_days(_strip(arr.astype(str)), date_format)
    if first is not None:
        fail_at(
            name, f"must match date_format={date_format!r}", arr, _single(arr.size, first), ids=ids
        )
    return days


def strptime_days(text: NDArray[np.str_], date_format: str) -> tuple[IntArray, int | None]:
    """Parse stripped text with ``strptime(date_format)`` into days since 1970-01-01.

    Returns ``(days, first_bad)`` like :func:`parse_iso_days`: ``first_bad`` is the index of the
    first value that does not match (``days`` is then empty), else ``None``. ``strptime`` is a
    Python call per value, so each distinct string is parsed once.
    """
    uniq, inverse = np.unique(text, return_inverse=True)
    inverse = inverse.reshape(-1)
    parsed = np.empty(uniq.size, dtype=np.int64)
    for j, value in enumerate(uniq.tolist()):
        try:
            stamp = dt.datetime.strptime(value, date_format)
        except ValueError:
            return np.empty(0, dtype=np.int64), int(np.flatnonzero(inverse == j)[0])
        parsed[j] = stamp.date().toordinal() - _EPOCH_ORDINAL
    out: IntArray = parsed[inverse]
    return out, None


def coerce_dates(
    values: ArrayLike,
    name: str = "date",
    *,
    date_format: str | None = None,
    ids: NDArray[Any] | None = None,
) -> IntArray:
    """Return dates as whole days since 1970-01-01 (``int64``), floored to the calendar day.

    ``date_format`` (``strftime`` codes) parses text and integer columns (``20150201`` with
    ``"%Y%m%d"``); date-typed input ignores it. ``ids``, when given, is the customer of each
    row, named in error messages.
    """
    if date_format is not None and not isinstance(date_format, str):
        raise InvalidTypeError(f"date_format must be a str of strftime codes; got {date_format!r}")
    arr = _as_1d(values, name)
    kind = arr.dtype.kind
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if kind == "S" or (kind == "O" and _mask(lambda v: isinstance(v, bytes), arr).any()):
        arr = _decode_utf8(arr, name)
        kind = "O"
    if kind == "O":
        date_like = _mask(lambda v: isinstance(v, (dt.date, np.datetime64)), arr)
        if date_format is not None and not date_like.all():
            if date_like.any():
                fail_at(name, "must not mix date objects and text", arr, date_like, ids=ids)
            return _check_range(_strptime_days(arr, name, date_format, ids), arr, name, ids)
        text = np.frompyfunc(_date_text, 1, 1)(arr)
        fail_at(name, _DATE_HELP, arr, _mask(lambda v: v is None, text), ids=ids)
        arr_for_errors = arr
    elif kind == "M":
        if np.datetime_data(arr.dtype)[0] == "generic":
            arr = arr.astype("datetime64[D]")
        days = arr.astype("datetime64[D]").astype(np.int64)
        return _check_range(days, arr, name, ids)
    elif kind in "iuU" and date_format is not None:
        return _check_range(_strptime_days(arr, name, date_format, ids), arr, name, ids)
    elif kind == "U":
        text, arr_for_errors = arr, arr
    elif kind in "iu":
        raise InvalidTypeError(
            f"{name} {_DATE_HELP}; got integers (dtype {arr.dtype}): for YYYYMMDD numbers such "
            "as 20150201 pass date_format='%Y%m%d'"
        )
    else:
        raise InvalidTypeError(f"{name} {_DATE_HELP}; got dtype {arr.dtype}")
    days, bad = parse_iso_days(text)
    if bad is not None:
        _bad_date(name, arr_for_errors, bad, ids)
    return _check_range(days, arr_for_errors, name, ids)


def _check_range(
    days: IntArray, arr: NDArray[Any], name: str, ids: NDArray[Any] | None
) -> IntArray:
    nat = np.iinfo(np.int64).min
    fail_at(name, "must not be missing (NaT or empty)", arr, days == nat, ids=ids)
    out_of_range = (days < DAY_MIN) | (days > DAY_MAX)
    fail_at(name, "must lie between years 1 and 9999", arr, out_of_range, ids=ids)
    return days


def coerce_date_scalar(value: Any, name: str, *, date_format: str | None = None) -> int:
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
    if date_format is not None:
        try:
            return int(coerce_dates(cell, name, date_format=date_format)[0])
        except (InvalidInputError, InvalidTypeError):
            pass  # an ISO date is accepted too
    try:
        return int(coerce_dates(cell, name)[0])
    except (InvalidInputError, InvalidTypeError) as exc:
        raise InvalidInputError(str(exc).replace("; first bad value at index 0", "; got")) from None


def apply_returns(
    ids: NDArray[Any],
    days: IntArray,
    amounts: FloatArray,
    returns: str,
    *,
    name: str = "monetary",
) -> tuple[NDArray[Any], IntArray, FloatArray]:
    """Apply a ``returns=`` reading of negative amounts to a checked log (finite amounts).

    ``"error"``
        A negative amount is an error naming the option, the row and its customer.
    ``"drop"``
        Rows with a negative amount are removed (they do not make a purchase day). Zero
        amounts stay: a $0 order is still a purchase.
    ``"net"``
        The rows of each (customer, day) are summed into one row; a day whose net total is
        <= 0 (up to rounding: ``net <= 1e-9 * gross``) is not a purchase day and is removed.

    Returns the ``(ids, days, amounts)`` rows to summarise (for ``"net"``: one per purchase
    day, in no particular order).
    """
    if returns not in RETURNS:
        raise InvalidInputError(f"returns must be one of {RETURNS}; got {returns!r}")
    negative = amounts < 0
    if returns == "error":
        fail_at(
            name,
            "must be >= 0 (a refund or return? pass returns='net' to net it into its day's "
            "total or returns='drop' to ignore it)",
            amounts,
            negative,
            ids=ids,
        )
        return ids, days, amounts
    if returns == "drop":
        if negative.any():
            keep = ~negative
            return ids[keep], days[keep], amounts[keep]
        return ids, days, amounts
    uniq, code = np.unique(ids, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    d_lo = int(np.min(days))
    span = int(np.max(days)) - d_lo + 1
    pair_key, pair = np.unique(code * span + (days - d_lo), return_inverse=True)
    pair = pair.reshape(-1)
    net: FloatArray = np.asarray(np.bincount(pair, amounts, pair_key.size), dtype=np.float64)
    gross = np.bincount(pair, np.abs(amounts), pair_key.size)
    keep = net > 1e-9 * gross
    pair_key = pair_key[keep].astype(np.int64)
    kept_days: IntArray = pair_key % span + d_lo
    return uniq[pair_key // span], kept_days, net[keep]


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
    d_lo = int(np.min(days))
    # A power-of-two span, so that the key splits back with a shift and a mask (an int64
    # division is several times slower than the rest of the pass).
    d_bits = max(int(np.max(days)) - d_lo, 1).bit_length()
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


def repeat_purchase_days(ids: NDArray[Any], days: IntArray) -> tuple[IntArray, IntArray]:
    """Sorted days of every repeat purchase day (distinct (customer, day) pairs after each
    customer's first day), and each customer's first purchase day (ids in sorted order)."""
    _, code = np.unique(ids, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    lo = int(np.min(days))
    span = int(np.max(days)) - lo + 1
    pairs = np.unique(code * span + (days - lo))
    pair_code, pair_day = np.divmod(pairs, span)
    first = np.ones(pairs.size, dtype=bool)
    first[1:] = pair_code[1:] != pair_code[:-1]
    return np.sort(pair_day[~first] + lo), pair_day[first] + lo
