"""Property: any transaction log, written as any reasonable CSV, summarises as the library does.

The log (``transaction_logs``) gets text ids (with commas, quotes, newlines, accents, leading
zeros), a delimiter, an encoding (with or without a byte-order mark), CRLF or LF line ends and
amounts with or without a currency symbol. ``custvalue score --summary-only`` must return
:func:`summarize_transactions` of the same log with the ids exactly as written, ordered as
numbers when every id is a number and as text otherwise.
"""

from __future__ import annotations

import contextlib
import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import transaction_logs

from custvalue.cli import main
from custvalue.summary import summarize_transactions

#: Characters of generated text ids: all encodable in Latin-1, including CSV's special ones.
ID_ALPHABET = "abcXYZ019 ,;|\"'\n\téçÿ$-"


@st.composite
def csv_exports(draw: st.DrawFn) -> dict[str, Any]:
    log = draw(transaction_logs(max_rows=25, max_customers=6))
    pool = sorted(set(log["customer_id"].tolist()))
    numeric = draw(st.booleans())
    if numeric:  # the ids as numbers, some with leading zeros ("007" and "7" are two ids)
        zeros = draw(st.lists(st.integers(0, 2), min_size=len(pool), max_size=len(pool)))
        signs = ["-" if v < 0 else "" for v in pool]
        text = [s + "0" * z + str(abs(v)) for s, z, v in zip(signs, zeros, pool, strict=True)]
    else:
        text = draw(
            st.lists(
                st.text(ID_ALPHABET, min_size=1, max_size=8)
                .map(str.strip)
                .filter(lambda s: s != "" and s[0] not in "-0123456789"),
                min_size=len(pool),
                max_size=len(pool),
                unique=True,
            )
        )
    return {
        **log,
        "text": dict(zip(pool, text, strict=True)),
        "delimiter": draw(st.sampled_from([",", ";", "\t", "|"])),
        "encoding": (
            encoding := draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
        ),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        # Latin-1 has no euro sign (a real Latin-1 export writes pounds or dollars)
        "currency": draw(st.sampled_from(["", "$", " £" if encoding == "latin-1" else " €"])),
    }


@given(export=csv_exports())
def test_any_csv_export_summarises_like_the_library(
    export: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path: Path = tmp_path_factory.mktemp("export") / "log.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=export["delimiter"], lineterminator=export["newline"])
    writer.writerow(["date", "customer_id", "amount"])
    symbol = export["currency"]
    for cid, day, amount in zip(
        export["customer_id"].tolist(), export["date"], export["monetary"].tolist(), strict=True
    ):
        shown = f"{symbol}{amount!r}" if symbol == "$" else f"{amount!r}{symbol}"
        writer.writerow([str(day), export["text"][cid], shown])
    path.write_bytes(buffer.getvalue().encode(export["encoding"]))
    encoding = "utf-8" if export["encoding"] == "utf-8-sig" else export["encoding"]
    argv = [
        "score", str(path), "--summary-only", "--time-unit", "D", "--precision", "17",
        "--delimiter", export["delimiter"], "--encoding", encoding,
        "--observation-end", str(export["observation_end"]),
    ]  # fmt: skip
    out_file = path.with_suffix(".out")
    assert main([*argv, "-o", str(out_file)]) == 0
    rows = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8"))))[1:]

    expected = summarize_transactions(
        export["customer_id"], export["date"], export["monetary"],
        observation_end=export["observation_end"], time_unit="D",
    )  # fmt: skip
    by_text = {export["text"][cid]: i for i, cid in enumerate(expected.customer_id.tolist())}
    ids = [r[0] for r in rows]
    assert sorted(ids) == sorted(by_text)  # every customer once, id exactly as written
    if all(c.lstrip("-").isdigit() for c in ids):
        assert ids == sorted(ids, key=lambda c: (Decimal(c), c))
    else:
        assert ids == sorted(ids)
    order = [by_text[c] for c in ids]
    table = np.array([r[1:] for r in rows], dtype=float)
    np.testing.assert_array_equal(table[:, 0], expected.frequency[order])
    np.testing.assert_array_equal(table[:, 1], expected.recency[order])
    np.testing.assert_array_equal(table[:, 2], expected.T[order])
    assert expected.monetary_value is not None
    np.testing.assert_allclose(table[:, 3], expected.monetary_value[order], rtol=1e-12)


#: Pieces of CSV cells that hit the reader's edge cases: quotes, line ends, a BOM, signs,
#: currency symbols, dates, numbers and delimiters inside cells.
CELL_PIECES = st.sampled_from(
    ["", "1", "007", "2024-01-01", "2024-02-30", "5.5", "-", "+", "$", "€", "1e999", ".",
     "1,234.50", '"', ";", "\n", "\r", " ", "\ufeff", "x", "é", "\x00", "nan", "date"]
)  # fmt: skip
CELLS = st.lists(CELL_PIECES, max_size=3).map("".join)
#: Mostly well-formed rows (valid id and date) with a fuzzed cell somewhere, so that each
#: column's parser sees odd values; sometimes a row of any width.
GOOD_ID = st.sampled_from(["1", "007", "a b", '"x,y"'])
GOOD_DATE = st.sampled_from(["2024-01-01", "2024-01-09", " 2024-03-01 "])
ROW = st.one_of(
    st.tuples(st.one_of(GOOD_ID, CELLS), GOOD_DATE, CELLS),
    st.tuples(GOOD_ID, st.one_of(GOOD_DATE, CELLS), st.sampled_from(["5", "$2.50", "0"])),
    st.lists(CELLS, max_size=4),
).map(",".join)
ROWS = st.lists(ROW, max_size=5)


@given(
    rows=ROWS,
    header=st.sampled_from(["customer_id,date,amount", "customer_id,date", ""]),
    newline=st.sampled_from(["\n", "\r\n"]),
    raw=st.binary(max_size=8),
    encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]),
)
def test_arbitrary_input_gives_a_result_or_one_line(
    rows: list[str],
    header: str,
    newline: str,
    raw: bytes,
    encoding: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """No input makes the reader raise: exit 0, or exit 2 with one line and nothing written."""
    text = newline.join([header, *rows]) if header else newline.join(rows)
    path = tmp_path_factory.mktemp("fuzz") / "in.csv"
    path.write_bytes(text.encode(encoding if encoding != "latin-1" else "utf-8") + raw)
    out_file = path.with_suffix(".out")
    argv = ["score", str(path), "--summary-only", "--encoding", encoding, "-o", str(out_file)]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    out, err = stdout.getvalue(), stderr.getvalue()
    assert out == ""
    if code == 0:
        assert err == ""
        assert out_file.read_text(encoding="utf-8").startswith("customer_id,")
    else:
        assert code == 2
        assert err.startswith("custvalue: error: ")
        assert err.count("\n") == 1
        assert not out_file.exists()
