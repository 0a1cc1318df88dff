"""Shared helpers of the plots: the matplotlib import, Axes and argument checks."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.patches import Polygon
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError("custvalue.plot needs matplotlib: pip install 'custvalue[plot]'") from exc

from custvalue.errors import InvalidTypeError

__all__ = ["Axes", "FloatArray", "Polygon", "axes_or_current", "model_method", "plt"]

FloatArray = NDArray[np.float64]


def axes_or_current(ax: Axes | None) -> Axes:
    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise InvalidTypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def model_method(model: Any, name: str) -> Any:
    method = getattr(model, name, None)
    if not callable(method):
        raise InvalidTypeError(
            f"model must have a {name}() method (e.g. a BetaGeo); got {type(model).__name__}"
        )
    return method
