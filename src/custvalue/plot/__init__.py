"""Diagnostic and presentation plots (optional extra ``custvalue[plot]``, matplotlib).

Every function draws on ``ax`` (default: the current Axes, ``plt.gca()``) and returns it, so
plots compose with the rest of matplotlib. Inputs are numpy arrays and custvalue results.

- Purchase model (e.g. :class:`~custvalue.clv.BetaGeo`): :func:`plot_frequency_recency_matrix`,
  :func:`plot_probability_alive_matrix`, :func:`plot_transaction_tracking` (calibration vs
  holdout, cumulative or per period), :func:`plot_repeat_purchase_histogram`,
  :func:`plot_probability_alive_history`.
- Holdout report (:func:`custvalue.clv.evaluate`): :func:`plot_holdout_by_frequency`,
  :func:`plot_transaction_tracking`, :func:`plot_repeat_purchase_histogram`,
  :func:`plot_probability_alive_calibration` draw from the report.
- Segments: :func:`plot_lorenz_curve`, :func:`plot_customer_pyramid`.
- Lifecycle: :func:`plot_transition_heatmap`, :func:`plot_stage_flow`,
  :func:`plot_repurchase_tree`.
"""

from __future__ import annotations

from custvalue.plot._clv import (
    plot_frequency_recency_matrix,
    plot_holdout_by_frequency,
    plot_probability_alive_calibration,
    plot_probability_alive_history,
    plot_probability_alive_matrix,
    plot_repeat_purchase_histogram,
    plot_transaction_tracking,
)
from custvalue.plot._lifecycle import (
    plot_repurchase_tree,
    plot_stage_flow,
    plot_transition_heatmap,
)
from custvalue.plot._segments import (
    plot_customer_pyramid,
    plot_lorenz_curve,
)

__all__ = [
    "plot_customer_pyramid",
    "plot_frequency_recency_matrix",
    "plot_holdout_by_frequency",
    "plot_lorenz_curve",
    "plot_probability_alive_calibration",
    "plot_probability_alive_history",
    "plot_probability_alive_matrix",
    "plot_repeat_purchase_histogram",
    "plot_repurchase_tree",
    "plot_stage_flow",
    "plot_transaction_tracking",
    "plot_transition_heatmap",
]
