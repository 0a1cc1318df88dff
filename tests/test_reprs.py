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

from custvalue import lifecycle as lc
from custvalue import segments as sg
from custvalue._html import MAX_ROWS, TableView, column_view, format_cell, html_table, text_table
from custvalue.clv import BetaGeo, bootstrap
from custvalue.summary import calibration_holdout_split, summarize_transactions

RNG = np.random.default_rng(3)
N = 300
IDS = RNG.integers(0, 120, N)
DAYS = np.datetime64("2024-01-01") + RNG.integers(0, 200, N).astype("timedelta64[D]")
AMOUNTS = RNG.uniform(1, 80, N).round(2)


def _history() -> Any:
    return lc.stage_history(
        IDS,
        DAYS,
        ["2024-03-01", "2024-05-01", "2024-07-01"],
        p_alive=lambda summary: np.ones(summary.n_customers),
        policy=lc.StagePolicy(recover_after=30),
    )


def _model() -> Any:
    return lc.estimate_migration(_history().transition_counts(), no_exits="absorbing").model


def _histories() -> tuple[Any, Any, Any]:
    from custvalue.datasets import load_cdnow_summary

    s = load_cdnow_summary()
    return s.frequency, s.recency, s.T


def _posterior() -> Any:
    return lc.RepurchasePosterior.from_counts(
        respondents=[600, 90, 25, 35, 30], intending=[520, 36, 23, 25, 13]
    )


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
    "StageAssignment": lambda: lc.StagePolicy(recover_after=13).assign(
        n_purchases=RNG.integers(1, 5, N),
        p_alive=RNG.uniform(0, 1, N),
        time_since_last_purchase=RNG.uniform(0, 30, N),
    ),
    "StageHistory": _history,
    "MigrationEstimate": lambda: lc.estimate_migration(
        _history().transition_counts(), no_exits="absorbing"
    ),
    "MigrationModel": lambda: (
        lc.estimate_migration(_history().transition_counts(), no_exits="absorbing").model
    ),
    "StageValue": lambda: _model().value([1.0, 2.0, 0.5, 0.0], 0.02),
    "AbsorbingFacts": lambda: (
        lc.MigrationModel(
            np.array([[0.5, 0.3, 0, 0.2], [0, 0.7, 0.3, 0], [0, 0.3, 0.4, 0.3], [0.1, 0, 0, 0.9]])
        )
        .with_absorbing_terminate()
        .absorbing()
    ),
    "RepurchaseTree": lambda: lc.tarp_tree(
        "minor",
        no_failure_rate=0.85,
        failure_share=0.2,
        complaint_share=0.3,
        quick_share=0.3,
        resolved_share=0.4,
        unresolved_share=0.3,
    ),
    "RepurchasePosterior": _posterior,
    "IntentSummary": lambda: _posterior().summary(0.9, n_draws=200, rng=1),
    "BootstrapResult": lambda: bootstrap(BetaGeo, *_histories(), n_resamples=3, rng=1),
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_text_repr_is_short_and_matches_the_html(name: str) -> None:
    result = RESULTS[name]()
    text = repr(result)
    lines = text.splitlines()
    assert len(lines) <= MAX_ROWS + 3  # caption, header, rows, "... more rows"
    assert lines[0]
    page = result._repr_html_()
    caption = re.search(r"<caption>(.*?)</caption>", page)
    if caption is not None:
        assert html.unescape(caption.group(1)) == lines[0]
        lines = lines[1:]
    header = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", page)]
    assert lines[0].split() == [w for h in header for w in h.split()]
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", page)]
    first_row = cells[: len(header)]
    assert lines[1].split() == [w for c in first_row for w in c.split()]
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
