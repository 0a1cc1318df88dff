"""``custvalue score`` value options: --horizon durations and inf, the annual rate, --precision.

The CLV column is checked against :func:`customer_lifetime_value` for named customers in
daily, weekly and monthly units, with the one-year horizon and the continuous rate per unit
written out here as literals (issue 18: they were only checked for monotonicity).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from shared_data import cdnow_master_path

from custvalue.cli import main
from custvalue.clv import BetaGeo, GammaGamma, customer_lifetime_value
from custvalue.datasets import CDNOW_CALIBRATION_END, load_cdnow_sample
from custvalue.summary import summarize_transactions

DATA = cdnow_master_path()
#: CDNOW sample customers checked by name: a frequent buyer, a one-time buyer, a lapsed one.
NAMED = ["157", "3", "142"]


def score(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, dict[str, float]], str]:
    """Run ``custvalue score``; return the exit status, {id: {column: value}} and stderr."""
    code = main(["score", *argv])
    out, err = capsys.readouterr()
    table = list(csv.reader(io.StringIO(out)))
    by_id = {r[0]: dict(zip(table[0][1:], map(float, r[1:]), strict=True)) for r in table[1:]}
    return code, by_id, err


#: Time units with one year and the continuous equivalent of 10% a year in that unit.
UNITS = {
    "D": (365.25, math.log(1.1) / 365.25),
    "W": (365.25 / 7, math.log(1.1) * 7 / 365.25),
    "M": (12.0, math.log(1.1) / 12),
}


def test_clv_column_matches_customer_lifetime_value(capsys: pytest.CaptureFixture[str]) -> None:
    """Default horizon (one year) and 10% a year, per unit, against the library directly.

    The same customers' CLV is then the same money in every unit (to the fits' tolerance).
    """
    log = load_cdnow_sample()
    clv = {}
    for unit, (year, rate) in UNITS.items():
        code, rows, _ = score(["--example", "--time-unit", unit, "--precision", "17"], capsys)
        assert code == 0
        s = summarize_transactions(
            log.customer_id, log.date, log.amount,
            observation_end=CDNOW_CALIBRATION_END, time_unit=unit,
        )  # fmt: skip
        x, t_x, age, m = s.frequency, s.recency, s.T, s.monetary_value
        assert m is not None
        purchases, spend = BetaGeo.fit(x, t_x, age), GammaGamma.fit(x, m)
        expected = customer_lifetime_value(
            purchases, spend, x, t_x, age, m, horizon=year, discount_rate=rate
        )
        where = {str(cid): i for i, cid in enumerate(s.customer_id.tolist())}
        for cid in NAMED:
            assert rows[cid]["clv"] == pytest.approx(expected[where[cid]], rel=1e-9), cid
            assert rows[cid]["expected_purchases"] == pytest.approx(
                purchases.expected_purchases(year, x, t_x, age)[where[cid]], rel=1e-9
            )
        clv[unit] = np.array([rows[cid]["clv"] for cid in NAMED])
    # the fits in different units agree to the optimizer's tolerance, not to rounding
    np.testing.assert_allclose(clv["D"], clv["W"], rtol=1e-4)
    np.testing.assert_allclose(clv["M"], clv["W"], rtol=1e-4)


def test_horizon_durations_and_plain_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    _, weeks, _ = score(
        ["--example", "--horizon", str(365.25 / 2 / 7), "--precision", "17"], capsys
    )
    _, months, err = score(["--example", "--horizon", "6M", "--precision", "17"], capsys)
    assert "--horizon 6M" in err  # the report shows the horizon as typed
    _, days, _ = score(["--example", "--horizon", "182.625D", "--precision", "17"], capsys)
    for cid in NAMED:
        assert months[cid]["clv"] == pytest.approx(weeks[cid]["clv"], rel=1e-12)
        assert days[cid]["clv"] == pytest.approx(weeks[cid]["clv"], rel=1e-12)
        assert months[cid]["expected_purchases"] == pytest.approx(
            weeks[cid]["expected_purchases"], rel=1e-12
        )


def test_infinite_horizon_gives_dert(capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, _ = score(["--example", "--horizon", "inf", "--precision", "17"], capsys)
    assert code == 0
    _, year, _ = score(["--example", "--precision", "17"], capsys)
    _, long, _ = score(["--example", "--horizon", "200Y", "--precision", "17"], capsys)
    for cid in NAMED:
        r = rows[cid]
        assert "expected_purchases" not in r
        assert r["clv"] == pytest.approx(r["dert"] * r["expected_spend"], rel=1e-12)
        assert r["clv"] > year[cid]["clv"]
        # 200 years at 10% a year: the tail beyond is below 1.1**-200 ~ 5e-9 of the total
        assert r["clv"] == pytest.approx(long[cid]["clv"], rel=1e-6)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--horizon", "6X"], ["--horizon", "'6X'", "6M"]),
        (["--horizon", "-1"], ["--horizon", "-1", ">= 0"]),
        (["--horizon", "inf", "--annual-discount-rate", "0"], ["--horizon inf", "> 0", "got 0"]),
        (["--annual-discount-rate", "-1"], ["--annual-discount-rate '-1'", "> -1"]),
        (["--annual-discount-rate", "ten"], ["--annual-discount-rate 'ten'"]),
        (["--time-unit", "fortnight"], ["--time-unit", "'fortnight'"]),
    ],
)
def test_value_option_errors_use_the_typed_option(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["score", "--example", *argv])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    for internal in ("horizon=", "discount_rate", "time_unit"):
        assert internal not in err
    for fragment in fragments:
        assert fragment in err, err


def test_annual_rate_as_typed_and_warning_above_one(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, err = score(["--example", "--annual-discount-rate", "0.1"], capsys)
    assert "warning" not in err
    _, percent, err = score(["--example", "--annual-discount-rate", "10%"], capsys)
    assert "warning" not in err
    assert percent == plain
    # the rate is checked before any fit: --summary-only is enough (and fast)
    code = main(["score", "--example", "--summary-only", "--annual-discount-rate", "1"])
    assert (code, capsys.readouterr().err) == (0, "")  # 100% a year: no warning
    main(["score", "--example", "--summary-only", "--annual-discount-rate", "5"])
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == [
        "custvalue: warning: --annual-discount-rate 5 is more than 100% a year; for 5% give 0.05"
    ]


def test_precision(capsys: pytest.CaptureFixture[str]) -> None:
    def first_row(*extra: str) -> list[str]:
        assert main(["score", "--example", "--summary-only", *extra]) == 0
        return list(csv.reader(io.StringIO(capsys.readouterr().out)))[1]

    assert first_row() == ["1", "2", "30.42857143", "38.85714286", "22.345"]  # 10 digits
    assert first_row("--precision", "3") == ["1", "2", "30.4", "38.9", "22.3"]
    assert [float(v) for v in first_row("--precision", "17")[2:]] == [213 / 7, 272 / 7, 22.345]
    for bad in ("0", "18", "x"):
        assert main(["score", "--example", "--precision", bad]) == 2
        assert "--precision" in capsys.readouterr().err


@pytest.mark.skipif(not DATA.exists(), reason="needs the shared CDNOW master file")
def test_cdnow_master_scores_without_hand_cleaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The full CDNOW file as a CSV export: exit 0, one warning line for customer 10244."""
    path = tmp_path / "cdnow_master.csv"
    with DATA.open() as source, path.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["customer_id", "date", "cds", "amount"])
        next(source)  # the text file's own header
        writer.writerows(line.split() for line in source)
    code = main(["score", str(path), "--date-format", "%Y%m%d", "-o", str(tmp_path / "o.csv")])
    _, err = capsys.readouterr()
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("custvalue: warning:")]
    assert len(warnings) == 1, err
    assert "10244" in warnings[0]
    assert "line 31716" in warnings[0]  # where customer 10244 first appears in the CSV
    with (tmp_path / "o.csv").open() as handle:
        out = list(csv.reader(handle))
    assert len(out) == 1 + 23_570
    assert out[1][0] == "00001"  # ids as written, ordered as numbers
