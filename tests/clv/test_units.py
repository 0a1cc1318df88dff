"""Units travel with the models (issue 12 section 1): record, check, convert, durations."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import bgnbd_histories, bgnbd_params, time_units

from custvalue import summarize_transactions
from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    continuous_discount_rate,
    customer_lifetime_value,
    discounted_expected_transactions,
    score,
)
from custvalue.datasets import load_cdnow_sample, load_cdnow_summary
from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.time_units import time_unit_days

PUBLISHED = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW weeks
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
WEEKS_PER_YEAR = 365.25 / 7


@pytest.fixture(scope="module")
def weekly() -> Any:
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def daily() -> Any:
    log = load_cdnow_sample()
    return summarize_transactions(
        log.customer_id, log.date, log.amount, observation_end="1997-09-30", time_unit="D"
    )


@pytest.fixture(scope="module")
def fitted(weekly: Any) -> BetaGeo:
    return BetaGeo.fit(weekly)


# ----------------------------------------------------------------------- recording the unit
def test_fit_records_the_unit_of_its_data(weekly: Any) -> None:
    from_summary = BetaGeo.fit(weekly)
    from_arrays = BetaGeo.fit(weekly.frequency, weekly.recency, weekly.T)
    said = BetaGeo.fit(weekly.frequency, weekly.recency, weekly.T, time_unit="1W")
    assert from_summary.time_unit == "W"
    assert from_arrays.time_unit is None
    assert said.time_unit == "W"  # canonical label
    # the same numbers whatever the source
    assert from_summary.params == from_arrays.params == said.params
    assert from_summary.total_repeat_purchases == float(weekly.frequency.sum())
    spend = GammaGamma.fit(weekly)
    assert spend.time_unit == "W"
    assert spend.params == GammaGamma.fit(weekly.frequency, weekly.monetary_value).params
    assert GammaGamma.fit(weekly.frequency, weekly.monetary_value).time_unit is None
    assert BetaGeo(PUBLISHED, time_unit="7D").time_unit == "7D"
    assert GammaGamma(SPEND).time_unit is None


def test_fit_from_a_frame_with_column_names(weekly: Any) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"x": weekly.frequency, "t_x": weekly.recency, "age": weekly.T, "m": weekly.monetary_value}
    )
    model = BetaGeo.fit("x", "t_x", "age", data=frame, time_unit="W")
    assert model.time_unit == "W"
    assert model.params == BetaGeo.fit(weekly).params
    spend = GammaGamma.fit("x", "m", data=frame)
    assert spend.time_unit is None
    assert spend.params == GammaGamma.fit(weekly).params
    default_names = pd.DataFrame(
        {"frequency": weekly.frequency, "recency": weekly.recency, "T": weekly.T}
    )
    assert BetaGeo.fit(data=default_names).params == model.params
    with pytest.raises(InvalidInputError, match="column 'nope' is not in the frame"):
        BetaGeo.fit("nope", data=frame)


def test_fit_input_errors(weekly: Any) -> None:
    with pytest.raises(InvalidInputError, match="omit recency, T"):
        BetaGeo.fit(weekly, weekly.recency, weekly.T)
    with pytest.raises(InvalidInputError, match="missing T"):
        BetaGeo.fit(weekly.frequency, weekly.recency)
    with pytest.raises(InvalidInputError, match=r"time_unit= is in 'D'.*CustomerSummary is in 'W'"):
        BetaGeo.fit(weekly, time_unit="D")
    log = load_cdnow_sample()
    no_amounts = summarize_transactions(log.customer_id, log.date)
    with pytest.raises(InvalidInputError, match="no monetary_value"):
        GammaGamma.fit(no_amounts)


def test_unit_is_persisted_and_old_documents_load(fitted: BetaGeo, weekly: Any) -> None:
    back = BetaGeo.from_json(fitted.to_json())
    assert back == fitted
    assert back.time_unit == "W"
    assert back.total_repeat_purchases == fitted.total_repeat_purchases
    spend = GammaGamma.fit(weekly)
    assert GammaGamma.from_json(spend.to_json()) == spend
    # documents written before these fields existed
    for model, cls in ((fitted, BetaGeo), (spend, GammaGamma)):
        doc = json.loads(model.to_json())
        for key in ("time_unit", "total_repeat_purchases", "n_excluded_nonpositive"):
            doc["payload"].pop(key, None)
        old = cls.from_json(json.dumps(doc))
        assert old.time_unit is None
        assert old.params == model.params
    doc = json.loads(fitted.to_json())
    for bad in (7, "bogus", "-1W"):
        for model, cls in ((fitted, BetaGeo), (spend, GammaGamma)):
            doc = json.loads(model.to_json())
            doc["payload"]["time_unit"] = bad
            with pytest.raises(PersistenceError, match="time_unit"):
                cls.from_json(json.dumps(doc))


def test_unit_is_shown(fitted: BetaGeo) -> None:
    assert "time unit: W" in fitted.summary()
    assert "time unit: W;" in fitted._repr_html_()  # the table's caption
    assert "time unit: not recorded" in BetaGeo(PUBLISHED).summary()
    assert "time unit: D" in GammaGamma(SPEND, time_unit="D").summary()


# ----------------------------------------------------------------------- checking the unit
def test_predictions_check_a_summary_against_the_model(fitted: BetaGeo, daily: Any) -> None:
    weekly_summary = load_cdnow_summary()
    np.testing.assert_array_equal(
        fitted.probability_alive(weekly_summary),
        fitted.probability_alive(
            weekly_summary.frequency, weekly_summary.recency, weekly_summary.T
        ),
    )
    both = r"CustomerSummary is in 'D' but the BetaGeo model is in 'W'.*in_unit\('D'\)"
    with pytest.raises(InvalidInputError, match=both):
        fitted.probability_alive(daily)
    with pytest.raises(InvalidInputError, match=both):
        fitted.expected_purchases(10, daily)
    with pytest.raises(InvalidInputError, match=both):
        fitted.probability_no_purchase(10, daily)
    with pytest.raises(InvalidInputError, match=both):
        fitted.log_likelihood_per_customer(daily)
    with pytest.raises(InvalidInputError, match="time_unit= is in 'M' but the BetaGeo model"):
        fitted.expected_purchases_new(3, time_unit="M")
    with pytest.raises(InvalidInputError, match="time_unit= is in 'D' but the BetaGeo model"):
        fitted.probability_of_purchases(1, 3, time_unit="D")
    # the same length under another name is the same unit
    fitted.expected_purchases_new(3, time_unit="7D")
    # the daily summary is right for the daily model
    daily_model = fitted.in_unit("D")
    np.testing.assert_allclose(
        daily_model.probability_alive(daily), fitted.probability_alive(weekly_summary), rtol=1e-9
    )
    spend = GammaGamma(SPEND, time_unit="W")
    with pytest.raises(InvalidInputError, match="'D' but the GammaGamma model is in 'W'"):
        spend.expected_spend(daily)


def test_clv_checks_both_models_and_the_data(fitted: BetaGeo, weekly: Any, daily: Any) -> None:
    spend_w = GammaGamma(SPEND, time_unit="W")
    kw: dict[str, Any] = {"horizon": 52, "discount_rate": 0.002}
    with pytest.raises(InvalidInputError, match="'D' but the BetaGeo model is in 'W'"):
        customer_lifetime_value(fitted, spend_w, daily, **kw)
    with pytest.raises(InvalidInputError, match="'W' but the GammaGamma model is in 'D'"):
        customer_lifetime_value(fitted, spend_w.in_unit("D"), weekly, **kw)
    with pytest.raises(InvalidInputError, match="time_unit= is in 'D' but the BetaGeo"):
        discounted_expected_transactions(
            fitted, weekly.frequency, weekly.recency, weekly.T, time_unit="D", **kw
        )
    with pytest.raises(InvalidInputError, match="'D' but the BetaGeo model is in 'W'"):
        score(daily, fitted, spend_w, **kw)
    # a summary gives the same CLV as its arrays
    np.testing.assert_array_equal(
        customer_lifetime_value(fitted, spend_w, weekly, **kw),
        customer_lifetime_value(
            fitted, spend_w, weekly.frequency, weekly.recency, weekly.T, weekly.monetary_value, **kw
        ),
    )
    # unitless models accept data of any unit (nothing to check against)
    customer_lifetime_value(BetaGeo(PUBLISHED), GammaGamma(SPEND), daily, **kw)


# ----------------------------------------------------------------------- converting
@given(bgnbd_params(), bgnbd_histories(), time_units(), time_units(), st.floats(0.0, 100.0))
def test_in_unit_leaves_predictions_unchanged(
    params: tuple[float, ...], history: tuple[Any, ...], old: str, new: str, t: float
) -> None:
    x, t_x, T = history
    model = BetaGeo(BetaGeoParams(*params), time_unit=old)
    other = model.in_unit(new)
    k = time_unit_days(old) / time_unit_days(new)  # new units per old unit
    assert other.time_unit == new
    assert other.params.alpha == pytest.approx(params[1] * k, rel=1e-15)
    same = {"rtol": 1e-9, "atol": 1e-300}
    np.testing.assert_allclose(
        other.probability_alive(x, k * t_x, k * T), model.probability_alive(x, t_x, T), **same
    )
    np.testing.assert_allclose(
        other.expected_purchases(k * t, x, k * t_x, k * T),
        model.expected_purchases(t, x, t_x, T),
        **same,
    )
    np.testing.assert_allclose(
        other.probability_no_purchase(k * t, x, k * t_x, k * T),
        model.probability_no_purchase(t, x, t_x, T),
        **same,
    )
    np.testing.assert_allclose(
        other.expected_purchases_new(k * T), model.expected_purchases_new(T), **same
    )
    np.testing.assert_allclose(
        other.probability_of_purchases(x, k * T), model.probability_of_purchases(x, T), **same
    )
    # the likelihood is a density in the purchase times: -ln k per repeat purchase
    np.testing.assert_allclose(
        other.log_likelihood_per_customer(x, k * t_x, k * T),
        model.log_likelihood_per_customer(x, t_x, T) - x * math.log(k),
        rtol=1e-9,
        atol=1e-9,
    )
    # a duration means the same real time in both
    np.testing.assert_allclose(
        other.expected_purchases("90D", x, k * t_x, k * T),
        model.expected_purchases("90D", x, t_x, T),
        **same,
    )


def test_in_unit_matches_a_fit_on_converted_data(fitted: BetaGeo, daily: Any) -> None:
    refit = BetaGeo.fit(daily)
    converted = fitted.in_unit("D")
    assert refit.time_unit == converted.time_unit == "D"
    for name in ("r", "alpha", "a", "b"):
        assert getattr(converted.params, name) == pytest.approx(
            getattr(refit.params, name), rel=1e-6
        )
    assert converted.log_likelihood == pytest.approx(refit.log_likelihood, rel=1e-10)
    assert converted.log_likelihood == pytest.approx(
        fitted.log_likelihood - daily.frequency.sum() * math.log(7.0), rel=1e-12
    )
    assert converted.aic == pytest.approx(refit.aic, rel=1e-10)
    np.testing.assert_allclose(converted.stderr, refit.stderr, rtol=1e-3)
    assert converted.n_customers == refit.n_customers
    assert converted.diagnostics == fitted.diagnostics
    back = converted.in_unit("W")
    assert back.params.alpha == pytest.approx(fitted.params.alpha, rel=1e-14)
    assert back.log_likelihood == pytest.approx(fitted.log_likelihood, rel=1e-14)


def test_in_unit_errors_and_spend_model(fitted: BetaGeo) -> None:
    with pytest.raises(InvalidInputError, match="has no time unit to convert from"):
        BetaGeo(PUBLISHED).in_unit("D")
    doc = json.loads(fitted.to_json())
    doc["payload"].pop("total_repeat_purchases")
    with pytest.raises(InvalidInputError, match="refit"):
        BetaGeo.from_json(json.dumps(doc)).in_unit("D")
    # built from parameters: nothing to shift
    assert BetaGeo(PUBLISHED, time_unit="W").in_unit("D").log_likelihood is None
    spend = GammaGamma(SPEND, time_unit="W")
    daily = spend.in_unit("D")
    assert daily.time_unit == "D"
    assert daily.params == spend.params


# ----------------------------------------------------------------------- durations
def test_durations_are_read_in_the_models_unit(fitted: BetaGeo) -> None:
    x, t_x, T = 2, 30.43, 38.86
    year = fitted.expected_purchases(WEEKS_PER_YEAR, x, t_x, T)
    for duration in ("1Y", "12M", "365.25D", dt.timedelta(days=365.25)):
        assert fitted.expected_purchases(duration, x, t_x, T) == pytest.approx(year, rel=1e-14)
    assert fitted.expected_purchases(np.timedelta64(14, "D"), x, t_x, T) == pytest.approx(
        fitted.expected_purchases(2.0, x, t_x, T), rel=1e-14
    )
    assert fitted.expected_purchases_new("3W") == fitted.expected_purchases_new(3.0)
    assert fitted.probability_of_purchases(1, "21D") == pytest.approx(
        fitted.probability_of_purchases(1, 3.0), rel=1e-14
    )
    # a bare number keeps meaning "in the model's unit"
    assert fitted.expected_purchases(52, x, t_x, T) == fitted.expected_purchases("52", x, t_x, T)
    with pytest.raises(InvalidInputError, match="the model has no time unit"):
        BetaGeo(PUBLISHED).expected_purchases("1Y", x, t_x, T)
    # ... unless time_unit= says which unit the numbers are in
    unitless = BetaGeo(PUBLISHED)
    assert unitless.expected_purchases("1Y", x, t_x, T, time_unit="W") == pytest.approx(
        unitless.expected_purchases(WEEKS_PER_YEAR, x, t_x, T), rel=1e-14
    )


def test_clv_horizon_and_annual_rate(fitted: BetaGeo, weekly: Any) -> None:
    spend = GammaGamma(SPEND, time_unit="W")
    rate = continuous_discount_rate(0.1, WEEKS_PER_YEAR)
    plain = customer_lifetime_value(
        fitted, spend, weekly, horizon=WEEKS_PER_YEAR, discount_rate=rate
    )
    for horizon in ("1Y", "12M", dt.timedelta(days=365.25), np.timedelta64(8766, "h")):
        np.testing.assert_allclose(
            customer_lifetime_value(
                fitted, spend, weekly, horizon=horizon, annual_discount_rate=0.1
            ),
            plain,
            rtol=1e-12,
        )
    det = discounted_expected_transactions(fitted, weekly, horizon="inf", annual_discount_rate=0.1)
    np.testing.assert_allclose(
        det, discounted_expected_transactions(fitted, weekly, horizon=math.inf, discount_rate=rate)
    )
    # the same real CLV from the daily model on daily numbers
    daily = fitted.in_unit("D")
    np.testing.assert_allclose(
        customer_lifetime_value(
            daily,
            spend.in_unit("D"),
            weekly.frequency,
            7 * weekly.recency,
            7 * weekly.T,
            weekly.monetary_value,
            horizon="1Y",
            annual_discount_rate=0.1,
        ),
        plain,
        rtol=1e-8,
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizon": 52}, "exactly one of discount_rate .* and annual_discount_rate.*neither"),
        ({"horizon": 52, "discount_rate": 0.01, "annual_discount_rate": 0.1}, "got both"),
        ({"horizon": "1Y", "discount_rate": 0.01}, "the model has no time unit"),
        ({"horizon": 52, "annual_discount_rate": 0.1}, "annual_discount_rate=0.1 needs the time"),
        ({"horizon": "12X", "discount_rate": 0.01}, "horizon must be a duration"),
    ],
)
def test_clv_rate_and_duration_errors(kwargs: dict[str, Any], match: str) -> None:
    model, spend = BetaGeo(PUBLISHED), GammaGamma(SPEND)
    with pytest.raises(InvalidInputError, match=match):
        customer_lifetime_value(model, spend, [1], [2.0], [3.0], [10.0], **kwargs)
    with pytest.raises(InvalidInputError, match=match):
        discounted_expected_transactions(model, [1], [2.0], [3.0], **kwargs)


def test_unitless_model_with_time_unit_takes_an_annual_rate() -> None:
    model, spend = BetaGeo(PUBLISHED), GammaGamma(SPEND)
    args = ([1], [2.0], [3.0], [10.0])
    np.testing.assert_allclose(
        customer_lifetime_value(
            model, spend, *args, horizon="1Y", annual_discount_rate=0.1, time_unit="W"
        ),
        customer_lifetime_value(
            model,
            spend,
            *args,
            horizon=WEEKS_PER_YEAR,
            discount_rate=continuous_discount_rate(0.1, WEEKS_PER_YEAR),
        ),
        rtol=1e-14,
    )


def test_score_reads_a_duration_horizon(fitted: BetaGeo, weekly: Any) -> None:
    spend = GammaGamma(SPEND, time_unit="W")
    a = score(weekly, fitted, spend, horizon="1Y", discount_rate=0.002)
    b = score(weekly, fitted, spend, horizon=WEEKS_PER_YEAR, discount_rate=0.002)
    np.testing.assert_allclose(a["clv"], b["clv"], rtol=1e-14)


def test_lifetimes_clv_checks_freq_against_the_model(fitted: BetaGeo, weekly: Any) -> None:
    from custvalue.clv import lifetimes_customer_lifetime_value

    spend = GammaGamma(SPEND)
    args = (weekly.frequency, weekly.recency, weekly.T, weekly.monetary_value)
    with pytest.raises(InvalidInputError, match="freq= is in 'D' but the BetaGeo model is in 'W'"):
        lifetimes_customer_lifetime_value(fitted, spend, *args, freq="D")
    weekly_clv = lifetimes_customer_lifetime_value(fitted, spend, *args, freq="W")
    assert np.all(np.isfinite(weekly_clv))
    assert repr(GammaGamma(SPEND, time_unit="W")).endswith("time_unit='W')")
