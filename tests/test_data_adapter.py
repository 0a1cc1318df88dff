"""``data=``: every public function that takes per-customer or per-transaction columns accepts a
pandas / Polars / PyArrow frame through the one adapter (``custvalue._frames.accepts_data``) and
gives exactly what it gives for the same columns as arrays (issues 12 and 16).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest

import custvalue
from custvalue import plot, segments
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import calibration_holdout_split, summarize_transactions

pytest.importorskip("narwhals")

N = 12
RNG = np.random.default_rng(7)
CUSTOMER = {
    "revenue": RNG.uniform(10, 100, N),
    "cost": RNG.uniform(0, 20, N),
    "acq": RNG.uniform(0, 5, N),
    "since": RNG.integers(0, 50, N).astype(float),
    "count": RNG.integers(1, 6, N).astype(float),
    "spend": RNG.uniform(1, 500, N),
    "share": RNG.uniform(0.05, 1.0, N),
    "p": RNG.uniform(0, 1, N),
    "sat": RNG.integers(1, 6, N).astype(float),
    "loy": RNG.integers(1, 6, N).astype(float),
    "tier": np.arange(N) % 4,
    "category": RNG.uniform(500, 1000, N),
}
LOG = {
    "cid": np.array(["b", "a", "b", "c", "a", "a", "c", "b"]),
    "day": np.array(
        [
            *("2024-01-03", "2024-01-01", "2024-01-20", "2024-01-05"),
            *("2024-01-09", "2024-02-02", "2024-02-10", "2024-02-12"),
        ]
    ),
    "amount": np.array([5.0, 10.0, 8.0, 3.0, 7.0, 2.0, 4.0, 6.0]),
}

# function -> (column arguments: argument name -> column, other keyword arguments)
CASES: dict[str, tuple[Callable[..., Any], dict[str, str], dict[str, Any]]] = {
    "lorenz_curve": (segments.lorenz_curve, {"values": "spend"}, {}),
    "gini": (segments.gini, {"values": "spend"}, {}),
    "top_share": (segments.top_share, {"values": "spend"}, {}),
    "satisfaction_loyalty_quadrants": (
        segments.satisfaction_loyalty_quadrants,
        {"satisfaction": "sat", "loyalty": "loy", "value": "spend"},
        {},
    ),
    "loyalty_ladder": (segments.loyalty_ladder, {"purchase_count": "count", "value": "spend"}, {}),
    "predicted_value_segments": (
        segments.predicted_value_segments,
        {"predicted_value": "spend", "p_alive": "p"},
        {},
    ),
    "customer_profit": (
        segments.customer_profit,
        {"revenue": "revenue", "cost_to_serve": "cost", "acquisition_cost": "acq"},
        {},
    ),
    "pyramid_tiers": (segments.pyramid_tiers, {"profit": "spend"}, {}),
    "tier_profiles": (
        segments.tier_profiles,
        {"tiers": "tier", "revenue": "revenue", "cost": "cost"},
        {},
    ),
    "customer_pyramid": (
        segments.customer_pyramid,
        {"revenue": "revenue", "cost_to_serve": "cost"},
        {},
    ),
    "rfm_scores": (
        segments.rfm_scores,
        {"time_since_last_purchase": "since", "purchase_count": "count", "total_spend": "spend"},
        {"k": 3},
    ),
    "share_of_wallet": (
        segments.share_of_wallet,
        {"firm_spend": "spend", "category_spend": "category"},
        {},
    ),
    "market_share": (
        segments.market_share,
        {"firm_spend": "spend", "category_spend": "category"},
        {},
    ),
    "potential_value": (
        segments.potential_value,
        {"actual_value": "spend", "wallet_share": "share"},
        {},
    ),
    "value_classes": (
        segments.value_classes,
        {"actual_value": "spend", "wallet_share": "share"},
        {},
    ),
    "calibration_holdout_split": (
        calibration_holdout_split,
        {"customer_id": "cid", "date": "day", "monetary": "amount"},
        {"calibration_end": "2024-01-25", "returns": "net"},
    ),
}


def _same(a: Any, b: Any) -> None:
    """Recursive equality of results: arrays, attrs classes, tuples, scalars."""
    if attrs.has(type(a)):
        assert type(a) is type(b)
        for field in attrs.fields(type(a)):
            _same(getattr(a, field.name), getattr(b, field.name))
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b or (a != a and b != b)


def _frames(columns: dict[str, np.ndarray]) -> list[Any]:
    out = []
    for name in ("pandas", "polars", "pyarrow"):
        lib = pytest.importorskip(name)
        if name == "pyarrow":
            out.append(lib.table({k: lib.array(v) for k, v in columns.items()}))
        else:
            out.append(lib.DataFrame(columns))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_data_gives_what_the_arrays_give(name: str) -> None:
    func, columns, options = CASES[name]
    source = LOG if set(columns.values()) <= set(LOG) else CUSTOMER
    arrays = {arg: source[col] for arg, col in columns.items()}
    want = func(**arrays, **options)
    for frame in _frames(source):
        got = func(**columns, **options, data=frame)
        _same(got, want)


def test_every_function_with_customer_columns_takes_data() -> None:
    """Completeness: a public function of the segments, plots or summaries with a per-customer
    or per-transaction argument goes through the adapter, and is covered above."""
    column_args = {
        "values", "customer_id", "date", "monetary", "revenue", "cost_to_serve", "profit",
        "time_since_last_purchase", "purchase_count", "firm_spend", "actual_value",
        "satisfaction", "predicted_value", "frequency", "tiers",
    }  # fmt: skip
    modules = [segments, plot, custvalue]
    found = {}
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name, None)
            if not inspect.isfunction(obj):
                continue
            params = set(inspect.signature(obj).parameters)
            if params & column_args and "purchase_times" not in params:
                found[name] = obj
    assert len(found) >= 19  # the search itself works
    missing = [n for n, f in found.items() if not hasattr(f, "__data_columns__")]
    assert missing == []
    untested = (
        set(found)
        - set(CASES)
        - {
            "summarize_transactions",  # tests/test_frame.py and below
            "plot_transaction_tracking",  # below
            "plot_repeat_purchase_histogram",  # below
            "plot_lorenz_curve",  # below
            "rfm_segments",  # takes RFMScores; its value= column is tested below
        }
    )
    assert untested == set()


def test_summarize_transactions_frame_path_takes_the_new_options() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"cid": [1, 1, 1, 2], "when": [20240101, 20240105, 20240105, 20240102]}
        | {"amount": [10.0, 5.0, -5.0, 3.0]}
    )
    out = summarize_transactions(
        "cid", "when", "amount", data=frame, date_format="%Y%m%d", returns="net"
    )
    assert out["frequency"].tolist() == [0, 0]
    with pytest.raises(InvalidTypeError, match="date_format='%Y%m%d'"):
        summarize_transactions("cid", "when", data=frame)


def test_rfm_segments_value_column_and_rfm_from_a_summary() -> None:
    pd = pytest.importorskip("pandas")
    scores = segments.rfm_scores(CUSTOMER["since"], CUSTOMER["count"], CUSTOMER["spend"])
    frame = pd.DataFrame({"v": CUSTOMER["revenue"]})
    _same(
        segments.rfm_segments(scores, value="v", data=frame),
        segments.rfm_segments(scores, value=CUSTOMER["revenue"]),
    )
    summary = summarize_transactions(LOG["cid"], LOG["day"], LOG["amount"])
    from_summary = segments.rfm_scores(summary, k=2)
    by_hand = segments.rfm_scores(
        [10.0, 0.0, 2.0],  # 2024-02-12 minus the last purchase day of a, b, c
        [3, 3, 2],
        [19.0, 19.0, 7.0],
        k=2,
    )
    _same(from_summary, by_hand)
    with pytest.raises(InvalidInputError, match="come from the CustomerSummary"):
        segments.rfm_scores(summary, [1, 2, 3])
    no_amounts = summarize_transactions(LOG["cid"], LOG["day"])
    with pytest.raises(InvalidInputError, match="no total_spend"):
        segments.rfm_scores(no_amounts)
    with pytest.raises(InvalidInputError, match="required"):
        segments.rfm_scores([1.0, 2.0])


def test_plots_take_data() -> None:
    pytest.importorskip("matplotlib")
    pd = pytest.importorskip("pandas")
    import matplotlib.pyplot as plt

    from custvalue.clv import BetaGeo, BetaGeoParams

    model = BetaGeo(BetaGeoParams(r=0.5, alpha=5.0, a=0.8, b=2.5))
    log = pd.DataFrame(LOG)
    try:
        a = plot.plot_transaction_tracking(
            model, LOG["cid"], LOG["day"], calibration_end="2024-01-25", time_unit="D"
        )
        b = plot.plot_transaction_tracking(
            model, "cid", "day", calibration_end="2024-01-25", time_unit="D", data=log
        )
        for la, lb in zip(a.get_lines(), b.get_lines(), strict=True):
            np.testing.assert_array_equal(la.get_ydata(), lb.get_ydata())
        customers = pd.DataFrame({"x": [0, 1, 2, 1], "age": [10.0, 20.0, 30.0, 5.0]})
        a = plot.plot_repeat_purchase_histogram(model, [0, 1, 2, 1], [10.0, 20.0, 30.0, 5.0])
        b = plot.plot_repeat_purchase_histogram(model, "x", "age", data=customers)
        assert [p.get_height() for p in a.patches] == [p.get_height() for p in b.patches]
        a = plot.plot_lorenz_curve(CUSTOMER["spend"])
        b = plot.plot_lorenz_curve("spend", data=pd.DataFrame(CUSTOMER))
        np.testing.assert_array_equal(a.get_lines()[0].get_ydata(), b.get_lines()[0].get_ydata())
    finally:
        plt.close("all")


def test_data_errors_name_the_argument() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"v": [1.0, 2.0]})
    with pytest.raises(InvalidInputError, match="values: column 'w' is not in the frame"):
        segments.gini("w", data=frame)
    with pytest.raises(InvalidTypeError, match="values must be a column name"):
        segments.gini([1.0, 2.0], data=frame)
    with pytest.raises(InvalidTypeError, match="eager DataFrame"):
        segments.gini("v", data=[1, 2])
