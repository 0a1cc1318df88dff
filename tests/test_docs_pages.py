"""The documentation pages that are generated or must follow the code.

- The plot gallery (docs/plots.md): the docs build runs its code blocks and saves each figure
  (docs/hooks/build_assets.py). Here the same blocks run and every figure is checked: the
  right axes, labels and data, and a PNG written from it.
- The API pages (docs/api/*.md) each open with a table of their module's names: the table
  lists exactly the module's ``__all__``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_assets", DOCS / "hooks/build_assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------ gallery
def _ax(figure: Any) -> Any:
    return figure.axes[0]


def _line(ax: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    (line,) = [ln for ln in ax.lines if ln.get_label() == label]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def _tracking(figure: Any, cumulative: bool) -> None:
    ax = _ax(figure)
    assert ax.get_xlabel() == "time since 1997-01-01 (W)"
    x, actual = _line(ax, "actual")
    _, model = _line(ax, "model")
    assert x.size == 78  # whole weeks from 1997-01-01 to 1998-06-30
    if cumulative:
        assert np.all(np.diff(actual) >= 0)
        # FHL 2005 fig. 2: the model tracks the cumulative series within a few percent
        assert abs(model[-1] - actual[-1]) < 0.1 * actual[-1]
        assert 4000 < actual[-1] < 5000
    else:
        assert actual.sum() > 4000
    assert "calibration end" in [ln.get_label() for ln in ax.lines]


def _histogram(figure: Any) -> None:
    ax = _ax(figure)
    actual, model = ax.containers
    heights = [np.array([bar.get_height() for bar in c]) for c in (actual, model)]
    assert heights[0].sum() == 2357  # every CDNOW customer counted once
    assert heights[0][0] == 1411  # FHL 2005: 1,411 customers made no repeat purchase
    assert abs(heights[1].sum() - 2357) < 1.0


def _matrix(figure: Any, upper: float | None) -> None:
    ax = _ax(figure)
    (image,) = ax.images
    values = np.asarray(image.get_array())
    assert values.shape == (21, 40)  # frequency 0..20 by recency steps up to T = 39
    assert np.isfinite(values).all()
    assert values.min() >= 0
    if upper is not None:
        assert values.max() <= upper
    assert ax.get_xlabel().startswith("recency t_x")
    assert len(figure.axes) == 2  # the colour bar


def _history(figure: Any) -> None:
    _, p = _line(_ax(figure), "P(alive)")
    assert p[0] == pytest.approx(1.0)
    assert np.all((p > 0) & (p <= 1))


def _holdout_by_frequency(figure: Any) -> None:
    ax = _ax(figure)
    _, actual = _line(ax, "actual")
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"
    assert actual[0] == pytest.approx(334 / 1411)  # CDNOW: 334 holdout purchases of the 1,411


def _alive_calibration(figure: Any) -> None:
    ax = _ax(figure)
    p, share = _line(ax, "observed")
    assert p.size == 10
    assert np.all(np.diff(p) >= 0)
    assert np.all((share >= 0) & (share <= 1))


def _lorenz(figure: Any) -> None:
    ax = _ax(figure)
    x, y = _line(ax, "Lorenz curve")
    assert (x[0], y[0], x[-1], y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(y) >= 0)
    assert re.fullmatch(r"Value concentration \(Gini 0\.\d+\)", ax.get_title())


def _pyramid(figure: Any) -> None:
    ax = _ax(figure)
    assert len(ax.patches) == 4
    texts = " ".join(t.get_text() for t in ax.texts)
    for tier in ("Platinum", "Gold", "Iron", "Lead"):
        assert tier in texts
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) customers", texts)]
    assert sum(counts) == 2357


def _stage_flow(figure: Any) -> None:
    ax = _ax(figure)
    assert len(ax.containers) == 4  # one bar series per stage
    totals = sum(np.array([bar.get_height() for bar in c]) for c in ax.containers)
    assert totals.shape == (5,)  # five quarter ends
    assert np.all(np.diff(totals) >= 0)  # acquired customers never leave the table
    assert totals[-1] == 2357  # all CDNOW customers bought in the first quarter of 1997


def _heatmap(figure: Any) -> None:
    ax = _ax(figure)
    (image,) = ax.images
    counts = np.asarray(image.get_array())
    assert counts.shape == (4, 4)
    assert len(ax.texts) == 16
    assert counts.sum() == 4 * 2357 - 0  # four moves per customer between five quarter ends
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("to stage", "from stage")


def _tree(figure: Any) -> None:
    ax = _ax(figure)
    assert ax.get_title() == "Repurchase intent 81.4%"
    assert len(ax.texts) >= 9


CHECKS = {
    "transaction_tracking": lambda f: _tracking(f, cumulative=True),
    "transaction_tracking_incremental": lambda f: _tracking(f, cumulative=False),
    "repeat_purchase_histogram": _histogram,
    "frequency_recency_matrix": lambda f: _matrix(f, None),
    "probability_alive_matrix": lambda f: _matrix(f, 1.0),
    "probability_alive_history": _history,
    "holdout_by_frequency": _holdout_by_frequency,
    "probability_alive_calibration": _alive_calibration,
    "lorenz_curve": _lorenz,
    "customer_pyramid": _pyramid,
    "stage_flow": _stage_flow,
    "transition_heatmap": _heatmap,
    "repurchase_tree": _tree,
}


def test_every_plot_function_is_in_the_gallery_with_its_image() -> None:
    pytest.importorskip("matplotlib")
    import custvalue.plot

    page = (DOCS / "plots.md").read_text(encoding="utf-8")
    blocks = dict(_hooks().gallery_blocks(page))
    assert next(iter(blocks)) == "setup"
    for name in custvalue.plot.__all__:
        assert any(f"plot.{name}(" in code for code in blocks.values()), f"{name} not shown"
    images = re.findall(r"!\[[^\]]+\]\(plots/([a-z0-9_]+)\.png\)", page)
    assert images == [name for name in blocks if name != "setup"]
    assert set(CHECKS) == set(images)


def test_gallery_draws_every_figure_with_the_expected_axes_and_data(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    hooks = _hooks()
    page = (DOCS / "plots.md").read_text(encoding="utf-8")
    seen = []
    for name, figure in hooks.run_gallery(page):
        CHECKS[name](figure)
        path = tmp_path / f"{name}.png"
        figure.savefig(path, dpi=40)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        seen.append(name)
    assert seen == list(CHECKS)


def test_readme_shows_the_gallery_tracking_plot_from_the_repository() -> None:
    """The README's one picture is a file in the repository (so GitHub shows it), drawn by the
    gallery's own code (``python docs/hooks/build_assets.py --readme``) at the gallery's size."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", readme)
    assert pictures == ["docs/assets/readme-transaction-tracking.png"]
    picture = DOCS.parent / pictures[0]
    assert picture == _hooks().README_PICTURE
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (700, 400)  # figsize=(7, 4) at 100 dpi, as the gallery saves it


# ------------------------------------------------------------------------------ API pages
API_PAGES = {
    "custvalue.md": ["custvalue", "custvalue.errors", "custvalue.datasets"],
    "clv.md": ["custvalue.clv"],
    "segments.md": ["custvalue.segments"],
    "lifecycle.md": ["custvalue.lifecycle"],
    "frame.md": ["custvalue.frame"],
    "plot.md": ["custvalue.plot"],
    "dask.md": ["custvalue.dask"],
}


def test_every_api_page_is_listed() -> None:
    assert sorted(p.name for p in (DOCS / "api").glob("*.md")) == sorted(API_PAGES)


@pytest.mark.parametrize("page", sorted(API_PAGES))
def test_api_page_opens_with_prose_and_a_table_of_the_module_names(page: str) -> None:
    text = (DOCS / "api" / page).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# ")
    assert len(lines[2]) > 150, "the page opens with a paragraph of prose"
    listed = re.findall(r"^\| `([^`]+)` \|", text, re.M)
    expected = []
    for name in API_PAGES[page]:
        if name == "custvalue.dask":
            pytest.importorskip("dask")
        expected += list(importlib.import_module(name).__all__)
        assert f"::: {name}" in text  # the mkdocstrings reference stays
    assert listed == expected
