"""Input coercion and checks shared by every public function.

Public entry points convert and check their inputs once, here, so the numerical kernels can
trust their arrays. Every failure raises :class:`~custvalue.errors.InvalidInputError` (a
``ValueError``) or :class:`~custvalue.errors.InvalidTypeError` (a ``TypeError``) whose message
names the argument and, for arrays, the first bad index and value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "MAX_COUNT",
    "as_array",
    "as_count",
    "as_float_array",
    "as_level",
    "as_rng",
    "as_scalar",
    "broadcast_arrays",
    "fail_at",
    "optional_readonly_array",
    "readonly_array",
    "validate_history",
]

FloatArray = NDArray[np.float64]


def _index_text(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return str(index[0])
    return str(index)


def _short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to about ``limit`` characters (a huge value never floods a message)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}...{text[-10:]} ({len(text)} characters)"


def fail_at(
    name: str,
    problem: str,
    values: NDArray[Any],
    bad: NDArray[np.bool_],
    *,
    ids: NDArray[Any] | None = None,
    id_name: str = "customer_id",
) -> None:
    """Raise :class:`InvalidInputError` if any entry of ``bad`` is true.

    The message reads ``"<name> <problem>; first bad value at index <i>: <value>"``; the index
    is the position in ``values`` as the caller gave it. With ``ids`` (one per entry, e.g. the
    customer of each transaction) it also names the entry's id:
    ``"... at index <i> (customer_id <id>): <value>"``.
    """
    if not bad.any():
        return
    if values.ndim == 0:
        raise InvalidInputError(f"{name} {problem}; got {_short_repr(values.item())}")
    flat = int(np.flatnonzero(bad.ravel())[0])
    index = tuple(int(i) for i in np.unravel_index(flat, bad.shape))
    value = values[index] if values.shape == bad.shape else values.ravel()[flat]
    item = value.item() if hasattr(value, "item") else value
    where = _index_text(index)
    if ids is not None and ids.shape == bad.shape:
        who = ids[index]
        who = who.item() if hasattr(who, "item") else who
        where += f" ({id_name} {_short_repr(who)})"
    raise InvalidInputError(
        f"{name} {problem}; first bad value at index {where}: {_short_repr(item)}"
    )


def as_array(value: Any, name: str) -> NDArray[Any]:
    """``np.asarray(value)``, raising :class:`InvalidTypeError` (naming ``name``) where numpy
    raises a bare ``ValueError``/``TypeError`` (ragged nested sequences and the like)."""
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{name} must be an array-like of one shape: {exc}") from None


def as_float_array(
    value: ArrayLike,
    name: str,
    *,
    lower: float | None = None,
    lower_inclusive: bool = True,
    upper: float | None = None,
    upper_inclusive: bool = True,
    integer: bool = False,
    allow_inf: bool = False,
    allow_empty: bool = True,
    ndim: int | None = None,
) -> FloatArray:
    """Convert ``value`` to a float64 array and check it.

    Parameters
    ----------
    value
        Anything numpy can turn into a numeric array. Booleans, strings, objects and
        complex numbers are rejected with :class:`InvalidTypeError`.
    name
        The argument's name, used in error messages.
    lower, upper
        Optional bounds; ``lower_inclusive``/``upper_inclusive`` say whether the bound is allowed.
    integer
        Require whole numbers (checked *before* any conversion, so 2.7 is an error, not 2).
    allow_inf
        Accept ``+inf`` (NaN is never accepted).
    allow_empty
        Accept arrays with no elements.
    ndim
        Required number of dimensions (``None``: any).

    Returns
    -------
    numpy.ndarray
        A new float64 array (never a view of the caller's data).
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences and the like
        raise InvalidTypeError(f"{name} must be a numeric array: {exc}") from None
    if raw.dtype.kind == "O":
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise InvalidTypeError(
                f"{name} must be numeric; got an object array that is not all numbers"
            ) from None
    if raw.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{name} must be a real numeric array; got dtype {raw.dtype}")
    arr = np.array(raw, dtype=np.float64, copy=True)
    if ndim is not None and arr.ndim != ndim:
        raise InvalidInputError(f"{name} must have {ndim} dimension(s); got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise InvalidInputError(f"{name} must not be empty")
    if not _within(arr, lower, lower_inclusive, upper, upper_inclusive):
        _range_errors(name, arr, lower, lower_inclusive, upper, upper_inclusive, allow_inf)
    if integer:
        with np.errstate(invalid="ignore"):
            fail_at(name, "must be a whole number", arr, np.isfinite(arr) & (arr != np.round(arr)))
    return arr


def _within(
    arr: FloatArray,
    lower: float | None,
    lower_inclusive: bool,
    upper: float | None,
    upper_inclusive: bool,
) -> bool:
    """Fast path: two reductions tell whether every value is finite and within the bounds
    (a NaN makes min/max NaN); only failing arrays pay for the element-wise diagnosis."""
    if arr.size == 0:
        return True
    lo, hi = float(np.min(arr)), float(np.max(arr))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return False
    if lower is not None and not (lo >= lower if lower_inclusive else lo > lower):
        return False
    return upper is None or (hi <= upper if upper_inclusive else hi < upper)


def _range_errors(
    name: str,
    arr: FloatArray,
    lower: float | None,
    lower_inclusive: bool,
    upper: float | None,
    upper_inclusive: bool,
    allow_inf: bool,
) -> None:
    """Raise for the first NaN, infinity or out-of-bounds value, in that order of checks."""
    fail_at(name, "must not be NaN", arr, np.isnan(arr))
    if allow_inf:
        fail_at(name, "must not be -inf", arr, np.isneginf(arr))
    else:
        fail_at(name, "must be finite", arr, ~np.isfinite(arr))
    if lower is not None:
        if lower_inclusive:
            fail_at(name, f"must be >= {lower:g}", arr, arr < lower)
        else:
            fail_at(name, f"must be > {lower:g}", arr, arr <= lower)
    if upper is not None:
        if upper_inclusive:
            fail_at(name, f"must be <= {upper:g}", arr, arr > upper)
        else:
            fail_at(name, f"must be < {upper:g}", arr, arr >= upper)


def as_scalar(value: Any, name: str, **checks: Any) -> float:
    """Convert a scalar argument to ``float`` with the checks of :func:`as_float_array`."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be a real number; got {value!r}")
    arr = as_float_array(value, name, **checks)
    if arr.ndim != 0:
        raise InvalidInputError(f"{name} must be a scalar; got shape {arr.shape}")
    return float(arr)


def broadcast_arrays(arrays: Mapping[str, FloatArray]) -> tuple[FloatArray, ...]:
    """Broadcast named arrays together, naming the offending arguments on failure."""
    try:
        out = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise InvalidInputError(f"arguments have incompatible shapes: {shapes}") from None
    return tuple(np.ascontiguousarray(a).reshape(a.shape) for a in out)


def validate_history(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check a (frequency, recency, T) customer history, as used by BG/NBD-type models.

    ``frequency`` (repeat purchases) must be a whole number >= 0; ``recency`` (the BG/NBD
    ``t_x``: time of the last purchase since the first) satisfies ``0 <= recency <= T``;
    ``recency == 0`` when ``frequency == 0``; ``T`` >= 0 is the customer's age (``T == 0``: a
    customer first seen on the last day of observation, who carries no information about the
    parameters and is predicted like a new customer). The three broadcast together.
    """
    x = as_float_array(frequency, "frequency", lower=0, integer=True)
    t_x = as_float_array(recency, "recency", lower=0)
    age = as_float_array(T, "T", lower=0)
    x, t_x, age = broadcast_arrays({"frequency": x, "recency": t_x, "T": age})
    fail_at("recency", "must be <= T", t_x, t_x > age)
    fail_at("recency", "must be 0 where frequency is 0", t_x, (x == 0) & (t_x != 0))
    return x, t_x, age


def as_rng(rng: Any) -> np.random.Generator:
    """A Generator from a Generator or an integer seed (never the global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise InvalidInputError(f"rng seed must be a non-negative integer; got {rng!r}")
        return np.random.default_rng(int(rng))
    raise InvalidTypeError(f"rng must be a numpy Generator or an integer seed; got {rng!r}")


def as_level(level: Any) -> float:
    """Credible level in (0, 1)."""
    arr = as_float_array(
        level, "level", lower=0, lower_inclusive=False, upper=1, upper_inclusive=False
    )
    if arr.ndim:
        raise InvalidInputError(f"level must be a scalar; got shape {arr.shape}")
    return float(arr)


#: Upper limit of counts (draws, periods): the results hold one row per unit, so a larger
#: count would exhaust memory instead of failing with a clear error.
MAX_COUNT = 10**6


def as_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """A whole number from ``minimum`` to :data:`MAX_COUNT`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer; got {value!r}")
    if int(value) < minimum:
        raise InvalidInputError(f"{name} must be >= {minimum}; got {value!r}")
    if int(value) > MAX_COUNT:
        raise InvalidInputError(f"{name} must be <= {MAX_COUNT}; got {value!r}")
    return int(value)


def readonly_array(value: Any) -> NDArray[Any]:
    """A read-only copy of ``value``: the attrs converter of every array field of a frozen
    object, so that frozen means frozen (writing raises ``ValueError``) and later changes to
    the caller's array cannot reach the object."""
    out = np.array(value, copy=True)
    out.setflags(write=False)
    return out


def optional_readonly_array(value: Any) -> NDArray[Any] | None:
    """:func:`readonly_array`, passing ``None`` through (optional array fields)."""
    return None if value is None else readonly_array(value)
