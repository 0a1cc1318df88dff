"""Plots (custvalue.plot): each is rendered to PNG with Agg and its content is checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from custvalue import lifecycle as lc  # noqa: E402
from custvalue import plot as cp  # noqa: E402
from custvalue import segments as sg  # noqa: E402
from custvalue.clv import BetaGeo, BetaGeoParams  # noqa: E402
from custvalue.datasets import load_cdnow_sample, load_cdnow_summary  # noqa: E402
from custvalue.errors import InvalidInputError, InvalidTypeError  # noqa: E402
from custvalue.summary import summarize_transactions  # noqa: E402

BG = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), time_unit="W")  # FHL 2005
P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
STAGES = ["ACQUIRE", "RETAIN", "RECOVER", "TERMINATE"]


@pytest.fixture
def ax() -> Iterator[Axes]:
    fig, axes = plt.subplots(figsize=(6, 4))
    yield axes
    plt.close(fig)


def _render(axes: Axes, path: Path) -> None:
    axes.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 5_000  # a real picture, not an empty canvas


def _image(axes: Axes) -> AxesImage:
    images = axes.get_images()
    assert len(images) == 1
    return images[0]


def _bars(axes: Axes) -> list[BarContainer]:
    return [c for c in axes.containers if isinstance(c, BarContainer)]


def _texts(axes: Axes) -> list[str]:
    return [t.get_text() for t in axes.texts]


# ----------------------------------------------------------------------- purchase model
def test_frequency_recency_matrix(ax: Axes, tmp_path: Path) -> None:
    out = cp.plot_frequency_recency_matrix(BG, 39.0, horizon=2.0, max_frequency=10, ax=ax)
    assert out is ax
    _render(ax, tmp_path / "fr.png")
    data = _image(ax).get_array()
    assert data.shape == (11, 40)  # frequency 0..10, recency 0..39 in steps of 1 week
    assert ax.get_title().startswith("Expected purchases in the next 2 time units")
    assert data.mask[0, 1:].all()
    assert not data.mask[0, 0]
    assert not data.mask[1:].any()
    x, t_x = 7, 30.0
    assert data[x, 30] == pytest.approx(float(BG.expected_purchases(2.0, x, t_x, 39.0)))
    # more recent and more frequent buyers are expected to buy more (top-right corner)
    assert data[10, 39] == data.max()
    assert len(ax.figure.axes) == 2  # the colorbar


def test_probability_alive_matrix(ax: Axes, tmp_path: Path) -> None:
    cp.plot_probability_alive_matrix(BG, 39.0, max_frequency=5, n_recency=14, ax=ax)
    _render(ax, tmp_path / "pa.png")
    image = _image(ax)
    data = image.get_array()
    assert data.shape == (6, 14)
    assert image.get_clim() == (0.0, 1.0)
    assert data[0, 0] == 1.0  # no repeat purchase: alive in BG/NBD
    recency = np.linspace(0, 39, 14)
    np.testing.assert_allclose(data[3], BG.probability_alive(3, recency, 39.0))
    assert "Probability alive" in ax.get_title()


def test_transaction_tracking_cumulative_on_cdnow(ax: Axes, tmp_path: Path) -> None:
    log = load_cdnow_sample()
    cp.plot_transaction_tracking(BG, log.customer_id, log.date, calibration_end="1997-09-30", ax=ax)
    _render(ax, tmp_path / "track.png")
    actual, model, cal = ax.get_lines()
    assert [actual.get_label(), model.get_label()] == ["actual", "model"]
    weeks = actual.get_xdata()
    assert weeks[0] == 1
    assert weeks[-1] == 78
    y = np.asarray(actual.get_ydata())
    # actual at week 39 = calibration repeat purchases (FHL 2005: 2,457); at the end, all of them
    assert y[38] == 2457
    full = summarize_transactions(log.customer_id, log.date)
    assert y[-1] == full.frequency.sum()
    assert np.all(np.diff(y) >= 0)
    m = np.asarray(model.get_ydata())
    # model at week 39: sum over customers of E[X(age at 1997-09-30)], computed directly
    cal_summary = summarize_transactions(
        log.customer_id, log.date, observation_end="1997-09-30", time_unit="W"
    )
    assert m[38] == pytest.approx(float(BG.expected_purchases_new(cal_summary.T).sum()))
    assert abs(m[38] - y[38]) / y[38] < 0.03  # the published fit tracks calibration closely
    assert np.asarray(cal.get_xdata())[0] == pytest.approx(273 / 7)  # 1997-09-30 is day 273


def test_transaction_tracking_incremental(ax: Axes, tmp_path: Path) -> None:
    ids = [1, 1, 1, 2, 2]
    dates = ["2024-01-01", "2024-01-01", "2024-01-09", "2024-01-03", "2024-01-20"]
    cp.plot_transaction_tracking(
        BG, ids, dates, calibration_end="2024-01-10", kind="incremental", ax=ax
    )
    _render(ax, tmp_path / "inc.png")
    actual, model, _ = ax.get_lines()
    # 20 days = 2 whole weeks; repeat purchases on Jan 9 (week 2) only; Jan 20 is cut off
    np.testing.assert_array_equal(actual.get_ydata(), [0.0, 1.0])
    # ages as in a summary at each week's last day (Jan 7, Jan 14): T = that day - first day
    age1 = np.array([6, 13]) / 7  # customer 1, first purchase Jan 1
    age2 = np.array([4, 11]) / 7  # customer 2, first purchase Jan 3
    expected = BG.expected_purchases_new(age1) + BG.expected_purchases_new(age2)
    np.testing.assert_allclose(model.get_ydata(), np.diff(expected, prepend=0.0))
    assert ax.get_title() == "Tracking incremental repeat transactions"
    with pytest.raises(InvalidInputError, match="kind"):
        cp.plot_transaction_tracking(BG, ids, dates, calibration_end="2024-01-10", kind="x")
    with pytest.raises(InvalidInputError, match="calibration_end"):
        cp.plot_transaction_tracking(BG, ids, dates, calibration_end="2025-01-10", ax=ax)


def test_repeat_purchase_histogram_on_cdnow(ax: Axes, tmp_path: Path) -> None:
    s = load_cdnow_summary()
    cp.plot_repeat_purchase_histogram(BG, s.frequency, s.T, max_frequency=7, ax=ax)
    _render(ax, tmp_path / "hist.png")
    actual, model = _bars(ax)
    assert len(actual) == len(model) == 8
    heights = np.array([b.get_height() for b in actual])
    expected = np.bincount(np.minimum(s.frequency, 7), minlength=8)
    np.testing.assert_array_equal(heights, expected)
    assert heights[0] == 1411  # CDNOW: 1,411 of 2,357 made no repeat purchase in 39 weeks
    model_heights = np.array([b.get_height() for b in model])
    assert model_heights.sum() == pytest.approx(s.n_customers)
    # FHL 2005 figure 1: the model matches the zero class to within 1%
    assert model_heights[0] == pytest.approx(1411, rel=0.01)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"


def test_probability_alive_history(ax: Axes, tmp_path: Path) -> None:
    times = [2.0, 5.0, 20.0]
    cp.plot_probability_alive_history(BG, times, 39.0, n_points=50, ax=ax)
    _render(ax, tmp_path / "alive.png")
    line = ax.get_lines()[0]
    t, p = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert t.size == 50 + 2 * 3
    assert np.all(np.diff(t) >= 0)
    assert p[0] == 1.0
    assert np.all((p >= 0) & (p <= 1))
    assert p[-1] == pytest.approx(float(BG.probability_alive(3, 20.0, 39.0)))
    # at a purchase time: left limit (history before it) then the value just after it
    k = int(np.flatnonzero(t == 20.0)[0])
    assert p[k] == pytest.approx(float(BG.probability_alive(2, 5.0, 20.0)))
    assert p[k + 1] == pytest.approx(float(BG.probability_alive(3, 20.0, 20.0)))
    assert p[k + 1] > p[k]  # buying again raises P(alive)
    assert len(ax.get_lines()) == 1 + len(times)  # one marker line per purchase
    with pytest.raises(InvalidInputError, match="purchase_times"):
        cp.plot_probability_alive_history(BG, [0.0, 3.0], 39.0, ax=ax)


def test_transaction_tracking_takes_the_unit_from_the_model(ax: Axes) -> None:
    log = load_cdnow_sample()
    args = (log.customer_id, log.date)
    cp.plot_transaction_tracking(BG.in_unit("D"), *args, calibration_end="1997-09-30", ax=ax)
    _, daily, _ = ax.get_lines()
    assert "(D)" in ax.get_xlabel()
    fig, other = plt.subplots()
    try:
        cp.plot_transaction_tracking(BG, *args, calibration_end="1997-09-30", ax=other)
        _, weekly, _ = other.get_lines()
        # the same day (1997-09-30 ends day 273 and week 39) gives the same expected count
        assert np.asarray(daily.get_ydata())[272] == pytest.approx(
            np.asarray(weekly.get_ydata())[38], rel=1e-9
        )
        # a unitless model: time_unit= says the unit; without it weeks, with a FutureWarning
        unitless = BetaGeo(BG.params)
        other.cla()
        with pytest.warns(FutureWarning, match="weeks"):
            cp.plot_transaction_tracking(unitless, *args, calibration_end="1997-09-30", ax=other)
        np.testing.assert_array_equal(other.get_lines()[1].get_ydata(), weekly.get_ydata())
        other.cla()
        cp.plot_transaction_tracking(
            unitless, *args, calibration_end="1997-09-30", time_unit="W", ax=other
        )
        np.testing.assert_array_equal(other.get_lines()[1].get_ydata(), weekly.get_ydata())
        # the same length under another name is the same unit
        cp.plot_transaction_tracking(BG, *args, calibration_end="1997-09-30", time_unit="7D")
    finally:
        plt.close(fig)
    # a conflicting unit raises instead of plotting a curve scaled by 7
    with pytest.raises(
        InvalidInputError, match="time_unit= is in 'D' but the BetaGeo model is in 'W'"
    ):
        cp.plot_transaction_tracking(BG, *args, calibration_end="1997-09-30", time_unit="D")


def test_model_plots_read_durations_and_check_units(ax: Axes) -> None:
    cp.plot_frequency_recency_matrix(BG, "39W", horizon="14D", max_frequency=5, ax=ax)
    by_duration = _image(ax).get_array()
    assert "(W)" in ax.get_title()
    ax.cla()
    cp.plot_frequency_recency_matrix(BG, 39.0, horizon=2.0, max_frequency=5, ax=ax)
    np.testing.assert_allclose(by_duration, _image(ax).get_array(), rtol=1e-12)
    mismatch = "time_unit= is in 'D' but the BetaGeo model is in 'W'"
    with pytest.raises(InvalidInputError, match=mismatch):
        cp.plot_frequency_recency_matrix(BG, 39.0, time_unit="D", ax=ax)
    with pytest.raises(InvalidInputError, match=mismatch):
        cp.plot_probability_alive_matrix(BG, 39.0, time_unit="D", ax=ax)
    with pytest.raises(InvalidInputError, match=mismatch):
        cp.plot_probability_alive_history(BG, [2.0], 39.0, time_unit="D", ax=ax)
    with pytest.raises(InvalidInputError, match="the model has no time unit"):
        cp.plot_probability_alive_matrix(BetaGeo(BG.params), "1Y", ax=ax)
    ax.cla()
    cp.plot_probability_alive_history(BG, [2.0, 5.0], "273D", n_points=20, ax=ax)
    assert np.asarray(ax.get_lines()[0].get_xdata()).max() == pytest.approx(39.0)


def test_repeat_purchase_histogram_takes_a_summary(ax: Axes) -> None:
    s = load_cdnow_summary()
    cp.plot_repeat_purchase_histogram(BG, s, max_frequency=5, ax=ax)
    from_summary = [b.get_height() for b in _bars(ax)[1]]
    ax.cla()
    cp.plot_repeat_purchase_histogram(BG, s.frequency, s.T, max_frequency=5, ax=ax)
    assert from_summary == [b.get_height() for b in _bars(ax)[1]]
    log = load_cdnow_sample()
    daily = summarize_transactions(log.customer_id, log.date, observation_end="1997-09-30")
    with pytest.raises(InvalidInputError, match="CustomerSummary is in 'D' but the BetaGeo"):
        cp.plot_repeat_purchase_histogram(BG, daily, ax=ax)


# ----------------------------------------------------------------------- segments
def test_lorenz_curve(ax: Axes, tmp_path: Path) -> None:
    values = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 4.0, 8.0, 16.0])
    curve = sg.lorenz_curve(values)
    cp.plot_lorenz_curve(values, ax=ax)
    _render(ax, tmp_path / "lorenz.png")
    lorenz, equality = ax.get_lines()
    np.testing.assert_allclose(lorenz.get_xdata(), curve.customer_share)
    np.testing.assert_allclose(lorenz.get_ydata(), curve.value_share)
    np.testing.assert_array_equal(equality.get_ydata(), [0, 1])
    assert ax.get_title() == f"Value concentration (Gini {curve.gini:.3f})"
    assert ax.get_xlim() == (0.0, 1.0)


def test_customer_pyramid(ax: Axes, tmp_path: Path) -> None:
    revenue = np.array([900.0, 400, 300, 200, 150, 120, 100, 90, 60, 40])
    pyramid = sg.customer_pyramid(revenue, np.full(10, 100.0))
    cp.plot_customer_pyramid(pyramid, ax=ax)
    _render(ax, tmp_path / "pyramid.png")
    layers = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(layers) == 4
    tops = [float(np.asarray(p.get_xy())[:, 1].max()) for p in layers]
    assert tops == [1.0, 0.75, 0.5, 0.25]  # Platinum at the top
    widths = [float(np.ptp(np.asarray(p.get_xy())[:, 0])) for p in layers]
    assert widths == sorted(widths)  # wider towards the base
    texts = _texts(ax)
    assert [t.split("\n")[0] for t in texts] == ["Platinum", "Gold", "Iron", "Lead"]
    assert "2 customers (20%)" in texts[0]
    with pytest.raises(InvalidTypeError, match="CustomerPyramid or SegmentTable"):
        cp.plot_customer_pyramid(revenue, ax=ax)


# ----------------------------------------------------------------------- lifecycle
def test_transition_heatmap(ax: Axes, tmp_path: Path) -> None:
    cp.plot_transition_heatmap(lc.MigrationModel(P), ax=ax)
    _render(ax, tmp_path / "heat.png")
    np.testing.assert_array_equal(_image(ax).get_array(), np.asarray(P))
    assert [t.get_text() for t in ax.get_xticklabels()] == STAGES
    assert [t.get_text() for t in ax.get_yticklabels()] == STAGES
    texts = _texts(ax)
    assert len(texts) == 16
    assert texts[1] == "0.60"
    assert texts[15] == "1.00"
    assert ax.get_title() == "Stage transitions (transition probability)"


def test_stage_flow_from_a_forecast(ax: Axes, tmp_path: Path) -> None:
    forecast = lc.MigrationModel(P).forecast([100.0, 0.0, 0.0, 0.0], 5)
    cp.plot_stage_flow(forecast, ax=ax)
    _render(ax, tmp_path / "flow.png")
    containers = _bars(ax)
    assert [c.get_label() for c in containers] == STAGES
    assert all(len(c) == 6 for c in containers)
    for j, c in enumerate(containers):
        np.testing.assert_allclose([b.get_height() for b in c], forecast[:, j])
    tops = [b.get_y() + b.get_height() for b in containers[-1]]
    np.testing.assert_allclose(tops, 100.0)  # stacked: every period holds the whole cohort


def test_stage_flow_and_heatmap_from_a_stage_history(tmp_path: Path) -> None:
    history = lc.stage_history(
        [1, 1, 2, 3, 3, 3],
        ["2024-01-01", "2024-02-20", "2024-03-01", "2024-01-05", "2024-01-20", "2024-04-01"],
        ["2024-01-31", "2024-03-31", "2024-04-30"],
        p_alive=BG,
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    cp.plot_stage_flow(history, ax=left)
    cp.plot_transition_heatmap(history, ax=right)
    fig.savefig(tmp_path / "history.png", dpi=60)
    plt.close(fig)
    assert [t.get_text() for t in left.get_xticklabels()] == [str(c) for c in history.cutoffs]
    totals = sum(np.array([b.get_height() for b in c]) for c in _bars(left))
    np.testing.assert_array_equal(totals, (history.stages >= 0).sum(axis=0))
    np.testing.assert_array_equal(_image(right).get_array(), history.transition_counts())
    with pytest.raises(InvalidInputError, match="4 x 4"):
        cp.plot_transition_heatmap(np.eye(3), ax=right)


def test_repurchase_tree(ax: Axes, tmp_path: Path) -> None:
    tree = lc.RepurchaseTree(0.3, 0.4, 0.3, 0.4, 0.3, 0.9, 0.6, 0.85, 0.7, 0.2)
    cp.plot_repurchase_tree(tree, ax=ax)
    _render(ax, tmp_path / "tree.png")
    assert len(ax.get_lines()) == 7  # edges
    texts = _texts(ax)
    assert len(texts) == 7 + 3 + 5  # edge shares, inner nodes, leaves
    assert texts[:7] == ["70%", "30%", "60%", "40%", "30%", "40%", "30%"]
    leaves = texts[-5:]
    assert leaves[0] == "no failure\n70.0% of base\nintent 90%"
    assert leaves[4] == "unresolved\n3.6% of base\nintent 20%"  # 0.3 * 0.4 * 0.3
    assert ax.get_title() == f"Repurchase intent {tree.intent:.1%}"


def test_default_axes_and_bad_axes() -> None:
    fig = plt.figure()
    try:
        out = cp.plot_lorenz_curve([1.0, 2.0, 3.0])
        assert out is plt.gca()
        with pytest.raises(InvalidTypeError, match="ax must be a matplotlib Axes"):
            cp.plot_lorenz_curve([1.0, 2.0], ax="left")
        with pytest.raises(InvalidTypeError, match="expected_purchases_new"):
            cp.plot_transaction_tracking(
                object(), [1], ["2024-01-01"], calibration_end="2024-01-01"
            )
    finally:
        plt.close(fig)


def _holdout_report() -> Any:
    from custvalue import calibration_holdout_split
    from custvalue.clv import evaluate

    log = load_cdnow_sample()
    split = calibration_holdout_split(
        log.customer_id, log.date, calibration_end="1997-09-30", time_unit="W"
    )
    return evaluate(BG, split)


def test_holdout_plots_draw_the_report(tmp_path: Path) -> None:
    report = _holdout_report()
    fig, axes = plt.subplots(2, 2, figsize=(8, 6))
    try:
        a1, a2, a3, a4 = axes.ravel()
        cp.plot_holdout_by_frequency(report, ax=a1)
        actual, model = a1.get_lines()
        freq = report.to_columns("frequency")
        np.testing.assert_array_equal(actual.get_ydata(), freq["mean_actual"])
        np.testing.assert_array_equal(model.get_ydata(), freq["mean_predicted"])
        assert [t.get_text() for t in a1.get_xticklabels()][-1] == "7+"
        cp.plot_transaction_tracking(report, kind="incremental", ax=a2)
        actual, model, cal = a2.get_lines()
        track = report.to_columns("tracking")
        np.testing.assert_allclose(actual.get_ydata(), track["actual"])
        np.testing.assert_allclose(model.get_ydata(), track["expected"])
        # the calibration customers are all of CDNOW's (all first purchases in the calibration)
        assert np.asarray(cal.get_xdata())[0] == pytest.approx(273 / 7)
        cp.plot_repeat_purchase_histogram(report, ax=a3)
        bars_actual, bars_model = _bars(a3)
        np.testing.assert_array_equal(
            [b.get_height() for b in bars_model], report.histogram_expected
        )
        np.testing.assert_array_equal(
            [b.get_height() for b in bars_actual], report.histogram_actual
        )
        cp.plot_probability_alive_calibration(report, ax=a4)
        observed, diagonal = a4.get_lines()
        assert diagonal.get_label() == "perfect"
        table = report.to_columns("calibration")
        np.testing.assert_array_equal(observed.get_xdata(), table["mean_probability_alive"])
        np.testing.assert_array_equal(observed.get_ydata(), table["share_with_holdout_purchase"])
        assert "Brier" in a4.get_title()
        fig.savefig(tmp_path / "holdout.png", dpi=60)
        assert (tmp_path / "holdout.png").stat().st_size > 5_000
    finally:
        plt.close(fig)


def test_tracking_from_the_report_equals_tracking_from_the_log(ax: Axes) -> None:
    report = _holdout_report()
    log = load_cdnow_sample()
    cp.plot_transaction_tracking(BG, log.customer_id, log.date, calibration_end="1997-09-30", ax=ax)
    actual, model, _ = ax.get_lines()
    # CDNOW's cohort is acquired in the calibration period: both give the same curves
    np.testing.assert_array_equal(actual.get_ydata(), report.tracking_actual)
    np.testing.assert_allclose(model.get_ydata(), report.tracking_expected, rtol=1e-12)


def test_holdout_plots_refuse_other_input(ax: Axes) -> None:
    report = _holdout_report()
    with pytest.raises(InvalidTypeError, match="HoldoutReport"):
        cp.plot_holdout_by_frequency(BG, ax=ax)
    with pytest.raises(InvalidTypeError, match="HoldoutReport"):
        cp.plot_probability_alive_calibration(object(), ax=ax)
    with pytest.raises(InvalidInputError, match="omitted with a HoldoutReport"):
        cp.plot_transaction_tracking(report, calibration_end="1997-09-30", ax=ax)
    with pytest.raises(InvalidInputError, match="required with a model"):
        cp.plot_transaction_tracking(BG, ax=ax)
    with pytest.raises(InvalidInputError, match="omitted with a HoldoutReport"):
        cp.plot_repeat_purchase_histogram(report, [1, 2], ax=ax)
