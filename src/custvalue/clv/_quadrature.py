"""Quadrature shared by the DET computations: Gauss-Legendre rules and the time map.

DET integrals ``int_0^h exp(-delta s) dE[X(s)]`` are evaluated in the variable
``u = ln(1 + s/c) + delta s / kappa``, which grades the nodes geometrically on the scale ``c``
of a customer's age (where purchase-model predictions have their nearest singularity) and
linearly on the discounting scale ``1/delta``.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue.errors import InvalidInputError

FloatArray = NDArray[np.float64]

#: Truncation of an infinite horizon: exp(-delta s) is below exp(-50) ~ 2e-22 beyond it.
TAIL_EFOLDS = 50.0
#: The discount part of the time map puts ~KAPPA e-folds of discounting in one unit of u.
KAPPA = 4.0
#: Cap on the number of (quadrature nodes x customers) evaluated at once (memory bound).
CHUNK_ELEMENTS = 1 << 21


@functools.lru_cache(maxsize=64)
def gauss_legendre(n: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes and weights on [0, 1], read-only (cached: an eigenvalue problem)."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    out = 0.5 * (nodes + 1.0), 0.5 * weights
    for arr in out:
        arr.flags.writeable = False
    return out


def n_nodes(u_max: float) -> int:
    """Gauss-Legendre order for ~1e-20 (nominal) accuracy on [0, u_max] when the integrand's nearest
    singularities lie at imaginary distance pi from the real u axis (see module notes)."""
    half = max(u_max / 2.0, 1e-12)
    b = math.pi / half
    rho = b + math.sqrt(1.0 + b * b)
    if not math.log(rho) > 1e-3:  # extremely long u-interval: use the maximum order
        return 400
    return int(min(max(math.ceil(46.0 / (2.0 * math.log(rho))) + 3, 8), 400))


def time_of_u(u: FloatArray, c: FloatArray, delta: float) -> tuple[FloatArray, FloatArray]:
    """Invert u = ln(1 + s/c) + delta s / kappa for s >= 0; return s and ds/du."""
    a = delta / KAPPA
    if a == 0.0:  # no discounting, or a rate so small that delta / kappa underflows
        s = c * np.expm1(u)
        return s, c + s
    with np.errstate(over="ignore"):
        s = np.minimum(c * np.expm1(u), u / a)  # both are >= the root (phi is concave)
    for _ in range(40):  # Newton from the right overshoots once, then increases monotonically
        step = (np.log1p(s / c) + a * s - u) / (1.0 / (c + s) + a)
        s = np.maximum(s - step, 0.0)
        # quadratic convergence: after a step of 1e-9 (relative) the error is ~1e-18, far
        # below the rounding noise of the residual (~1e-15 * u)
        if np.all(np.abs(step) <= 1e-9 * (s + c)):
            break
    return s, 1.0 / (1.0 / (c + s) + a)


def checked(values: ArrayLike, n: int) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        index = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), arr.shape)
        raise InvalidInputError(
            "transaction_model.expected_purchases returned a non-finite value "
            f"{arr[index]!r} (unique-history index {index[-1]} of {n})"
        )
    return arr
