"""Real transaction logs: refunds (``returns=``), zero amounts, dates (``date_format=``, partial
dates, whitespace, time zones), ids (long, bytes, whitespace), errors that name the customer,
the fittability check and no process-wide state (issue 12, sections 2-4).
"""

from __future__ import annotations

import datetime as dt
import threading
import tracemalloc
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import refund_logs

from custvalue._transactions import MAX_ID_LENGTH, coerce_dates, coerce_ids, parse_iso_days
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import (
    CustomerSummary,
    calibration_holdout_split,
    check_fittable,
    summarize_transactions,
)


def _summary_or_error(*args: Any, **kwargs: Any) -> CustomerSummary | str:
    try:
        return summarize_transactions(*args, **kwargs)
    except InvalidInputError:
        return "error"


def _same(a: CustomerSummary | str, b: CustomerSummary | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert a.customer_id.tolist() == b.customer_id.tolist()
    assert a.frequency.tolist() == b.frequency.tolist()
    assert a.recency.tolist() == b.recency.tolist()
    assert a.T.tolist() == b.T.tolist()
    assert a.monetary_value is not None
    assert b.monetary_value is not None
    np.testing.assert_allclose(a.monetary_value, b.monetary_value, rtol=1e-12, atol=1e-12)


# --- returns= -------------------------------------------------------------------------------


@given(refund_logs())
def test_net_equals_summarising_a_log_netted_by_hand(log: dict[str, Any]) -> None:
    totals: dict[tuple[int, Any], float] = defaultdict(float)
    for cid, day, amount in zip(
        log["customer_id"].tolist(), log["date"].tolist(), log["monetary"].tolist(), strict=True
    ):
        totals[cid, day] += amount
    kept = [(c, d, v) for (c, d), v in totals.items() if v > 0]
    end = log["observation_end"]
    got = _summary_or_error(
        log["customer_id"], log["date"], log["monetary"], observation_end=end, returns="net"
    )
    if not kept:
        assert got == "error"
        return
    ids, days, amounts = (list(col) for col in zip(*kept, strict=True))
    want = _summary_or_error(
        np.asarray(ids, dtype=np.int64),
        np.asarray(days, dtype="datetime64[D]"),
        amounts,
        observation_end=end,
    )
    _same(got, want)


@given(refund_logs())
def test_drop_equals_summarising_the_non_negative_rows(log: dict[str, Any]) -> None:
    keep = log["monetary"] >= 0
    end = log["observation_end"]
    got = _summary_or_error(
        log["customer_id"], log["date"], log["monetary"], observation_end=end, returns="drop"
    )
    if not keep.any():
        assert got == "error"
        return
    want = _summary_or_error(
        log["customer_id"][keep], log["date"][keep], log["monetary"][keep], observation_end=end
    )
    _same(got, want)


@given(refund_logs(), st.data())
def test_net_frequency_never_increases_when_a_refund_is_added(
    log: dict[str, Any], data: st.DataObject
) -> None:
    log["monetary"] = np.abs(log["monetary"])
    n = log["customer_id"].size
    row = data.draw(st.integers(0, n - 1))
    refund = -float(data.draw(st.integers(1, 200)))
    day = data.draw(st.sampled_from([log["date"][row], log["date"][row] + np.timedelta64(1, "D")]))
    end = max(log["observation_end"], day)
    before = _summary_or_error(
        log["customer_id"], log["date"], log["monetary"], observation_end=end, returns="net"
    )
    after = _summary_or_error(
        np.append(log["customer_id"], log["customer_id"][row]),
        np.append(log["date"], day),
        np.append(log["monetary"], refund),
        observation_end=end,
        returns="net",
    )
    if isinstance(after, str):
        return  # the refund removed the only purchase day left
    assert not isinstance(before, str)
    old = dict(zip(before.customer_id.tolist(), before.frequency.tolist(), strict=True))
    for cid, x in zip(after.customer_id.tolist(), after.frequency.tolist(), strict=True):
        assert x <= old[cid]


@given(refund_logs())
def test_error_reading_refuses_any_refund_and_names_the_option(log: dict[str, Any]) -> None:
    negative = log["monetary"] < 0
    if not negative.any():
        summarize_transactions(log["customer_id"], log["date"], log["monetary"])
        return
    first = int(np.flatnonzero(negative)[0])
    with pytest.raises(InvalidInputError) as info:
        summarize_transactions(log["customer_id"], log["date"], log["monetary"])
    message = str(info.value)
    assert "returns='net'" in message
    assert "returns='drop'" in message
    assert f"index {first} (customer_id {int(log['customer_id'][first])})" in message


def test_zero_amounts_are_purchases_except_when_netted() -> None:
    ids = ["a", "a", "b", "b"]
    dates = ["2024-01-01", "2024-01-05", "2024-01-01", "2024-01-03"]
    amounts = [10.0, 0.0, 5.0, 7.0]
    for returns in ("error", "drop"):
        s = summarize_transactions(ids, dates, amounts, returns=returns)  # type: ignore[arg-type]
        assert s.frequency.tolist() == [1, 1]
        assert s.monetary_value is not None
        assert s.monetary_value.tolist() == [0.0, 7.0]
    s = summarize_transactions(ids, dates, amounts, returns="net")
    assert s.frequency.tolist() == [0, 1]
    assert s.recency.tolist() == [0.0, 2.0]


def test_net_day_exactly_zero_is_not_a_purchase_day_and_rounding_counts_as_zero() -> None:
    ids = ["a"] * 5
    dates = ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03"]
    # day 2 nets to exactly 0; day 3 nets to 0 up to rounding (0.1 + 0.2 - 0.3 > 0 in floats)
    amounts = [5.0, 10.0, -10.0, 0.1 + 0.2, -0.3]
    s = summarize_transactions(ids, dates, amounts, returns="net", observation_end="2024-01-03")
    assert s.frequency.tolist() == [0]
    assert s.T.tolist() == [2.0]
    s = summarize_transactions(ids, dates, amounts, returns="drop")
    assert s.frequency.tolist() == [2]


def test_returns_option_is_checked_and_a_log_of_refunds_only_says_so() -> None:
    with pytest.raises(InvalidInputError, match="returns must be one of"):
        summarize_transactions([1], ["2024-01-01"], [1.0], returns="keep")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="returns must be one of"):
        summarize_transactions([1], ["2024-01-01"], returns="keep")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no purchase is left after returns='drop'"):
        summarize_transactions([1], ["2024-01-01"], [-1.0], returns="drop")
    with pytest.raises(InvalidInputError, match="no purchase is left after returns='net'"):
        summarize_transactions([1, 1], ["2024-01-01"] * 2, [3.0, -3.0], returns="net")


def test_calibration_holdout_split_nets_before_splitting() -> None:
    ids = [1, 1, 1, 1, 2]
    dates = ["2024-01-01", "2024-01-03", "2024-01-10", "2024-01-10", "2024-01-02"]
    amounts = [10.0, 4.0, 8.0, -3.0, 6.0]
    split = calibration_holdout_split(
        ids, dates, amounts, calibration_end="2024-01-05", returns="net"
    )
    assert split.holdout_frequency.tolist() == [1, 0]
    assert split.holdout_spend is not None
    assert split.holdout_spend.tolist() == [5.0, 0.0]
    dropped = calibration_holdout_split(
        ids, dates, amounts, calibration_end="2024-01-05", returns="drop"
    )
    assert dropped.holdout_spend is not None
    assert dropped.holdout_spend.tolist() == [8.0, 0.0]
    with pytest.raises(InvalidInputError, match="returns="):
        calibration_holdout_split(ids, dates, amounts, calibration_end="2024-01-05")


# --- errors name what the user can find --------------------------------------------------------


def test_errors_name_the_customer_and_the_position_as_given() -> None:
    # unsorted input: the position is the caller's, never one in a sorted copy
    ids = ["zed", "amy", "bob", "amy"]
    with pytest.raises(InvalidInputError) as info:
        summarize_transactions(ids, ["2024-01-02", "2024-01-01", "2024-13-01", "2024-01-03"])
    assert "index 2 (customer_id 'bob')" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        summarize_transactions(ids, ["2024-01-01"] * 4, [1.0, 2.0, 3.0, float("nan")])
    assert "index 3 (customer_id 'amy')" in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        summarize_transactions([10244, 7], ["2024-01-01"] * 2, [-1.0, 2.0])
    assert "index 0 (customer_id 10244)" in str(info.value)


def test_check_fittable_names_one_row_and_one_day() -> None:
    one_row = summarize_transactions([1], ["2024-01-01"], [3.0])
    with pytest.raises(InvalidInputError, match=r"cannot give a usable fit.*one row"):
        one_row.check_fittable()
    one_day = summarize_transactions([1, 2, 2], ["2024-01-01"] * 3, [3.0, 1.0, 2.0])
    with pytest.raises(InvalidInputError, match="all purchases are on one day"):
        one_day.check_fittable()
    no_repeat = summarize_transactions([1, 2], ["2024-01-01", "2024-01-05"])
    with pytest.raises(InvalidInputError, match="no customer made a repeat purchase"):
        no_repeat.check_fittable()
    ok = summarize_transactions([1, 1, 2], ["2024-01-01", "2024-01-05", "2024-01-02"])
    ok.check_fittable()
    with pytest.raises(InvalidInputError, match="no amounts"):
        ok.check_fittable(spend=True)
    with pytest.raises(InvalidInputError, match="one row"):
        check_fittable([0], [0.0])
    with pytest.raises(InvalidInputError, match="all purchases are on one day, so"):
        check_fittable([0, 1], [0.0, 0.0])
    check_fittable([0, 1], [0.0, 3.0])
    check_fittable([0, 1], [0.0, 3.0], [0.0, 0.5], spend=True)
    free = summarize_transactions(
        [1, 1, 2], ["2024-01-01", "2024-01-05", "2024-01-02"], [5.0, 0.0, 1.0]
    )
    free.check_fittable()
    with pytest.raises(InvalidInputError, match="positive mean amount"):
        free.check_fittable(spend=True)
    paid = summarize_transactions(
        [1, 1, 2], ["2024-01-01", "2024-01-05", "2024-01-02"], [5.0, 0.5, 1.0]
    )
    paid.check_fittable(spend=True)


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        ["20150201", "20150203"],
        np.array(["20150201", "20150203"]),
        np.array([20150201, 20150203]),
        [20150201, 20150203],
        np.array([20150201, 20150203], dtype=np.uint32),
        np.array(["20150201", b"20150203"], dtype=object),
    ],
)
def test_compact_dates_need_and_work_with_date_format(values: Any) -> None:
    days = coerce_dates(values, date_format="%Y%m%d")
    assert days.astype("datetime64[D]").tolist() == [dt.date(2015, 2, 1), dt.date(2015, 2, 3)]
    with pytest.raises((InvalidInputError, InvalidTypeError), match="date_format='%Y%m%d'"):
        coerce_dates(values)


def test_date_format_on_summaries_and_splits() -> None:
    s = summarize_transactions(
        [1, 1], [" 01/02/2015", "15/02/2015 "], date_format="%d/%m/%Y", observation_end="2015-03-01"
    )
    assert s.T.tolist() == [28.0]
    assert s.recency.tolist() == [14.0]
    s2 = summarize_transactions(
        [1, 1], [20150201, 20150215], date_format="%Y%m%d", observation_end=20150301
    )
    assert s2.T.tolist() == [28.0]
    split = calibration_holdout_split(
        [1, 1, 1],
        ["20150201", "20150210", "20150220"],
        date_format="%Y%m%d",
        calibration_end="20150212",
    )
    assert split.holdout_frequency.tolist() == [1]
    assert split.calibration_end == np.datetime64("2015-02-12")
    with pytest.raises(InvalidInputError, match=r"date_format='%Y%m%d'.*index 1.*'2015-02-30'"):
        coerce_dates(["20150201", "2015-02-30"], date_format="%Y%m%d")


@pytest.mark.parametrize(
    "bad", ["today", "now", "2024", "2024-01", "2024-1-5", "24-01-05", "2024-01-01Z", " nope "]
)
def test_words_and_partial_dates_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        coerce_dates(["2024-01-01", bad])
    assert "index 1" in str(info.value)
    days, first_bad = parse_iso_days(np.array(["2024-01-01", bad]))
    assert first_bad == 1
    assert days.size == 0
    with pytest.raises(InvalidInputError):
        summarize_transactions([1], ["2024-01-01"], observation_end=bad)


def test_surrounding_whitespace_is_stripped_from_dates_and_ids() -> None:
    s = summarize_transactions(
        [" a", "a ", "\tb\n"], [" 2024-01-01", "2024-01-03 ", "2024-01-02\t"]
    )
    assert s.customer_id.tolist() == ["a", "b"]
    assert s.frequency.tolist() == [1, 0]
    with pytest.raises(InvalidInputError, match=r"missing id.*index 1"):
        coerce_ids(["a", "   "])


def test_time_zone_policy_is_the_wall_clock_day_in_every_library() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pytest.importorskip("narwhals")
    tz = dt.timezone(dt.timedelta(hours=-5))
    # 2024-01-01 22:00 at UTC-5 is 2024-01-02 03:00 UTC: the wall-clock day is 2024-01-01
    local = [dt.datetime(2024, 1, 1, 22, tzinfo=tz), dt.datetime(2024, 1, 5, 1, tzinfo=tz)]
    want = [np.datetime64("2024-01-01"), np.datetime64("2024-01-05")]
    assert coerce_dates(local).astype("datetime64[D]").tolist() == [w.item() for w in want]
    frames = [
        pd.DataFrame({"cid": [1, 1], "when": pd.to_datetime(local)}),
        pd.DataFrame({"cid": [1, 1], "when": pd.to_datetime(local).tz_convert("Asia/Tokyo")}),
        pl.DataFrame({"cid": [1, 1], "when": local}).with_columns(
            pl.col("when").dt.convert_time_zone("Etc/GMT+5")  # POSIX sign: UTC-5
        ),
        pl.DataFrame({"cid": [1, 1], "when": local}).with_columns(
            pl.col("when").dt.convert_time_zone("Asia/Tokyo")
        ),
    ]
    # the Tokyo frames hold the same instants, whose wall-clock days there are different
    expected_T = [4.0, 3.0, 4.0, 3.0]
    for frame, T in zip(frames, expected_T, strict=True):
        out = summarize_transactions("cid", "when", data=frame)
        assert out["T"].to_list() == [T], type(frame)
    with pytest.raises(InvalidInputError, match="UTC offset"):
        coerce_dates(["2024-01-01T22:00-05:00"])


# --- ids --------------------------------------------------------------------------------------


def test_a_huge_id_is_refused_with_memory_proportional_to_the_input() -> None:
    huge = "x" * 130_000
    ids = ["a"] * 2_000 + [huge]
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError) as info:
            summarize_transactions(ids, ["2024-01-01"] * len(ids))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a fixed-width copy would be 2,001 * 130,000 * 4 bytes = 1 GB; the input is ~150 KB
    assert peak < 20 * 1024 * 1024
    message = str(info.value)
    assert f"at most {MAX_ID_LENGTH} characters" in message
    assert "index 2000" in message
    assert len(message) < 1_000
    pd = pytest.importorskip("pandas")
    pytest.importorskip("narwhals")
    frame = pd.DataFrame({"cid": ids, "when": ["2024-01-01"] * len(ids)})
    with pytest.raises(InvalidInputError, match="at most 256 characters"):
        summarize_transactions("cid", "when", data=frame)


def test_ids_on_the_length_limit_are_accepted() -> None:
    edge = "y" * MAX_ID_LENGTH
    assert coerce_ids([edge, "a"]).tolist() == [edge, "a"]
    with pytest.raises(InvalidInputError, match="at most"):
        coerce_ids(np.array([edge + "y", "a"]))


def test_bytes_ids_are_decoded_as_utf8_or_refused() -> None:
    assert coerce_ids([b"caf\xc3\xa9", b"b"]).tolist() == ["café", "b"]
    assert coerce_ids(np.array([b"a", b"b"])).tolist() == ["a", "b"]
    with pytest.raises(InvalidInputError, match=r"UTF-8.*index 1"):
        coerce_ids([b"a", b"\xff\xfe"])
    with pytest.raises(InvalidInputError, match=r"UTF-8.*index 0"):
        coerce_ids(np.array([b"\xff", b"b"]))


# --- no process-wide state --------------------------------------------------------------------


def test_no_warnings_catch_warnings_in_the_package() -> None:
    """No library code swaps the process-wide warning filters (docstring examples may)."""
    import ast
    from pathlib import Path

    import custvalue

    root = Path(custvalue.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"catch_warnings", "simplefilter"}:
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    # the command-line program owns its process: it records warnings to print them as lines
    assert [o for o in offenders if not o.startswith("cli.py:")] == []


def test_quiet_silences_only_the_current_context() -> None:
    import threading

    from custvalue._warn import quiet, warn
    from custvalue.errors import CustValueWarning

    seen: list[str] = []

    def other_thread() -> None:
        with pytest.warns(CustValueWarning):
            warn("from the other thread", CustValueWarning)
        seen.append("warned")

    before = list(warnings.filters)
    with quiet():
        warn("silenced", CustValueWarning)  # would be an error under the test filters
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert seen == ["warned"]
    assert warnings.filters == before
    with pytest.warns(CustValueWarning, match="after"):
        warn("after", CustValueWarning)


def test_concurrent_date_parsing_leaves_the_warning_filters_unchanged() -> None:
    before = list(warnings.filters)
    errors: list[BaseException] = []
    bad = np.array(["2024-01-01", "2024-01-02T10:00Z"] * 50)

    def work() -> None:
        try:
            for _ in range(30):
                with pytest.raises(InvalidInputError):
                    coerce_dates(bad)
                coerce_dates(np.array(["2024-01-01"] * 100))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(warnings.filters) == before
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InvalidInputError, match="UTC offset"):
            coerce_dates(bad)
    assert caught == []


@given(
    st.lists(
        st.tuples(
            st.text(" \t\n\r\x0b\x0c\xa0", max_size=3),
            st.text("abc1", min_size=1, max_size=4),
            st.text(" \t\n\r\x0b\x0c\xa0", max_size=3),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_padded_ids_and_dates_read_as_the_stripped_ones(parts: list[tuple[str, str, str]]) -> None:
    padded = np.array([a + core + b for a, core, b in parts])
    clean = np.array([core for _, core, _ in parts])
    assert coerce_ids(padded).tolist() == coerce_ids(clean).tolist()
    dates = np.array([f"{a}2024-01-0{1 + i % 9}{b}" for i, (a, _, b) in enumerate(parts)])
    plain = np.array([f"2024-01-0{1 + i % 9}" for i in range(len(parts))])
    assert coerce_dates(dates).tolist() == coerce_dates(plain).tolist()
