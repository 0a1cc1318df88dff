"""Shifted-beta-geometric (sBG) model of contractual churn (Fader and Hardie 2007, 2010).

A subscriber renews at the end of every period with a churn probability ``theta`` of their
own, constant over time; ``theta`` is ``Beta(alpha, beta)`` across the cohort. The cohort's
retention rate rises with tenure (the likely churners leave first) although no individual's
does. The math lives in :mod:`custvalue.clv._sbg_kernels`; this module holds the validated,
immutable objects.

Time is counted in *periods* (the contract's renewal period: months, years ...), whole
numbers. ``T`` is the period in which a customer churns (``T = 1``: did not renew at the end
of the first period). A customer "alive after ``n`` periods" has ``T > n`` (renewed ``n``
times). This is not a purchase model (:class:`~custvalue.clv.PurchaseModel`): a subscriber
pays every period while active, so there are no purchases to predict; it implements
:class:`~custvalue.clv.FittedModelLike`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._collapse import collapse_rows
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._progress import check_progress
from custvalue._validation import (
    as_count,
    as_float_array,
    as_rng,
    as_scalar,
    broadcast_arrays,
    fail_at,
    optional_readonly_array,
    readonly_array,
)
from custvalue.clv import _sbg_kernels as kernels
from custvalue.clv._fitted import (
    COVARIANCE_EQ,
    FittedModel,
    fit_from_payload,
    fit_to_payload,
    params_from_payload,
    params_to_payload,
    time_unit_from_payload,
)
from custvalue.clv._inputs import optional_time_unit
from custvalue.clv._optimize import FitDiagnostics, checked_penalizer, maximize_likelihood
from custvalue.errors import InvalidInputError
from custvalue.time_units import TimeUnit, same_time_unit, time_unit_label

__all__ = ["RetentionCurve", "ShiftedBetaGeo", "ShiftedBetaGeoParams", "SimulatedLifetimes"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
PARAM_NAMES = ("alpha", "beta")


def _positive_alpha(value: Any) -> float:
    return as_scalar(value, "alpha", lower=0, lower_inclusive=False)


def _positive_beta(value: Any) -> float:
    return as_scalar(value, "beta", lower=0, lower_inclusive=False)


#: Smallest positive discount rate per period of the DERL (its continued fraction needs about
#: 20 / sqrt(d) steps; at 1e-7 it agrees with 40-digit mpmath to ~4e-10 over the extreme grid).
MIN_DERL_RATE = 1e-7


@attrs.frozen
class ShiftedBetaGeoParams:
    """Parameters of the sBG model.

    Attributes
    ----------
    alpha, beta
        Shape parameters of the Beta distribution of the per-period churn probability
        ``theta`` across customers (mean churn ``alpha / (alpha + beta)`` in the first
        period). Dimensionless, but tied to the period length.

    Both must be positive and finite (:class:`~custvalue.errors.InvalidInputError`).

    Examples
    --------
    >>> ShiftedBetaGeoParams(alpha=0.704, beta=1.182).beta
    1.182
    """

    alpha: float = attrs.field(converter=_positive_alpha)
    beta: float = attrs.field(converter=_positive_beta)

    def as_array(self) -> FloatArray:
        """The parameters as a float64 array ``[alpha, beta]``."""
        return np.array([self.alpha, self.beta], dtype=np.float64)


class _ArrayColumns:
    """Mixin of the array results: every attrs field is a column of ``to_columns()``."""

    CAPTION: ClassVar[str]

    def to_columns(self) -> Columns:
        """One row per entry: every attribute as a column."""
        return freeze_columns(attrs.asdict(self, recurse=False))  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), self.CAPTION)

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


@attrs.frozen(eq=False, repr=False)
class SimulatedLifetimes(_ArrayColumns):
    """Subscriber lifetimes drawn from an sBG model (all arrays of shape ``(n,)``).

    Attributes
    ----------
    lifetime
        For a churned customer the period ``T`` in which they churned (1 ... ``n_periods``);
        for one still active the number of periods observed, ``n_periods`` (right-censored).
    churned
        True if the customer churned within the ``n_periods`` observed.
    churn_probability
        The latent per-period churn probability ``theta`` of each customer.
    """

    lifetime: FloatArray = attrs.field(converter=readonly_array)
    churned: BoolArray = attrs.field(converter=readonly_array)
    churn_probability: FloatArray = attrs.field(converter=readonly_array)

    CAPTION: ClassVar[str] = "simulated subscriber lifetimes"


@attrs.frozen(eq=False, repr=False)
class RetentionCurve(_ArrayColumns):
    """A cohort's survival and retention by period (:meth:`ShiftedBetaGeo.retention_curve`).

    Attributes
    ----------
    period
        ``t = 1, 2, ..., periods``.
    survival
        ``S(t) = P(T > t)``: share of the cohort still active after ``t`` periods.
    retention_rate
        ``r_t = S(t) / S(t - 1)``: share of the customers active in period ``t`` who renew.
    churn_probability
        ``P(T = t)``: share of the cohort churning in period ``t``.
    """

    period: FloatArray = attrs.field(converter=readonly_array)
    survival: FloatArray = attrs.field(converter=readonly_array)
    retention_rate: FloatArray = attrs.field(converter=readonly_array)
    churn_probability: FloatArray = attrs.field(converter=readonly_array)

    CAPTION: ClassVar[str] = "sBG retention curve"


def _periods(value: ArrayLike, name: str, lower: float = 0) -> FloatArray:
    return as_float_array(value, name, lower=lower, integer=True)


def _churned(value: ArrayLike) -> FloatArray:
    """``churned`` as 0.0 / 1.0 from booleans or numbers that are exactly 0 or 1."""
    try:
        raw = np.asarray(value)
    except ValueError:  # ragged: as_float_array below names the argument
        raw = None
    if raw is not None and raw.dtype == np.bool_:
        return raw.astype(np.float64)
    flag = as_float_array(value, "churned")
    fail_at("churned", "must be 0 or 1 (or a boolean)", flag, (flag != 0) & (flag != 1))
    return flag


def _lifetimes(lifetime: ArrayLike, churned: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated ``(lifetime, churned)`` broadcast together; a churned customer's lifetime
    (the churn period) must be >= 1."""
    t = _periods(lifetime, "lifetime")
    t, gone = broadcast_arrays({"lifetime": t, "churned": _churned(churned)})
    fail_at("lifetime", "must be >= 1 where churned (the churn period)", t, (gone == 1) & (t < 1))
    return t, gone


def _survivors(value: ArrayLike) -> FloatArray:
    s = as_float_array(value, "survivors", lower=0, ndim=1)
    if s.size < 2:
        raise InvalidInputError(
            f"survivors must hold the cohort size and at least one later count; got {s.size} "
            "value(s)"
        )
    if not s[0] > 0:
        raise InvalidInputError(f"survivors[0] (the cohort size) must be > 0; got {float(s[0])!r}")
    rising = np.zeros(s.shape, dtype=bool)
    rising[1:] = s[1:] > s[:-1]
    fail_at("survivors", "must not increase from one period to the next", s, rising)
    return s


def _dot(a: FloatArray, b: FloatArray) -> float:
    return float(np.einsum("i,i->", a, b))


@attrs.frozen
class ShiftedBetaGeo(FittedModel):
    """The shifted-beta-geometric model of contractual churn (immutable).

    Build it from parameters, ``ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=..., beta=...))``,
    or estimate it with :meth:`fit` (per-customer lifetimes) or :meth:`fit_survivors` (a
    cohort's survivor counts). All times are whole numbers of *periods* (the renewal period);
    ``time_unit`` records what a period is (``"M"``, ``"Y"`` ...) when known.

    Attributes
    ----------
    params
        The parameters ``alpha, beta``.
    time_unit
        Label of the period (``"M"``, ``"Y"``, ``"3M"`` ...), or ``None`` when unknown.
    log_likelihood
        Total log-likelihood at the optimum (FH 2007 eq. 5); -1680.27 on the "Regular"
        cohort of the paper.
    covariance
        Inverse of the observed information, shape ``(2, 2)``, order ``alpha, beta``.
    n_customers
        Number of customers fitted (sum of the weights; the cohort size).
    diagnostics
        Convergence report of the optimizer.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
    Interactive Marketing 21(1), 76-90.
    Fader, P. S. and Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
    the perils of ignoring heterogeneity. Marketing Science 29(1), 85-93.

    Examples
    --------
    >>> model = ShiftedBetaGeo.fit_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.params.alpha, 3), round(model.params.beta, 3), round(model.log_likelihood, 2)
    (0.704, 1.182, -1680.27)
    >>> np.round(model.survival([1, 2, 12]), 3)
    array([0.627, 0.474, 0.17 ])
    """

    TITLE: ClassVar[str] = "shifted-beta-geometric churn model (ShiftedBetaGeo)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = PARAM_NAMES

    params: ShiftedBetaGeoParams = attrs.field(
        validator=attrs.validators.instance_of(ShiftedBetaGeoParams)
    )
    log_likelihood: float | None = None
    covariance: FloatArray | None = attrs.field(
        default=None, converter=optional_readonly_array, eq=COVARIANCE_EQ
    )
    n_customers: float | None = None
    diagnostics: FitDiagnostics | None = None
    time_unit: str | None = attrs.field(default=None, kw_only=True, converter=optional_time_unit)

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        lifetime: ArrayLike,
        churned: ArrayLike,
        *,
        weights: ArrayLike | None = None,
        time_unit: TimeUnit | None = None,
        strict: bool = False,
        initial: ShiftedBetaGeoParams | None = None,
        penalizer: float = 0.0,
        progress: bool = False,
    ) -> ShiftedBetaGeo:
        """Fit by maximum likelihood on per-customer (or grouped) lifetimes (FH 2007 eq. 5).

        Identical ``(lifetime, churned)`` rows are collapsed into weights; the optimizer works
        in log-parameters with the analytic gradient and reports standard errors from the
        observed information.

        Parameters
        ----------
        lifetime
            Whole number of periods per customer, shape ``(n,)``: for a customer who churned,
            the period ``T >= 1`` in which they did not renew; for one still active, the
            number of periods observed so far (``>= 0``; the customer is known to have
            ``T > lifetime``).
        churned
            1 / True if the customer churned, 0 / False if still active (right-censored),
            shape ``(n,)``.
        weights
            Optional number of customers sharing each row (>= 0), shape ``(n,)``.
        time_unit
            What a period is (``"M"``, ``"Y"`` ...), recorded in the model.
        strict
            Raise :class:`~custvalue.errors.ConvergenceError` instead of warning when the fit
            does not converge cleanly.
        initial
            Starting parameters (default ``alpha = beta = 1``).
        penalizer
            Optional L2 penalty ``c >= 0`` on the log-parameters (see
            :meth:`~custvalue.clv.BetaGeo.fit`); off by default.
        progress
            Show a progress bar over the optimizer's iterations if tqdm is installed.

        Returns
        -------
        ShiftedBetaGeo
            A new fitted model.

        Raises
        ------
        InvalidInputError
            For a lifetime that is not a whole number >= 0 (>= 1 when churned), a churned flag
            other than 0/1, bad weights or shapes, or no customer with weight > 0.

        Warns
        -----
        ConvergenceWarning
            When the fit does not converge cleanly (e.g. nobody churned: ``alpha -> 0``).

        Examples
        --------
        >>> model = ShiftedBetaGeo.fit([1, 1, 2, 3, 3], [True, True, True, False, False])
        >>> model.n_customers
        5.0
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        t, gone = (v.ravel() for v in _lifetimes(lifetime, churned))
        if weights is None:
            w = np.ones_like(t)
        else:
            w = as_float_array(weights, "weights", lower=0)
            if w.shape != t.shape:
                w = broadcast_arrays({"lifetime": t, "weights": w})[1].ravel().copy()
        if t.size == 0 or not np.any(w > 0):
            raise InvalidInputError("lifetime must hold at least one customer (weight > 0)")
        keep = w > 0
        (ut, ug), uw, _ = collapse_rows(t[keep], gone[keep], weights=w[keep])
        return cls._fit_grouped(ut, ug, uw, time_unit, strict, initial, penalty, progress)

    @classmethod
    def fit_survivors(
        cls,
        survivors: ArrayLike,
        *,
        time_unit: TimeUnit | None = None,
        strict: bool = False,
        initial: ShiftedBetaGeoParams | None = None,
        penalizer: float = 0.0,
        progress: bool = False,
    ) -> ShiftedBetaGeo:
        """Fit on a cohort's counts of customers active at the start of each period.

        ``survivors[0]`` is the cohort size and ``survivors[t]`` the number still active after
        ``t`` periods; ``survivors[t - 1] - survivors[t]`` customers churned in period ``t``,
        and the ``survivors[-1]`` still active are censored at the last period. This is
        :meth:`fit` on those grouped rows (FH 2007 eq. 5).

        Parameters
        ----------
        survivors
            Counts (>= 0, non-increasing, ``survivors[0] > 0``), shape ``(k + 1,)`` for ``k``
            observed periods. Real numbers are accepted (the log-likelihood scales with them).
        time_unit, strict, initial, penalizer, progress
            As for :meth:`fit`.

        Raises
        ------
        InvalidInputError
            For a negative, NaN or increasing count (naming the position), fewer than two
            counts or a cohort size of 0.

        Examples
        --------
        >>> high_end = ShiftedBetaGeo.fit_survivors([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(high_end.params.alpha, 3), round(high_end.params.beta, 3)
        (0.668, 3.806)
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        s = _survivors(survivors)
        k = s.size - 1
        lifetime = np.append(np.arange(1.0, k + 1.0), float(k))
        churned = np.append(np.ones(k), 0.0)
        weights = np.append(s[:-1] - s[1:], s[-1])
        keep = weights > 0
        return cls._fit_grouped(
            lifetime[keep], churned[keep], weights[keep], time_unit, strict, initial, penalty,
            progress,
        )  # fmt: skip

    @classmethod
    def _fit_grouped(
        cls,
        t: FloatArray,
        churned: FloatArray,
        w: FloatArray,
        time_unit: TimeUnit | None,
        strict: bool,
        initial: ShiftedBetaGeoParams | None,
        penalizer: float,
        progress: bool,
    ) -> ShiftedBetaGeo:
        if initial is not None and not isinstance(initial, ShiftedBetaGeoParams):
            raise InvalidInputError(
                f"initial must be a ShiftedBetaGeoParams or None; got {type(initial).__name__}"
            )
        total = float(w.sum())

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            alpha, beta = float(theta[0]), float(theta[1])
            ll = kernels.log_likelihood(t, churned, alpha, beta)
            d_alpha, d_beta = kernels.log_likelihood_gradient(t, churned, alpha, beta)
            return _dot(w, ll), np.array([_dot(w, d_alpha), _dot(w, d_beta)])

        start = [1.0, 1.0] if initial is None else list(initial.as_array())
        result = maximize_likelihood(
            objective,
            start,
            names=PARAM_NAMES,
            total_weight=total,
            strict=strict,
            progress=progress,
            desc="ShiftedBetaGeo.fit",
            penalizer=penalizer,
        )
        alpha, beta = (float(v) for v in result.params)
        return cls(
            ShiftedBetaGeoParams(alpha=alpha, beta=beta),
            log_likelihood=result.log_likelihood,
            covariance=result.covariance,
            n_customers=total,
            diagnostics=result.diagnostics,
            time_unit=time_unit,
        )

    # ------------------------------------------------------------------ units
    def in_unit(self, time_unit: TimeUnit) -> ShiftedBetaGeo:
        """The same model, if ``time_unit`` is its own period; otherwise an error.

        The sBG period is the renewal period of the contract, not a clock: a Beta mixture of
        monthly churn probabilities is not a Beta mixture of yearly ones, so there is no
        exact conversion (refit on data counted in the other period). ``in_unit`` exists so
        that code written for any fitted model can ask; it returns ``self`` for an equal
        unit (``"12M"`` equals ``"Y"``) and raises otherwise.

        Raises
        ------
        InvalidInputError
            If the model has no time unit, or ``time_unit`` is another period.

        Examples
        --------
        >>> yearly = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.7, beta=1.2), time_unit="Y")
        >>> yearly.in_unit("12M") is yearly
        True
        """
        label = time_unit_label(time_unit)
        if self.time_unit is None:
            raise InvalidInputError(
                f"in_unit({label!r}): the model has no time unit (period) recorded; set it with "
                "attrs.evolve(model, time_unit=...)"
            )
        if not same_time_unit(self.time_unit, label):
            raise InvalidInputError(
                f"in_unit({label!r}): an sBG model of {self.time_unit!r} periods cannot be "
                "re-expressed in another period (churn per period is what is Beta-distributed); "
                f"refit on lifetimes counted in {label!r} periods"
            )
        return self

    # --------------------------------------------------------------- predictions
    def _ab(self) -> tuple[float, float]:
        return self.params.alpha, self.params.beta

    def log_likelihood_per_customer(self, lifetime: ArrayLike, churned: ArrayLike) -> FloatArray:
        """Per-customer log-likelihood (FH 2007 eq. 5), arguments as in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            ``ln P(T = lifetime)`` where churned, ``ln P(T > lifetime)`` where active; the
            broadcast shape of the inputs.
        """
        return kernels.log_likelihood(*_lifetimes(lifetime, churned), *self._ab())

    def _given(self, t: ArrayLike, n: ArrayLike, lower: float) -> tuple[FloatArray, FloatArray]:
        tt, nn = broadcast_arrays(
            {"t": _periods(t, "t", lower), "periods_survived": _periods(n, "periods_survived")}
        )
        return tt, nn

    def survival(self, t: ArrayLike, *, periods_survived: ArrayLike = 0) -> FloatArray:
        """``P(T > n + t | T > n)``: probability of still being active ``t`` periods later.

        With ``periods_survived = n = 0`` (default) this is the cohort's survival curve
        ``S(t) = B(alpha, beta + t) / B(alpha, beta)`` (FH 2007 eq. 3); for a customer alive
        after ``n`` periods it is ``S(n + t) / S(n)``. Non-increasing in ``t``, 1 at ``t = 0``.

        Parameters
        ----------
        t
            Whole number of periods ahead (>= 0).
        periods_survived
            Whole number of periods the customer has already survived (renewals made, >= 0).
            Broadcasts with ``t``.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> np.round(model.survival([0, 1, 7]), 4)
        array([1.    , 0.6267, 0.2391])
        """
        tt, n = self._given(t, periods_survived, 0)
        out: FloatArray = np.exp(kernels.log_survival(tt, *self._ab(), n))
        return out

    def probability_churn(self, t: ArrayLike, *, periods_survived: ArrayLike = 0) -> FloatArray:
        """``P(T = n + t | T > n)``: probability of churning in the ``t``-th period from now.

        For a new customer (``n = 0``) it is ``P(T = t) = B(alpha + 1, beta + t - 1) /
        B(alpha, beta)`` (FH 2007 eq. 2); over ``t = 1, 2, ...`` it sums to 1.

        Parameters
        ----------
        t
            Whole number of periods (>= 1).
        periods_survived
            Periods already survived (>= 0), broadcasting with ``t``.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> round(float(model.probability_churn(1)), 4)
        0.3733
        """
        tt, n = self._given(t, periods_survived, 1)
        out: FloatArray = np.exp(kernels.log_churn_probability(tt, *self._ab(), n))
        return out

    def retention_rate(self, t: ArrayLike) -> FloatArray:
        """``r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)`` (FH 2007 eq. 4).

        The share of customers active in period ``t`` who renew at its end, for ``t >= 1``;
        increasing in ``t`` (the cohort sorts itself), towards 1.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> np.round(model.retention_rate([1, 2, 10]), 4)
        array([0.6267, 0.7561, 0.9353])
        """
        tt = _periods(t, "t", 1)
        a, b = self._ab()
        out: FloatArray = (b + (tt - 1.0)) / (a + b + (tt - 1.0))
        return out

    def retention_curve(self, periods: int) -> RetentionCurve:
        """Survival, retention rate and churn probability for periods ``1 ... periods``.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> curve = model.retention_curve(12)
        >>> curve.period.shape, round(float(curve.survival[-1]), 3)
        ((12,), 0.17)
        """
        t = np.arange(1.0, as_count(periods, "periods", minimum=1) + 1.0)
        return RetentionCurve(
            period=t,
            survival=self.survival(t),
            retention_rate=self.retention_rate(t),
            churn_probability=self.probability_churn(t),
        )

    def expected_lifetime(self, *, periods_survived: ArrayLike = 0) -> FloatArray:
        """``E[T - n | T > n]``: expected number of further periods as a customer.

        ``(alpha + beta + n - 1) / (alpha - 1)`` for ``alpha > 1`` (``E[1 / theta]`` under the
        posterior ``Beta(alpha, beta + n)``); for ``n = 0`` the mean lifetime ``E[T]``, counting
        the first period. When ``alpha <= 1`` the mean is **infinite** (the customers with
        ``theta`` near 0 never leave often enough) and ``inf`` is returned; use
        :meth:`discounted_expected_residual_lifetime` or a median of :meth:`survival` then.

        Examples
        --------
        >>> ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=3.0, beta=4.0)).expected_lifetime()
        array(3.)
        >>> ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182)).expected_lifetime()
        array(inf)
        """
        n = _periods(periods_survived, "periods_survived")
        a, b = self._ab()
        if a <= 1.0:
            return np.full(n.shape, np.inf)
        out: FloatArray = np.asarray((a + b + n - 1.0) / (a - 1.0), dtype=np.float64)
        return out

    def discounted_expected_residual_lifetime(
        self, discount_rate: ArrayLike, *, periods_survived: ArrayLike = 0
    ) -> FloatArray:
        """DERL: expected discounted number of future renewals (Fader and Hardie 2010, eq. 6).

        For a customer alive after ``n = periods_survived`` periods, standing at the end of
        the current period ``n + 1`` just before the renewal decision (their ``n`` is ours
        plus 1): ``DERL = sum_{k >= 1} P(T > n + k | T > n) / (1 + d)^(k - 1)
        = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1;
        1 / (1 + d))``. Multiply by the net cash flow per period for the expected residual
        value. The hypergeometric function is evaluated by a continued fraction that stays
        accurate (1e-11 relative against mpmath) for parameters up to 1e8 and tenures in the
        thousands; it needs about ``20 / sqrt(d)`` steps when ``alpha <~ 1``, so a tiny
        ``d`` is slow (0.3 s per value at ``d = 1e-6``) and below ``d ~ 1e-7`` the step cap
        leaves a relative error of about 1e-8.

        Parameters
        ----------
        discount_rate
            Discount rate per period: 0, or ``d >= MIN_DERL_RATE`` (1e-7; smaller positive
            rates are refused, as the continued fraction would not resolve them). At ``d = 0``
            the result is the expected number of renewals, ``(beta + n) / (alpha - 1)``,
            infinite when ``alpha <= 1``.
        periods_survived
            Renewals made so far (whole number >= 0); broadcasts with ``discount_rate``.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> np.round(model.discounted_expected_residual_lifetime(0.1, periods_survived=[0, 4]), 3)
        array([2.965, 5.894])
        """
        d = as_float_array(discount_rate, "discount_rate", lower=0)
        fail_at(
            "discount_rate",
            f"must be 0 or >= {MIN_DERL_RATE:g} per period (smaller positive rates are not "
            "resolved to 1e-9 by the continued fraction; 0 gives the undiscounted value)",
            d,
            (d > 0) & (d < MIN_DERL_RATE),
        )
        d, n = broadcast_arrays({"discount_rate": d, "periods_survived": _periods(
            periods_survived, "periods_survived")})  # fmt: skip
        out = kernels.discounted_residual_lifetime(d, *self._ab(), n)
        fail_at(
            "periods_survived",
            "is too large for this discount_rate (the continued fraction overflows; such a "
            "tenure is beyond any contract)",
            n,
            ~np.isfinite(out) & (d > 0),
        )
        return out

    def simulate(
        self, n_customers: int, n_periods: int, *, rng: np.random.Generator | int
    ) -> SimulatedLifetimes:
        """Draw a cohort: ``theta ~ Beta(alpha, beta)``, churn period ``T ~ Geometric(theta)``.

        Lifetimes are observed for ``n_periods`` periods: customers with ``T > n_periods`` are
        returned active (``churned`` False, ``lifetime = n_periods``), the input of :meth:`fit`.

        Examples
        --------
        >>> model = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
        >>> sim = model.simulate(1000, 7, rng=1)
        >>> sim.lifetime.shape, bool(sim.lifetime.max() <= 7)
        ((1000,), True)
        """
        n = as_count(n_customers, "n_customers", minimum=1)
        k = as_count(n_periods, "n_periods")
        gen = as_rng(rng)
        theta = gen.beta(self.params.alpha, self.params.beta, size=n)
        u = gen.random(n)
        # inverse transform of the geometric law: T = ceil(ln U / ln(1 - theta)), T >= 1
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = np.ceil(np.log1p(-u) / np.log1p(-theta))
        draws = np.where(np.isnan(draws), 1.0, np.maximum(draws, 1.0))
        churned = draws <= k
        return SimulatedLifetimes(
            lifetime=np.where(churned, draws, float(k)), churned=churned, churn_probability=theta
        )

    def __repr__(self) -> str:
        p = self.params
        return f"ShiftedBetaGeo(ShiftedBetaGeoParams(alpha={p.alpha!r}, beta={p.beta!r}))"

    # --------------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind ``"ShiftedBetaGeo"``), bit-exact."""
        payload: dict[str, Any] = {
            "params": params_to_payload(self.params, PARAM_NAMES),
            "fit": fit_to_payload(self),
            "time_unit": self.time_unit,
        }
        return _persist.dumps("ShiftedBetaGeo", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> ShiftedBetaGeo:
        """Load a model written by :meth:`to_json`.

        Raises
        ------
        PersistenceError
            For malformed documents, another kind, or a newer schema version.
        """
        payload = _persist.loads(text, "ShiftedBetaGeo")
        values = params_from_payload(payload, PARAM_NAMES)
        with _persist.invalid_content("ShiftedBetaGeo"):
            return cls(
                ShiftedBetaGeoParams(**values),
                **fit_from_payload(payload.get("fit"), len(PARAM_NAMES)),
                time_unit=time_unit_from_payload(payload),
            )
