"""Discounted CLV: quadrature vs closed forms, scipy.quad and brute force; lifetimes oracle."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from scipy import integrate
from strategies import gamma_gamma_params, purchase_histories

from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.gamma_gamma import GammaGamma, GammaGammaParams
from custvalue.clv.value import (
    continuous_discount_rate,
    customer_lifetime_value,
    discounted_expected_transactions,
    lifetimes_customer_lifetime_value,
)
from custvalue.errors import InvalidInputError

BGNBD = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
SPEND = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
WEEKLY_10PCT = math.log(1.1) / 52
CUSTOMERS = [(2.0, 30.43, 38.86), (0.0, 0.0, 0.1), (50.0, 38.0, 39.0), (10.0, 5.0, 300.0),
             (3.0, 1e4, 1e5)]  # fmt: skip


class ExponentialLifetime:
    """Toy transaction model with a closed-form DET: Poisson(lam) while alive, lifetime
    Exp(mu), ignoring the history: E[X(t)] = lam/mu (1 - exp(-mu t))."""

    def __init__(self, lam: float, mu: float) -> None:
        self.lam, self.mu = lam, mu

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> NDArray[np.float64]:
        tt = np.asarray(t, dtype=float)
        zero = 0.0 * np.asarray(frequency) * np.asarray(recency) * np.asarray(T)
        out: NDArray[np.float64] = self.lam / self.mu * -np.expm1(-self.mu * tt) + zero
        return out

    def det(self, h: float, delta: float) -> float:
        """integral_0^h exp(-delta s) lam exp(-mu s) ds."""
        k = self.mu + delta
        return self.lam * -math.expm1(-k * h) / k if math.isfinite(h) else self.lam / k


def _quad_det(model: Any, x: float, tx: float, T: float, h: float, delta: float) -> float:
    """Reference by adaptive quadrature of the integration-by-parts form."""
    upper = h if math.isfinite(h) else 80.0 / delta
    edges = np.unique(np.concatenate([[0.0], np.geomspace(1e-2, upper, 12), [upper]]))

    def f(s: float) -> float:
        return math.exp(-delta * s) * float(model.expected_purchases(s, x, tx, T))

    body = sum(
        integrate.quad(f, lo, hi, epsabs=1e-16, epsrel=1e-12, limit=200)[0]
        for lo, hi in itertools.pairwise(edges)
    )
    end = math.exp(-delta * h) * float(model.expected_purchases(h, x, tx, T)) if h < math.inf else 0
    return end + delta * body


# ----------------------------------------------------------------------- accuracy
@pytest.mark.parametrize(
    ("horizon", "delta"),
    [(52.0, WEEKLY_10PCT), (math.inf, WEEKLY_10PCT), (1000.0, 5e-4), (math.inf, 0.1), (5.0, 1.0)],
)
def test_quadrature_matches_scipy_quad(horizon: float, delta: float) -> None:
    x, tx, T = (np.array(c) for c in zip(*CUSTOMERS, strict=True))
    got = discounted_expected_transactions(BGNBD, x, tx, T, horizon=horizon, discount_rate=delta)
    ref = np.array([_quad_det(BGNBD, *c, horizon, delta) for c in CUSTOMERS])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("horizon", [0.5, 52.0, 1e4, math.inf])
@pytest.mark.parametrize("delta", [1e-4, WEEKLY_10PCT, 0.3])
def test_quadrature_matches_closed_form(horizon: float, delta: float) -> None:
    model = ExponentialLifetime(lam=0.7, mu=0.01)
    got = discounted_expected_transactions(
        model, [0, 4], [0.0, 3.0], [0.2, 80.0], horizon=horizon, discount_rate=delta
    )
    np.testing.assert_allclose(got, model.det(horizon, delta), rtol=1e-12)


@pytest.mark.parametrize(("horizon", "delta"), [(52.0, WEEKLY_10PCT), (math.inf, WEEKLY_10PCT)])
def test_customer_of_age_zero_is_valued_like_a_new_customer(horizon: float, delta: float) -> None:
    """T = 0 (first purchase on the last observed day) is valid; E[X(s)|0,0,0] = E[X(s)] new."""
    got = discounted_expected_transactions(
        BGNBD, [0], [0.0], [0.0], horizon=horizon, discount_rate=delta
    )
    ref = _quad_det(BGNBD, 0, 0.0, 0.0, horizon, delta)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_quadrature_matches_brute_force_sum() -> None:
    """Riemann-Stieltjes sum of exp(-delta s_mid) (E[X(s_k+1)] - E[X(s_k)]) on a fine grid."""
    h, delta = 104.0, 0.02
    grid = np.linspace(0.0, h, 200_001)
    mid = 0.5 * (grid[1:] + grid[:-1])
    for x, tx, T in CUSTOMERS[:5]:
        cum = BGNBD.expected_purchases(grid, x, tx, T)
        brute = float(np.exp(-delta * mid) @ np.diff(cum))
        got = float(
            discounted_expected_transactions(BGNBD, x, tx, T, horizon=h, discount_rate=delta)
        )
        assert got == pytest.approx(brute, rel=1e-8)


def test_clv_is_spend_times_det_and_collapses_identical_histories() -> None:
    x = np.array([2.0, 0.0, 2.0, 5.0])
    tx = np.array([30.43, 0.0, 30.43, 20.0])
    T = np.array([38.86, 20.0, 38.86, 38.0])
    m = np.array([20.0, 0.0, 40.0, 35.0])
    clv = customer_lifetime_value(
        BGNBD, SPEND, x, tx, T, m, horizon=52.0, discount_rate=WEEKLY_10PCT
    )
    det = discounted_expected_transactions(BGNBD, x, tx, T, horizon=52, discount_rate=WEEKLY_10PCT)
    np.testing.assert_allclose(clv, SPEND.expected_spend(x, m) * det, rtol=1e-15)
    assert det[0] == det[2]
    assert clv[2] > clv[0]  # same history, higher spend
    single = customer_lifetime_value(
        BGNBD, SPEND, 2, 30.43, 38.86, 20.0, horizon=52.0, discount_rate=WEEKLY_10PCT
    )
    assert np.shape(single) == ()
    assert float(single) == pytest.approx(clv[0], rel=1e-14)


def test_continuous_discount_rate() -> None:
    assert continuous_discount_rate(0.1, 52) == pytest.approx(math.log(1.1) / 52, rel=1e-15)
    assert continuous_discount_rate(0.0, 12) == 0.0
    with pytest.raises(InvalidInputError, match="periods_per_year"):
        continuous_discount_rate(0.1, 0)
    with pytest.raises(InvalidInputError, match="annual_rate"):
        continuous_discount_rate(-1.0, 52)


# ----------------------------------------------------------------------- properties
@settings(max_examples=25)
@given(
    purchase_histories(),
    gamma_gamma_params(),
    st.floats(1e-3, 200.0),
    st.floats(1e-5, 0.2),
    st.floats(1.1, 5.0),
)
def test_clv_properties(
    hist: tuple[list[float], list[float], list[float]],
    spend_params: tuple[float, float, float],
    horizon: float,
    delta: float,
    factor: float,
) -> None:
    x, tx, T = (np.array(v) for v in hist)
    m = np.where(x > 0, 25.0, 0.0)
    spend = GammaGamma(GammaGammaParams(*spend_params))

    def clv(h: float, d: float) -> NDArray[np.float64]:
        return customer_lifetime_value(BGNBD, spend, x, tx, T, m, horizon=h, discount_rate=d)

    base = clv(horizon, delta)
    assert np.all(base >= 0)
    rel = 1e-12 * np.maximum(base, 1e-300)
    assert np.all(clv(horizon, delta * factor) <= base + rel)  # decreasing in the rate
    assert np.all(clv(horizon * factor, delta) >= base - rel)  # non-decreasing in the horizon
    dert = clv(math.inf, delta)
    assert np.all(np.isfinite(dert))
    assert np.all(dert >= clv(horizon * factor, delta) - rel)
    # delta -> 0: E[spend] * E[X(h) | history]
    undiscounted = spend.expected_spend(x, m) * BGNBD.expected_purchases(horizon, x, tx, T)
    np.testing.assert_allclose(clv(horizon, 1e-13), undiscounted, rtol=1e-9)
    np.testing.assert_allclose(clv(horizon, 0.0), undiscounted, rtol=1e-13)  # a few ulp


def test_zero_horizon_gives_zero() -> None:
    out = customer_lifetime_value(BGNBD, SPEND, [1, 0], [3.0, 0], [5.0, 5.0], [10.0, 0.0],
                                  horizon=0.0, discount_rate=0.01)  # fmt: skip
    np.testing.assert_array_equal(out, [0.0, 0.0])


# ----------------------------------------------------------------------- lifetimes
class _LifetimesAsProtocol:
    def __init__(self, fitter: Any) -> None:
        self.fitter = fitter

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> NDArray[np.float64]:
        f = self.fitter.conditional_expected_number_of_purchases_up_to_time
        return np.asarray(f(t, frequency, recency, T), dtype=float)


@pytest.mark.parametrize(("freq", "months", "rate"), [("W", 12, 0.01), ("D", 7, 0.02),
                                                      ("M", 3, 0.0), ("H", 2, 0.05)])  # fmt: skip
def test_lifetimes_mode_reproduces_lifetimes(freq: str, months: int, rate: float) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    scale = {"W": 1.0, "D": 7.0, "M": 12 / 52, "H": 168.0}[freq]
    p = BGNBD.params
    rng = np.random.default_rng(5)
    n = 300
    T = rng.uniform(1.0, 40.0, n) * scale
    x = rng.integers(0, 15, n).astype(float)
    tx = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    m = np.where(x > 0, rng.gamma(3.0, 12.0, n), 0.0)
    bg = lifetimes.BetaGeoFitter()
    bg.params_ = pd.Series({"r": p.r, "alpha": p.alpha * scale, "a": p.a, "b": p.b})
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
    theirs = gg.customer_lifetime_value(
        bg, pd.Series(x), pd.Series(tx), pd.Series(T), pd.Series(m),
        time=months, discount_rate=rate, freq=freq,
    ).to_numpy()  # fmt: skip
    ours_model = BetaGeo(BetaGeoParams(r=p.r, alpha=p.alpha * scale, a=p.a, b=p.b))
    for model, rtol in ((ours_model, 1e-9), (_LifetimesAsProtocol(bg), 1e-12)):
        ours = lifetimes_customer_lifetime_value(
            model, SPEND, x, tx, T, m, months=months, monthly_discount_rate=rate, freq=freq
        )
        np.testing.assert_allclose(ours, theirs, rtol=rtol)


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon": -1.0, "discount_rate": 0.01}, "horizon must be >= 0"),
        ({"horizon": math.nan, "discount_rate": 0.01}, "horizon must not be NaN"),
        ({"horizon": 52.0, "discount_rate": -0.01}, "discount_rate must be >= 0"),
        ({"horizon": 52.0, "discount_rate": math.inf}, "discount_rate must be finite"),
        ({"horizon": math.inf, "discount_rate": 0.0}, "must be > 0 when horizon is infinite"),
        ({"horizon": [52.0, 10.0], "discount_rate": 0.01}, "horizon must be a scalar"),
        ({"horizon": 52.0, "discount_rate": 0.01, "n_nodes": 0}, "n_nodes"),
    ],
)
def test_bad_horizon_and_rate(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        customer_lifetime_value(BGNBD, SPEND, [1, 0], [3.0, 0.0], [5.0, 5.0], [10.0, 0.0],
                                **kwargs)  # fmt: skip


@pytest.mark.parametrize(
    ("hist", "match"),
    [
        (([1, 0], [3.0, 0.0], [5.0, 5.0], [10.0, -1.0]), "monetary_value must be >= 0"),
        (([1, 0], [6.0, 0.0], [5.0, 5.0], [10.0, 0.0]), "recency must be <= T"),
        (([1, np.nan], [3.0, 0.0], [5.0, 5.0], [10.0, 0.0]), "frequency must not be NaN"),
        (([1, 0, 1], [3.0, 0.0], [5.0, 5.0], [10.0, 0.0]), "incompatible shapes"),
        (([1, 0], [3.0, 0.0], [5.0, 5.0], [10.0, 0.0, 1.0]), "incompatible shapes"),
    ],
)
def test_bad_histories(hist: tuple[list[float], ...], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        customer_lifetime_value(BGNBD, SPEND, *hist, horizon=52.0, discount_rate=0.01)
    with pytest.raises(InvalidInputError, match=match):
        lifetimes_customer_lifetime_value(BGNBD, SPEND, *hist)


def test_bad_lifetimes_arguments() -> None:
    args = (BGNBD, SPEND, [1], [3.0], [5.0], [10.0])
    with pytest.raises(InvalidInputError, match="months must be a whole number"):
        lifetimes_customer_lifetime_value(*args, months=2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="freq must be one of"):
        lifetimes_customer_lifetime_value(*args, freq="Y")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="monthly_discount_rate must be >= 0"):
        lifetimes_customer_lifetime_value(*args, monthly_discount_rate=-0.1)


def test_non_finite_model_output_is_an_error() -> None:
    class Broken:
        def expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> Any:
            return np.full(np.broadcast(t, frequency).shape, np.nan)

    with pytest.raises(InvalidInputError, match="non-finite"):
        customer_lifetime_value(Broken(), SPEND, [1], [3.0], [5.0], [10.0],
                                horizon=10.0, discount_rate=0.01)  # fmt: skip


@settings(max_examples=20)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 20), st.integers(1, 4)), min_size=1,
                max_size=40))  # fmt: skip
def test_grouped_evaluation_equals_row_by_row(rows: list[tuple[int, int, int]]) -> None:
    """Histories on a daily grid (days / 7, as recorded by date) are grouped before the model
    is called; every customer must still get exactly its own value."""
    x = np.array([float(r[0]) for r in rows])
    T = np.array([(r[1] + 7.0 * r[2]) / 7.0 for r in rows])
    tx = np.where(x > 0, np.array([r[1] / 7.0 for r in rows]), 0.0)
    m = np.where(x > 0, 20.0 + x, 0.0)
    kwargs: dict[str, Any] = {"horizon": 52.0, "discount_rate": WEEKLY_10PCT}
    together = customer_lifetime_value(BGNBD, SPEND, x, tx, T, m, **kwargs)
    alone = [
        float(customer_lifetime_value(BGNBD, SPEND, x[i], tx[i], T[i], m[i], **kwargs))
        for i in range(x.size)
    ]
    np.testing.assert_allclose(together, alone, rtol=1e-13)
    steps = lifetimes_customer_lifetime_value(BGNBD, SPEND, x, tx, T, m, freq="W")
    steps_alone = [
        float(lifetimes_customer_lifetime_value(BGNBD, SPEND, x[i], tx[i], T[i], m[i], freq="W"))
        for i in range(x.size)
    ]
    np.testing.assert_allclose(steps, steps_alone, rtol=1e-13)


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["grid", "ulp", "two_ways", "off_grid"]))
def test_history_grouping_is_exact_on_date_grids(seed: int, kind: str) -> None:
    """CLV groups identical histories (collapse_rows, with its sort-free path for times on a
    day grid): the groups must be exactly the distinct rows, also with 1-ulp neighbours."""
    from custvalue._collapse import collapse_rows

    rng = np.random.default_rng(seed)
    n = 6000
    T = (273 - rng.integers(0, 84, n)) / 7.0
    tx = rng.integers(0, 190, n) / 7.0
    if kind == "ulp":
        tx = np.where(rng.random(n) < 0.01, np.nextafter(tx, np.inf), tx)
    elif kind == "two_ways":
        tx = np.where(rng.random(n) < 0.5, rng.integers(0, 190, n) * (1 / 7.0), tx)
    elif kind == "off_grid":
        tx = np.where(rng.random(n) < 0.002, rng.random(n), tx)
    x = rng.integers(0, 5, n).astype(float)
    (ux, utx, uT), weights, inverse = collapse_rows(x, tx, T)
    ref, ref_inverse, ref_counts = np.unique(
        np.stack([x, tx, T], axis=1), axis=0, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(np.stack([ux, utx, uT], axis=1), ref)
    np.testing.assert_array_equal(inverse, ref_inverse.reshape(-1))
    np.testing.assert_array_equal(weights, ref_counts)
