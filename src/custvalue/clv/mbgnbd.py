"""MBG/NBD purchase model (Batislam, Denizel and Filiztekin 2007): parameters, fit, predictions.

The MBG/NBD model is the BG/NBD model with one more dropout opportunity: right after the
first purchase, at time 0. A customer who never bought again may therefore already be gone
(P(alive) < 1 for ``x = 0``), which is what BG/NBD cannot say. Everything else (the Gamma
purchase rates, the Beta dropout probabilities, the inputs, units, fitting, persistence) is
shared with :class:`~custvalue.clv.BetaGeo`; the math is the BG/NBD kernels with
``dropout_at_zero=True`` (:mod:`custvalue.clv._mbgnbd_kernels`).
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._validation import optional_readonly_array
from custvalue.clv import _mbgnbd_kernels as kernels
from custvalue.clv._fitted import COVARIANCE_EQ
from custvalue.clv._inputs import optional_time_unit
from custvalue.clv._optimize import FitDiagnostics
from custvalue.clv.bgnbd import PARAM_NAMES, _BetaGeoFamily, _BetaGeoFamilyParams

__all__ = ["ModifiedBetaGeo", "ModifiedBetaGeoParams"]

FloatArray = NDArray[np.float64]


@attrs.frozen
class ModifiedBetaGeoParams(_BetaGeoFamilyParams):
    """Parameters of the MBG/NBD model (the same four as BG/NBD, another meaning of ``p``).

    Attributes
    ----------
    r, alpha
        Shape and rate of the Gamma distribution of the purchase rate ``lambda`` across
        customers; ``alpha`` is in the data's time unit (mean rate ``r/alpha`` purchases per
        time unit).
    a, b
        Shape parameters of the Beta distribution of the dropout probability ``p``, applied
        right after the first purchase and after each repeat purchase (so ``a/(a+b)`` of new
        customers never buy again).

    All four must be positive and finite (:class:`~custvalue.errors.InvalidInputError`).

    Examples
    --------
    >>> ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614).as_array().tolist()
    [0.525, 6.183, 0.891, 1.614]
    """


@attrs.frozen(repr=False)  # the family's __repr__
class ModifiedBetaGeo(_BetaGeoFamily):
    """The MBG/NBD model with known or fitted parameters (immutable).

    Batislam, Denizel and Filiztekin's (2007) modification of the BG/NBD model: each customer
    has a purchase rate ``lambda ~ Gamma(r, alpha)`` and a dropout probability ``p ~ Beta(a,
    b)``, buys at the events of a Poisson process while alive, and drops out with probability
    ``p`` right after *every* purchase, the first one (time 0) included. A customer without
    repeat purchases is therefore alive with probability ``1 / (1 + a/b ((alpha+T)/alpha)^r)``
    (BG/NBD says 1), which lowers the predictions of the one-time buyers; for ``x > 0`` the
    predictions are those of a BG/NBD model with ``b + 1``.

    Build it from parameters, ``ModifiedBetaGeo(ModifiedBetaGeoParams(r=..., alpha=..., a=...,
    b=...))``, or estimate it with :meth:`ModifiedBetaGeo.fit`. Every method has the
    arguments, units and conventions of :class:`~custvalue.clv.BetaGeo` (the
    :class:`~custvalue.clv.PurchaseModel` protocol): ``frequency`` = repeat purchases ``x``,
    ``recency`` = ``t_x`` (time of the last purchase since the first), ``T`` = age; times
    and ``alpha`` in the model's ``time_unit``.

    Attributes
    ----------
    params
        The parameters ``r, alpha, a, b``.
    time_unit
        Canonical label of the time unit, or ``None`` when unknown.
    log_likelihood
        Total log-likelihood at the optimum, in the data's time unit (Batislam et al. 2007
        eq. 3); -9582.1 on the CDNOW sample in weeks (BG/NBD: -9582.4).
    covariance
        Inverse of the observed information, shape ``(4, 4)``, order ``r, alpha, a, b``.
    n_customers
        Number of customers fitted (sum of the weights).
    diagnostics
        Convergence report of the optimizer.
    total_repeat_purchases
        Sum of the (weighted) repeat purchases of the fitted customers (for :meth:`in_unit`).

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). Empirical validation and
    comparison of models for customer base analysis. International Journal of Research in
    Marketing 24(3), 201-209.
    Wagner, U. and Hoppe, D. (2008). Erratum on the MBG/NBD model. International Journal of
    Research in Marketing 25(3), 225-226.

    Examples
    --------
    >>> model = ModifiedBetaGeo(ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614))
    >>> round(float(model.probability_alive(0, 0.0, 38.86)), 4)
    0.3897
    >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 3)
    1.263
    >>> round(float(model.expected_purchases_new(39.0)), 3)
    1.183
    """

    TITLE: ClassVar[str] = "MBG/NBD model (ModifiedBetaGeo)"
    PARAM_NAMES: ClassVar[tuple[str, ...]] = PARAM_NAMES
    _PARAMS: ClassVar[type[_BetaGeoFamilyParams]] = ModifiedBetaGeoParams
    _KERNELS: ClassVar[ModuleType] = kernels
    _DROPOUT_AT_ZERO: ClassVar[bool] = True

    params: ModifiedBetaGeoParams = attrs.field(
        validator=attrs.validators.instance_of(ModifiedBetaGeoParams)
    )
    log_likelihood: float | None = None
    covariance: FloatArray | None = attrs.field(
        default=None, converter=optional_readonly_array, eq=COVARIANCE_EQ
    )
    n_customers: float | None = None
    diagnostics: FitDiagnostics | None = None
    time_unit: str | None = attrs.field(default=None, kw_only=True, converter=optional_time_unit)
    total_repeat_purchases: float | None = attrs.field(default=None, kw_only=True)
