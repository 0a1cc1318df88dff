"""clv_cash_flows: periods add up to customer_lifetime_value and to expected_purchases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from strategies import bgnbd_histories, bgnbd_params

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    clv_cash_flows,
    customer_lifetime_value,
)
from custvalue.datasets import load_cdnow_summary
from custvalue.errors import InvalidInputError

BG = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), time_unit="W")
GG = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44), time_unit="W")


@settings(max_examples=40, deadline=None)
@given(
    params=bgnbd_params(),
    history=bgnbd_histories(max_frequency=60),
    periods=st.sampled_from(["M", "W", "3M", 5.5, "90D"]),
    horizon=st.sampled_from(["24M", "1Y", 17.3, "100W"]),
    rate=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_periods_sum_to_clv_and_expected_purchases(
    params: tuple[float, float, float, float],
    history: tuple[np.ndarray, np.ndarray, np.ndarray],
    periods: str | float,
    horizon: str | float,
    rate: float,
) -> None:
    bg = BetaGeo(BetaGeoParams(*params), time_unit="W")
    x, t_x, T = history
    m = np.full(x.shape, 30.0)
    flows = clv_cash_flows(bg, GG, x, t_x, T, m, periods=periods, horizon=horizon,
                           annual_discount_rate=rate)  # fmt: skip
    clv = customer_lifetime_value(bg, GG, x, t_x, T, m, horizon=horizon,
                                  annual_discount_rate=rate)  # fmt: skip
    np.testing.assert_allclose(flows.clv, clv, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(
        flows.expected_transactions.sum(axis=1),
        bg.expected_purchases(horizon, x, t_x, T), rtol=1e-12, atol=1e-300,
    )  # fmt: skip
    np.testing.assert_allclose(flows.expected_spend, flows.expected_transactions
                               * GG.expected_spend(x, m)[:, None], rtol=1e-14)  # fmt: skip
    # the effective factor lies between the factors at the period's end and start
    delta = math.log1p(rate) * 7 / 365.25
    assert np.all(flows.discount_factor <= np.exp(-delta * flows.period_start) + 1e-15)
    assert np.all(flows.discount_factor >= np.exp(-delta * flows.period_end) - 1e-15)
    if rate == 0.0:
        np.testing.assert_allclose(flows.discount_factor, 1.0, rtol=0, atol=1e-15)


def test_month_is_calendar_independent_and_last_period_partial() -> None:
    flows = clv_cash_flows(BG, GG, [2], [30.43], [38.86], [35.0], periods="M",
                           horizon="2.5M", discount_rate=0.0)  # fmt: skip
    month = 365.25 / 12 / 7  # weeks
    np.testing.assert_allclose(flows.period_end, [month, 2 * month, 2.5 * month], rtol=1e-15)
    np.testing.assert_array_equal(flows.period_start[1:], flows.period_end[:-1])
    # exactly 24 months: no sliver period from rounding
    assert clv_cash_flows(BG, GG, [2], [30.43], [38.86], [35.0], horizon="24M",
                          discount_rate=0.01).n_periods == 24  # fmt: skip
    assert clv_cash_flows(BG, GG, [2], [30.43], [38.86], [35.0], periods="2Y", horizon="1Y",
                          discount_rate=0.01).n_periods == 1  # fmt: skip


def test_one_period_is_the_exact_integral_over_it() -> None:
    """The discounted value of period (t0, t1] equals E[spend] * int exp(-delta s) dE(s)."""
    delta = 0.01
    flows = clv_cash_flows(BG, GG, [2], [30.43], [38.86], [35.0], periods=10.0,
                           horizon=30.0, discount_rate=delta)  # fmt: skip

    def e(s: float) -> float:
        return float(BG.expected_purchases(s, 2, 30.43, 38.86))

    spend = float(GG.expected_spend(2, 35.0))
    for j, (t0, t1) in enumerate(zip(flows.period_start, flows.period_end, strict=True)):
        # by parts: int_t0^t1 e^(-delta s) dE = [e^(-delta s) E(s)]_t0^t1 + delta int e^(-delta s) E
        inner = integrate.quad(lambda s: math.exp(-delta * s) * e(s), t0, t1, epsrel=1e-12)[0]
        want = math.exp(-delta * t1) * e(t1) - math.exp(-delta * t0) * e(t0) + delta * inner
        assert flows.discounted_value[0, j] == pytest.approx(spend * want, rel=1e-10)


def test_summary_ids_long_and_wide_tables() -> None:
    s = load_cdnow_summary()
    bg = BetaGeo.fit(s)
    gg = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44), time_unit=s.time_unit)
    flows = clv_cash_flows(bg, gg, s, horizon="6M", annual_discount_rate=0.1)
    assert flows.discounted_value.shape == (s.n_customers, 6)
    long = flows.to_columns()
    assert long["customer_id"].size == 6 * s.n_customers
    np.testing.assert_array_equal(long["customer_id"][:7], np.repeat(s.customer_id[:2], 6)[:7])
    np.testing.assert_array_equal(long["period"][:7], [1, 2, 3, 4, 5, 6, 1])
    wide = flows.to_columns(layout="wide")
    assert list(wide) == ["customer_id"] + [f"value_{j}" for j in range(1, 7)]
    np.testing.assert_array_equal(wide["value_3"], flows.discounted_value[:, 2])
    np.testing.assert_allclose(flows.clv, customer_lifetime_value(
        bg, gg, s, horizon="6M", annual_discount_rate=0.1), rtol=1e-10)  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": "inf", "discount_rate": 0.01}, "horizon must be finite and > 0"),
        ({"horizon": 0.0, "discount_rate": 0.01}, "horizon must be finite and > 0"),
        ({"periods": 0.0, "discount_rate": 0.01}, "periods must be a finite duration > 0"),
        ({"periods": "12X", "discount_rate": 0.01}, "periods must be a duration"),
        (
            {"periods": -1.0, "discount_rate": 0.01},
            r"periods must be a finite duration > 0; got -1.0",
        ),
        ({"periods": "-1M", "discount_rate": 0.01}, "periods must be a duration"),
        ({"periods": "1D", "horizon": "40Y", "discount_rate": 0.01}, "at most 12000 periods"),
        ({}, "give exactly one of discount_rate"),
        ({"discount_rate": 0.01, "annual_discount_rate": 0.1}, "got both"),
        ({"discount_rate": -0.01}, "discount_rate"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        clv_cash_flows(BG, GG, [2], [30.43], [38.86], [35.0], **kwargs)  # type: ignore[arg-type]


def test_bad_histories_and_units() -> None:
    with pytest.raises(InvalidInputError, match="recency"):
        clv_cash_flows(BG, GG, [2], [50.0], [38.86], [35.0], discount_rate=0.0)
    with pytest.raises(InvalidInputError, match="time unit mismatch"):
        clv_cash_flows(BG, GG, [2], [30.0], [38.86], [35.0], discount_rate=0.0, time_unit="D")
    unitless = BetaGeo(BG.params)
    with pytest.raises(InvalidInputError, match="periods="):
        clv_cash_flows(unitless, GammaGamma(GG.params), [2], [30.0], [38.86], [35.0],
                       periods="M", horizon=52.0, discount_rate=0.0)  # fmt: skip
    flows = clv_cash_flows(unitless, GammaGamma(GG.params), [2], [30.0], [38.86], [35.0],
                           periods=4.0, horizon=52.0, discount_rate=0.0)  # fmt: skip
    assert flows.n_periods == 13
    assert flows.time_unit is None
