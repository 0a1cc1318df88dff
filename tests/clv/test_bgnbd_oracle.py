"""BG/NBD against the published CDNOW values (FHL 2005) and the lifetimes oracle."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from custvalue.clv import BetaGeo, BetaGeoParams, ModifiedBetaGeo
from custvalue.clv import _bgnbd_kernels as k
from custvalue.clv import _mbgnbd_kernels as mbg_k
from custvalue.datasets import load_cdnow_summary

PUBLISHED = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def cdnow() -> tuple[Any, Any, Any]:
    s = load_cdnow_summary()
    return np.asarray(s.frequency, float), np.asarray(s.recency), np.asarray(s.T)


@pytest.fixture(scope="module")
def fitted(cdnow: tuple[Any, Any, Any]) -> BetaGeo:
    return BetaGeo.fit(*cdnow)


def _lifetimes(params: BetaGeoParams) -> Any:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series({"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b})
    return fitter


# ------------------------------------------------------------------ published values
def test_cdnow_fit_matches_paper(fitted: BetaGeo) -> None:
    p = fitted.params
    assert (p.r, p.alpha, p.a, p.b) == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=6e-4)
    assert fitted.log_likelihood == pytest.approx(-9582.43, abs=0.01)
    assert fitted.n_customers == 2357
    assert fitted.diagnostics is not None
    assert fitted.diagnostics.converged
    assert fitted.stderr is not None
    np.testing.assert_allclose(fitted.stderr, [0.0126, 0.378, 0.186, 0.705], rtol=6e-3)


def test_published_point_checks(fitted: BetaGeo) -> None:
    model = BetaGeo(PUBLISHED)
    assert float(model.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=5e-4)
    assert float(model.probability_alive(2, 30.43, 38.86)) == pytest.approx(0.7266, abs=5e-5)
    assert float(model.probability_of_purchases(0, 39)) == pytest.approx(0.5737864, abs=5e-8)
    assert float(model.probability_of_purchases(10, 2)) == pytest.approx(1.07869e-7, rel=1e-5)
    # The reference E[X(t)] values come from unrounded estimates (agree to ~2e-4).
    new = fitted.expected_purchases_new([1.0, 3.0, 32.0, 78.0])
    np.testing.assert_allclose(new, [0.0532, 0.1506, 1.0437, 1.8576], rtol=5e-4)


# ------------------------------------------------------------------ lifetimes oracle
@pytest.mark.parametrize(
    ("model", "fitter", "kern"),
    [(BetaGeo, "BetaGeoFitter", k), (ModifiedBetaGeo, "ModifiedBetaGeoFitter", mbg_k)],
    ids=["BG/NBD", "MBG/NBD"],
)
def test_fit_matches_lifetimes_and_is_never_worse(
    cdnow: tuple[Any, Any, Any], model: Any, fitter: str, kern: Any
) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    fitted = model.fit(*cdnow)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(lifetimes, fitter)().fit(*cdnow)
    their = np.array([theirs.params_[n] for n in ("r", "alpha", "a", "b")])
    np.testing.assert_allclose(fitted.params.as_array(), their, rtol=1e-4)
    # Their optimum, scored with our kernel and with their own (a mean, unscaled time here).
    ours_at_theirs = float(kern.log_likelihood(*cdnow, *their).sum())
    assert fitted.log_likelihood is not None
    assert fitted.log_likelihood >= ours_at_theirs - 1e-9
    x, t_x, T = cdnow
    neg_mean = theirs._negative_log_likelihood(np.log(their), x, t_x, T, np.ones_like(x), 0.0)
    assert -float(neg_mean) * x.size == pytest.approx(ours_at_theirs, abs=1e-6)


def test_predictions_equal_lifetimes(cdnow: tuple[Any, Any, Any], fitted: BetaGeo) -> None:
    x, t_x, T = cdnow
    theirs = _lifetimes(fitted.params)
    for t in (1.0, 39.0, 52.0, 200.0):
        ref = theirs.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        ours = fitted.expected_purchases(t, x, t_x, T)
        ok = np.isfinite(ref)
        assert ok.mean() > 0.99
        np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-9)
    np.testing.assert_allclose(
        fitted.probability_alive(x, t_x, T), theirs.conditional_probability_alive(x, t_x, T),
        rtol=1e-12,
    )  # fmt: skip
    t = np.linspace(0.5, 300.0, 25)
    np.testing.assert_allclose(
        fitted.expected_purchases_new(t), theirs.expected_number_of_purchases_up_to_time(t),
        rtol=1e-9,
    )  # fmt: skip


def test_probability_of_purchases_equals_lifetimes_and_sums_to_one_where_it_fails(
    fitted: BetaGeo,
) -> None:
    theirs = _lifetimes(fitted.params)
    for t in (2.0, 39.0, 78.0):
        for n in range(0, 60):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = float(theirs.probability_of_n_purchases_up_to_time(t, n))
            # below ~1e-8 lifetimes' 1 - sum(...) loses digits; those are checked by mpmath
            if np.isfinite(ref) and ref > 1e-8:
                assert float(fitted.probability_of_purchases(n, t)) == pytest.approx(ref, rel=1e-9)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not np.isfinite(theirs.probability_of_n_purchases_up_to_time(39.0, 500))
    n = np.arange(0, 20000)
    for t in (39.0, 5000.0):
        assert fitted.probability_of_purchases(n, t).sum() == pytest.approx(1.0, abs=1e-10)
    # and the mean of that distribution is E[X(t)]
    p = fitted.probability_of_purchases(n, 39.0)
    assert float(n @ p) == pytest.approx(float(fitted.expected_purchases_new(39.0)), rel=1e-10)


def _mp_probability(params: BetaGeoParams, n: int, t: float) -> float:
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        r, al, a, b = (mp.mpf(v) for v in params.as_array())
        p, q = al / (al + t), mp.mpf(t) / (al + t)

        def nb(j: int) -> Any:
            return mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * p**r * q**j

        v = mp.beta(a, b + n) / mp.beta(a, b) * nb(n)
        if n > 0:
            v += mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * (1 - mp.fsum(nb(j) for j in range(n)))
        return float(v)


@pytest.mark.parametrize(("n", "t"), [(20, 2.0), (59, 2.0), (30, 39.0), (300, 39.0), (0, 1e4)])
def test_probability_of_purchases_high_precision(fitted: BetaGeo, n: int, t: float) -> None:
    ref = _mp_probability(fitted.params, n, t)
    assert float(fitted.probability_of_purchases(n, t)) == pytest.approx(ref, rel=1e-11)
