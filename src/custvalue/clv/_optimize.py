"""One maximum-likelihood driver shared by every model.

A model supplies its total log-likelihood and its analytic gradient with respect to the
natural (positive) parameters. The driver optimises in log-parameters, polishes the optimum
with Newton steps on a finite-difference Hessian of the analytic gradient, computes the
observed-information covariance, and reports convergence honestly.

Degenerate data (all customers alike, a single customer) put the supremum of the likelihood on
the boundary of the parameter space: some parameters run off towards 0 or infinity along a
ray on which the log-likelihood keeps creeping up. Where the optimizer stops on such a ray
depends on rounding in the last bit (numpy 1.x and 2.x compute ``log`` differently by one ulp
on AVX-512 machines, which is enough), and so would the gradient and Hessian checks. The
driver therefore profiles the likelihood along its flattest directions beyond the returned
point and reports a divergence whatever path the optimizer took.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from custvalue._progress import ProgressBar, progress_bar
from custvalue._validation import as_scalar
from custvalue._warn import warn
from custvalue.errors import ConvergenceError, ConvergenceWarning

__all__ = [
    "FitDiagnostics",
    "MLEResult",
    "checked_penalizer",
    "maximize_likelihood",
    "strided_subsample",
]

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

#: Bounds on log-parameters: parameters between about 1e-10 and 1e10.
LOG_BOUND = 23.0
#: Convergence threshold on the gradient of the mean log-likelihood in log-parameters.
GRADIENT_TOLERANCE = 1e-6
#: A fit with a log-parameter beyond this (a parameter outside about 1e-4 to 1e4), or one that
#: failed another check, is profiled for divergence; others pay nothing for the check (a
#: divergent fit ends far out: the optimizer's tolerances take it many e-folds along the ray).
FAR_LOG = math.log(1e4)
#: Where a divergence profile evaluates the likelihood: e-folds beyond the returned point, of
#: the parameter that moves most along the direction.
PROFILE_STEPS = (1.0, 2.0, 4.0)
#: Directions whose curvature of the mean log-likelihood (per e-fold squared) is below this are
#: profiled (the flattest one always): honest fits curve by about 1e-3 or more per customer.
FLAT_CURVATURE = 1e-2


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
        True if the optimum is on the boundary of the parameter space: a parameter ended on
        the optimisation bound (about 1e-10 or 1e10), or the log-likelihood keeps increasing
        (or stays flat within the gradient tolerance) as some parameters move further towards
        0 or infinity, so the data cannot identify them (e.g. all customers alike, or a single
        customer). The message names the parameters and where they run off to.
    hessian_positive_definite
        True if the observed information matrix is positive definite (False for a fit that
        runs off to the boundary: the information vanishes along that direction there).
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


def _rounding_scatter(
    fun: Callable[[FloatArray], tuple[float, FloatArray]], u: FloatArray, value: float
) -> float:
    """How far ``fun`` scatters by rounding around ``u``: the largest second difference of
    ``fun`` over steps of 1e-9 in each log-parameter (the curvature adds ~1e-18 per unit).

    Far out on a divergent ray the log-likelihood is a difference of huge terms (``r ln
    alpha`` with ``r`` ~ 1e9), so it carries rounding of 1e-6 or more; near an honest optimum
    this is ~1e-16 of its size.
    """
    scatter = 0.0
    for i in range(u.size):
        step = np.zeros(u.size)
        step[i] = 1e-9
        second = fun(u + step)[0] + fun(u - step)[0] - 2 * value
        scatter = max(scatter, abs(second) / 2)
    return scatter


def _rises_or_stays_flat(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    value: float,
    direction: FloatArray,
    scatter: Callable[[], float],
    stiff: list[tuple[float, FloatArray]],
) -> bool:
    """Whether the mean log-likelihood falls nowhere along ``u + t * direction``.

    ``fun`` is minus the mean (penalized) log-likelihood in log-parameters and ``value`` its
    value at ``u``; ``direction`` has max-norm 1, so ``t`` counts e-folds of the parameter that
    moves most. The likelihood is evaluated at :data:`PROFILE_STEPS` (the last point stopping
    at the bound) and must not fall by more than :data:`GRADIENT_TOLERANCE` per e-fold: it
    keeps increasing, or stays flat within the tolerance the gradient is held to. An honest
    optimum falls by about half its curvature per e-fold squared, at least about 1e-3.
    A fall within rounding also counts as flat: ``scatter()`` (evaluated only when a point
    falls further than the tolerance) is the rounding at ``u``, allowed to grow like the
    parameters (``e^t``) and with a margin of 8.

    The divergent valley is a straight line in log-parameters only asymptotically, and its
    direction comes from a Hessian that is mostly rounding there, so a point that falls is
    given up to two Newton steps across the valley along the ``stiff`` eigen-directions
    (curvature, unit vector) before it counts: the likelihood is profiled, not sliced.
    """
    # a subnormal component of the direction overflows the room along it to inf: unlimited
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        room = np.where(
            direction > 0,
            (LOG_BOUND - u) / direction,
            np.where(direction < 0, (-LOG_BOUND - u) / direction, np.inf),
        )
    reach = float(np.min(room))
    if reach < 1e-3:  # blocked by the bound: the at-bound rule speaks for this direction
        return False
    for t in sorted({min(step, reach) for step in PROFILE_STEPS}):
        point = u + t * direction
        f, g = fun(np.clip(point, -LOG_BOUND, LOG_BOUND))
        for _ in range(2 if stiff else 0):  # Newton steps across the valley
            if f - value <= GRADIENT_TOLERANCE * t or not np.all(np.isfinite(g)):
                break
            across = point - sum(float(g @ v) / lam * v for lam, v in stiff)
            f_across, g_across = fun(np.clip(across, -LOG_BOUND, LOG_BOUND))
            if not f_across < f:
                break
            point, f, g = across, f_across, g_across
        fall = f - value
        if fall <= GRADIENT_TOLERANCE * t:
            continue
        if not fall <= GRADIENT_TOLERANCE * t + 8 * math.exp(t) * scatter():
            return False  # also for a non-finite value
    return True


def _divergent_directions(
    fun: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    value: float,
    curvature: FloatArray,
) -> list[FloatArray]:
    """Directions (log-parameters, max-norm 1) along which the fit runs off to the boundary.

    ``curvature`` is the Hessian of ``fun`` at ``u``. Its flattest eigenvector is followed both
    ways, and so is every other one flatter than :data:`FLAT_CURVATURE`, with
    :func:`_rises_or_stays_flat`; the axes stand in when the Hessian is not finite. At a
    divergent point the Hessian is mostly rounding (the likelihood is a difference of huge
    terms), which is why the likelihood itself is profiled instead of trusting it.
    """
    k = u.size
    try:
        eigval, eigvec = np.linalg.eigh(curvature)
        usable = bool(np.all(np.isfinite(eigval)) and np.all(np.isfinite(eigvec)))
    except np.linalg.LinAlgError:
        usable = False
    if not usable:
        eigval, eigvec = np.zeros(k), np.eye(k)
    cache: list[float] = []

    def scatter() -> float:
        if not cache:
            cache.append(_rounding_scatter(fun, u, value))
        return cache[0]

    stiff = [j for j in range(k) if eigval[j] >= FLAT_CURVATURE]
    found: list[FloatArray] = []
    for j in range(k):
        if j and eigval[j] >= FLAT_CURVATURE:
            break
        v = eigvec[:, j] / np.max(np.abs(eigvec[:, j]))
        across = [(float(eigval[i]), eigvec[:, i]) for i in stiff if i != j]
        found.extend(d for d in (v, -v) if _rises_or_stays_flat(fun, u, value, d, scatter, across))
    return found


def _divergence_problem(
    names: Sequence[str], u: FloatArray, hit: list[int], directions: list[FloatArray]
) -> str:
    """The message naming the parameters that reached the bound or run off towards it."""
    ways: dict[int, set[str]] = {i: {"0" if u[i] < 0 else "infinity"} for i in hit}
    for d in directions:
        for moving in np.flatnonzero(np.abs(d) >= 0.5).tolist():
            ways.setdefault(moving, set()).add("infinity" if d[moving] > 0 else "0")
    for i, way in ways.items():
        if len(way) == 2 and abs(u[i]) >= FAR_LOG:
            # flat both ways far out: it is running off the way it went
            ways[i] = {"0" if u[i] < 0 else "infinity"}
    parts = []
    if hit:
        parts.append(
            f"parameter(s) {', '.join(names[i] for i in hit)} reached the bound "
            f"exp(+-{LOG_BOUND:g})"
        )
    if directions:
        moves = ", ".join(f"{names[i]} -> {' or '.join(sorted(ways[i]))}" for i in sorted(ways))
        parts.append(
            f"the log-likelihood keeps increasing, or stays flat within {GRADIENT_TOLERANCE:g} "
            f"per customer and e-fold, as {moves}"
        )
    unidentified = ", ".join(names[i] for i in sorted(ways))
    return (
        "; ".join(parts) + ": the optimum is on the boundary of the parameter space, so the "
        f"data cannot identify {unidentified} (e.g. all customers have the same history, or "
        "there is a single customer)"
    )


def _newton_on_curvature(
    negative_mean: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    curvature: FloatArray,
    bar: ProgressBar,
) -> tuple[FloatArray, int, bool]:
    """Newton steps from ``u`` on a subsample's Hessian, updated: the best point, the steps
    taken, and whether the gradient reached ``1e-9`` (the quasi-Newton stage's own target).

    Started with a Hessian a few percent off and corrected by BFGS updates, the steps converge
    superlinearly at one evaluation each, and go on towards ``1e-12`` (where the Newton
    polishing has nothing left to do). A step that neither lowers the value beyond rounding
    nor, level within rounding, halves the gradient ends them (then, short of ``1e-9``, the
    quasi-Newton search goes on from the best point).
    """
    try:
        np.linalg.cholesky(curvature)
    except np.linalg.LinAlgError:
        return u, 0, False
    hess = curvature.copy()
    value, grad = negative_mean(u)
    if not np.isfinite(value):
        return u, 0, False
    steps = 0
    for _ in range(WARM_STEPS):
        norm = float(np.max(np.abs(grad)))
        if norm < 1e-12:
            break
        step = -np.linalg.solve(hess, grad)
        cand = np.clip(u + step, -LOG_BOUND, LOG_BOUND)
        cand_value, cand_grad = negative_mean(cand)
        # a step that lowers the value is progress; near the optimum the value changes by
        # less than the rounding of a sum over millions of rows (~sqrt(n) ulps), and there a
        # step that halves the gradient is
        noise = ROUNDING_SHARE * max(abs(value), 1.0)
        lower = cand_value < value - noise
        level = cand_value <= value + noise and float(np.max(np.abs(cand_grad))) <= 0.5 * norm
        if not (lower or level):
            break
        # BFGS update of the Hessian with the step taken: the subsample's curvature is a few
        # percent off, and the secants correct it (superlinear instead of linear convergence)
        moved, change = cand - u, cand_grad - grad
        if float(moved @ change) > 0:
            h_moved = hess @ moved
            hess = (
                hess
                + np.outer(change, change) / float(moved @ change)
                - np.outer(h_moved, h_moved) / float(moved @ h_moved)
            )
        u, value, grad = cand, cand_value, cand_grad
        steps += 1
        bar.update(1)
    return u, steps, bool(np.max(np.abs(grad)) < 1e-9)


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
    hessian: Callable[[FloatArray], FloatArray] | None = None,
    subsample: tuple[Objective, float] | None = None,
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
    hessian
        Second derivatives of the total log-likelihood in the natural parameters, if the
        model has them analytically: then the Newton polishing and the observed information
        use it instead of finite differences of the gradient (``2 k`` gradient evaluations
        each, the bulk of a fit's cost on large data after the quasi-Newton stage).
    subsample
        The objective over an evenly spread subsample of the data and the subsample's total
        weight (see :func:`strided_subsample`), for large data: its optimum and curvature are cheap,
        and the full fit starts there with Newton steps on that curvature (each step one
        evaluation of the full data) instead of a quasi-Newton search from ``initial``. If the
        subsample's fit is not clean or the steps stop shrinking the gradient, the full fit
        continues with the quasi-Newton search from the best point reached; either way the
        same polishing and checks follow, so only the path to the optimum changes.
    """
    bar = progress_bar(progress, total=None, desc=desc, unit="iteration")
    try:
        if subsample is not None:
            initial, curvature = _warm_start(subsample, initial, names, max_iterations, penalizer)
        else:
            curvature = None
        return _maximize(
            objective, initial, names, total_weight, strict, max_iterations, bar, penalizer,
            hessian, curvature,
        )  # fmt: skip
    finally:
        bar.close()


#: Least distinct rows for a fit to start from a subsample's optimum (:func:`strided_subsample`),
#: and the rows of that subsample: its fit costs about a sixteenth of an evaluation of the
#: data per evaluation, and its curvature is within a few percent of the data's.
SUBSAMPLE_MIN_ROWS = 1 << 18
SUBSAMPLE_ROWS = 1 << 15
#: Most Newton steps on the subsample's curvature (they converge superlinearly: ~6).
WARM_STEPS = 12
#: Relative rise of the mean objective that the warm start's steps treat as rounding (a sum
#: over millions of rows carries ~1e-13 of it) when the gradient halves.
ROUNDING_SHARE = 1e-12


def strided_subsample(
    objective_of: Callable[..., Objective], *columns: FloatArray
) -> tuple[Objective, float] | None:
    """The ``subsample=`` of :func:`maximize_likelihood` for distinct rows ``columns`` (the
    last one their weights): ``objective_of`` on every k-th row (about
    :data:`SUBSAMPLE_ROWS` of them) and their total weight, or None below
    :data:`SUBSAMPLE_MIN_ROWS` rows.

    A strided sample represents the rows in proportion whatever their order (sorted by
    frequency, by age, or as given).
    """
    n_rows = columns[0].size
    if n_rows < SUBSAMPLE_MIN_ROWS:
        return None
    rows = slice(0, None, n_rows // SUBSAMPLE_ROWS)
    sample = [c[rows] for c in columns]
    return objective_of(*sample), float(np.sum(sample[-1]))


def _warm_start(
    subsample: tuple[Objective, float],
    initial: Sequence[float],
    names: Sequence[str],
    max_iterations: int,
    penalizer: float,
) -> tuple[Sequence[float], FloatArray | None]:
    """The subsample's optimum and the Hessian of its mean objective in log-parameters, or
    ``initial`` and None when its fit is not clean (then nothing is gained from it)."""
    objective, total = subsample
    sub = _maximize(
        objective, initial, names, total, False, max_iterations, progress_bar(False, total=None,
        desc=""), penalizer, None, None, quiet=True,
    )  # fmt: skip
    if not sub.diagnostics.converged:
        return initial, None
    theta = sub.params
    information = np.linalg.inv(sub.covariance)
    curvature: FloatArray = theta[:, None] * information * theta[None, :] / max(total, 1.0)
    return list(theta), 0.5 * (curvature + curvature.T)


def _maximize(
    objective: Objective,
    initial: Sequence[float],
    names: Sequence[str],
    total_weight: float,
    strict: bool,
    max_iterations: int,
    bar: ProgressBar,
    penalizer: float,
    hessian: Callable[[FloatArray], FloatArray] | None,
    curvature: FloatArray | None,
    *,
    quiet: bool = False,
) -> MLEResult:
    """:func:`maximize_likelihood` with a started bar; ``curvature`` (the Hessian of the mean
    objective in log-parameters near ``initial``, from :func:`_warm_start`) replaces the
    quasi-Newton stage by Newton steps on it while they pay; ``quiet`` neither warns nor
    raises (a subsample's fit)."""

    def evaluate(theta: FloatArray) -> tuple[float, FloatArray]:
        # Trial points can overflow (extreme data); the driver rejects non-finite values,
        # so numpy's RuntimeWarnings would only be noise for the caller.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return objective(theta)

    scale = 1.0 / max(total_weight, 1.0)
    n_evals = n_hessians = 0
    # the latest evaluation: u, the log-likelihood, and what negative_mean returned
    last: list[tuple[FloatArray, float, tuple[float, FloatArray]]] = []

    def evaluated(u: FloatArray) -> tuple[float, FloatArray]:
        """``negative_mean(u)``, reusing the latest evaluation when ``u`` is the same point."""
        if last and np.array_equal(last[0][0], u):
            return last[0][2]
        return negative_mean(u)

    def negative_mean(u: FloatArray) -> tuple[float, FloatArray]:
        nonlocal n_evals
        n_evals += 1
        theta = np.exp(u)
        ll, grad = evaluate(theta)
        out: tuple[float, FloatArray]
        if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
            out = np.inf, np.zeros_like(u)
        elif penalizer:
            out = -ll * scale + penalizer * float(u @ u), -grad * theta * scale + 2 * penalizer * u
        else:
            out = -ll * scale, -grad * theta * scale
        last[:] = [(np.array(u, dtype=np.float64), ll, out)]
        return out

    u0 = np.log(np.asarray(initial, dtype=np.float64))
    bounds = [(-LOG_BOUND, LOG_BOUND)] * u0.size
    # With an analytic Hessian the Newton polishing is cheap (one gradient and one Hessian
    # per step) and converges quadratically, so the quasi-Newton stage only has to come
    # close; without one, each Newton step costs 2k + 1 gradients and the quasi-Newton
    # stage goes as far as rounding allows.
    tolerances = {"ftol": 1e-12, "gtol": 1e-9} if hessian else {"ftol": 1e-15, "gtol": 1e-11}
    iterations = 0
    success, stop_message = False, ""
    if curvature is not None:
        u0, iterations, success = _newton_on_curvature(negative_mean, u0, curvature, bar)
        stop_message = "Newton steps on the subsample's curvature converged"
    if not success:
        res = optimize.minimize(
            negative_mean,
            u0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            callback=lambda _: bar.update(1),
            options={"maxiter": max_iterations, "maxcor": 20, **tolerances},
        )
        u0 = np.asarray(res.x, dtype=np.float64)
        iterations += int(res.nit)
        success, stop_message = bool(res.success), str(res.message)
    u = u0
    value, grad = evaluated(u)

    def log_hessian(u: FloatArray, grad: FloatArray) -> FloatArray:
        """Hessian of ``negative_mean`` at ``u`` (whose gradient is ``grad``)."""
        if hessian is None:
            return _hessian(negative_mean, u, np.full(u.size, 1e-5))
        nonlocal n_hessians
        n_hessians += 1
        theta = np.exp(u)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            h_nat = hessian(theta)
        # d2/du2 of -scale ll(e^u) + c u'u: -scale (theta theta' * H + diag(theta * dll))
        # + 2c, where -scale theta * dll = grad - 2 c u
        out: FloatArray = (
            -scale * theta[:, None] * h_nat * theta[None, :]
            + np.diag(grad - 2 * penalizer * u)
            + 2 * penalizer * np.eye(u.size)
        )
        return out

    # Newton polishing: the quasi-Newton stage stops at ~1e-6 relative accuracy on flat
    # likelihoods; a few Newton steps bring the parameters to machine-precision optimum.
    for _ in range(30):
        if np.max(np.abs(grad)) < 1e-12 or not np.isfinite(value):
            break
        hess = log_hessian(u, grad)
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
        # At the optimum the Newton model predicts a decrease below rounding: the full step
        # is tried once, as shorter ones cannot do better (halving them 27 times to 1e-8
        # cost a fit on a million distinct histories 15 likelihood evaluations).
        floor = t if -0.5 * float(grad @ step) <= noise else 1e-8
        while t >= floor:
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
    if last and np.array_equal(last[0][0], u):
        log_likelihood = last[0][1]  # the unpenalized value at the returned point
    else:
        log_likelihood, _ = evaluate(theta)
    gradient_norm = float(np.max(np.abs(grad))) if grad.size else 0.0
    hit = [int(i) for i in np.flatnonzero(np.abs(u) >= LOG_BOUND - 1e-6)]

    if hessian is None:
        hess_nat = _hessian(evaluate, theta, 1e-5 * theta)
    else:
        n_hessians += 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            hess_nat = hessian(theta)
    information = -hess_nat
    if penalizer:
        # observed information of the penalized objective: d2/dtheta2 of n c log(theta)^2
        information += np.diag(total_weight * penalizer * (2 - 2 * u) / theta**2)
    try:
        eig = np.linalg.eigvalsh(information)
        positive_definite = bool(np.all(eig > 0) and np.all(np.isfinite(eig)))
    except np.linalg.LinAlgError:
        positive_definite = False

    # Does the likelihood still rise (or stay flat) beyond the returned point, towards the
    # boundary? Profiled only for fits that ended far out or failed a check already.
    directions: list[FloatArray] = []
    suspicious = (
        hit
        or not positive_definite
        or not success
        or gradient_norm >= GRADIENT_TOLERANCE
        or bool(np.any(np.abs(u) >= FAR_LOG))
    )
    if suspicious and np.isfinite(value):
        # Hessian of minus the mean penalized log-likelihood in log-parameters
        curvature = scale * theta[:, None] * information * theta[None, :] + np.diag(grad)
        directions = _divergent_directions(negative_mean, u, value, curvature)
    at_bound = bool(hit or directions)
    # at a supremum on the boundary the information vanishes along the divergent direction
    positive_definite = positive_definite and not directions
    if positive_definite:
        covariance = np.asarray(np.linalg.inv(information), dtype=np.float64)
    else:
        covariance = np.full((theta.size, theta.size), np.nan)

    problems = []
    if not np.isfinite(log_likelihood):
        problems.append("the log-likelihood is not finite at the returned parameters")
    if not (success or gradient_norm < GRADIENT_TOLERANCE):
        problems.append(f"the optimizer stopped without converging ({stop_message})")
    if gradient_norm >= GRADIENT_TOLERANCE:
        problems.append(f"the gradient norm at the optimum is {gradient_norm:.3g}")
    if at_bound:
        problems.append(_divergence_problem(names, u, hit, directions))
    if not positive_definite:
        problems.append(
            "the observed information is not positive definite, so standard errors are "
            "undefined (reported as NaN)"
        )
    converged = not problems
    if converged:
        hessians = f", {n_hessians} analytic Hessians" if n_hessians else ""
        message = f"converged after {iterations} iterations ({n_evals} evaluations{hessians})"
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
    if not converged and not quiet:
        if strict:
            raise ConvergenceError(f"fit did not converge: {message}", result)
        warn(f"fit did not converge: {message}", ConvergenceWarning, stacklevel=4)
    return result
