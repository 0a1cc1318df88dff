"""Choosing a purchase model: fit statistics, information criteria and holdout errors.

:func:`compare_models` puts models fitted to the same customers side by side: log-likelihood,
number of parameters, AIC, BIC (and their differences to the best model), and, given a
:class:`~custvalue.summary.CalibrationHoldout`, how well each predicts the holdout purchases.

Nesting. A likelihood-ratio test needs one model to be a restriction of the other with the
restricted parameters in the interior of the larger space. No pair of the purchase models
custvalue offers is nested that way: MBG/NBD is not BG/NBD plus a parameter (the same four
parameters, but dropout may also happen at time 0), Pareto/NBD and BG/NBD differ in the
dropout process (exponential in time versus after each purchase), and BG/BB models a
different kind of data (discrete opportunities). ``ModelComparison.nesting`` says this per
pair; compare such models by AIC / BIC and on holdout data, as Fader, Hardie and Lee (2005)
do for BG/NBD against Pareto/NBD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._validation import readonly_array
from custvalue.clv.protocol import FittedModelLike, PurchaseModel
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import CalibrationHoldout

__all__ = ["ModelComparison", "compare_models"]

FloatArray = NDArray[np.float64]

#: Why a pair of model classes is not nested (order-free key of class names).
_NOT_NESTED: dict[frozenset[str], str] = {
    frozenset({"BetaGeo", "ModifiedBetaGeo"}): (
        "not nested: same parameters, but MBG/NBD also lets customers drop out at time 0"
    ),
    frozenset({"BetaGeo", "ParetoNBD"}): (
        "not nested: dropout after each purchase (BG/NBD) versus at an exponential time "
        "(Pareto/NBD)"
    ),
    frozenset({"ModifiedBetaGeo", "ParetoNBD"}): (
        "not nested: dropout after purchases (MBG/NBD) versus at an exponential time"
    ),
}


def _pair_note(left: str, right: str) -> str:
    if left == right:
        return "same model class: compare fits by log-likelihood directly"
    return _NOT_NESTED.get(
        frozenset({left, right}), "not nested: the models share no restriction of parameters"
    )


@attrs.frozen(eq=False)
class ModelComparison:
    """Fit statistics of models fitted to the same customers, one row per model.

    Attributes
    ----------
    names
        Row labels: the mapping keys given to :func:`compare_models`, else the class names.
    n_params
        Number of estimated parameters.
    log_likelihood
        Maximised log-likelihood (comparable across models: the same data, the same unit).
    aic, bic
        ``2k - 2 LL`` and ``k ln n - 2 LL`` (``n`` = customers).
    delta_aic, delta_bic
        Difference to the smallest AIC / BIC (0 for the preferred model).
    akaike_weight
        ``exp(-delta_aic / 2)`` normalised over the models: the relative support of each.
    holdout_mae, holdout_rmse
        Mean absolute and root-mean-square error of the expected holdout purchases per
        customer (NaN without a holdout, and for a model that predicts no purchases).
    holdout_predicted, holdout_actual
        Total expected and actual holdout purchases over all customers (NaN without one).
    nesting
        One line per pair of models: whether they are nested, and why not.
    n_customers
        Number of customers the models were fitted to.
    """

    names: tuple[str, ...]
    n_params: NDArray[np.int64] = attrs.field(converter=readonly_array)
    log_likelihood: FloatArray = attrs.field(converter=readonly_array)
    aic: FloatArray = attrs.field(converter=readonly_array)
    bic: FloatArray = attrs.field(converter=readonly_array)
    delta_aic: FloatArray = attrs.field(converter=readonly_array)
    delta_bic: FloatArray = attrs.field(converter=readonly_array)
    akaike_weight: FloatArray = attrs.field(converter=readonly_array)
    holdout_mae: FloatArray = attrs.field(converter=readonly_array)
    holdout_rmse: FloatArray = attrs.field(converter=readonly_array)
    holdout_predicted: FloatArray = attrs.field(converter=readonly_array)
    holdout_actual: FloatArray = attrs.field(converter=readonly_array)
    nesting: tuple[str, ...]
    n_customers: float

    @property
    def best(self) -> str:
        """Name of the model with the smallest AIC (ties: the first)."""
        return self.names[int(np.argmin(self.aic))]

    @property
    def has_holdout(self) -> bool:
        """True when the comparison was given a holdout (the ``holdout_*`` columns exist)."""
        return bool(np.isfinite(self.holdout_actual).any())

    def to_columns(self) -> Columns:
        """One row per model: ``model`` and every per-model statistic (the ``holdout_*``
        columns only with a holdout)."""
        cols: dict[str, Any] = {"model": np.array(self.names, dtype=object)}
        for field in attrs.fields(ModelComparison):
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray) and (
                self.has_holdout or not field.name.startswith("holdout_")
            ):
                cols[field.name] = value
        return freeze_columns(cols)

    def summary(self) -> str:
        """A readable table of the statistics, the preferred model and the nesting notes."""
        header = f"{'model':<18}{'k':>3}{'log-lik':>13}{'AIC':>12}{'dAIC':>9}{'BIC':>12}"
        has_holdout = self.has_holdout
        if has_holdout:
            header += f"{'MAE':>9}{'RMSE':>9}{'pred':>10}"
        lines = [f"Model comparison ({self.n_customers:g} customers)", header]
        for i, name in enumerate(self.names):
            row = (
                f"{name:<18}{self.n_params[i]:>3}{self.log_likelihood[i]:>13.2f}"
                f"{self.aic[i]:>12.2f}{self.delta_aic[i]:>9.2f}{self.bic[i]:>12.2f}"
            )
            if has_holdout:
                row += (
                    f"{self.holdout_mae[i]:>9.4f}{self.holdout_rmse[i]:>9.4f}"
                    f"{self.holdout_predicted[i]:>10.1f}"
                )
            lines.append(row)
        if has_holdout:
            lines.append(f"actual holdout purchases: {self.holdout_actual[0]:.0f}")
        lines.append(f"preferred by AIC: {self.best}")
        lines.extend(f"nesting: {note}" for note in self.nesting)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), best=self.best)

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), f"Model comparison; preferred by AIC: {self.best}")


def _named(
    models: Sequence[FittedModelLike] | Mapping[str, FittedModelLike],
) -> list[tuple[str, FittedModelLike]]:
    if isinstance(models, Mapping):
        pairs = [(str(k), v) for k, v in models.items()]
    elif isinstance(models, Sequence) and not isinstance(models, (str, bytes)):
        pairs = [(type(m).__name__, m) for m in models]
        seen: dict[str, int] = {}
        for name, _ in pairs:
            seen[name] = seen.get(name, 0) + 1
        if any(count > 1 for count in seen.values()):
            pairs = [(f"{name}[{i}]", m) for i, (name, m) in enumerate(pairs)]
    else:
        raise InvalidTypeError(
            f"models must be a sequence or a mapping of fitted models; got {type(models).__name__}"
        )
    if not pairs:
        raise InvalidInputError("models must hold at least one fitted model; got none")
    return pairs


def compare_models(
    models: Sequence[FittedModelLike] | Mapping[str, FittedModelLike],
    *,
    holdout: CalibrationHoldout | None = None,
) -> ModelComparison:
    """Compare models fitted to the same customers: LL, AIC, BIC and holdout errors.

    Parameters
    ----------
    models
        Fitted models (each with a ``log_likelihood``), as a sequence (rows named by class)
        or a mapping from row names to models. They must have been fitted to the same
        customers in the same time unit: the same ``n_customers`` and ``time_unit``.
    holdout
        Optional :class:`~custvalue.summary.CalibrationHoldout` whose calibration summary the
        models were fitted on: each purchase model then predicts every customer's holdout
        purchases (``expected_purchases(holdout_duration, calibration)``), scored against
        ``holdout_frequency``.

    Returns
    -------
    ModelComparison
        One row per model; ``summary()`` prints it, ``custvalue.frame.to_frame`` tabulates it.

    Raises
    ------
    InvalidInputError
        A model built from parameters (no log-likelihood), models fitted to different numbers
        of customers or in different time units (their likelihoods are not comparable), or a
        holdout with another number of customers.

    Examples
    --------
    >>> from custvalue.clv import BetaGeo, compare_models
    >>> from custvalue.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> table = compare_models({"BG/NBD": BetaGeo.fit(summary)})
    >>> table.best, round(float(table.aic[0]), 1)
    ('BG/NBD', 19172.9)
    """
    pairs = _named(models)
    for name, model in pairs:
        if not isinstance(model, FittedModelLike):
            raise InvalidTypeError(
                f"models[{name!r}] must be a fitted custvalue model; got {type(model).__name__}"
            )
        if model.log_likelihood is None or model.n_customers is None:
            raise InvalidInputError(
                f"models[{name!r}] was built from parameters, not fitted: it has no "
                "log-likelihood to compare"
            )
    first_name, first = pairs[0]
    for name, model in pairs[1:]:
        if model.n_customers != first.n_customers:
            raise InvalidInputError(
                f"models[{name!r}] was fitted to {model.n_customers:g} customers and "
                f"models[{first_name!r}] to {first.n_customers:g}: likelihoods of different "
                "data are not comparable"
            )
        if model.time_unit != first.time_unit:
            raise InvalidInputError(
                f"models[{name!r}] is in time unit {model.time_unit!r} and "
                f"models[{first_name!r}] in {first.time_unit!r}: their likelihoods are "
                "densities in different units; convert with in_unit() before fitting"
            )
    n = float(first.n_customers)  # type: ignore[arg-type]  # checked above
    ll = np.array([float(m.log_likelihood) for _, m in pairs])  # type: ignore[arg-type]
    k = np.array([np.asarray(m.params.as_array()).size for _, m in pairs], dtype=np.int64)
    aic = 2 * k - 2 * ll
    bic = k * math.log(n) - 2 * ll
    delta_aic = aic - np.min(aic)
    weights = np.exp(-0.5 * delta_aic)
    errors = np.full((4, len(pairs)), np.nan)
    if holdout is not None:
        errors = _holdout_errors([m for _, m in pairs], holdout, [name for name, _ in pairs])
    names = [name for name, _ in pairs]
    nesting = tuple(
        f"{a} / {b}: {_pair_note(type(ma).__name__, type(mb).__name__)}"
        for i, (a, ma) in enumerate(pairs)
        for b, mb in pairs[i + 1 :]
    )
    return ModelComparison(
        names=tuple(names),
        n_params=k,
        log_likelihood=ll,
        aic=aic,
        bic=bic,
        delta_aic=delta_aic,
        delta_bic=bic - np.min(bic),
        akaike_weight=weights / weights.sum(),
        holdout_mae=errors[0],
        holdout_rmse=errors[1],
        holdout_predicted=errors[2],
        holdout_actual=errors[3],
        nesting=nesting,
        n_customers=n,
    )


def _holdout_errors(
    models: list[FittedModelLike], holdout: CalibrationHoldout, names: list[str]
) -> FloatArray:
    """Rows MAE, RMSE, total predicted, total actual; one column per model."""
    if not isinstance(holdout, CalibrationHoldout):
        raise InvalidTypeError(
            f"holdout must be a CalibrationHoldout; got {type(holdout).__name__}"
        )
    actual = holdout.holdout_frequency.astype(np.float64)
    out = np.full((4, len(models)), np.nan)
    out[3] = actual.sum()
    for j, model in enumerate(models):
        if not isinstance(model, PurchaseModel):
            continue  # spend or retention models predict no purchases
        if model.n_customers != holdout.calibration.n_customers:
            raise InvalidInputError(
                f"models[{names[j]!r}] was fitted to {model.n_customers:g} customers but the "
                f"holdout has {holdout.calibration.n_customers}: fit on holdout.calibration"
            )
        predicted = model.expected_purchases(holdout.holdout_duration, holdout.calibration)
        err = predicted - actual
        out[0, j] = float(np.mean(np.abs(err)))
        out[1, j] = float(np.sqrt(np.mean(err**2)))
        out[2, j] = float(predicted.sum())
    return out
