"""Stage histories: the stage of every customer at a series of cut-off dates.

At each cut-off the transaction log is truncated (:func:`custvalue.summarize_transactions`
with ``observation_end=cutoff``), P(alive) is computed, and a :class:`StagePolicy` assigns
stages. Because a memoryless policy can propose a move that is not allowed (a retained
customer who is lost at once, a terminated customer who buys again), the recorded stage
follows :data:`~custvalue.lifecycle.stages.ROUTING` and the move is flagged as routed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._html import TableView, html_table, text_table
from custvalue._json import ARRAY_EQ, JsonMixin, to_bool, to_int64
from custvalue._progress import progress_bar
from custvalue._transactions import coerce_date_scalar
from custvalue._validation import as_array, fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle import _markov
from custvalue.lifecycle._common import STAGE_NAMES
from custvalue.lifecycle.stages import ROUTING, Stage, StagePolicy, allowed_matrix
from custvalue.summary import CustomerSummary, TimeUnit, summarize_transactions

__all__ = ["PAliveModel", "StageHistory", "stage_history"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@runtime_checkable
class PAliveModel(Protocol):
    """Anything with ``probability_alive(frequency, recency, T)``, e.g. a fitted ``BetaGeo``."""

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Any:
        """P(alive) for each history."""


def _to_dates(value: Any) -> NDArray[np.datetime64]:
    return np.asarray(value, dtype="datetime64[D]")


def _to_ids(value: Any) -> NDArray[Any]:
    return np.asarray(value)


@attrs.frozen
class StageHistory(JsonMixin):
    """Stage of every customer at every cut-off.

    Attributes
    ----------
    customer_id
        Customer ids, sorted as :func:`custvalue.summarize_transactions` returns them, (n,).
    cutoffs
        Cut-off days (inclusive), ``datetime64[D]``, shape (k,), increasing.
    stages
        int64 (n, k): :class:`Stage` code, or -1 where the customer had not yet bought.
    reasons
        int64 (n, k): :class:`~custvalue.lifecycle.stages.Reason` code the policy gave (-1
        where not acquired).
    routed
        bool (n, k): the policy's stage was an illegal move from the previous cut-off and was
        replaced according to ``ROUTING``.
    """

    customer_id: NDArray[Any] = attrs.field(converter=_to_ids, eq=ARRAY_EQ)
    cutoffs: NDArray[np.datetime64] = attrs.field(converter=_to_dates, eq=ARRAY_EQ)
    stages: IntArray = attrs.field(converter=to_int64, eq=ARRAY_EQ)
    reasons: IntArray = attrs.field(converter=to_int64, eq=ARRAY_EQ)
    routed: NDArray[np.bool_] = attrs.field(converter=to_bool, eq=ARRAY_EQ)

    def __attrs_post_init__(self) -> None:
        shape = (self.customer_id.size, self.cutoffs.size)
        for name in ("stages", "reasons", "routed"):
            if getattr(self, name).shape != shape:
                raise InvalidInputError(
                    f"{name} must have shape (customers, cutoffs) = {shape}; got "
                    f"{getattr(self, name).shape}"
                )
        bad = (self.stages < -1) | (self.stages > 3)
        fail_at("stages", "must be Stage codes 0..3 or -1", self.stages, bad)

    def transition_counts(self) -> IntArray:
        """Moves between consecutive cut-offs, shape (4, 4) (``[i, j]``: from ``i`` to ``j``).

        Customers not yet acquired at a cut-off contribute no move into it; each customer's
        last cut-off is censored (no move out of it is counted).
        """
        return _markov.count_pairs(self.stages, len(Stage))

    def stage_counts(self) -> IntArray:
        """Customers per stage at each cut-off, shape (k, 4) (not-yet-acquired excluded)."""
        out = np.zeros((self.cutoffs.size, len(Stage)), dtype=np.int64)
        for s in Stage:
            out[:, s] = (self.stages == int(s)).sum(axis=0)
        return out

    def _view(self) -> TableView:
        counts = self.stage_counts()
        rows = [
            (str(c), *counts[k], int(self.routed[:, k].sum())) for k, c in enumerate(self.cutoffs)
        ]
        return TableView(["cut-off", *STAGE_NAMES, "routed"], rows, "customers per stage")

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())


PAlive = PAliveModel | Callable[[CustomerSummary], ArrayLike]


def _p_alive_at(p_alive: PAlive, summary: CustomerSummary) -> FloatArray:
    if isinstance(p_alive, PAliveModel):
        out = np.ones(summary.n_customers)
        ok = summary.T > 0  # first purchase on the cut-off day: just bought, P(alive) = 1
        out[ok] = p_alive.probability_alive(
            summary.frequency[ok], summary.recency[ok], summary.T[ok]
        )
        return out
    if callable(p_alive):
        return np.asarray(p_alive(summary), dtype=np.float64)
    raise InvalidTypeError(
        "p_alive must have a probability_alive(frequency, recency, T) method (a fitted model) "
        f"or be a callable taking a CustomerSummary; got {type(p_alive).__name__}"
    )


def _flag_at(value: ArrayLike | None, name: str, k: int, shape: tuple[int, int]) -> Any:
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.shape == (shape[0],):
        return arr
    if arr.shape == shape:
        return arr[:, k]
    raise InvalidInputError(
        f"{name} must have shape (n_customers,) = ({shape[0]},) or (n_customers, n_cutoffs) = "
        f"{shape}; got {arr.shape}"
    )


def stage_history(
    customer_id: ArrayLike,
    date: ArrayLike,
    cutoffs: ArrayLike,
    *,
    p_alive: PAlive,
    policy: StagePolicy | None = None,
    time_unit: TimeUnit = "W",
    value_class_flag: ArrayLike | None = None,
    service_failure: ArrayLike | None = None,
    unresolved_complaint: ArrayLike | None = None,
    progress: bool = False,
) -> StageHistory:
    """Stages of every customer at each cut-off date.

    Parameters
    ----------
    customer_id, date
        The transaction log, one row per transaction (see
        :func:`custvalue.summarize_transactions`).
    cutoffs
        Increasing cut-off days (inclusive), e.g. quarter ends; anything
        ``summarize_transactions`` accepts as ``observation_end``.
    p_alive
        Either a fitted model with ``probability_alive(frequency, recency, T)`` (e.g.
        ``BetaGeo``): it is **reused** at every cut-off with its parameters unchanged, only the
        histories are truncated (customers whose first purchase is on the cut-off day get 1);
        or a callable ``f(summary) -> P(alive) array`` called once per cut-off with that
        cut-off's :class:`~custvalue.summary.CustomerSummary`, which may **refit** a model.
    policy
        The stage policy; default ``StagePolicy()``.
    time_unit
        Time unit of the summaries (and of the policy's ``recover_after``/``terminate_after``).
    value_class_flag, service_failure, unresolved_complaint
        Optional boolean flags, shape (n_customers,) (constant) or (n_customers, n_cutoffs), in
        the order of the result's ``customer_id`` (sorted ids).
    progress
        Show a progress bar over the cut-offs if tqdm is installed (useful when ``p_alive``
        refits a model at each cut-off).

    Returns
    -------
    StageHistory
    """
    pol = StagePolicy() if policy is None else policy
    full = summarize_transactions(customer_id, date, time_unit=time_unit)
    days = np.array(
        [
            coerce_date_scalar(c, "cutoffs")
            for c in np.atleast_1d(as_array(cutoffs, "cutoffs")).ravel()
        ]
    )
    if days.size == 0:
        raise InvalidInputError("cutoffs must not be empty")
    if np.any(np.diff(days) <= 0):
        k = int(np.flatnonzero(np.diff(days) <= 0)[0]) + 1
        raise InvalidInputError(f"cutoffs must be strictly increasing; first bad index {k}")
    ids = full.customer_id
    n, k_cut = ids.size, days.size
    stages = np.full((n, k_cut), -1, dtype=np.int64)
    reasons = np.full((n, k_cut), -1, dtype=np.int64)
    routed = np.zeros((n, k_cut), dtype=bool)
    ok = allowed_matrix()
    route = np.arange(4)[None, :].repeat(4, axis=0)
    for (a, b), c in ROUTING.items():
        route[a, b] = c
    cut_dates = days.astype("datetime64[D]")
    bar = progress_bar(progress, total=k_cut, desc="stage_history", unit="cut-off")
    for k, end in enumerate(cut_dates):
        try:
            s = summarize_transactions(customer_id, date, observation_end=end, time_unit=time_unit)
        except InvalidInputError:
            bar.update(1)
            continue  # no customer has bought yet
        rows = np.searchsorted(ids, s.customer_id)
        flags = {
            name: (None if arr is None else _flag_at(arr, name, k, (n, k_cut))[rows])
            for name, arr in (
                ("value_class_flag", value_class_flag),
                ("service_failure", service_failure),
                ("unresolved_complaint", unresolved_complaint),
            )
        }
        assigned = pol.assign(
            s.frequency + 1,
            _p_alive_at(p_alive, s),
            time_since_last_purchase=s.T - s.recency,
            **flags,
        )
        proposed = assigned.stages
        prev = stages[rows, k - 1] if k > 0 else np.full(rows.size, -1)
        seen = prev >= 0
        illegal = seen & ~ok[np.where(seen, prev, 0), proposed]
        final = np.where(illegal, route[np.where(seen, prev, 0), proposed], proposed)
        stages[rows, k] = final
        reasons[rows, k] = assigned.reasons
        routed[rows, k] = illegal
        bar.update(1)
    bar.close()
    return StageHistory(
        customer_id=ids, cutoffs=cut_dates, stages=stages, reasons=reasons, routed=routed
    )
