"""The ``custvalue`` command: --example, CSV round trips, options, one-line errors."""

from __future__ import annotations

import csv
import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from custvalue.cli import build_parser, main
from custvalue.datasets import load_cdnow_sample, load_cdnow_summary

H = "customer_id,date,amount\n"  # header of the bad-input files
HEADER = ["customer_id", "frequency", "recency", "T", "monetary_value"]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_example_reproduces_the_cdnow_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", "--example", "--summary-only", "--precision", "17"], capsys)
    assert (code, err) == (0, "")
    rows = read_csv(out)
    assert rows[0] == HEADER
    assert len(rows) == 1 + 2357
    assert rows[1][:2] == ["1", "2"]
    assert [float(v) for v in rows[1][2:]] == [213 / 7, 272 / 7, (29.73 + 14.96) / 2]
    s = load_cdnow_summary()
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(table[:, 0], s.customer_id)
    np.testing.assert_array_equal(table[:, 1], s.frequency)
    np.testing.assert_array_equal(table[:, 2], s.recency)  # 17 digits round-trip exactly
    np.testing.assert_array_equal(table[:, 3], s.T)
    np.testing.assert_array_equal(table[:, 4], s.monetary_value)


MODEL_HEADER = [*HEADER, "p_alive", "expected_purchases", "expected_spend", "clv"]


def test_example_fits_the_published_models(capsys: pytest.CaptureFixture[str]) -> None:
    """`custvalue score --example` reproduces Fader, Hardie & Lee's CDNOW estimates."""
    code, out, err = run(["score", "--example"], capsys)
    assert code == 0
    assert "BG/NBD: r=0.242595 alpha=4.4136 a=0.792922 b=2.42591 (log-likelihood -9582.43" in err
    assert "Gamma-Gamma: p=6.24957 q=3.74422 gamma=15.4435 (log-likelihood -4055.92" in err
    assert "warning" not in err
    rows = read_csv(out)
    assert rows[0] == MODEL_HEADER
    table = np.array([r[1:] for r in rows[1:]], dtype=float)
    assert np.isfinite(table).all()
    p_alive, purchases, spend, clv = table[:, 4], table[:, 5], table[:, 6], table[:, 7]
    assert ((p_alive > 0) & (p_alive <= 1)).all()
    assert (purchases >= 0).all()
    assert (clv >= 0).all()
    # customer 1 (x=2, t_x=30.43, T=38.86): P(alive) = 0.7266 (REFERENCE.md point check)
    assert p_alive[0] == pytest.approx(0.7266, abs=5e-5)
    # one-time buyers get the population mean spend 35.17
    np.testing.assert_allclose(spend[table[:, 0] == 0], 35.17, atol=5e-3)


@pytest.mark.parametrize(
    ("name", "cls", "label"),
    [("mbgnbd", "ModifiedBetaGeo", "MBG/NBD"), ("pnbd", "ParetoNBD", "Pareto/NBD")],
)
def test_model_option_fits_and_scores_with_the_chosen_model(
    capsys: pytest.CaptureFixture[str], name: str, cls: str, label: str
) -> None:
    """--model NAME fits that model and its columns are that model's predictions."""
    import custvalue.clv

    code, out, err = run(["score", "--example", "--model", name, "--precision", "17"], capsys)
    assert code == 0
    model = getattr(custvalue.clv, cls).fit(load_cdnow_summary())
    assert f"{label}: " in err
    assert f"(log-likelihood {model.log_likelihood:.2f}, converged)" in err
    table = np.array([r[1:] for r in read_csv(out)[1:]], dtype=float)
    s = load_cdnow_summary()
    np.testing.assert_allclose(
        table[:, 4], model.probability_alive(s.frequency, s.recency, s.T), rtol=1e-12
    )
    np.testing.assert_allclose(
        table[:, 5], model.expected_purchases(365.25 / 7, s.frequency, s.recency, s.T), rtol=1e-12
    )


def test_horizon_and_discount_rate_options(capsys: pytest.CaptureFixture[str]) -> None:
    def column(argv: list[str], name: str) -> np.ndarray:
        code, out, _ = run(["score", "--example", *argv], capsys)
        assert code == 0
        rows = read_csv(out)
        return np.array([r[rows[0].index(name)] for r in rows[1:]], dtype=float)

    year = column([], "clv")
    half = column(["--horizon", "26"], "clv")
    cheap = column(["--annual-discount-rate", "0.5"], "clv")
    assert (half <= year).all()
    assert (half < year).any()
    assert (cheap <= year).all()
    assert (cheap < year).any()
    purchases_d = column(["--time-unit", "D", "--horizon", "364"], "expected_purchases")
    purchases_w = column(["--time-unit", "W", "--horizon", "52"], "expected_purchases")
    np.testing.assert_allclose(purchases_d, purchases_w, rtol=1e-6)  # time-unit invariance


def test_csv_round_trip_with_custom_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CDNOW log written as a CSV with other names and %Y%m%d dates gives the same summary."""
    log = load_cdnow_sample()
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["note", "user", "day", "total"])
        for cid, day, amount in zip(log.customer_id, log.date, log.amount, strict=True):
            writer.writerow(["x", cid, str(day).replace("-", ""), repr(float(amount))])
    out_path = tmp_path / "summary.csv"
    code, out, err = run(
        [
            "score", str(path), "--customer-column", "user", "--date-column", "day",
            "--amount-column", "total", "--date-format", "%Y%m%d", "--delimiter", ";",
            "--observation-end", "1997-09-30", "--time-unit", "D", "-o", str(out_path),
            "--summary-only", "--precision", "17",
        ],
        capsys,
    )  # fmt: skip
    assert (code, out, err) == (0, "", "")
    rows = read_csv(out_path.read_text())
    assert rows[0] == HEADER
    s = load_cdnow_summary()
    ids = np.array([int(r[0]) for r in rows[1:]])
    order = np.argsort(s.customer_id)  # all-numeric ids are ordered as numbers
    np.testing.assert_array_equal(ids, s.customer_id[order])
    table = np.array([r[1:] for r in rows[1:]], dtype=float)
    np.testing.assert_array_equal(table[:, 0], s.frequency[order])
    np.testing.assert_allclose(table[:, 1], s.recency[order] * 7, rtol=1e-15)
    np.testing.assert_allclose(table[:, 2], s.T[order] * 7, rtol=1e-15)
    np.testing.assert_allclose(table[:, 3], s.monetary_value[order], rtol=1e-12)


def test_iso_dates_no_amount_and_default_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        H + "b,2024-01-01T10:00,5\na,2024-01-01,1\na,2024-01-15 08:00,2\n\na,2024-01-15,3\n"
    )
    code, out, _ = run(["score", str(path), "--no-amount", "--summary-only"], capsys)
    assert code == 0
    assert read_csv(out) == [HEADER[:4], ["a", "1", "2", "2"], ["b", "0", "0", "2"]]
    code, out, _ = run(["score", str(path), "--time-unit", "D", "--summary-only"], capsys)
    assert read_csv(out)[1] == ["a", "1", "14", "14", "5"]


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", "--help"], capsys)
    assert code == 0
    score = build_parser()._subparsers._group_actions[0].choices["score"]  # type: ignore[union-attr]
    for action in score._actions:
        for flag in action.option_strings:
            assert flag in out
        assert action.help
    assert "custvalue score --example" in out
    assert "monetary_value" in out
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert "score" in out
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.startswith("custvalue ")


def _bad(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("content", "extra", "fragments"),
    [
        (None, [], ["missing.csv", "No such file"]),
        (
            "customer_id,when,amount\n1,2024-01-01,1\n",
            [],
            ["no column 'date'", "'when'", "--date-column"],
        ),
        ("customer_id,date\n1,2024-01-01\n", [], ["no column 'amount'", "--no-amount"]),
        (H + "1,2024-01-01,1\n2,2024-02-30,1\n", [], ["line 3", "'date'", "'2024-02-30'"]),
        (H + "1,2024-01-01,1\n2,,1\n", [], ["line 3", "'date'", "''"]),
        (H + "1,01/02/2024,1\n", ["--date-format", "%Y%m%d"], ["line 2", "'01/02/2024'", "%Y%m%d"]),
        (
            H + "1,2024-01-01,1\n1,2024-01-02,-3\n",
            [],
            ["line 3", "'amount'", "negative", "'-3'", "--returns net"],
        ),
        (H + "1,2024-01-01,abc\n", [], ["line 2", "'abc'"]),
        (H + "1,2024-01-01,\n", [], ["line 2", "'amount'", "must be a number", "''"]),
        (H + "1,2024-01-01,-\n", [], ["line 2", "'amount'", "must be a number", "'-'"]),
        (H + "1,2024-01-01,$$5\n", [], ["line 2", "'$$5'"]),
        (H + "1,2024-01-01,1e999\n", [], ["line 2", "not a finite number"]),
        (H + "1,2024-01-01,nan\n", [], ["line 2", "'nan'"]),
        (H + "1,2024-01-01\n", [], ["line 2", "2 fields but the header has 3", "'amount'"]),
        (H + " ,2024-01-01,1\n", [], ["line 2", "empty customer id"]),
        ("", [], ["bad.csv", "empty"]),
        (H, [], ["no transactions"]),
        (
            H + "1,2024-01-01,1\n",
            ["--observation-end", "2023-01-01"],
            ["--observation-end", "before the first purchase", "line 2"],
        ),
        (H + "1,2024-01-01,1\n", ["--time-unit", "fortnight"], ["--time-unit", "'fortnight'"]),
        (H + "1,2024-01-01,1\n", ["--example"], ["either", "--example"]),
        (H + "1,2024-01-01,1\n", ["--model", "bgbb"], ["--model 'bgbb'", "bgnbd, mbgnbd, pnbd"]),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    extra: list[str],
    fragments: list[str],
) -> None:
    path = str(tmp_path / "missing.csv") if content is None else _bad(tmp_path, content)
    out_file = tmp_path / "out.csv"
    code, out, err = run(["score", path, "-o", str(out_file), *extra], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("custvalue: error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert not out_file.exists()  # nothing written on error


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score"]) == 2  # neither a file nor --example
    assert "custvalue: error:" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["score", "--no-such-option"]) == 2


def test_console_script_and_module_run() -> None:
    commands = [[sys.executable, "-m", "custvalue"]]
    script = shutil.which("custvalue")
    if script is not None:
        commands.append([script])
    for command in commands:
        done = subprocess.run(
            [*command, "score", "--example"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("\n") == 2358
        piped = subprocess.run(
            [*command, "score", "-", "--summary-only", "--encoding", "cp1252"],
            input="customer_id,date,amount\r\nZoë,2024-01-01,€5\r\n".encode("cp1252"),
            capture_output=True,
            check=False,
        )
        assert piped.returncode == 0, piped.stderr
        assert piped.stdout.decode("utf-8").splitlines()[1] == "Zoë,0,0,0,0"
        failed = subprocess.run(
            [*command, "score", "no/such/file.csv"], capture_output=True, text=True, check=False
        )
        assert failed.returncode == 2
        assert failed.stderr.startswith("custvalue: error: no/such/file.csv")
        assert "Traceback" not in failed.stderr


DOCS = Path(__file__).resolve().parents[1]
BASH_FENCE = re.compile(r"^```(?:bash|console|sh)[ \t]*\n(.*?)^```", re.S | re.M)


def documented_commands() -> list[tuple[str, str]]:
    """Every ``custvalue ...`` command line in the README and docs (continuations joined)."""
    found = []
    for path in [DOCS / "README.md", *sorted((DOCS / "docs").rglob("*.md"))]:
        for block in BASH_FENCE.findall(path.read_text(encoding="utf-8")):
            for command in block.replace("\\\n", " ").splitlines():
                words = shlex.split(command.split("<")[0], comments=True)
                if "custvalue" in words[:-1]:  # not "pip install custvalue"
                    found.append((path.name, " ".join(words[words.index("custvalue") + 1 :])))
    return found


def test_documented_command_lines_parse(capsys: pytest.CaptureFixture[str]) -> None:
    """Every flag the docs show exists and takes the value shown (e.g. not --customer-col)."""
    commands = documented_commands()
    assert ("getting-started.md", "score --example") in commands
    assert len(commands) >= 5
    parser = build_parser()
    score = parser._subparsers._group_actions[0].choices["score"]  # type: ignore[union-attr]
    flags = {flag for action in score._actions for flag in action.option_strings}
    for where, command in commands:
        shown = {w.split("=")[0] for w in shlex.split(command) if w.startswith("--")}
        assert shown <= flags, f"{where}: {command!r} shows {shown - flags} (abbreviated?)"
        if "--help" in command:
            continue
        try:
            parser.parse_args(shlex.split(command))
        except SystemExit:
            pytest.fail(f"{where}: {command!r}: {capsys.readouterr().err}")
