"""BG/NBD purchase model (Fader, Hardie and Lee 2005): parameters, fitting, predictions.

The math lives in :mod:`custvalue.clv._bgnbd_kernels` as pure functions; this module holds
the validated, immutable model objects. Times (``recency``, ``T``, ``t``) and ``alpha`` share
one unit, the caller's (days, weeks, ...); nothing is rescaled behind your back, so the
reported log-likelihood is comparable with the papers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from custvalue import _persist
from custvalue._collapse import group_rows, repetition_pays
from custvalue._progress import check_progress
from custvalue._validation import (
    as_float_array,
    as_scalar,
    broadcast_arrays,
    optional_readonly_array,
    validate_history,
)
from custvalue.clv import _bgnbd_kernels as kernels
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
    checked_histories,
    checked_window,
    fit_histories,
    optional_time_unit,
    resolve_time_unit,
)
from custvalue.clv._optimize import (
    FitDiagnostics,
    checked_penalizer,
    maximize_likelihood,
    strided_subsample,
)
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import Duration, TimeUnit, time_unit_days

if TYPE_CHECKING:
    from typing_extensions import Self

    from custvalue.clv.simulate import SimulatedHistories

__all__ = ["BetaGeo", "BetaGeoParams"]

FloatArray = NDArray[np.float64]
PARAM_NAMES = ("r", "alpha", "a", "b")


def _positive(value: Any, name: str) -> float:
    return as_scalar(value, name, lower=0, lower_inclusive=False)


def _positive_r(value: Any) -> float:
    return _positive(value, "r")


def _positive_alpha(value: Any) -> float:
    return _positive(value, "alpha")


def _positive_a(value: Any) -> float:
    return _positive(value, "a")


def _positive_b(value: Any) -> float:
    return _positive(value, "b")


@attrs.frozen
class _BetaGeoFamilyParams:
    """The four parameters shared by the BG/NBD and MBG/NBD models (validated, immutable)."""

    r: float = attrs.field(converter=_positive_r)
    alpha: float = attrs.field(converter=_positive_alpha)
    a: float = attrs.field(converter=_positive_a)
    b: float = attrs.field(converter=_positive_b)

    def as_array(self) -> FloatArray:
        """The parameters as a float64 array ``[r, alpha, a, b]``."""
        return np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)


@attrs.frozen
class BetaGeoParams(_BetaGeoFamilyParams):
    """Parameters of the BG/NBD model.

    Attributes
    ----------
    r, alpha
        Shape and rate of the Gamma distribution of the purchase rate ``lambda`` across
        customers; ``alpha`` is in the data's time unit (mean rate ``r/alpha`` purchases per
        time unit).
    a, b
        Shape parameters of the Beta distribution of the dropout probability ``p``
        (applied after each repeat purchase).

    All four must be positive and finite (:class:`~custvalue.errors.InvalidInputError`).

    Examples
    --------
    >>> BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426).alpha
    4.414
    """


def _history(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return validate_history(frequency, recency, T)


def _time(t: ArrayLike, name: str = "t") -> FloatArray:
    return as_float_array(t, name, lower=0)


class _BetaGeoFamily(FittedModel):
    """What :class:`BetaGeo` and :class:`~custvalue.clv.ModifiedBetaGeo` share: everything.

    The two models differ only in the dropout opportunity right after the first purchase
    (MBG/NBD has it, BG/NBD does not), which the kernels take as ``dropout_at_zero``. A
    concrete model is an attrs class declaring the fields (``params`` of its own parameter
    class first, then the fit information) and the class variables below.
    """

    #: The parameter class (``r, alpha, a, b``).
    _PARAMS: ClassVar[type[_BetaGeoFamilyParams]]
    #: The kernel module: :mod:`._bgnbd_kernels` or :mod:`._mbgnbd_kernels` (same names).
    _KERNELS: ClassVar[ModuleType]
    #: Whether a customer may drop out right after the first purchase (MBG/NBD).
    _DROPOUT_AT_ZERO: ClassVar[bool]

    params: _BetaGeoFamilyParams
    total_repeat_purchases: float | None

    if TYPE_CHECKING:  # the attrs __init__ of the concrete classes

        def __init__(
            self, params: Any, log_likelihood: float | None = None, covariance: Any = None,
            n_customers: float | None = None, diagnostics: FitDiagnostics | None = None, *,
            time_unit: TimeUnit | None = None, total_repeat_purchases: float | None = None,
        ) -> None: ...  # fmt: skip

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        frequency: ArrayLike | CustomerSummary | str | None = None,
        recency: ArrayLike | str | None = None,
        T: ArrayLike | str | None = None,
        *,
        data: Any = None,
        time_unit: TimeUnit | None = None,
        weights: ArrayLike | None = None,
        strict: bool = False,
        initial: _BetaGeoFamilyParams | None = None,
        progress: bool = False,
        penalizer: float = 0.0,
    ) -> Self:
        """Fit by maximum likelihood (FHL 2005 eq. 6; MBG/NBD: Batislam et al. 2007 eq. 3).

        Identical ``(frequency, recency, T)`` rows are collapsed into weights, so the cost
        grows with the number of distinct histories. The optimizer works in log-parameters
        with the analytic gradient and reports standard errors from the observed information.

        Parameters
        ----------
        frequency
            Repeat purchases ``x`` per customer (whole numbers >= 0), shape ``(n,)``; or a
            :class:`~custvalue.summary.CustomerSummary` (then omit ``recency`` and ``T``: they
            and the time unit come from the summary); or with ``data`` a column name.
        recency
            Time of the last purchase since the first (``t_x``), ``0 <= recency <= T``; 0
            when ``frequency`` is 0. Data time unit.
        T
            Time from the first purchase to the end of the window (> 0). Data time unit.
        data
            Optional DataFrame (pandas, Polars, PyArrow ... through narwhals) with one row per
            customer; ``frequency``, ``recency`` and ``T`` are then column names (default
            ``"frequency"``, ``"recency"``, ``"T"``), as in ``summarize_transactions(...,
            data=frame)``.
        time_unit
            Time unit of the data (``"D"``, ``"W"`` ...), recorded in the model; checked
            against a summary's own unit. Default: the summary's unit, else ``None``.
        weights
            Optional number of customers sharing each row (>= 0), shape ``(n,)``.
        strict
            Raise :class:`~custvalue.errors.ConvergenceError` instead of warning when the fit
            does not converge cleanly.
        initial
            Starting parameters (default: ``r = 1``, ``alpha`` = mean T / (mean x + 1),
            ``a = b = 1``).
        progress
            Show a progress bar over the optimizer's iterations if tqdm is installed.
        penalizer
            Optional L2 penalty ``c >= 0`` on the log-parameters (lifetimes'
            ``penalizer_coef``): the fit maximises the mean log-likelihood per customer minus
            ``c * sum(log(param)^2)``, shrinking the parameters towards 1 on small or degenerate
            data. Off (0) by default; recorded in ``diagnostics.penalizer`` and the summary.

        Returns
        -------
        BetaGeo
            A new fitted model.

        Raises
        ------
        InvalidInputError
            For invalid histories or weights (message names the argument and index), when
            every customer has ``T = 0``, or when ``time_unit`` differs from the summary's.
        ConvergenceError
            With ``strict=True``, when the fit does not converge.

        Warns
        -----
        ConvergenceWarning
            When the fit does not converge cleanly (e.g. no repeat buyers at all).

        Examples
        --------
        >>> from custvalue.datasets import load_cdnow_summary
        >>> model = BetaGeo.fit(load_cdnow_summary())
        >>> model.time_unit, round(model.params.r, 3)
        ('W', 0.243)
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        hist = fit_histories(frequency, recency, T, data=data, time_unit=time_unit, weights=weights)
        ux, utx, uT, uw = hist.frequency, hist.recency, hist.T, hist.weights
        total = hist.total

        objective = _HistoryObjective(ux, utx, uT, uw, dropout_at_zero=cls._DROPOUT_AT_ZERO)
        subsample = strided_subsample(
            functools.partial(_HistoryObjective, dropout_at_zero=cls._DROPOUT_AT_ZERO),
            ux, utx, uT, uw,
        )  # fmt: skip

        if initial is None:
            mean_x = _dot(uw, ux) / total
            mean_T = _dot(uw, uT) / total
            start = [1.0, mean_T / (mean_x + 1.0), 1.0, 1.0]
        else:
            start = list(initial.as_array())
        result = maximize_likelihood(
            objective,
            start,
            names=PARAM_NAMES,
            total_weight=total,
            strict=strict,
            progress=progress,
            desc=f"{cls.__name__}.fit",
            penalizer=penalty,
            hessian=objective.hessian,
            subsample=subsample,
        )
        r, alpha, a, b = (float(v) for v in result.params)
        return cls(
            cls._PARAMS(r=r, alpha=alpha, a=a, b=b),
            log_likelihood=result.log_likelihood,
            covariance=result.covariance,
            n_customers=total,
            diagnostics=result.diagnostics,
            time_unit=hist.time_unit,
            total_repeat_purchases=hist.total_repeat_purchases,
        )

    # ------------------------------------------------------------------ units
    def in_unit(self, time_unit: TimeUnit) -> Self:
        """The same model with every time expressed in another unit.

        With ``k`` = the number of new units in one old unit (7 from weeks to days), the
        purchase rate per unit is divided by ``k``, so ``alpha`` is multiplied by ``k``
        (``r``, ``a``, ``b`` are dimensionless). Every prediction is unchanged for the same
        real durations: ``in_unit("D").probability_alive(x, 7 t_x, 7 T)`` equals
        ``probability_alive(x, t_x, T)`` of a weekly model.

        Fit information is carried over consistently: the covariance is transformed with the
        Jacobian ``diag(1, k, 1, 1)``; the log-likelihood is a density in the purchase times,
        so each of the ``total_repeat_purchases`` repeat purchases contributes ``-ln k``
        (``LL' = LL - sum(x) ln k``, what a fit on the re-expressed data reports; AIC and BIC
        shift with it); the diagnostics are unchanged (the gradient is taken in
        log-parameters, which a change of unit only translates).

        Parameters
        ----------
        time_unit
            The new unit (``"D"``, ``"W"``, ``"M"``, ``"Y"``, a multiple or a timedelta).

        Returns
        -------
        BetaGeo
            A new model with ``time_unit`` set to the new label.

        Raises
        ------
        InvalidInputError
            If the model has no time unit (set one first: ``attrs.evolve(model,
            time_unit="W")``), or a fitted model lacks ``total_repeat_purchases`` (a
            document saved before it was recorded: refit to convert the log-likelihood).

        Examples
        --------
        >>> weekly = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), time_unit="W")
        >>> daily = weekly.in_unit("D")
        >>> daily.time_unit, round(daily.params.alpha, 3)
        ('D', 30.898)
        >>> bool(np.isclose(daily.probability_alive(2, 7 * 30.43, 7 * 38.86),
        ...                 weekly.probability_alive(2, 30.43, 38.86)))
        True
        """
        if self.time_unit is None:
            raise InvalidInputError(
                f"in_unit({time_unit!r}): the model has no time unit to convert from (it was "
                "fitted from bare arrays); set it first with attrs.evolve(model, time_unit=...) "
                "or fit from a CustomerSummary"
            )
        k = time_unit_days(self.time_unit) / time_unit_days(time_unit)
        p = self.params
        ll = self.log_likelihood
        if ll is not None:
            if self.total_repeat_purchases is None:
                raise InvalidInputError(
                    f"in_unit({time_unit!r}): this fitted model does not record "
                    "total_repeat_purchases (saved by an older custvalue), so its "
                    "log-likelihood cannot be re-expressed; refit it in the new unit"
                )
            ll = ll - self.total_repeat_purchases * math.log(k)
        covariance = self.covariance
        if covariance is not None:
            jac = np.array([1.0, k, 1.0, 1.0])
            covariance = covariance * np.outer(jac, jac)
        return type(self)(
            attrs.evolve(p, alpha=p.alpha * k),
            log_likelihood=ll,
            covariance=covariance,
            n_customers=self.n_customers,
            diagnostics=self.diagnostics,
            time_unit=time_unit,
            total_repeat_purchases=self.total_repeat_purchases,
        )

    def _given(
        self, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, FloatArray, FloatArray, str | None]:
        """Histories from arrays or a summary, checked against the model's unit, and the
        unit of the call."""
        return checked_histories(self, frequency, recency, T, time_unit)

    def _window(
        self, t: Any, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, ...]:
        """``(t, x, t_x, T)`` broadcast together, ``t`` read as a duration in the call's unit."""
        return checked_window(self, t, frequency, recency, T, time_unit)

    # --------------------------------------------------------------- predictions
    def _p(self) -> tuple[float, float, float, float]:
        p = self.params
        return p.r, p.alpha, p.a, p.b

    def log_likelihood_per_customer(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Per-customer log-likelihood (FHL 2005 eq. 6; MBG/NBD: Batislam et al. 2007 eq. 3)
        in the data's time unit.

        Parameters
        ----------
        frequency, recency, T
            Customer histories (see :meth:`fit`); they broadcast together. Or a
            :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (then omit the others).
        time_unit
            Optional unit of the histories, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Broadcast shape of the inputs.
        """
        x, t_x, age, _ = self._given(frequency, recency, T, time_unit)
        return _per_history(self._KERNELS.log_likelihood, self._p(), x, t_x, age)

    def probability_alive(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(the customer is still alive at T | history), FHL (2008) eq. (1).

        Exactly 1 for customers without repeat purchases in the BG/NBD model, where dropout
        can only happen right after a repeat purchase; below 1 for them in the MBG/NBD model
        (``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))``, Batislam et al. 2007).

        Parameters
        ----------
        frequency, recency, T
            Customer histories (see :meth:`fit`); they broadcast together. Or a
            :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (then omit the others).
        time_unit
            Optional unit of the histories, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], broadcast shape of the inputs.
        """
        x, t_x, age, _ = self._given(frequency, recency, T, time_unit)
        return _per_history(self._KERNELS.probability_alive, self._p(), x, t_x, age)

    def expected_purchases(
        self,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Expected purchases in ``(T, T + t]`` given the history, FHL (2005) eq. (10).

        ``P(alive)`` times the expectation of a customer alive at ``T`` (posterior ``r+x,
        alpha+T, a, b+x``; ``b+x+1`` for MBG/NBD, Wagner and Hoppe 2008).

        Parameters
        ----------
        t
            Length of the future window (>= 0) in the model's time unit, or a duration
            (``"12M"``, ``"90D"``, a timedelta) converted to it.
        frequency, recency, T
            Customer histories (see :meth:`fit`), or a CustomerSummary as ``frequency``.
        time_unit
            Optional unit of the histories, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Broadcast shape of all four arguments.
        """
        tt, x, t_x, age = self._window(t, frequency, recency, T, time_unit)
        kernel = self._KERNELS.expected_purchases_conditional
        return _per_history(kernel, self._p(), tt, x, t_x, age)

    def probability_no_purchase(
        self,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(no purchase in ``(T, T + t]`` | history).

        ``1 - P(alive) [1 - ((alpha+T)/(alpha+T+t))^(r+x)]``.

        Parameters
        ----------
        t
            Length of the future window (>= 0) in the model's time unit, or a duration
            (``"12M"``, ``"90D"``, a timedelta) converted to it.
        frequency, recency, T
            Customer histories (see :meth:`fit`), or a CustomerSummary as ``frequency``.
        time_unit
            Optional unit of the histories, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], broadcast shape of all four arguments.
        """
        tt, x, t_x, age = self._window(t, frequency, recency, T, time_unit)
        kernel = self._KERNELS.probability_no_purchase_conditional
        return _per_history(kernel, self._p(), tt, x, t_x, age)

    def log_conditional_probability_of_purchases(
        self,
        n: ArrayLike,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """ln P(X(T, T + t) = n | history), computed in log space.

        Arguments as for :meth:`conditional_probability_of_purchases`; finite wherever the
        probability is positive, even when it underflows (``x`` and ``n`` in the thousands).
        """
        tt, x, t_x, age = self._window(t, frequency, recency, T, time_unit)
        nn = as_float_array(n, "n", lower=0, integer=True)
        nn, tt, x, t_x, age = broadcast_arrays(
            {"n": nn, "t": tt, "frequency": x, "recency": t_x, "T": age}
        )
        return _per_history(
            self._KERNELS.log_conditional_probability_of_purchases, self._p(), nn, tt, x, t_x, age
        )

    def conditional_probability_of_purchases(
        self,
        n: ArrayLike,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(X(T, T + t) = n | history): exactly ``n`` purchases in the next ``t``.

        A customer alive at ``T`` buys in ``(T, T + t]`` like a new customer with the
        posterior parameters ``(r + x, alpha + T, a, b + x)``; a dead one never buys:
        ``P(alive) P(X(t) = n | r+x, alpha+T, a, b+x) + 1{n = 0} (1 - P(alive))`` (Fader,
        Hardie and Lee's note on the BG/NBD conditional PMF), in log space. Sums to 1 over
        ``n = 0, 1, ...`` with mean :meth:`expected_purchases`; ``n = 0`` is
        :meth:`probability_no_purchase`.

        Parameters
        ----------
        n
            Number of purchases in the window (whole number >= 0).
        t
            Length of the future window (>= 0) in the model's time unit, or a duration
            (``"12M"``, ``"90D"``, a timedelta) converted to it.
        frequency, recency, T
            Customer histories (see :meth:`fit`), or a CustomerSummary as ``frequency``.
        time_unit
            Optional unit of the histories, checked against the model's (as is a summary's).

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], broadcast shape of all five arguments.

        Examples
        --------
        >>> model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> p = model.conditional_probability_of_purchases(np.arange(3), 39.0, 2, 30.43, 38.86)
        >>> np.round(p, 4).tolist()
        [0.4454, 0.2393, 0.1442]
        """
        out: FloatArray = np.exp(
            self.log_conditional_probability_of_purchases(
                n, t, frequency, recency, T, time_unit=time_unit
            )
        )
        return out

    def expected_purchases_new(
        self, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """E[X(t)]: expected repeat purchases in ``(0, t]`` of a new customer, FHL (2005) eq. (9).

        Parameters
        ----------
        t
            Time since the first purchase (>= 0) in the model's time unit, any shape; or a
            duration (``"1Y"``, a timedelta) converted to it.
        time_unit
            Optional unit of ``t``, checked against the model's.

        Examples
        --------
        >>> model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> round(float(model.expected_purchases_new(39.0)), 3)
        1.197
        """
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        out: FloatArray = self._KERNELS.expected_purchases_new(
            _time(as_times(t, unit, "t")), *self._p()
        )
        return out

    def log_probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """ln P(X(t) = n) for a new customer (FHL 2005 eq. 8), computed in log space.

        Arguments as for :meth:`probability_of_purchases`.
        """
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        nn = as_float_array(n, "n", lower=0, integer=True)
        nn, tt = broadcast_arrays({"n": nn, "t": _time(as_times(t, unit, "t"))})
        out: FloatArray = self._KERNELS.log_probability_of_purchases(nn, tt, *self._p())
        return out

    def probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """P(X(t) = n): probability that a new customer makes ``n`` repeat purchases by ``t``.

        FHL (2005) eq. (8), in log space with the negative-binomial tail from the regularised
        incomplete beta function, so it is exact for ``n`` in the thousands (and sums to 1).

        Parameters
        ----------
        n
            Number of repeat purchases (whole number >= 0).
        t
            Time since the first purchase (>= 0) in the model's time unit, or a duration.
        time_unit
            Optional unit of ``t``, checked against the model's.

        Returns
        -------
        numpy.ndarray
            Broadcast shape of ``n`` and ``t``.

        Examples
        --------
        >>> model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> round(float(model.probability_of_purchases(0, 39.0)), 7)
        0.5737864
        """
        out: FloatArray = np.exp(self.log_probability_of_purchases(n, t, time_unit=time_unit))
        return out

    def simulate(
        self, T: ArrayLike, *, rng: np.random.Generator | int, horizon: float = 0.0
    ) -> SimulatedHistories:
        """Draw customer histories from this model (:func:`~custvalue.clv.simulate_bgnbd`).

        ``T`` (calibration windows, > 0) and ``horizon`` (holdout length, >= 0) are in the
        model's time unit; ``rng`` is a generator or an integer seed. The latent
        ``dropout_probability`` is ``p``, applied after each repeat purchase (and, in the
        MBG/NBD model, also right after the first purchase).

        Examples
        --------
        >>> model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
        >>> model.simulate(np.full(3, 39.0), rng=1).frequency.shape
        (3,)
        """
        from custvalue.clv.simulate import _simulate_beta_geo

        return _simulate_beta_geo(
            self.params, T, rng=rng, horizon=horizon, dropout_at_zero=self._DROPOUT_AT_ZERO,
            name=f"{type(self).__name__}.simulate",
        )  # fmt: skip

    def _discounted_transactions(
        self, x: FloatArray, t_x: FloatArray, age: FloatArray, horizon: float, delta: float,
        n_nodes: int | None,
    ) -> FloatArray | None:  # fmt: skip
        """Hook of :func:`~custvalue.clv.discounted_expected_transactions` (validated, flat
        histories): the BG/NBD-type residual transform for infinite horizons, else None."""
        from custvalue.clv._bgnbd_dert import bgnbd_discounted_transactions

        return bgnbd_discounted_transactions(self, x, t_x, age, horizon, delta, n_nodes)

    def __repr__(self) -> str:
        p = self.params
        values = f"r={p.r!r}, alpha={p.alpha!r}, a={p.a!r}, b={p.b!r}"
        return f"{type(self).__name__}({type(p).__name__}({values}))"

    # --------------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind: the class name, ``"BetaGeo"`` ...),
        bit-exact."""
        payload: dict[str, Any] = {
            "params": params_to_payload(self.params, PARAM_NAMES),
            "fit": fit_to_payload(self),
            "time_unit": self.time_unit,
            "total_repeat_purchases": None
            if self.total_repeat_purchases is None
            else _persist.encode_float(self.total_repeat_purchases),
        }
        return _persist.dumps(type(self).__name__, payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Load a model written by :meth:`to_json`.

        Raises
        ------
        PersistenceError
            For malformed documents, another kind, or a newer schema version.
        """
        payload = _persist.loads(text, cls.__name__)
        values = params_from_payload(payload, PARAM_NAMES)
        total = payload.get("total_repeat_purchases")  # absent in older documents
        with _persist.invalid_content(cls.__name__):
            params = cls._PARAMS(**values)
            return cls(
                params,
                **fit_from_payload(payload.get("fit"), len(PARAM_NAMES)),
                time_unit=time_unit_from_payload(payload),
                total_repeat_purchases=None
                if total is None
                else _persist.decode_float(total, "total_repeat_purchases"),
            )


@attrs.frozen(repr=False)  # the family's __repr__
class BetaGeo(_BetaGeoFamily):
    """The BG/NBD model with known or fitted parameters (immutable).

    Build it from parameters, ``BetaGeo(BetaGeoParams(r=..., alpha=..., a=..., b=...))``, or
    estimate it with :meth:`BetaGeo.fit`. For a model built from parameters the fit
    information (``log_likelihood``, ``covariance``, ``stderr``, ``n_customers``,
    ``diagnostics``) is ``None``.

    Inputs use the BG/NBD notation: ``frequency`` = number of *repeat* purchases ``x``,
    ``recency`` = time of the last purchase measured from the first one (``t_x``, **not**
    time since the last purchase), ``T`` = time from the first purchase to the end of the
    observation window. All times, and the parameter ``alpha``, are in one unit, the data's:
    ``time_unit`` when the model knows it (fitted from a
    :class:`~custvalue.summary.CustomerSummary`, or set by hand with ``BetaGeo(params,
    time_unit="W")``). A model with a unit checks the unit of every summary or ``time_unit=``
    it is given (a mismatch is an :class:`~custvalue.errors.InvalidInputError` naming both),
    reads durations such as ``"12M"`` in it, and converts with :meth:`in_unit`.

    Attributes
    ----------
    params
        The parameters ``r, alpha, a, b``.
    time_unit
        Canonical label of the time unit (``"D"``, ``"W"``, ``"M"``, ``"Y"``, ``"14D"`` ...), or
        ``None`` when unknown (fitted from bare arrays without ``time_unit=``).
    log_likelihood
        Total log-likelihood at the optimum, in the data's time unit (FHL 2005 eq. 6);
        -9582.43 on the CDNOW sample in weeks.
    covariance
        Inverse of the observed information, shape ``(4, 4)``, order ``r, alpha, a, b``
        (NaN when the information is singular).
    n_customers
        Number of customers fitted (sum of the weights).
    diagnostics
        Convergence report of the optimizer.
    total_repeat_purchases
        Sum of the (weighted) repeat purchases of the fitted customers, or ``None``; it is what
        :meth:`in_unit` needs to re-express the log-likelihood.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers" the easy way, Marketing Science
    24(2), 275-284.

    Examples
    --------
    >>> model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    >>> round(float(model.probability_alive(2, 30.43, 38.86)), 4)
    0.7266
    >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 3)
    1.226
    """

    TITLE: ClassVar[str] = "BG/NBD model (BetaGeo)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = PARAM_NAMES
    _PARAMS: ClassVar[type[_BetaGeoFamilyParams]] = BetaGeoParams
    _KERNELS: ClassVar[ModuleType] = kernels
    _DROPOUT_AT_ZERO: ClassVar[bool] = False

    params: BetaGeoParams = attrs.field(validator=attrs.validators.instance_of(BetaGeoParams))
    log_likelihood: float | None = None
    covariance: FloatArray | None = attrs.field(
        default=None, converter=optional_readonly_array, eq=COVARIANCE_EQ
    )
    n_customers: float | None = None
    diagnostics: FitDiagnostics | None = None
    time_unit: str | None = attrs.field(default=None, kw_only=True, converter=optional_time_unit)
    total_repeat_purchases: float | None = attrs.field(default=None, kw_only=True)


#: Inputs with at least this many customers are evaluated once per distinct history.
_GROUP_MIN = kernels.GROUP_MIN
#: Kernels never grouped here: cheap per row (a few logarithms: a full grouping costs more
#: than it saves) or grouping their expensive part themselves, on fewer columns. (The MBG/NBD
#: kernels are these functions bound with ``functools.partial``: their ``func`` is checked.)
_PLAIN_KERNELS = frozenset(
    {
        kernels.probability_alive,
        kernels.probability_no_purchase_conditional,
        kernels.expected_purchases_conditional,
    }
)


def _per_history(
    kernel: Callable[..., FloatArray], params: tuple[float, ...], *columns: FloatArray
) -> FloatArray:
    """``kernel(*columns, *params)``, evaluated once per distinct row when that pays.

    Customer bases repeat histories (times are whole days), so grouping identical rows first
    (``collapse_rows``) and scattering the results back saves special-function evaluations;
    but grouping costs up to ~0.5 us per row, so it is decided per kernel and, from a
    sample, per input (:func:`~custvalue._collapse.repetition_pays`): never slower than
    the plain path by more than the sample (~65,000 rows).
    """
    n = columns[0].size
    plain = getattr(kernel, "func", kernel) in _PLAIN_KERNELS
    if columns[0].ndim != 1 or n < _GROUP_MIN or plain:
        return kernel(*columns, *params)
    # constant columns (a common horizon t) stay scalars and are not grouped on
    varying = [i for i, c in enumerate(columns) if not (c == c[0]).all()]
    if not varying:
        return np.full(n, kernel(*(c[:1] for c in columns), *params)[0])
    if not repetition_pays(*(columns[i] for i in varying), min_duplicate_share=0.5):
        return kernel(*columns, *params)
    unique, inverse = group_rows(*(columns[i] for i in varying))
    grouped = [c[0] for c in columns]
    for i, u in zip(varying, unique, strict=True):
        grouped[i] = u
    out: FloatArray = kernel(*grouped, *params)[inverse]
    return out


def _dot(a: NDArray[Any], b: NDArray[Any]) -> float:
    """Sum of ``a * b`` without BLAS (a multithreaded BLAS dot is very slow on busy cores)."""
    return float(np.einsum("i,i->", a, b))


def _logaddexp_and_weight(a3: FloatArray, a4: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(logaddexp(a3, a4), expit(a3 - a4))`` from one ``exp`` and one ``log1p``.

    numpy's ``logaddexp`` and scipy's ``expit`` are not vectorised (about 12 and 6 ns per
    value against 1 ns for ``exp``): together they were half the cost of a likelihood
    evaluation on a million customers. Equal to them within an ulp or two.
    """
    d = a3 - a4
    e = np.exp(-np.abs(d))
    both = np.maximum(a3, a4) + np.log1p(e)
    weight: FloatArray = np.where(d >= 0, 1.0, e) / (1.0 + e)
    return both, weight


class _HistoryObjective:
    """Total BG/NBD log-likelihood (FHL 2005 eq. 6) and its gradient over weighted histories.

    The same sums as ``kernels.log_likelihood`` and ``kernels.log_likelihood_gradient``
    weighted by ``w``, arranged for speed: every term that depends on ``x`` only (the gamma,
    beta and digamma functions) is evaluated once per distinct ``x`` and weighted by the
    number of customers with that ``x``; per row only two logarithms, a ``logaddexp`` and an
    ``expit`` remain. Customers without repeat purchases (``x = 0``, alive with certainty)
    contribute ``-r ln(alpha + T)`` alone. With ``dropout_at_zero`` (MBG/NBD) the dropout
    opportunities survived are ``k = x + 1`` instead of ``x`` in the Beta terms and nobody
    is alive with certainty.
    """

    def __init__(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray, *,
        dropout_at_zero: bool = False,
    ) -> None:  # fmt: skip
        self.shift = 1.0 if dropout_at_zero else 0.0
        zero = x + self.shift == 0
        self.x_values, inverse = np.unique(x, return_inverse=True)
        self.w_by_x = np.bincount(inverse.reshape(-1), weights=w, minlength=self.x_values.size)
        self.total = float(w.sum())
        self.T0, self.w0 = T[zero], w[zero]
        rep = ~zero
        self.x, self.t_x, self.T, self.w = x[rep], t_x[rep], T[rep], w[rep]
        self.xw = self.x * self.w
        self.x_index = inverse.reshape(-1)[rep]

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in theta)
        xk, wk = self.x_values, self.w_by_x
        kk = xk + self.shift  # dropout opportunities survived
        # terms in x only, per distinct x
        ll = _dot(wk, special.gammaln(r + xk) + special.betaln(a, b + kk))
        ll += self.total * (r * math.log(alpha) - special.gammaln(r) - special.betaln(a, b))
        psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + kk)
        d_r = _dot(wk, special.digamma(r + xk)) + self.total * (
            math.log(alpha) - special.digamma(r)
        )
        d_alpha = self.total * r / alpha
        d_a = _dot(wk, psi_ab - psi_abx)
        d_b = _dot(wk, special.digamma(b + kk) - special.digamma(b) + psi_ab - psi_abx)
        # one-time buyers: A3 = -r ln(alpha + T), alive with certainty
        if self.w0.size:
            lT0 = np.log(alpha + self.T0)
            ll -= r * _dot(self.w0, lT0)
            d_r -= _dot(self.w0, lT0)
            d_alpha -= r * _dot(self.w0, 1.0 / (alpha + self.T0))
        # the others: logaddexp(A3, A4) with A3 = -(r+x) ln(alpha+T),
        # A4 = ln a - ln(b+k-1) - (r+x) ln(alpha+t_x)
        if self.w.size:
            w, xw = self.w, self.xw
            lT, lt, _, A3, A4 = self._row_terms(r, alpha, a, b)
            total_ll, w_alive = _logaddexp_and_weight(A3, A4)
            ll += _dot(w, total_ll)
            ww_alive = w * w_alive
            ww_dead = w - ww_alive
            d_r -= _dot(ww_alive, lT) + _dot(ww_dead, lt)
            inv_T = 1.0 / (alpha + self.T)
            inv_t = 1.0 / (alpha + self.t_x)
            d_alpha -= (
                r * (_dot(ww_alive, inv_T) + _dot(ww_dead, inv_t))
                + _dot(xw * w_alive, inv_T)
                + _dot(xw - xw * w_alive, inv_t)
            )
            dead_by_x = np.bincount(self.x_index, weights=ww_dead, minlength=xk.size)
            d_a += float(dead_by_x.sum()) / a
            inv_b = np.divide(1.0, b + kk - 1.0, out=np.zeros(xk.size), where=kk > 0)
            d_b -= _dot(dead_by_x, inv_b)
        return ll, np.array([d_r, d_alpha, d_a, d_b])

    def _row_terms(
        self, r: float, alpha: float, a: float, b: float
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per repeat-buyer row: ``ln(alpha+T)``, ``ln(alpha+t_x)``, ``r+x``, and the alive and
        dead log-terms ``A3 = -(r+x) ln(alpha+T)``, ``A4 = ln a - ln(b+k-1) - (r+x) ln(alpha+t_x)``
        (shared by the likelihood, its gradient and its Hessian)."""
        kk = self.x_values + self.shift
        log_b = np.log(b + kk - 1.0, where=kk > 0, out=np.zeros(kk.size))
        lT = np.log(alpha + self.T)
        lt = np.log(alpha + self.t_x)
        rx = r + self.x
        A4 = (math.log(a) - log_b)[self.x_index] - rx * lt
        return lT, lt, rx, -rx * lT, A4

    def hessian(self, theta: FloatArray) -> FloatArray:
        """Second derivatives of the total log-likelihood in ``(r, alpha, a, b)``.

        Per distinct ``x``: trigamma terms. One-time buyers: ``-r ln(alpha + T)``. The others:
        ``f = logaddexp(A3, A4)`` has Hessian ``pi H3 + (1 - pi) H4 + pi (1 - pi) D D'``
        with ``pi = expit(A3 - A4)`` (P(alive)), ``H3``, ``H4`` the Hessians of ``A3``, ``A4``
        and ``D`` the difference of their gradients. About one gradient evaluation's cost,
        against eight for a finite-difference Hessian.
        """
        r, alpha, a, b = (float(v) for v in theta)
        xk, wk = self.x_values, self.w_by_x
        kk = xk + self.shift
        h = np.zeros((4, 4))
        h[0, 0] = _dot(wk, special.polygamma(1, r + xk)) - self.total * special.polygamma(1, r)
        h[0, 1] = self.total / alpha
        h[1, 1] = -self.total * r / alpha**2
        tri_ab = special.polygamma(1, a + b) - special.polygamma(1, a + b + kk)
        h[2, 2] = h[2, 3] = _dot(wk, tri_ab)
        h[3, 3] = _dot(wk, special.polygamma(1, b + kk) - special.polygamma(1, b) + tri_ab)
        if self.w0.size:
            inv_T0 = 1.0 / (alpha + self.T0)
            h[0, 1] -= _dot(self.w0, inv_T0)
            h[1, 1] += r * _dot(self.w0, inv_T0 * inv_T0)
        if self.w.size:
            w = self.w
            inv_b = np.divide(1.0, b + kk - 1.0, out=np.zeros(xk.size), where=kk > 0)
            lT, lt, rx, A3, A4 = self._row_terms(r, alpha, a, b)
            p_alive = _logaddexp_and_weight(A3, A4)[1]
            w_alive = w * p_alive
            w_dead = w - w_alive
            inv_T = 1.0 / (alpha + self.T)
            inv_t = 1.0 / (alpha + self.t_x)
            # pi H3 + (1 - pi) H4: (r, alpha) and (alpha, alpha); (a, a) and (b, b) if dead
            h[0, 1] -= _dot(w_alive, inv_T) + _dot(w_dead, inv_t)
            h[1, 1] += _dot(w_alive * rx, inv_T * inv_T) + _dot(w_dead * rx, inv_t * inv_t)
            dead_by_x = np.bincount(self.x_index, weights=w_dead, minlength=xk.size)
            h[2, 2] -= float(dead_by_x.sum()) / a**2
            h[3, 3] += _dot(dead_by_x, inv_b * inv_b)
            # pi (1 - pi) D D', D = grad A3 - grad A4 = (lt - lT, -(r+x)(1/(alpha+T) -
            # 1/(alpha+t_x)), -1/a, 1/(b+k-1))
            v = w_alive * (1.0 - p_alive)
            d_r = lt - lT
            d_alpha = rx * (inv_t - inv_T)
            v_r, v_alpha = v * d_r, v * d_alpha
            v_by_x = np.bincount(self.x_index, weights=v, minlength=xk.size)
            s_b, s_bb = v_by_x @ inv_b, v_by_x @ (inv_b * inv_b)
            s_rb = np.bincount(self.x_index, weights=v_r, minlength=xk.size) @ inv_b
            s_ab = np.bincount(self.x_index, weights=v_alpha, minlength=xk.size) @ inv_b
            sum_v = float(v.sum())
            h[0, 0] += _dot(v_r, d_r)
            h[0, 1] += _dot(v_r, d_alpha)
            h[1, 1] += _dot(v_alpha, d_alpha)
            h[0, 2] -= float(v_r.sum()) / a
            h[1, 2] -= float(v_alpha.sum()) / a
            h[2, 2] += sum_v / a**2
            h[0, 3] += float(s_rb)
            h[1, 3] += float(s_ab)
            h[2, 3] -= float(s_b) / a
            h[3, 3] += float(s_bb)
        out: FloatArray = np.triu(h) + np.triu(h, 1).T
        return out
