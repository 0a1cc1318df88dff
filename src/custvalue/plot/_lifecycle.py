"""Plots of the lifecycle: transition heatmap, stage flow and the repurchase tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from custvalue._validation import as_float_array
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.plot._common import Axes, axes_or_current

__all__ = ["plot_repurchase_tree", "plot_stage_flow", "plot_transition_heatmap"]


# ------------------------------------------------------------------ lifecycle
def _stage_labels() -> list[str]:
    from custvalue.lifecycle import Stage

    return [s.name for s in Stage]


def plot_transition_heatmap(
    transitions: Any, *, annotate: bool = True, ax: Axes | None = None
) -> Axes:
    """Heatmap of stage transitions (rows: from, columns: to), each cell annotated.

    Parameters
    ----------
    transitions
        A :class:`~custvalue.lifecycle.MigrationModel` or
        :class:`~custvalue.lifecycle.MigrationEstimate` (probabilities), a
        :class:`~custvalue.lifecycle.StageHistory` (counted moves), or a 4 x 4 array.
    annotate
        Write each cell's value in it.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One image with stage names on both axes, and 16 texts when annotating.
    """
    from custvalue.lifecycle import MigrationEstimate, MigrationModel, StageHistory

    if isinstance(transitions, (MigrationModel, MigrationEstimate)):
        matrix, what, fmt = transitions.matrix, "transition probability", "{:.2f}"
    elif isinstance(transitions, StageHistory):
        matrix, what, fmt = transitions.transition_counts().astype(float), "moves", "{:,.0f}"
    else:
        matrix, what, fmt = as_float_array(transitions, "transitions"), "value", "{:.3g}"
    names = _stage_labels()
    if matrix.shape != (len(names), len(names)):
        raise InvalidInputError(
            f"transitions must be {len(names)} x {len(names)}; got {matrix.shape}"
        )
    axes = axes_or_current(ax)
    image = axes.imshow(matrix, cmap="Blues", vmin=0.0, interpolation="nearest")
    axes.figure.colorbar(image, ax=axes, label=what)
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, names)
    axes.set_yticks(ticks, names)
    axes.set_xlabel("to stage")
    axes.set_ylabel("from stage")
    axes.set_title(f"Stage transitions ({what})")
    if annotate:
        high = float(np.max(matrix)) if matrix.size else 0.0
        for (i, j), v in np.ndenumerate(matrix):
            color = "white" if high > 0 and v > 0.6 * high else "black"
            axes.text(j, i, fmt.format(v), ha="center", va="center", color=color, fontsize=8)
    return axes


def plot_stage_flow(
    stages: Any, *, labels: Sequence[str] | None = None, ax: Axes | None = None
) -> Axes:
    """Customers per stage over time as stacked bars (one bar per cut-off or period).

    Parameters
    ----------
    stages
        A :class:`~custvalue.lifecycle.StageHistory` (its ``stage_counts()``, labelled by
        cut-off), or an array of shape (periods, 4), e.g.
        :meth:`~custvalue.lifecycle.MigrationModel.forecast`.
    labels
        Labels of the periods (default: cut-off dates, or 0, 1, 2 ...).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Four bar containers (one per stage, in :class:`~custvalue.lifecycle.Stage` order) of
        one bar per period, and a legend.
    """
    from custvalue.lifecycle import StageHistory

    names = _stage_labels()
    if isinstance(stages, StageHistory):
        counts = stages.stage_counts().astype(np.float64)
        default = [str(c) for c in stages.cutoffs]
    else:
        counts = as_float_array(stages, "stages", lower=0, ndim=2)
        default = [str(i) for i in range(counts.shape[0])]
    if counts.shape[1] != len(names):
        raise InvalidInputError(f"stages must have {len(names)} columns; got {counts.shape}")
    ticks = list(default if labels is None else labels)
    if len(ticks) != counts.shape[0]:
        raise InvalidInputError(f"labels must have {counts.shape[0]} entries; got {len(ticks)}")
    axes = axes_or_current(ax)
    x = np.arange(counts.shape[0])
    bottom = np.zeros(counts.shape[0])
    for j, name in enumerate(names):
        axes.bar(x, counts[:, j], bottom=bottom, label=name, width=0.8)
        bottom = bottom + counts[:, j]
    axes.set_xticks(x, ticks, rotation=45 if counts.shape[0] > 6 else 0)
    axes.set_ylabel("customers")
    axes.set_title("Customers by lifecycle stage")
    axes.legend()
    return axes


def plot_repurchase_tree(tree: Any, *, ax: Axes | None = None) -> Axes:
    """The service failure -> complaint -> resolution tree with shares and repurchase intent.

    Edges carry the conditional shares; each leaf shows its share of the whole customer base
    and its repurchase-intent rate; the title gives the overall intent.

    Parameters
    ----------
    tree
        A :class:`~custvalue.lifecycle.RepurchaseTree`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Seven edge lines, one boxed text per node (9) and one text per edge (7).
    """
    from custvalue.lifecycle import RepurchaseTree

    if not isinstance(tree, RepurchaseTree):
        raise InvalidTypeError(f"tree must be a RepurchaseTree; got {type(tree).__name__}")
    f, c = tree.failure_share, tree.complaint_share
    shares, rates = tree.leaf_shares, tree.leaf_rates
    pos = {
        "all": (0.0, 0.55),
        "no_failure": (1.0, 0.9),
        "failure": (1.0, 0.4),
        "no_complaint": (2.0, 0.6),
        "complained": (2.0, 0.25),
        "resolved_quickly": (3.0, 0.45),
        "resolved": (3.0, 0.25),
        "unresolved": (3.0, 0.05),
    }
    edges = [
        ("all", "no_failure", 1 - f),
        ("all", "failure", f),
        ("failure", "no_complaint", 1 - c),
        ("failure", "complained", c),
        ("complained", "resolved_quickly", tree.quick_share),
        ("complained", "resolved", tree.resolved_share),
        ("complained", "unresolved", tree.unresolved_share),
    ]
    axes = axes_or_current(ax)
    for a, b, share in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        axes.plot([x0, x1], [y0, y1], color="grey", linewidth=1, zorder=1)
        axes.text((x0 + x1) / 2, (y0 + y1) / 2, f"{share:.0%}", fontsize=7, color="dimgrey",
                  ha="center", va="bottom")  # fmt: skip
    box = {"boxstyle": "round", "facecolor": "white", "edgecolor": "grey"}
    inner = {"all": "all customers", "failure": "service failure", "complained": "complained"}
    for name, label in inner.items():
        axes.text(*pos[name], label, ha="center", va="center", fontsize=8, bbox=box, zorder=2)
    from custvalue.lifecycle import LEAVES

    for k, leaf in enumerate(LEAVES):
        text = f"{leaf.replace('_', ' ')}\n{shares[k]:.1%} of base\nintent {rates[k]:.0%}"
        axes.text(*pos[leaf], text, ha="center", va="center", fontsize=7, bbox=box, zorder=2)
    axes.set_xlim(-0.5, 3.6)
    axes.set_ylim(-0.1, 1.05)
    axes.set_axis_off()
    axes.set_title(f"Repurchase intent {tree.intent:.1%}")
    return axes
