"""Named segments from RFM scores: a validated table of score rules.

A :class:`SegmentMap` is a list of :class:`SegmentRule` rows, each giving a segment name and an
inclusive range of recency, frequency and (optionally) monetary scores. It is checked when it
is built, so a map cannot silently misclassify anybody:

1. **coverage**: every score cell (R, F[, M]) in 1..k is matched by some rule;
2. **no overlap**: no cell is matched by two rules, unless ``priority=True`` is declared, in
   which case the first matching rule (in table order) wins;
3. **reachability**: every segment gets at least one cell (with a priority, a rule entirely
   shadowed by earlier rules is an error).

The default, :data:`RF_SEGMENT_MAP`, is the widely used recency-frequency map (k = 5, 5 = best;
monetary is not used). It covers all 25 RF cells exactly once:

=====================  ===========  =============
segment                recency (R)  frequency (F)
=====================  ===========  =============
Champions              5            4-5
Loyal                  3-4          4-5
Potential Loyalists    4-5          2-3
New                    5            1
Promising              4            1
Need Attention         3            3
About to Sleep         3            1-2
Can't Lose Them        1-2          5
At Risk                1-2          3-4
Hibernating            1-2          1-2
=====================  ===========  =============

Replace it with your own rules by building a ``SegmentMap`` (the same checks apply).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._frames import accepts_data
from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.segments._inputs import as_customer_array, check_same_length
from custvalue.segments._table import Segmentation, make_segmentation
from custvalue.segments.rfm import RFMScores

__all__ = ["RF_SEGMENT_MAP", "SegmentMap", "SegmentRule", "rfm_segments"]

_DIMS = ("recency", "frequency", "monetary")


def _score_range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"a score range must be an int or a (low, high) pair; got {value!r}"
        ) from None
    for end in (lo, hi):
        whole = isinstance(end, (int, np.integer, float, np.floating)) and not isinstance(end, bool)
        if not whole or not math.isfinite(end) or end != int(end):
            raise InvalidInputError(f"score range ends must be whole numbers; got {value!r}")
    return (int(lo), int(hi))


@attrs.frozen
class SegmentRule:
    """One row of a segment map: a segment name and inclusive score ranges.

    ``recency=(1, 2)`` means R score 1 or 2; an int means a single score; ``None`` (the
    default for ``monetary``) means any score.
    """

    segment: str
    recency: tuple[int, int] | None = attrs.field(default=None, converter=_score_range)
    frequency: tuple[int, int] | None = attrs.field(default=None, converter=_score_range)
    monetary: tuple[int, int] | None = attrs.field(default=None, converter=_score_range)


def _rule_tuple(rules: Iterable[SegmentRule]) -> tuple[SegmentRule, ...]:
    out = tuple(rules)
    for i, rule in enumerate(out):
        if not isinstance(rule, SegmentRule):
            raise InvalidInputError(f"rules[{i}] must be a SegmentRule; got {rule!r}")
    return out


def _describe(cell: tuple[int, ...]) -> str:
    return "".join(f"{d[0].upper()}{s}" for d, s in zip(_DIMS, cell, strict=False))


@attrs.frozen(eq=False)
class SegmentMap:
    """A validated table of score rules mapping RFM score cells to named segments.

    Attributes
    ----------
    rules : sequence of SegmentRule
        The table. Several rules may share a segment name (a segment made of several blocks).
    k : int, default 5
        Number of score levels the map is written for.
    use_monetary : bool, default False
        Whether cells are (R, F, M) (``k**3`` cells) or (R, F) (``k**2`` cells).
    priority : bool, default False
        Allow overlapping rules; the first matching rule wins.

    Raises
    ------
    InvalidInputError
        k outside 2..9, a score outside 1..k, an uncovered cell, an overlap without
        ``priority``, or a segment that no cell reaches. The message lists the offending
        cells (e.g. ``R3F2``).
    """

    rules: tuple[SegmentRule, ...] = attrs.field(converter=_rule_tuple)
    k: int = 5
    use_monetary: bool = False
    priority: bool = False
    lookup: NDArray[np.int64] = attrs.field(init=False)
    segments: tuple[str, ...] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        k, dims = self.k, 3 if self.use_monetary else 2
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= 9:
            # the scores of rfm_scores use k = 2..9; also bounds the (k,)*dims lookup table
            raise InvalidInputError(f"k must be an integer from 2 to 9; got {k!r}")
        if not self.rules:
            raise InvalidInputError("rules must not be empty")
        segments = tuple(dict.fromkeys(rule.segment for rule in self.rules))
        owner = np.full((k,) * dims, -1, dtype=np.int64)
        hits = np.zeros((k,) * dims, dtype=np.int64)
        for i, rule in enumerate(self.rules):
            block = []
            for d in _DIMS[:dims]:
                rng = getattr(rule, d) or (1, k)
                if not 1 <= rng[0] <= rng[1] <= k:
                    raise InvalidInputError(
                        f"rules[{i}] ({rule.segment!r}): {d} range {rng} must satisfy "
                        f"1 <= low <= high <= k={k}"
                    )
                block.append(slice(rng[0] - 1, rng[1]))
            if not self.use_monetary and rule.monetary is not None:
                raise InvalidInputError(
                    f"rules[{i}] ({rule.segment!r}) sets monetary, but use_monetary is False"
                )
            idx = tuple(block)
            free = owner[idx] < 0
            if self.priority and not free.any():
                raise InvalidInputError(
                    f"rules[{i}] ({rule.segment!r}) is unreachable: all its cells are taken "
                    "by earlier rules"
                )
            owner[idx] = np.where(free, segments.index(rule.segment), owner[idx])
            hits[idx] += 1
        if not self.priority and (hits > 1).any():
            cells = [_describe(tuple(c + 1)) for c in np.argwhere(hits > 1)]
            raise InvalidInputError(
                f"rules overlap in {len(cells)} cell(s), first {cells[:5]}; make them disjoint "
                "or declare priority=True (first matching rule wins)"
            )
        if (owner < 0).any():
            cells = [_describe(tuple(c + 1)) for c in np.argwhere(owner < 0)]
            raise InvalidInputError(
                f"rules leave {len(cells)} cell(s) uncovered, first {cells[:5]}; every score "
                "cell needs a segment"
            )
        reached = np.bincount(owner.ravel(), minlength=len(segments)) > 0
        if not reached.all():
            missing = [s for s, ok in zip(segments, reached, strict=True) if not ok]
            raise InvalidInputError(f"segment(s) {missing} are unreachable: no cell maps to them")
        owner.setflags(write=False)
        object.__setattr__(self, "lookup", owner)
        object.__setattr__(self, "segments", segments)

    def assign(
        self,
        recency_score: ArrayLike,
        frequency_score: ArrayLike,
        monetary_score: ArrayLike | None = None,
    ) -> NDArray[np.int64]:
        """Segment code (index into :attr:`segments`) of each customer's scores."""
        scores = {"recency_score": recency_score, "frequency_score": frequency_score}
        if self.use_monetary:
            if monetary_score is None:
                raise InvalidInputError("monetary_score is required: this map uses monetary")
            scores["monetary_score"] = monetary_score
        arrays = {
            name: as_customer_array(v, name, lower=1, upper=self.k, integer=True)
            for name, v in scores.items()
        }
        check_same_length(arrays)
        index = tuple(a.astype(np.intp) - 1 for a in arrays.values())
        codes: NDArray[np.int64] = self.lookup[index]
        return codes

    def to_text(self) -> str:
        """The rule table as text (one row per rule)."""
        dims = _DIMS[: 3 if self.use_monetary else 2]
        rows = []
        for r in self.rules:
            ranges = [(d, getattr(r, d) or (1, self.k)) for d in dims]
            rows.append(f"{r.segment:<22}" + "  ".join(f"{d}={lo}-{hi}" for d, (lo, hi) in ranges))
        return "\n".join(rows)

    def to_json(self) -> str:
        """Serialise the rules to a versioned JSON document."""
        rules = [
            {"segment": r.segment, **{d: list(getattr(r, d) or []) for d in _DIMS}}
            for r in self.rules
        ]
        payload = {
            "rules": rules,
            "k": self.k,
            "use_monetary": self.use_monetary,
            "priority": self.priority,
        }
        return _persist.dumps("SegmentMap", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> SegmentMap:
        """Load (and re-validate) a map written by :meth:`to_json`.

        Raises
        ------
        PersistenceError
            For malformed documents, another kind, a newer schema version, or a map that no
            longer validates (overlap, gaps, bad ``k``); the message says which.
        """
        p = _persist.loads(text, "SegmentMap")
        w = "SegmentMap"
        rows = _persist.require(p, "rules", list, w)
        if not all(isinstance(row, dict) for row in rows):
            raise PersistenceError(f"{w}: each rule must be an object")
        fields = [
            (
                _persist.require(row, "segment", str, w),
                {d: _persist.require(row, d, list, w) or None for d in _DIMS},
            )
            for row in rows
        ]
        k = _persist.require(p, "k", int, w)
        use_monetary = _persist.require(p, "use_monetary", bool, w)
        priority = _persist.require(p, "priority", bool, w)
        with _persist.invalid_content(w):
            rules = [SegmentRule(segment, **ranges) for segment, ranges in fields]
            return cls(rules=rules, k=k, use_monetary=use_monetary, priority=priority)


#: The widely used recency-frequency segment map (k = 5): all 25 cells exactly once.
RF_SEGMENT_MAP = SegmentMap(
    rules=(
        SegmentRule("Champions", recency=5, frequency=(4, 5)),
        SegmentRule("Loyal", recency=(3, 4), frequency=(4, 5)),
        SegmentRule("Potential Loyalists", recency=(4, 5), frequency=(2, 3)),
        SegmentRule("New", recency=5, frequency=1),
        SegmentRule("Promising", recency=4, frequency=1),
        SegmentRule("Need Attention", recency=3, frequency=3),
        SegmentRule("About to Sleep", recency=3, frequency=(1, 2)),
        SegmentRule("Can't Lose Them", recency=(1, 2), frequency=5),
        SegmentRule("At Risk", recency=(1, 2), frequency=(3, 4)),
        SegmentRule("Hibernating", recency=(1, 2), frequency=(1, 2)),
    ),
    k=5,
)


@accepts_data("value")
def rfm_segments(
    scores: RFMScores,
    segment_map: SegmentMap = RF_SEGMENT_MAP,
    *,
    value: ArrayLike | None = None,
    value_name: str = "spend",
    data: Any = None,
) -> Segmentation:
    """Label customers with the named segments of ``segment_map``.

    Parameters
    ----------
    scores : RFMScores
        From :func:`~custvalue.segments.rfm_scores`, with the map's ``k``.
    segment_map : SegmentMap, default RF_SEGMENT_MAP
        The rule table (see the module docstring).
    value : array_like, shape (n,), optional
        Value per customer for the table (e.g. predicted CLV); default: total spend.
    value_name : str, default "spend"
        Name of the value column.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``value`` may be
        column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    Segmentation
        Labels and the per-segment table (all segments of the map, in map order).

    Examples
    --------
    >>> from custvalue.segments import rfm_scores, rfm_segments
    >>> s = rfm_scores([1, 5, 20, 40, 90], [9, 4, 3, 2, 1], [900.0, 300, 200, 80, 20])
    >>> rfm_segments(s).labels.tolist()
    ['Champions', 'Loyal', 'Need Attention', 'Hibernating', 'Hibernating']
    """
    if scores.k != segment_map.k:
        raise InvalidInputError(
            f"scores use k={scores.k} but segment_map is written for k={segment_map.k}"
        )
    codes = segment_map.assign(
        scores.recency_score,
        scores.frequency_score,
        scores.monetary_score if segment_map.use_monetary else None,
    )
    if value is None:
        val = np.asarray(scores.total_spend, dtype=np.float64)
    else:
        val = as_customer_array(value, "value")
        check_same_length({"scores": codes, "value": val})
    return make_segmentation(codes, segment_map.segments, val, value_name=value_name)
