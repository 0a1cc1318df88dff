"""The one way custvalue deprecates a public function, method or class.

:func:`deprecated` wraps the callable so that each call warns with
:class:`~custvalue.errors.CustValueDeprecationWarning`, naming the replacement and the version
in which the name goes away, and adds a ``.. deprecated::`` note to its docstring.
:func:`warn_deprecated` issues the same warning for the cases a decorator cannot reach (a
deprecated argument value, a renamed keyword). Every deprecation is recorded in
:data:`DEPRECATIONS`, so the test suite can fail once the package's version reaches a
removal version that is still in the code. The policy is in ``docs/versioning.md``.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from custvalue.errors import CustValueDeprecationWarning

__all__ = ["DEPRECATIONS", "Deprecation", "deprecated", "parse_version", "warn_deprecated"]

_F = TypeVar("_F", bound=Callable[..., Any])
_VERSION = re.compile(r"\d+\.\d+\.\d+")


def parse_version(version: str) -> tuple[int, int, int]:
    """``"MAJOR.MINOR.PATCH"`` as a tuple of ints, for comparing release versions.

    Examples
    --------
    >>> parse_version("0.10.2") > parse_version("0.9.7")
    True
    """
    if _VERSION.fullmatch(version) is None:
        raise ValueError(f"version must look like 'MAJOR.MINOR.PATCH'; got {version!r}")
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def _check_version(version: str) -> None:
    parse_version(version)


@attrs.frozen
class Deprecation:
    """One deprecated public name: what, since when, until when, and what to use instead."""

    name: str
    since: str = attrs.field(validator=lambda _i, _a, v: _check_version(v))
    removed_in: str = attrs.field(validator=lambda _i, _a, v: _check_version(v))
    replacement: str | None = None

    def __attrs_post_init__(self) -> None:
        if parse_version(self.removed_in) <= parse_version(self.since):
            raise ValueError(
                f"removed_in must be a later version than since ({self.since!r}); "
                f"got {self.removed_in!r} for {self.name}"
            )

    @property
    def message(self) -> str:
        """The warning's text."""
        instead = f"; use {self.replacement} instead" if self.replacement else ""
        return (
            f"{self.name} is deprecated since custvalue {self.since} and will be removed "
            f"in custvalue {self.removed_in}{instead}."
        )


#: Every deprecation declared so far (in the modules imported so far).
DEPRECATIONS: list[Deprecation] = []


def warn_deprecated(
    name: str,
    *,
    since: str,
    removed_in: str,
    replacement: str | None = None,
    stacklevel: int = 2,
) -> None:
    """Warn that ``name`` is deprecated (for cases :func:`deprecated` cannot wrap).

    Parameters
    ----------
    name
        What is deprecated, as the user writes it (``"BetaGeo.fit(progress=...)"``).
    since, removed_in
        Release versions ``"MAJOR.MINOR.PATCH"``: when it was deprecated and when it goes.
    replacement
        What to use instead, or None when there is nothing to replace it.
    stacklevel
        As for :func:`warnings.warn`, counted from the caller of this function: the default
        points the warning at the caller's caller, the user's line.

    Raises
    ------
    ValueError
        If a version is malformed or ``removed_in`` is not after ``since``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_deprecated("f(old=...)", since="0.1.0", removed_in="0.3.0", replacement="new")
    >>> print(caught[0].message)
    f(old=...) is deprecated since custvalue 0.1.0 and will be removed in custvalue 0.3.0; use new instead.
    """  # noqa: E501
    entry = Deprecation(name, since, removed_in, replacement)
    warnings.warn(entry.message, CustValueDeprecationWarning, stacklevel=stacklevel + 1)


def deprecated(
    *, since: str, removed_in: str, replacement: str | None = None
) -> Callable[[_F], _F]:
    """Decorator: each call of the wrapped function, method or class warns it is deprecated.

    Parameters
    ----------
    since, removed_in
        Release versions ``"MAJOR.MINOR.PATCH"``: when it was deprecated and when it goes.
    replacement
        What to use instead (``"custvalue.clv.BetaGeo.fit"``), or None.

    Returns
    -------
    callable
        A decorator; the wrapped callable keeps its name, signature and docstring, to which a
        ``.. deprecated::`` note is appended. The deprecation is recorded in
        :data:`DEPRECATIONS`.

    Raises
    ------
    ValueError
        If a version is malformed or ``removed_in`` is not after ``since``.

    Examples
    --------
    >>> import warnings
    >>> @deprecated(since="0.1.0", removed_in="0.3.0", replacement="total")
    ... def old_total(x):
    ...     '''Add up.'''
    ...     return sum(x)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     old_total([1, 2])
    3
    >>> caught[0].category.__name__
    'CustValueDeprecationWarning'
    """

    def decorate(func: _F) -> _F:
        entry = Deprecation(func.__qualname__, since, removed_in, replacement)
        DEPRECATIONS.append(entry)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(entry.message, CustValueDeprecationWarning, stacklevel=2)
            return func(*args, **kwargs)

        instead = f" Use {replacement} instead." if replacement else ""
        note = f"\n\n.. deprecated:: {since}\n    Will be removed in {removed_in}.{instead}\n"
        wrapper.__doc__ = (func.__doc__ or "").rstrip() + note
        return wrapper  # type: ignore[return-value]

    return decorate
