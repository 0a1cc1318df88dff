"""The messy-CSV corpus in ``tests/data``: each file gives the right output or exit 2 with one line.

Every run is traced with :mod:`tracemalloc`, so a file that makes the reader build huge arrays
(fixed-width strings sized by the longest id) fails here however fast the machine is.
"""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import pytest

import custvalue.clv  # noqa: F401  (imported before tracing, so imports are not measured)
from custvalue import cli
from custvalue.cli import main

DATA = Path(__file__).parent / "data"
SUMMARY = ["customer_id", "frequency", "recency", "T", "monetary_value"]
#: The summary of the clean log behind most corpus files (time unit D, end 2024-02-05).
BASE = [["a", "2", "35", "35", "25"], ["b", "0", "0", "28", "0"], ["c", "0", "0", "4", "0"]]
#: Peak traced memory allowed for one run on a corpus file (each file is a few KB).
PEAK_BYTES = 32 * 2**20


def run_traced(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, int]:
    """Run the command; return (exit status, stdout, stderr, peak traced bytes)."""
    tracemalloc.start()
    try:
        code = main(argv)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    return code, out, err, peak


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def summary_of(name: str, capsys: pytest.CaptureFixture[str], *extra: str) -> list[list[str]]:
    code, out, err, peak = run_traced(
        ["score", str(DATA / name), "--time-unit", "D", "--summary-only", *extra], capsys
    )
    assert (code, err) == (0, ""), err
    assert peak < PEAK_BYTES
    table = rows(out)
    assert table[0] == SUMMARY
    return table[1:]


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("bom.csv", [], BASE),
        ("crlf.csv", [], BASE),
        (
            "latin1.csv",
            ["--encoding", "latin-1"],
            [["José", "1", "14", "35", "20"], ["Zoë", "1", "28", "28", "30"]],
        ),
        ("quoted.csv", [], [["Smith, John", "2", "35", "35", "25"], BASE[1]]),
        ("semicolon.csv", ["--delimiter", ";"], BASE),
        ("currency.csv", [], BASE),  # $10.00, "$20.00", 5.50 €, £30 and -$0 (zero)
        (
            "zero_amounts.csv",
            [],
            [
                ["a", "2", "35", "40", "25"],
                ["b", "0", "0", "33", "0"],
                ["c", "1", "9", "9", "4.75"],
                ["z", "1", "17", "38", "0"],
            ],
        ),
        ("one_row.csv", [], [["42", "0", "0", "0", "0"]]),
        # all ids numeric: ordered as numbers, kept as written ("007" is not "7"; " 10 " is "10")
        (
            "numeric_ids.csv",
            [],
            [
                ["007", "0", "0", "2", "0"],
                ["7", "0", "0", "1", "0"],
                ["9", "0", "0", "3", "0"],
                ["10", "1", "4", "4", "2"],
            ],
        ),
    ],
)
def test_corpus_files_give_the_right_summary(
    name: str, extra: list[str], expected: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert summary_of(name, capsys, *extra) == expected


def test_standard_input_is_read_with_its_encoding(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = (DATA / "latin1.csv").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert summary_of("latin1.csv", capsys, "--encoding", "latin-1") == summary_of_stdin(capsys)


def summary_of_stdin(capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    code, out, err, _ = run_traced(
        ["score", "-", "--time-unit", "D", "--summary-only", "--encoding", "latin-1"], capsys
    )
    assert (code, err) == (0, "")
    return rows(out)[1:]


@pytest.mark.parametrize(
    ("name", "extra", "fragments"),
    [
        # undecodable bytes: the line, the column and the option that fixes it
        ("latin1.csv", [], ["latin1.csv: line 2", "column 'customer_id'", "0xe9", "--encoding"]),
        # 1,2024-01-01,1,234.50 used to read the amount 1.0
        ("extra_fields.csv", [], ["line 4", "4 fields", "header has 3", "'234.50'", "1,234.50"]),
        ("fewer_fields.csv", [], ["line 5", "2 fields", "no value for column 'amount'"]),
        ("duplicate_columns.csv", [], ["line 1", "column 'date' appears 2 times"]),
        ("semicolon.csv", [], ["line 1", "no column 'customer_id'", "--delimiter ';'"]),
        ("thousands.csv", [], ["line 3", "column 'amount'", "'$1,234.50'", "comma"]),
        ("refunds.csv", [], ["line 4", "'-5.00'", "--returns net", "--returns drop"]),
        # no optimizer runs on a file that cannot give a fit
        ("one_row.csv", [], ["cannot fit", "one row (line 2)", "--summary-only"]),
        ("one_day.csv", [], ["cannot fit", "all 3 transactions are on one day (2024-03-01)"]),
        ("bom.csv", ["--delimiter", ";;"], ["--delimiter ';;'", "one character"]),
        ("bom.csv", ["--delimiter", ""], ["--delimiter ''"]),
        ("bom.csv", ["--delimiter", '"'], ["--delimiter '\"'"]),
        ("bom.csv", ["--delimiter", "x"], ["--delimiter 'x'"]),
        ("bom.csv", ["--encoding", "klingon"], ["--encoding 'klingon'", "unknown encoding"]),
    ],
)
def test_corpus_errors_are_one_line(
    name: str, extra: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err, peak = run_traced(["score", str(DATA / name), *extra], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("custvalue: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert peak < PEAK_BYTES


def test_tab_delimiter_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tab.csv"
    path.write_text((DATA / "bom.csv").read_text(encoding="utf-8-sig").replace(",", "\t"))
    for name in ("tab", "\\t", "\t"):
        code, out, err, _ = run_traced(
            ["score", str(path), "--delimiter", name, "--time-unit", "D", "--summary-only"],
            capsys,
        )
        assert (code, err) == (0, "")
        assert rows(out)[1:] == BASE


def test_a_huge_id_does_not_multiply_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 150 KB file with one 130,000-character id: the id comes back whole, memory stays small.

    Fixed-width string arrays would give every one of the ~1,000 rows the huge id's width
    (about 0.5 GB); ids are kept once each, so the peak is a small multiple of the file.
    """
    huge = "x" * 129_999 + "y"
    lines = ["customer_id,date,amount", f"{huge},2024-01-01,5"]
    lines += [f"{i},2024-01-{1 + i % 28:02d},{i % 50}.25" for i in range(1000)]
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines) + "\n")
    assert 140_000 < path.stat().st_size < 160_000
    code, out, err, peak = run_traced(
        ["score", str(path), "--time-unit", "D", "--summary-only"], capsys
    )
    assert (code, err) == (0, "")
    table = rows(out)
    assert len(table) == 1 + 1001
    assert table[-1] == [huge, "0", "0", "27", "0"]  # text order: digits before "x"
    assert peak < 20 * path.stat().st_size
    # a huge value in an amount or date cell is refused with its line, shortened
    path.write_text(f"customer_id,date,amount\n1,2024-01-01,{'9' * 130_000}\n")
    code, out, err, peak = run_traced(["score", str(path)], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert "line 2" in err
    assert "(130000 characters)" in err
    assert len(err) < 500
    assert peak < 20 * path.stat().st_size


def test_a_zero_spend_repeat_buyer_is_named_with_its_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Customer z bought twice for 0: the message names z and its first input line.

    Today the spend model refuses z (exit 2); once Gamma-Gamma excludes non-positive spends
    (branch "units") it is one warning line naming z instead. Either way z and the line are
    named on exactly one stderr line, never an index into an internal array.
    """
    code, out, err, _ = run_traced(["score", str(DATA / "zero_amounts.csv")], capsys)
    assert "Traceback" not in err
    assert "index" not in err
    named = [line for line in err.splitlines() if "'z'" in line]
    assert len(named) == 1
    assert "line 4 of" in named[0]
    if code == 2:
        assert named[0].startswith("custvalue: error: ")
        assert err.count("\n") == 1
        assert out == ""
    else:
        assert code == 0
        assert named[0].startswith("custvalue: warning: ")


def test_returns_option_is_passed_to_the_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI hands --returns to summarize_transactions(returns=) (branch "data")."""
    real = cli.summarize_transactions
    seen: list[str] = []

    def summarize(*args: object, returns: str = "error", **kwargs: object) -> object:
        seen.append(returns)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "summarize_transactions", summarize)
    for reading in ("error", "net", "drop"):
        code, _, err, _ = run_traced(
            ["score", str(DATA / "currency.csv"), "--returns", reading, "--summary-only"], capsys
        )
        assert (code, err) == (0, "")
    assert seen == ["error", "net", "drop"]


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        # a's refund nets into its day (20 - 5); b's day Jan 20 nets to 0: no purchase day
        ("net", [["a", "2", "35", "35", "22.5"], ["b", "0", "0", "28", "0"], BASE[2]]),
        ("drop", [BASE[0], ["b", "1", "12", "28", "8"], BASE[2]]),
    ],
)
def test_refunds_with_returns(
    reading: str, expected: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert summary_of("refunds.csv", capsys, "--returns", reading) == expected
