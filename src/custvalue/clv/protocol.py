"""The protocols every fitted customer-value model implements.

:class:`FittedModelLike` is what every model fitted by maximum likelihood has (purchase, spend
and retention models alike): parameters, fit statistics, a time unit, JSON persistence and a
readable summary. :class:`PurchaseModel` adds the predictions of a non-contractual purchase
model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB): the same names, the same argument order, the same
meaning, so code written for one model (customer lifetime value, DERT, bootstrap, frame.score,
the CLI, plots, model comparison) runs on all of them.

Conventions shared by every purchase model
-----------------------------------------
- A customer history is ``(frequency, recency, T)``: ``frequency`` = repeat purchases ``x``
  (the first purchase, at time 0, is not counted), ``recency`` = time of the last purchase
  since the first (``t_x``; 0 when ``x = 0``), ``T`` = time from the first purchase to the end
  of the observation window. Every history argument also accepts a
  :class:`~custvalue.summary.CustomerSummary` as ``frequency`` (then omit the others).
- Times are in the model's ``time_unit``. A duration such as ``"12M"`` is converted to it;
  ``time_unit=`` on a call states the unit of that call's histories and is checked.
- Discrete-time models (BG/BB) count purchase *opportunities*: ``recency`` and ``T`` are
  whole numbers of periods (``T`` = opportunities observed after the first), ``t`` a whole
  number of future periods. The same names keep the calling code identical.
- ``expected_purchases(t, ...)`` is E[X(T, T + t] | history], purchases in the window *after*
  the observation period; ``expected_purchases_new(t)`` is E[X(0, t]] for a customer just
  acquired (repeat purchases only).

Contractual (retention) models such as :class:`~custvalue.clv.ShiftedBetaGeo` are fitted
models but not purchase models: a subscriber pays every period while active, so there is no
purchase count to predict. They implement :class:`FittedModelLike` and their own survival
and retention methods; ``isinstance(model, PurchaseModel)`` is False for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from typing_extensions import Self

    from custvalue.clv._optimize import FitDiagnostics
    from custvalue.clv.simulate import SimulatedHistories
    from custvalue.summary import CustomerSummary
    from custvalue.time_units import Duration, TimeUnit

__all__ = ["FittedModelLike", "PurchaseModel"]

FloatArray = NDArray[np.float64]


@runtime_checkable
class FittedModelLike(Protocol):
    """What every custvalue model estimated by maximum likelihood offers.

    ``params`` is a frozen attrs class of the model's parameters (natural scale), with
    ``as_array()`` in the documented order. The fit statistics (``log_likelihood``,
    ``covariance``, ``stderr``, ``aic``, ``bic``, ``n_customers``, ``diagnostics``) are
    ``None`` for a model built from parameters. ``time_unit`` is the canonical unit label of
    the data the model's time-dimensioned parameters refer to, or ``None`` when unknown.
    """

    @property
    def params(self) -> Any: ...

    @property
    def log_likelihood(self) -> float | None: ...

    @property
    def covariance(self) -> FloatArray | None: ...

    @property
    def n_customers(self) -> float | None: ...

    @property
    def diagnostics(self) -> FitDiagnostics | None: ...

    @property
    def time_unit(self) -> str | None: ...

    @property
    def stderr(self) -> FloatArray | None: ...

    @property
    def aic(self) -> float | None: ...

    @property
    def bic(self) -> float | None: ...

    def summary(self) -> str: ...

    def to_json(self) -> str: ...

    @classmethod
    def from_json(cls, text: str | bytes) -> Self: ...

    def _repr_html_(self) -> str: ...


@runtime_checkable
class PurchaseModel(FittedModelLike, Protocol):
    """A non-contractual purchase model: BG/NBD, MBG/NBD, Pareto/NBD, BG/BB.

    Every method broadcasts its array arguments together and returns float arrays of the
    broadcast shape; ``t`` may also be a duration string or timedelta converted to the model's
    unit. ``fit`` is a classmethod whose first three arguments are ``frequency, recency, T``
    (arrays, column names with ``data=``, or a summary as ``frequency``) and which accepts
    ``weights=``, ``time_unit=``, ``strict=``, ``initial=``, ``penalizer=`` and ``progress=``
    by keyword; BG/BB names its third argument ``n_periods`` and keeps its position.
    """

    def log_likelihood_per_customer(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """Log-likelihood of each history under the model's parameters."""
        ...

    def probability_alive(
        self,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """P(still active at the end of the observation window | history), in [0, 1]."""
        ...

    def expected_purchases(
        self,
        t: ArrayLike | Duration,
        frequency: ArrayLike | CustomerSummary,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        *,
        time_unit: TimeUnit | None = None,
    ) -> FloatArray:
        """E[purchases in (T, T + t] | history], >= 0 and non-decreasing in ``t``."""
        ...

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
        """P(exactly ``n`` purchases in (T, T + t] | history); sums to 1 over n = 0, 1, ..."""
        ...

    def expected_purchases_new(
        self, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """E[repeat purchases in (0, t]] of a customer acquired at time 0."""
        ...

    def probability_of_purchases(
        self, n: ArrayLike, t: ArrayLike | Duration, *, time_unit: TimeUnit | None = None
    ) -> FloatArray:
        """P(exactly ``n`` repeat purchases in (0, t]) for a customer acquired at time 0."""
        ...

    def simulate(
        self, T: ArrayLike, *, rng: np.random.Generator | int, horizon: float = 0.0
    ) -> SimulatedHistories:
        """Draw histories with calibration windows ``T`` (and a holdout of ``horizon``)."""
        ...

    def in_unit(self, time_unit: TimeUnit) -> Self:
        """The same model with every time expressed in another unit."""
        ...
