"""Feeding a subscription base's sBG churn into the chain's exit from RETAIN."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from custvalue._validation import as_float_array
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle.migration import MigrationModel, Renormalize
from custvalue.lifecycle.stages import Stage

if TYPE_CHECKING:
    from custvalue.clv.sbg import ShiftedBetaGeo

__all__ = ["link_retention", "retention_churn_probability"]


def retention_churn_probability(sbg: ShiftedBetaGeo, tenure: ArrayLike) -> float:
    """The per-period churn probability of RETAIN customers at the given tenures.

    A customer who has renewed ``n`` times churns in the next period with probability
    ``P(T = n + 1 | T > n) = alpha / (alpha + beta + n)``: the mean churn probability
    ``E[theta | T > n]`` of the customers of that tenure, falling with ``n`` as the likely
    churners leave first. A Markov chain has one constant hazard per stage, so this returns
    the mean of that probability over the given tenures: the expected share of today's RETAIN
    customers who churn in the next period.

    Parameters
    ----------
    sbg
        A :class:`~custvalue.clv.ShiftedBetaGeo` model whose period is the chain's period.
    tenure
        Renewals made (periods survived, whole numbers >= 0) by each customer now in RETAIN,
        any shape; or a single tenure to use the hazard of that tenure.

    Examples
    --------
    >>> from custvalue.clv import ShiftedBetaGeo, ShiftedBetaGeoParams
    >>> sbg = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
    >>> round(retention_churn_probability(sbg, 4), 4)  # 0.704 / (0.704 + 1.182 + 4)
    0.1196
    >>> round(retention_churn_probability(sbg, [0, 4]), 4)  # mean of the two hazards
    0.2464
    """
    from custvalue.clv.sbg import ShiftedBetaGeo

    if not isinstance(sbg, ShiftedBetaGeo):
        raise InvalidTypeError(f"sbg must be a ShiftedBetaGeo model; got {type(sbg).__name__}")
    n = as_float_array(tenure, "tenure", lower=0, integer=True)
    if n.size == 0:
        raise InvalidInputError("tenure must hold at least one value")
    return float(np.mean(sbg.probability_churn(1, periods_survived=n)))


def link_retention(
    sbg: ShiftedBetaGeo,
    model: MigrationModel,
    *,
    tenure: ArrayLike,
    renormalize: Renormalize = "proportional",
) -> MigrationModel:
    """Set the chain's churn out of RETAIN from an sBG fit of a subscription base.

    ``P[RETAIN, RECOVER]`` becomes :func:`retention_churn_probability` ``(sbg, tenure)``, the
    rest of the row renormalised by ``renormalize`` (see
    :meth:`MigrationModel.with_transition`). The stage model has no direct RETAIN ->
    TERMINATE move (:data:`~custvalue.lifecycle.ALLOWED_TRANSITIONS`: a lost retained customer
    passes through RECOVER), so the churn is the move to RECOVER; for a subscription without
    win-back give RECOVER the row ``P[RECOVER, TERMINATE] = 1`` and a reward of 0, and the
    chain's RETAIN -> TERMINATE hazard is exactly the sBG churn probability (the TERMINATE
    count lags one period; values are unchanged).

    Which tenure: the sBG hazard falls with tenure but a chain's is constant, so the result
    matches the sBG for the next period of the customers whose tenures are given (the
    expected churn of today's RETAIN base); further ahead the real churn falls below the
    chain's, and the chain understates long-run value. Give the tenures of the customers in
    RETAIN now, or one representative tenure. The model's period must be the chain's period.

    Examples
    --------
    >>> from custvalue.clv import ShiftedBetaGeo, ShiftedBetaGeoParams
    >>> sbg = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
    >>> chain = MigrationModel([[0.0, 0.7, 0.0, 0.3], [0.0, 0.9, 0.1, 0.0],
    ...                         [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
    >>> linked = link_retention(sbg, chain, tenure=4)
    >>> round(float(linked.matrix[1, 2]), 4), round(float(linked.matrix[1, 1]), 4)
    (0.1196, 0.8804)
    """
    rate = retention_churn_probability(sbg, tenure)
    return model.with_transition(Stage.RETAIN, Stage.RECOVER, rate, renormalize=renormalize)
