"""MBG/NBD model: published CDNOW fit, lifetimes parity, properties, simulation, extremes.

lifetimes' ``ModifiedBetaGeoFitter`` (0.11.3) is the oracle for the fit, P(alive), the
conditional and new-customer expectations and P(X(t) = n). It has no conditional PMF, so that
one is checked against lifetimes' pieces (its MBG P(alive) and its BG/NBD new-customer PMF at
the posterior ``(r+x, alpha+T, a, b+x+1)``) and, independently, against the simulator.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import bgnbd_histories, bgnbd_params

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    ModifiedBetaGeo,
    ModifiedBetaGeoParams,
    PurchaseModel,
    discounted_expected_transactions,
)
from custvalue.clv import _mbgnbd_kernels as k
from custvalue.clv.bgnbd import _HistoryObjective
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError, PersistenceError

PUBLISHED = ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614)


@pytest.fixture(scope="module")
def cdnow() -> tuple[Any, Any, Any]:
    s = load_cdnow_summary()
    return np.asarray(s.frequency, float), np.asarray(s.recency), np.asarray(s.T)


@pytest.fixture(scope="module")
def fitted() -> ModifiedBetaGeo:
    return ModifiedBetaGeo.fit(load_cdnow_summary())


def _lifetimes(params: Any, cls: str = "ModifiedBetaGeoFitter") -> Any:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = getattr(lifetimes, cls)()
    fitter.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), params, strict=True)))
    return fitter


def _quiet() -> Any:
    """lifetimes warns (and overflows) on its own arithmetic; its outputs are filtered."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


# ------------------------------------------------------------------ published values
def test_cdnow_fit_matches_the_paper(fitted: ModifiedBetaGeo) -> None:
    p = fitted.params
    assert (p.r, p.alpha, p.a, p.b) == pytest.approx((0.525, 6.183, 0.891, 1.614), abs=5e-4)
    assert fitted.log_likelihood == pytest.approx(-9582.1, abs=0.05)
    assert fitted.time_unit == "W"
    assert fitted.n_customers == 2357
    assert fitted.diagnostics is not None
    assert fitted.diagnostics.converged
    assert fitted.diagnostics.hessian_positive_definite


def test_protocol() -> None:
    m: PurchaseModel = ModifiedBetaGeo(PUBLISHED, time_unit="W")
    assert isinstance(m, PurchaseModel)
    assert "MBG/NBD" in m.summary()


# ------------------------------------------------------------------ lifetimes oracle
# (the fit against ModifiedBetaGeoFitter: test_bgnbd_oracle.py, parametrized over both models)
def test_predictions_equal_lifetimes(cdnow: tuple[Any, Any, Any], fitted: ModifiedBetaGeo) -> None:
    x, t_x, T = cdnow
    p = fitted.params.as_array()
    theirs = _lifetimes(p)
    ctx = _quiet()
    try:
        np.testing.assert_allclose(
            fitted.probability_alive(x, t_x, T), theirs.conditional_probability_alive(x, t_x, T),
            rtol=1e-12,
        )  # fmt: skip
        assert np.all(fitted.probability_alive(x[x == 0], 0.0, T[x == 0]) < 1)
        for t in (1.0, 39.0, 52.0, 200.0):
            ref = theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
            ok = np.isfinite(ref)
            assert ok.mean() > 0.99
            np.testing.assert_allclose(fitted.expected_purchases(t, x, t_x, T)[ok], ref[ok], 1e-9)
        t = np.linspace(0.5, 300.0, 25)
        np.testing.assert_allclose(
            fitted.expected_purchases_new(t), theirs.expected_number_of_purchases_up_to_time(t),
            rtol=1e-9,
        )  # fmt: skip
        compared = 0
        for t in (2.0, 39.0, 78.0):
            for n in range(0, 60):
                ref = float(theirs.probability_of_n_purchases_up_to_time(t, n))
                # below ~1e-8 lifetimes' 1 - sum(NB) loses digits
                if np.isfinite(ref) and ref > 1e-8:
                    got = float(fitted.probability_of_purchases(n, t))
                    assert got == pytest.approx(ref, rel=1e-9), (t, n)
                    compared += 1
        assert compared > 100
    finally:
        ctx.__exit__(None, None, None)


def test_conditional_pmf_equals_lifetimes_pieces(
    cdnow: tuple[Any, Any, Any], fitted: ModifiedBetaGeo
) -> None:
    x, t_x, T = cdnow
    pick = np.unique(np.r_[np.argsort(x)[-5:], np.arange(0, x.size, 61)])
    x, t_x, T = x[pick], t_x[pick], T[pick]
    r, alpha, a, b = fitted.params.as_array()
    ctx = _quiet()
    try:
        alive = _lifetimes((r, alpha, a, b)).conditional_probability_alive(x, t_x, T)
        compared = 0
        for t in (1.0, 39.0):
            for n in (0, 1, 2, 5, 12):
                ref = np.array([
                    pa * float(
                        _lifetimes((r + xi, alpha + Ti, a, b + xi + 1), "BetaGeoFitter")
                        .probability_of_n_purchases_up_to_time(t, n)
                    ) + (1 - pa) * (n == 0)
                    for xi, Ti, pa in zip(x, T, alive, strict=True)
                ])  # fmt: skip
                got = fitted.conditional_probability_of_purchases(n, t, x, t_x, T)
                ok = np.isfinite(ref) & (ref > 1e-8)
                np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-9)
                compared += int(ok.sum())
        assert compared > 200
    finally:
        ctx.__exit__(None, None, None)


# ------------------------------------------------------------------ properties
@settings(max_examples=40)
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_frequency=60), st.floats(0.0, 200.0))
def test_conditional_pmf_is_a_distribution_with_mean_e(params: Any, hist: Any, t: float) -> None:
    model = ModifiedBetaGeo(ModifiedBetaGeoParams(*params))
    x, t_x, T = hist
    alive = model.probability_alive(x, t_x, T)
    assert np.all((alive >= 0) & (alive < 1))  # dropout is possible at time 0: never certain
    n = np.arange(0, 4000)[:, None]
    p = model.conditional_probability_of_purchases(n, t, x, t_x, T)
    assert np.all((p >= 0) & (p <= 1))
    # two float paths (log-space PMF, direct formula) of one value: powers up to (r + x) amplify
    # rounding, e.g. 3.4e-12 at r = 12.2, a = 1 (explore run); 1e-10 still catches a wrong term
    np.testing.assert_allclose(p[0], model.probability_no_purchase(t, x, t_x, T), rtol=1e-10)
    assert np.all(p[0] >= 1 - alive - 1e-12)  # the dead never buy
    # the support is covered (mass 1, mean E[X(T, T+t)]) where the alive customer's tail is
    # negligible: a P(alive) of 1e-8 makes p tiny everywhere, not the tail short (found by the
    # explore run: x = 13 bought at T = 0.25 has ~1,500 expected purchases if alive)
    alive_share = model.probability_alive(x, t_x, T)
    covered = p[-1] < 1e-15 * alive_share
    np.testing.assert_allclose(p.sum(axis=0)[covered], 1.0, atol=1e-9)
    mean = (n * p).sum(axis=0)
    expected = model.expected_purchases(t, x, t_x, T)
    np.testing.assert_allclose(mean[covered], expected[covered], rtol=1e-6, atol=1e-12)
    later = model.expected_purchases(1.5 * t + 1.0, x, t_x, T)
    assert np.all(later >= expected * (1 - 1e-9))


@settings(max_examples=30)
@given(bgnbd_params(low=0.05, high=20.0), st.floats(0.01, 300.0))
def test_new_customer_pmf_is_a_distribution(params: Any, t: float) -> None:
    model = ModifiedBetaGeo(ModifiedBetaGeoParams(*params))
    a, b = params[2], params[3]
    n = np.arange(0, 4000)
    p = model.probability_of_purchases(n, t)
    assert p[0] >= a / (a + b) * (1 - 1e-12)  # at least the share gone at time 0
    if p[-1] < 1e-15:
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert float(n @ p) == pytest.approx(float(model.expected_purchases_new(t)), rel=1e-6)


def test_is_bg_nbd_with_b_plus_one_for_repeat_buyers() -> None:
    """For x > 0 the time-0 dropout only shifts the Beta posterior: MBG(b) = BG(b + 1)."""
    r, alpha, a, b = PUBLISHED.as_array()
    mbg = ModifiedBetaGeo(PUBLISHED)
    bg = BetaGeo(BetaGeoParams(r, alpha, a, b + 1.0))
    x, t_x, T = np.array([1.0, 4.0, 30.0]), np.array([3.0, 20.0, 38.0]), np.full(3, 39.0)
    np.testing.assert_allclose(mbg.probability_alive(x, t_x, T), bg.probability_alive(x, t_x, T))
    np.testing.assert_allclose(
        mbg.expected_purchases(20.0, x, t_x, T), bg.expected_purchases(20.0, x, t_x, T)
    )
    # and the likelihood differs by the probability b/(a+b) of surviving time 0
    np.testing.assert_allclose(
        mbg.log_likelihood_per_customer(x, t_x, T),
        bg.log_likelihood_per_customer(x, t_x, T) + math.log(b / (a + b)),
    )


# (gradient vs finite differences: test_bgnbd.py, parametrized over both kernel modules)
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_frequency=50))
def test_fit_objective_equals_the_kernels(params: Any, hist: Any) -> None:
    """The fit's grouped objective is the kernels' log-likelihood and gradient, summed."""
    x, t_x, T = hist
    w = np.arange(1.0, x.size + 1.0)
    ll, grad = _HistoryObjective(x, t_x, T, w, dropout_at_zero=True)(np.array(params))
    assert ll == pytest.approx(float(w @ k.log_likelihood(x, t_x, T, *params)), rel=1e-12)
    ref = [float(w @ g) for g in k.log_likelihood_gradient(x, t_x, T, *params)]
    np.testing.assert_allclose(grad, ref, rtol=1e-10, atol=1e-10)


def test_weighted_fit_equals_repeated_rows(cdnow: tuple[Any, Any, Any]) -> None:
    x, t_x, T = (c[:300] for c in cdnow)
    w = np.arange(300) % 3 + 1.0
    weighted = ModifiedBetaGeo.fit(x, t_x, T, weights=w)
    repeated = ModifiedBetaGeo.fit(*(np.repeat(c, w.astype(int)) for c in (x, t_x, T)))
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-10)


# ------------------------------------------------------------------ simulation
@pytest.fixture(scope="module")
def sim() -> Any:
    T = np.random.default_rng(5).uniform(30.0, 40.0, size=30_000)
    return ModifiedBetaGeo(PUBLISHED).simulate(T, rng=2026, horizon=39.0)


def _z(sample: Any, expected: float) -> float:
    return abs(float(np.mean(sample)) - expected) / (np.std(sample) / np.sqrt(len(sample)))


def test_simulation_recovers_the_parameters(sim: Any) -> None:
    model = ModifiedBetaGeo.fit(sim.frequency, sim.recency, sim.T)
    assert model.stderr is not None
    z = np.abs(model.params.as_array() - PUBLISHED.as_array()) / model.stderr
    assert np.all(z < 3.5), z


def test_conditional_predictions_match_simulation(sim: Any) -> None:
    model = ModifiedBetaGeo(PUBLISHED)
    x, t_x, T = sim.frequency, sim.recency, sim.T
    assert _z(sim.alive_at_T - model.probability_alive(x, t_x, T), 0.0) < 3
    # the one-time buyers: some dropped out at time 0
    once = x == 0
    assert not sim.alive_at_T[once].all()
    assert _z(sim.alive_at_T[once] - model.probability_alive(x, t_x, T)[once], 0.0) < 3
    assert _z(sim.holdout_frequency - model.expected_purchases(39.0, x, t_x, T), 0.0) < 3
    for n in range(4):
        p = model.conditional_probability_of_purchases(n, 39.0, x, t_x, T)
        assert _z((sim.holdout_frequency == n) - p, 0.0) < 3, n


def test_new_customer_distribution_matches_simulation() -> None:
    model = ModifiedBetaGeo(PUBLISHED)
    sim = model.simulate(np.full(30_000, 39.0), rng=13)
    assert _z(sim.frequency, float(model.expected_purchases_new(39.0))) < 3
    for n, pn in enumerate(model.probability_of_purchases(np.arange(5), 39.0)):
        assert _z(sim.frequency == n, float(pn)) < 3.5


def test_simulation_drops_out_at_time_zero() -> None:
    """A customer certain to drop out (p ~ 1) never buys again: BG/NBD would buy once."""
    params = ModifiedBetaGeoParams(r=50.0, alpha=1.0, a=1e6, b=1e-3)
    sim = ModifiedBetaGeo(params).simulate(np.full(200, 10.0), rng=1, horizon=5.0)
    assert np.all(sim.frequency == 0)
    assert np.all(sim.holdout_frequency == 0)
    assert not sim.alive_at_T.any()
    bg = BetaGeo(BetaGeoParams(*params.as_array())).simulate(np.full(200, 10.0), rng=1)
    assert np.all(bg.frequency == 1)


# ------------------------------------------------------------------ DET, units, JSON
def test_dert_hook_equals_generic_quadrature() -> None:
    class Opaque:  # only expected_purchases: the generic quadrature
        def __init__(self, model: ModifiedBetaGeo) -> None:
            self.model = model

        def expected_purchases(self, t: Any, x: Any, t_x: Any, T: Any) -> Any:
            return self.model.expected_purchases(t, x, t_x, T)

    rng = np.random.default_rng(3)
    T = rng.integers(0, 500, 300) / 7.0 + 1 / 7
    x = rng.integers(0, 12, 300).astype(float)
    t_x = np.where(x > 0, np.round(T * rng.uniform(0, 1, 300), 3), 0.0)
    model = ModifiedBetaGeo(PUBLISHED)
    delta = 0.002
    fast = discounted_expected_transactions(model, x, t_x, T, horizon=math.inf, discount_rate=delta)
    generic = discounted_expected_transactions(
        Opaque(model), x, t_x, T, horizon=math.inf, discount_rate=delta
    )
    np.testing.assert_allclose(fast, generic, rtol=1e-10)
    # and below the tail (finite horizon) both paths are the generic one, bounded by E
    finite = discounted_expected_transactions(model, x, t_x, T, horizon=52.0, discount_rate=delta)
    assert np.all(finite <= model.expected_purchases(52.0, x, t_x, T) * (1 + 1e-12))


def test_in_unit_and_json(cdnow: tuple[Any, Any, Any], fitted: ModifiedBetaGeo) -> None:
    daily = fitted.in_unit("D")
    assert daily.params.alpha == pytest.approx(7 * fitted.params.alpha)
    assert isinstance(daily, ModifiedBetaGeo)
    assert isinstance(daily.params, ModifiedBetaGeoParams)
    np.testing.assert_allclose(
        daily.probability_alive([0, 3], [0.0, 70.0], [200.0, 200.0]),
        fitted.probability_alive([0, 3], [0.0, 10.0], [200 / 7, 200 / 7]),
        rtol=1e-12,
    )
    x, t_x, T = cdnow
    refit = ModifiedBetaGeo.fit(x, 7 * t_x, 7 * T, time_unit="D")
    assert daily.log_likelihood == pytest.approx(refit.log_likelihood, abs=1e-4)
    text = fitted.to_json()
    loaded = ModifiedBetaGeo.from_json(text)
    assert loaded == fitted
    assert loaded.to_json() == text
    assert '"kind": "ModifiedBetaGeo"' in text.replace('":"', '": "')
    with pytest.raises(PersistenceError):
        BetaGeo.from_json(text)  # another kind
    with pytest.raises(PersistenceError):
        ModifiedBetaGeo.from_json(BetaGeo(BetaGeoParams(1, 1, 1, 1)).to_json())
    assert repr(ModifiedBetaGeo(PUBLISHED)) == (
        "ModifiedBetaGeo(ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614))"
    )


# ------------------------------------------------------------------ extremes, bad input
@pytest.mark.parametrize("value", [1e-8, 1e-2, 1.0, 1e2, 1e8])
@pytest.mark.parametrize("which", ["r", "alpha", "a", "b"])
def test_extreme_parameters_and_histories_are_finite(value: float, which: str) -> None:
    base = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    base[which] = value
    model = ModifiedBetaGeo(ModifiedBetaGeoParams(**base))
    x = np.array([0, 0, 1, 10, 1000, 1e4, 1e4])
    t_x = np.array([0, 0, 1, 30, 5e3, 1e4, 10.0])
    T = np.array([1e-3, 1e4, 1e4, 39, 1e4, 1e4, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning escapes
        out = [
            model.probability_alive(x, t_x, T),
            model.expected_purchases([1.0, 39.0, 1e4, 1e4, 1e4, 1.0, 0.0], x, t_x, T),
            model.probability_no_purchase(1e3, x, t_x, T),
            model.log_likelihood_per_customer(x, t_x, T),
            model.expected_purchases_new([0.0, 1e-3, 1.0, 1e4]),
            model.log_probability_of_purchases([0, 1, 10, 1e3], 1e3),
            model.log_conditional_probability_of_purchases([[0], [1], [1000]], 1e4, x, t_x, T),
        ]
    for arr in out:
        assert np.all(np.isfinite(arr))
    assert np.all((out[0] >= 0) & (out[0] <= 1))
    assert np.all(out[5] <= 0)
    assert np.all(out[6] <= 0)
    assert np.all(np.diff(out[4]) >= 0)


def test_bad_input_is_rejected() -> None:
    model = ModifiedBetaGeo(PUBLISHED)
    with pytest.raises(InvalidInputError, match=r"recency must be <= T.*index 1: 3"):
        model.probability_alive([1, 2], [1, 3], [2, 2])
    with pytest.raises(InvalidInputError, match=r"frequency must be a whole number.*index 1"):
        ModifiedBetaGeo.fit([1, 2.5], [1, 1], [2, 2])
    with pytest.raises(InvalidInputError, match=r"^n .*index 1: 1\.5"):
        model.conditional_probability_of_purchases([0, 1.5], 1.0, 2, 1.0, 3.0)
    with pytest.raises(InvalidInputError, match="alpha must be > 0"):
        ModifiedBetaGeoParams(r=1, alpha=0, a=1, b=1)
    with pytest.raises(InvalidInputError, match="b must not be NaN"):
        ModifiedBetaGeoParams(r=1, alpha=1, a=1, b=np.nan)
    with pytest.raises(TypeError, match="params"):
        ModifiedBetaGeo(BetaGeoParams(1, 1, 1, 1))  # type: ignore[arg-type]


# ------------------------------------------------------------------ mpmath at the extremes
_MP_GRID = [
    (x, t_x, T, params)
    for (x, t_x, T) in ((0.0, 0.0, 1.0), (0.0, 0.0, 1e4), (1.0, 0.5, 1.0), (1e3, 9e3, 1e4),
                        (1e4, 5e3, 1e4))
    for params in ((0.525, 6.183, 0.891, 1.614), (1e-6, 1e-2, 1e2, 1e-6), (1e3, 1e6, 1e-6, 1e3),
                   (1e6, 1.0, 0.5, 1e6))
]  # fmt: skip


@pytest.mark.parametrize("point", _MP_GRID, ids=str)
def test_likelihood_and_p_alive_match_mpmath(point: Any) -> None:
    """Batislam et al. (2007) eq. 3 and appendix eq. 5, written out at 50 digits."""
    mp = pytest.importorskip("mpmath")
    x, t_x, T, params = point
    model = ModifiedBetaGeo(ModifiedBetaGeoParams(*params))
    with mp.workdps(50):
        r, al, a, b = (mp.mpf(v) for v in params)
        xm, txm, Tm = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
        odds = a / (b + xm) * ((al + Tm) / (al + txm)) ** (r + xm)
        ll = (
            mp.loggamma(r + xm) - mp.loggamma(r) + r * mp.log(al)
            + mp.log(mp.beta(a, b + xm + 1)) - mp.log(mp.beta(a, b))
            - (r + xm) * mp.log(al + Tm) + mp.log(1 + odds)
        )  # fmt: skip
        alive = 1 / (1 + odds)
    got_ll = float(model.log_likelihood_per_customer(x, t_x, T))
    assert abs(got_ll - float(ll)) <= 1e-9 * max(1.0, abs(float(ll)))
    got = float(model.probability_alive(x, t_x, T))
    if alive > 1e-300:
        assert got == pytest.approx(float(alive), rel=1e-9)
    else:
        assert got < 1e-290
