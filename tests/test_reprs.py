"""Short representations: every result's plain-text ``repr`` is at most ~15 lines (a head, like
a pandas frame's) and shows the same header, cells and caption as its ``_repr_html_``, both
rendered by ``custvalue._html`` from one view (issue 12, section 6)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from custvalue import segments as sg
from custvalue._html import MAX_ROWS, TableView, column_view, format_cell, html_table, text_table
from custvalue.summary import calibration_holdout_split, summarize_transactions

RNG = np.random.default_rng(3)
N = 300
IDS = RNG.integers(0, 120, N)
DAYS = np.datetime64("2024-01-01") + RNG.integers(0, 200, N).astype("timedelta64[D]")
AMOUNTS = RNG.uniform(1, 80, N).round(2)


def _rfm() -> Any:
    return sg.rfm_scores(RNG.integers(0, 99, N), RNG.integers(1, 9, N), RNG.uniform(1, 99, N))


RESULTS: dict[str, Callable[[], Any]] = {
    "CustomerSummary": lambda: summarize_transactions(IDS, DAYS, AMOUNTS),
    "CalibrationHoldout": lambda: calibration_holdout_split(
        IDS, DAYS, AMOUNTS, calibration_end="2024-05-01"
    ),
    "RFMScores": _rfm,
    "SegmentTable": lambda: _rfm().table,
    "Segmentation": lambda: sg.rfm_segments(_rfm()),
    "CustomerPyramid": lambda: sg.customer_pyramid(RNG.uniform(10, 99, N), RNG.uniform(0, 9, N)),
    "LorenzCurve": lambda: sg.lorenz_curve(RNG.uniform(0, 1, N)),
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_text_repr_is_short_and_matches_the_html(name: str) -> None:
    result = RESULTS[name]()
    text = repr(result)
    lines = text.splitlines()
    assert len(lines) <= MAX_ROWS + 3  # caption, header, rows, "... more rows"
    assert type(result).__name__ in lines[0]
    page = result._repr_html_()
    caption = re.search(r"<caption>(.*?)</caption>", page)
    assert caption is not None
    assert html.unescape(caption.group(1)) == lines[0]
    header = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page)]
    assert lines[1].split() == [w for h in header for w in h.split()]
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", page)]
    first_row = cells[: len(header)]
    assert lines[2].split() == [w for c in first_row for w in c.split()]
    more = re.search(r"\.\.\. ([\d,]+) more rows", page)
    if more:
        assert lines[-1] == f"... {more.group(1)} more rows"


def test_print_of_rfm_scores_on_many_customers_is_short() -> None:
    scores = sg.rfm_scores(RNG.integers(0, 99, 5000), RNG.integers(1, 9, 5000), RNG.random(5000))
    assert len(str(scores).splitlines()) <= 15
    assert str(scores).splitlines()[-1] == "... 4,990 more rows"


def test_text_and_html_tables_render_one_view() -> None:
    view = column_view("cap <x>", {"a": np.array(["p", "q", "r"]), "b": np.array([1.5, 2e5, 3])}, 2)
    assert view == TableView(["a", "b"], [["p", 1.5], ["q", 2e5]], "cap <x>", 1)
    assert text_table(*view).splitlines() == [
        "cap <x>",
        "a        b",
        "p      1.5",
        "q  200,000",
        "... 1 more rows",
    ]
    page = html_table(*view)
    assert "<caption>cap &lt;x&gt;</caption>" in page
    assert "<td>200,000</td>" in page
    assert "... 1 more rows" in page
    assert format_cell(np.float64(9999.5)) == "1e+04"
    assert format_cell(np.float64(10000.0)) == "10,000"
    assert format_cell(np.int64(7)) == "7"
    assert format_cell(float("nan")) == "nan"
