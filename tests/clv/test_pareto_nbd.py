"""Pareto/NBD: published CDNOW values, mpmath at the extreme grid, lifetimes parity at equal
parameters, internal consistency (distributions sum to 1 with the right means), gradient,
DERT closed form against quadrature, simulation recovery, persistence and bad input."""

from __future__ import annotations

import math
import warnings
from typing import Any

import attrs
import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats

from custvalue.clv import (
    ParetoNBD,
    ParetoNBDParams,
    PurchaseModel,
    discounted_expected_transactions,
)
from custvalue.clv import _pareto_nbd_kernels as k
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError, PersistenceError
from tests.strategies import bgnbd_histories, bgnbd_params

PUBLISHED = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
MODEL = ParetoNBD(PUBLISHED, time_unit="W")


@pytest.fixture(scope="module")
def cdnow() -> tuple[Any, Any, Any]:
    s = load_cdnow_summary()
    return np.asarray(s.frequency, float), np.asarray(s.recency), np.asarray(s.T)


@pytest.fixture(scope="module")
def fitted() -> ParetoNBD:
    return ParetoNBD.fit(load_cdnow_summary())


def _lifetimes(params: ParetoNBDParams) -> Any:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = pd.Series(attrs.asdict(params))
    return fitter


def test_protocol() -> None:
    m: PurchaseModel = MODEL
    assert isinstance(m, PurchaseModel)


# ------------------------------------------------------------------ published values
def test_cdnow_fit_matches_published(fitted: ParetoNBD) -> None:
    assert tuple(fitted.params.as_array()) == pytest.approx(
        (0.553, 10.578, 0.606, 11.669), abs=5e-4
    )
    assert fitted.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    assert fitted.time_unit == "W"
    assert fitted.diagnostics is not None
    assert fitted.diagnostics.converged
    assert fitted.stderr is not None
    assert np.all(np.isfinite(fitted.stderr))


def test_cdnow_ll_at_least_lifetimes(cdnow: tuple[Any, Any, Any], fitted: ParetoNBD) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T = cdnow
    fitter = lifetimes.ParetoNBDFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter.fit(x, t_x, T)
    theirs = fitter._conditional_log_likelihood(
        fitter._unload_params("r", "alpha", "s", "beta"), x, t_x, T
    ).sum()
    assert fitted.log_likelihood is not None
    assert fitted.log_likelihood >= theirs - 1e-9


# ------------------------------------------------------------------ mpmath, extreme grid
def _mp_log_dead(x: float, t_x: float, T: float, r: float, a: float, s: float, b: float) -> Any:
    """ln int_{t_x}^T (a+y)^-(r+x) (b+y)^-(s+1) dy from the 2F1 antiderivative, 60 digits."""
    with mp.workdps(60):
        x, t_x, T, r, a, s, b = (mp.mpf(v) for v in (x, t_x, T, r, a, s, b))
        m = r + s + x
        w, c, kk = (a, a - b, s + 1) if a >= b else (b, b - a, r + x)

        def f(u: Any) -> Any:
            return u ** (-m) * mp.hyp2f1(m, kk, m + 1, c / u)

        return mp.log((f(w + t_x) - f(w + T)) / m)


GRID_PARAMS = [
    (0.553, 10.578, 0.606, 11.669),
    (1e-8, 1e-8, 1e-8, 1e-8),
    (1e8, 1.0, 1e-3, 1e8),
    (0.5, 10.0, 0.6, 10.0 * (1 + 1e-9)),  # alpha/beta ratio near 1
    (0.3, 1e8, 2.0, 1e-8),  # and far from it, both ways
    (2.0, 1e-6, 1.0, 1e6),
]
GRID_HISTORIES = [
    (0, 0, 1e-3),
    (0, 0, 1e4),
    (1e4, 5e3, 1e4),
    (1e4, 1e4 * (1 - 1e-9), 1e4),
    (3, 38, 39),
]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(p, marks=pytest.mark.slow) if p[0] == 1e8 else p  # ~20 s of mpmath 2F1
        for p in GRID_PARAMS
    ],
)
def test_dead_integral_matches_mpmath(params: tuple[float, ...]) -> None:
    # the values (binomial series where alpha + t_x and beta + t_x are close, quadrature
    # elsewhere) and the fit's path (quadrature everywhere, with moments) both hold
    for x, t_x, T in GRID_HISTORIES:
        args = np.array([x], float), np.array([t_x]), np.array([T])
        ref = float(_mp_log_dead(x, t_x, T, *params))
        for moments in (False, True):
            got, _ = k.dead_integral(*args, *params, moments=moments)
            assert float(got[0]) == pytest.approx(ref, rel=1e-11, abs=1e-11), (x, t_x, T, moments)


def test_dead_integral_grid_takes_both_paths() -> None:
    # the mpmath grid above reaches the series and the quadrature (else it tests one of them)
    taken = set()
    for r, alpha, s, beta in GRID_PARAMS:
        for x, t_x, _ in GRID_HISTORIES:
            a1, A, B = np.array([r + x]), np.array([alpha + t_x]), np.array([beta + t_x])
            taken.add(bool(k._series_rows(a1, s + 1.0, A, B)[0]))
    assert taken == {True, False}


#: The series' rounding: at most 64 terms, each within 4 ulps of its exact value, and the sum
#: of their sizes at most _SERIES_MAX_CANCELLATION times the result (the eligibility rule).
SERIES_ROUNDING = 64 * 4 * k._SERIES_MAX_CANCELLATION * np.finfo(np.float64).eps


@settings(max_examples=60, deadline=None)
# r + s tiny (1e-4) and x = 0: the first term's slope cancels to 1/(r + s) of its digits unless
# summed as a series (found by CI's explore run: 2.3e-12 off in E[ln(alpha + y)])
@example(lr=-6.0, la=0.0, gap=0.0, ls=-4.0, x=0, share=0.0, ld=0.0)
# a window of 1e-6: the reference's derivative needs a step far below the window
@example(lr=0.0, la=0.0, gap=0.0, ls=-1.0, x=0, share=0.0, ld=-6.0)
@given(
    st.floats(-6, 3),  # log10 r
    st.floats(-3, 4),  # log10 alpha
    st.floats(-0.3, 0.3),  # (beta - alpha) / (alpha + t_x)
    st.floats(-6, 0.5),  # log10 s
    st.integers(0, 300),
    st.floats(0, 1),  # t_x / T
    st.floats(-6, 3),  # log10 (T - t_x)
)
def test_dead_series_matches_mpmath(
    lr: float, la: float, gap: float, ls: float, x: int, share: float, ld: float
) -> None:
    r, alpha, s = 10.0**lr, 10.0**la, 10.0**ls
    t_x = 0.0 if x == 0 else share * 100.0
    beta = alpha + gap * (alpha + t_x)
    T = t_x + 10.0**ld
    a1, A, B = np.array([r + x]), np.array([alpha + t_x]), np.array([beta + t_x])
    # with the moments the series also sums binom(-(s+2), k): eligible for that exponent
    assume(beta > 0 and bool(k._series_rows(a1, s + 2.0, A, B)[0]))
    D = np.array([T - t_x])
    got, _ = k._log_dead_series(a1, s + 1.0, A, B, D)
    with_moments, mom = k._log_dead_series(a1, s + 1.0, A, B, D, moments=True)
    assert mom is not None
    ref = float(_mp_log_dead(x, t_x, T, r, alpha, s, beta))
    assert abs(float(got[0]) - ref) <= SERIES_ROUNDING * max(1.0, abs(ref))
    assert float(with_moments[0]) == float(got[0])
    # the means of ln(alpha+y), 1/(alpha+y), ln(beta+y), 1/(beta+y) under the integrand, by
    # mpmath; the log means carry the rounding of ln A and of the window
    ref_mom = _mp_dead_moments(x, t_x, T, r, alpha, s, beta)
    window = math.log1p(float(D[0]) / float(A[0]))
    for i, (value, expected) in enumerate(zip(mom[:, 0], ref_mom, strict=True)):
        scale = abs(expected) + (1.0 + window if i in (0, 2) else 0.0)
        assert abs(float(value) - expected) <= SERIES_ROUNDING * scale, i


def _mp_dead_moments(
    x: float, t_x: float, T: float, r: float, a: float, s: float, b: float
) -> list[float]:
    """E[ln(a+y)], E[1/(a+y)], E[ln(b+y)], E[1/(b+y)] under (a+y)^-(r+x) (b+y)^-(s+1) on
    [t_x, T], from the 2F1 closed form: minus derivatives of ln I in r and s, and ratios of I
    at r + 1 and s + 1."""
    with mp.workdps(40):

        def log_dead(rr: Any, ss: Any) -> Any:
            return _mp_log_dead(x, t_x, T, rr, a, ss, b)

        r_, s_ = mp.mpf(r), mp.mpf(s)
        here = log_dead(r_, s_)
        # central differences with a step of 1e-15 on 60-digit values: truncation ~1e-30 and
        # rounding ~1e-45 (mp.diff's own step was 2e-12 off for a window of 1e-6)
        h = mp.mpf("1e-15")
        return [
            float(-(log_dead(r_ + h, s_) - log_dead(r_ - h, s_)) / (2 * h)),
            float(mp.exp(log_dead(r_ + 1, s_) - here)),
            float(-(log_dead(r_, s_ + h) - log_dead(r_, s_ - h)) / (2 * h)),
            float(mp.exp(log_dead(r_, s_ + 1) - here)),
        ]


def test_likelihood_finite_on_extreme_grid() -> None:
    for params in GRID_PARAMS:
        for x, t_x, T in [*GRID_HISTORIES, (100000.0, 0.5, 100000.0), (5, 2.0, 2.0)]:
            m = ParetoNBD(ParetoNBDParams(*params))
            ll = m.log_likelihood_per_customer(x, t_x, T)
            pa = m.probability_alive(x, t_x, T)
            e = m.expected_purchases(52.0, x, t_x, T)
            assert np.isfinite(ll)
            assert 0 <= pa <= 1
            assert np.isfinite(e)
            assert e >= 0


def test_probability_of_purchases_matches_mpmath() -> None:
    def ref(n: int, t: float, r: float, a: float, s: float, b: float) -> Any:
        with mp.workdps(30):
            n_, t, r, a, s, b = (mp.mpf(v) for v in (n, t, r, a, s, b))
            c = mp.exp(mp.loggamma(r + n_) - mp.loggamma(r) - mp.loggamma(n_ + 1))
            alive = c * (a / (a + t)) ** r * (t / (a + t)) ** n_ * (b / (b + t)) ** s

            def f(tau: Any) -> Any:
                return tau**n_ * (a + tau) ** (-(r + n_)) * (b + tau) ** (-(s + 1))

            dead = c * a**r * s * b**s * mp.quad(f, mp.linspace(0, t, 40))
            return mp.log(alive + dead)

    for n, t, params in [
        (0, 39.0, (0.553, 10.578, 0.606, 11.669)),
        (7, 39.0, (0.553, 10.578, 0.606, 11.669)),
        (1000, 1.0, (2.0, 5.0, 1.0, 5.0)),
        (3, 1e3, (0.5, 1e-3, 3.0, 1e3)),
        (1, 1e3, (5.0, 1e3, 0.1, 1.0)),
    ]:
        got = k.log_probability_of_purchases(np.array([n], float), np.array([t]), *params)
        assert float(got[0]) == pytest.approx(float(ref(n, t, *params)), rel=1e-10, abs=1e-10)


# ------------------------------------------------------------------ lifetimes parity
def _grid() -> tuple[Any, Any, Any]:
    x = np.array([0, 0, 1, 2, 5, 10, 40, 100, 3, 7], float)
    T = np.array([1.0, 39.0, 39.0, 38.86, 20.0, 39.0, 39.0, 39.0, 39.0, 39.0])
    t_x = np.where(x > 0, np.array([0, 0, 0.5, 30.43, 19.9, 12.0, 38.0, 39.0, 39.0, 1.0]), 0.0)
    return x, t_x, T


@pytest.mark.parametrize(
    "params",
    [PUBLISHED, ParetoNBDParams(2.0, 5.0, 0.5, 20.0), ParetoNBDParams(0.8, 30.0, 2.5, 3.0)],
)
def test_lifetimes_parity(params: ParetoNBDParams, cdnow: tuple[Any, Any, Any]) -> None:
    fitter = _lifetimes(params)
    m = ParetoNBD(params)
    for x, t_x, T in (_grid(), cdnow):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ll = fitter._conditional_log_likelihood(tuple(params.as_array()), x, t_x, T)
            pa = fitter.conditional_probability_alive(x, t_x, T)
            e = fitter.conditional_expected_number_of_purchases_up_to_time(10.0, x, t_x, T)
        np.testing.assert_allclose(m.log_likelihood_per_customer(x, t_x, T), ll, rtol=1e-9)
        np.testing.assert_allclose(m.probability_alive(x, t_x, T), pa, rtol=1e-9)
        np.testing.assert_allclose(m.expected_purchases(10.0, x, t_x, T), e, rtol=1e-9)
    t = np.array([0.5, 1.0, 10.0, 39.0, 100.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = fitter.expected_number_of_purchases_up_to_time(t)
    np.testing.assert_allclose(m.expected_purchases_new(t), new, rtol=1e-9)
    x, t_x, T = _grid()
    for n in (0, 1, 2, 5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = np.array(
                [
                    fitter.conditional_probability_of_n_purchases_up_to_time(n, 10.0, *h)
                    for h in zip(x, t_x, T, strict=True)
                ],
                dtype=float,
            )
        ours = m.conditional_probability_of_purchases(n, 10.0, x, t_x, T)
        ok = np.isfinite(theirs) & (theirs > 1e-12)  # lifetimes' sum loses digits below
        np.testing.assert_allclose(ours[ok], theirs[ok], rtol=1e-7)


def test_finite_where_lifetimes_is_not() -> None:
    """Heavy buyers, long histories, alpha == beta and t_x == T: lifetimes' 2F1 difference
    returns NaN or -inf there (documented in docs/migration.md); ours stays finite."""
    params = ParetoNBDParams(0.553, 10.578, 0.606, 10.578)
    fitter = _lifetimes(params)
    x = np.array([1e4, 2e3, 300.0, 50.0])
    t_x = np.array([5e3, 1e4, 1e4 - 1e-7, 39.0])
    T = np.array([1e4, 1e4, 1e4, 39.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = fitter._conditional_log_likelihood(tuple(params.as_array()), x, t_x, T)
    # Whether lifetimes' 2F1 difference is finite there depends on the scipy release: NaN or
    # -inf with scipy 1.17, finite with 1.15 (the floors leg). Ours is finite with both.
    assert theirs.shape == x.shape
    m = ParetoNBD(params)
    ll = m.log_likelihood_per_customer(x, t_x, T)
    assert np.all(np.isfinite(ll))
    assert np.all((m.probability_alive(x, t_x, T) >= 0) & (m.probability_alive(x, t_x, T) <= 1))


# ------------------------------------------------------------------ consistency
@settings(max_examples=15, deadline=None)
@given(bgnbd_params(low=0.05, high=20.0), bgnbd_histories(max_size=3, max_frequency=60))
def test_conditional_distribution_sums_to_one_with_right_mean(
    params: tuple[float, ...], hist: tuple[Any, Any, Any]
) -> None:
    r, alpha, s, beta = params
    m = ParetoNBD(ParetoNBDParams(r, alpha, max(s, 1.05), beta))
    # the sum to n = 3000 is the whole distribution when lambda t < 1500 almost surely
    x, _, T = hist
    assume(float(np.max(stats.gamma.sf(1500 / 30.0, r + x, scale=1 / (alpha + T)))) < 1e-13)
    n = np.arange(3000.0)[:, None]
    for t in (1.0, 30.0):
        p = m.conditional_probability_of_purchases(n, t, *hist)
        e = m.expected_purchases(t, *hist)
        assert p.sum(axis=0) == pytest.approx(1.0, abs=1e-9)
        assert (n * p).sum(axis=0) == pytest.approx(e, rel=1e-7, abs=1e-10)


@settings(max_examples=15, deadline=None)
@given(bgnbd_params(low=0.05, high=20.0), st.floats(0.01, 200.0))
def test_new_customer_distribution_sums_to_one_with_right_mean(
    params: tuple[float, ...], t: float
) -> None:
    r, alpha, s, beta = params
    m = ParetoNBD(ParetoNBDParams(r, alpha, max(s, 1.05), beta))
    assume(float(stats.gamma.sf(1500 / t, r, scale=1 / alpha)) < 1e-13)
    n = np.arange(3000.0)
    p = m.probability_of_purchases(n, t)
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    assert (n * p).sum() == pytest.approx(float(m.expected_purchases_new(t)), rel=1e-7)


def test_s_equal_one_is_the_limit() -> None:
    near = ParetoNBD(ParetoNBDParams(0.5, 10.0, 1.0 + 1e-9, 12.0))
    at = ParetoNBD(ParetoNBDParams(0.5, 10.0, 1.0, 12.0))
    assert at.expected_purchases_new(39.0) == pytest.approx(near.expected_purchases_new(39.0))
    assert at.expected_purchases(39.0, 2, 30.0, 39.0) == pytest.approx(
        near.expected_purchases(39.0, 2, 30.0, 39.0), rel=1e-8
    )


@pytest.mark.parametrize(
    "params", [(0.553, 10.578, 0.606, 11.669), (1e-3, 1e3, 50.0, 1e-2), (30.0, 0.1, 0.01, 5.0)]
)
def test_gradient_matches_finite_differences(params: tuple[float, ...]) -> None:
    x, t_x, T = _grid()
    w = np.arange(1.0, x.size + 1.0)
    _, grad = k.log_likelihood_and_gradient(x, t_x, T, w, *params)
    for i in range(4):
        h = params[i] * 1e-6
        up, down = list(params), list(params)
        up[i] += h
        down[i] -= h
        fd = (
            k.log_likelihood_and_gradient(x, t_x, T, w, *up)[0]
            - k.log_likelihood_and_gradient(x, t_x, T, w, *down)[0]
        ) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-6 / params[i])


# ------------------------------------------------------------------ DERT
@pytest.mark.parametrize("s", [0.606, 1.0, 3.0])
def test_dert_closed_form_matches_quadrature(s: float) -> None:
    m = ParetoNBD(ParetoNBDParams(0.553, 10.578, s, 11.669))
    x, t_x, T = _grid()
    delta = math.log(1.15) / 52
    closed = discounted_expected_transactions(m, x, t_x, T, horizon=math.inf, discount_rate=delta)
    assert closed is not None
    quad = discounted_expected_transactions(m, x, t_x, T, horizon=1e6, discount_rate=delta)
    np.testing.assert_allclose(closed, quad, rtol=1e-7)


def test_dert_matches_mpmath() -> None:
    p = PUBLISHED
    delta, x, t_x, T = 0.01, 2.0, 30.43, 38.86
    got = k.discounted_residual_transactions(
        np.array([x]), np.array([t_x]), np.array([T]), delta, p.r, p.alpha, p.s, p.beta
    )
    assert got is not None
    pa = float(MODEL.probability_alive(x, t_x, T))
    with mp.workdps(30):
        b = mp.mpf(p.beta) + T
        inner = mp.quad(
            lambda mu: b**p.s * mu ** (p.s - 1) * mp.exp(-b * mu) / mp.gamma(p.s) / (delta + mu),
            [0, 1e-6, 1e-3, 1, mp.inf],
        )
    want = pa * (p.r + x) / (p.alpha + T) * float(inner)
    assert float(got[0]) == pytest.approx(want, rel=1e-10)


def test_finite_horizon_uses_quadrature() -> None:
    x, t_x, T = _grid()
    assert MODEL._discounted_transactions(x, t_x, T, 52.0, 0.01, None) is None


# ------------------------------------------------------------------ simulation
def test_simulation_recovers_parameters() -> None:
    sim = MODEL.simulate(np.full(4000, 39.0), rng=7)
    fit = ParetoNBD.fit(sim.frequency, sim.recency, sim.T)
    assert fit.stderr is not None
    z = (fit.params.as_array() - PUBLISHED.as_array()) / fit.stderr
    assert np.all(np.abs(z) < 3), z


def test_simulation_matches_predictions() -> None:
    sim = MODEL.simulate(np.full(20000, 39.0), rng=11, horizon=39.0)
    hist = (sim.frequency, sim.recency, sim.T)
    pa = MODEL.probability_alive(*hist)
    alive = sim.alive_at_T.astype(float)
    se = math.sqrt(float(np.mean(pa * (1 - pa))) / alive.size)
    assert abs(alive.mean() - pa.mean()) < 3 * se
    e = MODEL.expected_purchases(39.0, *hist)
    diff = sim.holdout_frequency - e
    assert abs(diff.mean()) < 3 * diff.std() / math.sqrt(diff.size)
    p0 = MODEL.probability_of_purchases(0, 39.0)
    se0 = math.sqrt(float(p0 * (1 - p0)) / alive.size)
    assert abs(np.mean(sim.frequency == 0) - p0) < 3 * se0


# ------------------------------------------------------------------ units, persistence
def test_in_unit_keeps_predictions(fitted: ParetoNBD) -> None:
    daily = fitted.in_unit("D")
    assert daily.params.beta == pytest.approx(7 * fitted.params.beta)
    assert daily.probability_alive(2, 7 * 30.43, 7 * 38.86) == pytest.approx(
        fitted.probability_alive(2, 30.43, 38.86), rel=1e-12
    )
    refit = ParetoNBD.fit(
        *(np.asarray(c, float) * f for c, f in zip(_cdnow_columns(), (1, 7, 7), strict=True))
    )
    assert daily.log_likelihood == pytest.approx(refit.log_likelihood, abs=1e-4)


def _cdnow_columns() -> tuple[Any, Any, Any]:
    s = load_cdnow_summary()
    return s.frequency, s.recency, s.T


def test_json_round_trip_is_exact(fitted: ParetoNBD) -> None:
    back = ParetoNBD.from_json(fitted.to_json())
    assert back == fitted
    assert repr(ParetoNBD.from_json(MODEL.to_json())) == repr(MODEL)
    with pytest.raises(PersistenceError):
        ParetoNBD.from_json(fitted.to_json().replace('"r"', '"q"'))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "match"),
    [
        ([1, -1], [1, 0], [2, 2], r"frequency must be >= 0.*index 1: -1"),
        ([1, 2], [1, 3], [2, 2], r"recency must be <= T.*index 1: 3"),
        ([0, 1], [0.5, 1], [2, 2], r"recency must be 0 where frequency is 0.*index 0"),
    ],
)
def test_bad_histories_are_rejected(frequency: Any, recency: Any, T: Any, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        MODEL.probability_alive(frequency, recency, T)
    with pytest.raises(InvalidInputError, match=match):
        ParetoNBD.fit(frequency, recency, T)


def test_bad_scalars_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="t must be >= 0"):
        MODEL.expected_purchases(-1.0, 1, 1, 2)
    with pytest.raises(InvalidInputError, match="n must be a whole number"):
        MODEL.conditional_probability_of_purchases(1.5, 1.0, 1, 1, 2)
    with pytest.raises(InvalidInputError, match="beta must be > 0"):
        ParetoNBDParams(1.0, 1.0, 1.0, 0.0)
    with pytest.raises(InvalidInputError, match="s must not be NaN"):
        ParetoNBDParams(1.0, 1.0, float("nan"), 1.0)


@pytest.mark.parametrize(
    "params",
    [
        (2.0, 5.0, 800.0, 5.0),
        (0.5, 1e-6, 1e-6, 1e6),
        (1e-8, 1e-8, 1e-8, 1e-8),
        (5, 1e3, 0.01, 1e-3),
    ],
)
@pytest.mark.parametrize("delta", [1e-4, 1.0])
def test_dert_extremes_agree_with_quadrature(params: tuple[float, ...], delta: float) -> None:
    """Closed form where hyperu is representable, the generic quadrature where it is not
    (s = 800: U underflows); both agree with a long finite horizon."""
    m = ParetoNBD(ParetoNBDParams(*params))
    x, t_x, T = np.array([0.0, 2.0, 1e4]), np.array([0.0, 30.0, 5e3]), np.array([39.0, 39.0, 1e4])
    dert = discounted_expected_transactions(m, x, t_x, T, horizon=math.inf, discount_rate=delta)
    long = discounted_expected_transactions(m, x, t_x, T, horizon=60 / delta, discount_rate=delta)
    assert np.all(np.isfinite(dert))
    np.testing.assert_allclose(dert, long, rtol=1e-9, atol=1e-300)
