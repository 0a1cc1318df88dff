"""Plots of a purchase model (e.g. BetaGeo) and its data."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._frames import accepts_data
from custvalue._transactions import (
    coerce_date_scalar,
    coerce_dates,
    coerce_ids,
    repeat_purchase_days,
)
from custvalue._validation import as_count, as_float_array, as_scalar
from custvalue.clv._inputs import as_times, checked_input, resolve_time_unit
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.plot._common import Axes, FloatArray, axes_or_current, model_method
from custvalue.summary import CustomerSummary, time_unit_days, time_unit_label
from custvalue.time_units import Duration, TimeUnit

if TYPE_CHECKING:
    from custvalue.clv.evaluation import HoldoutReport

__all__ = [
    "plot_frequency_recency_matrix",
    "plot_holdout_by_frequency",
    "plot_probability_alive_calibration",
    "plot_probability_alive_history",
    "plot_probability_alive_matrix",
    "plot_repeat_purchase_histogram",
    "plot_transaction_tracking",
]


def _units_text(unit: str | None) -> str:
    return "time units" if unit is None else f"time units ({unit})"


# ------------------------------------------------------------------ frequency / recency matrices
def _fr_matrix(
    model: Any,
    method: str,
    age: float,
    max_frequency: int,
    n_recency: int | None,
    extra: tuple[float, ...],
) -> tuple[np.ma.MaskedArray[Any, Any], FloatArray, NDArray[np.int64]]:
    k = as_count(max_frequency, "max_frequency", minimum=1)
    n = (
        min(math.floor(age) + 1, 101)
        if n_recency is None
        else as_count(n_recency, "n_recency", minimum=2)
    )
    recency = np.linspace(0.0, age, n)
    frequency = np.arange(k + 1, dtype=np.int64)
    x, t_x = np.meshgrid(frequency, recency, indexing="ij")
    impossible = (x == 0) & (t_x > 0)  # no repeat purchase => t_x = 0
    t_x = np.where(impossible, 0.0, t_x)
    values = np.asarray(model_method(model, method)(*extra, x, t_x, age), dtype=np.float64)
    return np.ma.masked_array(values, mask=impossible), recency, frequency


def _draw_matrix(
    ax: Axes,
    values: np.ma.MaskedArray[Any, Any],
    recency: FloatArray,
    frequency: NDArray[np.int64],
    title: str,
    label: str,
    vmin: float | None,
    vmax: float | None,
    unit: str | None,
) -> Axes:
    step = recency[1] - recency[0]
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(
            -step / 2,
            recency[-1] + step / 2,
            frequency[0] - 0.5,
            frequency[-1] + 0.5,
        ),
        vmin=vmin,
        vmax=vmax,
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(f"recency t_x (time of last purchase since the first, {_units_text(unit)})")
    ax.set_ylabel("frequency x (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_frequency_recency_matrix(
    model: Any,
    T: Duration,
    *,
    horizon: Duration = 1.0,
    time_unit: TimeUnit | None = None,
    max_frequency: int = 20,
    n_recency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of expected purchases in the next ``horizon`` by frequency and recency.

    Every cell is a customer of age ``T`` with history ``(x, t_x)``; cells with ``x = 0`` and
    ``t_x > 0`` cannot occur and are left blank.

    Parameters
    ----------
    model
        Anything with ``expected_purchases(t, frequency, recency, T)``, e.g. a fitted
        :class:`~custvalue.clv.BetaGeo`.
    T
        Customer age (> 0) in the model's time unit, or a duration (``"1Y"``, a timedelta)
        converted to it.
    horizon
        Length of the future window (> 0), same unit or a duration.
    time_unit
        Optional unit the numbers are meant in, checked against the model's ``time_unit``
        (a mismatch raises instead of plotting a wrongly scaled matrix).
    max_frequency
        Largest frequency shown (rows ``0 .. max_frequency``).
    n_recency
        Number of recency columns, evenly spaced on ``[0, T]`` (default: one per time unit,
        at most 101).
    ax
        Axes to draw on (default: current Axes).

    Returns
    -------
    matplotlib.axes.Axes
        With one image (rows = frequency, columns = recency) and a colorbar.
    """
    unit = resolve_time_unit(model, time_unit, "time_unit=")
    h = as_scalar(as_times(horizon, unit, "horizon"), "horizon", lower=0, lower_inclusive=False)
    age = as_scalar(as_times(T, unit, "T"), "T", lower=0, lower_inclusive=False)
    values, recency, frequency = _fr_matrix(
        model, "expected_purchases", age, max_frequency, n_recency, (h,)
    )
    title = f"Expected purchases in the next {h:g} {_units_text(unit)} (age T = {age:g})"
    return _draw_matrix(
        axes_or_current(ax), values, recency, frequency, title, "expected purchases", 0.0, None,
        unit,
    )  # fmt: skip


def plot_probability_alive_matrix(
    model: Any,
    T: Duration,
    *,
    time_unit: TimeUnit | None = None,
    max_frequency: int = 20,
    n_recency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of P(alive at T) by frequency and recency (colour scale 0 to 1).

    Parameters are those of :func:`plot_frequency_recency_matrix`; ``model`` needs
    ``probability_alive(frequency, recency, T)``.
    """
    unit = resolve_time_unit(model, time_unit, "time_unit=")
    age = as_scalar(as_times(T, unit, "T"), "T", lower=0, lower_inclusive=False)
    values, recency, frequency = _fr_matrix(
        model, "probability_alive", age, max_frequency, n_recency, ()
    )
    title = f"Probability alive by frequency and recency (age T = {age:g} {_units_text(unit)})"
    return _draw_matrix(
        axes_or_current(ax), values, recency, frequency, title, "P(alive)", 0.0, 1.0, unit
    )


# ------------------------------------------------------------------ calibration / holdout
def _report(value: Any) -> HoldoutReport | None:
    from custvalue.clv.evaluation import HoldoutReport

    return value if isinstance(value, HoldoutReport) else None


def _draw_tracking(
    axes: Axes,
    actual: FloatArray,
    expected: FloatArray,
    calibration_x: float,
    start: int,
    time_unit: str,
    kind: str,
) -> Axes:
    if kind == "incremental":
        actual = np.diff(actual, prepend=0.0)
        expected = np.diff(expected, prepend=0.0)
    k = np.arange(1, actual.size + 1)
    axes.plot(k, actual, color="black", label="actual")
    axes.plot(k, expected, color="tab:blue", linestyle="--", label="model")
    axes.axvline(calibration_x, color="grey", linestyle=":", label="calibration end")
    axes.set_xlabel(f"time since {np.datetime64(start, 'D')} ({time_unit_label(time_unit)})")
    axes.set_ylabel("repeat transactions" + (" (cumulative)" if kind == "cumulative" else ""))
    axes.set_title(f"Tracking {kind} repeat transactions")
    axes.legend()
    return axes


@accepts_data("customer_id", "date")
def plot_transaction_tracking(
    model: Any,
    customer_id: ArrayLike | None = None,
    date: ArrayLike | None = None,
    *,
    calibration_end: Any = None,
    time_unit: TimeUnit | None = None,
    kind: Literal["cumulative", "incremental"] = "cumulative",
    ax: Axes | None = None,
    date_format: str | None = None,
    data: Any = None,
) -> Axes:
    """Repeat transactions over time, actual vs model, across calibration and holdout.

    Given a :class:`~custvalue.clv.HoldoutReport` (from :func:`custvalue.clv.evaluate`), draws
    its tracking table (the calibration customers, periods from the first one's first
    purchase day); omit the log and ``calibration_end``.

    Given a model and a transaction log, the actual series counts distinct (customer, day)
    purchases after each customer's first purchase day, by the end of each period of length
    ``time_unit`` from the first date of the log (whole periods only), for every customer of
    the log. The model series is the expected number of repeat purchases of the same
    customers, ``sum_i E[X(age_i)]`` with ``E[X(t)]`` the new-customer expectation
    (``model.expected_purchases_new``, FHL 2005 eq. 9) and ``age_i`` = last day of the period
    minus the customer's first purchase day (the day-resolution convention of
    ``docs/math.md``), grouped by first-purchase day (cohort). Both use the same computation
    as the report. A dotted line marks the end of calibration; the model should have been
    fitted on the calibration period only.

    Parameters
    ----------
    model
        A :class:`~custvalue.clv.HoldoutReport`, or anything with ``expected_purchases_new(t)``,
        e.g. a fitted BetaGeo (its ``time_unit`` is then the period length of the plot).
    customer_id, date
        The transaction log (whole period), as for :func:`custvalue.summarize_transactions`;
        with a model only.
    calibration_end
        Last day of the calibration period (inclusive); with a model only.
    time_unit
        The model's time unit, for a model that does not record one (``"W"``, ``"D"`` ...);
        for a model that does, it must agree (a mismatch raises
        :class:`~custvalue.errors.InvalidInputError` naming both units: it would plot a
        curve scaled by the ratio of the units). Without either, ``"W"`` is assumed with a
        ``FutureWarning`` (this default will be removed).
    kind
        ``"cumulative"`` (running totals) or ``"incremental"`` (per period).
    ax
        Axes to draw on.
    date_format
        ``strftime`` codes of text or integer dates, as for
        :func:`custvalue.summarize_transactions`.
    data
        A pandas, Polars or PyArrow frame; then ``customer_id`` and ``date`` may be column
        names in it.

    Returns
    -------
    matplotlib.axes.Axes
        Lines ``"actual"`` and ``"model"`` (x: periods since the first date, y: repeat
        transactions) and a vertical calibration line.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers" the easy way, Marketing Science
    24(2), figures 2 and 3.
    """
    from custvalue.clv.evaluation import expected_repeat_transactions, period_last_days

    if kind not in ("cumulative", "incremental"):
        raise InvalidInputError(f"kind must be 'cumulative' or 'incremental'; got {kind!r}")
    report = _report(model)
    if report is not None:
        if customer_id is not None or date is not None or calibration_end is not None:
            raise InvalidInputError(
                "customer_id, date and calibration_end must be omitted with a HoldoutReport "
                "(it holds the tracking curve)"
            )
        period = time_unit_days(report.tracking_unit)
        start = int(report.tracking_last_day[0].astype(np.int64)) - math.floor(period) + 1
        cal_end_day = int(report.calibration_end.astype(np.int64))
        return _draw_tracking(
            axes_or_current(ax),
            np.asarray(report.tracking_actual),
            np.asarray(report.tracking_expected),
            (cal_end_day - start + 1) / period,
            start,
            report.tracking_unit,
            kind,
        )
    if customer_id is None or date is None or calibration_end is None:
        raise InvalidInputError(
            "customer_id, date and calibration_end are required with a model (or pass a "
            "HoldoutReport from custvalue.clv.evaluate)"
        )
    ids = coerce_ids(customer_id, "customer_id")
    days = coerce_dates(date, "date", date_format=date_format, ids=ids)
    if ids.size != days.size or ids.size == 0:
        raise InvalidInputError(
            f"customer_id and date must be non-empty and of one length; got {ids.size}, {days.size}"
        )
    expected_new = model_method(model, "expected_purchases_new")
    model_unit = resolve_time_unit(model, time_unit, "time_unit=")
    if model_unit is None:
        warnings.warn(
            "plot_transaction_tracking: the model has no time_unit and time_unit= was not "
            "given, so weeks ('W') are assumed; pass time_unit= (or fit the model from a "
            "CustomerSummary). This default will be removed.",
            FutureWarning,
            stacklevel=2,
        )
        model_unit = "W"
    unit = time_unit_days(model_unit)
    cal_end = coerce_date_scalar(calibration_end, "calibration_end", date_format=date_format)
    start, end = int(np.min(days)), int(np.max(days))
    cut = period_last_days(start, end, unit)
    if cut.size < 1:
        raise InvalidInputError(f"the log spans less than one time unit ({model_unit!r})")
    if not start <= cal_end <= end:
        raise InvalidInputError("calibration_end must lie within the dates of the log")
    repeat, first = repeat_purchase_days(ids, days)
    actual = np.searchsorted(repeat, cut, side="right").astype(np.float64)
    expected = expected_repeat_transactions(expected_new, first, cut, unit)
    return _draw_tracking(
        axes_or_current(ax),
        actual,
        expected,
        (cal_end - start + 1) / unit,
        start,
        model_unit,
        kind,
    )


def _draw_histogram(axes: Axes, actual: FloatArray, model_counts: FloatArray) -> Axes:
    k = actual.size - 1
    bins = np.arange(k + 1)
    axes.bar(bins - 0.2, actual, width=0.4, label="actual", color="black")
    axes.bar(bins + 0.2, model_counts, width=0.4, label="model", color="tab:blue")
    axes.set_xticks(bins, [*(str(i) for i in range(k)), f"{k}+"])
    axes.set_xlabel("repeat purchases in calibration")
    axes.set_ylabel("customers")
    axes.set_title("Repeat purchases: actual vs model")
    axes.legend()
    return axes


# ------------------------------------------------------------------ repeat-purchase histogram
@accepts_data("frequency", "T")
def plot_repeat_purchase_histogram(
    model: Any,
    frequency: ArrayLike | CustomerSummary | None = None,
    T: ArrayLike | None = None,
    *,
    time_unit: TimeUnit | None = None,
    max_frequency: int = 7,
    ax: Axes | None = None,
    data: Any = None,
) -> Axes:
    """Number of customers by repeat purchases in calibration, actual vs model.

    The model count for ``n`` is ``sum_i P(X(T_i) = n)`` (FHL 2005 eq. 8, each customer at its
    own age ``T_i``); the last bin is ``max_frequency`` or more (``n_customers`` minus the
    others), so both series sum to the number of customers. Given a
    :class:`~custvalue.clv.HoldoutReport`, draws its histogram table (bins ``0 .. 6, 7+``;
    the report also holds the chi-square test).

    Parameters
    ----------
    model
        A :class:`~custvalue.clv.HoldoutReport` (then omit ``frequency`` and ``T``), or
        anything with ``probability_of_purchases(n, t)``, e.g. a fitted BetaGeo.
    frequency, T
        Repeat purchases and age of each customer (the calibration summary), shape (n,); or
        a :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (omit ``T``), whose
        unit is checked against the model's.
    time_unit
        Optional unit of ``T``, checked against the model's ``time_unit``.
    max_frequency
        The last bin, ``max_frequency+`` (with a model).
    ax
        Axes to draw on.
    data
        A pandas, Polars or PyArrow frame; then ``frequency`` and ``T`` may be column names in
        it.

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers, ``"actual"`` and ``"model"``, of ``max_frequency + 1`` bars each.
    """
    from custvalue.clv.evaluation import expected_frequency_histogram

    report = _report(model)
    if report is not None:
        if frequency is not None or T is not None:
            raise InvalidInputError("frequency and T must be omitted with a HoldoutReport")
        return _draw_histogram(
            axes_or_current(ax),
            np.asarray(report.histogram_actual),
            np.asarray(report.histogram_expected),
        )
    if frequency is None:
        raise InvalidInputError("frequency is required with a model (or pass a HoldoutReport)")
    (x_in, T_in), _ = checked_input(
        model, frequency, {"T": T}, first_name="frequency", time_unit=time_unit
    )
    x = as_float_array(x_in, "frequency", lower=0, integer=True, ndim=1)
    age = as_float_array(T_in, "T", lower=0, ndim=1)
    if x.shape != age.shape or x.size == 0:
        raise InvalidInputError(
            f"frequency and T must be non-empty and of one shape; got {x.shape}, {age.shape}"
        )
    k = as_count(max_frequency, "max_frequency", minimum=1)
    probability = model_method(model, "probability_of_purchases")
    actual = np.bincount(np.minimum(x, k).astype(np.int64), minlength=k + 1).astype(np.float64)
    return _draw_histogram(
        axes_or_current(ax), actual, expected_frequency_histogram(probability, age, k)
    )


# ------------------------------------------------------------------ holdout report plots
def _checked_report(report: Any, name: str) -> HoldoutReport:
    found = _report(report)
    if found is None:
        raise InvalidTypeError(
            f"{name}: report must be a HoldoutReport (from custvalue.clv.evaluate); got "
            f"{type(report).__name__}"
        )
    return found


def plot_holdout_by_frequency(report: Any, *, ax: Axes | None = None) -> Axes:
    """Mean holdout purchases, actual vs model, by repeat purchases in calibration.

    Draws the ``"frequency"`` table of a :class:`~custvalue.clv.HoldoutReport` (groups
    ``0 .. 6, 7+``), as lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``.

    Parameters
    ----------
    report
        A :class:`~custvalue.clv.HoldoutReport`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Lines ``"actual"`` and ``"model"`` (x: group, y: mean holdout purchases).
    """
    table = _checked_report(report, "plot_holdout_by_frequency").to_columns("frequency")
    axes = axes_or_current(ax)
    x = np.arange(table["frequency"].size)
    axes.plot(x, table["mean_actual"], color="black", marker="o", label="actual")
    axes.plot(x, table["mean_predicted"], color="tab:blue", marker="s", ls="--", label="model")
    axes.set_xticks(x, table["frequency"].tolist())
    axes.set_xlabel("repeat purchases in calibration")
    axes.set_ylabel("mean purchases in holdout")
    axes.set_title("Holdout purchases by calibration frequency")
    axes.legend()
    return axes


def plot_probability_alive_calibration(report: Any, *, ax: Axes | None = None) -> Axes:
    """Observed share with a holdout purchase against mean predicted P(alive), per decile.

    Draws the ``"calibration"`` table of a :class:`~custvalue.clv.HoldoutReport` with the
    diagonal. The share is a lower bound of the share alive (an alive customer may not buy in
    the holdout), so points below the diagonal are expected; see
    :meth:`~custvalue.clv.HoldoutReport.to_columns`.

    Parameters
    ----------
    report
        A :class:`~custvalue.clv.HoldoutReport`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        A line ``"observed"`` (one point per group) and the dashed diagonal ``"perfect"``.
    """
    table = _checked_report(report, "plot_probability_alive_calibration").to_columns("calibration")
    axes = axes_or_current(ax)
    axes.plot(
        table["mean_probability_alive"],
        table["share_with_holdout_purchase"],
        color="black",
        marker="o",
        label="observed",
    )
    axes.plot([0.0, 1.0], [0.0, 1.0], color="grey", linestyle="--", label="perfect")
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.0)
    axes.set_xlabel("mean predicted P(alive) at calibration end")
    axes.set_ylabel("share with a holdout purchase")
    axes.set_title(f"P(alive) calibration (Brier score {report.brier_score:.3f})")
    axes.legend()
    return axes


# ------------------------------------------------------------------ P(alive) of one customer
def plot_probability_alive_history(
    model: Any,
    purchase_times: ArrayLike,
    T: Duration,
    *,
    time_unit: TimeUnit | None = None,
    n_points: int = 200,
    ax: Axes | None = None,
) -> Axes:
    """P(alive) of one customer over time, from the first purchase to age ``T``.

    At each time ``t`` the history is ``x(t)`` = repeat purchases up to ``t``, ``t_x(t)`` = the
    last of them (0 if none), age ``t``. P(alive) jumps at each purchase (both sides drawn).

    Parameters
    ----------
    model
        Anything with ``probability_alive(frequency, recency, T)``.
    purchase_times
        Times of the customer's *repeat* purchases since the first purchase, in the model's
        time unit, each in ``(0, T]``, shape (k,).
    T
        Age of the customer at the end of the plot (> 0), the model's time unit, or a duration.
    time_unit
        Optional unit of the times, checked against the model's ``time_unit``.
    n_points
        Number of evenly spaced evaluation times (the purchase times are added).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line (P(alive) over time) and one dashed vertical line per repeat purchase.
    """
    unit = resolve_time_unit(model, time_unit, "time_unit=")
    age = as_scalar(as_times(T, unit, "T"), "T", lower=0, lower_inclusive=False)
    times = np.sort(as_float_array(purchase_times, "purchase_times", lower=0, ndim=1))
    if times.size and (times[0] <= 0 or times[-1] > age):
        raise InvalidInputError("purchase_times must lie in (0, T] (repeat purchases only)")
    alive = model_method(model, "probability_alive")
    grid = np.linspace(0.0, age, as_count(n_points, "n_points", minimum=2))
    # Every grid time counts the purchases up to and including it; each purchase time is also
    # drawn on both sides (left limit, then value just after), so the jump is vertical.
    t = np.concatenate([grid, times, times])
    count = np.concatenate(
        [
            np.searchsorted(times, grid, side="right"),
            np.searchsorted(times, times, side="left"),
            np.searchsorted(times, times, side="right"),
        ]
    )
    order = np.lexsort((count, t))
    t, count = t[order], count[order]
    last = np.where(count > 0, times[np.maximum(count - 1, 0)] if times.size else 0.0, 0.0)
    p = np.ones(t.size)  # at t = 0 the customer has just bought: alive
    later = t > 0
    p[later] = np.asarray(alive(count[later], last[later], t[later]), dtype=np.float64)
    axes = axes_or_current(ax)
    axes.plot(t, p, color="tab:blue", label="P(alive)")
    for when in times:
        axes.axvline(when, color="grey", linestyle="--", linewidth=0.8)
    axes.set_ylim(0.0, 1.05)
    axes.set_xlim(0.0, age)
    axes.set_xlabel(f"time since first purchase ({_units_text(unit)})")
    axes.set_ylabel("P(alive)")
    axes.set_title("P(alive) history")
    return axes
