"""Simulators of the purchase processes assumed by the CLV models (vectorised, seeded)."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._progress import progress_bar
from custvalue._validation import as_float_array, as_rng, as_scalar, readonly_array

__all__ = ["SimulatedHistories", "simulate_bgnbd", "simulate_pareto_nbd"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@attrs.frozen(eq=False)
class SimulatedHistories:
    """Customer histories drawn from a purchase model (all arrays of shape ``(n,)``).

    Attributes
    ----------
    frequency
        Repeat purchases ``x`` in the calibration window ``(0, T]`` (the first purchase, at
        time 0, is not counted).
    recency
        Time of the last purchase since the first (``t_x``; 0 when ``frequency`` is 0).
    T
        Length of each customer's calibration window (its age), the simulation's time unit.
    holdout_frequency
        Purchases in the holdout window ``(T, T + horizon]``.
    alive_at_T
        The latent state: True if the customer had not dropped out by ``T``.
    purchase_rate
        The latent purchase rate ``lambda`` (purchases per time unit while alive).
    dropout_probability
        The latent dropout probability ``p`` (applied after each repeat purchase; in the
        MBG/NBD model also right after the first purchase); for Pareto/NBD the probability
        of dying within one time unit, ``1 - exp(-mu)``.
    """

    frequency: FloatArray = attrs.field(converter=readonly_array)
    recency: FloatArray = attrs.field(converter=readonly_array)
    T: FloatArray = attrs.field(converter=readonly_array)
    holdout_frequency: FloatArray = attrs.field(converter=readonly_array)
    alive_at_T: BoolArray = attrs.field(converter=readonly_array)  # noqa: N815
    purchase_rate: FloatArray = attrs.field(converter=readonly_array)
    dropout_probability: FloatArray = attrs.field(converter=readonly_array)

    def to_columns(self) -> Columns:
        """One row per simulated customer: every attribute as a column."""
        return freeze_columns(attrs.asdict(self, recurse=False))

    def _repr_html_(self) -> str:
        return columns_html(self.to_columns(), "simulated customer histories")

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns())


def simulate_bgnbd(
    params: object,
    T: ArrayLike,
    *,
    rng: np.random.Generator | int,
    horizon: float = 0.0,
    resolution: float | None = None,
    progress: bool = False,
) -> SimulatedHistories:
    """Draw customer histories from the BG/NBD process (Fader, Hardie and Lee 2005).

    Each customer gets ``lambda ~ Gamma(r, rate alpha)`` and ``p ~ Beta(a, b)``, makes a first
    purchase at time 0, then buys at the event times of a Poisson process of rate ``lambda``;
    right after each repeat purchase it drops out with probability ``p`` (never after the
    first purchase, exactly as in the likelihood). The loop runs over purchase *rounds*, each
    vectorised over the customers still active.

    Parameters
    ----------
    params
        A :class:`~custvalue.clv.BetaGeoParams` (anything with ``r, alpha, a, b`` attributes).
    T
        Calibration window length per customer (> 0), a scalar or an array of shape ``(n,)``
        (a scalar simulates one customer; use ``np.full(n, T)`` for ``n``).
    rng
        A :class:`numpy.random.Generator` or an integer seed. Global random state is never used.
    horizon
        Length of the holdout window after ``T`` (>= 0), same time unit.
    resolution
        If given (> 0), event times are floored to this grid (e.g. ``1/7`` week = one day),
        as in a transaction log recorded by date: purchases falling into the same grid cell
        as the previous recorded purchase (including the first purchase's cell) merge into one,
        so ``frequency`` counts distinct grid cells. Dropout still follows every latent
        purchase. With a resolution the histories no longer follow the BG/NBD likelihood
        exactly.
    progress
        Show a progress bar (customers whose simulation has finished) if tqdm is installed.

    Returns
    -------
    SimulatedHistories

    Examples
    --------
    >>> from custvalue.clv import BetaGeoParams
    >>> sim = simulate_bgnbd(BetaGeoParams(0.243, 4.414, 0.793, 2.426), np.full(5, 39.0), rng=1)
    >>> sim.frequency.shape
    (5,)
    """
    return _simulate_beta_geo(
        params, T, rng=rng, horizon=horizon, resolution=resolution, progress=progress,
        name="simulate_bgnbd",
    )  # fmt: skip


def _simulate_beta_geo(
    params: object,
    T: ArrayLike,
    *,
    rng: np.random.Generator | int,
    horizon: float = 0.0,
    resolution: float | None = None,
    progress: bool = False,
    dropout_at_zero: bool = False,
    name: str = "simulate",
) -> SimulatedHistories:
    """:func:`simulate_bgnbd`, and with ``dropout_at_zero`` the MBG/NBD process (Batislam,
    Denizel and Filiztekin 2007): each customer also drops out with probability ``p`` right
    after the first purchase, at time 0 (drawn after ``lambda`` and ``p``, so the BG/NBD
    stream of random numbers is unchanged). ``name`` labels the progress bar."""
    r = as_scalar(getattr(params, "r", None), "params.r", lower=0, lower_inclusive=False)
    alpha = as_scalar(
        getattr(params, "alpha", None), "params.alpha", lower=0, lower_inclusive=False
    )
    a = as_scalar(getattr(params, "a", None), "params.a", lower=0, lower_inclusive=False)
    b = as_scalar(getattr(params, "b", None), "params.b", lower=0, lower_inclusive=False)
    age = np.atleast_1d(as_float_array(T, "T", lower=0, lower_inclusive=False, ndim=None))
    age = age.ravel()
    h = as_scalar(horizon, "horizon", lower=0)
    res = (
        None
        if resolution is None
        else as_scalar(resolution, "resolution", lower=0, lower_inclusive=False)
    )
    gen = as_rng(rng)
    n = age.size
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    p = gen.beta(a, b, size=n)

    frequency = np.zeros(n)
    recency = np.zeros(n)
    holdout = np.zeros(n)
    alive_at_T = np.ones(n, dtype=bool)
    end = age + h
    last_time = np.zeros(n)  # latent time of the latest purchase
    last_cell = np.zeros(n)  # grid time of the latest recorded purchase
    active = np.flatnonzero(lam > 0)
    if dropout_at_zero:
        dead_at_zero = gen.random(n) < p
        alive_at_T[dead_at_zero] = False
        active = active[~dead_at_zero[active]]
    bar = progress_bar(progress, total=n, desc=name, unit="customer")
    bar.update(n - active.size)
    while active.size:
        with np.errstate(divide="ignore", over="ignore"):
            gap = gen.exponential(1.0, size=active.size) / lam[active]
        when = last_time[active] + gap
        buys = when <= end[active]
        done = active.size
        active, when = active[buys], when[buys]
        cell = when if res is None else np.floor(when / res) * res
        in_cal = when <= age[active]
        new = cell > last_cell[active]
        cal_idx = active[in_cal & new]
        frequency[cal_idx] += 1.0
        recency[cal_idx] = cell[in_cal & new]
        hold_idx = active[~in_cal & new]
        holdout[hold_idx] += 1.0
        last_time[active] = when
        last_cell[active] = np.where(new, cell, last_cell[active])
        drop = gen.random(active.size) < p[active]
        alive_at_T[active[drop & in_cal]] = False
        bar.update(done - int((~drop).sum()))
        active = active[~drop]
    bar.close()
    return SimulatedHistories(
        frequency=frequency,
        recency=recency,
        T=age,
        holdout_frequency=holdout,
        alive_at_T=alive_at_T,
        purchase_rate=lam,
        dropout_probability=p,
    )


def simulate_pareto_nbd(
    params: object,
    T: ArrayLike,
    *,
    rng: np.random.Generator | int,
    horizon: float = 0.0,
) -> SimulatedHistories:
    """Draw customer histories from the Pareto/NBD process (Schmittlein et al. 1987).

    Each customer gets ``lambda ~ Gamma(r, rate alpha)`` and ``mu ~ Gamma(s, rate beta)``, a
    lifetime ``tau ~ Exponential(mu)`` from the first purchase at time 0, and buys at the
    event times of a Poisson process of rate ``lambda`` while alive: ``x`` is Poisson with
    mean ``lambda min(tau, T)``, the last of ``x`` uniform times on ``(0, min(tau, T))`` is
    the recency, and the holdout count is Poisson with mean ``lambda`` times the time alive in
    ``(T, T + horizon]``. ``dropout_probability`` is ``1 - exp(-mu)``, the probability of
    dying within one time unit.

    Parameters
    ----------
    params
        A :class:`~custvalue.clv.ParetoNBDParams` (anything with ``r, alpha, s, beta``).
    T
        Calibration window length per customer (> 0), scalar or shape ``(n,)``.
    rng
        A :class:`numpy.random.Generator` or an integer seed.
    horizon
        Length of the holdout window after ``T`` (>= 0), same time unit.

    Returns
    -------
    SimulatedHistories

    Examples
    --------
    >>> from custvalue.clv import ParetoNBDParams
    >>> sim = simulate_pareto_nbd(ParetoNBDParams(0.553, 10.578, 0.606, 11.669),
    ...                           np.full(5, 39.0), rng=1)
    >>> sim.frequency.shape
    (5,)
    """
    names = ("r", "alpha", "s", "beta")
    r, alpha, s, beta = (
        as_scalar(getattr(params, k, None), f"params.{k}", lower=0, lower_inclusive=False)
        for k in names
    )
    age = np.atleast_1d(as_float_array(T, "T", lower=0, lower_inclusive=False, ndim=None))
    age = age.ravel()
    h = as_scalar(horizon, "horizon", lower=0)
    gen = as_rng(rng)
    n = age.size
    lam = gen.gamma(r, 1.0 / alpha, size=n)
    mu = gen.gamma(s, 1.0 / beta, size=n)
    with np.errstate(divide="ignore"):
        tau = gen.exponential(1.0, size=n) / mu
    cal_end = np.minimum(tau, age)
    frequency = gen.poisson(lam * cal_end).astype(np.float64)
    # the largest of x uniforms on (0, 1) is U^(1/x)
    with np.errstate(divide="ignore"):
        top = np.where(frequency > 0, gen.random(n) ** (1.0 / np.maximum(frequency, 1.0)), 0.0)
    recency = top * cal_end
    alive_hold = np.clip(np.minimum(tau, age + h) - age, 0.0, None)
    holdout = gen.poisson(lam * alive_hold).astype(np.float64)
    return SimulatedHistories(
        frequency=frequency,
        recency=recency,
        T=age,
        holdout_frequency=holdout,
        alive_at_T=tau > age,
        purchase_rate=lam,
        dropout_probability=-np.expm1(-mu),
    )
