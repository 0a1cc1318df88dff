"""Fast maximum-likelihood fitting of the Gamma-Gamma model (internal).

The total log-likelihood over repeat buyers is

    sum_k W_k [lnG(p x_k + q) - lnG(p x_k)] - W [lnG(q) - q ln gamma] - sum w ln m
    - p S1(gamma) - q S0(gamma),

with S1 = sum w x log1p(gamma / z), S0 = sum w ln(gamma + z) and z = x m: the special
functions depend on the distinct frequencies x_k only, and the per-row work is a handful of
sums that depend on gamma alone. So one evaluation costs one ``log1p`` and one division per
row, and a starting value at the optimum is found cheaply from the profile likelihood in
gamma (inner Newton in (p, q) over the distinct x). The MLE itself, its convergence report
and covariance come from the shared driver :func:`custvalue.clv._optimize.maximize_likelihood`.

References
----------
Fader and Hardie (2013), "The Gamma-Gamma Model of Monetary Value", note 025, eq. (1a).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy.special import digamma, gammaln, polygamma

from custvalue._collapse import rank_values

__all__ = ["SpendObjective", "dot", "starting_values"]

FloatArray = NDArray[np.float64]


def dot(a: NDArray[Any], b: NDArray[Any]) -> float:
    """Sum of a * b without BLAS: a multithreaded BLAS dot can be 100x slower than this on
    a busy machine (thread hand-off), and these vectors are short."""
    return float(np.einsum("i,i->", a, b))


class SpendObjective:
    """Total log-likelihood and gradient in (p, q, gamma) over repeat buyers (x > 0, m > 0)."""

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.m = m
        self.z = x * m
        self.w = w
        self.wx = w * x
        ranks, n_values = rank_values(x)
        self.ranks = ranks
        self.x_values = np.zeros(n_values)
        self.x_values[ranks] = x
        self.w_by_x = np.bincount(ranks, weights=w, minlength=n_values)
        self.wx_by_x = self.w_by_x * self.x_values
        self.total = float(w.sum())
        # constant part: sum w [(px - 1) ln m + px ln x] = p sum w x ln z - sum w ln m,
        # with sum w ln m = sum w ln z - sum_k W_k ln x_k (one log per row)
        log_z = np.log(self.z)
        self.sum_w_log_z = dot(w, log_z)
        self.sum_w_log_m = self.sum_w_log_z - dot(self.w_by_x, np.log(self.x_values))
        self._cached_gamma = math.nan
        self._row_sums = (0.0,) * 6
        self.n_row_passes = 0

    def row_sums(self, g: float) -> tuple[float, float, float, float, float, float]:
        """(S1, S0, E, F, E2, F2) with E = sum w x / (g + z), F = sum w / (g + z), and E2, F2
        the same with (g + z)^2: the only per-row work, cached on gamma (the driver's
        finite-difference Hessian moves p and q at a fixed gamma)."""
        if g != self._cached_gamma:
            l1 = np.log1p(g / self.z)  # ln(g + z) - ln z
            inv = 1.0 / (g + self.z)
            w_inv = self.w * inv
            wx_inv = self.wx * inv
            self._row_sums = (
                dot(self.wx, l1),
                dot(self.w, l1) + self.sum_w_log_z,
                float(wx_inv.sum()),
                float(w_inv.sum()),
                dot(wx_inv, inv),
                dot(w_inv, inv),
            )
            self._cached_gamma = g
            self.n_row_passes += 1
        return self._row_sums

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, g = (float(v) for v in theta)
        px = p * self.x_values
        wk = self.w_by_x
        s1, s0, s_wx_inv, s_w_inv, _, _ = self.row_sums(g)
        ll = (
            dot(wk, gammaln(px + q) - gammaln(px))
            - self.total * (gammaln(q) - q * math.log(g))
            - self.sum_w_log_m
            - p * s1
            - q * s0
        )
        psi_all = digamma(px + q)
        d_p = dot(self.wx_by_x, psi_all - digamma(px)) - s1
        d_q = dot(wk, psi_all) - self.total * (digamma(q) - math.log(g)) - s0
        d_g = self.total * q / g - p * s_wx_inv - q * s_w_inv
        return ll, np.array([d_p, d_q, d_g])

    # ------------------------------------------------------------------ starting values
    def moment_start(self) -> list[float]:
        """Method-of-moments (p, q, gamma).

        E[m | x] = mu = p gamma / (q - 1) and, for q > 2, Var(m | x) = A / x + B with
        B = mu^2 / (q - 2) and A = B (q - 1) / p: a weighted regression of the within-x
        variances on 1/x gives q, p and gamma. Falls back to (1, 2, mean m).
        """
        w, m, inverse, values = self.w, self.m, self.ranks, self.x_values
        count = self.w_by_x
        mu = dot(w, m) / self.total
        fallback = [1.0, 2.0, mu]
        mean_x = np.bincount(inverse, weights=w * m, minlength=values.size) / count
        resid = m - mean_x[inverse]
        var_x = np.bincount(inverse, weights=w * resid * resid, minlength=values.size)
        var_x = var_x / np.maximum(count - 1.0, 1.0)
        use = count > 1
        if use.sum() < 2:
            return fallback
        design = np.stack([1.0 / values[use], np.ones(int(use.sum()))], axis=1)
        sw = np.sqrt(count[use])
        try:
            coef = np.linalg.lstsq(design * sw[:, None], var_x[use] * sw, rcond=None)[0]
        except np.linalg.LinAlgError:
            return fallback
        a_coef, b_coef = float(coef[0]), float(coef[1])
        if not (a_coef > 0 and b_coef > 0 and math.isfinite(a_coef + b_coef)):
            return fallback
        q = 2.0 + mu * mu / b_coef
        p = b_coef * (q - 1.0) / a_coef
        start = [p, q, mu * (q - 1.0) / p]
        if not all(math.isfinite(v) and 1e-6 < v < 1e6 for v in start):
            return fallback
        return start

    def _inner(self, g: float, p: float, q: float) -> tuple[float, float, float, float] | None:
        """Maximise over (p, q) at fixed gamma (Newton in log-parameters, analytic Hessian,
        over the distinct x only). Returns (p, q, D, D') with D and D' the first and second
        derivatives of the profile log-likelihood in t = ln gamma, or None on failure."""
        s1, s0, e1, f1, e2, f2 = self.row_sums(g)
        wk, xk, wxk, total = self.w_by_x, self.x_values, self.wx_by_x, self.total
        log_g = math.log(g)

        def value(p_: float, q_: float) -> float:
            px = p_ * xk
            return float(
                dot(wk, gammaln(px + q_) - gammaln(px))
                - total * (gammaln(q_) - q_ * log_g)
                - p_ * s1
                - q_ * s0
            )

        current = value(p, q)
        for _ in range(100):
            px = p * xk
            psi_all, psi_px = digamma(px + q), digamma(px)
            tri_all, tri_px = polygamma(1, px + q), polygamma(1, px)
            g_p = dot(wxk, psi_all - psi_px) - s1
            g_q = dot(wk, psi_all) - total * (digamma(q) - log_g) - s0
            h_pp = dot(wxk * xk, tri_all - tri_px)
            h_pq = dot(wxk, tri_all)
            h_qq = dot(wk, tri_all) - total * float(polygamma(1, q))
            # in log-parameters (a = ln p, b = ln q)
            grad = np.array([p * g_p, q * g_q])
            hess = np.array(
                [[p * p * h_pp + p * g_p, p * q * h_pq], [p * q * h_pq, q * q * h_qq + q * g_q]]
            )
            if np.max(np.abs(grad)) <= 1e-12 * total:
                break
            try:
                step = -np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(step)) or float(grad @ step) <= 0:
                step = grad / (np.max(np.abs(grad)) + 1e-300)  # ascent direction
            t = 1.0
            while t > 1e-10:
                if t * float(np.max(np.abs(step))) > 30.0:  # keep exp() in range
                    t *= 0.5
                    continue
                p_new, q_new = p * math.exp(t * step[0]), q * math.exp(t * step[1])
                if not (1e-10 < p_new < 1e10 and 1e-10 < q_new < 1e10):
                    t *= 0.5
                    continue
                new = value(p_new, q_new)
                if new >= current - 8.0 * np.finfo(np.float64).eps * abs(current):
                    break  # an increase, or equal within rounding (near the optimum)
                t *= 0.5
            else:
                break
            p, q, current = p_new, q_new, new
            if float(np.max(np.abs(t * step))) < 1e-13:
                break
        else:
            return None
        # D = d LL / d t at the inner optimum (envelope theorem); D' = dD/dt along the
        # optimum path: d2LL/dt2 - v' H^-1 v, v = d grad_(p,q) LL / dt = (-g E, W - g F).
        d_log_g = total * q - g * (p * e1 + q * f1)
        px = p * xk
        tri_all, tri_px = polygamma(1, px + q), polygamma(1, px)
        hess_pq = np.array(
            [
                [dot(wxk * xk, tri_all - tri_px), dot(wxk, tri_all)],
                [dot(wxk, tri_all), dot(wk, tri_all) - total * float(polygamma(1, q))],
            ]
        )
        v = np.array([-g * e1, total - g * f1])
        d2_tt = -g * (p * e1 + q * f1) + g * g * (p * e2 + q * f2)
        try:
            curvature = d2_tt - float(v @ np.linalg.solve(hess_pq, v))
        except np.linalg.LinAlgError:
            curvature = math.nan
        return p, q, d_log_g, curvature

    def profile_start(self, start: list[float]) -> list[float]:
        """Starting values at the maximum of the profile likelihood in gamma.

        The derivative of the profile log-likelihood in ln gamma is ``W q - gamma (p
        sum w x/(gamma+z) + q sum w/(gamma+z))`` at the inner optimum (envelope theorem);
        its root is found by Newton's method with the analytic second derivative of the
        profile (a few passes over the rows), or if that fails bracketed from the moment start
        and found with Brent's method. Returns ``start`` if everything fails.
        """
        state = {"p": start[0], "q": start[1], "curvature": math.nan}

        def derivative(t: float) -> float:
            res = self._inner(math.exp(t), state["p"], state["q"])
            if res is None:
                raise _ProfileError
            state["p"], state["q"], d, state["curvature"] = res
            return d / self.total

        try:  # Newton on the profile (quadratic convergence), Brent below as the safe path
            t = math.log(start[2])
            for _ in range(30):
                d = derivative(t)
                curvature = state["curvature"] / self.total
                if abs(d) <= 1e-13:
                    return [state["p"], state["q"], math.exp(t)]
                if not (curvature < 0 and math.isfinite(curvature)):
                    break
                step = -d / curvature
                if abs(step) > 1.0:
                    break
                t += step
                if abs(step) < 1e-11:
                    derivative(t)
                    return [state["p"], state["q"], math.exp(t)]
        except (_ProfileError, ArithmeticError, ValueError):
            pass
        state["p"], state["q"] = start[0], start[1]
        try:
            t0 = math.log(start[2])
            d0 = derivative(t0)
            direction = 1.0 if d0 > 0 else -1.0
            width, t1, d1 = 0.5, t0, d0
            while d1 * d0 > 0:  # expand until the derivative changes sign
                t0, d0 = t1, d1
                t1 = t0 + direction * width
                width *= 2.0
                if abs(t1) > 23.0:
                    return start
                d1 = derivative(t1)
            root = optimize.brentq(derivative, min(t0, t1), max(t0, t1), xtol=1e-12, rtol=1e-14)
            derivative(root)  # leaves the inner optimum at the root in ``state``
        except (_ProfileError, ArithmeticError, ValueError, RuntimeError):
            return start
        return [state["p"], state["q"], math.exp(root)]


class _ProfileError(Exception):
    """The inner (p, q) maximisation failed; fall back to the moment start."""


def starting_values(objective: SpendObjective) -> list[float]:
    """Moment estimates refined to the profile-likelihood optimum (falls back gracefully).

    Extreme data (e.g. frequencies near 1e154, whose squares overflow) can make the heuristic's
    sums non-finite; every step then falls back, so numpy's RuntimeWarnings are only noise.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return objective.profile_start(objective.moment_start())
