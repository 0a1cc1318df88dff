"""Pure Markov-chain kernels on numpy arrays (no validation; callers validate).

Every function takes a row-stochastic matrix ``P`` of shape (n, n) (``P[i, j]`` = probability
of moving from state ``i`` to state ``j`` in one period) and works for any ``n``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from custvalue._progress import ProgressBar

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "absorbing_fundamentals",
    "count_pairs",
    "discounted_value",
    "exact_solve",
    "forecast_distribution",
    "hitting_probability",
    "posterior_mean",
    "reaches",
    "simulate_paths",
    "transition_mle",
]


def count_pairs(paths: IntArray, n_states: int) -> IntArray:
    """Count moves between consecutive columns of ``paths`` (shape (customers, periods)).

    Entries ``< 0`` mean "not observed"; a pair with either side unobserved is skipped. The
    last observation of each path is censored: it contributes no transition.
    """
    a, b = paths[:, :-1].ravel(), paths[:, 1:].ravel()
    seen = (a >= 0) & (b >= 0)
    flat = np.bincount(a[seen] * n_states + b[seen], minlength=n_states * n_states)
    return flat.reshape(n_states, n_states).astype(np.int64)


def transition_mle(counts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Maximum-likelihood transition matrix and standard errors from counted transitions.

    ``p_ij = n_ij / n_i`` and ``se_ij = sqrt(p_ij (1 - p_ij) / n_i)`` (multinomial rows, e.g.
    Anderson & Goodman 1957). Rows with ``n_i = 0`` are returned as NaN for the caller to handle.
    """
    n_i = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / n_i
        se = np.sqrt(p * (1.0 - p) / n_i)
    return p, se


def posterior_mean(counts: FloatArray, prior: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Dirichlet posterior mean and standard deviation of each transition row.

    Posterior row ``Dirichlet(n_ij + a_ij)``: mean ``(n_ij + a_ij) / (n_i + sum_j a_ij)``, sd
    ``sqrt(m (1 - m) / (alpha_0 + 1))`` with ``alpha_0 = n_i + sum_j a_ij``.
    """
    alpha = counts + prior
    alpha0 = alpha.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = alpha / alpha0
        sd = np.sqrt(m * (1.0 - m) / (alpha0 + 1.0))
    return m, sd


def discounted_value(
    P: FloatArray, rewards: FloatArray, discount_rate: float, horizon: int | None
) -> FloatArray:
    """Expected discounted reward by starting state (Pfeifer & Carraway 2000).

    ``V_T = sum_{t=0..T} (P / (1 + d))^t R`` (reward of the current period received now,
    undiscounted); for ``horizon=None`` the infinite-horizon closed form
    ``V = (I - P / (1 + d))^-1 R`` (Pfeifer & Carraway 2000, eq. 7), which needs ``d > 0`` or
    a chain where reward stops (handled by the caller).

    The closed form is solved as ``((1 + d) I - P) V = (1 + d) R`` in exact rational
    arithmetic on the given floats (see :func:`exact_solve`) and rounded once, so it is
    correctly rounded for every ``d``: forming ``I - P / (1 + d)`` in floating point loses
    about ``eps / d`` relative accuracy (3e-5 at ``d = 1e-12``), which no condition-number
    guard sees on a diagonal chain.

    Raises ``numpy.linalg.LinAlgError`` when ``(1 + d) I - P`` is exactly singular and
    ``OverflowError`` when a value exceeds the float64 range.
    """
    if horizon is None:
        scale = 1 + Fraction(discount_rate)
        n = P.shape[0]
        system = [
            [(scale if i == j else 0) - Fraction(P[i, j]) for j in range(n)] for i in range(n)
        ]
        return exact_solve(system, [scale * Fraction(r) for r in rewards.tolist()])
    M = P / (1.0 + discount_rate)
    total: FloatArray = rewards.astype(np.float64).copy()
    term: FloatArray = rewards.astype(np.float64).copy()
    for _ in range(horizon):
        term = M @ term
        total += term
    return total


def exact_solve(system: list[list[Fraction]], rhs: list[Fraction]) -> FloatArray:
    """Solve a small linear system exactly (Gauss-Jordan on fractions), rounded once.

    Meant for the handful of lifecycle stages (cost grows quickly with the size). Raises
    ``numpy.linalg.LinAlgError`` if the system is exactly singular and ``OverflowError`` if a
    solution is beyond the float64 range.
    """
    n = len(rhs)
    rows = [[*row, b] for row, b in zip(system, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if rows[r][col] != 0), None)
        if pivot is None:
            raise np.linalg.LinAlgError("the value system is singular")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col]
        for r in range(n):
            factor = rows[r][col] / head[col]
            if r != col and factor != 0:
                rows[r] = [a - factor * b for a, b in zip(rows[r], head, strict=True)]
    try:
        return np.array([float(rows[i][n] / rows[i][i]) for i in range(n)], dtype=np.float64)
    except OverflowError:
        raise OverflowError("a value exceeds the float64 range") from None


def absorbing_fundamentals(
    P: FloatArray, absorbing: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Fundamental-matrix facts of an absorbing chain (Kemeny & Snell 1960, ch. III).

    With ``P = [[Q, R], [0, I]]``: ``N = (I - Q)^-1``, expected periods in transient states
    before absorption ``t = N 1``, its variance ``(2N - I) t - t*t``, absorption probabilities
    ``B = N R``. Returns ``(N, t, var_t, B)`` over the transient states in their original order.
    """
    tr = ~absorbing
    Q = P[np.ix_(tr, tr)]
    R = P[np.ix_(tr, absorbing)]
    eye = np.eye(Q.shape[0])
    N: FloatArray = np.linalg.inv(eye - Q).astype(np.float64)
    t: FloatArray = N.sum(axis=1)
    var: FloatArray = (2.0 * N - eye) @ t - t * t
    B: FloatArray = N @ R
    return N, t, var, B


def hitting_probability(P: FloatArray, target: int) -> FloatArray:
    """Probability of ever entering state ``target`` from each state (now or later).

    The minimal non-negative solution of ``h = P h`` off the target with ``h_target = 1``
    (Norris 1997, Thm 1.3.2): states that cannot reach the target get 0; for the others the
    linear system is non-singular. For ``target`` itself the value is the return probability
    (probability of ever coming back after leaving, counting an immediate stay).
    """
    n = P.shape[0]
    goal = np.zeros(n, dtype=bool)
    goal[target] = True
    can = reaches(P, goal)
    h = np.zeros(n)
    h[target] = 1.0
    idx = np.flatnonzero(can & (np.arange(n) != target))
    if idx.size:
        Q = P[np.ix_(idx, idx)]
        b = P[idx, target]
        h[idx] = np.linalg.solve(np.eye(idx.size) - Q, b)
    ret = P[target, target] + P[target] @ np.where(np.arange(n) == target, 0.0, h)
    out: FloatArray = h.copy()
    out[target] = ret
    return out


def reaches(P: FloatArray, targets: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """States with a positive-probability path (of length >= 0) into the ``targets`` set."""
    can: NDArray[np.bool_] = targets.copy()
    adj = P > 0
    while True:
        grown: NDArray[np.bool_] = can | adj[:, can].any(axis=1)
        if (grown == can).all():
            return can
        can = grown


def forecast_distribution(P: FloatArray, start: FloatArray, periods: int) -> FloatArray:
    """Cohort distribution over states ``k = 0..periods`` ahead: ``x_k = x_0 P^k``.

    Returns shape (periods + 1, n); ``start`` may be shares or customer counts.
    """
    out = np.empty((periods + 1, P.shape[0]))
    out[0] = start
    for k in range(periods):
        out[k + 1] = out[k] @ P
    return out


def simulate_paths(
    P: FloatArray,
    start: IntArray,
    periods: int,
    rng: np.random.Generator,
    bar: ProgressBar | None = None,
) -> IntArray:
    """Simulate state paths, vectorised over customers. Shape (customers, periods + 1).

    ``bar``, if given, is advanced by one per simulated period.
    """
    cum = np.cumsum(P, axis=1)
    n = P.shape[1]
    last = n - 1 - np.argmax((P > 0)[:, ::-1], axis=1)  # last state with positive probability
    cum[np.arange(n)[None, :] >= last[:, None]] = 1.0  # rows that sum to 1 - eps
    paths = np.empty((start.size, periods + 1), dtype=np.int64)
    paths[:, 0] = start
    for k in range(periods):
        u = rng.random(start.size)
        paths[:, k + 1] = (u[:, None] >= cum[paths[:, k]]).sum(axis=1)
        if bar is not None:
            bar.update(1)
    return paths
