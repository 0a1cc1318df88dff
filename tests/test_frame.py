"""DataFrames in and out (custvalue.frame): pandas and Polars give the array results exactly."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from strategies import transaction_logs

from custvalue import lifecycle as lc
from custvalue import segments as sg
from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    customer_lifetime_value,
    score,
)
from custvalue.datasets import load_cdnow_sample, load_cdnow_summary
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.frame import summarize_frame, to_frame
from custvalue.summary import summarize_transactions

pytest.importorskip("narwhals")  # custvalue.frame imports it only when used

BACKENDS = ["pandas", "polars"]
BG = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))  # FHL 2005, CDNOW weeks
GG = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))  # Fader & Hardie 2013
RATE = math.log(1.1) / 52


def _frame(backend: str, columns: dict[str, object]) -> object:
    lib = pytest.importorskip(backend)
    return lib.DataFrame(columns)


def _column(frame: object, name: str) -> np.ndarray:
    return np.asarray(frame[name])  # type: ignore[index]


def _cdnow_frame(backend: str) -> object:
    log = load_cdnow_sample()
    return _frame(backend, {"cid": log.customer_id, "when": log.date, "amount": log.amount})


# ----------------------------------------------------------------------- summarize (data=)
@pytest.mark.parametrize("backend", BACKENDS)
def test_summarize_data_matches_arrays_on_cdnow(backend: str) -> None:
    frame = _cdnow_frame(backend)
    out = summarize_transactions(
        "cid", "when", "amount", data=frame, observation_end="1997-09-30", time_unit="W"
    )
    assert type(out) is type(frame)  # pandas in -> pandas out, Polars in -> Polars out
    assert list(out.columns) == ["cid", "frequency", "recency", "T", "monetary_value"]
    expected = load_cdnow_summary()
    np.testing.assert_array_equal(_column(out, "cid"), expected.customer_id)
    np.testing.assert_array_equal(_column(out, "frequency"), expected.frequency)
    np.testing.assert_array_equal(_column(out, "recency"), expected.recency)
    np.testing.assert_array_equal(_column(out, "T"), expected.T)
    np.testing.assert_array_equal(_column(out, "monetary_value"), expected.monetary_value)
    assert int(_column(out, "frequency").sum()) == 2457  # FHL 2005: repeat purchases, 39 weeks


@pytest.mark.parametrize("backend", BACKENDS)
@given(log=transaction_logs(with_times=True))
def test_summarize_data_equals_array_call(backend: str, log: dict[str, np.ndarray]) -> None:
    ids = np.char.add("c", log["customer_id"].astype(str))  # string ids stay strings
    when = log["date"].astype("datetime64[ms]")  # Polars does not build from seconds
    frame = _frame(backend, {"id": ids, "t": when, "x": log["monetary"]})
    end = log["observation_end"]
    out = summarize_transactions("id", "t", "x", data=frame, observation_end=end, time_unit="W")
    ref = summarize_transactions(
        ids, log["date"], log["monetary"], observation_end=end, time_unit="W"
    )
    np.testing.assert_array_equal(_column(out, "id").astype(str), ref.customer_id)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(_column(out, name), getattr(ref, name))


def test_summarize_data_without_amounts_and_with_a_shuffled_pandas_index() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"who": ["b", "a", "a", "b", "a"], "day": ["2024-01-03", "2024-01-01", "2024-01-08",
                                                  "2024-01-03", "2024-01-15"]},
        index=[40, 10, 30, 20, 0],
    )  # fmt: skip
    out = summarize_transactions("who", "day", data=frame, observation_end="2024-01-29")
    assert list(out.columns) == ["who", "frequency", "recency", "T"]
    assert out["who"].tolist() == ["a", "b"]
    assert out["frequency"].tolist() == [2, 0]
    assert out["recency"].tolist() == [14.0, 0.0]
    assert out["T"].tolist() == [28.0, 26.0]


def test_summarize_data_errors() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"cid": [1, 2], "when": ["2024-01-01", "2024-01-02"]})
    with pytest.raises(InvalidInputError, match=r"date: column 'date' is not in the frame"):
        summarize_transactions("cid", "date", data=frame)
    with pytest.raises(InvalidTypeError, match="customer_id must be a column name"):
        summarize_transactions([1, 2], "when", data=frame)  # type: ignore[call-overload]
    with pytest.raises(InvalidTypeError, match="eager DataFrame"):
        summarize_transactions("cid", "when", data={"cid": [1]})
    with pytest.raises(InvalidTypeError, match="date must be dates"):  # array-path validation
        summarize_transactions("cid", "cid", data=frame)


def test_lazy_polars_frame_is_refused_with_a_hint() -> None:
    pl = pytest.importorskip("polars")
    lazy = pl.DataFrame({"cid": [1], "when": ["2024-01-01"]}).lazy()
    with pytest.raises(InvalidTypeError, match=r"\.collect\(\)"):
        summarize_frame(lazy, "cid", "when")


def test_missing_narwhals_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    pd = pytest.importorskip("pandas")
    monkeypatch.setitem(sys.modules, "narwhals.stable.v1", None)  # import now fails
    frame = pd.DataFrame({"cid": [1], "when": ["2024-01-01"]})
    with pytest.raises(ImportError, match=r"custvalue\[dataframe\]"):
        summarize_transactions("cid", "when", data=frame)


# ----------------------------------------------------------------------- score
@pytest.mark.parametrize("backend", BACKENDS)
def test_score_frame_adds_every_output_and_keeps_rows(backend: str) -> None:
    s = load_cdnow_summary()
    rng = np.random.default_rng(7)
    order = rng.permutation(s.n_customers)[:300]  # any row order, any subset
    cols = {k: v[order] for k, v in s.to_columns().items()}
    frame = _frame(backend, {"cust": cols.pop("customer_id"), **cols})
    before = {name: _column(frame, name).copy() for name in frame.columns}
    out = score(frame, BG, GG, horizon=52.0, discount_rate=RATE)
    # the caller's frame is not modified: same columns, same values
    assert list(frame.columns) == list(before)
    for name, values in before.items():
        np.testing.assert_array_equal(_column(frame, name), values)
    assert type(out) is type(frame)
    assert list(out.columns) == [
        "cust", "frequency", "recency", "T", "monetary_value",
        "p_alive", "expected_purchases", "discounted_purchases", "expected_spend", "clv",
    ]  # fmt: skip
    x, t_x, age, m = (cols[k] for k in ("frequency", "recency", "T", "monetary_value"))
    np.testing.assert_array_equal(_column(out, "cust"), s.customer_id[order])
    np.testing.assert_allclose(_column(out, "p_alive"), BG.probability_alive(x, t_x, age))
    np.testing.assert_allclose(
        _column(out, "expected_purchases"), BG.expected_purchases(52.0, x, t_x, age)
    )
    np.testing.assert_allclose(_column(out, "expected_spend"), GG.expected_spend(x, m))
    clv = customer_lifetime_value(BG, GG, x, t_x, age, m, horizon=52.0, discount_rate=RATE)
    np.testing.assert_allclose(_column(out, "clv"), clv, rtol=1e-12)
    # discounting only lowers the count, by at most the factor exp(-rate * horizon)
    det, e = _column(out, "discounted_purchases"), _column(out, "expected_purchases")
    assert np.all(det <= e + 1e-12)
    assert np.all(det >= math.exp(-RATE * 52.0) * e - 1e-12)


def test_score_customer_summary_gives_arrays_with_published_values() -> None:
    out = score(load_cdnow_summary(), BG, GG, horizon=39.0, discount_rate=0.0)
    assert isinstance(out, dict)
    assert round(float(out["p_alive"][0]), 4) == 0.7266  # FHL 2008 note, customer 1
    # undiscounted: DET(h) is E[X(h)]; customer 1 (x=2, t_x=30.43, T=38.86): 1.226 in 39 weeks
    assert round(float(out["expected_purchases"][0]), 3) == 1.226
    np.testing.assert_array_equal(out["discounted_purchases"], out["expected_purchases"])
    np.testing.assert_allclose(out["clv"], out["expected_spend"] * out["expected_purchases"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_score_options_and_errors(backend: str) -> None:
    frame = _frame(backend, {"x": [0, 2], "tx": [0.0, 30.43], "age": [38.86, 38.86]})
    cols = {"frequency": "x", "recency": "tx", "T": "age"}
    out = score(frame, BG, horizon=math.inf, discount_rate=RATE, columns=cols)
    # infinite horizon: no undiscounted count; no spend model: no spend or CLV
    assert list(out.columns) == ["x", "tx", "age", "p_alive", "discounted_purchases"]
    assert np.all(_column(out, "discounted_purchases") > 0)
    with pytest.raises(InvalidInputError, match="monetary_value: column 'monetary_value'"):
        score(frame, BG, GG, horizon=1.0, discount_rate=RATE, columns=cols)
    with pytest.raises(InvalidInputError, match="unknown key 'age'"):
        score(frame, BG, horizon=1.0, discount_rate=RATE, columns={"age": "age"})
    clash = score(frame, BG, horizon=1.0, discount_rate=RATE, columns=cols)
    with pytest.raises(InvalidInputError, match="already has column"):
        score(clash, BG, horizon=1.0, discount_rate=RATE, columns=cols)
    bad = _frame(backend, {"frequency": [1.5], "recency": [1.0], "T": [2.0]})
    with pytest.raises(InvalidInputError, match="frequency"):
        score(bad, BG, horizon=1.0, discount_rate=RATE)


# ----------------------------------------------------------------------- to_frame
@pytest.mark.parametrize("backend", BACKENDS)
def test_to_frame_segment_results(backend: str) -> None:
    pytest.importorskip(backend)
    revenue = np.array([900.0, 400, 300, 200, 150, 120, 100, 90, 60, 40])
    pyramid = sg.customer_pyramid(revenue, np.full(10, 100.0))
    table = to_frame(pyramid.table, backend)
    assert list(table.columns) == [
        "segment", "count", "customer_share", "profit_total", "profit_share", "profit_mean",
        "revenue_total", "cost_total",
    ]  # fmt: skip
    assert _column(table, "segment").tolist() == ["Platinum", "Gold", "Iron", "Lead"]
    assert _column(table, "count").tolist() == [2, 3, 2, 3]
    np.testing.assert_allclose(_column(table, "profit_total").sum(), revenue.sum() - 1000.0)
    per_customer = to_frame(pyramid, backend, customer_id=np.arange(10) + 100)
    assert list(per_customer.columns) == ["customer_id", "tier", "profit"]
    assert _column(per_customer, "tier").tolist()[:3] == ["Platinum", "Platinum", "Gold"]
    curve = to_frame(sg.lorenz_curve(revenue), backend)
    assert len(curve) == 11
    assert _column(curve, "value_share")[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_to_frame_bootstrap_replicates(backend: str) -> None:
    pytest.importorskip(backend)
    from custvalue.clv import GammaGamma, bootstrap
    from custvalue.datasets import load_cdnow_summary

    s = load_cdnow_summary()
    boot = bootstrap(GammaGamma, s.frequency, s.monetary_value, n_resamples=4, rng=3)
    frame = to_frame(boot, backend)
    assert list(frame.columns) == ["p", "q", "gamma", "converged"]
    np.testing.assert_array_equal(_column(frame, "q"), boot.params[:, 1])
    assert _column(frame, "converged").tolist() == [True] * 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_to_frame_lifecycle_results(backend: str) -> None:
    pytest.importorskip(backend)
    P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
    model = lc.MigrationModel(P)
    long = to_frame(model, backend)
    assert len(long) == 16
    assert _column(long, "from_stage")[:4].tolist() == ["ACQUIRE"] * 4
    assert _column(long, "to_stage")[:4].tolist() == ["ACQUIRE", "RETAIN", "RECOVER", "TERMINATE"]
    np.testing.assert_array_equal(_column(long, "probability").reshape(4, 4), np.asarray(P))
    value = to_frame(model.value([0.0, 100.0, 20.0, 0.0], discount_rate=0.1), backend)
    np.testing.assert_allclose(_column(value, "value"), [296.0, 542.67, 264.0, 0.0], atol=0.005)
    tree = lc.RepurchaseTree(0.3, 0.4, 0.3, 0.4, 0.3, 0.9, 0.6, 0.85, 0.7, 0.2)
    leaves = to_frame(tree, backend)
    assert _column(leaves, "leaf").tolist() == list(lc.LEAVES)
    assert _column(leaves, "lost_share").sum() == pytest.approx(tree.no_intent_share)


@pytest.mark.parametrize("backend", BACKENDS)
def test_to_frame_stage_history_long_format(backend: str) -> None:
    pytest.importorskip(backend)
    history = lc.stage_history(
        [1, 1, 2, 3, 3, 3],
        ["2024-01-01", "2024-02-20", "2024-03-01", "2024-01-05", "2024-01-20", "2024-04-01"],
        ["2024-01-31", "2024-03-31", "2024-04-30"],
        p_alive=BG,
    )
    out = to_frame(history, backend)
    assert list(out.columns) == ["customer_id", "cutoff", "stage", "reason", "routed"]
    assert len(out) == int((history.stages >= 0).sum()) == 8  # customer 2 joins in March
    counts = history.stage_counts()
    stage = _column(out, "stage").astype(str)
    for j, name in enumerate(s.name for s in lc.Stage):
        assert int((stage == name).sum()) == int(counts[:, j].sum())


def test_to_frame_summary_dict_and_errors() -> None:
    pl = pytest.importorskip("polars")
    out = to_frame(load_cdnow_summary(), "polars")
    assert isinstance(out, pl.DataFrame)
    assert out.shape == (2357, 5)
    scored = to_frame(score(load_cdnow_summary(), BG, horizon=1.0, discount_rate=0.0), "polars")
    assert "p_alive" in scored.columns
    pa = pytest.importorskip("pyarrow")
    table = to_frame(sg.lorenz_curve([1.0, 3.0]), pa)
    assert isinstance(table, pa.Table)
    assert table.column("value_share").to_pylist() == [0.0, 0.25, 1.0]
    with pytest.raises(ImportError, match="'no_such_frame_library' is not installed"):
        to_frame(sg.lorenz_curve([1.0]), "no_such_frame_library")
    with pytest.raises(InvalidTypeError, match=r"to_columns\(\) method.*; got int"):
        to_frame(3)
    with pytest.raises(InvalidInputError, match="column 'b' has 1 rows; the columns before"):
        to_frame({"a": [1, 2], "b": [1]})
    with pytest.raises(
        InvalidInputError, match=r"customer_id must have shape \(3,\); got \(2357,\)"
    ):
        to_frame(sg.lorenz_curve([1.0, 2.0]), customer_id=np.arange(2357))


def test_score_keeps_a_pandas_index_and_aligns_by_position() -> None:
    pd = pytest.importorskip("pandas")
    x, t_x, age = [2, 0, 1], [30.43, 0.0, 5.0], [38.86, 38.86, 20.0]
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age}, index=[7, 3, 5])
    out = score(frame, BG, horizon=10.0, discount_rate=0.0)
    assert out.index.tolist() == [7, 3, 5]
    np.testing.assert_allclose(out["p_alive"].to_numpy(), BG.probability_alive(x, t_x, age))
