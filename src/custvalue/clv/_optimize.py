"""One maximum-likelihood driver shared by every model.

A model supplies its total log-likelihood and its analytic gradient with respect to the
natural (positive) parameters. The driver optimises in log-parameters, polishes the optimum
with Newton steps on a finite-difference Hessian of the analytic gradient, computes the
observed-information covariance, and reports convergence honestly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from custvalue._progress import ProgressBar, progress_bar
from custvalue._validation import as_scalar
from custvalue._warn import warn
from custvalue.errors import ConvergenceError, ConvergenceWarning

__all__ = ["FitDiagnostics", "MLEResult", "checked_penalizer", "maximize_likelihood"]

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

#: Bounds on log-parameters: parameters between about 1e-10 and 1e10.
LOG_BOUND = 23.0
#: Convergence threshold on the gradient of the mean log-likelihood in log-parameters.
GRADIENT_TOLERANCE = 1e-6


@attrs.frozen
class FitDiagnostics:
    """How a maximum-likelihood fit went.

    Attributes
    ----------
    converged
        True when the optimizer succeeded, the gradient is below tolerance, no parameter sits
        on a bound, and the Hessian is negative definite (so standard errors exist).
    message
        A human-readable account, with advice when something went wrong.
    n_iterations
        Optimizer iterations (quasi-Newton plus Newton polishing).
    gradient_norm
        Max-norm of the gradient of the *mean* log-likelihood in log-parameters at the optimum.
    at_bound
        True if a parameter ended on the optimisation bound (about 1e-10 or 1e10).
    hessian_positive_definite
        True if the observed information matrix is positive definite.
    penalizer
        Coefficient ``c`` of the L2 penalty ``c * sum(log(theta)^2)`` subtracted from the mean
        log-likelihood per customer during the fit (0: plain maximum likelihood). The reported
        log-likelihood, AIC and BIC are those of the unpenalized likelihood at the penalized
        optimum; the covariance is the inverse of the penalized objective's observed
        information (the penalty acts as a prior on the log-parameters).
    """

    converged: bool
    message: str
    n_iterations: int
    gradient_norm: float
    at_bound: bool
    hessian_positive_definite: bool
    penalizer: float = 0.0


@attrs.frozen
class MLEResult:
    """Result of :func:`maximize_likelihood` (natural-scale parameters)."""

    params: FloatArray
    log_likelihood: float
    covariance: FloatArray
    diagnostics: FitDiagnostics


def checked_penalizer(penalizer: object) -> float:
    """``penalizer=`` of a fit as a finite float >= 0, else InvalidInputError naming it."""
    return as_scalar(penalizer, "penalizer", lower=0)


def _hessian(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], point: FloatArray, steps: FloatArray
) -> FloatArray:
    """Central finite differences of an analytic gradient, symmetrised."""
    k = point.size
    hess = np.empty((k, k))
    for i in range(k):
        up, down = point.copy(), point.copy()
        up[i] += steps[i]
        down[i] -= steps[i]
        hess[:, i] = (fun(up)[1] - fun(down)[1]) / (2 * steps[i])
    out: FloatArray = 0.5 * (hess + hess.T)
    return out


def maximize_likelihood(
    objective: Objective,
    initial: Sequence[float],
    *,
    names: Sequence[str],
    total_weight: float,
    strict: bool = False,
    max_iterations: int = 2000,
    progress: bool = False,
    desc: str = "fit",
    penalizer: float = 0.0,
) -> MLEResult:
    """Maximise a log-likelihood over positive parameters.

    Parameters
    ----------
    objective
        Maps natural parameters (a 1-D positive array) to ``(log_likelihood, gradient)``,
        both totals over the data.
    initial
        Starting values (natural scale, positive).
    names
        Parameter names, for messages.
    total_weight
        Number of customers (sum of weights); the objective is scaled by it for conditioning.
    strict
        Raise :class:`ConvergenceError` instead of warning when the fit is not clean.
    max_iterations
        Iteration cap of the quasi-Newton stage.
    progress
        Show a progress bar (iterations; total unknown) if tqdm is installed.
    desc
        Label of the progress bar.
    penalizer
        Coefficient ``c >= 0`` of an L2 penalty on the log-parameters: the driver maximises
        ``mean log-likelihood - c * sum(log(theta)^2)`` (lifetimes' ``penalizer_coef``, applied
        to log-parameters, so it shrinks every parameter towards 1 whatever its scale).
        Already validated by the caller (see :func:`checked_penalizer`).
    """
    bar = progress_bar(progress, total=None, desc=desc, unit="iteration")
    try:
        return _maximize(
            objective, initial, names, total_weight, strict, max_iterations, bar, penalizer
        )
    finally:
        bar.close()


def _maximize(
    objective: Objective,
    initial: Sequence[float],
    names: Sequence[str],
    total_weight: float,
    strict: bool,
    max_iterations: int,
    bar: ProgressBar,
    penalizer: float,
) -> MLEResult:

    def quiet(theta: FloatArray) -> tuple[float, FloatArray]:
        # Trial points can overflow (extreme data); the driver rejects non-finite values,
        # so numpy's RuntimeWarnings would only be noise for the caller.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return objective(theta)

    scale = 1.0 / max(total_weight, 1.0)
    n_evals = 0

    def negative_mean(u: FloatArray) -> tuple[float, FloatArray]:
        nonlocal n_evals
        n_evals += 1
        theta = np.exp(u)
        ll, grad = quiet(theta)
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(u)
        if penalizer:
            return -ll * scale + penalizer * float(u @ u), -grad * theta * scale + 2 * penalizer * u
        return -ll * scale, -grad * theta * scale

    u0 = np.log(np.asarray(initial, dtype=np.float64))
    bounds = [(-LOG_BOUND, LOG_BOUND)] * u0.size
    res = optimize.minimize(
        negative_mean,
        u0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        callback=lambda _: bar.update(1),
        options={"maxiter": max_iterations, "ftol": 1e-15, "gtol": 1e-11, "maxcor": 20},
    )
    u = np.asarray(res.x, dtype=np.float64)
    iterations = int(res.nit)
    value, grad = negative_mean(u)

    # Newton polishing: the quasi-Newton stage stops at ~1e-6 relative accuracy on flat
    # likelihoods; a few Newton steps bring the parameters to machine-precision optimum.
    for _ in range(30):
        if np.max(np.abs(grad)) < 1e-12 or not np.isfinite(value):
            break
        hess = _hessian(negative_mean, u, np.full(u.size, 1e-5))
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or float(grad @ step) >= 0:
            break
        t = 1.0
        improved = False
        grad_norm = float(np.max(np.abs(grad)))
        noise = 8.0 * np.finfo(np.float64).eps * max(abs(value), 1.0)
        while t > 1e-8:
            cand = np.clip(u + t * step, -LOG_BOUND, LOG_BOUND)
            cand_value, cand_grad = negative_mean(cand)
            # Accept a decrease, or (at the optimum, where values differ only by rounding)
            # a step that does not increase the value beyond rounding and shrinks the gradient.
            if cand_value < value or (
                cand_value <= value + noise and float(np.max(np.abs(cand_grad))) < grad_norm
            ):
                u, value, grad, improved = cand, cand_value, cand_grad, True
                break
            t *= 0.5
        iterations += 1
        bar.update(1)
        # Stop when no progress is possible or the step is below the parameters' resolution.
        if not improved or float(np.max(np.abs(t * step))) < 1e-13:
            break

    theta = np.exp(u)
    log_likelihood, _ = quiet(theta)
    gradient_norm = float(np.max(np.abs(grad))) if grad.size else 0.0
    at_bound = bool(np.any(np.abs(u) >= LOG_BOUND - 1e-6))

    hess_nat = _hessian(quiet, theta, 1e-5 * theta)
    information = -hess_nat
    if penalizer:
        # observed information of the penalized objective: d2/dtheta2 of n c log(theta)^2
        information += np.diag(total_weight * penalizer * (2 - 2 * u) / theta**2)
    try:
        eig = np.linalg.eigvalsh(information)
        positive_definite = bool(np.all(eig > 0) and np.all(np.isfinite(eig)))
    except np.linalg.LinAlgError:
        positive_definite = False
    if positive_definite:
        covariance = np.asarray(np.linalg.inv(information), dtype=np.float64)
    else:
        covariance = np.full((theta.size, theta.size), np.nan)

    problems = []
    if not np.isfinite(log_likelihood):
        problems.append("the log-likelihood is not finite at the returned parameters")
    if not (res.success or gradient_norm < GRADIENT_TOLERANCE):
        problems.append(f"the optimizer stopped without converging ({res.message})")
    if gradient_norm >= GRADIENT_TOLERANCE:
        problems.append(f"the gradient norm at the optimum is {gradient_norm:.3g}")
    if at_bound:
        hit = [n for n, v in zip(names, u, strict=True) if abs(v) >= LOG_BOUND - 1e-6]
        problems.append(f"parameter(s) {', '.join(hit)} reached the bound exp(+-{LOG_BOUND:g})")
    if not positive_definite:
        problems.append(
            "the observed information is not positive definite, so standard errors are "
            "undefined (reported as NaN)"
        )
    converged = not problems
    if converged:
        message = f"converged after {iterations} iterations ({n_evals} evaluations)"
    else:
        message = (
            "; ".join(problems)
            + ". Try: check the data for degenerate histories (e.g. no repeat buyers), "
            "rescale the time unit, or start from other initial parameters."
        )
    diagnostics = FitDiagnostics(
        converged=converged,
        message=message,
        n_iterations=iterations,
        gradient_norm=gradient_norm,
        at_bound=at_bound,
        hessian_positive_definite=positive_definite,
        penalizer=penalizer,
    )
    result = MLEResult(
        params=theta,
        log_likelihood=float(log_likelihood),
        covariance=covariance,
        diagnostics=diagnostics,
    )
    if not converged:
        if strict:
            raise ConvergenceError(f"fit did not converge: {message}", result)
        warn(f"fit did not converge: {message}", ConvergenceWarning, stacklevel=4)
    return result
