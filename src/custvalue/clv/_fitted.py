"""What every fitted model shares: fit statistics, the summary table and fit persistence.

A model class mixes in :class:`FittedModel` and declares ``TITLE`` and ``PARAM_NAMES``; its
attrs fields ``params``, ``log_likelihood``, ``covariance``, ``n_customers``,
``diagnostics`` (these four ``None`` for a model built from parameters) and ``time_unit``
(``None`` when unknown) are read here.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_html, freeze_columns
from custvalue.clv._optimize import FitDiagnostics
from custvalue.errors import CustValueError, PersistenceError
from custvalue.time_units import time_unit_label

__all__ = [
    "COVARIANCE_EQ",
    "FittedModel",
    "fit_from_payload",
    "fit_to_payload",
    "time_unit_from_payload",
]

FloatArray = NDArray[np.float64]


def _covariance_eq(left: FloatArray | None, right: FloatArray | None) -> bool:
    if left is None or right is None:
        return left is right
    return bool(np.array_equal(left, right, equal_nan=True))


#: attrs ``eq`` of the ``covariance`` field: exact, NaN equal to NaN (undefined errors).
COVARIANCE_EQ = attrs.cmp_using(eq=_covariance_eq)

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054
_NUMBER = (int, float, str)


class FittedModel:
    """Mixin: standard errors, AIC/BIC, ``summary()`` and ``_repr_html_`` of a fitted model."""

    TITLE: ClassVar[str]
    PARAM_NAMES: ClassVar[tuple[str, ...]]

    params: Any
    log_likelihood: float | None
    covariance: FloatArray | None
    n_customers: float | None
    diagnostics: FitDiagnostics | None
    time_unit: str | None

    @property
    def stderr(self) -> FloatArray | None:
        """Standard errors of the parameters (square roots of the covariance diagonal)."""
        if self.covariance is None:
            return None
        out: FloatArray = np.sqrt(np.diag(self.covariance))
        return out

    @property
    def aic(self) -> float | None:
        """Akaike information criterion ``2k - 2 LL``, or None if not fitted."""
        if self.log_likelihood is None:
            return None
        return 2.0 * len(self.PARAM_NAMES) - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float | None:
        """Bayesian information criterion ``k ln(n) - 2 LL``, or None if not fitted."""
        if self.log_likelihood is None or not self.n_customers:
            return None
        return len(self.PARAM_NAMES) * math.log(self.n_customers) - 2.0 * self.log_likelihood

    def _parameter_rows(self) -> list[tuple[str, float, float, float, float]]:
        se = self.stderr
        rows = []
        for i, name in enumerate(self.PARAM_NAMES):
            value = float(getattr(self.params, name))
            s = float(se[i]) if se is not None else math.nan
            rows.append((name, value, s, value - Z95 * s, value + Z95 * s))
        return rows

    def parameter_table(self) -> dict[str, FloatArray]:
        """The parameter table as named 1-D arrays, one entry per parameter.

        Keys: ``parameter`` (names, ``str``), ``estimate``, ``standard_error`` and the Wald
        95% interval ``lower_95``, ``upper_95`` (estimate -+ 1.96 standard errors; NaN for
        a model built from parameters, or where the information matrix is singular).
        ``custvalue.frame.to_frame(model)`` turns it into a DataFrame.

        Examples
        --------
        >>> from custvalue.clv import GammaGamma, GammaGammaParams
        >>> table = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44)).parameter_table()
        >>> table["parameter"].tolist(), table["estimate"].tolist()
        (['p', 'q', 'gamma'], [6.25, 3.74, 15.44])
        """
        rows = self._parameter_rows()
        return {
            "parameter": np.array([row[0] for row in rows], dtype=str),
            **{
                key: np.array([row[i] for row in rows], dtype=np.float64)
                for i, key in enumerate(
                    ("estimate", "standard_error", "lower_95", "upper_95"), start=1
                )
            },
        }

    def to_columns(self) -> Columns:
        """The parameter table (:meth:`parameter_table`): one row per parameter."""
        return freeze_columns(self.parameter_table())

    def _summary_extra(self) -> list[tuple[str, str]]:
        """Model-specific lines of the summary (label, text)."""
        return []

    def _fit_rows(self) -> list[tuple[str, str]]:
        unit = self.time_unit
        rows: list[tuple[str, str]] = [
            ("time unit", unit if unit is not None else "not recorded (fitted from bare arrays)")
        ]
        if self.log_likelihood is None:
            rows.append(("fit", "built from parameters (not fitted): no standard errors"))
        else:
            rows.append(("log-likelihood", f"{self.log_likelihood:.4f}"))
            rows.append(("AIC", f"{self.aic:.4f}"))
            if self.bic is not None:
                rows.append(("BIC", f"{self.bic:.4f}"))
            if self.n_customers is not None:
                rows.append(("n", f"{self.n_customers:g}"))
        rows.extend(self._summary_extra())
        if self.diagnostics is not None:
            state = "yes" if self.diagnostics.converged else "NO"
            rows.append(("converged", f"{state} ({self.diagnostics.message})"))
            if self.diagnostics.penalizer:
                rows.append(
                    (
                        "penalizer",
                        f"{self.diagnostics.penalizer:g} (L2 on log-parameters; the "
                        "log-likelihood above is unpenalized)",
                    )
                )
        return rows

    def summary(self) -> str:
        """A readable report: parameters, standard errors, 95% intervals, LL, AIC, BIC, n."""
        lines = [self.TITLE]
        lines.append(
            f"{'param':<8}{'estimate':>14}{'std err':>12}{'95% lower':>12}{'95% upper':>12}"
        )
        for name, value, s, lo, hi in self._parameter_rows():
            lines.append(f"{name:<8}{value:>14.6g}{s:>12.4g}{lo:>12.4g}{hi:>12.4g}")
        lines.extend(f"{label}: {text}" for label, text in self._fit_rows())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        facts = "; ".join(f"{label}: {text}" for label, text in self._fit_rows())
        return columns_html(self.to_columns(), f"{self.TITLE}; {facts}")


def fit_to_payload(model: FittedModel) -> dict[str, Any] | None:
    """The fit information of ``model`` as a JSON-safe dict (None for an unfitted model)."""
    if model.log_likelihood is None:
        return None
    d = model.diagnostics
    enc = _persist.encode_float
    return {
        "log_likelihood": enc(model.log_likelihood),
        "covariance": None if model.covariance is None else _persist.encode_array(model.covariance),
        "n_customers": None if model.n_customers is None else enc(model.n_customers),
        "diagnostics": None
        if d is None
        else {
            "converged": d.converged,
            "message": d.message,
            "n_iterations": d.n_iterations,
            "gradient_norm": enc(d.gradient_norm),
            "at_bound": d.at_bound,
            "hessian_positive_definite": d.hessian_positive_definite,
            "penalizer": enc(d.penalizer),
        },
    }


def fit_from_payload(doc: Any, n_params: int) -> dict[str, Any]:
    """Keyword arguments (log_likelihood, covariance, n_customers, diagnostics) from a payload."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise PersistenceError("payload: field 'fit' must be an object or null")
    req = _persist.require
    # no sign bound: a Gamma-Gamma spend density can exceed 1, so its log-likelihood can be > 0
    ll = _persist.decode_float(req(doc, "log_likelihood", _NUMBER, "fit"), "log_likelihood")
    cov_doc = doc.get("covariance")
    cov = None if cov_doc is None else _persist.decode_array(cov_doc, "covariance")
    if cov is not None and (cov.shape != (n_params, n_params) or cov.dtype != np.float64):
        raise PersistenceError(f"fit: covariance must be a {n_params}x{n_params} float array")
    n_doc = doc.get("n_customers")
    n = (
        None
        if n_doc is None
        else _persist.decode_float(
            n_doc, "n_customers", lower=0, upper=_persist.LARGEST_FLOAT, nan=False
        )
    )
    d = doc.get("diagnostics")
    diagnostics = None
    if d is not None:
        if not isinstance(d, dict):
            raise PersistenceError("fit: field 'diagnostics' must be an object or null")
        diagnostics = FitDiagnostics(
            converged=req(d, "converged", bool, "diagnostics"),
            message=req(d, "message", str, "diagnostics"),
            n_iterations=_persist.decode_int(
                req(d, "n_iterations", int, "diagnostics"), "n_iterations"
            ),
            gradient_norm=_persist.decode_float(
                req(d, "gradient_norm", _NUMBER, "diagnostics"), "gradient_norm", lower=0
            ),
            at_bound=req(d, "at_bound", bool, "diagnostics"),
            hessian_positive_definite=req(d, "hessian_positive_definite", bool, "diagnostics"),
            # absent in documents written before the penalizer existed: plain ML
            penalizer=_persist.decode_float(
                d.get("penalizer", 0.0),
                "penalizer",
                lower=0,
                upper=_persist.LARGEST_FLOAT,
                nan=False,
            ),
        )
    return {"log_likelihood": ll, "covariance": cov, "n_customers": n, "diagnostics": diagnostics}


def time_unit_from_payload(payload: dict[str, Any]) -> str | None:
    """The ``time_unit`` field of a model payload; absent (older documents) or null is None."""
    unit = payload.get("time_unit")
    if unit is None:
        return None
    if not isinstance(unit, str):
        raise PersistenceError("payload: field 'time_unit' must be a string or null")
    try:
        return time_unit_label(unit)
    except CustValueError as exc:
        raise PersistenceError(f"payload: field 'time_unit': {exc}") from None


def params_to_payload(params: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named parameters of ``params`` as JSON-safe numbers (bit-exact)."""
    return {n: _persist.encode_float(getattr(params, n)) for n in names}


def params_from_payload(payload: dict[str, Any], names: tuple[str, ...]) -> dict[str, float]:
    """The ``params`` object of a model payload as floats by name (PersistenceError if bad)."""
    raw = _persist.require(payload, "params", dict, "payload")
    return {
        n: _persist.decode_float(_persist.require(raw, n, (int, float, str), "params"), n)
        for n in names
    }
