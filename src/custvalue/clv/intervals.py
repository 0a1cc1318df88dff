"""Customer lifetime value with intervals from parameter uncertainty.

:func:`clv_interval` recomputes the CLV of every customer under many plausible parameter
vectors of the purchase and the spend model and reports percentile intervals, per customer and
for aggregates (the total CLV and the total expected purchases of all customers or of a
segment). Two sources of parameter vectors:

- ``method="normal"`` (default): draws from the asymptotic normal distribution of the maximum
  likelihood estimate **on the log scale**, ``log theta ~ N(log theta_hat, J Sigma J)`` with
  ``J = diag(1 / theta_hat)`` (the delta method applied to the models' ``covariance``). Every
  parameter of the purchase and spend models is positive; the log scale keeps each draw
  positive and is where the likelihood is closer to quadratic. Cheap: no refits.
- ``method="bootstrap"``: the converged replicates of :func:`~custvalue.clv.bootstrap` of the
  purchase model and of the spend model, paired in order. No quadratic approximation of the
  likelihood, but each replicate is a refit, so it costs more, and the two bootstraps resample
  customers independently (the dependence between the two estimates, small because their
  likelihoods are separate, is ignored).

Aggregates are computed **per draw**, then their percentiles are taken (a percentile of a sum
is not the sum of percentiles). The point estimate is the CLV at the fitted parameters, not
the median of the draws.

Cost: the distinct histories ``(x, t_x, T)`` are scored once per draw (customers recorded by
date repeat a lot), with a quadrature order chosen once at the point estimate (the smallest
order that agrees with the automatic, ~1e-15 one to 1e-8 relative: interval endpoints need
no more); per-customer work is vectorised over the draws in chunks.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._json import ARRAY_EQ, JsonMixin, to_float64
from custvalue._validation import as_array, as_count, as_level, as_rng, fail_at, readonly_array
from custvalue.clv.resampling import BootstrapResult, _models
from custvalue.clv.value import (
    SpendModel,
    TransactionModel,
    _distinct_histories,
    discounted_expected_transactions,
    flat_clv_inputs,
)
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import CustomerSummary
from custvalue.time_units import Duration, TimeUnit

__all__ = ["CLVInterval", "clv_interval"]

FloatArray = NDArray[np.float64]

#: Methods of :func:`clv_interval`.
METHODS: tuple[str, ...] = ("normal", "bootstrap")
#: Quadrature orders tried at the point estimate, smallest first.
_ORDERS: tuple[int, ...] = (4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
#: Relative agreement with the automatic order that a cheaper order must reach.
_ORDER_TOLERANCE = 1e-8
#: Histories used to choose the order (a strided subsample of the distinct ones).
_ORDER_SAMPLE = 20_000
#: Cap on (draws x rows) held in memory at once.
_CHUNK_ELEMENTS = 1 << 24


def readonly_ids(value: Any) -> NDArray[Any]:
    """attrs converter: customer ids as a read-only array."""
    return readonly_array(np.asarray(value))


@attrs.frozen
class CLVInterval(JsonMixin):
    """Per-customer and aggregate CLV with percentile intervals (see :func:`clv_interval`).

    Attributes
    ----------
    customer_id
        Customer ids (from a :class:`~custvalue.summary.CustomerSummary`), else positions
        ``0 .. n-1`` of the flattened input.
    estimate, lower, upper
        CLV per customer at the fitted parameters and the interval's bounds (currency).
    level
        Nominal coverage of the intervals, in (0, 1).
    method
        ``"normal"`` (asymptotic normal of the MLE, log scale) or ``"bootstrap"``.
    n_resamples
        Number of parameter draws (pairs of purchase and spend parameter vectors).
    horizon
        Horizon in the model's time unit (``inf`` for DERT-based CLV).
    discount_rate
        Continuously compounded discount rate per time unit used.
    time_unit
        The time unit of the models and data, or None.
    n_segment
        Customers in the aggregate (all, or those of ``segment``).
    total_estimate, total_lower, total_upper
        Total CLV of the segment at the fitted parameters and its interval.
    purchases_estimate, purchases_lower, purchases_upper
        Total expected purchases of the segment in ``(T, T + horizon]`` (undiscounted) and
        its interval (``inf`` for an infinite horizon).
    total_draws, purchases_draws
        The two aggregates under each draw, shape ``(n_resamples,)``.
    """

    customer_id: NDArray[Any] = attrs.field(converter=readonly_ids, eq=ARRAY_EQ)
    estimate: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    lower: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    upper: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    level: float
    method: str
    n_resamples: int
    horizon: float
    discount_rate: float
    time_unit: str | None
    n_segment: int
    total_estimate: float
    total_lower: float
    total_upper: float
    purchases_estimate: float
    purchases_lower: float
    purchases_upper: float
    total_draws: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    purchases_draws: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)

    def __attrs_post_init__(self) -> None:
        n = self.customer_id.shape
        for name in ("estimate", "lower", "upper"):
            arr = getattr(self, name)
            if arr.shape != n or self.customer_id.ndim != 1:
                raise InvalidInputError(
                    f"{name} must have shape {n} like customer_id (1-D); got {arr.shape}"
                )
        as_level(self.level)
        if self.method not in METHODS:
            raise InvalidInputError(f"method must be one of {list(METHODS)}; got {self.method!r}")
        for name in ("total_draws", "purchases_draws"):
            arr = getattr(self, name)
            if arr.shape != (self.n_resamples,):
                raise InvalidInputError(
                    f"{name} must have shape ({self.n_resamples},); got {arr.shape}"
                )
        bad = ~(self.lower <= self.upper)
        fail_at("lower", "must be <= upper", self.lower, bad)

    @property
    def n_customers(self) -> int:
        """Number of customers."""
        return int(self.customer_id.shape[0])

    def to_columns(self) -> Columns:
        """One row per customer: ``customer_id``, ``clv`` (the estimate), ``lower``, ``upper``."""
        return freeze_columns(
            {
                "customer_id": self.customer_id,
                "clv": self.estimate,
                "lower": self.lower,
                "upper": self.upper,
            }
        )

    def _caption(self) -> str:
        pct = f"{100 * self.level:g}%"
        return (
            f"CLV with {pct} intervals ({self.method}, {self.n_resamples} draws); total of "
            f"{self.n_segment} customers {self.total_estimate:,.2f} "
            f"[{self.total_lower:,.2f}, {self.total_upper:,.2f}]; expected purchases "
            f"{self.purchases_estimate:,.2f} [{self.purchases_lower:,.2f}, "
            f"{self.purchases_upper:,.2f}]"
        )

    def summary(self) -> str:
        """The aggregates and their intervals, one line each."""
        pct = f"{100 * self.level:g}%"
        return "\n".join(
            [
                f"CLV intervals: {self.method}, {self.n_resamples} draws, level {pct}, "
                f"{self.n_customers} customers ({self.n_segment} in the aggregate)",
                f"{'':<20}{'estimate':>14}{'lower':>14}{'upper':>14}",
                f"{'total CLV':<20}{self.total_estimate:>14.6g}{self.total_lower:>14.6g}"
                f"{self.total_upper:>14.6g}",
                f"{'expected purchases':<20}{self.purchases_estimate:>14.6g}"
                f"{self.purchases_lower:>14.6g}{self.purchases_upper:>14.6g}",
            ]
        )

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), self._caption())

    def __repr__(self) -> str:
        return columns_repr(
            self, self.to_columns(), level=self.level, method=self.method,
            n_resamples=self.n_resamples, total=self.total_estimate,
        )  # fmt: skip


def _log_normal_draws(model: Any, role: str, n: int, gen: np.random.Generator) -> FloatArray:
    """``n`` parameter vectors from N(log theta_hat, J Sigma J), exponentiated."""
    theta = np.asarray(model.params.as_array(), dtype=np.float64)
    cov = getattr(model, "covariance", None)
    if cov is None:
        raise InvalidInputError(
            f"{role} has no covariance (built from parameters, not fitted): method='normal' "
            "needs a fitted model; use method='bootstrap' with bootstrap results"
        )
    cov = np.asarray(cov, dtype=np.float64)
    fail_at(f"{role}.covariance", "must be finite", cov, ~np.isfinite(cov))
    fail_at(f"{role}.params", "must be > 0", theta, ~(theta > 0))
    log_cov = cov / np.outer(theta, theta)
    w, v = np.linalg.eigh(0.5 * (log_cov + log_cov.T))
    if np.min(w) < -1e-8 * max(float(np.max(np.abs(w))), 1e-300):
        raise InvalidInputError(
            f"{role}.covariance is not positive semi-definite (eigenvalue {float(np.min(w))!r})"
        )
    root = v * np.sqrt(np.maximum(w, 0.0))
    z = gen.standard_normal((n, theta.size))
    with np.errstate(over="ignore"):
        out: FloatArray = np.exp(np.log(theta) + z @ root.T)
    bad = ~np.all(np.isfinite(out) & (out > 0), axis=1)
    if bad.any():
        raise InvalidInputError(
            f"{role}: parameter draw {int(np.flatnonzero(bad)[0])} overflows (the covariance "
            "is too wide for the normal approximation; use method='bootstrap')"
        )
    return out


def _bootstrap_draws(model: Any, role: str, result: Any) -> FloatArray:
    if not isinstance(result, BootstrapResult):
        raise InvalidTypeError(
            f"{role}_bootstrap must be a BootstrapResult (from clv.bootstrap); got "
            f"{type(result).__name__}"
        )
    if _models()[result.model][0] is not type(model):
        raise InvalidInputError(
            f"{role}_bootstrap is a bootstrap of {result.model}, but the {role} is a "
            f"{type(model).__name__}"
        )
    out: FloatArray = result.params[result.converged]
    return out


def _with_params(model: Any, row: FloatArray) -> Any:
    """``model`` with its parameters replaced by ``row`` (same class, unit, fit facts)."""
    return attrs.evolve(model, params=type(model.params)(*(float(v) for v in row)))


def _choose_order(
    model: Any, x: FloatArray, t_x: FloatArray, age: FloatArray, h: float, delta: float
) -> int | None:
    """The smallest order of :data:`_ORDERS` whose DET agrees with the automatic order to
    :data:`_ORDER_TOLERANCE` (relative) on a subsample at the point estimate; None if none."""
    if x.size == 0 or h == 0.0 or delta == 0.0:
        return None
    step = max(1, x.size // _ORDER_SAMPLE)
    xs, ts, Ts = x[::step], t_x[::step], age[::step]
    ref = discounted_expected_transactions(model, xs, ts, Ts, horizon=h, discount_rate=delta)
    scale = np.maximum(np.abs(ref), 1e-300)
    for n in _ORDERS:
        got = discounted_expected_transactions(
            model, xs, ts, Ts, horizon=h, discount_rate=delta, n_nodes=n
        )
        if np.all(np.abs(got - ref) <= _ORDER_TOLERANCE * scale):
            return n
    return None


def _segment_mask(segment: ArrayLike | None, n: int) -> NDArray[np.bool_]:
    if segment is None:
        return np.ones(n, dtype=bool)
    arr = as_array(segment, "segment")
    if arr.dtype != np.bool_:
        raise InvalidTypeError(f"segment must be a boolean mask; got dtype {arr.dtype}")
    if arr.size != n:
        raise InvalidInputError(f"segment must have {n} entries (one per customer); got {arr.size}")
    return arr.reshape(-1)


def clv_interval(
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
    level: float = 0.9,
    method: Literal["normal", "bootstrap"] = "normal",
    n_resamples: int | None = None,
    rng: np.random.Generator | int | None = None,
    transaction_bootstrap: BootstrapResult | None = None,
    spend_bootstrap: BootstrapResult | None = None,
    segment: ArrayLike | None = None,
) -> CLVInterval:
    """Customer lifetime value with percentile intervals from parameter uncertainty.

    A separate function rather than an ``interval=`` argument of
    :func:`~custvalue.clv.customer_lifetime_value`: it returns a result (per-customer bounds,
    aggregates, the draws) instead of an array, and needs a source of parameter draws.

    Parameters
    ----------
    transaction_model, spend_model, frequency, recency, T, monetary_value, horizon, \
discount_rate, annual_discount_rate, time_unit
        As in :func:`~custvalue.clv.customer_lifetime_value` (the purchase model may be any
        :class:`~custvalue.clv.PurchaseModel`: attrs class with ``params`` and
        ``expected_purchases``).
    level
        Nominal coverage of the percentile intervals, in (0, 1).
    method
        ``"normal"``: ``n_resamples`` draws from the asymptotic normal of both models' MLEs
        on the log scale (needs fitted models with a ``covariance``, and ``rng``).
        ``"bootstrap"``: the converged replicates of ``transaction_bootstrap`` and
        ``spend_bootstrap`` (from :func:`~custvalue.clv.bootstrap`), paired in order.
    n_resamples
        Number of draws (default 200 for ``"normal"``; all pairs of converged replicates for
        ``"bootstrap"``, or the first ``n_resamples`` of them).
    rng
        Seed or ``numpy.random.Generator`` for ``"normal"``.
    transaction_bootstrap, spend_bootstrap
        Bootstrap results of the two models, for ``"bootstrap"``.
    segment
        Optional boolean mask (one entry per customer) selecting the customers of the
        aggregates; default all.

    Returns
    -------
    CLVInterval
        Per-customer estimate and bounds, aggregates with intervals, and the per-draw
        aggregates.

    Raises
    ------
    InvalidInputError
        Invalid data, horizon, rate or level; a model without covariance for ``"normal"``; a
        bootstrap of another model class; fewer than 2 draws.
    InvalidTypeError
        A bootstrap argument that is not a :class:`~custvalue.clv.BootstrapResult`, or a
        non-boolean ``segment``.

    Examples
    --------
    >>> from custvalue.clv import BetaGeo, GammaGamma, clv_interval
    >>> from custvalue.datasets import load_cdnow_summary
    >>> s = load_cdnow_summary()
    >>> bg = BetaGeo.fit(s.frequency, s.recency, s.T)
    >>> gg = GammaGamma.fit(s.frequency[s.frequency > 0], s.monetary_value[s.frequency > 0])
    >>> ci = clv_interval(bg, gg, s.frequency, s.recency, s.T, s.monetary_value,
    ...     horizon=52, discount_rate=0.0018, n_resamples=50, rng=0)
    >>> bool(ci.total_lower < ci.total_estimate < ci.total_upper)
    True
    """
    rest = {"recency": recency, "T": T, "monetary_value": monetary_value}
    ids, unit, (x, t_x, age, m, spend_hat), h, delta = flat_clv_inputs(
        transaction_model, spend_model, frequency, rest, horizon, discount_rate,
        annual_discount_rate, time_unit,
    )  # fmt: skip
    n = x.size
    lvl = as_level(level)
    mask = _segment_mask(segment, n)
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {list(METHODS)}; got {method!r}")

    if method == "normal":
        if transaction_bootstrap is not None or spend_bootstrap is not None:
            raise InvalidInputError(
                "transaction_bootstrap and spend_bootstrap are for method='bootstrap'"
            )
        if rng is None:
            raise InvalidInputError("method='normal' needs rng= (a seed or a Generator)")
        gen = as_rng(rng)
        k = 200 if n_resamples is None else as_count(n_resamples, "n_resamples", minimum=2)
        t_rows = _log_normal_draws(transaction_model, "transaction_model", k, gen)
        s_rows = _log_normal_draws(spend_model, "spend_model", k, gen)
    else:
        if transaction_bootstrap is None or spend_bootstrap is None:
            raise InvalidInputError(
                "method='bootstrap' needs transaction_bootstrap= and spend_bootstrap= "
                "(clv.bootstrap results of the two models)"
            )
        t_all = _bootstrap_draws(transaction_model, "transaction_model", transaction_bootstrap)
        s_all = _bootstrap_draws(spend_model, "spend_model", spend_bootstrap)
        available = min(t_all.shape[0], s_all.shape[0])
        k = available if n_resamples is None else as_count(n_resamples, "n_resamples", minimum=2)
        if k > available or k < 2:
            raise InvalidInputError(
                f"n_resamples must be between 2 and {available} (pairs of converged "
                f"replicates); got {k}"
            )
        t_rows, s_rows = t_all[:k], s_all[:k]
    t_models = [_with_params(transaction_model, row) for row in t_rows]
    s_models = [_with_params(spend_model, row) for row in s_rows]

    (xu, tu, Tu), inverse = _distinct_histories(x, t_x, age)
    order = _choose_order(transaction_model, xu, tu, Tu, h, delta)

    def det(model: Any, sl: slice) -> FloatArray:
        out: FloatArray = discounted_expected_transactions(
            model, xu[sl], tu[sl], Tu[sl], horizon=h, discount_rate=delta, n_nodes=order
        )
        return out

    seg_counts = np.bincount(inverse[mask], minlength=xu.size).astype(np.float64)
    det_hat = discounted_expected_transactions(
        transaction_model, xu, tu, Tu, horizon=h, discount_rate=delta
    )  # the point estimate at the automatic order: equal to customer_lifetime_value
    estimate = spend_hat * det_hat[inverse]
    total_hat = float(estimate[mask].sum())
    finite_h = math.isfinite(h)
    if finite_h:
        e_hat = np.asarray(transaction_model.expected_purchases(h, xu, tu, Tu), dtype=np.float64)
        purchases_hat = float(e_hat @ seg_counts)
    else:
        purchases_hat = math.inf

    lower = np.empty(n)
    upper = np.empty(n)
    total_draws = np.zeros(k)
    purchases_draws = np.zeros(k) if finite_h else np.full(k, math.inf)
    tail = (1.0 - lvl) / 2.0
    # customers grouped by their distinct history, so a block of histories is a block of them
    by_history = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[by_history], np.arange(xu.size + 1))
    step_u = max(1, _CHUNK_ELEMENTS // k)
    for lo in range(0, xu.size, step_u):
        sl = slice(lo, min(lo + step_u, xu.size))
        det_d = np.empty((k, sl.stop - sl.start))
        for d, model in enumerate(t_models):
            det_d[d] = det(model, sl)
            if finite_h:
                e = np.asarray(model.expected_purchases(h, xu[sl], tu[sl], Tu[sl]))
                purchases_draws[d] += float(e @ seg_counts[sl])
        fail_at("discounted expected transactions under a parameter draw", "must be finite",
                det_d, ~np.isfinite(det_d))  # fmt: skip
        members = by_history[starts[sl.start] : starts[sl.stop]]
        for clo in range(0, members.size, step_u):
            idx = members[clo : clo + step_u]
            spend_d = np.empty((k, idx.size))
            for d, model in enumerate(s_models):
                spend_d[d] = model.expected_spend(x[idx], m[idx])
            fail_at("expected spend under a parameter draw", "must be finite", spend_d,
                    ~np.isfinite(spend_d))  # fmt: skip
            values = np.multiply(spend_d, det_d[:, inverse[idx] - sl.start], out=spend_d)
            total_draws += values @ mask[idx].astype(np.float64)
            bounds = np.quantile(values, [tail, 1.0 - tail], axis=0)
            lower[idx], upper[idx] = bounds[0], bounds[1]
    # det and spend are finite (checked): only an overflow of their product is left
    fail_at("upper bound of the CLV", "must be finite", upper, ~np.isfinite(upper))
    t_lo, t_hi = np.quantile(total_draws, [tail, 1.0 - tail])
    if finite_h:
        p_lo, p_hi = np.quantile(purchases_draws, [tail, 1.0 - tail])
    else:
        p_lo = p_hi = math.inf
    return CLVInterval(
        customer_id=np.arange(n) if ids is None else ids,
        estimate=estimate,
        lower=lower,
        upper=upper,
        level=lvl,
        method=method,
        n_resamples=k,
        horizon=h,
        discount_rate=delta,
        time_unit=unit,
        n_segment=int(mask.sum()),
        total_estimate=total_hat,
        total_lower=float(t_lo),
        total_upper=float(t_hi),
        purchases_estimate=purchases_hat,
        purchases_lower=float(p_lo),
        purchases_upper=float(p_hi),
        total_draws=total_draws,
        purchases_draws=purchases_draws,
    )
