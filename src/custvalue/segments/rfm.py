"""RFM scoring: recency, frequency and monetary scores 1..k from quantiles of the customers.

Recency here is the **time since the last purchase** (analysis date - last purchase), not the
BG/NBD ``t_x`` (time of the last purchase since the first); the argument is named
``time_since_last_purchase`` so the two cannot be confused. A *higher* score is always better:
more recent, more frequent, more spend.

Tie rules (never row order; both depend only on the ranks of the values, so the scores are
invariant to the order of the customers and to any strictly increasing transform):

``"lower"`` (default)
    Quantile thresholds taken at data values: ``edge_j`` is the ``ceil(j n / k)``-th smallest
    value (j = 1..k-1) and a customer's score is ``1 + #{j : edge_j < value}``. Customers tied
    at a threshold all get the lower score. O(n).
``"average"``
    Average ranks (ties share the mean of their ranks ``r``): score ``1 + floor(k (r - 1/2) / n)``.
    Tied customers get one score, placed by the middle of their block. O(n log n) (a sort).

With few distinct values (e.g. most customers bought once) quantile bins collapse: some scores
are given to nobody. This is handled (scores stay in 1..k and ties stay together) and reported
in :attr:`RFMScores.collapsed`.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_repr, freeze_columns
from custvalue._frames import accepts_data
from custvalue._validation import fail_at, readonly_array
from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.segments._inputs import as_customer_array, check_same_length
from custvalue.segments._table import SegmentTable, _str_tuple, segment_table
from custvalue.summary import CustomerSummary

__all__ = ["RFMScores", "quantile_scores", "rfm_scores"]

FloatArray = NDArray[np.float64]
ScoreArray = NDArray[np.int8]

Ties = Literal["lower", "average"]
_TIES = ("lower", "average")


def quantile_scores(
    values: FloatArray, k: int, ties: Ties = "lower"
) -> tuple[ScoreArray, FloatArray]:
    """Scores 1..k of ``values`` (higher value, higher score) and the k-1 interior edges.

    Kernel (inputs trusted, 1-D, finite, non-empty). The edges reproduce the scores exactly:
    ``score = 1 + #{j : edges[j] < value}`` (``-inf`` marks a score nobody below it reached).
    See the module docstring for the two tie rules.
    """
    n = values.shape[0]
    if ties == "lower":
        positions = np.ceil(np.arange(1, k) * n / k).astype(np.int64) - 1
        edges = np.partition(values, np.unique(positions))[positions].astype(np.float64)
        scores = 1 + np.searchsorted(edges, values, side="left")
        return scores.astype(np.int8), edges
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    uniq = ordered[starts]
    counts = np.diff(np.append(starts, n))
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0
    uniq_scores = np.minimum(1 + np.floor(k * (mean_rank - 0.5) / n), k).astype(np.int8)
    # edges[j-1] = largest value whose score is <= j (or -inf when there is none); they
    # reproduce the scores, so no inverse index (a second sort) is needed
    last = np.searchsorted(uniq_scores, np.arange(1, k), side="right") - 1
    edges = np.where(last >= 0, uniq[np.maximum(last, 0)], -np.inf)
    scores = 1 + np.searchsorted(edges, values, side="left")
    return scores.astype(np.int8), edges


def _nested_scores(
    values: FloatArray, groups: NDArray[np.int64], n_groups: int, k: int, ties: Ties
) -> tuple[ScoreArray, FloatArray]:
    """Scores computed separately within each group; edges shape (n_groups, k-1)."""
    scores = np.empty(values.shape[0], dtype=np.int8)
    edges = np.full((n_groups, k - 1), np.nan)
    order = np.argsort(groups.astype(np.int16), kind="stable")  # radix sort: O(n)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n_groups))])
    for g in range(n_groups):
        idx = order[bounds[g] : bounds[g + 1]]
        if idx.size:
            scores[idx], edges[g] = quantile_scores(values[idx], k, ties)
    return scores, edges


def _collapse_notes(
    name: str, scores: ScoreArray, groups: NDArray[np.int64] | None, n_groups: int, k: int
) -> list[str]:
    if groups is None:
        used = np.bincount(scores, minlength=k + 1)[1:] > 0
        if used.all():
            return []
        empty = ", ".join(str(s) for s in np.flatnonzero(~used) + 1)
        return [
            f"{name}: no customer has score(s) {empty}: too few distinct values for {k} "
            "quantile bins (tied customers share a score)"
        ]
    pair = np.bincount(groups * (k + 1) + scores, minlength=n_groups * (k + 1))
    used = pair.reshape(n_groups, k + 1)[:, 1:] > 0
    occupied = used.any(axis=1)
    short = int((occupied & ~used.all(axis=1)).sum())
    if short == 0:
        return []
    return [
        f"{name} (nested): {short} of {int(occupied.sum())} non-empty parent cells use fewer "
        f"than {k} scores: too few distinct values within those cells"
    ]


def _score_array(value: Any, name: str) -> ScoreArray:
    """Converter of a score field: read-only int8, refusing anything that is not a whole
    number in 1..9 (a cast would turn 300 into 44 and 2.9 into 2)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise InvalidInputError(f"{name} must hold integers; got dtype {arr.dtype}")
    fail_at(name, "must be in 1..9", arr, (arr < 1) | (arr > 9))
    return readonly_array(arr.astype(np.int8))


def _recency_score(value: Any) -> ScoreArray:
    return _score_array(value, "recency_score")


def _frequency_score(value: Any) -> ScoreArray:
    return _score_array(value, "frequency_score")


def _monetary_score(value: Any) -> ScoreArray:
    return _score_array(value, "monetary_score")


def _check_scores(obj: RFMScores) -> None:
    """What :func:`rfm_scores` guarantees, checked again on direct construction and loading."""
    k = obj.k
    if type(k) is not int or not 2 <= k <= 9:
        raise InvalidInputError(f"k must be an integer from 2 to 9; got {k!r}")
    _choice(obj.monetary, "monetary", ("total", "mean"))
    _choice(obj.binning, "binning", ("independent", "nested"))
    _choice(obj.ties, "ties", _TIES)
    scores: dict[str, NDArray[Any]] = {
        "recency_score": obj.recency_score,
        "frequency_score": obj.frequency_score,
        "monetary_score": obj.monetary_score,
    }
    n = obj.recency_score.shape[0] if obj.recency_score.ndim == 1 else -1
    arrays: dict[str, NDArray[Any]] = {**scores, "total_spend": obj.total_spend}
    for name, arr in arrays.items():
        if arr.shape != (n,) or n == 0:
            raise InvalidInputError(
                f"{name} must be 1-D with one entry per customer, as recency_score "
                f"({obj.recency_score.shape}); got shape {arr.shape}"
            )
    for name, arr in scores.items():
        fail_at(name, f"must be in 1..k = 1..{k}", arr, arr > k)
    fail_at("total_spend", "must be finite", obj.total_spend, ~np.isfinite(obj.total_spend))
    nested = obj.binning == "nested"
    shapes = {
        "recency_edges": (k - 1,),
        "frequency_edges": (k, k - 1) if nested else (k - 1,),
        "monetary_edges": (k, k, k - 1) if nested else (k - 1,),
    }
    for name, shape in shapes.items():
        if getattr(obj, name).shape != shape:
            raise InvalidInputError(
                f"{name} must have shape {shape} for k = {k}, binning {obj.binning!r}; got "
                f"{getattr(obj, name).shape}"
            )
    cell = 100 * obj.recency_score.astype(np.int64) + 10 * obj.frequency_score + obj.monetary_score
    counts = np.bincount(cell, minlength=1000)
    present = np.flatnonzero(counts)
    if obj.table.segment != tuple(str(c) for c in present) or not np.array_equal(
        obj.table.count, counts[present]
    ):
        raise InvalidInputError("table does not match the scores (cells or counts differ)")


@attrs.frozen(eq=False)
class RFMScores:
    """RFM scores of each customer, the edges used, and the table per RFM cell.

    Attributes
    ----------
    recency_score, frequency_score, monetary_score : numpy.ndarray of int8, shape (n,)
        Scores 1..k, higher is better (recency: more recent).
    total_spend : numpy.ndarray, shape (n,)
        Each customer's total spend (the value column of :attr:`table`).
    k : int
        Number of score levels.
    monetary : {"total", "mean"}
        Whether the monetary score ranks total spend or mean spend per purchase.
    binning : {"independent", "nested"}
        ``"nested"``: frequency ranked within each recency score, monetary within each RF cell.
    ties : {"lower", "average"}
        The tie rule (see the module docstring).
    recency_edges : numpy.ndarray
        Time-since-last-purchase thresholds, shape (k-1,), decreasing: recency score
        ``= 1 + #{j : time_since_last_purchase < recency_edges[j]}``.
    frequency_edges, monetary_edges : numpy.ndarray
        Thresholds, score ``= 1 + #{j : value > edges[j]}``. Shape (k-1,) when independent;
        when nested (k, k-1) for frequency (one row per recency score) and (k, k, k-1) for
        monetary (per RF cell); NaN rows belong to empty parent cells.
    collapsed : tuple of str
        One note per score dimension whose quantile bins collapsed; empty if none did.
    table : SegmentTable
        One row per non-empty RFM cell (named by :attr:`cell` code), value = total spend.
    """

    recency_score: ScoreArray = attrs.field(converter=_recency_score)
    frequency_score: ScoreArray = attrs.field(converter=_frequency_score)
    monetary_score: ScoreArray = attrs.field(converter=_monetary_score)
    total_spend: FloatArray = attrs.field(converter=readonly_array)
    k: int
    monetary: str
    binning: str
    ties: str
    recency_edges: FloatArray = attrs.field(converter=readonly_array)
    frequency_edges: FloatArray = attrs.field(converter=readonly_array)
    monetary_edges: FloatArray = attrs.field(converter=readonly_array)
    collapsed: tuple[str, ...] = attrs.field(converter=_str_tuple)
    table: SegmentTable

    def __attrs_post_init__(self) -> None:
        _check_scores(self)

    @property
    def cell(self) -> NDArray[np.int16]:
        """Combined cell code ``100 R + 10 F + M`` (e.g. 545), shape (n,)."""
        r = self.recency_score.astype(np.int16)
        f = self.frequency_score.astype(np.int16)
        out: NDArray[np.int16] = 100 * r + 10 * f + self.monetary_score.astype(np.int16)
        return out

    @property
    def rf_cell(self) -> NDArray[np.int16]:
        """Recency-frequency cell code ``10 R + F`` (e.g. 54), shape (n,)."""
        out: NDArray[np.int16] = 10 * self.recency_score.astype(np.int16) + self.frequency_score
        return out

    def to_columns(self) -> Columns:
        """One row per customer: the three scores and ``total_spend``. Per cell: ``table``."""
        return freeze_columns(
            {
                "recency_score": self.recency_score,
                "frequency_score": self.frequency_score,
                "monetary_score": self.monetary_score,
                "total_spend": self.total_spend,
            }
        )

    def _repr_html_(self) -> str:
        return self.table._repr_html_()

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        arrays = ("recency_score", "frequency_score", "monetary_score", "total_spend")
        edges = ("recency_edges", "frequency_edges", "monetary_edges")
        payload: dict[str, Any] = {
            name: _persist.encode_array(getattr(self, name)) for name in arrays + edges
        }
        payload.update(
            k=self.k,
            monetary=self.monetary,
            binning=self.binning,
            ties=self.ties,
            collapsed=list(self.collapsed),
            table=self.table.to_payload(),
        )
        return _persist.dumps("RFMScores", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> RFMScores:
        """Load scores written by :meth:`to_json`."""
        p = _persist.loads(text, "RFMScores")
        w = "RFMScores"
        kwargs: dict[str, Any] = {}
        for name in ("recency_score", "frequency_score", "monetary_score"):
            kwargs[name] = _persist.decode_array(_persist.require(p, name, dict, w), name)
        for name in ("total_spend", "recency_edges", "frequency_edges", "monetary_edges"):
            arr = _persist.decode_array(_persist.require(p, name, dict, w), name)
            if arr.dtype != np.float64:
                raise PersistenceError(f"{w}: field {name!r} must hold float64 values")
            kwargs[name] = arr
        collapsed = _persist.require(p, "collapsed", list, w)
        if not all(isinstance(c, str) for c in collapsed):
            raise PersistenceError(f"{w}: collapsed must hold strings")
        with _persist.invalid_content(w):
            return cls(
                k=_persist.require(p, "k", int, w),
                monetary=_persist.require(p, "monetary", str, w),
                binning=_persist.require(p, "binning", str, w),
                ties=_persist.require(p, "ties", str, w),
                collapsed=tuple(collapsed),
                table=SegmentTable.from_payload(_persist.require(p, "table", dict, w)),
                **kwargs,
            )

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), k=self.k, binning=self.binning)


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {allowed}; got {value!r}")


@accepts_data("time_since_last_purchase", "purchase_count", "total_spend")
def rfm_scores(
    time_since_last_purchase: ArrayLike | CustomerSummary,
    purchase_count: ArrayLike | None = None,
    total_spend: ArrayLike | None = None,
    *,
    k: int = 5,
    monetary: Literal["total", "mean"] = "total",
    binning: Literal["independent", "nested"] = "independent",
    ties: Ties = "lower",
    data: Any = None,
) -> RFMScores:
    """Score every customer 1..k on recency, frequency and monetary value.

    Parameters
    ----------
    time_since_last_purchase : array_like, shape (n,), or CustomerSummary
        Analysis date minus the date of the customer's last purchase, >= 0, in any time unit
        (days, weeks; only the ranks matter). NOT the BG/NBD ``t_x``. Or a
        :class:`~custvalue.summary.CustomerSummary` (from a log with amounts), scored as of its
        ``observation_end``: time since last purchase ``T - recency``, purchase count
        ``frequency + 1`` (purchase days) and its ``total_spend`` (all purchase days), in
        customer-id order; then leave ``purchase_count`` and ``total_spend`` out.
    purchase_count : array_like, shape (n,)
        Number of purchases (whole numbers >= 1: a customer scored by RFM has bought).
    total_spend : array_like, shape (n,)
        Total spend per customer, in money units (may be negative after returns).
    k : int, default 5
        Number of score levels, 2..9 (the cell code uses one digit per score).
    monetary : {"total", "mean"}, default "total"
        Rank total spend, or mean spend per purchase (``total_spend / purchase_count``).
    binning : {"independent", "nested"}, default "independent"
        ``"independent"``: R, F and M each ranked over all customers. ``"nested"``: F ranked
        within each recency score, M within each (R, F) cell.
    ties : {"lower", "average"}, default "lower"
        Tie rule; see the module docstring. Never row order.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then
        ``time_since_last_purchase``, ``purchase_count``, ``total_spend`` may be column
        names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    RFMScores
        Scores, cell codes (:attr:`RFMScores.cell`), the edges used, collapse notes and the
        per-cell table.

    Raises
    ------
    InvalidInputError
        NaN or infinite values, negative recency, purchase counts < 1 or not whole, arrays of
        different lengths, empty input, or an invalid setting.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus. (RFM quintile scoring.)
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves
    for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.

    Examples
    --------
    >>> from custvalue.segments import rfm_scores
    >>> s = rfm_scores([1, 10, 30, 60], [5, 3, 2, 1], [500.0, 90.0, 40.0, 10.0], k=2)
    >>> s.cell.tolist()
    [222, 222, 111, 111]
    """
    if isinstance(time_since_last_purchase, CustomerSummary):
        summary = time_since_last_purchase
        if purchase_count is not None or total_spend is not None:
            raise InvalidInputError(
                "purchase_count and total_spend come from the CustomerSummary; leave them out"
            )
        if summary.total_spend is None:
            raise InvalidInputError(
                "the CustomerSummary has no total_spend: summarise a log with amounts "
                "(summarize_transactions(..., monetary=...)) to score it"
            )
        time_since_last_purchase = summary.T - summary.recency
        purchase_count = summary.frequency + 1
        total_spend = summary.total_spend
    if purchase_count is None or total_spend is None:
        raise InvalidInputError(
            "purchase_count and total_spend are required (or pass a CustomerSummary first)"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= 9:
        raise InvalidInputError(f"k must be an integer from 2 to 9; got {k!r}")
    k = int(k)
    _choice(monetary, "monetary", ("total", "mean"))
    _choice(binning, "binning", ("independent", "nested"))
    _choice(ties, "ties", _TIES)
    since = as_customer_array(time_since_last_purchase, "time_since_last_purchase", lower=0)
    count = as_customer_array(purchase_count, "purchase_count", lower=1, integer=True)
    spend = as_customer_array(total_spend, "total_spend")
    n = check_same_length(
        {"time_since_last_purchase": since, "purchase_count": count, "total_spend": spend}
    )
    if n == 0:
        raise InvalidInputError("time_since_last_purchase must not be empty (no customers)")
    money = spend if monetary == "total" else spend / count
    fail_at("total_spend / purchase_count", "must be finite", money, ~np.isfinite(money))

    r, r_edges = quantile_scores(-since, k, ties)
    if binning == "independent":
        f, f_edges = quantile_scores(count, k, ties)
        m, m_edges = quantile_scores(money, k, ties)
        notes = [
            *_collapse_notes("recency", r, None, 1, k),
            *_collapse_notes("frequency", f, None, 1, k),
            *_collapse_notes("monetary", m, None, 1, k),
        ]
    else:
        r_group = r.astype(np.int64) - 1
        f, f_edges = _nested_scores(count, r_group, k, k, ties)
        rf_group = r_group * k + f.astype(np.int64) - 1
        m, m_edges_flat = _nested_scores(money, rf_group, k * k, k, ties)
        m_edges = m_edges_flat.reshape(k, k, k - 1)
        notes = [
            *_collapse_notes("recency", r, None, 1, k),
            *_collapse_notes("frequency", f, r_group, k, k),
            *_collapse_notes("monetary", m, rf_group, k * k, k),
        ]
    cell = 100 * r.astype(np.int64) + 10 * f.astype(np.int64) + m.astype(np.int64)
    # compact codes of the cells present, without sorting n values
    present = np.flatnonzero(np.bincount(cell, minlength=1000))
    compact = np.zeros(1000, dtype=np.int64)
    compact[present] = np.arange(present.size)
    table = segment_table(
        compact[cell],
        [str(c) for c in present],
        spend,
        value_name="spend",
    )
    return RFMScores(
        recency_score=r,
        frequency_score=f,
        monetary_score=m,
        total_spend=spend,
        k=k,
        monetary=monetary,
        binning=binning,
        ties=ties,
        recency_edges=-r_edges,
        frequency_edges=f_edges,
        monetary_edges=m_edges,
        collapsed=tuple(notes),
        table=table,
    )
