"""How good is a purchase model on this data? A holdout report as data.

:func:`evaluate` scores a purchase model fitted on the calibration period of a
:class:`~custvalue.summary.CalibrationHoldout` against what the same customers did afterwards
(the holdout period), and against the calibration data itself: per-customer predictions, the
means grouped by calibration frequency, the tracking curve of repeat transactions over time,
the repeat-purchase histogram with a chi-square test, error metrics and a calibration table of
P(alive). Everything is stored in a frozen :class:`HoldoutReport` (versioned JSON, tables,
plots in :mod:`custvalue.plot` drawn from it, so pictures and numbers never disagree).

Time convention (see ``docs/math.md``, "Ages at day resolution"): a customer whose first
purchase day is ``f`` has, at the end of day ``e``, age ``e - f`` days, the same convention as
``T`` and ``recency`` of :func:`~custvalue.summarize_transactions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._transactions import coerce_date_scalar
from custvalue._validation import readonly_array
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import CalibrationHoldout
from custvalue.time_units import TimeUnit, time_unit_days, time_unit_label

__all__ = ["HoldoutReport", "evaluate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Calibration frequencies 0 .. TOP - 1 get their own group / bin; the last is ``TOP+``.
TOP = 7
#: Bins of the chi-square test are merged until each expects at least this many customers.
MIN_EXPECTED = 5.0
#: Number of P(alive) groups of the calibration table (deciles).
N_GROUPS = 10

Table = Literal["customers", "frequency", "tracking", "histogram", "calibration", "metrics"]
TABLES: tuple[str, ...] = (
    "customers",
    "frequency",
    "tracking",
    "histogram",
    "calibration",
    "metrics",
)


# ------------------------------------------------------------------ shared curve computations
def period_last_days(start: int, end: int, unit_days: float) -> IntArray:
    """Last day (inclusive, days since 1970-01-01) of each whole period of ``unit_days`` days
    from day ``start`` through day ``end``; empty when the span is shorter than one period."""
    n_periods = math.floor((end - start + 1) / unit_days)
    k = np.arange(1, n_periods + 1)
    out: IntArray = start + np.floor(k * unit_days).astype(np.int64) - 1
    return out


def expected_repeat_transactions(
    expected_new: Callable[[Any], Any],
    first_days: IntArray,
    last_days: IntArray,
    model_unit_days: float,
) -> FloatArray:
    """Expected cumulative repeat transactions of a cohort by the end of each of ``last_days``.

    ``sum_i E[X(age_i)]`` with ``age_i = (last day - first purchase day of i)`` days (0 before
    the first purchase) in the model's unit: the day-resolution convention of ``docs/math.md``.
    Customers are grouped by first purchase day, so the model is called once per cohort and
    period.
    """
    cohort, size = np.unique(first_days, return_counts=True)
    age = np.clip((last_days[:, None] - cohort[None, :]) / model_unit_days, 0.0, None)
    out: FloatArray = np.asarray(expected_new(age), dtype=np.float64) @ size
    return out


def expected_frequency_histogram(
    probability_of_purchases: Callable[[Any, Any], Any], T: FloatArray, top: int = TOP
) -> FloatArray:
    """Expected number of customers with ``0, 1, ..., top - 1`` and ``top+`` repeat purchases
    in their calibration windows ``T``: ``sum_i P(X(T_i) = n)``, last bin the rest."""
    ages, counts = np.unique(T, return_counts=True)
    n = np.arange(top)
    p = np.asarray(probability_of_purchases(n[:, None], ages[None, :]), dtype=np.float64) @ counts
    return np.append(p, T.size - p.sum())


def _merged_bins(expected: FloatArray, observed: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Adjacent bins merged left to right until each expects >= MIN_EXPECTED; a short tail is
    merged into the last full bin."""
    e_out: list[float] = []
    o_out: list[float] = []
    acc_e = acc_o = 0.0
    for e, o in zip(expected.tolist(), observed.tolist(), strict=True):
        acc_e += e
        acc_o += o
        if acc_e >= MIN_EXPECTED:
            e_out.append(acc_e)
            o_out.append(acc_o)
            acc_e = acc_o = 0.0
    if acc_e > 0 or acc_o > 0:
        if e_out:
            e_out[-1] += acc_e
            o_out[-1] += acc_o
        else:
            e_out.append(acc_e)
            o_out.append(acc_o)
    return np.array(e_out), np.array(o_out)


# ------------------------------------------------------------------ persistence helpers
_KINDS: dict[str, str] = {
    "model_name": "str",
    "time_unit": "str?",
    "n_params": "int",
    "calibration_end": "day",
    "observation_end": "day",
    "holdout_duration": "float",
    "customer_id": "array",
    "frequency": "array",
    "T": "array",
    "predicted_purchases": "array",
    "actual_purchases": "array",
    "probability_alive": "array",
    "predicted_spend": "array?",
    "actual_spend": "array?",
    "histogram_expected": "array",
    "tracking_unit": "str",
    "tracking_last_day": "days",
    "tracking_expected": "array",
    "tracking_actual": "array",
}


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("array", "array?"):
        return _persist.encode_array(value)
    if kind == "days":
        return _persist.encode_array(value.astype(np.int64))
    if kind == "day":
        return str(value)
    if kind == "float":
        return _persist.encode_float(value)
    return value


def _decode(kind: str, payload: dict[str, Any], key: str, where: str) -> Any:
    if kind.endswith("?") and payload.get(key) is None:
        if key not in payload:
            _persist.require(payload, key, object, where)
        return None
    if kind in ("array", "array?"):
        return _persist.require_array(payload, key, where)
    if kind == "days":
        return _persist.require_array(payload, key, where).astype("datetime64[D]")
    if kind == "day":
        text = _persist.require(payload, key, str, where)
        return np.datetime64(coerce_date_scalar(text, key), "D")
    if kind == "float":
        return _persist.decode_float(_persist.require(payload, key, (int, float, str), where), key)
    if kind == "int":
        return _persist.decode_int(_persist.require(payload, key, int, where), key)
    return _persist.require(payload, key, str, where)


def _optional_array(value: Any) -> NDArray[Any] | None:
    return None if value is None else readonly_array(value)


def _days(value: Any) -> NDArray[np.datetime64]:
    return readonly_array(np.asarray(value, dtype="datetime64[D]"))


def _safe_mean(values: FloatArray) -> float:
    return float(values.mean()) if values.size else math.nan


# ------------------------------------------------------------------ the report
@attrs.frozen(eq=False)
class HoldoutReport:
    """A purchase model scored on a calibration / holdout split; build one with :func:`evaluate`.

    Times are in ``time_unit`` (the calibration summary's and the model's unit); days are
    ``numpy.datetime64[D]``.

    Attributes
    ----------
    model_name
        Class name of the evaluated model.
    time_unit
        Unit of ``T``, ``holdout_duration`` and the model.
    n_params
        Number of estimated model parameters (the chi-square test's degrees of freedom
        subtract them).
    calibration_end, observation_end
        Last day of the calibration and of the holdout period (inclusive).
    holdout_duration
        Length of the holdout period.
    customer_id, frequency, T
        The calibration customers, their repeat purchases and ages at the calibration end.
    predicted_purchases, actual_purchases
        Expected (``model.expected_purchases(holdout_duration, ...)``) and actual holdout
        purchase days per customer.
    probability_alive
        P(alive) at the calibration end per customer.
    predicted_spend, actual_spend
        Expected holdout spend (expected purchases times the spend model's expected spend per
        purchase) and actual holdout spend per customer; ``None`` without a spend model.
    histogram_expected
        Expected number of customers with ``0, ..., 6`` and ``7+`` repeat purchases in
        calibration, ``sum_i P(X(T_i) = n)``.
    tracking_unit
        Period length of the tracking curve (e.g. ``"D"``, ``"W"``).
    tracking_last_day
        Last day of each whole period from the first customer's first purchase day through
        ``observation_end``.
    tracking_expected, tracking_actual
        Expected and actual cumulative repeat transactions of the whole base by the end of each
        period (actual: distinct (customer, day) purchases after each customer's first day).
    """

    model_name: str
    time_unit: str | None
    n_params: int
    calibration_end: np.datetime64
    observation_end: np.datetime64
    holdout_duration: float
    customer_id: NDArray[Any] = attrs.field(converter=readonly_array)
    frequency: IntArray = attrs.field(converter=readonly_array)
    T: FloatArray = attrs.field(converter=readonly_array)
    predicted_purchases: FloatArray = attrs.field(converter=readonly_array)
    actual_purchases: IntArray = attrs.field(converter=readonly_array)
    probability_alive: FloatArray = attrs.field(converter=readonly_array)
    predicted_spend: FloatArray | None = attrs.field(converter=_optional_array)
    actual_spend: FloatArray | None = attrs.field(converter=_optional_array)
    histogram_expected: FloatArray = attrs.field(converter=readonly_array)
    tracking_unit: str
    tracking_last_day: NDArray[np.datetime64] = attrs.field(converter=_days)
    tracking_expected: FloatArray = attrs.field(converter=readonly_array)
    tracking_actual: FloatArray = attrs.field(converter=readonly_array)

    def __attrs_post_init__(self) -> None:
        n = self.customer_id.shape
        per_customer = ["frequency", "T", "predicted_purchases", "actual_purchases"]
        per_customer += ["probability_alive", "predicted_spend", "actual_spend"]
        for name in per_customer:
            arr = getattr(self, name)
            if arr is not None and arr.shape != n:
                raise InvalidInputError(f"{name} must have shape {n}; got {arr.shape}")
        for name in ("frequency", "actual_purchases"):
            arr = getattr(self, name)
            if arr.dtype.kind not in "iu" or (arr < 0).any():
                raise InvalidInputError(f"{name} must hold integers >= 0")
        m = self.tracking_last_day.shape
        for name in ("tracking_expected", "tracking_actual"):
            if getattr(self, name).shape != m:
                raise InvalidInputError(f"{name} must have shape {m}")
        if self.histogram_expected.ndim != 1 or self.histogram_expected.size < 2:
            raise InvalidInputError("histogram_expected must have at least 2 bins")
        if self.n_params < 0:
            raise InvalidInputError(f"n_params must be >= 0; got {self.n_params}")

    # ---------------------------------------------------------- derived tables
    @property
    def n_customers(self) -> int:
        """Number of calibration customers."""
        return int(self.customer_id.size)

    @property
    def calibration_periods(self) -> int:
        """Number of tracking periods that end on or before the calibration end."""
        return int(np.sum(self.tracking_last_day <= self.calibration_end))

    @property
    def tracking_expected_per_period(self) -> FloatArray:
        """Expected repeat transactions in each period (differences of the cumulative curve)."""
        return np.diff(self.tracking_expected, prepend=0.0)

    @property
    def tracking_actual_per_period(self) -> FloatArray:
        """Actual repeat transactions in each period."""
        return np.diff(self.tracking_actual, prepend=0.0)

    @property
    def histogram_actual(self) -> FloatArray:
        """Number of customers with ``0, ..., 6`` and ``7+`` repeat purchases in calibration."""
        top = self.histogram_expected.size - 1
        clipped = np.minimum(self.frequency, top)
        return np.bincount(clipped, minlength=top + 1).astype(np.float64)

    def _chi_square(self) -> tuple[float, int, float]:
        expected, observed = _merged_bins(self.histogram_expected, self.histogram_actual)
        stat = float(np.sum((observed - expected) ** 2 / expected))
        df = expected.size - 1 - self.n_params
        if df < 1:
            return stat, df, math.nan
        from scipy import stats

        return stat, df, float(stats.chi2.sf(stat, df))

    @property
    def chi_square(self) -> float:
        """Pearson chi-square statistic of the calibration repeat-purchase histogram, after
        merging adjacent bins (left to right) until each expects at least 5 customers."""
        return self._chi_square()[0]

    @property
    def chi_square_df(self) -> int:
        """Degrees of freedom: merged bins - 1 - ``n_params`` (may be < 1 on small data)."""
        return self._chi_square()[1]

    @property
    def chi_square_p_value(self) -> float:
        """P-value of :attr:`chi_square`; NaN when :attr:`chi_square_df` < 1 (too few bins to
        test a model with this many parameters)."""
        return self._chi_square()[2]

    @property
    def aggregate_error_percent(self) -> float:
        """``100 (sum predicted - sum actual) / sum actual`` of holdout purchases; NaN when no
        customer bought in the holdout."""
        total = float(self.actual_purchases.sum())
        if total == 0:
            return math.nan
        return 100.0 * (float(self.predicted_purchases.sum()) - total) / total

    @property
    def _residual(self) -> FloatArray:
        return self.predicted_purchases - self.actual_purchases

    @property
    def mae(self) -> float:
        """Mean absolute error of the holdout purchases per customer."""
        return float(np.mean(np.abs(self._residual)))

    @property
    def rmse(self) -> float:
        """Root-mean-square error of the holdout purchases per customer."""
        return float(np.sqrt(np.mean(self._residual**2)))

    @property
    def bias(self) -> float:
        """Mean of predicted - actual holdout purchases (> 0: the model over-predicts)."""
        return float(np.mean(self._residual))

    @property
    def correlation(self) -> float:
        """Pearson correlation of predicted and actual holdout purchases across customers;
        NaN when either is constant."""
        pred = self.predicted_purchases
        act = self.actual_purchases.astype(np.float64)
        if np.ptp(pred) == 0 or np.ptp(act) == 0:
            return math.nan
        return float(np.corrcoef(pred, act)[0, 1])

    @property
    def tracking_mape(self) -> float:
        """Mean absolute percentage error of the per-period repeat transactions over the
        holdout periods (those ending after the calibration end) with at least one actual
        transaction, in percent; NaN when there is no such period."""
        holdout = self.tracking_last_day > self.calibration_end
        act = self.tracking_actual_per_period[holdout]
        exp = self.tracking_expected_per_period[holdout]
        keep = act > 0
        if not keep.any():
            return math.nan
        return float(100.0 * np.mean(np.abs(exp[keep] - act[keep]) / act[keep]))

    @property
    def brier_score(self) -> float:
        """Mean of ``(P(alive) - y)^2`` with ``y`` = 1 when the customer made a holdout
        purchase (see :meth:`to_columns` ``"calibration"`` for why this is a proxy)."""
        y = (self.actual_purchases > 0).astype(np.float64)
        return float(np.mean((self.probability_alive - y) ** 2))

    # ---------------------------------------------------------- tables
    def _customers(self) -> dict[str, Any]:
        cols: dict[str, Any] = {
            "customer_id": self.customer_id,
            "frequency": self.frequency,
            "T": self.T,
            "probability_alive": self.probability_alive,
            "predicted_purchases": self.predicted_purchases,
            "actual_purchases": self.actual_purchases,
        }
        if self.predicted_spend is not None and self.actual_spend is not None:
            cols["predicted_spend"] = self.predicted_spend
            cols["actual_spend"] = self.actual_spend
        return cols

    def _by_frequency(self) -> dict[str, Any]:
        top = self.histogram_expected.size - 1
        group = np.minimum(self.frequency, top)
        n = np.bincount(group, minlength=top + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            predicted = np.bincount(group, self.predicted_purchases, top + 1) / n
            actual = np.bincount(group, self.actual_purchases.astype(np.float64), top + 1) / n
        keep = n > 0
        labels = np.array([*(str(i) for i in range(top)), f"{top}+"])
        return {
            "frequency": labels[keep],
            "n_customers": n[keep],
            "mean_predicted": predicted[keep],
            "mean_actual": actual[keep],
        }

    def _tracking(self) -> dict[str, Any]:
        return {
            "period": np.arange(1, self.tracking_last_day.size + 1),
            "last_day": self.tracking_last_day.astype(str),
            "expected_cumulative": self.tracking_expected,
            "actual_cumulative": self.tracking_actual,
            "expected": self.tracking_expected_per_period,
            "actual": self.tracking_actual_per_period,
        }

    def _histogram(self) -> dict[str, Any]:
        top = self.histogram_expected.size - 1
        return {
            "repeat_purchases": np.array([*(str(i) for i in range(top)), f"{top}+"]),
            "expected": self.histogram_expected,
            "actual": self.histogram_actual,
        }

    def _calibration(self) -> dict[str, Any]:
        order = np.argsort(self.probability_alive, kind="stable")
        groups = [g for g in np.array_split(order, min(N_GROUPS, order.size)) if g.size]
        p = self.probability_alive
        bought = self.actual_purchases > 0
        return {
            "group": np.arange(1, len(groups) + 1),
            "n_customers": np.array([g.size for g in groups]),
            "min_probability_alive": np.array([np.min(p[g]) for g in groups]),
            "max_probability_alive": np.array([np.max(p[g]) for g in groups]),
            "mean_probability_alive": np.array([p[g].mean() for g in groups]),
            "share_with_holdout_purchase": np.array([bought[g].mean() for g in groups]),
        }

    def _metrics(self) -> dict[str, Any]:
        names = [
            "aggregate_error_percent",
            "mae",
            "rmse",
            "bias",
            "correlation",
            "tracking_mape",
            "brier_score",
            "chi_square",
            "chi_square_df",
            "chi_square_p_value",
        ]
        return {
            "metric": np.array(names),
            "value": np.array([float(getattr(self, name)) for name in names]),
        }

    def to_columns(self, table: Table = "customers") -> Columns:
        """One of the report's tables as named read-only 1-D columns.

        Parameters
        ----------
        table
            - ``"customers"`` (default): one row per customer: ``customer_id``, ``frequency``,
              ``T``, ``probability_alive``, ``predicted_purchases``, ``actual_purchases`` (and
              ``predicted_spend``, ``actual_spend`` with a spend model);
            - ``"frequency"``: one row per calibration frequency ``0 .. 6, 7+`` that has
              customers: ``n_customers``, ``mean_predicted``, ``mean_actual`` holdout purchases
              (the data of lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``);
            - ``"tracking"``: one row per period: ``period``, ``last_day`` (ISO text),
              ``expected_cumulative``, ``actual_cumulative``, and per period ``expected``,
              ``actual`` repeat transactions;
            - ``"histogram"``: ``repeat_purchases`` (``"0" .. "6", "7+"``), ``expected`` and
              ``actual`` numbers of customers in calibration;
            - ``"calibration"``: customers sorted by P(alive) at the calibration end and cut into
              10 groups of (nearly) equal size (ties split by position): ``n_customers``,
              ``min/max/mean_probability_alive`` and ``share_with_holdout_purchase``. These are
              not the same event: a customer alive at the calibration end may make no purchase
              in the holdout (and a customer dropping out later may still buy before), so for an
              accurate P(alive) the share is below the mean P(alive) by about the chance that
              an alive customer does not buy in the holdout. The share is only a lower bound
              of the share alive; compare shapes, not levels, on short holdouts;
            - ``"metrics"``: ``metric`` names and ``value`` of the scalar metrics
              (:attr:`aggregate_error_percent`, :attr:`mae`, :attr:`rmse`, :attr:`bias`,
              :attr:`correlation`, :attr:`tracking_mape`, :attr:`brier_score`,
              :attr:`chi_square`, :attr:`chi_square_df`, :attr:`chi_square_p_value`).

            ``custvalue.frame.to_frame(report)`` gives the per-customer table as a DataFrame;
            ``to_frame(report.to_columns(table))`` any other.
        """
        builders = {
            "customers": self._customers,
            "frequency": self._by_frequency,
            "tracking": self._tracking,
            "histogram": self._histogram,
            "calibration": self._calibration,
            "metrics": self._metrics,
        }
        if table not in builders:
            raise InvalidInputError(f"table must be one of {list(TABLES)}; got {table!r}")
        return freeze_columns(builders[table]())

    def summary(self) -> str:
        """A short text summary: the metrics and the grouped means."""
        unit = "" if self.time_unit is None else f" {time_unit_label(self.time_unit)}"
        lines = [
            f"Holdout report: {self.model_name}, {self.n_customers} customers, calibration to "
            f"{self.calibration_end}, holdout {self.holdout_duration:g}{unit} to "
            f"{self.observation_end}",
            f"holdout purchases: predicted {self.predicted_purchases.sum():.1f}, actual "
            f"{self.actual_purchases.sum()} ({self.aggregate_error_percent:+.1f}%)",
        ]
        m = self.to_columns("metrics")
        for name, value in zip(m["metric"].tolist(), m["value"].tolist(), strict=True):
            lines.append(f"  {name:<24}{value:>12.4f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return columns_repr(
            self,
            self.to_columns(),
            model=self.model_name,
            aggregate_error_percent=self.aggregate_error_percent,
        )

    def _repr_html_(self) -> str:
        caption = (
            f"HoldoutReport: {self.model_name}, holdout {self.holdout_duration:g} "
            f"{self.time_unit}; aggregate error {self.aggregate_error_percent:+.1f}%, "
            f"MAE {self.mae:.4g}, RMSE {self.rmse:.4g}, chi-square p {self.chi_square_p_value:.3g}"
        )
        return columns_html(self.to_columns(), caption)

    # ---------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip, no pickle)."""
        payload = {key: _encode(kind, getattr(self, key)) for key, kind in _KINDS.items()}
        return _persist.dumps("HoldoutReport", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> HoldoutReport:
        """Load a document written by :meth:`to_json`; raises ``PersistenceError`` if invalid."""
        where = "HoldoutReport"
        payload = _persist.loads(text, where)
        with _persist.invalid_content(where):
            values = {key: _decode(kind, payload, key, where) for key, kind in _KINDS.items()}
            return cls(**values)


# ------------------------------------------------------------------ evaluate
def _method(model: Any, name: str, argument: str = "model") -> Any:
    method = getattr(model, name, None)
    if not callable(method):
        kind = (
            "spend model (e.g. a GammaGamma)"
            if argument == "spend_model"
            else ("purchase model (e.g. a BetaGeo)")
        )
        raise InvalidTypeError(
            f"{argument} must be a fitted {kind} with a {name}() method; got {type(model).__name__}"
        )
    return method


def evaluate(
    model: Any,
    calibration_holdout: CalibrationHoldout,
    *,
    spend_model: Any = None,
    periods: TimeUnit | None = None,
) -> HoldoutReport:
    """Score a purchase model fitted on the calibration period against the holdout period.

    Parameters
    ----------
    model
        A fitted purchase model (:class:`~custvalue.clv.PurchaseModel`: BG/NBD and the others),
        fitted on ``calibration_holdout.calibration``. Uses ``expected_purchases``,
        ``probability_alive``, ``expected_purchases_new`` and ``probability_of_purchases``.
        Its ``time_unit`` must be the calibration summary's (a model without one is taken to
        be in that unit).
    calibration_holdout
        The split, from :func:`custvalue.calibration_holdout_split` (which records the
        repeat purchases per day that the tracking curve needs).
    spend_model
        Optional spend model with ``expected_spend(frequency, monetary_value)`` (e.g. a
        :class:`~custvalue.clv.GammaGamma`); then the report also predicts each customer's
        holdout spend as expected purchases times expected spend per purchase. Needs a split
        with amounts.
    periods
        Period length of the tracking curve (``"D"``, ``"W"``, ``"M"``, ``"2W"``, a
        timedelta); default the model's unit. Periods start on the first customer's first
        purchase day; only whole periods are kept.

    Returns
    -------
    HoldoutReport

    Raises
    ------
    InvalidTypeError
        ``calibration_holdout`` is not a :class:`~custvalue.summary.CalibrationHoldout` (e.g.
        a summary, which has no holdout period), a model without the needed methods.
    InvalidInputError
        A model fitted in another time unit than the split; a split without the per-day
        repeat purchases (built by hand); a spend model on a split without amounts; a
        ``periods`` longer than the whole observation.

    Examples
    --------
    >>> from custvalue import calibration_holdout_split
    >>> from custvalue.clv import BetaGeo, evaluate
    >>> from custvalue.datasets import load_cdnow_sample
    >>> log = load_cdnow_sample()
    >>> split = calibration_holdout_split(
    ...     log.customer_id, log.date, calibration_end="1997-09-30", time_unit="W"
    ... )
    >>> report = evaluate(BetaGeo.fit(split.calibration), split)
    >>> report.to_columns("frequency")["frequency"].tolist()
    ['0', '1', '2', '3', '4', '5', '6', '7+']
    """
    if not isinstance(calibration_holdout, CalibrationHoldout):
        raise InvalidTypeError(
            "calibration_holdout must be a CalibrationHoldout (from calibration_holdout_split): "
            "a report needs a holdout period; got "
            f"{type(calibration_holdout).__name__}"
        )
    cal = calibration_holdout.calibration
    model_unit = getattr(model, "time_unit", None)
    if isinstance(model_unit, str) and model_unit != cal.time_unit:
        raise InvalidInputError(
            f"model: the {type(model).__name__} model is in time unit {model_unit!r} but "
            f"calibration_holdout is in {cal.time_unit!r}; refit on this split or convert "
            f"with model.in_unit({cal.time_unit!r})"
        )
    per_day = calibration_holdout.repeat_purchases_per_day
    if per_day is None:
        raise InvalidInputError(
            "calibration_holdout has no repeat_purchases_per_day (a split built by hand or "
            "loaded from an older document): rebuild it with calibration_holdout_split"
        )
    x, tx, age = cal.frequency, cal.recency, cal.T
    t = calibration_holdout.holdout_duration
    predicted = np.asarray(_method(model, "expected_purchases")(t, x, tx, age), dtype=np.float64)
    alive = np.asarray(_method(model, "probability_alive")(x, tx, age), dtype=np.float64)
    predicted_spend = actual_spend = None
    if spend_model is not None:
        if cal.monetary_value is None or calibration_holdout.holdout_spend is None:
            raise InvalidInputError(
                "spend_model needs amounts: calibration_holdout was split without monetary"
            )
        spend = _method(spend_model, "expected_spend", "spend_model")(x, cal.monetary_value)
        predicted_spend = predicted * np.asarray(spend, dtype=np.float64)
        actual_spend = calibration_holdout.holdout_spend
    histogram = expected_frequency_histogram(_method(model, "probability_of_purchases"), age)

    unit = cal.time_unit if periods is None else periods
    try:
        period_days = time_unit_days(unit)
    except InvalidInputError as exc:
        raise InvalidInputError(f"periods: {exc}") from None
    except InvalidTypeError as exc:
        raise InvalidTypeError(f"periods: {exc}") from None
    end = int(calibration_holdout.observation_end.astype(np.int64))
    cal_end = int(calibration_holdout.calibration_end.astype(np.int64))
    start = end - per_day.size + 1
    last = period_last_days(start, end, period_days)
    if last.size == 0:
        raise InvalidInputError(
            f"periods={unit!r} is longer than the observation ({per_day.size} days)"
        )
    first = cal_end - np.rint(age * cal.time_unit_days).astype(np.int64)
    expected = expected_repeat_transactions(
        _method(model, "expected_purchases_new"), first, last, cal.time_unit_days
    )
    actual = np.cumsum(per_day)[last - start].astype(np.float64)
    as_array = getattr(getattr(model, "params", None), "as_array", None)
    n_params = int(np.asarray(as_array()).size) if callable(as_array) else 0
    return HoldoutReport(
        model_name=type(model).__name__,
        time_unit=cal.time_unit,
        n_params=n_params,
        calibration_end=calibration_holdout.calibration_end,
        observation_end=calibration_holdout.observation_end,
        holdout_duration=t,
        customer_id=cal.customer_id,
        frequency=x,
        T=age,
        predicted_purchases=predicted,
        actual_purchases=calibration_holdout.holdout_frequency,
        probability_alive=alive,
        predicted_spend=predicted_spend,
        actual_spend=actual_spend,
        histogram_expected=histogram,
        tracking_unit=str(unit) if isinstance(unit, str) else f"{period_days:g}D",
        tracking_last_day=last.astype("datetime64[D]"),
        tracking_expected=expected,
        tracking_actual=actual,
    )
