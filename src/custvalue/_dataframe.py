"""The narwhals edge shared by every ``data=`` path and :mod:`custvalue.frame`.

Frames are read column by column into numpy arrays and built back from named arrays in the
caller's library. narwhals (the ``custvalue[dataframe]`` extra) is imported only when a frame
is handled. This module imports nothing else of the package but :mod:`custvalue.errors`, so
any module can use it without an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = ["build", "column", "eager", "narwhals", "native_namespace"]

_EXTRA_HELP = "pip install 'custvalue[dataframe]' (installs narwhals)"


def narwhals() -> ModuleType:
    """The narwhals stable API, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("narwhals.stable.v1")
    except ImportError:
        raise ImportError(f"DataFrame support needs narwhals: {_EXTRA_HELP}") from None


def eager(data: Any, name: str = "data") -> Any:
    """Wrap a native eager DataFrame with narwhals, or raise a clear type error."""
    nw = narwhals()
    try:
        return nw.from_native(data, eager_only=True)
    except TypeError:
        hint = " (call .collect() on a lazy frame first)" if hasattr(data, "collect") else ""
        raise InvalidTypeError(
            f"{name} must be an eager DataFrame that narwhals supports (pandas, Polars, PyArrow "
            f"...); got {type(data).__module__}.{type(data).__name__}{hint}"
        ) from None


def column(frame: Any, name: object, argument: str) -> NDArray[Any]:
    """One column of a narwhals frame as a numpy array; errors name the argument."""
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"{argument} must be a column name (str) when data= is given; got {type(name).__name__}"
        )
    names = list(frame.columns)
    if name not in names:
        raise InvalidInputError(
            f"{argument}: column {name!r} is not in the frame; its columns are {names}"
        )
    arr: NDArray[Any] = np.asarray(frame[name].to_numpy())
    return arr


def native_namespace(frame: Any) -> ModuleType:
    """The native library (pandas, polars, pyarrow ...) of a narwhals frame."""
    namespace: ModuleType = narwhals().get_native_namespace(frame)
    return namespace


def build(columns: Mapping[str, NDArray[Any]], namespace: ModuleType) -> Any:
    """A native frame of ``namespace``'s library from named 1-D arrays."""
    # ``native_namespace=`` works on every narwhals >= 1.20 (``backend=`` came later).
    return narwhals().from_dict(dict(columns), native_namespace=namespace).to_native()
