"""Diagnostic and presentation plots (optional extra ``custvalue[plot]``, matplotlib).

Every function draws on ``ax`` (default: the current Axes, ``plt.gca()``) and returns it, so
plots compose with the rest of matplotlib. Inputs are numpy arrays and custvalue results.

- Purchase model (e.g. :class:`~custvalue.clv.BetaGeo`): :func:`plot_frequency_recency_matrix`,
  :func:`plot_probability_alive_matrix`, :func:`plot_transaction_tracking` (calibration vs
  holdout, cumulative or per period), :func:`plot_repeat_purchase_histogram`,
  :func:`plot_probability_alive_history`.
- Segments: :func:`plot_lorenz_curve`, :func:`plot_customer_pyramid`.
- Lifecycle: :func:`plot_transition_heatmap`, :func:`plot_stage_flow`,
  :func:`plot_repurchase_tree`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

try:
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.patches import Polygon
except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
    raise ImportError("custvalue.plot needs matplotlib: pip install 'custvalue[plot]'") from exc

from custvalue._transactions import coerce_date_scalar, coerce_dates, coerce_ids
from custvalue._validation import as_float_array, as_scalar
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import time_unit_days, time_unit_label

__all__ = [
    "plot_customer_pyramid",
    "plot_frequency_recency_matrix",
    "plot_lorenz_curve",
    "plot_probability_alive_history",
    "plot_probability_alive_matrix",
    "plot_repeat_purchase_histogram",
    "plot_repurchase_tree",
    "plot_stage_flow",
    "plot_transaction_tracking",
    "plot_transition_heatmap",
]

FloatArray = NDArray[np.float64]


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise InvalidTypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _method(model: Any, name: str) -> Any:
    method = getattr(model, name, None)
    if not callable(method):
        raise InvalidTypeError(
            f"model must have a {name}() method (e.g. a BetaGeo); got {type(model).__name__}"
        )
    return method


# ------------------------------------------------------------------ frequency / recency matrices
def _fr_matrix(
    model: Any,
    method: str,
    T: float,
    max_frequency: int,
    n_recency: int | None,
    extra: tuple[float, ...],
) -> tuple[np.ma.MaskedArray[Any, Any], FloatArray, NDArray[np.int64]]:
    age = as_scalar(T, "T", lower=0, lower_inclusive=False)
    k = _count(max_frequency, "max_frequency", 1)
    n = min(math.floor(age) + 1, 101) if n_recency is None else _count(n_recency, "n_recency", 2)
    recency = np.linspace(0.0, age, n)
    frequency = np.arange(k + 1, dtype=np.int64)
    x, t_x = np.meshgrid(frequency, recency, indexing="ij")
    impossible = (x == 0) & (t_x > 0)  # no repeat purchase => t_x = 0
    t_x = np.where(impossible, 0.0, t_x)
    values = np.asarray(_method(model, method)(*extra, x, t_x, age), dtype=np.float64)
    return np.ma.masked_array(values, mask=impossible), recency, frequency


def _draw_matrix(
    ax: Axes,
    values: np.ma.MaskedArray[Any, Any],
    recency: FloatArray,
    frequency: NDArray[np.int64],
    title: str,
    label: str,
    vmin: float | None,
    vmax: float | None,
) -> Axes:
    step = recency[1] - recency[0]
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=(
            -step / 2,
            recency[-1] + step / 2,
            frequency[0] - 0.5,
            frequency[-1] + 0.5,
        ),
        vmin=vmin,
        vmax=vmax,
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("recency t_x (time of last purchase since the first)")
    ax.set_ylabel("frequency x (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_frequency_recency_matrix(
    model: Any,
    T: float,
    *,
    horizon: float = 1.0,
    max_frequency: int = 20,
    n_recency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of expected purchases in the next ``horizon`` by frequency and recency.

    Every cell is a customer of age ``T`` with history ``(x, t_x)``; cells with ``x = 0`` and
    ``t_x > 0`` cannot occur and are left blank.

    Parameters
    ----------
    model
        Anything with ``expected_purchases(t, frequency, recency, T)``, e.g. a fitted
        :class:`~custvalue.clv.BetaGeo`.
    T
        Customer age (> 0), the model's time unit.
    horizon
        Length of the future window (> 0), same unit.
    max_frequency
        Largest frequency shown (rows ``0 .. max_frequency``).
    n_recency
        Number of recency columns, evenly spaced on ``[0, T]`` (default: one per time unit,
        at most 101).
    ax
        Axes to draw on (default: current Axes).

    Returns
    -------
    matplotlib.axes.Axes
        With one image (rows = frequency, columns = recency) and a colorbar.
    """
    h = as_scalar(horizon, "horizon", lower=0, lower_inclusive=False)
    values, recency, frequency = _fr_matrix(
        model, "expected_purchases", T, max_frequency, n_recency, (h,)
    )
    title = f"Expected purchases in the next {h:g} time units (age T = {float(T):g})"
    return _draw_matrix(
        _axes(ax), values, recency, frequency, title, "expected purchases", 0.0, None
    )


def plot_probability_alive_matrix(
    model: Any,
    T: float,
    *,
    max_frequency: int = 20,
    n_recency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of P(alive at T) by frequency and recency (colour scale 0 to 1).

    Parameters are those of :func:`plot_frequency_recency_matrix`; ``model`` needs
    ``probability_alive(frequency, recency, T)``.
    """
    values, recency, frequency = _fr_matrix(
        model, "probability_alive", T, max_frequency, n_recency, ()
    )
    title = f"Probability alive by frequency and recency (age T = {float(T):g})"
    return _draw_matrix(_axes(ax), values, recency, frequency, title, "P(alive)", 0.0, 1.0)


# ------------------------------------------------------------------ calibration / holdout
def _repeat_days(ids: NDArray[Any], days: NDArray[np.int64]) -> tuple[Any, Any]:
    """Distinct purchase days after each customer's first day, and each customer's first day."""
    _, code = np.unique(ids, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    pairs = np.unique(code * span + (days - lo))
    pair_code, pair_day = np.divmod(pairs, span)
    first = np.ones(pairs.size, dtype=bool)
    first[1:] = pair_code[1:] != pair_code[:-1]
    return np.sort(pair_day[~first] + lo), pair_day[first] + lo


def plot_transaction_tracking(
    model: Any,
    customer_id: ArrayLike,
    date: ArrayLike,
    *,
    calibration_end: Any,
    time_unit: str = "W",
    kind: Literal["cumulative", "incremental"] = "cumulative",
    ax: Axes | None = None,
) -> Axes:
    """Repeat transactions over time, actual vs model, across calibration and holdout.

    The actual series counts distinct (customer, day) purchases after each customer's first
    purchase day, by the end of each period of length ``time_unit`` from the first date of the
    log (whole periods only). The model series is the expected number of repeat purchases of
    the same customers, ``sum_i E[X(age_i)]`` with ``E[X(t)]`` the new-customer expectation
    (``model.expected_purchases_new``, FHL 2005 eq. 9) and ``age_i`` the time since the
    customer's first purchase, grouped by first-purchase day (cohort). A dashed line marks the
    end of calibration; the model should have been fitted on the calibration period only.

    Parameters
    ----------
    model
        Anything with ``expected_purchases_new(t)``, fitted in ``time_unit``.
    customer_id, date
        The transaction log (whole period), as for :func:`custvalue.summarize_transactions`.
    calibration_end
        Last day of the calibration period (inclusive).
    time_unit
        Period length and the model's time unit (``"W"``, ``"D"``, ...).
    kind
        ``"cumulative"`` (running totals) or ``"incremental"`` (per period).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Lines ``"actual"`` and ``"model"`` (x: periods since the first date, y: repeat
        transactions) and a vertical calibration line.

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers" the easy way, Marketing Science
    24(2), figures 2 and 3.
    """
    if kind not in ("cumulative", "incremental"):
        raise InvalidInputError(f"kind must be 'cumulative' or 'incremental'; got {kind!r}")
    ids = coerce_ids(customer_id, "customer_id")
    days = coerce_dates(date, "date")
    if ids.size != days.size or ids.size == 0:
        raise InvalidInputError(
            f"customer_id and date must be non-empty and of one length; got {ids.size}, {days.size}"
        )
    expected_new = _method(model, "expected_purchases_new")
    unit = time_unit_days(time_unit)
    cal_end = coerce_date_scalar(calibration_end, "calibration_end")
    start, end = int(days.min()), int(days.max())
    n_periods = math.floor((end - start + 1) / unit)
    if n_periods < 1:
        raise InvalidInputError(f"the log spans less than one time unit ({time_unit!r})")
    if not start <= cal_end <= end:
        raise InvalidInputError("calibration_end must lie within the dates of the log")
    repeat, first = _repeat_days(ids, days)
    k = np.arange(1, n_periods + 1)
    cut = start + np.floor(k * unit).astype(np.int64) - 1  # last day (inclusive) of period k
    actual = np.searchsorted(repeat, cut, side="right").astype(np.float64)
    cohort, size = np.unique(first, return_counts=True)
    age = np.clip((cut[:, None] - cohort[None, :]) / unit, 0.0, None)
    expected = np.asarray(expected_new(age), dtype=np.float64) @ size
    if kind == "incremental":
        actual = np.diff(actual, prepend=0.0)
        expected = np.diff(expected, prepend=0.0)
    axes = _axes(ax)
    label = time_unit_label(time_unit)
    axes.plot(k, actual, color="black", label="actual")
    axes.plot(k, expected, color="tab:blue", linestyle="--", label="model")
    axes.axvline((cal_end - start + 1) / unit, color="grey", linestyle=":", label="calibration end")
    axes.set_xlabel(f"time since {np.datetime64(start, 'D')} ({label})")
    axes.set_ylabel("repeat transactions" + (" (cumulative)" if kind == "cumulative" else ""))
    axes.set_title(f"Tracking {kind} repeat transactions")
    axes.legend()
    return axes


# ------------------------------------------------------------------ repeat-purchase histogram
def plot_repeat_purchase_histogram(
    model: Any,
    frequency: ArrayLike,
    T: ArrayLike,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Number of customers by repeat purchases in calibration, actual vs model.

    The model count for ``n`` is ``sum_i P(X(T_i) = n)`` (FHL 2005 eq. 8, each customer at its
    own age ``T_i``); the last bin is ``max_frequency`` or more (``n_customers`` minus the
    others), so both series sum to the number of customers.

    Parameters
    ----------
    model
        Anything with ``probability_of_purchases(n, t)``, e.g. a fitted BetaGeo.
    frequency, T
        Repeat purchases and age of each customer (the calibration summary), shape (n,).
    max_frequency
        The last bin, ``max_frequency+``.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Two bar containers, ``"actual"`` and ``"model"``, of ``max_frequency + 1`` bars each.
    """
    x = as_float_array(frequency, "frequency", lower=0, integer=True, ndim=1)
    age = as_float_array(T, "T", lower=0, ndim=1)
    if x.shape != age.shape or x.size == 0:
        raise InvalidInputError(
            f"frequency and T must be non-empty and of one shape; got {x.shape}, {age.shape}"
        )
    k = _count(max_frequency, "max_frequency", 1)
    probability = _method(model, "probability_of_purchases")
    actual = np.bincount(np.minimum(x, k).astype(np.int64), minlength=k + 1).astype(np.float64)
    ages, counts = np.unique(age, return_counts=True)
    n = np.arange(k)
    p = np.asarray(probability(n[:, None], ages[None, :]), dtype=np.float64) @ counts
    model_counts = np.append(p, x.size - p.sum())
    axes = _axes(ax)
    bins = np.arange(k + 1)
    axes.bar(bins - 0.2, actual, width=0.4, label="actual", color="black")
    axes.bar(bins + 0.2, model_counts, width=0.4, label="model", color="tab:blue")
    axes.set_xticks(bins, [*(str(i) for i in range(k)), f"{k}+"])
    axes.set_xlabel("repeat purchases in calibration")
    axes.set_ylabel("customers")
    axes.set_title("Repeat purchases: actual vs model")
    axes.legend()
    return axes


# ------------------------------------------------------------------ P(alive) of one customer
def plot_probability_alive_history(
    model: Any,
    purchase_times: ArrayLike,
    T: float,
    *,
    n_points: int = 200,
    ax: Axes | None = None,
) -> Axes:
    """P(alive) of one customer over time, from the first purchase to age ``T``.

    At each time ``t`` the history is ``x(t)`` = repeat purchases up to ``t``, ``t_x(t)`` = the
    last of them (0 if none), age ``t``. P(alive) jumps at each purchase (both sides drawn).

    Parameters
    ----------
    model
        Anything with ``probability_alive(frequency, recency, T)``.
    purchase_times
        Times of the customer's *repeat* purchases since the first purchase, in the model's
        time unit, each in ``(0, T]``, shape (k,).
    T
        Age of the customer at the end of the plot (> 0).
    n_points
        Number of evenly spaced evaluation times (the purchase times are added).
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line (P(alive) over time) and one dashed vertical line per repeat purchase.
    """
    age = as_scalar(T, "T", lower=0, lower_inclusive=False)
    times = np.sort(as_float_array(purchase_times, "purchase_times", lower=0, ndim=1))
    if times.size and (times[0] <= 0 or times[-1] > age):
        raise InvalidInputError("purchase_times must lie in (0, T] (repeat purchases only)")
    alive = _method(model, "probability_alive")
    grid = np.linspace(0.0, age, _count(n_points, "n_points", 2))
    # Every grid time counts the purchases up to and including it; each purchase time is also
    # drawn on both sides (left limit, then value just after), so the jump is vertical.
    t = np.concatenate([grid, times, times])
    count = np.concatenate(
        [
            np.searchsorted(times, grid, side="right"),
            np.searchsorted(times, times, side="left"),
            np.searchsorted(times, times, side="right"),
        ]
    )
    order = np.lexsort((count, t))
    t, count = t[order], count[order]
    last = np.where(count > 0, times[np.maximum(count - 1, 0)] if times.size else 0.0, 0.0)
    p = np.ones(t.size)  # at t = 0 the customer has just bought: alive
    later = t > 0
    p[later] = np.asarray(alive(count[later], last[later], t[later]), dtype=np.float64)
    axes = _axes(ax)
    axes.plot(t, p, color="tab:blue", label="P(alive)")
    for when in times:
        axes.axvline(when, color="grey", linestyle="--", linewidth=0.8)
    axes.set_ylim(0.0, 1.05)
    axes.set_xlim(0.0, age)
    axes.set_xlabel("time since first purchase")
    axes.set_ylabel("P(alive)")
    axes.set_title("P(alive) history")
    return axes


# ------------------------------------------------------------------ segments
def plot_lorenz_curve(values: Any, *, ax: Axes | None = None) -> Axes:
    """Value-concentration Lorenz curve with the line of equality; the Gini is in the title.

    Parameters
    ----------
    values
        A :class:`~custvalue.segments.LorenzCurve`, or per-customer values (>= 0) passed to
        :func:`~custvalue.segments.lorenz_curve`.
    ax
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Lines ``"Lorenz curve"`` (customers sorted from the lowest value up) and ``"equality"``.
    """
    from custvalue.segments import LorenzCurve, lorenz_curve

    curve = values if isinstance(values, LorenzCurve) else lorenz_curve(values)
    axes = _axes(ax)
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
    axes = _axes(ax)
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
    axes = _axes(ax)
    image = axes.imshow(matrix, cmap="Blues", vmin=0.0, interpolation="nearest")
    axes.figure.colorbar(image, ax=axes, label=what)
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, names)
    axes.set_yticks(ticks, names)
    axes.set_xlabel("to stage")
    axes.set_ylabel("from stage")
    axes.set_title(f"Stage transitions ({what})")
    if annotate:
        high = float(matrix.max()) if matrix.size else 0.0
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
    axes = _axes(ax)
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
    axes = _axes(ax)
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
