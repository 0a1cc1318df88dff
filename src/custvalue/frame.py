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
import inspect
import math
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from custvalue import _frames
from custvalue._columns import Columns, Tabular, freeze_columns
from custvalue.clv._inputs import as_times, resolve_time_unit
from custvalue.clv.value import SpendModel, TransactionModel, discounted_expected_transactions
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import summarize_transactions
from custvalue.time_units import Duration

__all__ = ["SCORE_COLUMNS", "score", "summarize_frame", "to_frame"]

#: Input columns :func:`score` reads from a frame (our name -> default column name).
SCORE_COLUMNS: dict[str, str] = {
    "frequency": "frequency",
    "recency": "recency",
    "T": "T",
    "monetary_value": "monetary_value",
}


def summarize_frame(
    data: Any,
    customer_id: str,
    date: str,
    monetary: str | None = None,
    **options: Any,
) -> Any:
    """Summarise a transaction-log DataFrame; returns a DataFrame of the same library.

    Same as ``summarize_transactions(customer_id, date, monetary, data=frame, **options)``;
    the semantics are those of :func:`custvalue.summarize_transactions`.

    Parameters
    ----------
    data
        An eager DataFrame (pandas, Polars, PyArrow table, ... anything narwhals supports),
        one row per transaction.
    customer_id, date, monetary
        Column names in ``data``: customer ids, transaction dates (date/datetime columns, ISO
        text, or text/integers read with ``date_format``), and optionally amounts.
    **options
        ``observation_end``, ``time_unit``, ``returns``, ``date_format``: as for
        :func:`custvalue.summarize_transactions`.

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
    return summarize_transactions(customer_id, date, monetary, data=data, **options)


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
    if isinstance(summary, Tabular):
        if columns is not None:
            raise InvalidInputError("columns applies to DataFrame input, not a CustomerSummary")
        base = summary.to_columns()
        missing = [name for name in ("frequency", "recency", "T") if name not in base]
        if missing:
            raise InvalidInputError(
                f"summary: {type(summary).__name__} has no column(s) {missing}; pass a "
                "CustomerSummary or a frame"
            )
        added = _score_arrays(
            base["frequency"], base["recency"], base["T"], base.get("monetary_value"),
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
    frame = _frames.eager(summary, "summary")
    x = _frames.column(frame, names["frequency"], "frequency")
    t_x = _frames.column(frame, names["recency"], "recency")
    age = _frames.column(frame, names["T"], "T")
    m = None
    if spend_model is not None:
        m = _frames.column(frame, names["monetary_value"], "monetary_value")
    added = _score_arrays(x, t_x, age, m, transaction_model, spend_model, h, discount_rate, n_nodes)
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise InvalidInputError(f"summary already has column(s) {clash}; rename or drop them")
    nw = _frames.narwhals()
    namespace = _frames.namespace(frame)
    new = [nw.new_series(name, v, native_namespace=namespace) for name, v in added.items()]
    return frame.with_columns(*new).to_native()


# ------------------------------------------------------------------------------ to_frame
def _result_columns(result: Any, layout: str | None) -> Columns:
    """The columns of a result (its ``to_columns()``) or of a mapping of 1-D arrays."""
    if isinstance(result, Tabular):
        if layout is None:
            return freeze_columns(result.to_columns())
        to_columns: Any = result.to_columns
        if "layout" not in inspect.signature(to_columns).parameters:
            raise InvalidInputError(
                f"layout: {type(result).__name__} has one layout only; got layout={layout!r}"
            )
        return freeze_columns(to_columns(layout=layout))
    if isinstance(result, Mapping):
        if layout is not None:
            raise InvalidTypeError(f"layout applies to results, not to a mapping; got {layout!r}")
        return freeze_columns(result)
    raise InvalidTypeError(
        f"to_frame tabulates results with a to_columns() method (every custvalue result) or a "
        f"mapping of 1-D arrays; got {type(result).__name__}"
    )


def to_frame(
    result: Any,
    backend: str | ModuleType = "pandas",
    *,
    customer_id: Any = None,
    layout: str | None = None,
) -> Any:
    """Tabulate a result as a DataFrame of the chosen library.

    The columns are the result's own ``to_columns()``: this function only hands them to the
    frame library, so a frame, the notebook table and the text repr of a result always agree.

    Parameters
    ----------
    result
        Any custvalue result (everything with a ``to_columns()`` method: a
        :class:`~custvalue.summary.CustomerSummary`, a fitted model's parameter table, segment
        and lifecycle results, bootstrap replicates, ...; each method's docstring says what a
        row is), or a mapping of column name -> 1-D array (e.g. the output of :func:`score` on
        a ``CustomerSummary``).
    backend
        ``"pandas"``, ``"polars"``, ``"pyarrow"`` (or the module itself), or another eager
        library narwhals supports.
    customer_id
        Optional ids, shape ``(n_rows,)``, prepended as a ``customer_id`` column (for
        per-customer results that do not carry ids, e.g. a ``Segmentation``).
    layout
        ``"long"`` or ``"wide"`` for results that have both shapes (a transition matrix: one
        row per ``(from_stage, to_stage)`` pair, or one row per ``from_stage``; a
        :class:`~custvalue.lifecycle.StageHistory`: one row per customer and cut-off, or one
        per customer); ``None`` takes the result's default.

    Returns
    -------
    DataFrame
        Stage, reason, segment and leaf columns hold names (strings); stage codes are not used.

    Raises
    ------
    ImportError
        narwhals (or the backend library) is not installed.
    InvalidTypeError
        ``result`` has no ``to_columns()`` and is not a mapping, or ``backend`` is neither a
        name nor a module.
    InvalidInputError
        Columns of different lengths, ``customer_id`` of the wrong length or given twice, or a
        ``layout`` the result does not have.

    Examples
    --------
    >>> from custvalue.lifecycle import MigrationModel
    >>> P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
    >>> wide = to_frame(MigrationModel(P), "pandas", layout="wide")
    >>> wide.columns.tolist()
    ['from_stage', 'ACQUIRE', 'RETAIN', 'RECOVER', 'TERMINATE']
    >>> to_frame(MigrationModel(P), "polars").shape  # long: one row per (from, to)
    (16, 3)
    """
    cols = _result_columns(result, layout)
    n = next(iter(cols.values())).shape[0] if cols else 0
    if customer_id is not None:
        ids = np.asarray(customer_id)
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
    return _frames.build_frame(cols, namespace)
