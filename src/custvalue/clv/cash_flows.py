"""Customer lifetime value as a table of expected cash flows per period.

:func:`clv_cash_flows` splits the horizon into periods (months by default: a month is
365.25 / 12 days, the calendar-independent unit of :mod:`custvalue.time_units`) and reports,
per customer and period, the expected transactions, the expected spend, the discounted value
and an effective discount factor.

Discounting
-----------
:func:`~custvalue.clv.customer_lifetime_value` discounts continuously:
``CLV = E[spend] * integral_0^h exp(-delta s) dE[X(s)]``. Discounting each period's
transactions at the period's end (or mid-point) would *not* add up to that integral. Here the
discounted value of period ``(t0, t1]`` is the exact integral over the period,
``E[spend] * (DET(t1) - DET(t0))``, so the periods add up to ``customer_lifetime_value`` (to
rounding, ~1e-15 relative). The **effective discount factor** is discounted / undiscounted
value: a weighted mean of ``exp(-delta s)`` over the period, between ``exp(-delta t1)`` and
``exp(-delta t0)`` (clipped to that range where cancellation in the difference of two DET
values would push it out; ``exp(-delta t1)`` for a period without expected transactions).
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, check_layout, columns_html, columns_repr, freeze_columns
from custvalue._json import ARRAY_EQ, JsonMixin, to_float64
from custvalue._validation import as_scalar, fail_at
from custvalue.clv._inputs import as_times
from custvalue.clv._quadrature import checked
from custvalue.clv.intervals import readonly_ids
from custvalue.clv.value import (
    MAX_MONTHS,
    SpendModel,
    TransactionModel,
    _distinct_histories,
    discounted_expected_transactions,
    flat_clv_inputs,
)
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import UNIT_DAYS, Duration, TimeUnit

__all__ = ["CLVCashFlows", "clv_cash_flows"]

FloatArray = NDArray[np.float64]

#: Most periods in a table.
MAX_PERIODS = MAX_MONTHS
#: A horizon within this relative distance of a whole number of periods is that number.
_SNAP = 1e-9


@attrs.frozen
class CLVCashFlows(JsonMixin):
    """Expected cash flows per customer and period (see :func:`clv_cash_flows`).

    Attributes
    ----------
    customer_id
        Customer ids (from a :class:`~custvalue.summary.CustomerSummary`), else positions
        ``0 .. n-1`` of the flattened input; shape ``(n,)``.
    period_start, period_end
        Start and end of each period in the model's time unit, shape ``(k,)``; the last
        period ends at the horizon (it is shorter if the horizon is not a whole number of
        periods).
    expected_transactions
        Expected transactions in each period, ``E[X(end)] - E[X(start)]``, shape ``(n, k)``.
    expected_spend
        Expected spend in each period (currency): transactions times expected spend per
        transaction, shape ``(n, k)``.
    discount_factor
        Effective discount factor of each period (discounted / undiscounted), shape ``(n, k)``.
    discounted_value
        Present value of each period's spend (currency), the exact integral of the
        continuously discounted spend over the period, shape ``(n, k)``.
    discount_rate
        Continuously compounded discount rate per time unit.
    time_unit
        The models' time unit, or None.
    """

    customer_id: NDArray[Any] = attrs.field(converter=readonly_ids, eq=ARRAY_EQ)
    period_start: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    period_end: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    expected_transactions: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    expected_spend: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    discount_factor: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    discounted_value: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    discount_rate: float
    time_unit: str | None

    def __attrs_post_init__(self) -> None:
        k = self.period_start.shape
        if self.period_start.ndim != 1 or self.period_end.shape != k:
            raise InvalidInputError(
                f"period_start and period_end must be 1-D of one length; got {k} and "
                f"{self.period_end.shape}"
            )
        if self.customer_id.ndim != 1:
            raise InvalidInputError(f"customer_id must be 1-D; got {self.customer_id.shape}")
        shape = (self.customer_id.shape[0], k[0])
        for name in ("expected_transactions", "expected_spend", "discount_factor",
                     "discounted_value"):  # fmt: skip
            arr = getattr(self, name)
            if arr.shape != shape:
                raise InvalidInputError(f"{name} must have shape {shape}; got {arr.shape}")
        fail_at("period_end", "must be > period_start", self.period_end,
                ~(self.period_end > self.period_start))  # fmt: skip

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.customer_id.shape[0])

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.period_start.shape[0])

    @property
    def clv(self) -> FloatArray:
        """CLV per customer: the discounted values summed over the periods, shape ``(n,)``."""
        out: FloatArray = self.discounted_value.sum(axis=1)
        return out

    def to_columns(self, layout: str = "long") -> Columns:
        """The table.

        ``layout="long"`` (default): one row per customer and period, columns
        ``customer_id``, ``period`` (1, 2, ...), ``discounted_value``,
        ``expected_transactions``, ``expected_spend``, ``discount_factor``, ``period_start``,
        ``period_end``. ``layout="wide"``: one row per customer, ``customer_id`` then the
        discounted value of each period (``value_1``, ``value_2``, ...).
        """
        n, k = self.discounted_value.shape
        if check_layout(layout) == "wide":
            cols: dict[str, Any] = {"customer_id": self.customer_id}
            for j in range(k):
                cols[f"value_{j + 1}"] = self.discounted_value[:, j]
            return freeze_columns(cols)
        return freeze_columns(
            {
                "customer_id": np.repeat(self.customer_id, k),
                "period": np.tile(np.arange(1, k + 1), n),
                "discounted_value": self.discounted_value.reshape(-1),
                "expected_transactions": self.expected_transactions.reshape(-1),
                "expected_spend": self.expected_spend.reshape(-1),
                "discount_factor": self.discount_factor.reshape(-1),
                "period_start": np.tile(self.period_start, n),
                "period_end": np.tile(self.period_end, n),
            }
        )

    def _caption(self) -> str:
        unit = "" if self.time_unit is None else f" {self.time_unit}"
        end = float(self.period_end[-1]) if self.n_periods else 0.0
        return (
            f"expected cash flows of {self.n_customers} customers over {self.n_periods} "
            f"periods (horizon {end:g}{unit}); total discounted value "
            f"{float(self.discounted_value.sum()):,.2f}"
        )

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), self._caption())

    def __repr__(self) -> str:
        return columns_repr(
            self, self.to_columns(), n_customers=self.n_customers, n_periods=self.n_periods
        )


def _period_length(periods: Duration, unit: str | None) -> float:
    if isinstance(periods, str) and periods.strip() in UNIT_DAYS:
        periods = "1" + periods.strip()  # "M" is one month
    value = as_times(periods, unit, "periods")
    if isinstance(value, (int, float, np.integer, np.floating)) and not (
        math.isfinite(value) and value > 0
    ):
        raise InvalidInputError(f"periods must be a finite duration > 0; got {periods!r}")
    return as_scalar(value, "periods", lower=0, lower_inclusive=False)


def clv_cash_flows(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    frequency: ArrayLike | CustomerSummary,
    recency: ArrayLike | None = None,
    T: ArrayLike | None = None,
    monetary_value: ArrayLike | None = None,
    *,
    periods: Duration = "M",
    horizon: Duration = "24M",
    annual_discount_rate: float | None = None,
    discount_rate: float | None = None,
    time_unit: TimeUnit | None = None,
) -> CLVCashFlows:
    """Customer lifetime value as expected cash flows per customer and period.

    The periods are ``(0, p], (p, 2p], ...`` after each customer's observation window, up to
    the horizon (the last one shorter if the horizon is not a multiple of ``p``). For each:
    expected transactions ``E[X(t1)] - E[X(t0)]``, expected spend (times
    ``spend_model.expected_spend``), discounted value ``E[spend] (DET(t1) - DET(t0))`` (the
    exact continuously discounted integral over the period, so the periods sum to
    :func:`~custvalue.clv.customer_lifetime_value` at the same horizon and rate), and the
    effective discount factor (see the module notes).

    Parameters
    ----------
    transaction_model, spend_model, frequency, recency, T, monetary_value, time_unit
        As in :func:`~custvalue.clv.customer_lifetime_value`.
    periods
        Length of one period: a duration (``"M"`` or ``"1M"`` = 365.25 / 12 days, ``"W"``,
        ``"3M"``, ``"90D"``, a timedelta) or a number in the model's time unit; > 0.
    horizon
        Total length, finite and > 0 (default ``"24M"``); at most 12,000 periods.
    annual_discount_rate, discount_rate
        Give exactly one, as in :func:`~custvalue.clv.customer_lifetime_value` (``0`` for no
        discounting).

    Returns
    -------
    CLVCashFlows
        Arrays of shape ``(n_customers, n_periods)``; ``to_columns()`` / ``to_frame`` give
        the long table (one row per customer and period).

    Raises
    ------
    InvalidInputError
        Invalid histories or spends, a period or horizon that is not a finite positive
        duration, more than 12,000 periods, both or neither rate, a duration or annual rate
        without a time unit, or models and data in different units.

    Examples
    --------
    >>> from custvalue.clv import (BetaGeo, BetaGeoParams, GammaGamma, GammaGammaParams,
    ...     clv_cash_flows)
    >>> bg = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), time_unit="W")
    >>> gg = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44), time_unit="W")
    >>> flows = clv_cash_flows(bg, gg, [2, 0], [30.43, 0.0], [38.86, 38.86], [35.0, 0.0],
    ...     periods="M", horizon="12M", annual_discount_rate=0.1)
    >>> flows.discounted_value.shape
    (2, 12)
    >>> flows.clv.round(2)
    array([52.42,  8.51])
    """
    rest = {"recency": recency, "T": T, "monetary_value": monetary_value}
    ids, unit, (x, t_x, age, _, spend), h, delta = flat_clv_inputs(
        transaction_model, spend_model, frequency, rest, horizon, discount_rate,
        annual_discount_rate, time_unit,
    )  # fmt: skip
    if not (math.isfinite(h) and h > 0):
        raise InvalidInputError(f"horizon must be finite and > 0 for a cash-flow table; got {h!r}")
    p = _period_length(periods, unit)
    ratio = h / p
    k = math.ceil(ratio)
    if k - ratio <= _SNAP * ratio:  # a whole number of periods up to rounding
        k = max(1, round(ratio))
    if k > MAX_PERIODS:
        raise InvalidInputError(
            f"periods: at most {MAX_PERIODS} periods in a table; horizon {h:g} / period "
            f"{p:g} gives {k}"
        )
    ends = np.minimum(np.arange(1, k + 1) * p, h)
    ends[-1] = h
    starts = np.concatenate([[0.0], ends[:-1]])

    n = x.size
    (xu, tu, Tu), inverse = _distinct_histories(x, t_x, age)
    cum_e = np.zeros((k + 1, xu.size))
    cum_d = np.zeros((k + 1, xu.size))
    if xu.size:
        e = transaction_model.expected_purchases(ends[:, None], xu, tu, Tu)
        cum_e[1:] = checked(np.broadcast_to(e, (k, xu.size)), xu.size)
        for j, end in enumerate(ends):
            cum_d[j + 1] = discounted_expected_transactions(
                transaction_model, xu, tu, Tu, horizon=float(end), discount_rate=delta
            )
    trans_u = np.diff(cum_e, axis=0).T  # (n_unique, k)
    det_u = np.diff(cum_d, axis=0).T
    low = np.exp(-delta * ends)
    high = np.exp(-delta * starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor_u = np.where(trans_u > 0, det_u / trans_u, low)
    factor_u = np.clip(factor_u, low, high)
    transactions = trans_u[inverse]
    return CLVCashFlows(
        customer_id=np.arange(n) if ids is None else ids,
        period_start=starts,
        period_end=ends,
        expected_transactions=transactions,
        expected_spend=spend[:, None] * transactions,
        discount_factor=factor_u[inverse],
        discounted_value=spend[:, None] * det_u[inverse],
        discount_rate=delta,
        time_unit=unit,
    )
