"""DET of the BG/NBD model for horizons that reach the discounting tail (DERT)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from custvalue._collapse import group_rows, rank_values
from custvalue.clv import _bgnbd_kernels as bgnbd_kernels
from custvalue.clv._quadrature import (
    CHUNK_ELEMENTS,
    KAPPA,
    TAIL_EFOLDS,
    checked,
    gauss_legendre,
    time_of_u,
)
from custvalue.clv._quadrature import n_nodes as order_for

if TYPE_CHECKING:
    from custvalue.clv.bgnbd import _BetaGeoFamily

FloatArray = NDArray[np.float64]


def bgnbd_discounted_transactions(
    model: _BetaGeoFamily, x: FloatArray, t_x: FloatArray, age: FloatArray, horizon: float,
    delta: float, n_nodes: int | None,
) -> FloatArray | None:  # fmt: skip
    """BG/NBD's (and MBG/NBD's) own DET: the residual transform below when the horizon
    reaches the tail (``delta * horizon >= 50``), else None (the generic quadrature)."""
    if delta > 0.0 and delta * horizon >= TAIL_EFOLDS:
        return _bgnbd_residual(model, x, t_x, age, delta, n_nodes)
    return None


def _bgnbd_residual(
    model: _BetaGeoFamily, x: FloatArray, t_x: FloatArray, age: FloatArray, delta: float,
    n_nodes: int | None,
) -> FloatArray:  # fmt: skip
    """DERT of the BG/NBD model, ``P(alive) * int_0^inf delta e^(-delta s) E_alive(s) ds``.

    ``E_alive(s)`` of a customer with ``x`` repeat purchases and age ``T`` is
    ``F_x(s / (alpha + T))`` with ``F_x(v) = E_alive(v; r + x, 1, a, b + x)`` (FHL 2005 eq. 9
    depends on ``t`` and ``alpha`` only through ``t / alpha``), so with ``c = delta (alpha +
    T)`` the integral is the Laplace-type transform ``int_0^inf c e^(-c v) F_x(v) dv``. Its
    quadrature nodes are shared by the customers with the same ``x`` and ``c`` within a
    factor of 2 (the map of :func:`_time_of_u` at the smallest ``c`` of the group, on the
    scale ``1/(r+x)`` on which ``F_x`` rises, truncated where ``c v = 50``): ``F_x`` is
    evaluated at ~100 nodes per group instead of ~100 nodes per customer, and each customer
    costs one exponential per node. The MBG/NBD model is the same with its own P(alive) and
    ``b + x + 1`` (one more dropout opportunity survived).
    """
    p = model.params
    p_alive = model._KERNELS.probability_alive(x, t_x, age, p.r, p.alpha, p.a, p.b)
    b_post = p.b + (1.0 if model._DROPOUT_AT_ZERO else 0.0)
    (ux, uT), inverse = group_rows(x, age)
    c = delta * (p.alpha + uT)
    x_rank, n_x = rank_values(ux)
    # group = (x, octave of c); c >= c_ref of its group
    octave = np.floor(np.log2(c / np.min(c))).astype(np.int64)
    key = x_rank * (int(np.max(octave)) + 1) + octave
    order = np.argsort(key, kind="stable")
    starts = np.flatnonzero(np.diff(key[order], prepend=-1))
    ends = np.append(starts[1:], order.size)
    residual = np.empty(ux.size)
    for lo, hi in zip(starts, ends, strict=True):
        members = order[lo:hi]
        xg = float(ux[members[0]])
        c_ref = float(np.min(c) * 2.0 ** octave[members[0]])
        v_end = TAIL_EFOLDS / c_ref
        # F_x(v) ~ (1 - e^(-(r+x) p v)) / p varies on the scale v0 = 1/(r+x) (or 1)
        v0 = 1.0 / max(1.0, p.r + xg)
        u_end = math.log1p(v_end / v0) + c_ref * v_end / KAPPA
        n = n_nodes if n_nodes is not None else order_for(u_end)
        nodes, weights = gauss_legendre(int(n))
        v, dv_du = time_of_u(nodes * u_end, np.full(nodes.size, v0), c_ref)
        f = bgnbd_kernels.expected_purchases_alive(v, p.r + xg, 1.0, p.a, b_post + xg)
        w = checked(weights * u_end * dv_du * f, n_x)
        for clo in range(0, members.size, max(1, CHUNK_ELEMENTS // v.size)):
            part = members[clo : clo + max(1, CHUNK_ELEMENTS // v.size)]
            cg = c[part][:, None]
            residual[part] = (cg * np.exp(-cg * v[None, :])) @ w
    out: FloatArray = p_alive * residual[inverse]
    return out
