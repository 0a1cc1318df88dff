"""DataFrames in and out: pandas, Polars, PyArrow (and more) through narwhals.

The math works on numpy arrays; this module is the adapter at the edge (optional extra
``custvalue[dataframe]``, which installs `narwhals <https://narwhals-dev.github.io/narwhals/>`_).
A frame goes in, its columns are read as numpy arrays, the array functions run, and a frame of
**the same library** comes out (pandas in, pandas out; Polars in, Polars out).

- :func:`summarize_frame` (what ``summarize_transactions(..., data=frame)`` calls): transaction
  log frame -> one row per customer.
- :func:`score`: summary (frame or :class:`~custvalue.summary.CustomerSummary`) + fitted models
  -> P(alive), expected purchases, expected spend and CLV per customer in one call.
- :func:`to_frame`: a summary, segment or lifecycle result -> a frame of the chosen library.

narwhals is imported only when a frame is handled, so ``import custvalue`` never needs it.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue.clv._inputs import as_times, resolve_time_unit
from custvalue.clv.value import SpendModel, TransactionModel, discounted_expected_transactions
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import CalibrationHoldout, CustomerSummary, TimeUnit, summarize_transactions
from custvalue.time_units import Duration

__all__ = ["SCORE_COLUMNS", "score", "summarize_frame", "to_frame"]

Columns = dict[str, NDArray[Any]]

#: Input columns :func:`score` reads from a frame (our name -> default column name).
SCORE_COLUMNS: dict[str, str] = {
    "frequency": "frequency",
    "recency": "recency",
    "T": "T",
    "monetary_value": "monetary_value",
}

_EXTRA_HELP = "pip install 'custvalue[dataframe]' (installs narwhals)"


def _narwhals() -> ModuleType:
    """The narwhals stable API, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("narwhals.stable.v1")
    except ImportError:
        raise ImportError(f"DataFrame support needs narwhals: {_EXTRA_HELP}") from None


def _eager(data: Any, name: str = "data") -> Any:
    """Wrap a native eager DataFrame with narwhals, or raise a clear type error."""
    nw = _narwhals()
    try:
        return nw.from_native(data, eager_only=True)
    except TypeError:
        hint = " (call .collect() on a lazy frame first)" if hasattr(data, "collect") else ""
        raise InvalidTypeError(
            f"{name} must be an eager DataFrame that narwhals supports (pandas, Polars, PyArrow "
            f"...); got {type(data).__module__}.{type(data).__name__}{hint}"
        ) from None


def _column(frame: Any, column: object, argument: str) -> NDArray[Any]:
    """One column of a narwhals frame as a numpy array; errors name the argument."""
    if not isinstance(column, str):
        raise InvalidTypeError(
            f"{argument} must be a column name (str) when data= is given; "
            f"got {type(column).__name__}"
        )
    names = list(frame.columns)
    if column not in names:
        raise InvalidInputError(
            f"{argument}: column {column!r} is not in the frame; its columns are {names}"
        )
    arr: NDArray[Any] = np.asarray(frame[column].to_numpy())
    return arr


def _namespace(frame: Any) -> ModuleType:
    """The native library (pandas, polars, pyarrow ...) of a narwhals frame."""
    namespace: ModuleType = _narwhals().get_native_namespace(frame)
    return namespace


def _build(columns: Mapping[str, NDArray[Any]], namespace: ModuleType) -> Any:
    # ``native_namespace=`` works on every narwhals >= 1.20 (``backend=`` came later).
    nw = _narwhals()
    return nw.from_dict(dict(columns), native_namespace=namespace).to_native()


def summarize_frame(
    data: Any,
    customer_id: str,
    date: str,
    monetary: str | None = None,
    *,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
) -> Any:
    """Summarise a transaction-log DataFrame; returns a DataFrame of the same library.

    This is what ``summarize_transactions(customer_id, date, monetary, data=frame, ...)``
    calls; the semantics are those of :func:`custvalue.summarize_transactions`.

    Parameters
    ----------
    data
        An eager DataFrame (pandas, Polars, PyArrow table, ... anything narwhals supports),
        one row per transaction.
    customer_id, date, monetary
        Column names in ``data``: customer ids, transaction dates (date/datetime columns or ISO
        strings), and optionally amounts (currency of the data).
    observation_end, time_unit
        As for :func:`custvalue.summarize_transactions`.

    Returns
    -------
    DataFrame
        Same library as ``data``; one row per customer sorted by id, columns
        ``<customer_id column name>``, ``frequency`` (int64), ``recency`` and ``T`` (in
        ``time_unit``), and ``monetary_value`` when ``monetary`` is given.

    Raises
    ------
    ImportError
        narwhals is not installed.
    InvalidTypeError
        ``data`` is not an eager DataFrame, or a column argument is not a string.
    InvalidInputError
        A column is missing, or any error of :func:`custvalue.summarize_transactions`.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"cid": ["a", "a", "b"], "amount": [10.0, 20.0, 7.0],
    ...                     "when": ["2024-01-01", "2024-01-15", "2024-01-08"]})
    >>> out = summarize_frame(log, "cid", "when", "amount", observation_end="2024-01-29",
    ...                       time_unit="W")
    >>> out["cid"].tolist(), out["frequency"].tolist(), out["T"].tolist()
    (['a', 'b'], [1, 0], [4.0, 3.0])
    """
    frame = _eager(data)
    ids = _column(frame, customer_id, "customer_id")
    dates = _column(frame, date, "date")
    amounts = None if monetary is None else _column(frame, monetary, "monetary")
    summary = summarize_transactions(
        ids, dates, amounts, observation_end=observation_end, time_unit=time_unit
    )
    cols = summary._columns()
    cols[customer_id] = cols.pop("customer_id")
    ordered = {customer_id: cols.pop(customer_id), **cols}
    return _build(ordered, _namespace(frame))


# ------------------------------------------------------------------------------ scoring
def _score_arrays(
    x: ArrayLike,
    t_x: ArrayLike,
    age: ArrayLike,
    m: ArrayLike | None,
    transaction_model: TransactionModel,
    spend_model: SpendModel | None,
    horizon: float,
    discount_rate: float,
    n_nodes: int | None,
) -> Columns:
    det = discounted_expected_transactions(
        transaction_model, x, t_x, age, horizon=horizon, discount_rate=discount_rate,
        n_nodes=n_nodes,
    )  # fmt: skip
    out: Columns = {}
    p_alive = getattr(transaction_model, "probability_alive", None)
    if callable(p_alive):
        out["p_alive"] = np.asarray(p_alive(x, t_x, age), dtype=np.float64)
    if math.isfinite(horizon):
        out["expected_purchases"] = np.asarray(
            transaction_model.expected_purchases(horizon, x, t_x, age), dtype=np.float64
        )
    out["discounted_purchases"] = det
    if spend_model is not None:
        if m is None:
            raise InvalidInputError("monetary_value is required when a spend_model is given")
        spend = np.asarray(spend_model.expected_spend(x, m), dtype=np.float64)
        bad = ~np.isfinite(spend)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"spend_model.expected_spend returned a non-finite value {spend[i]!r} "
                f"(customer index {i})"
            )
        out["expected_spend"] = spend
        out["clv"] = spend * det
    return out


def score(
    summary: Any,
    transaction_model: TransactionModel,
    spend_model: SpendModel | None = None,
    *,
    horizon: Duration,
    discount_rate: float,
    columns: Mapping[str, str] | None = None,
    n_nodes: int | None = None,
) -> Any:
    """Score every customer in one call: P(alive), expected purchases, spend and CLV.

    Parameters
    ----------
    summary
        Either a DataFrame with one row per customer (e.g. from
        ``summarize_transactions(..., data=frame)``), with columns ``frequency``, ``recency``
        (the BG/NBD ``t_x``), ``T`` and, with a spend model, ``monetary_value`` (other names
        through ``columns``); or a :class:`~custvalue.summary.CustomerSummary`.
    transaction_model
        Fitted purchase model, e.g. :class:`~custvalue.clv.BetaGeo`, **fitted in the time unit
        of the summary**.
    spend_model
        Fitted spend model, e.g. :class:`~custvalue.clv.GammaGamma`; ``None`` scores purchases
        only (no ``expected_spend``/``clv`` columns).
    horizon
        Future window length in the summary's time unit (52 = one year on weekly data); ``>= 0``
        or ``math.inf``; or a duration (``"12M"``) in the model's ``time_unit``.
    discount_rate
        Continuously compounded discount rate per that time unit (see
        :func:`~custvalue.clv.continuous_discount_rate`); ``> 0`` if the horizon is infinite.
    columns
        Names of the input columns when they differ from the defaults, e.g.
        ``{"recency": "t_x"}`` (keys: ``frequency``, ``recency``, ``T``, ``monetary_value``).
    n_nodes
        Quadrature order of the discounted expected purchases (default: automatic).

    Returns
    -------
    DataFrame or dict of numpy.ndarray
        For a frame: the input frame (same library, same rows and order, all its columns) with
        added columns; for a ``CustomerSummary``: a dict of arrays with ``customer_id``,
        ``frequency``, ``recency``, ``T``, ``monetary_value`` (if present) and the added
        columns. The added columns are

        - ``p_alive``: P(alive at T) (if the model has ``probability_alive``);
        - ``expected_purchases``: E[purchases in (T, T + horizon]], undiscounted (only for a
          finite horizon);
        - ``discounted_purchases``: discounted expected purchases over the horizon (DET; DERT
          for an infinite horizon);
        - ``expected_spend``: expected spend per purchase (currency), with a spend model;
        - ``clv``: ``expected_spend * discounted_purchases`` (currency), with a spend model;
          equal to :func:`~custvalue.clv.customer_lifetime_value`.

    Raises
    ------
    ImportError
        A frame was given and narwhals is not installed.
    InvalidInputError
        Missing columns, an added column name already in the frame, invalid histories, spends,
        horizon or rate.

    Examples
    --------
    >>> import math
    >>> from custvalue.clv import BetaGeo, BetaGeoParams, GammaGamma, GammaGammaParams
    >>> from custvalue.datasets import load_cdnow_summary
    >>> bg = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426))
    >>> gg = GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))
    >>> out = score(load_cdnow_summary(), bg, gg, horizon=52, discount_rate=0.0018)
    >>> sorted(out)[:4]
    ['T', 'clv', 'customer_id', 'discounted_purchases']
    >>> round(float(out["p_alive"][0]), 4)
    0.7266
    """
    # the summary's unit is checked against both models; durations read in the models' unit
    unit = resolve_time_unit(transaction_model, getattr(summary, "time_unit", None), "summary")
    resolve_time_unit(spend_model, unit, "the transaction model's data")
    h: float = as_times(horizon, unit, "horizon")
    if isinstance(summary, CustomerSummary):
        if columns is not None:
            raise InvalidInputError("columns applies to DataFrame input, not a CustomerSummary")
        base = summary._columns()
        added = _score_arrays(
            summary.frequency, summary.recency, summary.T, summary.monetary_value,
            transaction_model, spend_model, h, discount_rate, n_nodes,
        )  # fmt: skip
        return {**base, **added}
    names = dict(SCORE_COLUMNS)
    for key, value in (columns or {}).items():
        if key not in SCORE_COLUMNS:
            raise InvalidInputError(
                f"columns: unknown key {key!r}; expected some of {list(SCORE_COLUMNS)}"
            )
        names[key] = value
    frame = _eager(summary, "summary")
    x = _column(frame, names["frequency"], "frequency")
    t_x = _column(frame, names["recency"], "recency")
    age = _column(frame, names["T"], "T")
    m = None if spend_model is None else _column(frame, names["monetary_value"], "monetary_value")
    added = _score_arrays(x, t_x, age, m, transaction_model, spend_model, h, discount_rate, n_nodes)
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise InvalidInputError(f"summary already has column(s) {clash}; rename or drop them")
    nw = _narwhals()
    namespace = _namespace(frame)
    new = [nw.new_series(name, v, native_namespace=namespace) for name, v in added.items()]
    return frame.with_columns(*new).to_native()


# ------------------------------------------------------------------------------ to_frame
def _stage_names(codes: NDArray[np.int64]) -> NDArray[np.str_]:
    from custvalue.lifecycle import Stage

    names = np.array([s.name for s in Stage])
    out: NDArray[np.str_] = names[codes]
    return out


def _long_matrix(**matrices: NDArray[Any]) -> Columns:
    from custvalue.lifecycle import Stage

    k = len(Stage)
    codes = np.arange(k, dtype=np.int64)
    cols: Columns = {
        "from_stage": _stage_names(np.repeat(codes, k)),
        "to_stage": _stage_names(np.tile(codes, k)),
    }
    cols.update({name: np.asarray(m).reshape(-1) for name, m in matrices.items()})
    return cols


def _segment_columns(result: Any) -> Columns | None:
    from custvalue import segments as sg

    if isinstance(result, sg.SegmentTable):
        value = result.value_name
        cols: Columns = {
            "segment": np.asarray(result.segment, dtype=str),
            "count": result.count,
            "customer_share": result.customer_share,
            f"{value}_total": result.value_total,
            f"{value}_share": result.value_share,
            f"{value}_mean": result.value_mean,
        }
        for name in result.extra_names:
            cols[f"{name}_total"] = result.extra(name)
        return cols
    if isinstance(result, sg.Segmentation):
        return {"segment": result.labels}
    if isinstance(result, sg.CustomerPyramid):
        return {"tier": result.labels, "profit": result.profit}
    if isinstance(result, sg.RFMScores):
        return {
            "recency_score": result.recency_score,
            "frequency_score": result.frequency_score,
            "monetary_score": result.monetary_score,
            "total_spend": result.total_spend,
        }
    if isinstance(result, sg.LorenzCurve):
        return {"customer_share": result.customer_share, "value_share": result.value_share}
    return None


def _lifecycle_columns(result: Any) -> Columns | None:
    from custvalue import lifecycle as lc

    stages = np.array([s.name for s in lc.Stage])
    leaves = np.asarray(lc.LEAVES, dtype=str)
    if isinstance(result, lc.StageAssignment):
        return {"stage": result.stage_names(), "reason": result.reason_names()}
    if isinstance(result, lc.StageHistory):
        seen = result.stages >= 0
        rows, k = np.nonzero(seen)
        reasons = np.array([r.name for r in lc.Reason])
        return {
            "customer_id": result.customer_id[rows],
            "cutoff": result.cutoffs[k],
            "stage": stages[result.stages[rows, k]],
            "reason": reasons[result.reasons[rows, k]],
            "routed": result.routed[rows, k],
        }
    if isinstance(result, lc.MigrationModel):
        return _long_matrix(probability=result.matrix)
    if isinstance(result, lc.MigrationEstimate):
        return _long_matrix(
            probability=result.matrix,
            standard_error=result.standard_errors,
            count=result.counts,
            fixed=result.fixed,
        )
    if isinstance(result, lc.StageValue):
        return {"stage": stages, "reward": result.rewards, "value": result.values}
    if isinstance(result, lc.AbsorbingFacts):
        return {
            "stage": stages[:3],
            "expected_periods": result.expected_periods,
            "variance_periods": result.variance_periods,
            "probability_reach_retain": result.probability_reach_retain[:3],
        }
    if isinstance(result, lc.RepurchaseTree):
        return {
            "leaf": leaves,
            "share": result.leaf_shares,
            "rate": result.leaf_rates,
            "lost_share": result.lost_customers(1.0),
        }
    if isinstance(result, lc.RepurchasePosterior):
        return {
            "leaf": leaves,
            "share": result.leaf_shares,
            "rate_alpha": result.rate_alpha,
            "rate_beta": result.rate_beta,
            "rate_mean": result.rate_means,
        }
    if isinstance(result, lc.IntentSummary):
        quantity = np.array(["intent", "no_intent", *(f"lost_{leaf}" for leaf in lc.LEAVES)])
        table = np.vstack([result.intent, result.no_intent, result.lost.T])
        return {
            "quantity": quantity,
            "mean": table[:, 0],
            "lower": table[:, 1],
            "upper": table[:, 2],
        }
    return None


def _result_columns(result: Any) -> Columns:
    if isinstance(result, CustomerSummary):
        return result._columns()
    if isinstance(result, CalibrationHoldout):
        cols = result.calibration._columns()
        cols["holdout_frequency"] = result.holdout_frequency
        if result.holdout_spend is not None:
            cols["holdout_spend"] = result.holdout_spend
        return cols
    from custvalue.clv._fitted import FittedModel
    from custvalue.clv.resampling import BootstrapResult

    if isinstance(result, FittedModel):  # one row per parameter
        return result.parameter_table()
    if isinstance(result, BootstrapResult):  # one row per replicate
        cols = {name: result.params[:, i] for i, name in enumerate(result.names)}
        cols["converged"] = result.converged
        return cols
    found = _segment_columns(result)
    if found is None:
        found = _lifecycle_columns(result)
    if found is not None:
        return found
    if isinstance(result, Mapping):
        cols = {}
        for key, value in result.items():
            if not isinstance(key, str):
                raise InvalidTypeError(f"result: column names must be str; got {key!r}")
            cols[key] = np.asarray(value)
        return cols
    raise InvalidTypeError(
        f"to_frame does not know how to tabulate {type(result).__name__}; supported: "
        "CustomerSummary, CalibrationHoldout, BetaGeo, GammaGamma, BootstrapResult, segment "
        "results "
        "(SegmentTable, Segmentation, CustomerPyramid, RFMScores, LorenzCurve), lifecycle "
        "results (StageAssignment, StageHistory, MigrationModel, MigrationEstimate, "
        "StageValue, AbsorbingFacts, RepurchaseTree, RepurchasePosterior, IntentSummary), "
        "or a mapping of 1-D arrays"
    )


def to_frame(result: Any, backend: str | ModuleType = "pandas", *, customer_id: Any = None) -> Any:
    """Tabulate a result as a DataFrame of the chosen library.

    Parameters
    ----------
    result
        One of: :class:`~custvalue.summary.CustomerSummary`,
        :class:`~custvalue.summary.CalibrationHoldout`; a fitted
        :class:`~custvalue.clv.BetaGeo` or :class:`~custvalue.clv.GammaGamma` (one row per
        parameter: estimate, standard error, 95% interval; see ``parameter_table()``);
        :class:`~custvalue.clv.BootstrapResult` (one row per replicate: the parameters and
        ``converged``); segment results
        (:class:`~custvalue.segments.SegmentTable`: one row per segment;
        :class:`~custvalue.segments.Segmentation`, :class:`~custvalue.segments.CustomerPyramid`,
        :class:`~custvalue.segments.RFMScores`: one row per customer;
        :class:`~custvalue.segments.LorenzCurve`: one row per curve point); lifecycle results
        (:class:`~custvalue.lifecycle.StageAssignment`: per customer;
        :class:`~custvalue.lifecycle.StageHistory`: long format, one row per customer and
        cut-off where the customer is acquired; :class:`~custvalue.lifecycle.MigrationModel`
        and :class:`~custvalue.lifecycle.MigrationEstimate`: long format, one row per
        ``(from_stage, to_stage)``; :class:`~custvalue.lifecycle.StageValue`,
        :class:`~custvalue.lifecycle.AbsorbingFacts`: per stage;
        :class:`~custvalue.lifecycle.RepurchaseTree`,
        :class:`~custvalue.lifecycle.RepurchasePosterior`: per leaf;
        :class:`~custvalue.lifecycle.IntentSummary`: per quantity); or a mapping of column
        name -> 1-D array (e.g. the output of :func:`score` on a ``CustomerSummary``).
    backend
        ``"pandas"``, ``"polars"``, ``"pyarrow"`` (or the module itself), or another eager
        library narwhals supports.
    customer_id
        Optional ids, shape ``(n_customers,)``, prepended as a ``customer_id`` column (for
        per-customer results that do not carry ids, e.g. a ``Segmentation``).

    Returns
    -------
    DataFrame
        Stage, reason, segment and leaf columns hold names (strings); stage codes are not used.

    Raises
    ------
    ImportError
        narwhals (or the backend library) is not installed.
    InvalidTypeError
        ``result`` is of an unsupported type.
    InvalidInputError
        Columns of different lengths, or ``customer_id`` of the wrong length or given twice.
    """
    cols = _result_columns(result)
    lengths = {name: int(np.shape(v)[0]) if np.ndim(v) else 1 for name, v in cols.items()}
    if any(np.ndim(v) != 1 for v in cols.values()) or len(set(lengths.values())) > 1:
        raise InvalidInputError(f"result columns must be 1-D of one length; got {lengths}")
    if customer_id is not None:
        ids = np.asarray(customer_id)
        n = next(iter(lengths.values()))
        if ids.shape != (n,):
            raise InvalidInputError(f"customer_id must have shape ({n},); got {ids.shape}")
        if "customer_id" in cols:
            raise InvalidInputError("result already has a customer_id column")
        cols = {"customer_id": ids, **cols}
    if isinstance(backend, ModuleType):
        namespace = backend
    elif isinstance(backend, str):
        try:
            namespace = importlib.import_module(backend)
        except ImportError:
            raise ImportError(f"backend {backend!r} is not installed") from None
    else:
        raise InvalidTypeError(f"backend must be a library name or module; got {backend!r}")
    return _build(cols, namespace)
