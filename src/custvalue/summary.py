"""Transaction log -> per-customer summary (frequency, recency, T, monetary value).

The summary is what every purchase model consumes: for each customer the number of *repeat*
purchases ``frequency`` (the BG/NBD ``x``), the time of the last purchase since the first
``recency`` (the BG/NBD ``t_x``), the customer's age at the end of observation ``T``, and the
mean value of the repeat purchases ``monetary_value`` (the Gamma-Gamma ``m_x``).

Conventions (the same as ``lifetimes.utils.summary_data_from_transaction_data`` with
``freq="D"``):

- Time is counted in whole calendar days. Every date is floored to its day, and all purchases of
  one customer on one day count as one purchase whose amount is the sum of the day's amounts.
- ``observation_end`` is a day, inclusive: purchases on that day count, later ones are ignored,
  and ``T = observation_end - first purchase day``. A customer whose first purchase is on
  ``observation_end`` has ``T = 0``. This is the right age for day-resolution data (purchases
  later on the first day merge into the first one; derivation and simulation in
  ``docs/math.md``, "Ages at day resolution"), and the tracking curve of
  :func:`custvalue.clv.evaluate` uses it too.
- Durations are then expressed in ``time_unit`` (see :func:`time_unit_days`): a unit is a
  *length* of time, not a calendar bucket, so the weekly summary is the daily one divided by 7.
- Customer ids are returned sorted; integer ids stay ``int64``, all others become strings
  (compared through ``str()``; ``1`` and ``"1"`` in the same log are an error), stripped of
  surrounding whitespace, at most ``MAX_ID_LENGTH`` (256) characters; ``bytes`` ids are
  decoded as UTF-8.
- Dates: full ISO dates, date/datetime values, or any layout through ``date_format=``
  (``strftime`` codes, e.g. ``"%Y%m%d"`` for ``20150201``); partial dates and words such as
  ``"today"`` are refused. Time zones: a date is the wall-clock day where it was recorded (an
  aware datetime keeps its local date; text with a UTC offset is refused), the same for numpy,
  pandas, Polars, PyArrow and Dask input.
- Amounts: ``returns=`` says how negative amounts (refunds) are read, see
  :func:`summarize_transactions`. A zero amount is a purchase (a free order) except under
  ``returns="net"``, where a day whose total is <= 0 is not a purchase day.
"""

from __future__ import annotations

from typing import Any, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._frames import FrameInput, accepts_data
from custvalue._transactions import (
    Returns,
    apply_returns,
    coerce_date_scalar,
    coerce_dates,
    coerce_ids,
    group_purchase_days,
    repeat_purchase_days,
)
from custvalue._validation import as_float_array, fail_at, readonly_array
from custvalue.errors import InvalidInputError
from custvalue.time_units import TimeUnit, time_unit_days, time_unit_label

__all__ = [
    "CalibrationHoldout",
    "CustomerSummary",
    "TimeUnit",
    "calibration_holdout_split",
    "check_fittable",
    "summarize_transactions",
    "time_unit_days",
    "time_unit_label",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def _day_text(day: int) -> str:
    return str(np.datetime64(day, "D"))


def _id_array(value: Any) -> NDArray[Any]:
    return readonly_array(coerce_ids(value))


def _count_array(value: Any, name: str) -> IntArray:
    x = as_float_array(value, name, lower=0, integer=True, ndim=1)
    return readonly_array(x.astype(np.int64))


def _float_array(value: Any, name: str) -> FloatArray:
    return readonly_array(as_float_array(value, name, lower=0, ndim=1))


def _frequency(value: Any) -> IntArray:
    return _count_array(value, "frequency")


def _recency(value: Any) -> FloatArray:
    return _float_array(value, "recency")


def _age(value: Any) -> FloatArray:
    return _float_array(value, "T")


def _monetary(value: Any) -> FloatArray | None:
    return None if value is None else _float_array(value, "monetary_value")


def _total_spend(value: Any) -> FloatArray | None:
    return None if value is None else _float_array(value, "total_spend")


def _observation_end(value: Any) -> np.datetime64:
    return np.datetime64(coerce_date_scalar(value, "observation_end"), "D")


def _holdout_frequency(value: Any) -> IntArray:
    return _count_array(value, "holdout_frequency")


def _holdout_spend(value: Any) -> FloatArray | None:
    return None if value is None else _float_array(value, "holdout_spend")


def _repeat_per_day(value: Any) -> IntArray | None:
    return None if value is None else _count_array(value, "repeat_purchases_per_day")


def check_fittable(
    frequency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike | None = None,
    *,
    spend: bool = False,
    observation_end: Any = None,
) -> None:
    """Raise unless these customers can give a usable fit, before any optimizer runs.

    A purchase model (BG/NBD and kin) needs at least one customer observed for some time
    (``T > 0``) and at least one repeat purchase; a spend model (``spend=True``, Gamma-Gamma)
    needs amounts and at least one customer with a repeat purchase of positive mean value. A
    log of one row, or with every purchase on one day, fails. Fitters call this (through
    :meth:`CustomerSummary.check_fittable` for a summary) so that such input is reported in
    these words instead of as an optimizer failure.

    Parameters
    ----------
    frequency, T, monetary_value
        Repeat purchases, age (any time unit) and mean repeat spend per customer, shape
        ``(n,)``, already validated.
    spend
        Check for a spend model instead of a purchase model.
    observation_end
        Optional last day of observation, named in the message.

    Raises
    ------
    InvalidInputError
        Naming what is missing (e.g. "all purchases are on one day").
    """
    x = np.asarray(frequency)
    age = np.asarray(T)
    n = int(x.size)
    what = "cannot give a usable fit"
    if n == 0:
        raise InvalidInputError(f"{what}: there are no customers")
    if n == 1 and float(x.reshape(-1)[0]) == 0:
        raise InvalidInputError(
            f"{what}: the log has one customer with one purchase day (one row?); a model "
            "is fitted to many customers' purchase histories"
        )
    if not (age > 0).any():
        day = "" if observation_end is None else f" ({observation_end})"
        raise InvalidInputError(
            f"{what}: all purchases are on one day{day}, so no customer was observed for any "
            f"time (T = 0 for all {n} customers)"
        )
    repeat = x > 0
    if not repeat.any():
        raise InvalidInputError(
            f"{what}: no customer made a repeat purchase (frequency = 0 for all {n} "
            "customers), so the purchase rate cannot be told apart from dropout"
        )
    if spend:
        if monetary_value is None:
            raise InvalidInputError(
                f"{what} of a spend model: there are no amounts (pass monetary= to "
                "summarize_transactions)"
            )
        if not (repeat & (np.asarray(monetary_value) > 0)).any():
            raise InvalidInputError(
                f"{what} of a spend model: no customer has a repeat purchase with a "
                "positive mean amount"
            )


@attrs.frozen(eq=False)
class CustomerSummary:
    """Per-customer purchase summary, all durations in ``time_unit``.

    Build one with :func:`summarize_transactions`. Arrays are read-only, shape
    ``(n_customers,)``, in ascending customer-id order.

    Attributes
    ----------
    customer_id
        Customer ids (``int64``, or ``str`` for any other id type).
    frequency
        Number of repeat purchases ``x`` (distinct purchase days - 1), ``int64``.
    recency
        Time of the last purchase since the first, ``t_x`` (BG/NBD meaning), in ``time_unit``.
    T
        Time from the first purchase to ``observation_end``, in ``time_unit``.
    monetary_value
        Mean amount of the repeat purchase days (0 where ``frequency`` is 0), or ``None`` when
        no amounts were given. Currency of the input amounts.
    observation_end
        Last day of observation (inclusive), ``numpy.datetime64[D]``.
    time_unit
        Label of the time unit (``"D"``, ``"W"``, ``"M"``, ``"Y"``, ``"14D"`` ...).
    total_spend
        Sum of the amounts of all purchase days, the first included (what RFM scores rank), or
        ``None`` when no amounts were given. Optional when building a summary by hand.

    Raises
    ------
    InvalidInputError
        On construction, if the arrays are inconsistent (lengths, ``0 <= recency <= T``,
        ``recency == 0`` and ``monetary_value == 0`` where ``frequency == 0``).
    """

    customer_id: NDArray[Any] = attrs.field(converter=_id_array)
    frequency: IntArray = attrs.field(converter=_frequency)
    recency: FloatArray = attrs.field(converter=_recency)
    T: FloatArray = attrs.field(converter=_age)
    monetary_value: FloatArray | None = attrs.field(converter=_monetary)
    observation_end: np.datetime64 = attrs.field(converter=_observation_end)
    time_unit: str = attrs.field(converter=time_unit_label)
    total_spend: FloatArray | None = attrs.field(default=None, converter=_total_spend)

    def __attrs_post_init__(self) -> None:
        n = self.customer_id.size
        named = {"frequency": self.frequency, "recency": self.recency, "T": self.T}
        if self.monetary_value is not None:
            named["monetary_value"] = self.monetary_value
        if self.total_spend is not None:
            named["total_spend"] = self.total_spend
        for name, arr in named.items():
            if arr.shape != (n,):
                raise InvalidInputError(
                    f"{name} must have shape ({n},) like customer_id; got {arr.shape}"
                )
        fail_at("recency", "must be <= T", self.recency, self.recency > self.T)
        zero = self.frequency == 0
        fail_at(
            "recency", "must be 0 where frequency is 0", self.recency, zero & (self.recency != 0)
        )
        if self.monetary_value is not None:
            bad = zero & (self.monetary_value != 0)
            fail_at("monetary_value", "must be 0 where frequency is 0", self.monetary_value, bad)

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.customer_id.size)

    @property
    def time_unit_days(self) -> float:
        """Length of ``time_unit`` in days."""
        return time_unit_days(self.time_unit)

    def check_fittable(self, *, spend: bool = False) -> None:
        """Raise unless this summary can give a usable fit, before any optimizer runs.

        See :func:`check_fittable` (this method passes the summary's columns).

        Examples
        --------
        >>> s = summarize_transactions(["a", "b"], ["2024-01-01", "2024-01-01"])
        >>> s.check_fittable()  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        custvalue.errors.InvalidInputError: cannot give a usable fit: all purchases are on one
        day (2024-01-01), ...
        """
        check_fittable(
            self.frequency,
            self.T,
            self.monetary_value,
            spend=spend,
            observation_end=self.observation_end,
        )

    def _payload(self) -> dict[str, Any]:
        return {
            "customer_id": _persist.encode_array(self.customer_id),
            "frequency": _persist.encode_array(self.frequency),
            "recency": _persist.encode_array(self.recency),
            "T": _persist.encode_array(self.T),
            "monetary_value": None
            if self.monetary_value is None
            else _persist.encode_array(self.monetary_value),
            "observation_end": str(self.observation_end),
            "time_unit": self.time_unit,
            "total_spend": None
            if self.total_spend is None
            else _persist.encode_array(self.total_spend),
        }

    @classmethod
    def _from_payload(cls, payload: dict[str, Any]) -> CustomerSummary:
        where = "CustomerSummary"
        monetary = payload.get("monetary_value")
        total = payload.get("total_spend")
        with _persist.invalid_content(where):
            return cls(
                customer_id=_persist.require_array(payload, "customer_id", where),
                frequency=_persist.require_array(payload, "frequency", where),
                recency=_persist.require_array(payload, "recency", where),
                T=_persist.require_array(payload, "T", where),
                monetary_value=None
                if monetary is None
                else _persist.decode_array(monetary, "monetary_value"),
                observation_end=_persist.require(payload, "observation_end", str, where),
                time_unit=_persist.require(payload, "time_unit", str, where),
                total_spend=None if total is None else _persist.decode_array(total, "total_spend"),
            )

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip, no pickle)."""
        return _persist.dumps("CustomerSummary", self._payload())

    @classmethod
    def from_json(cls, text: str | bytes) -> CustomerSummary:
        """Load a document written by :meth:`to_json`; raises ``PersistenceError`` if invalid."""
        return cls._from_payload(_persist.loads(text, "CustomerSummary"))

    def to_columns(self) -> Columns:
        """One row per customer: ``customer_id``, ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` (when present), as read-only arrays."""
        cols: dict[str, NDArray[Any]] = {
            "customer_id": self.customer_id,
            "frequency": self.frequency,
            "recency": self.recency,
            "T": self.T,
        }
        if self.monetary_value is not None:
            cols["monetary_value"] = self.monetary_value
        return freeze_columns(cols)

    def _repr_html_(self) -> str:
        caption = (
            f"CustomerSummary: {self.n_customers} customers, time unit {self.time_unit}, "
            f"observation end {self.observation_end}"
        )
        return columns_html(self.to_columns(), caption)

    def __repr__(self) -> str:
        return (
            f"CustomerSummary(n_customers={self.n_customers}, time_unit={self.time_unit!r}, "
            f"observation_end={str(self.observation_end)!r})"
        )


@attrs.frozen(eq=False)
class CalibrationHoldout:
    """A calibration summary plus what each calibration customer did in the holdout period.

    Build one with :func:`calibration_holdout_split`.

    Attributes
    ----------
    calibration
        Summary of the calibration period (``observation_end`` is the calibration end).
    holdout_frequency
        Number of distinct purchase days in (calibration end, ``observation_end``], ``int64``,
        shape ``(n_customers,)``; all purchases in the holdout count (there is no "first").
    holdout_spend
        Total amount spent in the holdout period, or ``None`` without amounts.
    observation_end
        Last day of the holdout period (inclusive), ``numpy.datetime64[D]``.
    repeat_purchases_per_day
        Repeat purchase days of the calibration customers on each day, calibration and holdout
        together, from the first customer's first purchase day through ``observation_end``
        (``int64``; a customer's first purchase day is not a repeat purchase), or ``None``
        (a split built without the log). The actual series of the tracking curve of
        :func:`custvalue.clv.evaluate`.
    """

    calibration: CustomerSummary
    holdout_frequency: IntArray = attrs.field(converter=_holdout_frequency)
    holdout_spend: FloatArray | None = attrs.field(converter=_holdout_spend)
    observation_end: np.datetime64 = attrs.field(converter=_observation_end)
    repeat_purchases_per_day: IntArray | None = attrs.field(
        default=None, converter=_repeat_per_day, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        n = self.calibration.n_customers
        for name in ("holdout_frequency", "holdout_spend"):
            arr = getattr(self, name)
            if arr is not None and arr.shape != (n,):
                raise InvalidInputError(f"{name} must have shape ({n},); got {arr.shape}")
        if self.observation_end <= self.calibration.observation_end:
            raise InvalidInputError(
                f"observation_end ({self.observation_end}) must be after the calibration end "
                f"({self.calibration.observation_end})"
            )

    @property
    def calibration_end(self) -> np.datetime64:
        """Last day of the calibration period (inclusive)."""
        return self.calibration.observation_end

    @property
    def holdout_duration(self) -> float:
        """Length of the holdout period in the calibration's ``time_unit``."""
        days = int((self.observation_end - self.calibration_end) / np.timedelta64(1, "D"))
        return days / self.calibration.time_unit_days

    @property
    def holdout_mean_spend(self) -> FloatArray | None:
        """Mean amount per holdout purchase day (0 where there is none), or ``None``."""
        if self.holdout_spend is None:
            return None
        out = np.zeros(self.holdout_spend.shape)
        np.divide(
            self.holdout_spend, self.holdout_frequency, out=out, where=self.holdout_frequency > 0
        )
        return out

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip, no pickle)."""
        payload = {
            "calibration": self.calibration._payload(),
            "holdout_frequency": _persist.encode_array(self.holdout_frequency),
            "holdout_spend": None
            if self.holdout_spend is None
            else _persist.encode_array(self.holdout_spend),
            "observation_end": str(self.observation_end),
            "repeat_purchases_per_day": None
            if self.repeat_purchases_per_day is None
            else _persist.encode_array(self.repeat_purchases_per_day),
        }
        return _persist.dumps("CalibrationHoldout", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> CalibrationHoldout:
        """Load a document written by :meth:`to_json`; raises ``PersistenceError`` if invalid."""
        where = "CalibrationHoldout"
        payload = _persist.loads(text, where)
        spend = payload.get("holdout_spend")
        per_day = payload.get("repeat_purchases_per_day")
        calibration = CustomerSummary._from_payload(
            _persist.require(payload, "calibration", dict, where)
        )
        with _persist.invalid_content(where):
            return cls(
                calibration=calibration,
                holdout_frequency=_persist.require_array(payload, "holdout_frequency", where),
                holdout_spend=None
                if spend is None
                else _persist.decode_array(spend, "holdout_spend"),
                observation_end=_persist.require(payload, "observation_end", str, where),
                repeat_purchases_per_day=None
                if per_day is None
                else _persist.decode_array(per_day, "repeat_purchases_per_day"),
            )

    def to_columns(self) -> Columns:
        """One row per customer: the calibration summary's columns, ``holdout_frequency`` and
        ``holdout_spend`` (when present)."""
        cols = dict(self.calibration.to_columns())
        cols["holdout_frequency"] = self.holdout_frequency
        if self.holdout_spend is not None:
            cols["holdout_spend"] = self.holdout_spend
        return freeze_columns(cols)

    def _repr_html_(self) -> str:
        caption = (
            f"CalibrationHoldout: {self.calibration.n_customers} customers, calibration to "
            f"{self.calibration_end}, holdout to {self.observation_end} "
            f"({self.holdout_duration:g} {self.calibration.time_unit})"
        )
        return columns_html(self.to_columns(), caption)

    def __repr__(self) -> str:
        return columns_repr(
            self,
            self.to_columns(),
            calibration_end=str(self.calibration_end),
            observation_end=str(self.observation_end),
        )


def _amounts(monetary: ArrayLike, ids: NDArray[Any]) -> FloatArray:
    """Finite float amounts; a NaN or infinity is reported with its row and customer."""
    try:
        return as_float_array(monetary, "monetary", ndim=1)
    except InvalidInputError:
        values = np.asarray(monetary, dtype=np.float64)  # numeric: the type checks passed
        if values.shape == ids.shape:
            fail_at("monetary", "must not be NaN", values, np.isnan(values), ids=ids)
            fail_at("monetary", "must be finite", values, ~np.isfinite(values), ids=ids)
        raise


def _coerce_log(
    customer_id: ArrayLike,
    date: ArrayLike,
    monetary: ArrayLike | None,
    returns: Returns = "error",
    date_format: str | None = None,
) -> tuple[NDArray[Any], IntArray, FloatArray | None]:
    """Checked ``(ids, days, amounts)`` of a log, with ``returns=`` applied to the amounts."""
    ids = coerce_ids(customer_id, "customer_id")
    if ids.size == 0:
        raise InvalidInputError("customer_id must not be empty: the transaction log has no rows")
    days = coerce_dates(date, "date", date_format=date_format, ids=ids)
    amounts = None if monetary is None else _amounts(monetary, ids)
    sizes = {"customer_id": ids.size, "date": days.size}
    if amounts is not None:
        sizes["monetary"] = amounts.size
    if len(set(sizes.values())) > 1:
        text = ", ".join(f"{k} has {v}" for k, v in sizes.items())
        raise InvalidInputError(f"customer_id, date and monetary must have the same length; {text}")
    if amounts is None:
        apply_returns(ids[:0], days[:0], np.zeros(0), returns)  # checks the option
        return ids, days, amounts
    ids, days, amounts = apply_returns(ids, days, amounts, returns)
    if ids.size == 0:
        raise InvalidInputError(
            f"no purchase is left after returns={returns!r}: every day's amounts net to <= 0"
            if returns == "net"
            else f"no purchase is left after returns={returns!r}: every amount is negative"
        )
    return ids, days, amounts


def _end_day(
    observation_end: Any,
    ids: NDArray[Any],
    days: IntArray,
    name: str = "observation_end",
    date_format: str | None = None,
) -> int:
    if observation_end is None:
        return int(np.max(days))
    end = coerce_date_scalar(observation_end, name, date_format=date_format)
    first = int(np.argmin(days))
    if end < days[first]:
        raise InvalidInputError(
            f"{name} ({_day_text(end)}) is before the first purchase "
            f"({_day_text(int(days[first]))}, customer_id {ids[first].item()!r})"
        )
    return end


def _summarize(
    ids: NDArray[Any], days: IntArray, amounts: FloatArray | None, end: int, unit: TimeUnit
) -> CustomerSummary:
    unit_days = time_unit_days(unit)
    groups = group_purchase_days(ids, days, amounts)
    first = groups.first_day
    frequency = groups.n_days - 1
    monetary = None
    if groups.repeat_total is not None:
        monetary = np.zeros(frequency.size)
        np.divide(groups.repeat_total, frequency, out=monetary, where=frequency > 0)
    return CustomerSummary(
        customer_id=groups.customer_id,
        frequency=frequency,
        recency=(groups.last_day - first) / unit_days,
        T=(end - first) / unit_days,
        monetary_value=monetary,
        observation_end=np.datetime64(end, "D"),
        time_unit=unit,
        total_spend=groups.total,
    )


def _summary_frame(summary: CustomerSummary, source: FrameInput) -> Any:
    """A summary as a frame of the input's library, the id column named like the input's."""
    cols = dict(summary.to_columns())
    id_name = source.names.get("customer_id", "customer_id")
    ordered = {id_name: cols.pop("customer_id"), **cols}
    return source.to_native(ordered)


@overload
def summarize_transactions(
    customer_id: ArrayLike,
    date: ArrayLike,
    monetary: ArrayLike | None = None,
    *,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    returns: Returns = "error",
    date_format: str | None = None,
    data: None = None,
) -> CustomerSummary: ...


@overload
def summarize_transactions(
    customer_id: str,
    date: str,
    monetary: str | None = None,
    *,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    returns: Returns = "error",
    date_format: str | None = None,
    data: Any,
) -> Any: ...


@accepts_data("customer_id", "date", "monetary", result=_summary_frame)
def summarize_transactions(
    customer_id: ArrayLike,
    date: ArrayLike,
    monetary: ArrayLike | None = None,
    *,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    returns: Returns = "error",
    date_format: str | None = None,
    data: Any = None,
) -> Any:
    """Summarise a transaction log into per-customer frequency, recency, T and monetary value.

    Parameters
    ----------
    customer_id
        Customer of each transaction, shape ``(n_rows,)``: integers, strings, or other values
        compared through ``str()`` (see the module notes).
    date
        Date of each transaction, shape ``(n_rows,)``: ``numpy.datetime64`` (any unit),
        ``datetime.date``/``datetime.datetime`` objects, full ISO 8601 text (``YYYY-MM-DD``,
        optionally with a time, no UTC offset), or text/integers in ``date_format``. Floored
        to the calendar day (an aware ``datetime`` keeps its local date). Surrounding
        whitespace is ignored; ``"today"``, ``"2024"`` or ``"2024-01"`` are refused.
    monetary
        Optional amount of each transaction, shape ``(n_rows,)``, finite (currency of the
        data). Amounts of the same customer and day are summed. Negative amounts: see
        ``returns``.
    observation_end
        Last day of observation, inclusive (string, date, datetime or datetime64). Default:
        the last transaction date. Later transactions are ignored; customers with no
        transaction on or before it are dropped.
    time_unit
        Unit of ``recency`` and ``T``: ``"D"``, ``"W"``, ``"M"`` (30.4375 days), ``"Y"``
        (365.25 days), a multiple (``"2W"``) or a timedelta. See :func:`time_unit_days`.
    returns
        How negative amounts (refunds, returns) are read:

        - ``"error"`` (default): a negative amount is an error naming the row and customer;
        - ``"net"``: the rows of a customer's day are summed, refunds included; a day whose net
          total is <= 0 is not a purchase day (so a $0 order alone is no purchase either);
        - ``"drop"``: rows with a negative amount are ignored.

        Under ``"error"`` and ``"drop"`` a zero amount is still a purchase (a free order).
        Customers left with no purchase day are not in the summary.
    date_format
        ``strftime`` codes for text or integer dates that are not ISO 8601, e.g. ``"%Y%m%d"``
        (``20150201`` or ``"20150201"``) or ``"%d/%m/%Y"``. Also used for ``observation_end``
        (which may still be given in ISO form).
    data
        Optional DataFrame (pandas, Polars, PyArrow ...; needs the ``custvalue[dataframe]``
        extra). Then ``customer_id``, ``date`` and ``monetary`` are *column names* in it, and
        the result is a DataFrame of the same library.

    Returns
    -------
    CustomerSummary
        One row per customer, sorted by id: ``frequency`` (repeat purchase days), ``recency``
        (``t_x``), ``T`` and ``monetary_value`` (mean of the repeat purchase days' totals).
        With ``data``: a DataFrame with these columns, the id column named like the input's.

    Raises
    ------
    InvalidInputError
        Empty log, lengths that differ, missing or too long ids, NaT / unparseable /
        out-of-range dates, NaN or infinite amounts, negative amounts with
        ``returns="error"``, ``observation_end`` before the first purchase, an unknown time
        unit. The message names the argument, the first bad row (its position in the input)
        and its customer id, and the value.
    InvalidTypeError
        Arguments of an unusable type (e.g. float ids, numeric dates).

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
    Pareto/NBD Model", Marketing Science 24(2), section 3 (the summary ``(x, t_x, T)``).

    Examples
    --------
    >>> s = summarize_transactions(
    ...     [1, 1, 1, 2],
    ...     ["2024-01-01", "2024-01-01T18:00", "2024-01-15", "2024-01-08"],
    ...     [10.0, 5.0, 20.0, 7.0],
    ...     observation_end="2024-01-29",
    ...     time_unit="W",
    ... )
    >>> s.customer_id.tolist(), s.frequency.tolist(), s.recency.tolist(), s.T.tolist()
    ([1, 2], [1, 0], [2.0, 0.0], [4.0, 3.0])
    >>> s.monetary_value.tolist()
    [20.0, 0.0]
    """
    ids, days, amounts = _coerce_log(customer_id, date, monetary, returns, date_format)
    time_unit_days(time_unit)  # fail fast on a bad unit
    end = _end_day(observation_end, ids, days, date_format=date_format)
    keep = days <= end
    if not keep.all():
        ids, days = ids[keep], days[keep]
        amounts = None if amounts is None else amounts[keep]
    return _summarize(ids, days, amounts, end, time_unit)


@accepts_data("customer_id", "date", "monetary")
def calibration_holdout_split(
    customer_id: ArrayLike,
    date: ArrayLike,
    monetary: ArrayLike | None = None,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    returns: Returns = "error",
    date_format: str | None = None,
    data: Any = None,
) -> CalibrationHoldout:
    """Split a transaction log into a calibration summary and holdout counts, for validation.

    The calibration summary is :func:`summarize_transactions` of the transactions on or before
    ``calibration_end`` (so it holds the customers whose first purchase is on or before it).
    For each of these customers the holdout period (``calibration_end``, ``observation_end``]
    gives the number of distinct purchase days and the total spend. Customers first seen in
    the holdout are dropped. Matches ``lifetimes.utils.calibration_and_holdout_data`` with
    ``freq="D"`` (whose ``monetary_value_holdout`` is a per-row mean; ours is
    :attr:`CalibrationHoldout.holdout_mean_spend`, per purchase day).

    Parameters
    ----------
    customer_id, date, monetary
        The transaction log, as in :func:`summarize_transactions`.
    calibration_end
        Last day of the calibration period, inclusive.
    observation_end
        Last day of the holdout period, inclusive; after ``calibration_end``. Default: the last
        transaction date.
    time_unit
        Unit of ``recency``, ``T`` and :attr:`CalibrationHoldout.holdout_duration`.
    returns, date_format
        As in :func:`summarize_transactions` (``returns="net"`` nets each day before the
        split, so holdout counts and spend use the same reading).
    data
        Optional DataFrame; then ``customer_id``, ``date`` and ``monetary`` are column names
        in it. The result is still a :class:`CalibrationHoldout` (tabulate it with
        :func:`custvalue.frame.to_frame`).

    Returns
    -------
    CalibrationHoldout

    Raises
    ------
    InvalidInputError
        As :func:`summarize_transactions`; also if ``calibration_end`` is before the first
        purchase or ``observation_end`` is not after ``calibration_end``.

    Examples
    --------
    >>> split = calibration_holdout_split(
    ...     ["a", "a", "b", "a", "a"],
    ...     ["2024-01-01", "2024-01-05", "2024-01-03", "2024-01-12", "2024-01-12"],
    ...     [1.0, 2.0, 3.0, 4.0, 5.0],
    ...     calibration_end="2024-01-07",
    ...     observation_end="2024-01-14",
    ... )
    >>> split.calibration.frequency.tolist(), split.holdout_frequency.tolist()
    ([1, 0], [1, 0])
    >>> split.holdout_spend.tolist(), split.holdout_duration
    ([9.0, 0.0], 7.0)
    """
    ids, days, amounts = _coerce_log(customer_id, date, monetary, returns, date_format)
    time_unit_days(time_unit)
    cal_end = _end_day(calibration_end, ids, days, "calibration_end", date_format)
    end = _end_day(observation_end, ids, days, date_format=date_format)
    if end <= cal_end:
        raise InvalidInputError(
            f"observation_end ({_day_text(end)}) must be after calibration_end "
            f"({_day_text(cal_end)})"
        )
    in_cal = days <= cal_end
    calibration = _summarize(
        ids[in_cal], days[in_cal], None if amounts is None else amounts[in_cal], cal_end, time_unit
    )
    n = calibration.n_customers
    holdout_frequency = np.zeros(n, dtype=np.int64)
    holdout_spend = None if amounts is None else np.zeros(n)
    in_hold = ~in_cal & (days <= end)
    if in_hold.any():
        groups = group_purchase_days(
            ids[in_hold], days[in_hold], None if amounts is None else amounts[in_hold]
        )
        pos = np.minimum(np.searchsorted(calibration.customer_id, groups.customer_id), n - 1)
        known = calibration.customer_id[pos] == groups.customer_id
        holdout_frequency[pos[known]] = groups.n_days[known]
        if holdout_spend is not None and groups.total is not None:
            holdout_spend[pos[known]] = groups.total[known]
    ever = (days <= end) & np.isin(ids, calibration.customer_id)
    repeat, first = repeat_purchase_days(ids[ever], days[ever])
    start = int(np.min(first))
    return CalibrationHoldout(
        calibration=calibration,
        holdout_frequency=holdout_frequency,
        holdout_spend=holdout_spend,
        observation_end=np.datetime64(end, "D"),
        repeat_purchases_per_day=np.bincount(repeat - start, minlength=end - start + 1),
    )
