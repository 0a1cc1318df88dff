"""The public API guard: every public name and signature matches ``tests/api_snapshot.txt``.

A failure here means a public name was added, removed or changed. If that was intended (and a
removal went through a deprecation, see ``docs/versioning.md``), refresh the snapshot with
``python tests/api_snapshot.py --update`` and commit it with the change.
"""

from __future__ import annotations

import difflib
import importlib.util

import pytest
from api_snapshot import (
    MODULES,
    OPTIONAL,
    SNAPSHOT,
    UPDATE_COMMAND,
    module_lines,
    snapshot_sections,
)

COMMITTED = snapshot_sections(SNAPSHOT.read_text(encoding="utf-8"))


def test_snapshot_has_one_section_per_public_module() -> None:
    assert list(COMMITTED) == list(MODULES), f"refresh it with: {UPDATE_COMMAND}"


@pytest.mark.parametrize("module", MODULES)
def test_public_api_matches_snapshot(module: str) -> None:
    extra = OPTIONAL.get(module)
    if extra is not None and importlib.util.find_spec(extra) is None:
        pytest.skip(f"{module} needs the optional {extra}")
    current = module_lines(module)
    expected = COMMITTED.get(module, [])
    if current != expected:
        diff = "\n".join(
            difflib.unified_diff(expected, current, "api_snapshot.txt", "current", lineterm="")
        )
        pytest.fail(
            f"the public API of {module} differs from tests/api_snapshot.txt "
            f"(- snapshot, + now):\n{diff}\n"
            f"If this change is intended, run `{UPDATE_COMMAND}` and commit the file.",
            pytrace=False,
        )


def test_snapshot_catches_a_changed_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    import custvalue.segments

    def gini(values: object, *, renamed: bool = False) -> float:  # pragma: no cover
        return 0.0

    monkeypatch.setattr(custvalue.segments, "gini", gini)
    assert module_lines("custvalue.segments") != COMMITTED["custvalue.segments"]


def test_snapshot_catches_a_removed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import custvalue.clv

    monkeypatch.setattr(
        custvalue.clv, "__all__", [n for n in custvalue.clv.__all__ if n != "BetaGeo"]
    )
    assert module_lines("custvalue.clv") != COMMITTED["custvalue.clv"]
