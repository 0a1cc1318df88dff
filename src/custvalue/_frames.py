"""The one ``data=`` adapter: DataFrame columns in, numpy arrays to the function, frames out.

Every public function that takes per-customer or per-transaction columns accepts
``data=<DataFrame>`` (pandas, Polars, PyArrow ... through narwhals, the optional extra
``custvalue[dataframe]``). It is implemented once, by :func:`accepts_data`: the decorated
function declares ``data: Any = None`` and which of its arguments are columns; when ``data`` is
given, those arguments are column *names*, the decorator replaces them by the columns as numpy
arrays and calls the function, which never sees a frame. A ``result`` hook may turn the
function's result back into a frame of the input's library (``summarize_transactions`` does).

Time zones are applied here for every frame library alike: a time-zone-aware datetime column
keeps its wall-clock (local) time, i.e. the zone is dropped, never converted to UTC (the policy
of :mod:`custvalue._transactions`).

narwhals is imported only when a frame is handled, so ``import custvalue`` never needs it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, ParamSpec, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = ["FrameInput", "accepts_data", "build_frame", "column", "eager", "namespace", "narwhals"]

P = ParamSpec("P")
R = TypeVar("R")

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
    """One column of a narwhals frame as a numpy array; errors name the argument.

    Aware datetimes keep their wall-clock time (the zone is dropped, not converted to UTC).
    """
    if not isinstance(name, str):
        raise InvalidTypeError(
            f"{argument} must be a column name (str) when data= is given; got {type(name).__name__}"
        )
    names = list(frame.columns)
    if name not in names:
        raise InvalidInputError(
            f"{argument}: column {name!r} is not in the frame; its columns are {names}"
        )
    series = frame[name]
    if _time_zone(series) is not None:
        series = series.dt.replace_time_zone(None)
    arr: NDArray[Any] = np.asarray(series.to_numpy())
    return arr


def _time_zone(series: Any) -> Any:
    """The time zone of a narwhals datetime series, or None (also for other dtypes).

    Read from the narwhals dtype, else from the native one (narwhals 1.20 on Polars 0.20 gives
    no usable dtype): Polars ``dtype.time_zone``, pandas ``dtype.tz``, PyArrow ``type.tz``.
    """
    zone = getattr(series.dtype, "time_zone", None)
    if zone is not None:
        return zone
    native = series.to_native()
    for holder in (getattr(native, "dtype", None), getattr(native, "type", None)):
        for attribute in ("time_zone", "tz"):
            zone = getattr(holder, attribute, None)
            if zone is not None and not callable(zone):
                return zone
    return None


def namespace(frame: Any) -> ModuleType:
    """The native library (pandas, polars, pyarrow ...) of a narwhals frame."""
    native: ModuleType = narwhals().get_native_namespace(frame)
    return native


def build_frame(columns: Mapping[str, NDArray[Any]], native: ModuleType) -> Any:
    """A native DataFrame of library ``native`` from named 1-D arrays."""
    # ``native_namespace=`` works on every narwhals >= 1.20 (``backend=`` came later).
    return narwhals().from_dict(dict(columns), native_namespace=native).to_native()


@attrs.frozen
class FrameInput:
    """What a ``result`` hook of :func:`accepts_data` learns about the input frame.

    Attributes
    ----------
    frame
        The narwhals wrapper of the input frame.
    names
        Argument name -> the column name the caller gave for it.
    """

    frame: Any
    names: Mapping[str, str]

    def to_native(self, columns: Mapping[str, NDArray[Any]]) -> Any:
        """Named 1-D arrays as a DataFrame of the input's library."""
        return build_frame(columns, namespace(self.frame))


def accepts_data(
    *columns: str, result: Callable[[Any, FrameInput], Any] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function whose arguments ``columns`` may be column names of ``data=``.

    The decorated function must declare a keyword ``data: Any = None`` (documented in its
    docstring); it is always called with ``data=None`` and arrays. With a frame, each argument
    of ``columns`` is a column name, ``None`` (omitted) or a single number (for every row);
    anything else (an array next to a frame) is an :class:`InvalidTypeError`. With ``result``,
    the return value of a call with a frame is ``result(value, FrameInput)``; otherwise it is
    returned as is (a result object, which ``custvalue.frame.to_frame`` tabulates).
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        unknown = [c for c in (*columns, "data") if c not in signature.parameters]
        if unknown:  # pragma: no cover - a programming error caught at import
            raise TypeError(f"{func.__qualname__} has no parameter(s) {unknown}")

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            data = bound.arguments.get("data")
            if data is None:
                return func(*args, **kwargs)
            frame = eager(data)
            names: dict[str, str] = {}
            for argument in columns:
                given = bound.arguments.get(argument)
                if given is None or isinstance(given, (int, float, np.number)):
                    continue  # an omitted column, or one number for every row
                bound.arguments[argument] = column(frame, given, argument)
                names[argument] = str(given)
            bound.arguments["data"] = None
            value = func(*bound.args, **bound.kwargs)
            if result is None:
                return value
            out: R = result(value, FrameInput(frame=frame, names=names))
            return out

        setattr(wrapper, "__data_columns__", columns)  # noqa: B010 - read by the tests
        return wrapper

    return decorate
