"""Small helpers shared by the lifecycle modules: stage names and transition-matrix checks."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._validation import as_float_array, fail_at
from custvalue.errors import InvalidInputError
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
