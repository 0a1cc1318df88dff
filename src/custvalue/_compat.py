"""Stand-ins for functions missing from the oldest dependency versions ``pyproject.toml`` allows.

The floors are tested in CI (``.ci/run``, the ``floors`` leg). Each stand-in is used only when
the installed version lacks the function, and is written so that it loses no accuracy on the
arguments custvalue passes.

- ``betaincc`` and ``betainccinv`` (the complemented regularized incomplete beta function
  and its inverse) arrived in SciPy 1.11. Older SciPy gets them from the reflection
  ``1 - I_x(a, b) = I_{1-x}(b, a)``, evaluated so that no tail probability is computed as a
  difference ``1 - I``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["betaincc", "betainccinv"]


def _betaincc_reflected(a: Any, b: Any, x: Any) -> Any:
    """``1 - I_x(a, b)`` without cancellation.

    For ``x >= 1/2`` as ``I_{1-x}(b, a)``, where ``1 - x`` is exact (Sterbenz). Below, as
    ``1 - I_x(a, b)`` while that difference is at least 1/2 (no cancellation), else again as
    ``I_{1-x}(b, a)`` (``1 - x`` rounds by at most ``2**-53`` relative).
    """
    xf = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lower = special.betainc(a, b, xf)
        reflected = special.betainc(b, a, 1.0 - xf)
    return np.where((xf < 0.5) & (lower <= 0.5), 1.0 - lower, reflected)


def _betainccinv_reflected(a: Any, b: Any, y: Any) -> Any:
    """The ``x`` with ``1 - I_x(a, b) = y``.

    Near ``x = 1`` as ``1 - I^{-1}_y(b, a)``: the small quantity ``1 - x`` is found directly
    (full relative accuracy). Where that gives ``x < 1/2`` the lower tail ``1 - y >= 1/2`` is
    inverted instead, ``I^{-1}_{1-y}(a, b)``, which keeps a small ``x`` accurate too.
    """
    upper = 1.0 - special.betaincinv(b, a, y)
    with np.errstate(invalid="ignore"):
        lower = special.betaincinv(a, b, 1.0 - np.asarray(y, dtype=np.float64))
    return np.where(upper < 0.5, lower, upper)


#: ``1 - I_x(a, b)``: :func:`scipy.special.betaincc` (SciPy >= 1.11) or the reflection.
betaincc: Any = getattr(special, "betaincc", _betaincc_reflected)
#: The inverse of :data:`betaincc` in ``x``: :func:`scipy.special.betainccinv` or the reflection.
betainccinv: Any = getattr(special, "betainccinv", _betainccinv_reflected)
