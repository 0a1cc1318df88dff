"""The customer-value workflow on a Dask DataFrame of transactions (optional ``[dask]`` extra).

The same three steps as in memory, for transaction logs that do not fit on one machine:

1. :func:`summarize_transactions`: a group-by on the customer id (a hash shuffle of the rows
   by customer, so a customer's purchases may start in any partition, then the in-memory
   vectorised summary on each partition, which merges same-day purchases). The result is a
   Dask DataFrame with one row per customer.
2. :func:`fit_models` (or :func:`fit_bgnbd`, :func:`fit_gamma_gamma`): each partition
   collapses its customers into *distinct histories with weights* (``(frequency, recency,
   T)`` for BG/NBD, ``(frequency, monetary_value)`` for Gamma-Gamma); the partial tables are
   merged pairwise in a tree, and only the final table reaches the driver, which fits it with
   the in-memory :meth:`BetaGeo.fit` / :meth:`GammaGamma.fit` and their ``weights``. The
   likelihood is a weighted sum over distinct histories, so the parameters are *the same*
   as those of the in-memory fit on the whole summary.
3. :func:`score_customers`: P(alive), expected purchases and (with a spend model) discounted
   CLV for every customer via ``map_partitions``, returning a lazy Dask DataFrame. The
   distinct histories are scored once on the driver and looked up by the workers; models
   travel to the workers as their JSON documents (``to_json``/``from_json``), never pickled.

Everything runs wherever the active ``distributed.Client`` points: a ``LocalCluster`` or a
real cluster (``Client("tcp://scheduler:8786")``). Call ``.persist()`` on the summary before
fitting and scoring so that it is computed once.

Results equal the in-memory path: frequency, recency and T exactly, spends and predictions to
rounding (the order in which a customer's amounts are added may differ after the shuffle),
parameters to the optimizer's reproducibility (identical inputs give identical fits).

This module imports ``dask`` and ``pandas`` (which ``dask[dataframe]`` requires); nothing
else in :mod:`custvalue` does.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import dask.dataframe as dd  # type: ignore[import-not-found,unused-ignore]
import numpy as np
import pandas as pd  # type: ignore[import-untyped,import-not-found,unused-ignore]
from dask.delayed import delayed as _delayed  # type: ignore[import-not-found,unused-ignore]
from numpy.typing import NDArray

from custvalue._collapse import collapse_rows, group_rows
from custvalue._model_registry import PURCHASE_MODELS, purchase_model_class
from custvalue._progress import check_progress
from custvalue._transactions import coerce_date_scalar, coerce_dates, coerce_ids
from custvalue._validation import as_float_array
from custvalue.clv.bgnbd import BetaGeo
from custvalue.clv.gamma_gamma import GammaGamma
from custvalue.clv.protocol import PurchaseModel
from custvalue.clv.value import customer_lifetime_value, discounted_expected_transactions
from custvalue.dask._reduce import reduce_partitions
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import TimeUnit, _summarize, time_unit_days, time_unit_label

__all__ = [
    "SUMMARY_COLUMNS",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_models",
    "score_customers",
    "summarize_transactions",
    "unique_histories",
]

FloatArray = NDArray[np.float64]
#: Columns of the summary frame returned by :func:`summarize_transactions`.
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
_HISTORY = ("frequency", "recency", "T")
_SPEND = ("frequency", "monetary_value")
#: Partial tables merged per tree node in :func:`unique_histories`.
_SPLIT_EVERY = 8


# --------------------------------------------------------------------------- summaries
def _check_frame(frame: Any, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, dd.DataFrame):
        raise InvalidTypeError(f"{name} must be a dask.dataframe.DataFrame; got {type(frame)}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"{name} has no column(s) {missing}; its columns are {list(frame.columns)}"
        )


def _log_arrays(
    part: Any, customer_id: str, date: str, monetary: str | None
) -> tuple[NDArray[Any], NDArray[np.int64], FloatArray | None]:
    ids = coerce_ids(part[customer_id].to_numpy(), customer_id)
    days = coerce_dates(part[date].to_numpy(), date)
    amounts = None
    if monetary is not None:
        amounts = as_float_array(part[monetary].to_numpy(), monetary, lower=0, ndim=1)
    return ids, days, amounts


def _max_day(part: Any, date: str) -> int:
    days = coerce_dates(part[date].to_numpy(), date)
    return int(np.max(days)) if days.size else int(np.iinfo(np.int64).min)


def _latest(*days: int) -> int:
    return max(days)


def _summary_frame(ids: NDArray[Any], cols: dict[str, NDArray[Any]], monetary: bool) -> Any:
    data: dict[str, NDArray[Any]] = {"customer_id": ids}
    data.update({k: cols[k] for k in ("frequency", "recency", "T")})
    if monetary:
        data["monetary_value"] = cols["monetary_value"]
    return pd.DataFrame(data)


def _empty_summary(id_kind: str, monetary: bool) -> Any:
    ids = np.empty(0, dtype=np.int64 if id_kind == "i" else str)
    cols = {
        "frequency": np.empty(0, dtype=np.int64),
        "recency": np.empty(0),
        "T": np.empty(0),
        "monetary_value": np.empty(0),
    }
    return _summary_frame(ids, cols, monetary)


_MIXED_IDS = (
    "{} mixes integer and string ids (in different partitions); use one id type (all "
    "integers or all strings)"
)


def _partition_id_kind(part: Any, customer_id: str) -> str:
    """``"i"`` or ``"U"``: the id type of one partition as the in-memory path reads it
    (a partition mixing the two is refused there); ``""`` for an empty partition."""
    if len(part) == 0:
        return ""
    return "i" if coerce_ids(part[customer_id].to_numpy(), customer_id).dtype.kind == "i" else "U"


def _merge_id_kinds(customer_id: str, *kinds: str) -> str:
    found = {k for k in kinds if k}
    if len(found) > 1:
        raise InvalidInputError(_MIXED_IDS.format(customer_id))
    return found.pop() if found else "i"


def _id_kind(frame: Any, customer_id: str, progress: bool) -> str:
    """The id type of the whole column, as the in-memory path decides it for all rows: from
    the dtype when it is numeric or text, else (an ``object`` column) from one pass over the
    ids, so integers in some partitions and strings in others are refused as in memory."""
    dtype = frame[customer_id].dtype
    if dtype.kind in "iu":
        return "i"
    if dtype.kind != "O" or isinstance(dtype, pd.StringDtype):
        return "U"
    kind = _delayed(_partition_id_kind, pure=True)
    parts = [kind(p, customer_id) for p in frame[[customer_id]].to_delayed()]
    merge = functools.partial(_merge_id_kinds, customer_id)
    (found,) = reduce_partitions(
        [parts], merge, _SPLIT_EVERY, progress=progress, desc="customer id type"
    )
    return str(found)


def _summarize_partition(
    part: Any,
    customer_id: str,
    date: str,
    monetary: str | None,
    end: int,
    time_unit: str,
    id_kind: str,
) -> Any:
    ids, days, amounts = _log_arrays(part, customer_id, date, monetary)
    keep = days <= end
    ids, days = ids[keep], days[keep]
    amounts = None if amounts is None else amounts[keep]
    if ids.size == 0:
        return _empty_summary(id_kind, monetary is not None)
    if (ids.dtype.kind == "i") != (id_kind == "i"):
        raise InvalidInputError(_MIXED_IDS.format(customer_id))
    s = _summarize(ids, days, amounts, end, time_unit)
    cols = {"frequency": s.frequency, "recency": s.recency, "T": s.T}
    if s.monetary_value is not None:
        cols["monetary_value"] = s.monetary_value
    return _summary_frame(s.customer_id, cols, monetary is not None)


def summarize_transactions(
    transactions: Any,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    monetary: str | None = None,
    observation_end: Any = None,
    time_unit: TimeUnit = "D",
    npartitions: int | None = None,
    progress: bool = False,
) -> Any:
    """Summarise a Dask DataFrame transaction log into one row per customer.

    The distributed counterpart of :func:`custvalue.summary.summarize_transactions`, with the
    same conventions (calendar days, same-day purchases merged into one purchase with the
    summed amount, ``observation_end`` inclusive, durations in ``time_unit``): the rows are
    shuffled by customer id (a customer's purchases may be in any partitions), then each
    partition is summarised with the in-memory, vectorised code.

    Parameters
    ----------
    transactions
        ``dask.dataframe.DataFrame`` with one row per transaction.
    customer_id, date, monetary
        Column names: customer (integers or strings), date (datetime64 or ISO strings,
        floored to the day) and optional amount (finite, >= 0, currency of the data).
    observation_end
        Last day of observation, inclusive. Default: the last transaction date, which costs
        one extra pass over the data (give it to avoid that pass).
    time_unit
        Unit of ``recency`` and ``T`` (see :func:`custvalue.summary.time_unit_days`).
    npartitions
        Number of output partitions (default: that of ``transactions``).
    progress
        Show a progress bar over the pass that finds the last transaction date (only when
        ``observation_end`` is not given) if tqdm is installed. The summary itself is lazy:
        follow its ``compute()``/``persist()`` with Dask's own tools
        (``dask.diagnostics.ProgressBar``, ``distributed.progress``).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy frame with columns ``customer_id``, ``frequency`` (int64, repeat purchase days),
        ``recency`` (``t_x``), ``T`` and, with ``monetary``, ``monetary_value`` (mean amount
        of the repeat purchase days). Each partition holds whole customers sorted by id; the
        partitions are not ordered among themselves (sort after ``compute()`` if needed).

    Raises
    ------
    InvalidTypeError
        ``transactions`` is not a Dask DataFrame, or ids of mixed types.
    InvalidInputError
        Missing columns or an invalid time unit, immediately; invalid values (missing ids,
        NaT, negative amounts ...) when the result is computed, with the message of the
        in-memory function (indices are positions within the partition).

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd
    >>> log = dd.from_pandas(pd.DataFrame({
    ...     "customer_id": [1, 2, 1, 1],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-15"]),
    ...     "amount": [10.0, 7.0, 5.0, 15.0]}), npartitions=2)
    >>> s = summarize_transactions(log, monetary="amount", observation_end="2024-01-29",
    ...                            time_unit="W").compute(scheduler="sync")
    >>> s.sort_values("customer_id")[["frequency", "recency", "T", "monetary_value"]].values
    array([[ 1.,  2.,  4., 20.],
           [ 0.,  0.,  3.,  0.]])
    """
    columns = [customer_id, date] + ([] if monetary is None else [monetary])
    _check_frame(transactions, "transactions", columns)
    time_unit_days(time_unit)
    unit = time_unit_label(time_unit)
    frame = transactions[columns]
    check_progress(progress)
    if observation_end is None:
        max_day = _delayed(_max_day, pure=True)
        parts = [max_day(p, date) for p in frame.to_delayed()]
        (end,) = reduce_partitions(
            [parts], _latest, _SPLIT_EVERY, progress=progress, desc="last transaction date"
        )
        if end == np.iinfo(np.int64).min:
            raise InvalidInputError("transactions must not be empty: the log has no rows")
    else:
        end = coerce_date_scalar(observation_end, "observation_end")
    id_kind = _id_kind(frame, customer_id, progress)
    n_out = frame.npartitions if npartitions is None else int(npartitions)
    shuffled = frame.shuffle(on=customer_id, npartitions=n_out)
    return shuffled.map_partitions(
        _summarize_partition,
        customer_id, date, monetary, end, unit, id_kind,
        meta=_empty_summary(id_kind, monetary is not None),
        enforce_metadata=False,
    )  # fmt: skip


# --------------------------------------------------------------------------- fitting
Table = tuple[tuple[FloatArray, ...], FloatArray]


def _collapse_partition(part: Any, columns: tuple[str, ...], repeat_only: bool) -> Table:
    arrays = [np.asarray(part[c].to_numpy(), dtype=np.float64) for c in columns]
    if repeat_only:
        keep = arrays[0] > 0
        arrays = [a[keep] for a in arrays]
    unique, weights, _ = collapse_rows(*arrays)
    return unique, weights


def _merge_tables(*tables: Table) -> Table:
    columns = tuple(np.concatenate([t[0][k] for t in tables]) for k in range(len(tables[0][0])))
    weights = np.concatenate([t[1] for t in tables])
    unique, merged, _ = collapse_rows(*columns, weights=weights)
    return unique, merged


def _history_parts(summary: Any, columns: tuple[str, ...]) -> list[Any]:
    _check_frame(summary, "summary", columns)
    collapse = _delayed(_collapse_partition, pure=True)
    return [collapse(p, columns, False) for p in summary.to_delayed()]


def _tables(
    summary: Any,
    column_sets: Sequence[tuple[str, ...]],
    split_every: int,
    progress: bool,
) -> list[Table]:
    """The distinct-row table of each column set, from one pass over ``summary``."""
    if split_every < 2:
        raise InvalidInputError(f"split_every must be >= 2; got {split_every!r}")
    check_progress(progress)
    parts = [_history_parts(summary, columns) for columns in column_sets]
    return reduce_partitions(
        parts, _merge_tables, split_every, progress=progress, desc="distinct histories"
    )


def unique_histories(
    summary: Any,
    columns: Sequence[str] = _HISTORY,
    *,
    split_every: int = _SPLIT_EVERY,
    progress: bool = False,
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """The distinct rows of ``summary[columns]`` and how many customers share each.

    Each partition collapses its rows with the in-memory collapse; the partial tables are
    merged ``split_every`` at a time in a tree, so the driver only receives the final table
    (its size is the number of distinct histories, not of customers).

    Parameters
    ----------
    summary
        A Dask DataFrame with the given columns (e.g. from :func:`summarize_transactions`).
    columns
        Numeric columns to collapse (default ``("frequency", "recency", "T")``).
    split_every
        Fan-in of the merge tree (>= 2).
    progress
        Show a progress bar if tqdm is installed: one step per finished task on the local
        schedulers, per finished partition on a ``distributed.Client``.

    Returns
    -------
    (unique_columns, weights)
        One float64 array per column (distinct rows, sorted lexicographically) and the
        number of customers of each row (float64), as ``collapse_rows`` returns them.
    """
    (table,) = _tables(summary, [tuple(columns)], split_every, progress)
    return table


def _fit_bgnbd(table: Table, **kwargs: Any) -> BetaGeo:
    (x, t_x, T), w = table
    return BetaGeo.fit(x, t_x, T, weights=w, **kwargs)


def _fit_gamma_gamma(table: Table, **kwargs: Any) -> GammaGamma:
    (x, m), w = table
    return GammaGamma.fit(x, m, weights=w, **kwargs)


def fit_bgnbd(
    summary: Any,
    *,
    strict: bool = False,
    split_every: int = _SPLIT_EVERY,
    progress: bool = False,
) -> BetaGeo:
    """Fit BG/NBD to a Dask summary frame; same result as :meth:`BetaGeo.fit` in memory.

    Parameters
    ----------
    summary
        Dask DataFrame with ``frequency``, ``recency`` and ``T`` (see
        :func:`summarize_transactions`), in the time unit of the model.
    strict
        As in :meth:`BetaGeo.fit`.
    split_every
        Fan-in of the merge tree of :func:`unique_histories`.
    progress
        Show progress bars (the pass over the partitions, then the optimizer) if tqdm is
        installed.

    Returns
    -------
    BetaGeo
        Fitted on the weighted distinct histories (``n_customers`` counts all customers).
    """
    (table,) = _tables(summary, [_HISTORY], split_every, progress)
    return _fit_bgnbd(table, strict=strict, progress=progress)


def fit_gamma_gamma(
    summary: Any,
    *,
    strict: bool = False,
    split_every: int = _SPLIT_EVERY,
    progress: bool = False,
) -> GammaGamma:
    """Fit Gamma-Gamma to a Dask summary frame; same result as :meth:`GammaGamma.fit`.

    Uses the columns ``frequency`` and ``monetary_value``; one-time buyers are counted in
    ``n_excluded`` and left out of the likelihood, as in memory. Spends are continuous, so
    the distinct ``(frequency, monetary_value)`` table is about as long as the number of
    repeat buyers (8 bytes per value: ~50 MB for 3 million repeat buyers). ``progress`` as
    in :func:`fit_bgnbd`.
    """
    (table,) = _tables(summary, [_SPEND], split_every, progress)
    return _fit_gamma_gamma(table, strict=strict, progress=progress)


def fit_models(
    summary: Any,
    *,
    strict: bool = False,
    split_every: int = _SPLIT_EVERY,
    progress: bool = False,
) -> tuple[BetaGeo, GammaGamma]:
    """Fit BG/NBD and Gamma-Gamma with one pass over the summary (both tables computed
    together); equal to :func:`fit_bgnbd` and :func:`fit_gamma_gamma`. ``progress`` shows
    the pass over the partitions and each optimizer if tqdm is installed."""
    h_table, s_table = _tables(summary, [_HISTORY, _SPEND], split_every, progress)
    return (
        _fit_bgnbd(h_table, strict=strict, progress=progress),
        _fit_gamma_gamma(s_table, strict=strict, progress=progress),
    )


# --------------------------------------------------------------------------- scoring
#: The scores of the distinct histories, as sent to the workers: the distinct values of
#: (x, t_x, T) column by column, the sorted row codes of the histories, and their scores
#: (P(alive), expected purchases and, for CLV, discounted expected transactions).
HistoryTable = tuple[tuple[FloatArray, ...], NDArray[np.int64], tuple[FloatArray, ...]]


def _row_codes(
    columns: Sequence[FloatArray], values: Sequence[FloatArray]
) -> NDArray[np.int64] | None:
    """Mixed-radix code of each row from its columns' ranks among ``values`` (exact), or
    ``None`` if a value is not among them."""
    code = np.zeros(columns[0].size, dtype=np.int64)
    for col, vals in zip(columns, values, strict=True):
        rank = np.minimum(np.searchsorted(vals, col), vals.size - 1)
        if not np.array_equal(vals[rank], col):
            return None
        code = code * vals.size + rank
    return code


def _history_table(
    summary: Any, bg: PurchaseModel, horizon: float, delta: float, with_det: bool,
    n_nodes: int | None, progress: bool,
) -> HistoryTable | None:  # fmt: skip
    """Score every distinct history of ``summary`` once, on the driver."""
    (ux, ut, uT), _ = unique_histories(summary, progress=progress)
    values = tuple(np.unique(c) for c in (ux, ut, uT))
    if math.prod(v.size for v in values) >= 2**62:
        return None  # codes would overflow: score partition by partition instead
    codes = _row_codes((ux, ut, uT), values)
    if codes is None:  # pragma: no cover - the values come from the same columns
        return None
    scores = [bg.probability_alive(ux, ut, uT), bg.expected_purchases(horizon, ux, ut, uT)]
    if with_det:
        scores.append(
            discounted_expected_transactions(
                bg, ux, ut, uT, horizon=horizon, discount_rate=delta, n_nodes=n_nodes
            )
        )
    return values, codes, tuple(scores)


def _lookup(
    x: FloatArray, t_x: FloatArray, T: FloatArray, table: HistoryTable | None
) -> NDArray[np.intp] | None:
    if table is None:
        return None
    values, codes, _ = table
    code = _row_codes((x, t_x, T), values)
    if code is None:
        return None
    index = np.minimum(np.searchsorted(codes, code), codes.size - 1)
    return index if np.array_equal(codes[index], code) else None


def _score_partition(
    part: Any, kind: str, bg_json: str, gg_json: str | None, horizon: float, discount_rate: float,
    n_nodes: int | None, table: HistoryTable | None,
) -> Any:  # fmt: skip
    bg = purchase_model_class(kind).from_json(bg_json)
    x, t_x, T = (np.asarray(part[c].to_numpy(), dtype=np.float64) for c in _HISTORY)
    out: dict[str, Any] = {"customer_id": part["customer_id"].to_numpy()}
    index = _lookup(x, t_x, T, table) if x.size else None
    det = None
    if index is not None and table is not None:  # scores of the distinct histories
        scores = table[2]
        out["probability_alive"] = scores[0][index]
        out["expected_purchases"] = scores[1][index]
        det = scores[2][index] if len(scores) > 2 else None
    elif x.size:  # fallback: distinct histories of this partition only
        (ux, ut, uT), inverse = group_rows(x, t_x, T)
        out["probability_alive"] = bg.probability_alive(ux, ut, uT)[inverse]
        out["expected_purchases"] = bg.expected_purchases(horizon, ux, ut, uT)[inverse]
    else:
        out["probability_alive"] = out["expected_purchases"] = np.empty(0)
    if gg_json is not None:
        gg = GammaGamma.from_json(gg_json)
        m = np.asarray(part["monetary_value"].to_numpy(), dtype=np.float64)
        spend = gg.expected_spend(x, m) if x.size else np.empty(0)
        out["expected_spend"] = spend
        if det is not None:
            out["clv"] = spend * det
        elif x.size:
            out["clv"] = customer_lifetime_value(
                bg, gg, x, t_x, T, m, horizon=horizon, discount_rate=discount_rate,
                n_nodes=n_nodes,
            )  # fmt: skip
        else:
            out["clv"] = np.empty(0)
    return pd.DataFrame(out, index=part.index)


def score_customers(
    summary: Any,
    transaction_model: PurchaseModel,
    spend_model: GammaGamma | None = None,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    n_nodes: int | None = None,
    progress: bool = False,
) -> Any:
    """Score every customer of a Dask summary frame: P(alive), expected purchases and CLV.

    Predictions depend on a customer only through the history ``(frequency, recency, T)``
    (and the spend, through an elementwise factor). So the distinct histories are gathered
    first (:func:`unique_histories`, one pass over ``summary``), scored once on the driver,
    and the small table of scores is sent to the workers, which look their customers up in
    it with ``map_partitions``. The values are therefore exactly those of the in-memory
    functions on the whole summary (:meth:`BetaGeo.probability_alive`,
    :meth:`BetaGeo.expected_purchases`, :meth:`GammaGamma.expected_spend` and
    :func:`~custvalue.clv.customer_lifetime_value`, which uses the same distinct histories).

    Parameters
    ----------
    summary
        Dask DataFrame with ``customer_id``, ``frequency``, ``recency``, ``T`` (and
        ``monetary_value`` with a spend model), in the transaction model's time unit.
        Persist it first: it is read twice (distinct histories, then scores).
    transaction_model
        A fitted purchase model (:class:`~custvalue.clv.BetaGeo`, or any model of
        :class:`~custvalue.clv.PurchaseModel` that custvalue ships), sent to the workers as
        JSON.
    spend_model
        Optional :class:`~custvalue.clv.GammaGamma`; adds ``expected_spend`` and ``clv``.
    horizon
        Future window, in the transaction model's time unit, for ``expected_purchases`` and
        ``clv`` (> 0, finite).
    discount_rate
        Continuously compounded discount rate per time unit for ``clv`` (see
        :func:`custvalue.clv.customer_lifetime_value`).
    n_nodes
        Quadrature order of the CLV (default automatic).
    progress
        Show a progress bar over the eager pass that gathers the distinct histories (see
        :func:`unique_histories`) if tqdm is installed. The scores are lazy: follow their
        ``compute()`` with Dask's own tools (``dask.diagnostics.ProgressBar``,
        ``distributed.progress``).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy frame with columns ``customer_id``, ``probability_alive``,
        ``expected_purchases`` and, with a spend model, ``expected_spend`` (currency) and
        ``clv`` (currency, discounted), with the index of ``summary``.

    Raises
    ------
    InvalidTypeError
        Models of other classes (they travel as JSON documents).
    InvalidInputError
        Missing columns or invalid ``horizon``/``discount_rate``.
    """
    if type(transaction_model).__name__ not in PURCHASE_MODELS:
        raise InvalidTypeError(
            "transaction_model must be a custvalue purchase model ("
            f"{', '.join(PURCHASE_MODELS)}); got {type(transaction_model).__name__}"
        )
    if spend_model is not None and not isinstance(spend_model, GammaGamma):
        raise InvalidTypeError(
            f"spend_model must be a GammaGamma or None; got {type(spend_model).__name__}"
        )
    needed = ["customer_id", *_HISTORY] + ([] if spend_model is None else ["monetary_value"])
    _check_frame(summary, "summary", needed)
    h = float(horizon)
    if not (math.isfinite(h) and h > 0):
        raise InvalidInputError(f"horizon must be positive and finite; got {horizon!r}")
    delta = float(discount_rate)
    if not (math.isfinite(delta) and delta >= 0):
        raise InvalidInputError(f"discount_rate must be finite and >= 0; got {discount_rate!r}")
    check_progress(progress)
    table = _history_table(
        summary, transaction_model, h, delta, spend_model is not None, n_nodes, progress
    )
    meta_cols: dict[str, Any] = {
        "customer_id": summary["customer_id"]._meta.to_numpy(),
        "probability_alive": np.empty(0),
        "expected_purchases": np.empty(0),
    }
    if spend_model is not None:
        meta_cols["expected_spend"] = np.empty(0)
        meta_cols["clv"] = np.empty(0)
    meta = pd.DataFrame(meta_cols, index=summary._meta.index)
    fn: Callable[..., Any] = _score_partition
    return summary.map_partitions(
        fn,
        type(transaction_model).__name__,
        transaction_model.to_json(),
        None if spend_model is None else spend_model.to_json(),
        h, delta, n_nodes,
        _delayed(table, pure=True),  # one graph node shared by all partitions
        meta=meta,
    )  # fmt: skip
