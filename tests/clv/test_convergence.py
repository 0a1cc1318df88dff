"""Convergence honesty: fits that fail, hit a bound or end on a non-positive-definite Hessian
say so (ConvergenceWarning, or ConvergenceError with ``strict=True``) and record it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from custvalue.clv import BetaGeo, GammaGamma
from custvalue.clv._optimize import FitDiagnostics, MLEResult, maximize_likelihood
from custvalue.errors import ConvergenceError, ConvergenceWarning

# (label, fit, expected flags): degenerate data sets provoking each failure mode
CASES: list[tuple[str, Callable[..., Any], dict[str, bool]]] = [
    # no repeat buyers: a, b unidentified -> singular information
    ("BG no repeat buyers", lambda **kw: BetaGeo.fit([0, 0, 0], [0, 0, 0], [10, 20, 30.0], **kw),
     {"hessian_positive_definite": False}),
    # one customer: alpha runs to the upper bound
    ("BG single customer", lambda **kw: BetaGeo.fit([3], [5.0], [10.0], **kw),
     {"at_bound": True}),
    # identical histories: flat likelihood, gradient not below tolerance, singular information
    ("BG identical histories",
     lambda **kw: BetaGeo.fit([1, 1, 1], [5, 5, 5.0], [10, 10, 10.0], **kw),
     {"hessian_positive_definite": False}),
    # identical spends: q -> infinity, the optimizer stops without converging
    ("GG identical spends", lambda **kw: GammaGamma.fit([1, 2, 3, 4], [10, 10, 10, 10.0], **kw),
     {}),
    # one repeat buyer: p on the bound
    ("GG single buyer", lambda **kw: GammaGamma.fit([2], [10.0], **kw), {"at_bound": True}),
    # two identical buyers: on the bound with a singular information matrix
    ("GG two identical buyers", lambda **kw: GammaGamma.fit([1, 1], [10.0, 10.0], **kw),
     {"at_bound": True, "hessian_positive_definite": False}),
]  # fmt: skip


@pytest.mark.parametrize(("label", "fit", "flags"), CASES, ids=[c[0] for c in CASES])
def test_failed_fit_warns_and_records_it(
    label: str, fit: Callable[..., Any], flags: dict[str, bool]
) -> None:
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        model = fit()
    assert len(record) == 1
    assert record[0].filename == __file__  # stacklevel points at the caller
    d = model.diagnostics
    assert isinstance(d, FitDiagnostics)
    assert d.converged is False
    assert "Try:" in d.message  # says what to do next
    for name, value in flags.items():
        assert getattr(d, name) is value, (label, name, d)
    if not d.hessian_positive_definite:
        assert np.isnan(model.covariance).all()  # no made-up standard errors
        assert "not positive definite" in d.message
    if d.at_bound:
        assert "the data cannot identify" in d.message
    # the record survives persistence
    assert type(model).from_json(model.to_json()).diagnostics == d


@pytest.mark.parametrize(("label", "fit", "flags"), CASES, ids=[c[0] for c in CASES])
def test_strict_fit_raises_with_the_result(
    label: str, fit: Callable[..., Any], flags: dict[str, bool]
) -> None:
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        fit(strict=True)
    result = info.value.result
    assert isinstance(result, MLEResult)
    assert result.diagnostics.converged is False
    assert isinstance(info.value, RuntimeError)


def test_clean_fit_reports_convergence_without_warning(recwarn: pytest.WarningsRecorder) -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=300).astype(float)
    m = rng.gamma(6.0, 5.0, size=300)
    model = GammaGamma.fit(x, m, strict=True)
    assert model.diagnostics.converged
    assert model.diagnostics.hessian_positive_definite
    assert not model.diagnostics.at_bound
    assert model.diagnostics.gradient_norm < 1e-6
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def _flat(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Peaked in the first parameter, flat in the second: singular information."""
    u = np.log(theta)
    return float(-(u[0] ** 2)), np.array([-2.0 * u[0] / theta[0], 0.0])


def _unbounded(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Increasing without limit in the parameter: the optimum is on the bound."""
    return float(np.log(theta[0])), np.array([1.0 / theta[0]])


def _nan_everywhere(theta: np.ndarray) -> tuple[float, np.ndarray]:
    return math.nan, np.full(theta.shape, math.nan)


@pytest.mark.parametrize(
    ("objective", "start", "expect"),
    [
        (_flat, [2.0, 3.0], "not positive definite"),
        (_unbounded, [1.0], "reached the bound"),
        (_nan_everywhere, [1.0], "log-likelihood is not finite"),
    ],
)
def test_driver_reports_each_failure_mode(objective: Any, start: list[float], expect: str) -> None:
    names = ("a", "b")[: len(start)]
    with pytest.warns(ConvergenceWarning, match=expect):
        result = maximize_likelihood(objective, start, names=names, total_weight=1.0)
    assert not result.diagnostics.converged
    with pytest.raises(ConvergenceError, match=expect):
        maximize_likelihood(objective, start, names=names, total_weight=1.0, strict=True)
