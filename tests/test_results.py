"""Conformance battery over every result class (the registry is tests/registries.py).

Each result tabulates itself through ``to_columns()``; the notebook HTML, the short text repr
and ``custvalue.frame.to_frame`` are built from those columns, so the checks below compare the
three views with the columns for every registered class.
"""

from __future__ import annotations

import html
import inspect
import re
from typing import Any

import numpy as np
import pytest
from registries import HTML_SOURCE, HTML_SUMMARY, NOT_RESULTS, RESULTS, TWO_LAYOUTS

import custvalue
from custvalue import clv, datasets, lifecycle, segments
from custvalue._columns import Tabular, columns_html
from custvalue.errors import InvalidInputError

CLASSES = sorted(RESULTS, key=lambda c: c.__name__)
_CACHE: dict[type, Any] = {}


def example(cls: type) -> Any:
    if cls not in _CACHE:
        _CACHE[cls] = RESULTS[cls]()
    assert type(_CACHE[cls]) is cls
    return _CACHE[cls]


def _layouts(cls: type) -> list[str | None]:
    return [None, "long", "wide"] if cls in TWO_LAYOUTS else [None]


def _columns(result: Any, layout: str | None) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = (
        result.to_columns() if layout is None else result.to_columns(layout=layout)
    )
    return cols


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_columns_are_named_read_only_1d_arrays_of_one_length(cls: type) -> None:
    result = example(cls)
    assert isinstance(result, Tabular)
    for layout in _layouts(cls):
        cols = _columns(result, layout)
        assert cols, "a result has at least one column"
        lengths = {name: arr.shape for name, arr in cols.items()}
        assert all(isinstance(name, str) and name for name in cols)
        assert len({shape for shape in lengths.values()}) == 1, lengths
        for name, arr in cols.items():
            assert isinstance(arr, np.ndarray), name
            assert arr.ndim == 1, name
            assert not arr.flags.writeable, f"{cls.__name__}.to_columns()[{name!r}] is writable"
            with pytest.raises(ValueError, match="read-only"):
                arr[...] = arr
            if arr.dtype.kind == "f":
                assert not np.isnan(arr).all(), f"{name} is all NaN"
        # the same call twice gives equal tables (no hidden state)
        again = _columns(result, layout)
        assert list(again) == list(cols)
        for name in cols:
            np.testing.assert_array_equal(again[name], cols[name])


@pytest.mark.parametrize("cls", sorted(TWO_LAYOUTS, key=lambda c: c.__name__), ids=str)
def test_two_layouts_hold_the_same_numbers_and_reject_others(cls: type) -> None:
    result = example(cls)
    long, wide = result.to_columns(layout="long"), result.to_columns(layout="wide")
    assert list(result.to_columns()) == list(long)  # long is the default
    assert list(long) != list(wide)
    first = list(long)[2]  # the first quantity after the two keys of a long table
    wide_cells = np.concatenate([wide[k] for k in list(wide)[1:] if not k.startswith("fixed")])
    assert set(np.asarray(long[first]).tolist()) <= set(wide_cells.tolist())
    with pytest.raises(
        InvalidInputError, match=r"layout must be one of \['long', 'wide'\]; got 'tall'"
    ):
        result.to_columns(layout="tall")


def _header(page: str) -> list[str]:
    thead = re.search(r"<thead><tr>(.*?)</tr></thead>", page)
    assert thead is not None, page[:200]
    return [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", thead.group(1))]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_html_is_built_from_the_columns(cls: type) -> None:
    result = example(cls)
    page = result._repr_html_()
    assert page.startswith("<table>")
    assert page.endswith("</table>")
    assert page.count("<table>") == page.count("</table>") == 1
    if cls in HTML_SUMMARY:
        return
    source = HTML_SOURCE.get(cls, lambda r: r)(result)
    html_cols = None
    for layout in _layouts(cls):
        cols = _columns(source, layout)
        if _header(page) == list(cols):
            html_cols = cols
    assert html_cols is not None, f"{cls.__name__} HTML header {_header(page)} is not a layout"
    # the first body row shows the first value of every column, in the shared cell format
    body = columns_html(html_cols, "", max_rows=1)
    first_row = re.search(r"<tbody>(<tr>.*?</tr>)", body)
    assert first_row is not None
    assert first_row.group(1) in page


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_text_repr_is_one_short_line_naming_the_class(cls: type) -> None:
    text = repr(example(cls))
    assert text.startswith(f"{cls.__name__}("), text
    assert "\n" not in text
    assert len(text) <= 300, text
    assert "array(" not in text  # no array dumps


@pytest.mark.parametrize("backend", ["pandas", "polars"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_to_frame_gives_the_columns(cls: type, backend: str) -> None:
    pytest.importorskip("narwhals")
    pytest.importorskip(backend)
    from custvalue.frame import to_frame

    result = example(cls)
    for layout in _layouts(cls):
        cols = _columns(result, layout)
        frame = to_frame(result, backend, layout=layout)
        assert list(frame.columns) == list(cols)
        assert frame.shape == (next(iter(cols.values())).shape[0], len(cols))
        for name, arr in cols.items():
            got = np.asarray(frame[name].to_numpy())
            if arr.dtype.kind in "fiubM":
                np.testing.assert_array_equal(got.astype(arr.dtype), arr)
            else:
                np.testing.assert_array_equal(got.astype(str), arr.astype(str))


def test_layout_on_a_one_layout_result_is_refused() -> None:
    pytest.importorskip("narwhals")
    from custvalue.frame import to_frame

    with pytest.raises(InvalidInputError, match="layout: LorenzCurve has one layout only"):
        to_frame(example(segments.LorenzCurve), layout="wide")


def _public_classes() -> set[type]:
    found = set()
    for module in (custvalue, clv, segments, lifecycle, datasets):
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and obj.__module__.startswith("custvalue")
                and not issubclass(obj, (BaseException, Warning))
            ):
                found.add(obj)
    return found


def test_every_public_class_is_in_a_registry() -> None:
    """A new public class must join the registry of its kind (tests/registries.py)."""
    missing = {c.__name__ for c in _public_classes()} - {
        c.__name__ for c in (*RESULTS, *NOT_RESULTS)
    }
    assert not missing, f"public classes in no registry: {sorted(missing)}"
    both = set(RESULTS) & set(NOT_RESULTS)
    assert not both


def test_every_class_with_to_columns_is_a_registered_result() -> None:
    tabular = {c for c in _public_classes() if callable(getattr(c, "to_columns", None))}
    assert tabular <= set(RESULTS), sorted(c.__name__ for c in tabular - set(RESULTS))
