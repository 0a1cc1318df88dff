"""Pareto/NBD purchase model (Schmittlein, Morrison and Colombo 1987): parameters, fitting,
predictions.

The math lives in :mod:`custvalue.clv._pareto_nbd_kernels`; this module holds the validated,
immutable model objects, with the same names and conventions as
:class:`~custvalue.clv.BetaGeo` (see :class:`~custvalue.clv.PurchaseModel`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._progress import check_progress
from custvalue._validation import (
    as_float_array,
    as_scalar,
    broadcast_arrays,
    optional_readonly_array,
)
from custvalue.clv import _pareto_nbd_kernels as kernels
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
from custvalue.clv.bgnbd import _dot, _per_history, _time
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import Duration, TimeUnit, time_unit_days

if TYPE_CHECKING:
    from custvalue.clv.simulate import SimulatedHistories

__all__ = ["ParetoNBD", "ParetoNBDParams"]

FloatArray = NDArray[np.float64]
PARAM_NAMES = ("r", "alpha", "s", "beta")


def _positive_r(value: Any) -> float:
    return as_scalar(value, "r", lower=0, lower_inclusive=False)


def _positive_alpha(value: Any) -> float:
    return as_scalar(value, "alpha", lower=0, lower_inclusive=False)


def _positive_s(value: Any) -> float:
    return as_scalar(value, "s", lower=0, lower_inclusive=False)


def _positive_beta(value: Any) -> float:
    return as_scalar(value, "beta", lower=0, lower_inclusive=False)


@attrs.frozen
class ParetoNBDParams:
    """Parameters of the Pareto/NBD model.

    Attributes
    ----------
    r, alpha
        Shape and rate of the Gamma distribution of the purchase rate ``lambda`` across
        customers; ``alpha`` is in the data's time unit (mean rate ``r/alpha`` per time unit).
    s, beta
        Shape and rate of the Gamma distribution of the dropout rate ``mu`` (a customer's
        lifetime is exponential with rate ``mu``); ``beta`` is in the data's time unit.

    All four must be positive and finite (:class:`~custvalue.errors.InvalidInputError`).

    Examples
    --------
    >>> ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669).beta
    11.669
    """

    r: float = attrs.field(converter=_positive_r)
    alpha: float = attrs.field(converter=_positive_alpha)
    s: float = attrs.field(converter=_positive_s)
    beta: float = attrs.field(converter=_positive_beta)

    def as_array(self) -> FloatArray:
        """The parameters as a float64 array ``[r, alpha, s, beta]``."""
        return np.array([self.r, self.alpha, self.s, self.beta], dtype=np.float64)


class _Objective:
    """Total log-likelihood and gradient over weighted distinct histories."""

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
        self.x, self.t_x, self.T, self.w = x, t_x, T, w

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, s, beta = (float(v) for v in theta)
        return kernels.log_likelihood_and_gradient(
            self.x, self.t_x, self.T, self.w, r, alpha, s, beta
        )


@attrs.frozen
class ParetoNBD(FittedModel):
    """The Pareto/NBD model with known or fitted parameters (immutable).

    While alive a customer buys at the event times of a Poisson process of rate ``lambda ~
    Gamma(r, alpha)``; the lifetime is exponential with rate ``mu ~ Gamma(s, beta)``, so unlike
    BG/NBD a customer can drop out at any time, also before a first repeat purchase (P(alive)
    of a one-time buyer is below 1). Build it from parameters, ``ParetoNBD(ParetoNBDParams(
    r=..., alpha=..., s=..., beta=...))``, or estimate it with :meth:`ParetoNBD.fit`.

    Inputs use the BG/NBD notation (see :class:`~custvalue.clv.BetaGeo`): ``frequency`` =
    repeat purchases ``x``, ``recency`` = time of the last purchase since the first
    (``t_x``), ``T`` = age. All times and ``alpha``, ``beta`` are in the data's unit,
    ``time_unit`` when known.

    Attributes
    ----------
    params
        The parameters ``r, alpha, s, beta``.
    time_unit
        Canonical label of the time unit, or ``None`` when unknown.
    log_likelihood
        Total log-likelihood at the optimum in the data's time unit; -9594.98 on the CDNOW
        sample in weeks (published -9595.0).
    covariance
        Inverse of the observed information, shape ``(4, 4)``, order ``r, alpha, s, beta``.
    n_customers
        Number of customers fitted (sum of the weights).
    diagnostics
        Convergence report of the optimizer.
    total_repeat_purchases
        Sum of the (weighted) repeat purchases of the fitted customers (for :meth:`in_unit`).

    References
    ----------
    Schmittlein, Morrison and Colombo (1987), Management Science 33(1), 1-24. Fader and Hardie
    (2005), "A note on deriving the Pareto/NBD model and related expressions". Fader, Hardie
    and Lee (2005), "RFM and CLV", Journal of Marketing Research 42(4), 415-430 (DERT).

    Examples
    --------
    >>> model = ParetoNBD(ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669))
    >>> round(float(model.probability_alive(2, 30.43, 38.86)), 4)
    0.8692
    >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 4)
    1.4551
    """

    TITLE: ClassVar[str] = "Pareto/NBD model (ParetoNBD)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = PARAM_NAMES

    params: ParetoNBDParams = attrs.field(validator=attrs.validators.instance_of(ParetoNBDParams))
    log_likelihood: float | None = None
    covariance: FloatArray | None = attrs.field(
        default=None, converter=optional_readonly_array, eq=COVARIANCE_EQ
    )
    n_customers: float | None = None
    diagnostics: FitDiagnostics | None = None
    time_unit: str | None = attrs.field(default=None, kw_only=True, converter=optional_time_unit)
    total_repeat_purchases: float | None = attrs.field(default=None, kw_only=True)

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
        initial: ParetoNBDParams | None = None,
        progress: bool = False,
        penalizer: float = 0.0,
    ) -> ParetoNBD:
        """Fit by maximum likelihood with the analytic gradient.

        Arguments as for :meth:`BetaGeo.fit <custvalue.clv.BetaGeo.fit>` (``initial`` is a
        :class:`ParetoNBDParams`; default ``r = s = 1``, ``alpha`` = mean T / (mean x + 1),
        ``beta`` = mean T). Identical rows are collapsed into weights.

        Returns
        -------
        ParetoNBD
            A new fitted model.

        Raises
        ------
        InvalidInputError
            For invalid histories or weights, or when every customer has ``T = 0``.
        ConvergenceError
            With ``strict=True``, when the fit does not converge.

        Examples
        --------
        >>> from custvalue.datasets import load_cdnow_summary
        >>> model = ParetoNBD.fit(load_cdnow_summary())
        >>> [round(float(v), 3) for v in model.params.as_array()], round(model.log_likelihood, 1)
        ([0.553, 10.578, 0.606, 11.669], -9595.0)
        """
        check_progress(progress)
        penalty = checked_penalizer(penalizer)
        hist = fit_histories(frequency, recency, T, data=data, time_unit=time_unit, weights=weights)
        ux, utx, uT, uw = hist.frequency, hist.recency, hist.T, hist.weights
        total = hist.total
        if initial is None:
            mean_x = _dot(uw, ux) / total
            mean_T = _dot(uw, uT) / total
            start = [1.0, mean_T / (mean_x + 1.0), 1.0, max(mean_T, 1e-8)]
        else:
            start = list(initial.as_array())
        subsample = strided_subsample(_Objective, ux, utx, uT, uw)
        result = maximize_likelihood(
            _Objective(ux, utx, uT, uw),
            start,
            names=PARAM_NAMES,
            total_weight=total,
            strict=strict,
            progress=progress,
            desc="ParetoNBD.fit",
            penalizer=penalty,
            subsample=subsample,
        )
        r, alpha, s, beta = (float(v) for v in result.params)
        return cls(
            ParetoNBDParams(r=r, alpha=alpha, s=s, beta=beta),
            log_likelihood=result.log_likelihood,
            covariance=result.covariance,
            n_customers=total,
            diagnostics=result.diagnostics,
            time_unit=hist.time_unit,
            total_repeat_purchases=hist.total_repeat_purchases,
        )

    # ------------------------------------------------------------------ units
    def in_unit(self, time_unit: TimeUnit) -> ParetoNBD:
        """The same model with every time expressed in another unit.

        With ``k`` new units in one old unit, both rates are divided by ``k``, so ``alpha`` and
        ``beta`` are multiplied by ``k`` (``r``, ``s`` are dimensionless); the covariance is
        transformed with ``diag(1, k, 1, k)`` and the log-likelihood shifts by ``-sum(x) ln k``
        as for :meth:`BetaGeo.in_unit <custvalue.clv.BetaGeo.in_unit>`.

        Examples
        --------
        >>> weekly = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669), time_unit="W")
        >>> round(weekly.in_unit("D").params.beta, 3)
        81.683
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
                    "total_repeat_purchases, so its log-likelihood cannot be re-expressed; "
                    "refit it in the new unit"
                )
            ll = ll - self.total_repeat_purchases * math.log(k)
        covariance = self.covariance
        if covariance is not None:
            jac = np.array([1.0, k, 1.0, k])
            covariance = covariance * np.outer(jac, jac)
        return attrs.evolve(
            self,
            params=ParetoNBDParams(r=p.r, alpha=p.alpha * k, s=p.s, beta=p.beta * k),
            log_likelihood=ll,
            covariance=covariance,
            time_unit=time_unit,
        )

    def _given(
        self, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, FloatArray, FloatArray, str | None]:
        """Histories from arrays or a summary, checked against the model's unit."""
        return checked_histories(self, frequency, recency, T, time_unit)

    def _window(
        self, t: Any, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
    ) -> tuple[FloatArray, ...]:
        """``(t, x, t_x, T)`` broadcast together, ``t`` read in the call's unit."""
        return checked_window(self, t, frequency, recency, T, time_unit)

    # --------------------------------------------------------------- predictions
    def _p(self) -> tuple[float, float, float, float]:
        p = self.params
        return p.r, p.alpha, p.s, p.beta

    def log_likelihood_per_customer(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Per-customer log-likelihood in the data's time unit (histories as in :meth:`fit`)."""
        x, t_x, age, _ = self._given(frequency, recency, T, time_unit)
        return _per_history(kernels.log_likelihood, self._p(), x, t_x, age)

    def probability_alive(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(alive at T | history) (Fader and Hardie 2005 note, eq. 18).

        Below 1 also for one-time buyers: a Pareto/NBD customer can die before buying again.

        Examples
        --------
        >>> model = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> round(float(model.probability_alive(0, 0.0, 38.86)), 4)
        0.2953
        """
        x, t_x, age, _ = self._given(frequency, recency, T, time_unit)
        return _per_history(kernels.probability_alive, self._p(), x, t_x, age)

    def expected_purchases(
        self,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """E[purchases in ``(T, T + t]`` | history] (Fader and Hardie 2005 note, eq. 22).

        ``P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]``, with
        its limit ``ln(1 + t/(beta+T))`` at ``s = 1`` (no special case needed).
        """
        tt, x, t_x, age = self._window(t, frequency, recency, T, time_unit)
        return _per_history(kernels.expected_purchases_conditional, self._p(), tt, x, t_x, age)

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
        """P(exactly ``n`` purchases in ``(T, T + t]`` | history).

        Dead at ``T`` (only ``n = 0``) or alive, and then the new-customer distribution with
        the posterior parameters ``(r + x, alpha + T, s, beta + T)``; sums to 1 over ``n``
        and its mean is :meth:`expected_purchases`.

        Examples
        --------
        >>> model = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> p = model.conditional_probability_of_purchases(np.arange(200), 39, 2, 30.43, 38.86)
        >>> round(float(p.sum()), 10)
        1.0
        """
        nn = as_float_array(n, "n", lower=0, integer=True)
        tt, x, t_x, age = self._window(t, frequency, recency, T, time_unit)
        nn, tt, x, t_x, age = broadcast_arrays(
            {"n": nn, "t": tt, "frequency": x, "recency": t_x, "T": age}
        )
        return kernels.conditional_probability_of_purchases(nn, tt, x, t_x, age, *self._p())

    def expected_purchases_new(
        self, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """E[X(t)]: expected repeat purchases in ``(0, t]`` of a new customer.

        ``r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s-1)]`` (its limit at ``s = 1``).

        Examples
        --------
        >>> model = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> round(float(model.expected_purchases_new(39.0)), 4)
        1.213
        """
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        return kernels.expected_purchases_new(_time(as_times(t, unit, "t")), *self._p())

    def log_probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """ln P(X(t) = n) for a new customer, computed in log space (see
        :meth:`probability_of_purchases`)."""
        unit = resolve_time_unit(self, time_unit, "time_unit=")
        nn = as_float_array(n, "n", lower=0, integer=True)
        nn, tt = broadcast_arrays({"n": nn, "t": _time(as_times(t, unit, "t"))})
        return kernels.log_probability_of_purchases(nn, tt, *self._p())

    def probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """P(X(t) = n): probability that a new customer makes ``n`` repeat purchases by ``t``.

        Alive through ``t`` (a negative binomial count) or dead at ``tau < t`` (the count's
        distribution at ``tau``, integrated against the Pareto lifetime density in ``ln tau``,
        where the integrand is unimodal). Exact for ``n`` in the thousands; sums to 1.

        Examples
        --------
        >>> model = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> round(float(model.probability_of_purchases(0, 39.0)), 6)
        0.593625
        """
        out: FloatArray = np.exp(self.log_probability_of_purchases(n, t, time_unit=time_unit))
        return out

    def simulate(
        self, T: ArrayLike, *, rng: np.random.Generator | int, horizon: float = 0.0
    ) -> SimulatedHistories:
        """Draw customer histories from this model (:func:`~custvalue.clv.simulate_pareto_nbd`).

        Examples
        --------
        >>> model = ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669))
        >>> model.simulate(np.full(3, 39.0), rng=1).frequency.shape
        (3,)
        """
        from custvalue.clv.simulate import simulate_pareto_nbd

        return simulate_pareto_nbd(self.params, T, rng=rng, horizon=horizon)

    def _discounted_transactions(
        self, x: FloatArray, t_x: FloatArray, age: FloatArray, horizon: float, delta: float,
        n_nodes: int | None,
    ) -> FloatArray | None:  # fmt: skip
        """Hook of :func:`~custvalue.clv.discounted_expected_transactions`: DERT in closed
        form (Tricomi's U, FHL 2005 JMR) for an infinite horizon, else None (quadrature)."""
        if delta > 0.0 and math.isinf(horizon):
            return kernels.discounted_residual_transactions(x, t_x, age, delta, *self._p())
        return None

    def __repr__(self) -> str:
        p = self.params
        return (
            f"ParetoNBD(ParetoNBDParams(r={p.r!r}, alpha={p.alpha!r}, s={p.s!r}, beta={p.beta!r}))"
        )

    # --------------------------------------------------------------- persistence
    def to_json(self) -> str:
        """Serialise to a versioned JSON document (kind ``"ParetoNBD"``), bit-exact."""
        payload: dict[str, Any] = {
            "params": params_to_payload(self.params, PARAM_NAMES),
            "fit": fit_to_payload(self),
            "time_unit": self.time_unit,
            "total_repeat_purchases": None
            if self.total_repeat_purchases is None
            else _persist.encode_float(self.total_repeat_purchases),
        }
        return _persist.dumps("ParetoNBD", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> ParetoNBD:
        """Load a model written by :meth:`to_json`.

        Raises
        ------
        PersistenceError
            For malformed documents, another kind, or a newer schema version.
        """
        payload = _persist.loads(text, "ParetoNBD")
        values = params_from_payload(payload, PARAM_NAMES)
        total = payload.get("total_repeat_purchases")
        with _persist.invalid_content("ParetoNBD"):
            return cls(
                ParetoNBDParams(**values),
                **fit_from_payload(payload.get("fit"), len(PARAM_NAMES)),
                time_unit=time_unit_from_payload(payload),
                total_repeat_purchases=None
                if total is None
                else _persist.decode_float(total, "total_repeat_purchases"),
            )
