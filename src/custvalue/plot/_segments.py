"""Plots of value segments: the Lorenz curve and the customer pyramid."""

from __future__ import annotations

from typing import Any

import numpy as np

from custvalue._frames import accepts_data
from custvalue.errors import InvalidTypeError
from custvalue.plot._common import Axes, Polygon, axes_or_current, plt

__all__ = ["plot_customer_pyramid", "plot_lorenz_curve"]


# ------------------------------------------------------------------ segments
@accepts_data("values")
def plot_lorenz_curve(values: Any, *, ax: Axes | None = None, data: Any = None) -> Axes:
    """Value-concentration Lorenz curve with the line of equality; the Gini is in the title.

    Parameters
    ----------
    values
        A :class:`~custvalue.segments.LorenzCurve`, or per-customer values (>= 0) passed to
        :func:`~custvalue.segments.lorenz_curve`.
    ax
        Axes to draw on.
    data
        A pandas, Polars or PyArrow frame; then ``values`` may be a column name in it.

    Returns
    -------
    matplotlib.axes.Axes
        Lines ``"Lorenz curve"`` (customers sorted from the lowest value up) and ``"equality"``.
    """
    from custvalue.segments import LorenzCurve, lorenz_curve

    curve = values if isinstance(values, LorenzCurve) else lorenz_curve(values)
    axes = axes_or_current(ax)
    axes.plot(curve.customer_share, curve.value_share, color="tab:blue", label="Lorenz curve")
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", label="equality")
    axes.fill_between(curve.customer_share, curve.value_share, curve.customer_share, alpha=0.2)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_aspect("equal")
    axes.set_xlabel("share of customers (lowest value first)")
    axes.set_ylabel("share of value")
    axes.set_title(f"Value concentration (Gini {curve.gini:.3f})")
    axes.legend(loc="upper left")
    return axes


def plot_customer_pyramid(pyramid: Any, *, ax: Axes | None = None) -> Axes:
    """The customer pyramid: one layer per tier, best at the top, labelled with its profile.

    Layers have equal heights (the pyramid is a picture, not a bar chart); each is labelled
    with the tier name, its number and share of customers, and its share of the value.

    Parameters
    ----------
    pyramid
        A :class:`~custvalue.segments.CustomerPyramid`, or any
        :class:`~custvalue.segments.SegmentTable` (rows top to bottom).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One polygon patch and one text per tier; axis lines off.
    """
    from custvalue.segments import CustomerPyramid, SegmentTable

    table = pyramid.table if isinstance(pyramid, CustomerPyramid) else pyramid
    if not isinstance(table, SegmentTable):
        raise InvalidTypeError(
            f"pyramid must be a CustomerPyramid or SegmentTable; got {type(pyramid).__name__}"
        )
    axes = axes_or_current(ax)
    k = len(table)
    colors = plt.get_cmap("viridis")(np.linspace(0.9, 0.2, k))
    for i in range(k):
        top, bottom = 1.0 - i / k, 1.0 - (i + 1) / k
        half_top, half_bottom = (1.0 - top) / 2, (1.0 - bottom) / 2
        corners = [(-half_bottom, bottom), (half_bottom, bottom), (half_top, top), (-half_top, top)]
        axes.add_patch(Polygon(corners, closed=True, facecolor=colors[i], edgecolor="white"))
        share = table.value_share[i]
        text = (
            f"{table.segment[i]}\n{int(table.count[i]):,} customers "
            f"({table.customer_share[i]:.0%}), {share:.0%} of {table.value_name}"
        )
        axes.text((half_top + half_bottom) / 2 + 0.03, (top + bottom) / 2, text,
                  ha="left", va="center", fontsize=8)  # fmt: skip
    axes.set_xlim(-0.55, 1.05)
    axes.set_ylim(0.0, 1.0)
    axes.set_axis_off()
    axes.set_title("Customer pyramid")
    return axes
