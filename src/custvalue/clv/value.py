"""Discounted customer lifetime value from a transaction model and a spend model.

``CLV_i = E[spend per transaction_i] * DET_i(h)``, where the discounted expected transactions

    DET(h) = integral_0^h exp(-delta s) dE[X(s) | history]

are computed by numerically exact quadrature (``h = inf`` gives DERT, the discounted expected
residual transactions). :func:`lifetimes_customer_lifetime_value` reproduces the monthly-step
formula of the ``lifetimes`` package for users migrating from it.

Units
-----
``horizon`` is in the time unit of the data the transaction model was fitted on (weeks if
``T`` is in weeks), or a duration (``"12M"``, ``"1Y"``, ``"90D"``, a timedelta) converted to
the model's ``time_unit``. ``discount_rate`` is the continuously compounded rate *per that
same time unit* (delta): an annual rate ``d`` on weekly data is ``ln(1 + d) / 52``, see
:func:`continuous_discount_rate`; or give ``annual_discount_rate=d`` and let the model's unit
do the conversion. A :class:`~custvalue.summary.CustomerSummary` or ``time_unit=`` whose unit
differs from a model's is an error naming both units.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis", Journal of Marketing Research 42(4), 415-430 (DERT, eq. 2).
"""

from __future__ import annotations

import math
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._collapse import group_rows, rank_values, repetition_pays
from custvalue._validation import as_scalar, broadcast_arrays, fail_at, validate_history
from custvalue.clv import _bgnbd_kernels as bgnbd_kernels
from custvalue.clv._inputs import as_times, checked_input, resolve_time_unit
from custvalue.clv._quadrature import (
    CHUNK_ELEMENTS,
    KAPPA,
    TAIL_EFOLDS,
    checked,
    gauss_legendre,
    time_of_u,
)
from custvalue.clv._quadrature import n_nodes as order_for
from custvalue.clv.bgnbd import BetaGeo
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import Duration, TimeUnit, time_unit_days

__all__ = [
    "SpendModel",
    "TransactionModel",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "discounted_expected_transactions",
    "lifetimes_customer_lifetime_value",
]

FloatArray = NDArray[np.float64]

#: Time units per month used by lifetimes' ``customer_lifetime_value`` (its ``freq`` argument).
LIFETIMES_UNITS_PER_MONTH: dict[str, float] = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 720.0}


class TransactionModel(Protocol):
    """Anything that predicts cumulative expected purchases given a customer history.

    ``expected_purchases(t, frequency, recency, T)`` must broadcast over its arguments and
    return E[X(t) | x, t_x, T], the expected number of purchases in ``(T, T + t]``.
    """

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray: ...


class SpendModel(Protocol):
    """Anything that predicts the expected spend per transaction given a history."""

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray: ...


#: Longest horizon of :func:`lifetimes_customer_lifetime_value` (1,000 years of monthly steps).
MAX_MONTHS = 12_000


def continuous_discount_rate(annual_rate: float, periods_per_year: float) -> float:
    """Continuously compounded rate per time unit equivalent to an annual effective rate.

    ``ln(1 + annual_rate) / periods_per_year``; e.g. 10% a year on weekly data is
    ``continuous_discount_rate(0.10, 52) = 0.001833`` per week.

    Examples
    --------
    >>> round(continuous_discount_rate(0.10, 52), 6)
    0.001833
    """
    d = as_scalar(annual_rate, "annual_rate", lower=-1, lower_inclusive=False)
    k = as_scalar(periods_per_year, "periods_per_year", lower=0, lower_inclusive=False)
    rate = math.log1p(d) / k
    if not math.isfinite(rate):
        raise InvalidInputError(
            f"the rate per time unit overflows (annual_rate {d!r}, periods_per_year {k!r})"
        )
    return rate


def _rate_per_unit(
    discount_rate: float | None, annual_discount_rate: float | None, unit: str | None
) -> float:
    """The continuous discount rate per time unit from exactly one of the two arguments."""
    if (discount_rate is None) == (annual_discount_rate is None):
        raise InvalidInputError(
            "give exactly one of discount_rate (continuously compounded, per model time unit) "
            "and annual_discount_rate (effective per year); got "
            + ("both" if discount_rate is not None else "neither")
        )
    if annual_discount_rate is None:
        return discount_rate  # type: ignore[return-value]  # checked by the caller
    if unit is None:
        raise InvalidInputError(
            f"annual_discount_rate={annual_discount_rate!r} needs the time unit of the data, "
            "but the model has none (fitted from bare arrays): pass time_unit=, or give "
            "discount_rate per time unit (see continuous_discount_rate)"
        )
    return continuous_discount_rate(annual_discount_rate, 365.25 / time_unit_days(unit))


def _resolve(
    model: Any,
    first: Any,
    rest: dict[str, Any],
    horizon: Duration,
    discount_rate: float | None,
    annual_discount_rate: float | None,
    time_unit: TimeUnit | None,
) -> tuple[tuple[Any, ...], str | None, float, float]:
    """Columns (from arrays or a summary, unit-checked against ``model``), the unit of the
    call, the horizon and the continuous rate, both in that unit."""
    columns, unit = checked_input(model, first, rest, first_name="frequency", time_unit=time_unit)
    h = as_times(horizon, unit, "horizon")
    return columns, unit, h, _rate_per_unit(discount_rate, annual_discount_rate, unit)


def discounted_expected_transactions(
    transaction_model: TransactionModel,
    frequency: ArrayLike | CustomerSummary,
    recency: ArrayLike | None = None,
    T: ArrayLike | None = None,
    *,
    horizon: Duration,
    discount_rate: float | None = None,
    annual_discount_rate: float | None = None,
    time_unit: TimeUnit | None = None,
    n_nodes: int | None = None,
) -> FloatArray:
    """Discounted expected transactions DET(h) = integral_0^h exp(-delta s) dE[X(s)|history].

    Integration by parts gives ``exp(-delta h) E[X(h)] + delta integral_0^h exp(-delta s)
    E[X(s)] ds``; the integral is evaluated by Gauss-Legendre quadrature in the variable
    ``u = ln(1 + s/T_i) + delta s / 4``, which grades the nodes geometrically on the scale of the
    customer's age ``T_i`` (where BG/NBD-type predictions have their nearest singularity,
    ``s = -(alpha + T_i)``) and linearly on the discounting scale ``1/delta``. The order is
    chosen for ~1e-15 relative accuracy (tests check 1e-10 against ``scipy.integrate.quad``).
    The integral is truncated where ``delta s = 50`` (``horizon = inf`` gives DERT).
    Identical histories are evaluated once.

    Parameters
    ----------
    transaction_model
        Any model with ``expected_purchases(t, frequency, recency, T)``.
    frequency, recency, T
        Customer histories in the model's time unit (``recency`` is the BG/NBD ``t_x``); or a
        :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (omit the others).
    horizon
        Length of the future window, in the model's time unit; ``>= 0`` or ``math.inf``; or
        a duration (``"12M"``, ``"1Y"``, ``"90D"``, ``"inf"``, a timedelta) converted to the
        model's ``time_unit``.
    discount_rate
        Continuously compounded discount rate delta per model time unit, finite and ``>= 0``
        (``> 0`` when ``horizon`` is infinite).
    annual_discount_rate
        Alternative to ``discount_rate`` (give exactly one): the effective rate per year
        ``d``, converted to ``ln(1 + d) * (unit length in days) / 365.25`` per time unit;
        needs a unit (the model's, the summary's or ``time_unit=``).
    time_unit
        Optional unit of the histories, checked against the model's ``time_unit``.
    n_nodes
        Quadrature order (default: automatic).

    Returns
    -------
    numpy.ndarray
        DET per customer (expected transactions, discounted), broadcast shape of the inputs.
    """
    columns, _, horizon, discount_rate = _resolve(
        transaction_model, frequency, {"recency": recency, "T": T}, horizon, discount_rate,
        annual_discount_rate, time_unit,
    )  # fmt: skip
    x, t_x, age = validate_history(*columns)
    shape = x.shape
    h, delta = _check_horizon_rate(horizon, discount_rate)
    if n_nodes is not None and (
        isinstance(n_nodes, bool) or int(n_nodes) != n_nodes or n_nodes < 1
    ):
        raise InvalidInputError(f"n_nodes must be a positive integer; got {n_nodes!r}")
    if x.size == 0:  # no customers: nothing to integrate
        return np.zeros(shape)
    # A model may evaluate DET its own way (a closed form, a discrete-time sum, a faster
    # quadrature): ``_discounted_transactions(x, t_x, T, horizon, delta, n_nodes)`` on flat
    # arrays returns the values, or None to use the generic quadrature below.
    own = getattr(transaction_model, "_discounted_transactions", None)
    if own is not None:
        got = own(x.reshape(-1), t_x.reshape(-1), age.reshape(-1), h, delta, n_nodes)
        if got is not None:
            result_own: FloatArray = np.asarray(got, dtype=np.float64).reshape(shape)
            return result_own
    (xu, tu, Tu), inverse = _distinct_histories(x, t_x, age)
    out = np.empty(xu.size)
    if h == 0.0:
        out[:] = 0.0
    elif delta == 0.0:
        out = checked(transaction_model.expected_purchases(h, xu, tu, Tu), xu.size)
    else:
        # Beyond delta s = 50 the discounted integrand is below e^-50 (E grows polynomially):
        # truncate there, for infinite horizons and long finite ones alike.
        s_end = min(h, TAIL_EFOLDS / delta)
        # Nodes and weights depend on the customer only through T: compute them once per
        # distinct T (few, in data recorded by date), then gather.
        c_index, n_c = rank_values(Tu)
        c_values = np.empty(n_c)
        c_values[c_index] = Tu
        # The map's scale is the customer's age; a customer of age 0 (first seen on the last
        # day) gets a small positive scale instead, which only refines the grid near s = 0.
        c_values = np.maximum(c_values, 1e-6 * s_end)
        u_end = np.log1p(s_end / c_values) + delta * s_end / KAPPA
        n = n_nodes if n_nodes is not None else order_for(float(np.max(u_end)))
        nodes, weights = gauss_legendre(int(n))
        u = nodes[:, None] * u_end[None, :]
        s_c, ds_du = time_of_u(u, np.broadcast_to(c_values, u.shape), delta)
        # delta * integral_0^h exp(-delta s) E(s) ds = sum_k w_c[k] E(s_c[k])
        w_c = delta * weights[:, None] * np.exp(-delta * s_c) * ds_du * u_end[None, :]
        if math.isfinite(h):  # + exp(-delta h) E(h): one more "node" at s = h
            s_c = np.vstack([s_c, np.full((1, n_c), h)])
            w_c = np.vstack([w_c, np.full((1, n_c), math.exp(-delta * h))])
        chunk = max(1, CHUNK_ELEMENTS // s_c.shape[0])
        for lo in range(0, xu.size, chunk):
            sl = slice(lo, lo + chunk)
            idx = c_index[sl]
            e = transaction_model.expected_purchases(s_c[:, idx], xu[sl], tu[sl], Tu[sl])
            out[sl] = np.einsum("kn,kn->n", w_c[:, idx], checked(e, idx.size))
    result: FloatArray = out[inverse].reshape(shape)
    return result


def _distinct_histories(
    x: FloatArray, t_x: FloatArray, age: FloatArray
) -> tuple[tuple[FloatArray, FloatArray, FloatArray], NDArray[np.intp]]:
    """The distinct ``(x, t_x, T)`` rows and each customer's row, flattened.

    Grouping costs up to ~0.5 us per customer; where a sample shows little repetition (e.g.
    event times on no grid) every customer is its own row instead.
    """
    columns = (x.reshape(-1), t_x.reshape(-1), age.reshape(-1))
    if columns[0].size >= bgnbd_kernels.GROUP_MIN and not repetition_pays(*columns):
        return columns, np.arange(columns[0].size)
    unique, inverse = group_rows(*columns)
    return (unique[0], unique[1], unique[2]), inverse


def _check_horizon_rate(horizon: float, discount_rate: float) -> tuple[float, float]:
    h = as_scalar(horizon, "horizon", lower=0, allow_inf=True)
    delta = as_scalar(discount_rate, "discount_rate", lower=0)
    if math.isinf(h) and delta == 0.0:
        raise InvalidInputError(
            "discount_rate must be > 0 when horizon is infinite (undiscounted expected "
            "residual transactions are infinite)"
        )
    return h, delta


def _history_and_spend(
    spend_model: SpendModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    x, t_x, age = validate_history(frequency, recency, T)
    spend = np.asarray(spend_model.expected_spend(x, monetary_value), dtype=np.float64)
    x, t_x, age, spend = broadcast_arrays(
        {"frequency": x, "recency": t_x, "T": age, "monetary_value": spend}
    )
    fail_at("expected spend", "must be finite", spend, ~np.isfinite(spend))
    return x, t_x, age, spend


def flat_clv_inputs(
    transaction_model: Any,
    spend_model: Any,
    frequency: Any,
    rest: dict[str, Any],
    horizon: Duration,
    discount_rate: float | None,
    annual_discount_rate: float | None,
    time_unit: TimeUnit | None,
) -> tuple[Any, str | None, tuple[FloatArray, ...], float, float]:
    """The inputs of a CLV call, checked, for results that tabulate customers (clv_interval,
    clv_cash_flows): the summary's customer ids (or None), the unit, the flattened
    ``(x, t_x, T, monetary_value, expected spend)``, the horizon and the rate."""
    ids = frequency.customer_id if isinstance(frequency, CustomerSummary) else None
    columns, unit, horizon, rate = _resolve(
        transaction_model, frequency, rest, horizon, discount_rate, annual_discount_rate,
        time_unit,
    )  # fmt: skip
    resolve_time_unit(spend_model, unit, "the transaction model's data")
    h, delta = _check_horizon_rate(horizon, rate)
    x, t_x, age, spend = _history_and_spend(spend_model, *columns)
    m = np.broadcast_to(np.asarray(columns[3], dtype=np.float64), x.shape)
    flat = tuple(np.ascontiguousarray(a).reshape(-1) for a in (x, t_x, age, m, spend))
    return ids, unit, flat, h, delta


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    frequency: ArrayLike | CustomerSummary,
    recency: ArrayLike | None = None,
    T: ArrayLike | None = None,
    monetary_value: ArrayLike | None = None,
    *,
    horizon: Duration,
    discount_rate: float | None = None,
    annual_discount_rate: float | None = None,
    time_unit: TimeUnit | None = None,
    n_nodes: int | None = None,
) -> FloatArray:
    """Discounted customer lifetime value with continuous discounting.

    ``CLV_i = spend_model.expected_spend(x_i, m_i) * DET_i(horizon)`` where
    ``DET(h) = integral_0^h exp(-discount_rate * s) dE[X(s) | x, t_x, T]`` (see
    :func:`discounted_expected_transactions`; ``horizon=math.inf`` gives
    ``E[spend] * DERT``). The value is in the currency of ``monetary_value``.

    Parameters
    ----------
    transaction_model
        Fitted purchase model with ``expected_purchases(t, frequency, recency, T)``
        (e.g. :class:`~custvalue.clv.BetaGeo`).
    spend_model
        Fitted spend model with ``expected_spend(frequency, monetary_value)``
        (e.g. :class:`~custvalue.clv.GammaGamma`).
    frequency, recency, T
        Customer histories **in the time unit the transaction model was fitted on**;
        ``recency`` is the time of the last purchase since the first (BG/NBD ``t_x``). Or a
        :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (omit ``recency``,
        ``T`` and ``monetary_value``), whose unit is checked against the models'.
    monetary_value
        Mean value of the repeat transactions (currency), as for the spend model.
    horizon
        Future window length **in the transaction model's time unit** (52 = one year on
        weekly data); ``>= 0`` or ``math.inf``; or a duration (``"12M"``, ``"1Y"``,
        ``"90D"``, ``"inf"``, a timedelta) converted to the model's ``time_unit``.
    discount_rate
        Continuously compounded discount rate **per that same time unit**, finite, ``>= 0``
        (``> 0`` if the horizon is infinite). Convert an annual effective rate with
        :func:`continuous_discount_rate` (10% a year on weekly data: ``ln(1.1)/52``).
    annual_discount_rate
        Alternative to ``discount_rate`` (give exactly one): the effective rate per year,
        converted with the model's time unit (or the summary's, or ``time_unit=``).
    time_unit
        Optional unit of the histories; a transaction or spend model with another
        ``time_unit`` is an error naming both.
    n_nodes
        Quadrature order (default: automatic, ~1e-15 relative accuracy).

    Returns
    -------
    numpy.ndarray
        CLV per customer, broadcast shape of the inputs.

    Raises
    ------
    InvalidInputError
        On invalid histories, spends, horizon or rate, non-finite model predictions, both or
        neither of ``discount_rate`` and ``annual_discount_rate``, a duration or annual rate
        without a time unit, or models and data in different units (naming both units).

    Examples
    --------
    >>> import math
    >>> from custvalue.clv import (GammaGamma, GammaGammaParams, continuous_discount_rate,
    ...     customer_lifetime_value)
    >>> class Poisson:  # a toy transaction model: 0.5 purchases per week
    ...     def expected_purchases(self, t, frequency, recency, T):
    ...         return 0.5 * t + 0 * frequency
    >>> spend = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
    >>> clv = customer_lifetime_value(Poisson(), spend, [2], [30.0], [39.0], [20.0],
    ...     horizon=math.inf, discount_rate=continuous_discount_rate(0.1, 52))
    >>> clv.round(2)  # = E[spend] * 0.5 / delta, the closed form for a constant rate
    array([6202.29])
    """
    rest = {"recency": recency, "T": T, "monetary_value": monetary_value}
    columns, unit, horizon, discount_rate = _resolve(
        transaction_model, frequency, rest, horizon, discount_rate, annual_discount_rate,
        time_unit,
    )  # fmt: skip
    resolve_time_unit(spend_model, unit, "the transaction model's data")
    x, t_x, age, spend = _history_and_spend(spend_model, *columns)
    det = discounted_expected_transactions(
        transaction_model, x, t_x, age, horizon=horizon, discount_rate=discount_rate,
        n_nodes=n_nodes,
    )  # fmt: skip
    out: FloatArray = spend * det
    return out


def lifetimes_customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    freq: Literal["W", "M", "D", "H"] = "D",
) -> FloatArray:
    """CLV by lifetimes' monthly-step formula, for users migrating from ``lifetimes``.

    Reproduces ``lifetimes.GammaGammaFitter.customer_lifetime_value(model, frequency, recency,
    T, monetary_value, time=months, discount_rate=monthly_discount_rate, freq=freq)`` (to
    ~1e-12 relative at equal parameters):
    ``sum_{i=1..months} E[spend] (E[X(i f)] - E[X((i-1) f)]) / (1 + monthly_discount_rate)^i``,
    where ``f`` is the number of data time units per month: 4.345 for ``"W"``, 1 for ``"M"``,
    30 for ``"D"``, 720 for ``"H"`` (lifetimes' constants; note 4.345 weeks is not a calendar
    month). ``E[X(0)] = 0`` by definition, so the model is called at the ``months`` month
    ends only. Prefer :func:`customer_lifetime_value`, whose units are explicit and whose
    discounting is exact.

    Parameters
    ----------
    months
        Number of monthly steps (lifetimes' ``time``), a whole number >= 0.
    monthly_discount_rate
        Discount rate per month (effective, discrete compounding), finite, >= 0.
    freq
        Time unit of ``T`` and ``recency``, as lifetimes' ``freq``; for ``"W"``, ``"M"``,
        ``"D"`` it must agree with the transaction model's ``time_unit`` if it has one.
    """
    if freq not in LIFETIMES_UNITS_PER_MONTH:
        raise InvalidInputError(
            f"freq must be one of {sorted(LIFETIMES_UNITS_PER_MONTH)}; got {freq!r}"
        )
    if freq != "H":  # hours are not a custvalue time unit; the others are checked
        resolve_time_unit(transaction_model, freq, "freq=")
    n_months = as_scalar(months, "months", lower=0, upper=MAX_MONTHS, integer=True)
    rate = as_scalar(monthly_discount_rate, "monthly_discount_rate", lower=0)
    factor = LIFETIMES_UNITS_PER_MONTH[freq]
    x, t_x, age, spend = _history_and_spend(spend_model, frequency, recency, T, monetary_value)
    shape = x.shape
    (xu, tu, Tu), inverse = _distinct_histories(x, t_x, age)
    steps = np.arange(1, int(n_months) + 1)
    times = steps * (int(factor) if factor.is_integer() else factor)  # as lifetimes computes
    det = np.zeros(xu.size)
    if steps.size:
        # cum[k] = E[X(times[k] - factor)], cum[k + 1] = E[X(times[k])]; E[X(0)] = 0 by
        # definition (no window, no purchases), so the model is called at the months only.
        grid = times.astype(np.float64)
        cum = np.zeros((steps.size + 1, xu.size))
        if type(transaction_model) is BetaGeo:  # validated already: skip the 2-D broadcast copies
            e = bgnbd_kernels.expected_purchases_conditional(
                grid[:, None], xu, tu, Tu, *transaction_model.params.as_array()
            )
        else:
            e = transaction_model.expected_purchases(grid[:, None], xu, tu, Tu)
        cum[1:] = checked(e, xu.size)
        # (1 + rate)^i overflows for huge rates: that month is then worth 0 (the limit)
        with np.errstate(over="ignore"):
            for k, t in enumerate(times):
                det = det + (cum[k + 1] - cum[k]) / (1.0 + rate) ** (t / factor)
    out: FloatArray = spend * det[inverse].reshape(shape)
    return out
