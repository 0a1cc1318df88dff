"""Nonparametric bootstrap of a fitted model: resample customers with replacement, refit.

The standard errors of :meth:`BetaGeo.fit` / :meth:`GammaGamma.fit` come from the observed
information (a quadratic approximation at the optimum). The bootstrap needs no such
approximation: each replicate draws ``n`` customers with replacement from the ``n`` observed
ones (as multinomial weights on the rows, so nothing is copied), refits from the point
estimate, and the spread of the replicates estimates the sampling distribution of the
parameters. Percentile intervals follow Efron & Tibshirani (1993, ch. 13).

Replicates are reproducible (``rng``: a seed or a ``numpy.random.Generator``), report progress
with ``progress=True``, and each replicate's convergence is recorded: statistics use the
converged replicates only, and a :class:`~custvalue.errors.ConvergenceWarning` says how many
were left out.
"""

from __future__ import annotations

import typing
import warnings
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, columns_repr, freeze_columns
from custvalue._html import html_table
from custvalue._json import ARRAY_EQ, JsonMixin, to_bool, to_float64
from custvalue._model_registry import PURCHASE_MODELS, purchase_model_class
from custvalue._progress import check_progress, progress_bar
from custvalue._validation import as_count, as_float_array, as_level, as_rng, as_scalar, fail_at
from custvalue._warn import quiet
from custvalue.clv.gamma_gamma import GammaGamma
from custvalue.errors import (
    ConvergenceWarning,
    InvalidInputError,
    InvalidTypeError,
)

__all__ = ["BootstrapResult", "bootstrap"]

FloatArray = NDArray[np.float64]
FittedClass = type[Any]


def _models() -> dict[str, tuple[FittedClass, int]]:
    """The models that can be bootstrapped, by name: class and number of data arrays (every
    purchase model of the registry takes ``frequency, recency, T``)."""
    out: dict[str, tuple[FittedClass, int]] = {
        name: (purchase_model_class(name), 3) for name in PURCHASE_MODELS
    }
    out["GammaGamma"] = (GammaGamma, 2)
    return out


def _check_model(_: Any, __: Any, value: str) -> None:
    if value not in _models():
        raise InvalidInputError(f"model must be one of {sorted(_models())}; got {value!r}")


@attrs.frozen
class BootstrapResult(JsonMixin):
    """Parameter replicates of a nonparametric bootstrap (see :func:`bootstrap`).

    Attributes
    ----------
    model
        ``"BetaGeo"`` or ``"GammaGamma"``.
    estimate
        Point estimate on the original data, shape ``(k,)`` in :attr:`names` order.
    params
        One row per replicate, shape ``(n_resamples, k)``.
    converged
        Whether each replicate's fit converged cleanly, shape ``(n_resamples,)``.
    n_customers
        Customers in the original data (sum of the weights, one-time buyers included); each
        replicate draws as many.
    """

    model: str = attrs.field(validator=_check_model)
    estimate: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    params: FloatArray = attrs.field(converter=to_float64, eq=ARRAY_EQ)
    converged: NDArray[np.bool_] = attrs.field(converter=to_bool, eq=ARRAY_EQ)
    n_customers: float

    def __attrs_post_init__(self) -> None:
        k = len(self.names)
        if self.estimate.shape != (k,) or self.params.ndim != 2 or self.params.shape[1] != k:
            raise InvalidInputError(
                f"{self.model} has {k} parameters: estimate must have shape ({k},) and params "
                f"shape (n_resamples, {k}); got {self.estimate.shape} and {self.params.shape}"
            )
        if self.converged.shape != (self.params.shape[0],):
            raise InvalidInputError(
                f"converged must have shape ({self.params.shape[0]},); got {self.converged.shape}"
            )
        as_scalar(self.n_customers, "n_customers", lower=0)
        est = self.estimate
        fail_at("estimate", "must be finite and > 0", est, ~(np.isfinite(est) & (est > 0)))

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in column order."""
        return tuple(_models()[self.model][0].PARAM_NAMES)

    @property
    def n_resamples(self) -> int:
        """Number of replicates (converged or not)."""
        return int(self.params.shape[0])

    def _usable(self) -> FloatArray:
        draws = self.params[self.converged]
        if draws.shape[0] < 2:
            raise InvalidInputError(
                f"only {draws.shape[0]} of {self.n_resamples} replicates converged; at least 2 "
                "are needed for bootstrap statistics"
            )
        return draws

    def standard_errors(self) -> FloatArray:
        """Standard deviation of the converged replicates (ddof = 1), shape ``(k,)``."""
        out: FloatArray = np.std(self._usable(), axis=0, ddof=1)
        return out

    def interval(self, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Percentile interval of each parameter from the converged replicates.

        Parameters
        ----------
        level
            Coverage in (0, 1).

        Returns
        -------
        (lower, upper)
            Two arrays of shape ``(k,)``.
        """
        tail = (1.0 - as_level(level)) / 2.0
        lower, upper = np.quantile(self._usable(), [tail, 1.0 - tail], axis=0)
        return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)

    def models(self) -> tuple[Any, ...]:
        """One unfitted model per converged replicate, e.g. to carry the parameter uncertainty
        into predictions: ``[m.probability_alive(x, t_x, T) for m in result.models()]``."""
        cls = _models()[self.model][0]
        params_cls = typing.get_type_hints(cls)["params"]
        return tuple(cls(params_cls(*row)) for row in self.params[self.converged])

    def _rows(self) -> list[tuple[str, float, float, float, float]]:
        se = self.standard_errors()
        lower, upper = self.interval()
        return [
            (name, float(v), float(s), float(lo), float(hi))
            for name, v, s, lo, hi in zip(self.names, self.estimate, se, lower, upper, strict=True)
        ]

    def _caption(self) -> str:
        return (
            f"{self.model} bootstrap: {int(self.converged.sum())} of {self.n_resamples} "
            f"replicates converged, n = {self.n_customers:g}"
        )

    def summary(self) -> str:
        """Estimate, bootstrap standard error and 95% percentile interval per parameter."""
        lines = [
            self._caption(),
            f"{'param':<8}{'estimate':>14}{'boot s.e.':>12}{'2.5%':>12}{'97.5%':>12}",
        ]
        for name, v, s, lo, hi in self._rows():
            lines.append(f"{name:<8}{v:>14.6g}{s:>12.4g}{lo:>12.4g}{hi:>12.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_columns(self) -> Columns:
        """One row per replicate: one column per parameter (:attr:`names`) and ``converged``."""
        cols: dict[str, Any] = {name: self.params[:, i] for i, name in enumerate(self.names)}
        cols["converged"] = self.converged
        return freeze_columns(cols)

    def _repr_html_(self) -> str:
        header = ("param", "estimate", "boot s.e.", "2.5%", "97.5%")
        return html_table(header, self._rows(), caption=self._caption())

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), model=self.model)


def bootstrap(
    model: FittedClass,
    *data: ArrayLike,
    n_resamples: int = 200,
    rng: np.random.Generator | int,
    weights: ArrayLike | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Nonparametric bootstrap of :class:`BetaGeo` or :class:`GammaGamma` parameters.

    Parameters
    ----------
    model
        The model class: :class:`~custvalue.clv.BetaGeo` (data ``frequency, recency, T``) or
        :class:`~custvalue.clv.GammaGamma` (data ``frequency, monetary_value``).
    *data
        The arrays its ``fit`` takes, one row per customer (or per group of identical
        customers with ``weights``).
    n_resamples
        Number of replicates (1 .. 1,000,000; a few hundred for intervals).
    rng
        Seed (int >= 0) or ``numpy.random.Generator``; the same seed gives bit-identical
        results.
    weights
        Optional customers per row (>= 0), as in ``fit``. A replicate draws ``round(sum)``
        customers, each row with probability ``weight / sum``.
    progress
        Show a progress bar over the replicates if tqdm is installed.

    Returns
    -------
    BootstrapResult
        The point estimate and the replicates.

    Raises
    ------
    InvalidTypeError
        ``model`` is not one of the two classes, or a bad ``rng``/``progress``.
    InvalidInputError
        Invalid data (as in ``fit``) or ``n_resamples``.

    Warns
    -----
    ConvergenceWarning
        When some replicates did not converge (they are kept in ``params`` but left out of
        the statistics), or when the fit on the original data did not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from custvalue.clv import BetaGeo, bootstrap
    >>> from custvalue.datasets import load_cdnow_summary
    >>> s = load_cdnow_summary()
    >>> boot = bootstrap(BetaGeo, s.frequency, s.recency, s.T, n_resamples=20, rng=1)
    >>> boot.params.shape, bool(boot.converged.all())
    ((20, 4), True)
    """
    known = _models()
    name = next((k for k, (cls, _) in known.items() if model is cls), None)
    if name is None:
        raise InvalidTypeError(
            f"model must be one of the classes {', '.join(known)}; got {model!r}"
        )
    n_data = known[name][1]
    if len(data) != n_data:
        raise InvalidInputError(f"{name} needs {n_data} data arrays; got {len(data)}")
    count = as_count(n_resamples, "n_resamples", minimum=1)
    gen = as_rng(rng)
    check_progress(progress)

    estimate = model.fit(*data, weights=weights)
    # The fit has validated the data: one row per customer, the arrays broadcast together.
    rows = tuple(
        a.reshape(-1) for a in np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in data))
    )
    n_rows = rows[0].size
    if weights is None:
        w = np.ones(n_rows)
    else:
        w = np.broadcast_to(as_float_array(weights, "weights", lower=0), n_rows)
    total = float(w.sum())
    p = w / total
    n_draw = max(1, round(total))
    start = estimate.params

    params = np.empty((count, len(model.PARAM_NAMES)))
    converged = np.zeros(count, dtype=bool)
    bar = progress_bar(progress, total=count, desc=f"bootstrap {name}", unit="replicate")
    try:
        for i in range(count):
            counts = gen.multinomial(n_draw, p).astype(np.float64)
            with quiet():  # the replicates' convergence is recorded and summarised below
                fitted = _refit(model, rows, counts, start)
            params[i] = fitted.params.as_array()
            converged[i] = fitted.diagnostics is not None and fitted.diagnostics.converged
            bar.update(1)
    finally:
        bar.close()
    n_failed = count - int(converged.sum())
    if n_failed:
        warnings.warn(
            f"{n_failed} of {count} bootstrap replicates of {name} did not converge; they are "
            "kept in params but left out of the standard errors and intervals",
            ConvergenceWarning,
            stacklevel=2,
        )
    return BootstrapResult(
        model=name,
        estimate=estimate.params.as_array(),
        params=params,
        converged=converged,
        n_customers=total,
    )


def _refit(model: FittedClass, rows: tuple[FloatArray, ...], counts: FloatArray, start: Any) -> Any:
    if model is not GammaGamma:  # a purchase model
        return model.fit(*rows, weights=counts, initial=start)
    if not np.any(counts[(rows[0] > 0) & (rows[1] > 0)]):
        # No repeat buyer with a positive spend drawn: the Gamma-Gamma model has nothing to fit.
        return GammaGamma(start, diagnostics=None)
    return GammaGamma.fit(*rows, weights=counts)
