"""BG/BB purchase model for discrete purchase opportunities (Fader, Hardie and Shang 2010).

A customer has one purchase *opportunity* per period (a yearly fundraising drive, an annual
event, a weekly market day). While alive, the customer transacts at each opportunity with
probability ``p``; at the start of each opportunity an alive customer becomes inactive (for
good) with probability ``theta``. Across customers ``p ~ Beta(alpha, beta)`` and
``theta ~ Beta(gamma, delta)``. A history is ``(frequency, recency, n_periods)`` = ``(x, t_x,
n)``: the number of opportunities with a transaction after the first (the acquisition)
period, the opportunity of the last one (0 if none) and the number of opportunities observed.

The math lives in :mod:`custvalue.clv._bgbb_kernels`; this module holds the validated,
immutable model objects and :func:`bgbb_histories`, which turns a log of period labels into
histories.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._collapse import collapse_rows
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._progress import check_progress
from custvalue._transactions import coerce_ids
from custvalue._validation import (
    as_float_array,
    as_rng,
    as_scalar,
    broadcast_arrays,
    fail_at,
    optional_readonly_array,
    readonly_array,
)
from custvalue.clv import _bgbb_kernels as kernels
from custvalue.clv._fitted import (
    COVARIANCE_EQ,
    FittedModel,
    fit_from_payload,
    fit_to_payload,
    params_from_payload,
    params_to_payload,
    time_unit_from_payload,
)
from custvalue.clv._inputs import (
    as_times,
    model_input,
    optional_time_unit,
    resolve_time_unit,
)
from custvalue.clv._optimize import FitDiagnostics, checked_penalizer, maximize_likelihood
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import Duration, TimeUnit, same_time_unit, time_unit_label

if TYPE_CHECKING:
    from custvalue.clv.simulate import SimulatedHistories

__all__ = ["BetaGeoBetaBinom", "BetaGeoBetaBinomParams", "DiscreteHistories", "bgbb_histories"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PARAM_NAMES = ("alpha", "beta", "gamma", "delta")
#: Largest number of opportunities (``n_periods``, a window ``t``): the sums of the model run
#: over every opportunity, so a larger count would exhaust time and memory instead of failing.
MAX_OPPORTUNITIES = 1e6
#: Inputs with at least this many rows are evaluated once per distinct history.
_GROUP_MIN = 4096


def _positive(value: Any, name: str) -> float:
    return as_scalar(value, name, lower=0, lower_inclusive=False)


def _positive_alpha(value: Any) -> float:
    return _positive(value, "alpha")


def _positive_beta(value: Any) -> float:
    return _positive(value, "beta")


def _positive_gamma(value: Any) -> float:
    return _positive(value, "gamma")


def _positive_delta(value: Any) -> float:
    return _positive(value, "delta")


@attrs.frozen
class BetaGeoBetaBinomParams:
    """Parameters of the BG/BB model (all dimensionless: they describe one opportunity).

    Attributes
    ----------
    alpha, beta
        Shape parameters of the Beta distribution of ``p``, the probability of a transaction
        at an opportunity while alive (mean ``alpha / (alpha + beta)``).
    gamma, delta
        Shape parameters of the Beta distribution of ``theta``, the probability of becoming
        inactive at the start of an opportunity (mean ``gamma / (gamma + delta)``).

    All four must be positive and finite (:class:`~custvalue.errors.InvalidInputError`).

    Examples
    --------
    >>> BetaGeoBetaBinomParams(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).delta
    2.783
    """

    alpha: float = attrs.field(converter=_positive_alpha)
    beta: float = attrs.field(converter=_positive_beta)
    gamma: float = attrs.field(converter=_positive_gamma)
    delta: float = attrs.field(converter=_positive_delta)

    def as_array(self) -> FloatArray:
        """The parameters as a float64 array ``[alpha, beta, gamma, delta]``."""
        return np.array([self.alpha, self.beta, self.gamma, self.delta], dtype=np.float64)


@attrs.frozen(eq=False)
class DiscreteHistories:
    """BG/BB histories, one row per distinct ``(frequency, recency, n_periods)`` pattern.

    Built by :func:`bgbb_histories`; :meth:`BetaGeoBetaBinom.fit` takes it as its first
    argument (the weights come with it).

    Attributes
    ----------
    frequency
        Opportunities with a transaction after the first period (``x``), ``int64``.
    recency
        Opportunity of the last transaction (``t_x``, 0 if none), ``int64``.
    n_periods
        Opportunities observed after the first period (``n``), ``int64``.
    weights
        Number of customers with the pattern, ``int64``.
    time_unit
        Label of the period (``"Y"`` for yearly opportunities), or ``None``.
    """

    frequency: IntArray = attrs.field(converter=readonly_array)
    recency: IntArray = attrs.field(converter=readonly_array)
    n_periods: IntArray = attrs.field(converter=readonly_array)
    weights: IntArray = attrs.field(converter=readonly_array)
    time_unit: str | None = attrs.field(default=None, converter=optional_time_unit)

    def to_columns(self) -> Columns:
        """One row per pattern: ``frequency``, ``recency``, ``n_periods``, ``weights``."""
        cols = attrs.asdict(self, recurse=False)
        del cols["time_unit"]
        return freeze_columns(cols)

    @property
    def n_customers(self) -> int:
        """Total number of customers (the sum of ``weights``)."""
        return int(self.weights.sum())

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), f"BG/BB histories of {self.n_customers:,} customers")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


def validate_discrete_history(
    frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check BG/BB histories: whole numbers with ``0 <= frequency <= recency <= n_periods <=
    1e6`` and ``recency == 0`` exactly where ``frequency == 0``. They broadcast together."""
    x = as_float_array(frequency, "frequency", lower=0, integer=True)
    t_x = as_float_array(recency, "recency", lower=0, integer=True)
    n = as_float_array(n_periods, "n_periods", lower=0, upper=MAX_OPPORTUNITIES, integer=True)
    x, t_x, n = broadcast_arrays({"frequency": x, "recency": t_x, "n_periods": n})
    fail_at("recency", "must be <= n_periods", t_x, t_x > n)
    fail_at("recency", "must be 0 where frequency is 0", t_x, (x == 0) & (t_x != 0))
    fail_at(
        "frequency",
        "must be <= recency (x transactions need x opportunities up to the last one)",
        x,
        x > t_x,
    )
    return x, t_x, n


def _periods(t: Any, unit: str | None, name: str = "t") -> FloatArray:
    """Future opportunities from a length of time: ``floor(t)`` (transactions happen only at
    whole periods, so the window ``(n, n + t]`` holds ``floor(t)`` opportunities)."""
    values = as_float_array(as_times(t, unit, name), name, lower=0, upper=MAX_OPPORTUNITIES)
    out: FloatArray = np.floor(values)
    return out


@attrs.frozen
class BetaGeoBetaBinom(FittedModel):
    """The BG/BB model with known or fitted parameters (immutable).

    Build it from parameters, ``BetaGeoBetaBinom(BetaGeoBetaBinomParams(alpha, beta, gamma,
    delta), time_unit="Y")``, or estimate it with :meth:`BetaGeoBetaBinom.fit`.

    Histories are ``(frequency, recency, n_periods)``: ``frequency`` = number of
    opportunities with a transaction after the first period (``x``), ``recency`` = the
    opportunity of the last one (``t_x``; 0 if none), ``n_periods`` = opportunities observed
    after the first period (``n``); whole numbers with ``0 <= x <= t_x <= n``. Future windows
    ``t`` count opportunities: ``(n, n + t]`` holds ``floor(t)`` of them. The protocol's third
    argument ``T`` is ``n_periods`` here (same position).

    Time unit: the model's unit is the *period* (``"Y"`` for a yearly drive). It only labels
    the data: a BG/BB period is a purchase opportunity, so :meth:`in_unit` refuses to convert
    to another length of period (a yearly donor does not get twelve chances a year by relabelling
    the data); durations such as ``"3Y"`` are read in the period.

    Attributes
    ----------
    params
        The parameters ``alpha, beta, gamma, delta``.
    time_unit
        Label of the period, or ``None``.
    log_likelihood
        Total log-likelihood at the optimum (FHS 2010 eq. 7); -33,225.58 on the donations data.
    covariance
        Inverse of the observed information, shape ``(4, 4)``, order ``alpha, beta, gamma,
        delta``.
    n_customers
        Number of customers fitted (sum of the weights).
    diagnostics
        Convergence report of the optimizer.

    References
    ----------
    Fader, Hardie and Shang (2010), Customer-base analysis in a discrete-time noncontractual
    setting, Marketing Science 29(6), 1086-1108.

    Examples
    --------
    >>> model = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783), time_unit="Y")
    >>> round(float(model.probability_alive(3, 4, 6)), 4)
    0.4723
    >>> round(float(model.expected_purchases(5, 6, 6, 6)), 4)
    3.7521
    """

    TITLE: ClassVar[str] = "BG/BB model (BetaGeoBetaBinom)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = PARAM_NAMES

    params: BetaGeoBetaBinomParams = attrs.field(
        validator=attrs.validators.instance_of(BetaGeoBetaBinomParams)
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
        frequency: ArrayLike | DiscreteHistories | str | None = None,
        recency: ArrayLike | str | None = None,
        n_periods: ArrayLike | str | None = None,
        *,
        data: Any = None,
        time_unit: TimeUnit | None = None,
        weights: ArrayLike | None = None,
        strict: bool = False,
        initial: BetaGeoBetaBinomParams | None = None,
        progress: bool = False,
        penalizer: float = 0.0,
    ) -> BetaGeoBetaBinom:
        """Fit by maximum likelihood (FHS 2010 eq. 7) with the analytic gradient.

        Identical histories are collapsed into weights; the likelihood's sum over the
        opportunities after ``t_x`` is shared by histories with the same ``(x, t_x)``, so the
        cost grows with the number of distinct patterns and opportunities, not customers.

        Parameters
        ----------
        frequency
            Opportunities with a transaction after the first period (``x``), whole numbers,
            shape ``(n,)``; or a :class:`DiscreteHistories` (then omit ``recency``,
            ``n_periods`` and ``weights``); or with ``data`` a column name.
        recency
            Opportunity of the last transaction (``t_x``), ``frequency <= recency <=
            n_periods``, 0 when ``frequency`` is 0.
        n_periods
            Opportunities observed after the first period (``n``), whole numbers >= 0.
        data
            Optional DataFrame with one row per customer or pattern; the three arguments are
            then column names (defaults ``"frequency"``, ``"recency"``, ``"n_periods"``).
        time_unit
            Label of the period (e.g. ``"Y"``), recorded in the model.
        weights
            Optional number of customers sharing each row (>= 0), shape ``(n,)`` (the
            published donations table is such a count per pattern).
        strict
            Raise :class:`~custvalue.errors.ConvergenceError` instead of warning when the fit
            does not converge cleanly.
        initial
            Starting parameters (default ``alpha = beta = gamma = delta = 1``).
        progress
            Show a progress bar over the optimizer's iterations if tqdm is installed.
        penalizer
            Optional L2 penalty ``c >= 0`` on the log-parameters (see :meth:`BetaGeo.fit
            <custvalue.clv.BetaGeo.fit>`); off by default.

        Returns
        -------
        BetaGeoBetaBinom
            A new fitted model.

        Raises
        ------
        InvalidInputError
            For invalid histories or weights (message names the argument and index), or when
            every customer has ``n_periods = 0``.

        Examples
        --------
        >>> from custvalue.datasets import load_donations
        >>> d = load_donations()
        >>> model = BetaGeoBetaBinom.fit(d.frequency, d.recency, d.periods, weights=d.weights,
        ...                              time_unit="Y")
        >>> [round(v, 3) for v in model.params.as_array().tolist()], round(model.log_likelihood, 1)
        ([1.204, 0.75, 0.657, 2.783], -33225.6)
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        if isinstance(frequency, DiscreteHistories):
            if recency is not None or n_periods is not None or weights is not None:
                raise InvalidInputError(
                    "frequency is a DiscreteHistories, which already holds recency, n_periods "
                    "and weights; omit them"
                )
            if time_unit is not None and frequency.time_unit is not None:
                resolve_time_unit(frequency, time_unit, "time_unit=")
            unit = optional_time_unit(time_unit) or frequency.time_unit
            columns: tuple[Any, ...] = (frequency.frequency, frequency.recency, frequency.n_periods)
            weights = frequency.weights
        else:
            _reject_summary(frequency)
            given = model_input(
                frequency, {"recency": recency, "n_periods": n_periods}, first_name="frequency",
                data=data, time_unit=time_unit,
            )  # fmt: skip
            columns, unit = given.columns, given.time_unit
        x, t_x, n = (c.ravel() for c in validate_discrete_history(*columns))
        if weights is None:
            w = np.ones_like(x)
        else:
            w = as_float_array(weights, "weights", lower=0)
            if w.shape != x.shape:
                w = broadcast_arrays({"frequency": x, "weights": w})[1].copy()
        if x.size == 0 or not np.any(w > 0):
            raise InvalidInputError("frequency must hold at least one customer (weight > 0)")
        keep = w > 0
        (ux, utx, un), uw, _ = _collapse_histories(x[keep], t_x[keep], n[keep], w[keep])
        if not np.any(un > 0):
            raise InvalidInputError(
                "n_periods must be > 0 for at least one customer (weight > 0): histories with "
                "no opportunity observed carry no information about the parameters"
            )
        total = float(uw.sum())

        histories = kernels.HistoryLikelihood(ux, utx, un)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            ll, grad, _ = histories(*theta)
            assert grad is not None
            return float(uw @ ll), uw @ grad

        start = [1.0, 1.0, 1.0, 1.0] if initial is None else list(initial.as_array())
        result = maximize_likelihood(
            objective,
            start,
            names=PARAM_NAMES,
            total_weight=total,
            strict=strict,
            progress=progress,
            desc="BetaGeoBetaBinom.fit",
            penalizer=penalty,
        )
        return cls(
            BetaGeoBetaBinomParams(*(float(v) for v in result.params)),
            log_likelihood=result.log_likelihood,
            covariance=result.covariance,
            n_customers=total,
            diagnostics=result.diagnostics,
            time_unit=unit,
        )

    # ------------------------------------------------------------------ units
    def in_unit(self, time_unit: TimeUnit) -> BetaGeoBetaBinom:
        """The same model under another label of the *same* period length.

        A BG/BB period is a purchase opportunity: the parameters describe one opportunity, and
        there is no model of the same customers with shorter or longer opportunities. So only
        relabelling is allowed (``"Y"`` to ``"12M"``, ``"W"`` to ``"7D"``); any other unit is an
        :class:`~custvalue.errors.InvalidInputError`. (The conformance battery's time-unit
        invariance does not apply to this model.)

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.75, 0.657, 2.783), time_unit="W")
        >>> m.in_unit("7D").time_unit
        '7D'
        """
        if self.time_unit is None:
            raise InvalidInputError(
                f"in_unit({time_unit!r}): the model has no time unit (period) to relabel; set "
                "it with attrs.evolve(model, time_unit=...)"
            )
        label = time_unit_label(time_unit)
        if not same_time_unit(self.time_unit, label):
            raise InvalidInputError(
                f"in_unit({time_unit!r}): a BG/BB model counts purchase opportunities of one "
                f"period ({self.time_unit!r}); it cannot be converted to periods of another "
                "length (the customers would get a different number of opportunities). "
                "Rebuild the histories with the new period and refit instead"
            )
        return attrs.evolve(self, time_unit=label)

    # ------------------------------------------------------------------ inputs
    def _given(
        self, frequency: Any, recency: Any, n_periods: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, FloatArray, FloatArray, str | None]:
        """Histories (validated, broadcast) and the unit of the call."""
        if isinstance(frequency, DiscreteHistories):
            if recency is not None or n_periods is not None:
                raise InvalidInputError(
                    "frequency is a DiscreteHistories; omit recency and n_periods"
                )
            unit = resolve_time_unit(self, frequency.time_unit, "the DiscreteHistories")
            unit = resolve_time_unit(self, time_unit, "time_unit=") or unit
            cols: tuple[Any, ...] = (frequency.frequency, frequency.recency, frequency.n_periods)
        else:
            _reject_summary(frequency)
            if recency is None or n_periods is None:
                raise InvalidInputError("missing recency or n_periods: give all three histories")
            unit = resolve_time_unit(self, time_unit, "time_unit=")
            cols = (frequency, recency, n_periods)
        return (*validate_discrete_history(*cols), unit)

    def _p(self) -> tuple[float, float, float, float]:
        p = self.params
        return p.alpha, p.beta, p.gamma, p.delta

    def _per_history(
        self, x: FloatArray, t_x: FloatArray, n: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Log-likelihood and log P(alive at n) per history, once per distinct history."""
        shape = x.shape
        xf, tf, nf = x.ravel(), t_x.ravel(), n.ravel()
        if xf.size >= _GROUP_MIN:
            (ux, ut, un), _, inverse = _collapse_histories(xf, tf, nf)
            ll, _, la = kernels.log_likelihood_and_gradient(ux, ut, un, *self._p(), gradient=False)
            return ll[inverse].reshape(shape), la[inverse].reshape(shape)
        ll, _, la = kernels.log_likelihood_and_gradient(xf, tf, nf, *self._p(), gradient=False)
        return ll.reshape(shape), la.reshape(shape)

    # --------------------------------------------------------------- predictions
    def log_likelihood_per_customer(
        self,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Per-customer log-likelihood, FHS (2010) eq. (7), computed in log space.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.log_likelihood_per_customer(0, 0, 6)), 4)
        -1.1673
        """
        x, t_x, n, _ = self._given(frequency, recency, n_periods, time_unit)
        return self._per_history(x, t_x, n)[0]

    def probability_alive(
        self,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(alive at opportunity ``n`` | history): still active at the end of observation.

        ``B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n)/B(gamma,delta) / L`` (FHS 2010
        appendix; lifetimes' ``conditional_probability_alive(0, ...)``). The probability of
        being alive at the *next* opportunity (the paper's eq. 11) is
        ``probability_alive_at(1, ...)``.

        Parameters
        ----------
        frequency, recency, n_periods
            Histories (see :meth:`fit`), broadcast together; or a :class:`DiscreteHistories`.
        time_unit
            Optional label of the period, checked against the model's.
        """
        x, t_x, n, _ = self._given(frequency, recency, n_periods, time_unit)
        out: FloatArray = np.exp(self._per_history(x, t_x, n)[1])
        return out

    def probability_alive_at(
        self,
        m: ArrayLike,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(alive at opportunity ``n + m`` | history), ``m`` whole opportunities ahead.

        ``m = 0`` is :meth:`probability_alive`; ``m = 1`` is FHS (2010) eq. (11), the
        probability of being available at the next opportunity.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.probability_alive_at(1, 6, 6, 6)), 4)
        0.9304
        """
        mm = as_float_array(m, "m", lower=0, integer=True)
        x, t_x, n, _ = self._given(frequency, recency, n_periods, time_unit)
        mm, x, t_x, n = broadcast_arrays({"m": mm, "frequency": x, "recency": t_x, "n_periods": n})
        g, d = self.params.gamma, self.params.delta
        log_alive = self._per_history(x, t_x, n)[1]
        out: FloatArray = np.exp(log_alive + kernels.log_beta_ratio(g, d + n, 0.0, mm))
        return out

    def _window(
        self, t: Any, frequency: Any, recency: Any, n_periods: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, ...]:
        x, t_x, n, unit = self._given(frequency, recency, n_periods, time_unit)
        return broadcast_arrays(
            {"t": _periods(t, unit), "frequency": x, "recency": t_x, "n_periods": n}
        )

    def expected_purchases(
        self,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """E[X(n, n + t) | history]: expected transactions at the next ``floor(t)``
        opportunities, FHS (2010) eq. (13).

        ``P(alive at n) (alpha+x)/(alpha+beta+n) sum_{k=1}^{t} B(gamma, delta+n+k)/B(gamma,
        delta+n)``; the sum is evaluated term by term in log space (no ``1/(gamma-1)``
        singularity).

        Parameters
        ----------
        t
            Future opportunities (>= 0; a fraction counts the whole opportunities inside the
            window), or a duration (``"3Y"``) read in the model's period.
        frequency, recency, n_periods
            Histories (see :meth:`fit`), or a :class:`DiscreteHistories`.
        time_unit
            Optional label of the period, checked against the model's.
        """
        tt, x, t_x, n = self._window(t, frequency, recency, n_periods, time_unit)
        return self._expected(tt, x, t_x, n, 1.0)

    def _expected(
        self, tt: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray, z: float
    ) -> FloatArray:
        a, b, g, d = self._p()
        shape = x.shape
        alive = np.exp(self._per_history(x, t_x, n)[1])
        sums = kernels.survival_sums((d + n).ravel(), tt.ravel(), g, z).reshape(shape)
        out: FloatArray = alive * (a + x) / (a + b + n) * sums
        return out

    def conditional_probability_of_purchases(
        self,
        n: ArrayLike,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(X(n_periods, n_periods + t) = n | history): exactly ``n`` transactions at the next
        ``floor(t)`` opportunities.

        Dead customers (probability ``1 - P(alive)``) make none; an alive one has the
        posterior ``p ~ Beta(alpha+x, beta+n_periods-x)``, ``theta ~ Beta(gamma,
        delta+n_periods)`` and FHS (2010) eq. (7) applies with those. Sums to 1 over ``n``.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.conditional_probability_of_purchases([0, 1, 2], 2, 1, 1, 6).sum()), 6)
        1.0
        """
        k = as_float_array(n, "n", lower=0, integer=True)
        tt, x, t_x, nn = self._window(t, frequency, recency, n_periods, time_unit)
        k, tt, x, t_x, nn = broadcast_arrays(
            {"n": k, "t": tt, "frequency": x, "recency": t_x, "n_periods": nn}
        )
        a, b, g, d = self._p()
        shape = k.shape
        alive = np.exp(self._per_history(x, t_x, nn)[1]).ravel()
        log_p = kernels.log_probability_of_count(
            k.ravel(), tt.ravel(), (a + x).ravel(), (b + nn - x).ravel(), g, (d + nn).ravel()
        )
        out = alive * np.exp(log_p) + np.where(k.ravel() == 0, 1.0 - alive, 0.0)
        result: FloatArray = np.clip(out, 0.0, 1.0).reshape(shape)
        return result

    def expected_purchases_new(
        self, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """E[X(t)]: expected transactions of a new customer at opportunities ``1..floor(t)``,
        FHS (2010) eq. (6).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.expected_purchases_new(6)), 4)
        2.2196
        """
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        tt = _periods(t, unit)
        a, b, g, d = self._p()
        sums = kernels.survival_sums(np.full(tt.size, d), tt.ravel(), g).reshape(tt.shape)
        out: FloatArray = a / (a + b) * sums
        return out

    def log_probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """ln P(X(t) = n) for a new customer (FHS 2010 eq. 7), in log space."""
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        k = as_float_array(n, "n", lower=0, integer=True)
        k, tt = broadcast_arrays({"n": k, "t": _periods(t, unit)})
        a, b, g, d = self._p()
        ones = np.ones(k.size)
        out: FloatArray = kernels.log_probability_of_count(
            k.ravel(), tt.ravel(), a * ones, b * ones, g, d * ones
        ).reshape(k.shape)
        return out

    def probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """P(X(t) = n): probability that a new customer transacts at exactly ``n`` of the
        opportunities ``1..floor(t)``, FHS (2010) eq. (7).

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.probability_of_purchases(np.arange(7), 6).sum()), 12)
        1.0
        """
        out: FloatArray = np.exp(self.log_probability_of_purchases(n, t, time_unit=time_unit))
        return out

    # --------------------------------------------------------------- DERT
    def discounted_expected_residual_transactions(
        self,
        frequency: ArrayLike | CustomerSummary | DiscreteHistories,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        *,
        discount_rate: float,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """DERT with a discrete discount rate ``d`` per period, FHS (2010) eq. (14).

        ``sum_{k>=1} E[transaction at opportunity n+k | history] / (1+d)^k``, evaluated with
        the paper's closed form ``B(alpha+x+1, beta+n-x)/B(alpha,beta) B(gamma, delta+n+1) /
        (B(gamma,delta) (1+d)) 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / L``.
        :func:`~custvalue.clv.discounted_expected_transactions` gives the same number with the
        continuous rate ``ln(1 + d)`` per period (a direct sum).

        Parameters
        ----------
        frequency, recency, n_periods
            Histories (see :meth:`fit`), or a :class:`DiscreteHistories`.
        discount_rate
            Discount rate ``d > 0`` per period (0.1 = 10% a period).
        time_unit
            Optional label of the period, checked against the model's.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> round(float(m.discounted_expected_residual_transactions(6, 6, 6, discount_rate=0.1)), 4)
        5.9087
        """
        rate = as_scalar(discount_rate, "discount_rate", lower=0, lower_inclusive=False)
        x, t_x, n, _ = self._given(frequency, recency, n_periods, time_unit)
        a, b, g, d = self._p()
        alive = np.exp(self._per_history(x, t_x, n)[1])
        residual = kernels.discounted_residual_hyp2f1(d + n, g, 1.0 / (1.0 + rate))
        out: FloatArray = alive * (a + x) / (a + b + n) * residual
        return out

    def _discounted_transactions(
        self, x: FloatArray, t_x: FloatArray, age: FloatArray, horizon: float, delta: float,
        n_nodes: int | None,
    ) -> FloatArray | None:  # fmt: skip
        """Hook of :func:`~custvalue.clv.discounted_expected_transactions`: transactions
        happen only at whole opportunities, so DET is the discrete sum over the opportunities
        ``k = 1..floor(horizon)`` (truncated where ``exp(-delta k) < 1e-18``), each discounted
        by ``exp(-delta k)``."""
        del n_nodes  # no quadrature
        x, t_x, age = validate_discrete_history(x, t_x, age)
        last = math.floor(horizon) if math.isfinite(horizon) else math.inf
        if delta > 0:
            last = min(last, math.ceil(41.5 / delta))
        return self._expected(np.full(x.shape, float(last)), x, t_x, age, math.exp(-delta))

    # --------------------------------------------------------------- simulation
    def simulate(
        self, T: ArrayLike, *, rng: np.random.Generator | int, horizon: float = 0.0
    ) -> SimulatedHistories:
        """Draw BG/BB histories with ``T`` observed opportunities each (whole numbers >= 0)
        and ``floor(horizon)`` holdout opportunities.

        Each customer draws ``p ~ Beta(alpha, beta)`` (returned as ``purchase_rate``: the
        per-opportunity transaction probability) and ``theta ~ Beta(gamma, delta)`` (returned
        as ``dropout_probability``: the per-opportunity dropout probability); it survives the
        start of each opportunity with probability ``1 - theta`` and then transacts with
        probability ``p``. ``recency`` is the last opportunity with a transaction, ``T`` the
        ``n_periods``.

        Examples
        --------
        >>> m = BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783))
        >>> m.simulate(np.full(3, 6.0), rng=1).frequency.shape
        (3,)
        """
        from custvalue.clv.simulate import SimulatedHistories

        n = np.atleast_1d(as_float_array(T, "T", lower=0, integer=True)).ravel()
        h = math.floor(as_scalar(horizon, "horizon", lower=0))
        gen = as_rng(rng)
        a, b, g, d = self._p()
        size = n.size
        p = gen.beta(a, b, size=size)
        theta = gen.beta(g, d, size=size)
        # opportunities alive: survive each start with 1 - theta (geometric number of them)
        alive_for = gen.geometric(np.clip(theta, 1e-300, 1.0)) - 1.0
        frequency = np.zeros(size)
        recency = np.zeros(size)
        holdout = np.zeros(size)
        last = int(np.max(n)) + h if size else 0
        for period in range(1, last + 1):
            buys = (alive_for >= period) & (period <= n + h) & (gen.random(size) < p)
            cal = buys & (period <= n)
            frequency += cal
            recency[cal] = period
            holdout += buys & ~cal
        return SimulatedHistories(
            frequency=frequency,
            recency=recency,
            T=n,
            holdout_frequency=holdout,
            alive_at_T=alive_for >= n,
            purchase_rate=p,
            dropout_probability=theta,
        )

    def __repr__(self) -> str:
        p = self.params
        unit = "" if self.time_unit is None else f", time_unit={self.time_unit!r}"
        return (
            f"BetaGeoBetaBinom(BetaGeoBetaBinomParams(alpha={p.alpha!r}, beta={p.beta!r}, "
            f"gamma={p.gamma!r}, delta={p.delta!r}){unit})"
        )

    # --------------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind ``"BetaGeoBetaBinom"``), bit-exact."""
        payload: dict[str, Any] = {
            "params": params_to_payload(self.params, PARAM_NAMES),
            "fit": fit_to_payload(self),
            "time_unit": self.time_unit,
        }
        return _persist.dumps("BetaGeoBetaBinom", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> BetaGeoBetaBinom:
        """Load a model written by :meth:`to_json`.

        Raises
        ------
        PersistenceError
            For malformed documents, another kind, or a newer schema version.
        """
        payload = _persist.loads(text, "BetaGeoBetaBinom")
        values = params_from_payload(payload, PARAM_NAMES)
        with _persist.invalid_content("BetaGeoBetaBinom"):
            return cls(
                BetaGeoBetaBinomParams(**values),
                **fit_from_payload(payload.get("fit"), len(PARAM_NAMES)),
                time_unit=time_unit_from_payload(payload),
            )


#: Histories with ``max(n_periods) + 1`` up to this are grouped by a dense code table.
_DENSE_TOP = 128


def _collapse_histories(
    x: FloatArray, t_x: FloatArray, n: FloatArray, weights: FloatArray | None = None
) -> tuple[tuple[FloatArray, FloatArray, FloatArray], FloatArray, NDArray[np.intp]]:
    """:func:`~custvalue._collapse.collapse_rows` for validated BG/BB histories.

    Whole numbers ``0 <= x <= t_x <= n`` with a small ``max(n)`` (yearly or monthly
    opportunities) are grouped by one integer code per row and a ``bincount``, in O(rows)
    with no sort; otherwise the general collapse.
    """
    top = int(np.max(n)) + 1 if n.size else 1
    if top > _DENSE_TOP:
        (cx, ct, cn), cw, cinv = collapse_rows(x, t_x, n, weights=weights)
        return (cx, ct, cn), cw, cinv
    code = (n.astype(np.intp) * top + t_x.astype(np.intp)) * top + x.astype(np.intp)
    counts = np.bincount(code, minlength=top**3)
    present = counts > 0
    rank = np.cumsum(present, dtype=np.intp) - 1
    inverse = rank[code]
    codes = np.flatnonzero(present)
    w: FloatArray = (counts[codes] if weights is None else np.bincount(inverse, weights)).astype(
        np.float64
    )
    ux = (codes % top).astype(np.float64)
    ut = (codes // top % top).astype(np.float64)
    un = (codes // (top * top)).astype(np.float64)
    return (ux, ut, un), w, inverse


def _reject_summary(value: Any) -> None:
    if isinstance(value, CustomerSummary):
        raise InvalidInputError(
            "frequency is a CustomerSummary (continuous-time histories); the BG/BB model needs "
            "discrete histories (frequency, recency, n_periods in whole opportunities): build "
            "them with custvalue.clv.bgbb_histories from the period of each transaction"
        )


# ------------------------------------------------------------------ histories from a log
def bgbb_histories(
    customer_id: ArrayLike,
    period: ArrayLike,
    *,
    last_period: int,
    time_unit: TimeUnit | None = None,
) -> DiscreteHistories:
    """BG/BB histories from a log of (customer, period index) pairs, collapsed into counts.

    Each customer's first period is its birth (acquisition, not counted); ``frequency`` is the
    number of *later* distinct periods with a transaction, ``recency`` the last one counted
    from the birth period (0 if none), ``n_periods = last_period - birth`` the opportunities
    observed after the birth. Several transactions in one period count once.

    Parameters
    ----------
    customer_id
        Customer of each transaction, shape ``(n_rows,)``: integers or strings, as for
        :func:`~custvalue.summarize_transactions` (missing ids are refused).
    period
        Period index of each transaction (whole numbers: a year such as 1995, or a period
        number), shape ``(n_rows,)``.
    last_period
        Index of the last period observed (every period must be <= it).
    time_unit
        Label of the period (e.g. ``"Y"``), recorded in the result.

    Returns
    -------
    DiscreteHistories
        One row per distinct ``(frequency, recency, n_periods)``, with the number of customers.

    Raises
    ------
    InvalidInputError
        For mismatched shapes, non-integer periods, periods after ``last_period`` or more than
        ``MAX_OPPORTUNITIES`` (1e6) before it (naming the customer id and row).

    Examples
    --------
    >>> h = bgbb_histories([1, 1, 1, 2, 3, 3], [1995, 1996, 1998, 1996, 1995, 1995],
    ...                    last_period=2000, time_unit="Y")
    >>> h.frequency.tolist(), h.recency.tolist(), h.n_periods.tolist(), h.weights.tolist()
    ([0, 0, 2], [0, 0, 3], [4, 5, 5], [1, 1, 1])
    """
    ids = coerce_ids(customer_id, "customer_id")  # the ids summarize_transactions accepts
    per = as_float_array(period, "period")
    if per.shape != ids.shape:
        raise InvalidInputError(
            f"period must have the shape of customer_id {ids.shape}; got {per.shape}"
        )
    last = as_scalar(last_period, "last_period")
    if last != math.floor(last):
        raise InvalidInputError(f"last_period must be a whole number; got {last_period!r}")
    fail_at("period", f"must be <= last_period ({last:g})", per, per > last, ids=ids)
    fail_at("period", "must be a whole number", per, per != np.round(per), ids=ids)
    fail_at(
        "period",
        f"must be >= last_period - {MAX_OPPORTUNITIES:g} (at most {MAX_OPPORTUNITIES:g} "
        "opportunities observed)",
        per,
        per < last - MAX_OPPORTUNITIES,
        ids=ids,
    )
    if ids.size == 0:
        raise InvalidInputError("customer_id must hold at least one transaction")
    uid, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(-1)
    # distinct (customer, period) pairs
    pairs = np.unique(np.stack([inverse.astype(np.float64), per]), axis=1)
    who, when = pairs[0].astype(np.int64), pairs[1]
    birth = np.full(uid.size, np.inf)
    np.minimum.at(birth, who, when)
    latest = np.full(uid.size, -np.inf)
    np.maximum.at(latest, who, when)
    count = np.bincount(who, minlength=uid.size).astype(np.float64)
    frequency = count - 1.0
    recency = latest - birth
    n_periods = last - birth
    (fx, fr, fn), weights, _ = _collapse_histories(frequency, recency, n_periods)
    order = np.lexsort((fr, fx, fn))
    return DiscreteHistories(
        frequency=fx[order].astype(np.int64),
        recency=fr[order].astype(np.int64),
        n_periods=fn[order].astype(np.int64),
        weights=weights[order].astype(np.int64),
        time_unit=time_unit,
    )
