"""Small helpers shared by the lifecycle modules: matrix checks, HTML tables, rng."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._validation import as_float_array, fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle.stages import Stage, allowed_matrix

FloatArray = NDArray[np.float64]

#: Largest accepted ``|sum_j P[i, j] - 1|`` of a transition-matrix row.
ROW_SUM_TOLERANCE = 1e-9

STAGE_NAMES = tuple(s.name for s in Stage)


def check_stochastic(value: ArrayLike, name: str, *, allowed: bool = True) -> FloatArray:
    """A 4 x 4 transition matrix: entries in [0, 1], rows summing to 1 within
    :data:`ROW_SUM_TOLERANCE`, zero on transitions that :data:`ALLOWED_TRANSITIONS` forbids."""
    P = as_float_array(value, name, lower=0, upper=1, ndim=2)
    if P.shape != (len(Stage), len(Stage)):
        raise InvalidInputError(
            f"{name} must have shape (4, 4) (stages in Stage order); got {P.shape}"
        )
    row_sums = P.sum(axis=1)
    fail_at(
        f"{name} row sums",
        f"must equal 1 (tolerance {ROW_SUM_TOLERANCE:g})",
        row_sums,
        np.abs(row_sums - 1.0) > ROW_SUM_TOLERANCE,
    )
    if allowed:
        bad = (P > 0) & ~allowed_matrix()
        if bad.any():
            i, j = (int(k) for k in np.argwhere(bad)[0])
            raise InvalidInputError(
                f"{name} gives probability {float(P[i, j])!r} to the illegal transition "
                f"{Stage(i).name} -> {Stage(j).name} at index ({i}, {j})"
            )
    return P


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


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table; floats shown with 4 significant digits."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.4g}"
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
