"""Convergence honesty: fits that fail, hit a bound or end on a non-positive-definite Hessian
say so (ConvergenceWarning, or ConvergenceError with ``strict=True``) and record it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import cdnow_master_summary

from custvalue.clv import BetaGeo, BetaGeoParams, GammaGamma
from custvalue.clv._optimize import (
    FAR_LOG,
    GRADIENT_TOLERANCE,
    FitDiagnostics,
    MLEResult,
    _rises_or_stays_flat,
    _rounding_scatter,
    maximize_likelihood,
)
from custvalue.datasets import load_cdnow_summary
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


def test_divergence_profile_along_a_nearly_axis_direction_is_quiet() -> None:
    """Found by CI's thorough fuzz run: the flattest direction of this degenerate base had a
    subnormal component, and the room to the bound along it overflowed with numpy's
    RuntimeWarning; the fit must only warn that it did not converge."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = BetaGeo.fit([26.0, 37.0, 36.0], [0.0, 5.960464477539063e-08, 0.0], [1.0] * 3)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert model.diagnostics.at_bound


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


# --------------------------------------------------------------------------- divergence
# Degenerate data put the supremum of the likelihood on the boundary of the parameter space.
# Where the optimizer stops along the ray depends on rounding (numpy 1.x and 2.x differ by
# one ulp in log), so the verdict must not: these start from many points.


@settings(max_examples=8)
@given(start=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4))
def test_identical_histories_diverge_from_any_start(start: list[float]) -> None:
    initial = BetaGeoParams(*np.exp(start))
    with pytest.warns(ConvergenceWarning, match="cannot identify"):
        model = BetaGeo.fit([1, 1, 1], [5, 5, 5.0], [10, 10, 10.0], initial=initial)
    d = model.diagnostics
    assert (d.converged, d.at_bound, d.hessian_positive_definite) == (False, True, False)
    assert np.isnan(model.covariance).all()
    assert "optimum is on the boundary of the parameter space" in d.message


@settings(max_examples=8)
@given(start=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4))
def test_single_customer_diverges_from_any_start(start: list[float]) -> None:
    initial = BetaGeoParams(*np.exp(start))
    with pytest.warns(ConvergenceWarning, match="cannot identify"):
        model = BetaGeo.fit([3], [5.0], [10.0], initial=initial)
    assert (model.diagnostics.converged, model.diagnostics.at_bound) == (False, True)


def _bgnbd_log_likelihood_mp(
    params: BetaGeoParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> Any:
    """BG/NBD log-likelihood (FHL 2005 eq. 6) in 50-digit arithmetic: the float one loses
    digits where a and b are huge, which is exactly where this test looks."""
    r, alpha, a, b = (mpmath.mpf(float(v)) for v in params.as_array())
    total = mpmath.mpf(0)
    for xi, ti, Ti in zip(x.tolist(), t_x.tolist(), T.tolist(), strict=True):
        head = (
            mpmath.log(mpmath.beta(a, b + xi)) - mpmath.log(mpmath.beta(a, b))
            + mpmath.loggamma(r + xi) - mpmath.loggamma(r) + r * mpmath.log(alpha)
        )  # fmt: skip
        tail = (alpha + Ti) ** -(r + xi)
        if xi > 0:
            tail += a / (b + xi - 1) * (alpha + ti) ** -(r + xi)
        total += head + mpmath.log(tail)
    return total


def test_boundary_optimum_of_a_small_sample_is_flagged() -> None:
    """100 simulated CDNOW-like customers whose likelihood rises for ever as a, b -> infinity
    with a / (a + b) fixed (no heterogeneity in the dropout probability is the best fit): the
    old checks called this converged at a ~ 1e6. mpmath is the oracle of the rise."""
    true = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    h = BetaGeo(true).simulate(np.full(100, 39.0), rng=55)
    with pytest.warns(ConvergenceWarning, match="cannot identify a, b"):
        model = BetaGeo.fit(h.frequency, h.recency, h.T)
    p = model.params
    further = attrs.evolve(p, a=p.a * math.e**4, b=p.b * math.e**4)
    with mpmath.workdps(50):
        at_fit = _bgnbd_log_likelihood_mp(p, h.frequency, h.recency, h.T)
        assert _bgnbd_log_likelihood_mp(further, h.frequency, h.recency, h.T) > at_fit
    d = model.diagnostics
    assert (d.converged, d.at_bound) == (False, True)
    assert "a -> infinity, b -> infinity" in d.message


def _cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    s = load_cdnow_summary()
    return s.frequency, s.recency, s.T, s.monetary_value


def test_honest_fits_far_out_are_not_flagged(recwarn: pytest.WarningsRecorder) -> None:
    """Parameters beyond FAR_LOG only trigger the profile; an honest optimum fails it: CDNOW in
    units of 1e-4 weeks (alpha ~ 4e4) and spends in millionths (gamma ~ 1.5e7)."""
    x, t_x, T, m = _cdnow()
    weekly = BetaGeo.fit(x, t_x, T)
    fine = BetaGeo.fit(x, t_x * 1e4, T * 1e4, strict=True)
    assert math.log(fine.params.alpha) > FAR_LOG
    assert fine.diagnostics.converged
    assert not fine.diagnostics.at_bound
    np.testing.assert_allclose(fine.params.alpha, weekly.params.alpha * 1e4, rtol=1e-6)
    spend = GammaGamma.fit(x, m * 1e6, strict=True)
    assert math.log(spend.params.gamma) > FAR_LOG
    assert spend.diagnostics.converged
    assert not spend.diagnostics.at_bound
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_cdnow_master_fits_converge() -> None:
    s = cdnow_master_summary("D")
    bg = BetaGeo.fit(s.frequency, s.recency, s.T, strict=True)
    spends = s.monetary_value > 0
    gg = GammaGamma.fit(s.frequency[spends], s.monetary_value[spends], strict=True)
    for d in (bg.diagnostics, gg.diagnostics):
        assert d.converged
        assert not d.at_bound
        assert d.hessian_positive_definite


def _ridge(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Rises for ever along u_a = u_b (towards a, b -> infinity), curved across it."""
    u = np.log(theta)
    ll = -1.0 / (theta[0] * theta[1]) - (u[0] - u[1]) ** 2
    du = np.array([1.0, 1.0]) / (theta[0] * theta[1]) + 2 * (u[1] - u[0]) * np.array([1, -1])
    return float(ll), du / theta


def test_driver_names_the_parameters_that_run_off() -> None:
    with pytest.warns(ConvergenceWarning, match=r"a -> infinity, b -> infinity"):
        result = maximize_likelihood(_ridge, [1.0, 2.0], names=("a", "b"), total_weight=1.0)
    d = result.diagnostics
    assert (d.converged, d.at_bound, d.hessian_positive_definite) == (False, True, False)
    assert "the data cannot identify a, b" in d.message
    # a penalty on the log-parameters makes the optimum interior: nothing runs off
    penalized = maximize_likelihood(
        _ridge, [1.0, 2.0], names=("a", "b"), total_weight=1.0, penalizer=0.05, strict=True
    )
    assert penalized.diagnostics.converged
    assert not penalized.diagnostics.at_bound


@pytest.mark.parametrize(("slope", "flat"), [(GRADIENT_TOLERANCE, True), (1.5e-6, False)])
def test_profile_tolerance_is_the_gradient_tolerance(slope: float, flat: bool) -> None:
    """Minus the mean log-likelihood rising by exactly GRADIENT_TOLERANCE per e-fold along the
    ray is still flat; any faster and the point is an optimum along it."""

    def fun(u: np.ndarray) -> tuple[float, np.ndarray]:
        return slope * float(u[0]), np.array([slope, 0.0])

    origin, ray = np.zeros(2), np.array([1.0, 0.5])
    assert _rises_or_stays_flat(fun, origin, 0.0, ray, lambda: 0.0, []) is flat


@pytest.mark.parametrize(("slope", "flat"), [(0.0, True), (1e-3, False)])
def test_profile_allows_rounding_but_not_a_fall(slope: float, flat: bool) -> None:
    """Far out the log-likelihood carries rounding of ~1e-5 (a difference of huge terms): a
    ray that is flat under that scatter is flat; one falling by 1e-3 per e-fold is not."""

    def fun(u: np.ndarray) -> tuple[float, np.ndarray]:
        jitter = 1e-5 * math.cos(1e9 * float(u.sum()) + 2.7)  # rounding-like, 1e-5 wide
        return slope * float(u[0]) + jitter, np.array([slope, 0.0])

    origin = np.zeros(2)
    value = fun(origin)[0]

    def scatter() -> float:
        return _rounding_scatter(fun, origin, value)

    ray = np.array([1.0, 0.0])
    assert scatter() > GRADIENT_TOLERANCE
    assert _rises_or_stays_flat(fun, origin, value, ray, scatter, []) is flat
    # the jitter alone beats the tolerance: without the rounding allowance it would count
    assert _rises_or_stays_flat(fun, origin, value, ray, lambda: 0.0, []) is False


# ------------------------------------------------------------------ warm start (large data)
def _pareto_base(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous-time Pareto/NBD histories at CDNOW's parameters: every row distinct."""
    from custvalue.clv import ParetoNBDParams, simulate_pareto_nbd

    rng = np.random.default_rng(11)
    T = 39.0 - rng.uniform(0.0, 12.0, size=n)
    sim = simulate_pareto_nbd(ParetoNBDParams(0.553, 10.578, 0.606, 11.669), T, rng=rng)
    return np.asarray(sim.frequency), np.asarray(sim.recency), np.asarray(sim.T)


def test_warm_start_reaches_the_cold_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fit on many distinct rows starts from a subsample's optimum and curvature; it must
    # end where the quasi-Newton search from the default start ends (same polishing after)
    from custvalue.clv import ParetoNBD
    from custvalue.clv import _optimize as opt

    x, tx, T = _pareto_base(8_000)
    cold = ParetoNBD.fit(x, tx, T)
    taken: list[tuple[int, bool]] = []
    newton = opt._newton_on_curvature

    def spy(*args: Any) -> Any:
        out = newton(*args)
        taken.append((out[1], out[2]))
        return out

    monkeypatch.setattr(opt, "_newton_on_curvature", spy)
    monkeypatch.setattr(opt, "SUBSAMPLE_MIN_ROWS", 4_096)
    monkeypatch.setattr(opt, "SUBSAMPLE_ROWS", 1_024)
    warm = ParetoNBD.fit(x, tx, T)
    assert taken, "the warm path did not run"
    assert taken[0][1], taken  # and converged on its own
    assert warm.diagnostics is not None
    assert warm.diagnostics.converged
    # both optima are within the gradient tolerance of the same point: 1e-9 of the curvature
    np.testing.assert_allclose(warm.params.as_array(), cold.params.as_array(), rtol=1e-7)
    assert warm.log_likelihood == pytest.approx(cold.log_likelihood, rel=1e-13)
    assert warm.covariance is not None
    assert cold.covariance is not None
    np.testing.assert_allclose(warm.covariance, cold.covariance, rtol=1e-5)


def test_warm_start_falls_back_when_the_subsample_fails() -> None:
    # a subsample whose fit fails (here: no finite value) gives no start: the cold path runs
    from custvalue.clv import pareto_nbd

    x, tx, T = _pareto_base(2_000)
    w = np.ones(x.size)
    objective = pareto_nbd._Objective(x, tx, T, w)

    def broken(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return math.nan, np.zeros(4)

    names = ("r", "alpha", "s", "beta")
    start = [1.0, 10.0, 1.0, 30.0]
    cold = maximize_likelihood(objective, start, names=names, total_weight=x.size)
    warm = maximize_likelihood(
        objective, start, names=names, total_weight=x.size, subsample=(broken, 100.0)
    )
    np.testing.assert_array_equal(warm.params, cold.params)
    assert warm.diagnostics.converged


def test_newton_on_a_wrong_curvature_hands_over_to_the_search() -> None:
    # a curvature far off (steps that do not halve the gradient) ends the Newton steps at the
    # best point so far, and the quasi-Newton search finishes from there
    from custvalue.clv import _optimize as opt
    from custvalue.clv import pareto_nbd

    x, tx, T = _pareto_base(2_000)
    objective = pareto_nbd._Objective(x, tx, T, np.ones(x.size))
    names = ("r", "alpha", "s", "beta")
    cold = maximize_likelihood(objective, [1.0, 10.0, 1.0, 30.0], names=names, total_weight=2000)
    bar = opt.progress_bar(False, total=None, desc="")
    far = opt._maximize(
        objective, list(cold.params * 1.5), names, 2000.0, False, 2000, bar, 0.0, None,
        1e4 * np.eye(4),
    )  # fmt: skip
    assert far.diagnostics.converged
    np.testing.assert_allclose(far.params, cold.params, rtol=1e-7)
