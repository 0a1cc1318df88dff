"""Shared test configuration: hypothesis profiles and a stand-in for tqdm.

``default`` is fast, derandomized and what CI runs; ``ci`` (opt-in with
``HYPOTHESIS_PROFILE=ci``) runs many more examples, still derandomized so a red run replays.
``explore`` (``HYPOTHESIS_PROFILE=explore``, run by ``.ci/explore.sh``) is *not* derandomized:
each run tries new inputs, drawn from the seed that the script prints and passes as
``--hypothesis-seed``; ``--hypothesis-seed=N`` with the same profile replays that run exactly.
It keeps no example database, so a replay depends on the seed alone.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
    derandomize=True,  # CI is reproducible: a red run can be replayed exactly
)
settings.register_profile(
    "explore",
    max_examples=60,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
# CI runs the derandomized default profile; HYPOTHESIS_PROFILE=ci selects the thorough one.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


class _Recorder:
    """Stands in for tqdm.auto.tqdm and records what the loop reports."""

    instances: list[_Recorder] = []  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.steps: list[float] = []
        self.closed = False
        _Recorder.instances.append(self)

    def update(self, n: float = 1) -> None:
        self.steps.append(n)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[_Recorder]:
    _Recorder.instances = []

    class FakeModule:
        tqdm = _Recorder

    monkeypatch.setitem(sys.modules, "tqdm.auto", FakeModule)
    return _Recorder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a run with the fuzz targets, report how many inputs each one received."""
    fuzz = sys.modules.get("test_fuzz")
    calls: dict[str, int] = dict(getattr(fuzz, "CALLS", {}))
    if not calls:
        return
    ordered = sorted(calls.items(), key=lambda item: (item[1], item[0]))
    profile = settings.get_current_profile_name()
    terminalreporter.write_sep(
        "-",
        f"fuzz inputs ({profile} profile): {sum(calls.values()):,} over {len(calls)} targets",
    )
    per_line = 3
    cells = [f"{name} {count:,}" for name, count in ordered]
    for i in range(0, len(cells), per_line):
        terminalreporter.write_line("  " + " | ".join(cells[i : i + per_line]))
