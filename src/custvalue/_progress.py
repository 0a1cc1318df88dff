"""Opt-in progress reporting for long loops (``progress=True``), never a hard dependency.

``progress_bar(progress, total=..., desc=...)`` returns a tqdm bar when ``progress`` is true and
tqdm is installed, otherwise a silent no-op with the same ``update``/``close`` interface. The
library never prints: without tqdm a requested progress bar is simply not shown.
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any, Protocol

from custvalue.errors import InvalidTypeError

__all__ = ["ProgressBar", "check_progress", "progress_bar"]


class ProgressBar(Protocol):
    """What the loops use of a progress bar (a subset of ``tqdm.tqdm``)."""

    def update(self, n: float = 1) -> Any: ...

    def close(self) -> None: ...


class _Silent:
    """The no-op bar: used when progress is off or tqdm is not installed."""

    def update(self, n: float = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def check_progress(progress: object) -> bool:
    """Validate a ``progress`` argument: it must be a bool."""
    if not isinstance(progress, bool):
        raise InvalidTypeError(f"progress must be True or False; got {progress!r}")
    return progress


def progress_bar(
    progress: bool, *, total: float | None, desc: str, unit: str = "it"
) -> ProgressBar:
    """A progress bar for a loop of ``total`` steps (``None``: unknown), or a silent stand-in.

    Parameters
    ----------
    progress
        Whether the caller asked for progress. Must be a bool.
    total
        Number of steps the loop will report with ``update`` (``None`` if unknown).
    desc
        Short label shown before the bar.
    unit
        Name of one step.

    Returns
    -------
    ProgressBar
        A ``tqdm.auto.tqdm`` instance (``leave=False``) if ``progress`` is true and tqdm is
        installed, else a no-op object. Call ``close()`` when the loop ends.
    """
    if not check_progress(progress):
        return _Silent()
    try:
        tqdm_auto = importlib.import_module("tqdm.auto")
    except ImportError:
        return _Silent()
    bar: ProgressBar = tqdm_auto.tqdm(total=total, desc=desc, unit=unit, leave=False)
    return bar
