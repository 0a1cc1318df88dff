"""The deprecation helper: the warning's class, text, location, and the removal deadline."""

from __future__ import annotations

import importlib
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

import custvalue
from custvalue._deprecation import (
    DEPRECATIONS,
    Deprecation,
    deprecated,
    parse_version,
    warn_deprecated,
)
from custvalue.errors import CustValueDeprecationWarning, CustValueWarning

versions = st.tuples(*(st.integers(0, 30),) * 3)


def _v(t: tuple[int, int, int]) -> str:
    return ".".join(map(str, t))


def test_warning_class_is_ours_and_a_deprecation_warning() -> None:
    assert issubclass(CustValueDeprecationWarning, DeprecationWarning)
    assert issubclass(CustValueDeprecationWarning, CustValueWarning)
    assert not issubclass(CustValueDeprecationWarning, FutureWarning)


def test_decorated_function_warns_names_replacement_and_version_and_still_works() -> None:
    @deprecated(since="0.1.0", removed_in="0.3.0", replacement="custvalue.new_total")
    def old_total(x: list[int], *, extra: int = 0) -> int:
        """Add up."""
        return sum(x) + extra

    with pytest.warns(CustValueDeprecationWarning) as record:
        assert old_total([1, 2], extra=3) == 6
    assert len(record) == 1
    message = str(record[0].message)
    assert "old_total" in message
    assert "custvalue.new_total" in message
    assert "removed in custvalue 0.3.0" in message
    assert "since custvalue 0.1.0" in message
    # the warning points at the caller's line (this file), not at the helper
    assert record[0].filename == __file__
    assert old_total.__name__ == "old_total"
    assert old_total.__doc__ is not None
    assert ".. deprecated:: 0.1.0" in old_total.__doc__
    assert old_total.__doc__.startswith("Add up.")
    assert DEPRECATIONS[-1] == Deprecation(
        old_total.__qualname__, "0.1.0", "0.3.0", "custvalue.new_total"
    )
    DEPRECATIONS.pop()


def test_decorated_method_warns() -> None:
    class Model:
        @deprecated(since="0.1.0", removed_in="0.2.0")
        def old(self) -> int:
            return 1

    with pytest.warns(CustValueDeprecationWarning, match=r"Model\.old is deprecated") as rec:
        assert Model().old() == 1
    assert "instead" not in str(rec[0].message)
    DEPRECATIONS.pop()


def test_warn_deprecated_points_at_the_callers_caller() -> None:
    def api(old: int | None = None) -> None:
        if old is not None:
            warn_deprecated("api(old=...)", since="0.1.0", removed_in="0.2.0", replacement="new")

    with pytest.warns(CustValueDeprecationWarning, match=r"use new instead") as record:
        api(old=1)
    assert record[0].filename == __file__
    assert record[0].lineno > 0


def test_shown_in_main_and_hidden_from_libraries_under_default_filters() -> None:
    """Python's default filters: shown where ``__main__`` calls it, ignored elsewhere."""

    def emit(module: str) -> list[warnings.WarningMessage]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            # Python's defaults, inserted in reverse (each goes to the front of the list)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
            warnings.warn_explicit(
                "x", CustValueDeprecationWarning, "f.py", 1, module=module, registry={}
            )
        return caught

    assert len(emit("__main__")) == 1
    assert emit("somelib.core") == []


@given(since=versions, later=versions)
def test_removed_in_must_be_after_since(
    since: tuple[int, int, int], later: tuple[int, int, int]
) -> None:
    if later > since:
        assert Deprecation("f", _v(since), _v(later)).removed_in == _v(later)
    else:
        with pytest.raises(ValueError, match="removed_in must be a later version"):
            Deprecation("f", _v(since), _v(later))


@pytest.mark.parametrize("bad", ["1.0", "v1.0.0", "1.0.0rc1", "", "1.0.0.0"])
def test_malformed_version_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        deprecated(since=bad, removed_in="9.0.0")(lambda: None)
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        parse_version(bad)


def test_parse_version_orders_numerically() -> None:
    assert parse_version("0.10.0") > parse_version("0.9.9")
    assert parse_version("1.0.0") == (1, 0, 0)


def test_no_deprecated_name_outlives_its_removal_version() -> None:
    """Once ``__version__`` reaches a ``removed_in``, the name must actually be removed."""
    for module in ("clv", "segments", "lifecycle", "datasets", "errors", "frame", "cli"):
        importlib.import_module(f"custvalue.{module}")
    current = parse_version(custvalue.__version__)
    overdue = [d for d in DEPRECATIONS if parse_version(d.removed_in) <= current]
    assert overdue == []
