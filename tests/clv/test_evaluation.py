"""clv.evaluate / HoldoutReport: hand-computed values, direct computations, oracles (scipy,
lifetimes), a simulation check of the aggregate error and bad input."""

from __future__ import annotations

import functools
import math
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats
from strategies import transaction_logs

from custvalue import calibration_holdout_split, summarize_transactions
from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    HoldoutReport,
    evaluate,
)
from custvalue.clv.evaluation import expected_repeat_transactions, period_last_days
from custvalue.clv.simulate import simulate_bgnbd
from custvalue.datasets import load_cdnow_sample
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import CalibrationHoldout, CustomerSummary

PARAMS = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW weeks
BG = BetaGeo(PARAMS, time_unit="W")


@attrs.frozen
class _PoissonParams:
    rate: float

    def as_array(self) -> np.ndarray:
        return np.array([self.rate])


@attrs.frozen
class Poisson:
    """A toy purchase model: Poisson purchases at ``rate`` per day, never dropping out. Every
    prediction is a closed form, so the report's numbers can be checked by hand."""

    params: _PoissonParams
    time_unit: str = "D"

    def expected_purchases(self, t: Any, x: Any, tx: Any, T: Any) -> np.ndarray:
        return np.broadcast_to(self.params.rate * np.asarray(t, dtype=float), np.shape(x)) + 0.0

    def probability_alive(self, x: Any, tx: Any, T: Any) -> np.ndarray:
        return np.full(np.shape(x), 0.5)

    def expected_purchases_new(self, t: Any) -> np.ndarray:
        return self.params.rate * np.asarray(t, dtype=float)

    def probability_of_purchases(self, n: Any, t: Any) -> np.ndarray:
        return np.asarray(stats.poisson.pmf(n, self.params.rate * np.asarray(t)), dtype=float)


# customer a: first 01-01, repeat 01-03 (twice, one day), holdout 01-06 and 01-08
# customer b: first 01-02, no repeat, holdout none
# customer c: first 01-04, repeat 01-05; holdout 01-06
# customer d: first seen in the holdout (01-07): dropped
IDS = ["a", "a", "a", "a", "a", "b", "c", "c", "c", "d"]
DATES = [
    "2024-01-01", "2024-01-03", "2024-01-03", "2024-01-06", "2024-01-08",
    "2024-01-02", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07",
]  # fmt: skip
AMOUNTS = [10.0, 20.0, 5.0, 8.0, 4.0, 7.0, 30.0, 10.0, 6.0, 1.0]


def _small() -> CalibrationHoldout:
    return calibration_holdout_split(
        IDS, DATES, AMOUNTS, calibration_end="2024-01-05", observation_end="2024-01-08"
    )


def test_split_records_repeat_purchases_per_day() -> None:
    split = _small()
    # days 01-01 .. 01-08; repeat days: a on 03, 06, 08; c on 05, 06 (d is not a customer)
    assert split.repeat_purchases_per_day is not None
    assert split.repeat_purchases_per_day.tolist() == [0, 0, 1, 0, 1, 2, 0, 1]
    assert CalibrationHoldout.from_json(split.to_json()).repeat_purchases_per_day is not None


def test_small_case_by_hand() -> None:
    model = Poisson(_PoissonParams(0.25))
    report = evaluate(model, _small(), periods="2D")
    assert report.customer_id.tolist() == ["a", "b", "c"]
    assert report.frequency.tolist() == [1, 0, 1]
    assert report.T.tolist() == [4.0, 3.0, 1.0]
    assert report.holdout_duration == 3.0
    # 3 holdout days at 0.25/day
    assert report.predicted_purchases.tolist() == [0.75, 0.75, 0.75]
    assert report.actual_purchases.tolist() == [2, 0, 1]
    # residuals -1.25, 0.75, -0.25
    assert report.bias == pytest.approx(-0.75 / 3)
    assert report.mae == pytest.approx(2.25 / 3)
    assert report.rmse == pytest.approx(math.sqrt((1.5625 + 0.5625 + 0.0625) / 3))
    assert report.aggregate_error_percent == pytest.approx(100 * (2.25 - 3) / 3)
    assert math.isnan(report.correlation)  # constant predictions
    # Brier: P(alive) 0.5 each, y = 1, 0, 1 -> 0.25
    assert report.brier_score == 0.25
    freq = report.to_columns("frequency")
    assert freq["frequency"].tolist() == ["0", "1"]
    assert freq["n_customers"].tolist() == [1, 2]
    assert freq["mean_actual"].tolist() == [0.0, 1.5]
    assert freq["mean_predicted"].tolist() == [0.75, 0.75]
    # tracking on 2-day periods from 01-01: ends 01-02, 01-04, 01-06, 01-08
    track = report.to_columns("tracking")
    assert track["last_day"].tolist() == ["2024-01-02", "2024-01-04", "2024-01-06", "2024-01-08"]
    assert track["actual_cumulative"].tolist() == [0.0, 1.0, 4.0, 5.0]
    # ages (last day - first day) of a (01-01), b (01-02), c (01-04): 1,0,0; 3,2,0; 5,4,2; 7,6,4
    ages = np.array([1, 3 + 2, 5 + 4 + 2, 7 + 6 + 4], dtype=float)
    np.testing.assert_allclose(track["expected_cumulative"], 0.25 * ages)
    np.testing.assert_allclose(track["expected"], 0.25 * np.diff(ages, prepend=0.0))
    assert report.calibration_periods == 2
    # tracking MAPE over the holdout periods (ending 01-06 and 01-08): actual 3 and 1
    mape = 100 * (abs(0.25 * 6 - 3) / 3 + abs(0.25 * 6 - 1) / 1) / 2
    assert report.tracking_mape == pytest.approx(mape)
    # histogram: ages 4, 3, 1 days; expected P(X = n) summed; last bin 7+ the rest
    hist = report.to_columns("histogram")
    assert hist["actual"].tolist() == [1.0, 2.0, 0, 0, 0, 0, 0, 0]
    p = sum(stats.poisson.pmf(np.arange(7), 0.25 * t) for t in (4.0, 3.0, 1.0))
    np.testing.assert_allclose(hist["expected"][:7], p)
    assert hist["expected"].sum() == pytest.approx(3.0)
    # 3 customers: every bin merges into one, df = 1 - 1 - 1 < 1: no test
    assert report.chi_square_df == -1
    assert math.isnan(report.chi_square_p_value)


def test_spend_model() -> None:
    split = _small()
    gg = GammaGamma(GammaGammaParams(6.25, 3.74, 15.44))
    report = evaluate(Poisson(_PoissonParams(0.25)), split, spend_model=gg)
    cal = split.calibration
    expected = 0.75 * gg.expected_spend(cal.frequency, cal.monetary_value)
    assert report.predicted_spend is not None
    assert report.actual_spend is not None
    np.testing.assert_allclose(report.predicted_spend, expected)
    assert report.actual_spend.tolist() == [12.0, 0.0, 6.0]
    assert list(report.to_columns())[-2:] == ["predicted_spend", "actual_spend"]


@functools.cache
def _cdnow() -> tuple[CalibrationHoldout, BetaGeo, HoldoutReport]:
    log = load_cdnow_sample()
    split = calibration_holdout_split(
        log.customer_id, log.date, log.amount, calibration_end="1997-09-30", time_unit="W"
    )
    model = BetaGeo.fit(split.calibration)
    return split, model, evaluate(model, split)


def test_grouped_table_against_a_direct_computation() -> None:
    split, model, report = _cdnow()
    cal = split.calibration
    pred = model.expected_purchases(split.holdout_duration, cal)
    table = report.to_columns("frequency")
    for i, label in enumerate(table["frequency"].tolist()):
        members = cal.frequency >= 7 if label == "7+" else cal.frequency == int(label)
        assert table["n_customers"][i] == members.sum()
        assert table["mean_predicted"][i] == pytest.approx(pred[members].mean(), rel=1e-12)
        assert table["mean_actual"][i] == pytest.approx(split.holdout_frequency[members].mean())
    assert table["n_customers"].sum() == cal.n_customers
    r = np.corrcoef(pred, split.holdout_frequency)[0, 1]
    assert report.correlation == pytest.approx(r)


def test_chi_square_against_scipy_on_the_same_bins() -> None:
    _, _model, report = _cdnow()
    hist = report.to_columns("histogram")
    # CDNOW: every bin expects >= 5 customers, so no merging: 8 bins, 4 parameters
    assert (hist["expected"] >= 5).all()
    scipy_chi = stats.chisquare(hist["actual"], hist["expected"], ddof=4)
    assert report.chi_square == pytest.approx(scipy_chi.statistic, rel=1e-12)
    assert report.chi_square_p_value == pytest.approx(scipy_chi.pvalue, rel=1e-10)
    assert report.chi_square_df == 8 - 1 - 4


def test_chi_square_merges_bins_expecting_fewer_than_five() -> None:
    _, _model, report = _cdnow()
    # the same report on 300 customers: the tail bins expect < 5 and merge
    n = 300
    small = attrs.evolve(
        report,
        customer_id=report.customer_id[:n],
        frequency=report.frequency[:n],
        T=report.T[:n],
        predicted_purchases=report.predicted_purchases[:n],
        actual_purchases=report.actual_purchases[:n],
        probability_alive=report.probability_alive[:n],
        histogram_expected=report.histogram_expected * (n / report.n_customers),
    )
    e, o = small.histogram_expected, small.histogram_actual
    bins_e, bins_o, acc_e, acc_o = [], [], 0.0, 0.0
    for ei, oi in zip(e, o, strict=True):
        acc_e, acc_o = acc_e + ei, acc_o + oi
        if acc_e >= 5:
            bins_e.append(acc_e)
            bins_o.append(acc_o)
            acc_e = acc_o = 0.0
    bins_e[-1] += acc_e
    bins_o[-1] += acc_o
    assert len(bins_e) < 8
    assert min(bins_e) >= 5
    ref = stats.chisquare(bins_o, bins_e, ddof=4)
    assert small.chi_square == pytest.approx(ref.statistic, rel=1e-12)
    assert small.chi_square_df == len(bins_e) - 5
    if small.chi_square_df >= 1:
        assert small.chi_square_p_value == pytest.approx(ref.pvalue, rel=1e-10)


def test_probability_alive_calibration_table() -> None:
    _, _model, report = _cdnow()
    table = report.to_columns("calibration")
    assert table["n_customers"].sum() == report.n_customers
    assert table["n_customers"].max() - table["n_customers"].min() <= 1
    order = np.argsort(report.probability_alive, kind="stable")
    first = order[: table["n_customers"][0]]
    assert table["mean_probability_alive"][0] == report.probability_alive[first].mean()
    bought = report.actual_purchases[first] > 0
    assert table["share_with_holdout_purchase"][0] == bought.mean()
    assert np.all(np.diff(table["mean_probability_alive"]) >= 0)
    y = report.actual_purchases > 0
    assert report.brier_score == pytest.approx(np.mean((report.probability_alive - y) ** 2))


def test_json_round_trip_is_exact() -> None:
    _, _, report = _cdnow()
    again = HoldoutReport.from_json(report.to_json())
    assert again.to_json() == report.to_json()
    for field in attrs.fields(HoldoutReport):
        a, b = getattr(report, field.name), getattr(again, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, field.name
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b, field.name


def test_tracking_matches_lifetimes_expected_cumulative_transactions() -> None:
    pd = pytest.importorskip("pandas")
    utils = pytest.importorskip("lifetimes.utils")
    lifetimes = pytest.importorskip("lifetimes")
    log = load_cdnow_sample()
    keep = log.customer_id < 300
    ids, dates = log.customer_id[keep], log.date[keep]
    daily = BG.in_unit("D")
    split = calibration_holdout_split(
        ids, dates, calibration_end="1997-09-30", observation_end="1997-12-31", time_unit="D"
    )
    report = evaluate(daily, split, periods="D")
    in_split = np.isin(ids, split.calibration.customer_id)  # customers of the calibration
    frame = pd.DataFrame({"id": ids[in_split], "date": dates[in_split]})
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(attrs.asdict(daily.params))
    t = report.tracking_last_day.size
    ref = utils.expected_cumulative_transactions(fitter, frame, "date", "id", t, freq="D")
    np.testing.assert_array_equal(report.tracking_actual, ref["actual"].to_numpy())
    # lifetimes evaluates the cohorts one day later (age = last day + 1 - first day): the
    # same computation at the next day's end gives its numbers
    first = np.datetime64("1997-09-30") - np.rint(split.calibration.T).astype("timedelta64[D]")
    last = report.tracking_last_day.astype(np.int64)
    shifted = expected_repeat_transactions(
        daily.expected_purchases_new, first.astype(np.int64), last + 1, 1.0
    )
    np.testing.assert_allclose(shifted, ref["predicted"].to_numpy(), rtol=1e-10)
    ours = expected_repeat_transactions(
        daily.expected_purchases_new, first.astype(np.int64), last, 1.0
    )
    np.testing.assert_allclose(report.tracking_expected, ours, rtol=1e-12)


def test_day_resolution_ages_follow_the_last_day_minus_first_day_convention() -> None:
    # purchases simulated in continuous time from the start of the first day, recorded by day
    # (merged within a day, the first day included); observed through the end of day 7
    n = 200_000
    day = simulate_bgnbd(PARAMS, np.full(n, 7 / 7), rng=3, resolution=1 / 7)
    mean = day.frequency.mean()
    se = day.frequency.std() / math.sqrt(n)
    ours = float(BG.expected_purchases_new(6 / 7))  # last day - first day = 6
    theirs = float(BG.expected_purchases_new(7 / 7))  # last day + 1 - first day = 7
    assert abs(mean - ours) < 5 * se
    assert abs(mean - theirs) > 15 * se


def test_aggregate_error_is_zero_on_data_from_the_model() -> None:
    n = 20_000
    T = np.full(n, 39.0)
    sim = simulate_bgnbd(PARAMS, T, rng=11, horizon=39.0)
    cal = CustomerSummary(
        customer_id=np.arange(n),
        frequency=sim.frequency,
        recency=sim.recency,
        T=T,
        monetary_value=None,
        observation_end=np.datetime64("2020-09-28"),
        time_unit="W",
    )
    split = CalibrationHoldout(
        calibration=cal,
        holdout_frequency=sim.holdout_frequency,
        holdout_spend=None,
        observation_end=np.datetime64("2020-09-28") + np.timedelta64(273, "D"),
        repeat_purchases_per_day=np.zeros(546, dtype=np.int64),  # tracking not checked here
    )
    report = evaluate(BG, split)
    resid = report.predicted_purchases - report.actual_purchases
    se_total = resid.std() * math.sqrt(n)
    z = resid.sum() / se_total
    assert abs(z) < 4, z
    se_percent = 100 * se_total / report.actual_purchases.sum()
    assert abs(report.aggregate_error_percent) < 4 * se_percent
    # the check has power: a model with the wrong dropout (b 2.43 -> 1.5) is far off
    wrong = evaluate(BetaGeo(attrs.evolve(PARAMS, b=1.5), time_unit="W"), split)
    resid = wrong.predicted_purchases - wrong.actual_purchases
    assert abs(resid.sum() / (resid.std() * math.sqrt(n))) > 6


def test_bad_input_is_named() -> None:
    split = _small()
    with pytest.raises(InvalidInputError, match=r"time unit 'W'.*'D'"):
        evaluate(BG, split)
    with pytest.raises(InvalidTypeError, match="calibration_holdout must be a CalibrationHoldout"):
        evaluate(BG, summarize_transactions(IDS, DATES, time_unit="W"))  # type: ignore[arg-type]
    bare = attrs.evolve(split, repeat_purchases_per_day=None)
    with pytest.raises(InvalidInputError, match="repeat_purchases_per_day"):
        evaluate(BG.in_unit("D"), bare)
    no_amounts = calibration_holdout_split(
        IDS, DATES, calibration_end="2024-01-05", observation_end="2024-01-08"
    )
    with pytest.raises(InvalidInputError, match="spend_model needs amounts"):
        evaluate(BG.in_unit("D"), no_amounts, spend_model=object())
    with pytest.raises(InvalidTypeError, match="expected_purchases"):
        evaluate(object(), split)
    with pytest.raises(InvalidInputError, match="periods"):
        evaluate(BG.in_unit("D"), split, periods="M")
    with pytest.raises(InvalidInputError, match="table must be one of"):
        evaluate(BG.in_unit("D"), split).to_columns("nope")  # type: ignore[arg-type]


def test_period_grid_keeps_whole_periods() -> None:
    assert period_last_days(0, 13, 7.0).tolist() == [6, 13]
    assert period_last_days(0, 12, 7.0).tolist() == [6]
    assert period_last_days(0, 5, 7.0).tolist() == []


@given(log=transaction_logs(), data=st.data())
def test_report_agrees_with_the_log(log: dict[str, Any], data: st.DataObject) -> None:
    first, end = log["date"].min(), log["observation_end"]
    assume(end > first)
    cal_end = first + np.timedelta64(data.draw(st.integers(0, int((end - first).astype(int)) - 1)))
    split = calibration_holdout_split(
        log["customer_id"], log["date"], calibration_end=cal_end, observation_end=end
    )
    report = evaluate(Poisson(_PoissonParams(0.1)), split, periods="D")
    cal = split.calibration
    n = cal.n_customers
    # daily periods from the first purchase day to the end: the last one counts every repeat
    # purchase day, calibration and holdout; the calibration periods count the calibration ones
    assert report.tracking_last_day[-1] == end
    assert report.tracking_actual[-1] == cal.frequency.sum() + split.holdout_frequency.sum()
    assert report.tracking_actual[report.calibration_periods - 1] == cal.frequency.sum()
    firsts = cal_end - cal.T.astype("timedelta64[D]")
    ages = (report.tracking_last_day[:, None] - firsts[None, :]).astype(float)
    np.testing.assert_allclose(report.tracking_expected, 0.1 * np.clip(ages, 0, None).sum(1))
    assert report.to_columns("frequency")["n_customers"].sum() == n
    assert report.histogram_actual.sum() == n
    assert report.histogram_expected.sum() == pytest.approx(n)
    assert HoldoutReport.from_json(report.to_json()).to_json() == report.to_json()
