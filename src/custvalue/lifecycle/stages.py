"""Lifecycle stages, the allowed transitions between them, and an explainable stage policy.

A relationship moves through four stages: the firm **acquires** a customer, works to
**retain** them, tries to **recover** them when they lapse or complain, and sometimes the
relationship **terminates** (the customer is lost, or the firm ends it on purpose). The allowed
moves between consecutive observations are data (:data:`ALLOWED_TRANSITIONS`); staying in the
same stage is always allowed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._html import TableView, html_table, text_table
from custvalue._json import ARRAY_EQ, JsonMixin, to_int64
from custvalue._validation import as_array, as_float_array, broadcast_arrays, fail_at
from custvalue.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ROUTING",
    "Reason",
    "Stage",
    "StageAssignment",
    "StagePolicy",
    "allowed_matrix",
    "as_stage",
    "as_stage_codes",
    "check_transitions",
]

IntArray = NDArray[np.int64]


class Stage(enum.IntEnum):
    """A lifecycle stage. The integer value is the row/column index in transition matrices."""

    ACQUIRE = 0
    RETAIN = 1
    RECOVER = 2
    TERMINATE = 3


#: Moves between *different* stages that are allowed between two consecutive observations
#: (staying in the same stage is always allowed). ``TERMINATE -> ACQUIRE`` is re-acquisition.
ALLOWED_TRANSITIONS: frozenset[tuple[Stage, Stage]] = frozenset(
    {
        (Stage.ACQUIRE, Stage.RETAIN),
        (Stage.ACQUIRE, Stage.TERMINATE),
        (Stage.RETAIN, Stage.RECOVER),
        (Stage.RECOVER, Stage.RETAIN),
        (Stage.RECOVER, Stage.TERMINATE),
        (Stage.TERMINATE, Stage.ACQUIRE),
    }
)

#: How :func:`custvalue.lifecycle.stage_history` turns an illegal move proposed by a
#: memoryless policy into the legal stage recorded: ``(previous, proposed) -> recorded``.
#: A retained customer who is lost first passes through RECOVER; a new customer who has bought
#: again is RETAINed before being recovered; a terminated customer who comes back is
#: re-ACQUIREd; stages never move back to ACQUIRE except from TERMINATE.
ROUTING: dict[tuple[Stage, Stage], Stage] = {
    (Stage.ACQUIRE, Stage.RECOVER): Stage.RETAIN,
    (Stage.RETAIN, Stage.TERMINATE): Stage.RECOVER,
    (Stage.RETAIN, Stage.ACQUIRE): Stage.RETAIN,
    (Stage.RECOVER, Stage.ACQUIRE): Stage.RECOVER,
    (Stage.TERMINATE, Stage.RETAIN): Stage.ACQUIRE,
    (Stage.TERMINATE, Stage.RECOVER): Stage.ACQUIRE,
}


def allowed_matrix() -> NDArray[np.bool_]:
    """Boolean 4 x 4 matrix, ``[i, j]`` true when stage ``i`` may move to stage ``j``.

    The diagonal (staying) is true. Rows and columns follow :class:`Stage` order.
    """
    out = np.eye(len(Stage), dtype=bool)
    for a, b in ALLOWED_TRANSITIONS:
        out[a, b] = True
    return out


def as_stage(value: Any, name: str = "stage") -> Stage:
    """Convert a :class:`Stage`, its name (case-insensitive) or its integer code to a Stage."""
    if isinstance(value, Stage):
        return value
    if isinstance(value, str):
        try:
            return Stage[value.strip().upper()]
        except KeyError:
            known = ", ".join(s.name for s in Stage)
            raise InvalidInputError(f"{name}: unknown stage {value!r}; known: {known}") from None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if 0 <= int(value) < len(Stage):
            return Stage(int(value))
        raise InvalidInputError(f"{name}: stage code must be 0..3; got {int(value)}")
    raise InvalidTypeError(f"{name} must be a Stage, a stage name or code; got {value!r}")


def as_stage_codes(
    values: ArrayLike | Iterable[Any], name: str, *, missing: bool = False
) -> IntArray:
    """Convert stage names, codes or :class:`Stage` members to an int64 array of codes.

    Parameters
    ----------
    values
        Array-like of stage names (case-insensitive), integer codes 0..3 or Stage members.
    name
        The argument's name, for error messages.
    missing
        Accept ``-1`` (integer input) or ``""`` (string input) as "not observed".

    Raises
    ------
    InvalidInputError
        For an unknown name or an out-of-range code, naming the first bad index and value.
    """
    raw = as_array(values if not isinstance(values, Stage) else int(values), name)
    if raw.dtype.kind == "O":
        flat = raw.ravel()
        codes = np.empty(flat.size, dtype=np.int64)
        for k, v in enumerate(flat):
            if missing and (v is None or (isinstance(v, str) and not v.strip())):
                codes[k] = -1
                continue
            if not _is_stage_like(v) and not (missing and isinstance(v, int) and v == -1):
                where = _index(k, raw.shape)
                raise InvalidInputError(
                    f"{name} must hold stage names or codes; first bad value at index {where}: "
                    f"{v!r}"
                )
            codes[k] = -1 if (isinstance(v, int) and v == -1) else int(as_stage(v, name))
        return codes.reshape(raw.shape)
    if raw.dtype.kind in "US":
        upper = np.char.upper(np.char.strip(raw.astype(str)))
        names = np.array([s.name for s in Stage])
        known = np.isin(upper, names) | (missing & (upper == ""))
        fail_at(name, f"must hold stage names {', '.join(names)}", raw, ~known)
        codes = np.full(raw.shape, -1, dtype=np.int64)
        for s in Stage:
            codes[upper == s.name] = int(s)
        return codes
    if raw.dtype.kind == "b" or raw.dtype.kind not in "iuf":
        raise InvalidTypeError(f"{name} must hold stage names or integer codes; got {raw.dtype}")
    arr = as_float_array(raw, name, integer=True)
    low = -1 if missing else 0
    fail_at(name, f"must hold stage codes {low}..3", arr, (arr < low) | (arr > 3))
    return arr.astype(np.int64)


def _index(flat: int, shape: tuple[int, ...]) -> object:
    idx = tuple(int(i) for i in np.unravel_index(flat, shape))
    return idx[0] if len(idx) == 1 else idx


def _is_stage_like(value: Any) -> bool:
    try:
        as_stage(value)
    except (InvalidInputError, InvalidTypeError):
        return False
    return True


def check_transitions(previous: ArrayLike, current: ArrayLike, name: str = "transitions") -> None:
    """Raise :class:`InvalidInputError` if any ``previous[k] -> current[k]`` move is illegal.

    Entries equal to ``-1`` (not observed) on either side are ignored.
    """
    a = as_stage_codes(previous, f"{name} (from)", missing=True)
    b = as_stage_codes(current, f"{name} (to)", missing=True)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise InvalidInputError(
            f"{name}: previous {a.shape} and current {b.shape} have incompatible shapes"
        ) from None
    ok = allowed_matrix()
    seen = (a >= 0) & (b >= 0)
    bad = seen & ~ok[np.where(seen, a, 0), np.where(seen, b, 0)]
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        idx = np.unravel_index(k, bad.shape)
        src, dst = Stage(int(a[idx])).name, Stage(int(b[idx])).name
        where = idx[0] if len(idx) == 1 else tuple(int(i) for i in idx)
        raise InvalidInputError(
            f"{name}: illegal transition {src} -> {dst} at index {where}; allowed moves are "
            "staying, " + ", ".join(f"{x.name}->{y.name}" for x, y in sorted(ALLOWED_TRANSITIONS))
        )


class Reason(enum.IntEnum):
    """Why :class:`StagePolicy` put a customer in a stage (one code per customer)."""

    VALUE_CLASS = 0  #: flagged value class (e.g. BZ) routed to TERMINATE
    ACQUISITION_FAILED = 1  #: new customer already lost (P(alive) or inactivity) -> TERMINATE
    NEW_CUSTOMER = 2  #: fewer purchases than ``retain_min_purchases`` -> ACQUIRE
    NEW_CUSTOMER_PROBLEM = 3  #: new customer with a failure/complaint: stays ACQUIRE, flagged
    UNRESOLVED_COMPLAINT = 4  #: repeat customer with an unresolved complaint -> RECOVER
    SERVICE_FAILURE = 5  #: repeat customer with a recent service failure -> RECOVER
    LOST = 6  #: P(alive) below ``p_alive_terminate`` -> TERMINATE
    INACTIVE_TOO_LONG = 7  #: time since last purchase above ``terminate_after`` -> TERMINATE
    LAPSING = 8  #: P(alive) below ``p_alive_recover`` -> RECOVER
    INACTIVE = 9  #: time since last purchase above ``recover_after`` -> RECOVER
    ACTIVE = 10  #: repeat customer, none of the above -> RETAIN


def _as_flag(value: ArrayLike | None, name: str) -> NDArray[np.bool_]:
    if value is None:
        return np.zeros((), dtype=bool)
    raw = as_array(value, name)
    if raw.dtype.kind == "b":
        return raw.astype(bool)
    arr = as_float_array(raw, name)
    fail_at(name, "must be boolean (True/False or 0/1)", arr, (arr != 0) & (arr != 1))
    return arr.astype(bool)


def _check_policy(instance: StagePolicy, attribute: attrs.Attribute[Any], value: Any) -> None:
    if attribute.name == "terminate_value_class":
        if not isinstance(value, bool):
            raise InvalidTypeError(f"terminate_value_class must be a bool; got {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTypeError(f"{attribute.name} must be a number; got {value!r}")
    v = float(value)
    if math.isnan(v):
        raise InvalidInputError(f"{attribute.name} must not be NaN")
    if attribute.name == "retain_min_purchases" and (math.isinf(v) or v != int(v) or v < 1):
        raise InvalidInputError(f"retain_min_purchases must be a whole number >= 1; got {value!r}")
    if attribute.name.startswith("p_alive") and not 0 <= v <= 1:
        raise InvalidInputError(f"{attribute.name} must lie in [0, 1]; got {value!r}")
    if attribute.name.endswith("_after") and v < 0:
        raise InvalidInputError(f"{attribute.name} must be >= 0; got {value!r}")


@attrs.frozen
class StagePolicy:
    """An explainable rule that assigns every customer one stage and one reason code.

    Rules are checked in this order; the first that applies wins (see :class:`Reason`):

    1. ``value_class_flag`` set and ``terminate_value_class`` -> TERMINATE (VALUE_CLASS).
    2. Fewer than ``retain_min_purchases`` purchases (a new customer):
       lost (``p_alive < p_alive_terminate`` or ``time_since_last_purchase > terminate_after``)
       -> TERMINATE (ACQUISITION_FAILED); with a failure or unresolved complaint -> ACQUIRE
       (NEW_CUSTOMER_PROBLEM, since ACQUIRE -> RECOVER is not an allowed move); otherwise
       ACQUIRE (NEW_CUSTOMER).
    3. Repeat customers: unresolved complaint -> RECOVER; recent service failure -> RECOVER;
       ``p_alive < p_alive_terminate`` -> TERMINATE (LOST); ``time_since_last_purchase >
       terminate_after`` -> TERMINATE; ``p_alive < p_alive_recover`` -> RECOVER (LAPSING);
       ``time_since_last_purchase > recover_after`` -> RECOVER (INACTIVE); else RETAIN (ACTIVE).

    A problem that is reported (failure, complaint) is acted on before a model-based loss, on
    the view that a customer who just complained is still reachable.

    Attributes
    ----------
    retain_min_purchases
        Number of purchases (first included) from which a customer counts as retained.
        Default 2 (one repeat purchase).
    p_alive_recover
        P(alive) below which a repeat customer is RECOVER (lapsing). Default 0.5.
    p_alive_terminate
        P(alive) below which a customer is TERMINATE (lost). Default 0.1; must not exceed
        ``p_alive_recover``.
    recover_after
        Time since the last purchase (caller's time unit) above which a repeat customer is
        RECOVER. Default ``inf`` (rule off).
    terminate_after
        Time since the last purchase above which a customer is TERMINATE. Default ``inf``
        (off); must be >= ``recover_after``.
    terminate_value_class
        Route customers whose ``value_class_flag`` is set (e.g. the BZ class, who cost more
        than they return) to TERMINATE. Default True.

    Examples
    --------
    >>> out = StagePolicy().assign([1, 3, 3], [1.0, 0.9, 0.3], service_failure=[0, 1, 0])
    >>> out.stage_names().tolist(), out.reason_names().tolist()
    (['ACQUIRE', 'RECOVER', 'RECOVER'], ['NEW_CUSTOMER', 'SERVICE_FAILURE', 'LAPSING'])
    """

    retain_min_purchases: int = attrs.field(default=2, validator=_check_policy)
    p_alive_recover: float = attrs.field(default=0.5, validator=_check_policy)
    p_alive_terminate: float = attrs.field(default=0.1, validator=_check_policy)
    recover_after: float = attrs.field(default=math.inf, validator=_check_policy)
    terminate_after: float = attrs.field(default=math.inf, validator=_check_policy)
    terminate_value_class: bool = attrs.field(default=True, validator=_check_policy)

    def __attrs_post_init__(self) -> None:
        if self.p_alive_terminate > self.p_alive_recover:
            raise InvalidInputError(
                f"p_alive_terminate ({self.p_alive_terminate}) must not exceed "
                f"p_alive_recover ({self.p_alive_recover})"
            )
        if self.recover_after > self.terminate_after:
            raise InvalidInputError(
                f"recover_after ({self.recover_after}) must not exceed "
                f"terminate_after ({self.terminate_after})"
            )

    def assign(
        self,
        n_purchases: ArrayLike,
        p_alive: ArrayLike,
        *,
        time_since_last_purchase: ArrayLike = 0.0,
        value_class_flag: ArrayLike | None = None,
        service_failure: ArrayLike | None = None,
        unresolved_complaint: ArrayLike | None = None,
    ) -> StageAssignment:
        """Assign a stage and a reason to every customer.

        Parameters
        ----------
        n_purchases
            Number of purchases so far, first purchase included (whole number >= 0), shape (n,).
        p_alive
            Probability that the customer is still active, in [0, 1] (e.g. from
            ``BetaGeo``), broadcastable to (n,).
        time_since_last_purchase
            Time since the last purchase, >= 0, in the unit of ``recover_after``.
        value_class_flag, service_failure, unresolved_complaint
            Optional boolean (or 0/1) arrays broadcastable to (n,); ``None`` means all False.

        Returns
        -------
        StageAssignment
            Stage and reason code per customer. Deterministic: equal inputs give equal output.
        """
        n = as_float_array(n_purchases, "n_purchases", lower=0, integer=True)
        p = as_float_array(p_alive, "p_alive", lower=0, upper=1)
        gap = as_float_array(time_since_last_purchase, "time_since_last_purchase", lower=0)
        flags = {
            "value_class_flag": _as_flag(value_class_flag, "value_class_flag"),
            "service_failure": _as_flag(service_failure, "service_failure"),
            "unresolved_complaint": _as_flag(unresolved_complaint, "unresolved_complaint"),
        }
        n, p, gap, bz, fail, compl = broadcast_arrays(
            {"n_purchases": n, "p_alive": p, "time_since_last_purchase": gap}
            | {k: v.astype(np.float64) for k, v in flags.items()}
        )
        problem = (fail > 0) | (compl > 0)
        new = n < self.retain_min_purchases
        lost = p < self.p_alive_terminate
        too_long = gap > self.terminate_after
        rules: list[tuple[NDArray[np.bool_], Stage, Reason]] = [
            ((bz > 0) & self.terminate_value_class, Stage.TERMINATE, Reason.VALUE_CLASS),
            (new & (lost | too_long), Stage.TERMINATE, Reason.ACQUISITION_FAILED),
            (new & problem, Stage.ACQUIRE, Reason.NEW_CUSTOMER_PROBLEM),
            (new, Stage.ACQUIRE, Reason.NEW_CUSTOMER),
            (compl > 0, Stage.RECOVER, Reason.UNRESOLVED_COMPLAINT),
            (fail > 0, Stage.RECOVER, Reason.SERVICE_FAILURE),
            (lost, Stage.TERMINATE, Reason.LOST),
            (too_long, Stage.TERMINATE, Reason.INACTIVE_TOO_LONG),
            (p < self.p_alive_recover, Stage.RECOVER, Reason.LAPSING),
            (gap > self.recover_after, Stage.RECOVER, Reason.INACTIVE),
        ]
        stages = np.full(n.shape, int(Stage.RETAIN), dtype=np.int64)
        reasons = np.full(n.shape, int(Reason.ACTIVE), dtype=np.int64)
        for mask, stage, reason in reversed(rules):  # earlier rules overwrite later ones
            stages[mask] = int(stage)
            reasons[mask] = int(reason)
        return StageAssignment(stages=stages, reasons=reasons)


@attrs.frozen
class StageAssignment(JsonMixin):
    """Stage and reason code per customer (integer codes of :class:`Stage` and :class:`Reason`).

    Attributes
    ----------
    stages
        int64 array, shape (n,), values ``Stage`` codes.
    reasons
        int64 array, shape (n,), values ``Reason`` codes.
    """

    stages: IntArray = attrs.field(converter=to_int64, eq=ARRAY_EQ)
    reasons: IntArray = attrs.field(converter=to_int64, eq=ARRAY_EQ)

    def __attrs_post_init__(self) -> None:
        if self.stages.shape != self.reasons.shape:
            raise InvalidInputError(
                f"stages and reasons must have the same shape; got {self.stages.shape} and "
                f"{self.reasons.shape}"
            )
        fail_at(
            "stages", "must be Stage codes 0..3", self.stages, (self.stages < 0) | (self.stages > 3)
        )
        bad = (self.reasons < 0) | (self.reasons >= len(Reason))
        fail_at("reasons", "must be Reason codes", self.reasons, bad)

    def stage_names(self) -> NDArray[np.str_]:
        """The stage of each customer as a name (``"RETAIN"``, ...)."""
        names = np.array([s.name for s in Stage])
        return names[self.stages]

    def reason_names(self) -> NDArray[np.str_]:
        """The reason of each customer as a name (``"LAPSING"``, ...)."""
        names = np.array([r.name for r in Reason])
        return names[self.reasons]

    def counts(self) -> IntArray:
        """Number of customers per stage, shape (4,), in :class:`Stage` order."""
        return np.bincount(self.stages.ravel(), minlength=len(Stage)).astype(np.int64)

    def _view(self) -> TableView:
        rows = []
        for s in Stage:
            mask = self.stages == int(s)
            why = np.bincount(self.reasons[mask], minlength=len(Reason))
            detail = ", ".join(f"{Reason(k).name}: {c}" for k, c in enumerate(why) if c)
            rows.append([s.name, int(mask.sum()), detail])
        caption = f"StageAssignment: {self.stages.size:,} customers"
        return TableView(["stage", "customers", "reasons"], rows, caption)

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())
