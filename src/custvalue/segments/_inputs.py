"""Input checks shared by the segmentation tools (one entry per customer).

Every array is converted with :func:`custvalue._validation.as_float_array`; this module adds the
checks that are specific to per-customer data: 1-D arrays of one common length, boolean flags,
and vectors of shares that must sum to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._validation import as_array, as_float_array, fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = ["as_customer_array", "as_flag_array", "as_shares", "check_same_length"]

FloatArray = NDArray[np.float64]

#: Tolerance used when checking that shares sum to one.
SHARE_TOLERANCE = 1e-9


def as_customer_array(value: ArrayLike, name: str, **checks: Any) -> FloatArray:
    """A 1-D float64 array with one entry per customer, checked like ``as_float_array``."""
    return as_float_array(value, name, ndim=1, **checks)


def as_flag_array(value: ArrayLike, name: str) -> NDArray[np.bool_]:
    """A 1-D boolean array: accepts booleans or the numbers 0 and 1."""
    raw = as_array(value, name)
    if raw.dtype.kind == "b":
        if raw.ndim != 1:
            raise InvalidInputError(f"{name} must have 1 dimension(s); got shape {raw.shape}")
        return np.array(raw, dtype=bool)
    try:
        arr = as_customer_array(raw, name)
    except InvalidTypeError:
        raise InvalidTypeError(f"{name} must be booleans (or 0/1); got dtype {raw.dtype}") from None
    fail_at(name, "must be True/False (or 0/1)", arr, (arr != 0) & (arr != 1))
    flags: NDArray[np.bool_] = arr == 1
    return flags


def check_same_length(arrays: dict[str, NDArray[Any]]) -> int:
    """Raise unless every array has the same length; return that length."""
    lengths = {name: int(a.shape[0]) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise InvalidInputError(f"arrays must have one entry per customer (same length); {text}")
    return next(iter(lengths.values()), 0)


def as_shares(
    value: Sequence[float] | ArrayLike, name: str, *, length: int | None = None
) -> FloatArray:
    """A 1-D vector of shares, each in [0, 1], summing to 1 (within ``SHARE_TOLERANCE``)."""
    shares = as_float_array(value, name, ndim=1, lower=0.0, upper=1.0, allow_empty=False)
    if length is not None and shares.size != length:
        raise InvalidInputError(f"{name} must have {length} entries; got {shares.size}")
    total = float(shares.sum())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise InvalidInputError(f"{name} must sum to 1; got {total!r} (from {shares.tolist()})")
    return shares
