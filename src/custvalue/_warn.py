"""Issuing the package's warnings, and silencing them for one call without global state.

``warnings.catch_warnings()`` swaps the process-wide filter list, so it is not thread-safe and
can leak filters into the user's process under concurrent calls. Library code that must run a
public function quietly (the bootstrap's replicate fits) uses :func:`quiet` instead: a
context variable, private to the current thread or task, that :func:`warn` consults.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["quiet", "warn"]

_QUIET: ContextVar[bool] = ContextVar("custvalue_quiet", default=False)


def warn(message: str, category: type[Warning], stacklevel: int = 1) -> None:
    """``warnings.warn(message, category)`` unless inside :func:`quiet`.

    ``stacklevel`` counts from the caller of this function, as for :func:`warnings.warn`.
    """
    if not _QUIET.get():
        warnings.warn(message, category, stacklevel=stacklevel + 1)


@contextmanager
def quiet() -> Iterator[None]:
    """Suppress the package's own warnings issued through :func:`warn` in this context only."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)
