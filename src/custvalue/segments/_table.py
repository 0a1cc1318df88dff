"""The per-segment table and the labelled-customers result shared by every classifier.

Every classifier in :mod:`custvalue.segments` ends the same way: integer segment codes (one
per customer), the segment names, and a value array go through :func:`segment_table`, and the
labels plus the table are returned as a :class:`Segmentation`. This is the ONE place where the
table is computed, rendered and persisted.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._validation import fail_at, readonly_array
from custvalue.errors import InvalidInputError, PersistenceError

__all__ = ["SegmentTable", "Segmentation", "make_segmentation", "segment_table"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _format(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.4g}" if abs(float(value)) < 1e4 else f"{float(value):,.0f}"
    return html.escape(str(value))


@attrs.frozen(eq=False)
class SegmentTable:
    """Per-segment summary: one row per segment, numpy columns.

    Attributes
    ----------
    segment : tuple of str
        Segment names, in table order.
    count : numpy.ndarray of int64, shape (n_segments,)
        Number of customers in each segment.
    customer_share : numpy.ndarray, shape (n_segments,)
        ``count / total number of customers``.
    value_total : numpy.ndarray, shape (n_segments,)
        Sum of the value array over the segment (in the value's unit, e.g. dollars).
    value_share : numpy.ndarray, shape (n_segments,)
        ``value_total / sum of all values``; NaN when the sum of all values is 0. With negative
        values a share can be below 0 or above 1 (the segments still sum to 1).
    value_mean : numpy.ndarray, shape (n_segments,)
        ``value_total / count``; NaN for an empty segment.
    value_name : str
        What the value column measures (``"value"``, ``"profit"``, ``"clv"`` ...).
    extra_names : tuple of str
        Names of additional per-segment totals (e.g. ``("revenue", "cost")`` for the pyramid).
    extra_totals : numpy.ndarray, shape (n_segments, len(extra_names))
        Sum of each additional array over the segment.
    """

    segment: tuple[str, ...] = attrs.field(converter=_str_tuple)
    count: IntArray = attrs.field(converter=readonly_array)
    customer_share: FloatArray = attrs.field(converter=readonly_array)
    value_total: FloatArray = attrs.field(converter=readonly_array)
    value_share: FloatArray = attrs.field(converter=readonly_array)
    value_mean: FloatArray = attrs.field(converter=readonly_array)
    value_name: str = "value"
    extra_names: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    extra_totals: FloatArray = attrs.field(
        default=attrs.Factory(lambda self: np.zeros((len(self.segment), 0)), takes_self=True),
        converter=readonly_array,
    )

    def __attrs_post_init__(self) -> None:
        n = len(self.segment)
        if len(set(self.segment)) != n:
            raise InvalidInputError(f"segment names must be unique; got {self.segment}")
        for name in ("count", "customer_share", "value_total", "value_share", "value_mean"):
            if getattr(self, name).shape != (n,):
                raise InvalidInputError(
                    f"{name} must have shape ({n},) (one per segment); got "
                    f"{getattr(self, name).shape}"
                )
        if self.extra_totals.shape != (n, len(self.extra_names)):
            raise InvalidInputError(
                f"extra_totals must have shape ({n}, {len(self.extra_names)}); got "
                f"{self.extra_totals.shape}"
            )
        floats = ("customer_share", "value_total", "value_share", "value_mean", "extra_totals")
        if any(getattr(self, name).dtype.kind != "f" for name in floats):
            raise InvalidInputError(f"{', '.join(floats)} must be float arrays")
        if self.count.dtype.kind not in "iu":
            raise InvalidInputError(f"count must hold integers; got dtype {self.count.dtype}")
        fail_at("count", "must be >= 0", self.count, self.count < 0)
        share = self.customer_share
        fail_at("customer_share", "must be in [0, 1]", share, ~((share >= 0) & (share <= 1)))
        total = self.value_total
        fail_at("value_total", "must be finite", total, ~np.isfinite(total))
        extra = self.extra_totals
        fail_at("extra_totals", "must be finite", extra, ~np.isfinite(extra))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(self.count > 0, total / np.maximum(self.count, 1), np.nan)
        if not np.array_equal(mean, self.value_mean, equal_nan=True):
            raise InvalidInputError("value_mean must be value_total / count (NaN when empty)")

    def __len__(self) -> int:
        return len(self.segment)

    def extra(self, name: str) -> FloatArray:
        """The per-segment total of the additional column ``name``."""
        if name not in self.extra_names:
            raise InvalidInputError(f"name must be one of {self.extra_names}; got {name!r}")
        column: FloatArray = self.extra_totals[:, self.extra_names.index(name)]
        return column

    def row(self, segment: str) -> dict[str, Any]:
        """All columns of one segment as a dict of Python scalars."""
        if segment not in self.segment:
            raise InvalidInputError(f"segment must be one of {self.segment}; got {segment!r}")
        i = self.segment.index(segment)
        return {name: column[i].item() for name, column in self.to_columns().items()}

    def to_text(self) -> str:
        """A plain-text rendering (fixed-width columns), e.g. for printing in a terminal."""
        header = self._header()
        rows = [[str(c) if isinstance(c, str) else _format(c) for c in r] for r in self._rows()]
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]

        def line(cells: Sequence[str]) -> str:
            first = cells[0].ljust(widths[0])
            rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
            return "  ".join([first, *rest])

        lines = [line(header), *(line(r) for r in rows)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _header(self) -> list[str]:
        v = self.value_name
        extra = [f"{n}_total" for n in self.extra_names]
        return [
            "segment",
            "count",
            "customer_share",
            f"{v}_total",
            f"{v}_share",
            f"{v}_mean",
            *extra,
        ]

    def _rows(self) -> list[list[Any]]:
        return [
            [
                self.segment[i],
                int(self.count[i]),
                float(self.customer_share[i]),
                float(self.value_total[i]),
                float(self.value_share[i]),
                float(self.value_mean[i]),
                *(float(x) for x in self.extra_totals[i]),
            ]
            for i in range(len(self.segment))
        ]

    def to_columns(self) -> Columns:
        """One row per segment: ``segment``, ``count``, ``customer_share``, then the value's
        ``<value_name>_total``, ``_share`` and ``_mean``, then ``<extra>_total`` per extra."""
        value = self.value_name
        cols: dict[str, Any] = {
            "segment": np.asarray(self.segment, dtype=str),
            "count": self.count,
            "customer_share": self.customer_share,
            f"{value}_total": self.value_total,
            f"{value}_share": self.value_share,
            f"{value}_mean": self.value_mean,
        }
        for j, name in enumerate(self.extra_names):
            cols[f"{name}_total"] = self.extra_totals[:, j]
        return freeze_columns(cols)

    def _repr_html_(self) -> str:
        caption = f"{len(self.segment)} segments, {int(self.count.sum()):,} customers"
        return columns_html(self.to_columns(), caption, max_rows=len(self.segment))

    def to_payload(self) -> dict[str, Any]:
        """The JSON payload (used by :meth:`to_json` and by results that embed a table)."""
        return {
            "segment": list(self.segment),
            "count": _persist.encode_array(self.count),
            "customer_share": _persist.encode_array(self.customer_share),
            "value_total": _persist.encode_array(self.value_total),
            "value_share": _persist.encode_array(self.value_share),
            "value_mean": _persist.encode_array(self.value_mean),
            "value_name": self.value_name,
            "extra_names": list(self.extra_names),
            "extra_totals": _persist.encode_array(self.extra_totals),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SegmentTable:
        """Inverse of :meth:`to_payload`."""
        where = "SegmentTable"
        names = _persist.require(payload, "segment", list, where)
        extra = _persist.require(payload, "extra_names", list, where)
        if not all(isinstance(s, str) for s in [*names, *extra]):
            raise PersistenceError(f"{where}: segment and extra names must be strings")
        arrays = {
            key: _persist.decode_array(_persist.require(payload, key, dict, where), key)
            for key in (
                "count",
                "customer_share",
                "value_total",
                "value_share",
                "value_mean",
                "extra_totals",
            )
        }
        for key, arr in arrays.items():
            expected = (len(names), len(extra)) if key == "extra_totals" else (len(names),)
            if arr.shape != expected:
                raise PersistenceError(f"{where}: field {key!r} has shape {arr.shape}")
        with _persist.invalid_content(where):
            return cls(
                segment=tuple(names),
                value_name=_persist.require(payload, "value_name", str, where),
                extra_names=tuple(extra),
                **arrays,
            )

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        return _persist.dumps("SegmentTable", self.to_payload())

    @classmethod
    def from_json(cls, text: str | bytes) -> SegmentTable:
        """Load a table written by :meth:`to_json`."""
        return cls.from_payload(_persist.loads(text, "SegmentTable"))

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), customers=int(self.count.sum()))


def segment_table(
    codes: NDArray[np.integer[Any]],
    names: Sequence[str],
    value: FloatArray | None = None,
    *,
    value_name: str = "value",
    extra: Mapping[str, FloatArray] | None = None,
) -> SegmentTable:
    """Build the per-segment table from integer codes (``0 <= code < len(names)``).

    ``value`` defaults to 1 per customer (then the value columns count customers). Inputs are
    trusted (callers validate); the work is a few ``np.bincount`` passes, O(n).
    """
    n_seg = len(names)
    n = codes.shape[0]
    weights = np.ones(n) if value is None else value
    count = np.bincount(codes, minlength=n_seg).astype(np.int64)
    total = np.bincount(codes, weights=weights, minlength=n_seg).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        grand = float(weights.sum())
    if not (math.isfinite(grand) and np.all(np.isfinite(total))):
        raise InvalidInputError(
            f"{value_name}: the values are too large to total in float64 (the sum overflows)"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        customer_share = count / n if n else np.zeros(n_seg)  # no customers: 0 in every segment
        value_share = total / grand if grand != 0 else np.full(n_seg, np.nan)
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    extra = dict(extra or {})
    extra_totals = np.zeros((n_seg, len(extra)))
    for j, arr in enumerate(extra.values()):
        extra_totals[:, j] = np.bincount(codes, weights=arr, minlength=n_seg)
    return SegmentTable(
        segment=tuple(names),
        count=count,
        customer_share=customer_share,
        value_total=total,
        value_share=value_share,
        value_mean=mean,
        value_name=value_name,
        extra_names=tuple(extra),
        extra_totals=extra_totals,
    )


@attrs.frozen(eq=False)
class Segmentation:
    """Customers labelled with segments, plus the per-segment table.

    Attributes
    ----------
    codes : numpy.ndarray of int, shape (n_customers,)
        Segment of each customer as an index into ``segments`` (compact; see :attr:`labels`).
    segments : tuple of str
        Segment names; ``segments[codes[i]]`` is customer ``i``'s segment.
    table : SegmentTable
        Count, share of customers, total / share / mean of the value per segment.
    """

    codes: NDArray[np.int64] = attrs.field(converter=readonly_array)
    segments: tuple[str, ...] = attrs.field(converter=_str_tuple)
    table: SegmentTable

    def __attrs_post_init__(self) -> None:
        codes, n_seg = self.codes, len(self.segments)
        if codes.ndim != 1 or codes.dtype.kind not in "iu":
            raise InvalidInputError(
                f"codes must be a 1-D integer array; got dtype {codes.dtype}, shape {codes.shape}"
            )
        bad = (codes < 0) | (codes >= n_seg)
        fail_at("codes", f"are out of range of the {n_seg} segment names", codes, bad)
        if self.table.segment != self.segments:
            raise InvalidInputError(
                f"table segments {self.table.segment} differ from segments {self.segments}"
            )
        counted = np.bincount(codes, minlength=n_seg)
        if not np.array_equal(counted, self.table.count):
            first = int(np.flatnonzero(counted != self.table.count)[0])
            raise InvalidInputError(
                f"codes contradict the table: segment {self.segments[first]!r} holds "
                f"{int(counted[first])} customers, the table says {int(self.table.count[first])}"
            )

    @property
    def labels(self) -> NDArray[np.str_]:
        """Segment name of each customer, shape (n_customers,)."""
        out: NDArray[np.str_] = np.asarray(self.segments, dtype=str)[self.codes]
        return out

    def mask(self, segment: str) -> NDArray[np.bool_]:
        """Boolean mask of the customers in ``segment``."""
        if segment not in self.segments:
            raise InvalidInputError(f"segment must be one of {self.segments}; got {segment!r}")
        mask: NDArray[np.bool_] = self.codes == self.segments.index(segment)
        return mask

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def to_columns(self) -> Columns:
        """One row per customer: ``segment`` (names). The per-segment table is ``table``."""
        return freeze_columns({"segment": self.labels})

    def _repr_html_(self) -> str:
        return self.table._repr_html_()

    def __str__(self) -> str:
        return self.table.to_text()

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        payload = {
            "codes": _persist.encode_array(self.codes),
            "segments": list(self.segments),
            "table": self.table.to_payload(),
        }
        return _persist.dumps("Segmentation", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> Segmentation:
        """Load a segmentation written by :meth:`to_json`."""
        payload = _persist.loads(text, "Segmentation")
        codes = _persist.decode_array(_persist.require(payload, "codes", dict, "Segmentation"))
        segments = _persist.require(payload, "segments", list, "Segmentation")
        table = SegmentTable.from_payload(_persist.require(payload, "table", dict, "Segmentation"))
        if not all(isinstance(s, str) for s in segments):
            raise PersistenceError("Segmentation: segment names must be strings")
        with _persist.invalid_content("Segmentation"):
            return cls(codes=codes, segments=tuple(segments), table=table)

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), segments=len(self.segments))


def make_segmentation(
    codes: NDArray[np.integer[Any]],
    names: Sequence[str],
    value: FloatArray | None = None,
    *,
    value_name: str = "value",
    extra: Mapping[str, FloatArray] | None = None,
) -> Segmentation:
    """Labels plus table in one step (the common ending of every classifier)."""
    codes64 = np.asarray(codes, dtype=np.int64)
    table = segment_table(codes64, names, value, value_name=value_name, extra=extra)
    return Segmentation(codes=codes64, segments=tuple(names), table=table)
