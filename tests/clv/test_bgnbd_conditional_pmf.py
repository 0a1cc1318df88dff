"""BG/NBD conditional PMF P(X(T, T+t) = n | x, t_x, T): identities, oracles, extremes.

lifetimes 0.11.3 (the ``[test]`` oracle) has no ``BetaGeoFitter.
conditional_probability_of_n_purchases_up_to_time`` (only its Pareto/NBD fitter has one), so
the lifetimes oracle here is composed of lifetimes' own pieces: its P(alive) and its new-
customer P(X(t) = n) at the posterior parameters ``(r+x, alpha+T, a, b+x)``. The
decomposition itself is checked independently against the model's simulator.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import bgnbd_histories, bgnbd_params

from custvalue.clv import BetaGeo, BetaGeoParams
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError

CDNOW = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@settings(max_examples=40)
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_frequency=60), st.floats(0.0, 200.0))
def test_is_a_distribution_with_mean_e_and_zero_term_no_purchase(
    params: Any, hist: Any, t: float
) -> None:
    model = BetaGeo(BetaGeoParams(*params))
    x, t_x, T = hist
    n = np.arange(0, 4000)[:, None]
    p = model.conditional_probability_of_purchases(n, t, x, t_x, T)
    assert p.shape == (n.size, x.size)
    assert np.all((p >= 0) & (p <= 1))
    # two float paths (log-space PMF, direct formula) of one value: powers up to (r + x) amplify
    # rounding, e.g. 3.4e-12 at r = 12.2, a = 1 (explore run); 1e-10 still catches a wrong term
    np.testing.assert_allclose(p[0], model.probability_no_purchase(t, x, t_x, T), rtol=1e-10)
    # the support is covered (mass 1, mean E[X(T, T+t)]) where the alive customer's tail is
    # negligible: a P(alive) of 1e-8 makes p tiny everywhere, not the tail short (found by the
    # explore run: x = 13 bought at T = 0.25 has ~1,500 expected purchases if alive)
    alive_share = model.probability_alive(x, t_x, T)
    covered = p[-1] < 1e-15 * alive_share
    np.testing.assert_allclose(p.sum(axis=0)[covered], 1.0, atol=1e-9)
    mean = (n * p).sum(axis=0)
    expected = model.expected_purchases(t, x, t_x, T)
    # (rel 1e-6: near a = 1 the closed form of E is bridged, accurate to ~1e-7)
    np.testing.assert_allclose(mean[covered], expected[covered], rtol=1e-6, atol=1e-12)


def _lifetimes_conditional_pmf(params: BetaGeoParams, n: int, t: float, x: Any, t_x: Any, T: Any):
    """lifetimes' P(alive) and lifetimes' new-customer PMF at the posterior parameters."""
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    prior = lifetimes.BetaGeoFitter()
    prior.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), params.as_array(), strict=True)))
    out = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = np.atleast_1d(prior.conditional_probability_alive(x, t_x, T))
        for xi, Ti, pa in zip(x, T, alive, strict=True):
            post = lifetimes.BetaGeoFitter()
            post.params_ = pd.Series(
                {"r": params.r + xi, "alpha": params.alpha + Ti, "a": params.a, "b": params.b + xi}
            )
            new = float(post.probability_of_n_purchases_up_to_time(t, n))
            out.append(pa * new + (1.0 - pa) * (n == 0))
    return np.array(out)


def test_equals_lifetimes_pieces_on_cdnow_histories() -> None:
    s = load_cdnow_summary()
    x, t_x, T = np.asarray(s.frequency, float), np.asarray(s.recency), np.asarray(s.T)
    pick = np.unique(np.r_[np.argsort(x)[-5:], np.arange(0, x.size, 97)])
    x, t_x, T = x[pick], t_x[pick], T[pick]
    model = BetaGeo(CDNOW)
    compared = 0
    for n, t in itertools.product((0, 1, 2, 5, 12), (1.0, 39.0, 78.0)):
        ref = _lifetimes_conditional_pmf(CDNOW, n, t, x, t_x, T)
        got = model.conditional_probability_of_purchases(n, t, x, t_x, T)
        # below ~1e-8 lifetimes' 1 - sum(NB) loses digits; the mpmath test covers those
        ok = np.isfinite(ref) & (ref > 1e-8)
        np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-9)
        compared += int(ok.sum())
    assert compared > 300


def test_matches_simulated_holdout_counts() -> None:
    """E[1{N_i = n}] = E[P(n | history_i)]: predicted and simulated counts agree within 3 SE."""
    model = BetaGeo(CDNOW)
    sim = model.simulate(np.full(20_000, 39.0), rng=20261207, horizon=39.0)
    for n in range(0, 6):
        p = model.conditional_probability_of_purchases(n, 39.0, sim.frequency, sim.recency, sim.T)
        observed = float(np.sum(sim.holdout_frequency == n))
        se = float(np.sqrt(np.sum(p * (1 - p))))
        assert abs(observed - p.sum()) <= 3 * se, (n, observed, p.sum(), se)


def test_extremes_are_finite_and_in_log_space() -> None:
    model = BetaGeo(BetaGeoParams(r=0.5, alpha=2.0, a=0.8, b=3.0))
    n = np.array([0, 1, 10, 100, 1000])[:, None]
    x = np.array([0.0, 1.0, 1e3, 1e4, 1e4])
    t_x = np.array([0.0, 1e4, 9e3, 9.9e3, 1e3])
    T = np.full(5, 1e4)
    lp = model.log_conditional_probability_of_purchases(n, 1e4, x, t_x, T)
    assert np.all(np.isfinite(lp))
    assert np.all(lp <= 0)
    assert model.log_conditional_probability_of_purchases(3, 0.0, 2, 1.0, 2.0) == -np.inf
    assert model.conditional_probability_of_purchases(0, 0.0, 2, 1.0, 2.0) == 1.0


def test_units_and_bad_input() -> None:
    weekly = BetaGeo(CDNOW, time_unit="W")
    daily = weekly.in_unit("D")
    np.testing.assert_allclose(
        daily.conditional_probability_of_purchases([0, 1, 2], "39W", 2, 7 * 30.43, 7 * 38.86),
        weekly.conditional_probability_of_purchases([0, 1, 2], 39.0, 2, 30.43, 38.86),
        rtol=1e-12,
    )
    with pytest.raises(InvalidInputError, match=r"^n .*index 1: 1\.5"):
        weekly.conditional_probability_of_purchases([0, 1.5], 1.0, 2, 1.0, 3.0)
    with pytest.raises(InvalidInputError, match=r"^n .*-1"):
        weekly.conditional_probability_of_purchases(-1, 1.0, 2, 1.0, 3.0)
    with pytest.raises(InvalidInputError, match=r"recency"):
        weekly.conditional_probability_of_purchases(1, 1.0, 2, 4.0, 3.0)


# ------------------------------------------------------------------ mpmath at the extremes
_EXTREME = list(
    itertools.product(
        (0.0, 1.0, 1e3, 1e4),  # x
        (0.0, 1.0, 100.0, 1e3),  # n
        (1.0, 1e4),  # t
        ((0.5, 2.0, 0.8, 3.0), (1e-3, 1e2, 5.0, 0.1), (50.0, 1e-2, 0.3, 1e3)),
    )
)[::3]


@pytest.mark.parametrize("point", _EXTREME, ids=str)
def test_matches_mpmath_at_extremes(point: Any) -> None:
    mp = pytest.importorskip("mpmath")
    from test_numerics_mpmath import _adaptive, _check_log, _log_p_purchases, _p_alive

    x, n, t, (r, al, a, b) = point
    T = 1e4
    t_x = 0.0 if x == 0 else 0.6 * T

    def reference(n, t, x, t_x, T, r, al, a, b):
        alive = _p_alive(x, t_x, T, r, al, a, b)
        value = alive * mp.exp(_log_p_purchases(n, t, r + x, al + T, a, b + x))
        return mp.log(value + (1 - alive) * (n == 0))

    ref = _adaptive(reference, n, t, x, t_x, T, r, al, a, b)
    model = BetaGeo(BetaGeoParams(r=r, alpha=al, a=a, b=b))
    got = float(model.log_conditional_probability_of_purchases(n, t, x, t_x, T))
    _check_log(got, ref, f"ln P(X(T,T+t)=n | hist) {point}")
