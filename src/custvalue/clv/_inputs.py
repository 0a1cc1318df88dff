"""Where a model's per-customer columns come from, and in which time unit (internal).

A model method receives its columns either as bare arrays (unit unknown unless ``time_unit=``
says it), as a :class:`~custvalue.summary.CustomerSummary` in the first argument (columns, ids
and unit from the summary), or as column names with ``data=`` a DataFrame (the convention of
``summarize_transactions(..., data=frame)``). :func:`model_input` is the one place that reads
all three, so a general ``data=`` adapter can replace the frame branch without touching the
models. :func:`check_time_unit` is the one place that compares the unit of the data with the
unit of a model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from custvalue._collapse import collapse_rows, repetition_pays
from custvalue._validation import as_float_array, broadcast_arrays, validate_history
from custvalue.errors import InvalidInputError
from custvalue.summary import CustomerSummary
from custvalue.time_units import (
    TimeUnit,
    as_duration,
    same_time_unit,
    time_unit_label,
)

__all__ = [
    "FitHistories",
    "ModelInput",
    "as_times",
    "check_time_unit",
    "checked_histories",
    "checked_input",
    "checked_window",
    "fit_histories",
    "model_input",
    "optional_time_unit",
    "resolve_time_unit",
]


def optional_time_unit(value: TimeUnit | None) -> str | None:
    """attrs converter: the canonical label of a time unit, or None."""
    return None if value is None else time_unit_label(value)


@attrs.frozen
class ModelInput:
    """Columns for a model call, with the unit and ids the source knew (None if it did not).

    ``columns`` holds the values as given (validation is the model's job), in the order of the
    names asked for; ``source`` says where they came from, for error messages.
    """

    columns: tuple[Any, ...]
    time_unit: str | None
    customer_id: NDArray[Any] | None
    source: str


def model_input(
    first: Any,
    rest: dict[str, Any],
    *,
    first_name: str,
    data: Any = None,
    time_unit: TimeUnit | None = None,
) -> ModelInput:
    """Read a model's columns from arrays, a CustomerSummary or a DataFrame.

    Parameters
    ----------
    first
        The first data argument as the caller gave it: an array, a ``CustomerSummary`` (then
        every value of ``rest`` must be None), or with ``data`` a column name (None: the
        default name ``first_name``).
    rest
        The other data arguments by name (arrays, or column names / None with ``data``).
    first_name
        Name of the first argument (also its default column name).
    data
        Optional DataFrame holding the columns.
    time_unit
        The unit the caller says the data are in; checked against a summary's unit.
    """
    names = (first_name, *rest)
    if isinstance(first, CustomerSummary):
        given = [n for n, v in rest.items() if v is not None]
        if given or data is not None:
            extra = ", ".join([*given, *(["data"] if data is not None else [])])
            raise InvalidInputError(
                f"{first_name} is a CustomerSummary, which already holds the columns; omit {extra}"
            )
        columns = []
        for name in names:
            value = getattr(first, name)
            if value is None:
                raise InvalidInputError(
                    f"the CustomerSummary has no {name} (summarize the log with amounts)"
                )
            columns.append(value)
        if time_unit is not None:
            check_time_unit(first.time_unit, time_unit, "the CustomerSummary", "time_unit=")
        return ModelInput(tuple(columns), first.time_unit, first.customer_id, "CustomerSummary")
    unit = optional_time_unit(time_unit)
    if data is not None:
        from custvalue._frames import column, eager

        frame = eager(data)
        values = {first_name: first, **rest}
        columns = [
            column(frame, name if values[name] is None else values[name], name) for name in names
        ]
        return ModelInput(tuple(columns), unit, None, "data")
    missing = [n for n, v in rest.items() if v is None]
    if first is None or missing:
        absent = ([first_name] if first is None else []) + missing
        raise InvalidInputError(
            f"missing {', '.join(absent)}: give the columns as arrays, a CustomerSummary as "
            f"{first_name}, or column names with data= a DataFrame"
        )
    return ModelInput((first, *rest.values()), unit, None, "arrays")


def check_time_unit(model_unit: str | None, given: TimeUnit | None, model: str, what: str) -> None:
    """Raise :class:`InvalidInputError` naming both units if ``given`` differs from the model's.

    Nothing is checked when either side has no unit.
    """
    if model_unit is None or given is None:
        return
    if not same_time_unit(model_unit, given):
        label = time_unit_label(given)
        raise InvalidInputError(
            f"time unit mismatch: {what} is in {label!r} but {model} is in {model_unit!r}; "
            f"convert the model with .in_unit({label!r}) or the data to {model_unit!r}"
        )


def checked_input(
    model: Any,
    first: Any,
    rest: dict[str, Any],
    *,
    first_name: str,
    time_unit: TimeUnit | None,
) -> tuple[tuple[Any, ...], str | None]:
    """:func:`model_input` for a call on ``model``: the columns, checked against the model's
    unit, and the unit of the call (the model's, else the data's, else None)."""
    given = model_input(first, rest, first_name=first_name, time_unit=time_unit)
    what = "the CustomerSummary" if given.source == "CustomerSummary" else "time_unit="
    return given.columns, resolve_time_unit(model, given.time_unit, what)


def resolve_time_unit(model: Any, given: TimeUnit | None, what: str) -> str | None:
    """The unit of a call: the model's (checked against ``given``), else ``given``, else None.

    ``model`` is any object; its ``time_unit`` attribute is read if it has one.
    """
    model_unit = getattr(model, "time_unit", None)
    model_unit = model_unit if isinstance(model_unit, str) else None
    check_time_unit(model_unit, given, f"the {type(model).__name__} model", what)
    return model_unit if model_unit is not None else optional_time_unit(given)


def as_times(value: Any, unit: str | None, name: str) -> Any:
    """A scalar duration (``"12M"``, ``"inf"``, a timedelta) in ``unit`` through
    :func:`~custvalue.time_units.as_duration`; numbers and arrays are returned unchanged (they
    are already in the model's unit, and are validated by the caller)."""
    if isinstance(value, (str, dt.timedelta, np.timedelta64)):
        return as_duration(value, unit, name)
    return value


FloatArray = NDArray[np.float64]


def checked_histories(
    model: Any, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
) -> tuple[FloatArray, FloatArray, FloatArray, str | None]:
    """Validated ``(frequency, recency, T)`` of a purchase-model call (arrays or a summary),
    checked against the model's unit, and the unit of the call."""
    columns, unit = checked_input(
        model, frequency, {"recency": recency, "T": T}, first_name="frequency",
        time_unit=time_unit,
    )  # fmt: skip
    return (*validate_history(*columns), unit)


def checked_window(
    model: Any, t: Any, frequency: Any, recency: Any, T: Any, time_unit: TimeUnit | None
) -> tuple[FloatArray, ...]:
    """``(t, frequency, recency, T)`` broadcast together, ``t`` (>= 0) read as a duration in
    the call's unit."""
    x, t_x, age, unit = checked_histories(model, frequency, recency, T, time_unit)
    tt = as_float_array(as_times(t, unit, "t"), "t", lower=0)
    return broadcast_arrays({"t": tt, "frequency": x, "recency": t_x, "T": age})


#: Fits on fewer rows always merge identical histories (a sample would be the whole data).
_COLLAPSE_ALWAYS = 1 << 16


@attrs.frozen
class FitHistories:
    """The weighted histories a purchase-model fit works on (flat arrays; identical rows
    merged where that pays)."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    weights: FloatArray
    time_unit: str | None

    @property
    def total(self) -> float:
        """Number of customers (sum of the weights)."""
        return float(self.weights.sum())

    @property
    def total_repeat_purchases(self) -> float:
        """Sum of the weighted repeat purchases."""
        return float(np.einsum("i,i->", self.weights, self.frequency))


def fit_histories(
    frequency: Any, recency: Any, T: Any, *, data: Any, time_unit: TimeUnit | None,
    weights: Any,
) -> FitHistories:  # fmt: skip
    """Read, validate and collapse the histories of a purchase-model fit.

    Identical ``(frequency, recency, T)`` rows are merged into weights when a sample shows
    enough repetition for the merge to pay (:func:`~custvalue._collapse.repetition_pays`);
    rows of weight 0 are dropped. Raises :class:`~custvalue.errors.InvalidInputError` when
    no customer has a positive weight or every customer has ``T = 0``.
    """
    given = model_input(
        frequency, {"recency": recency, "T": T}, first_name="frequency", data=data,
        time_unit=time_unit,
    )  # fmt: skip
    x, t_x, age = (c.ravel() for c in validate_history(*given.columns))
    if weights is None:
        w = np.ones_like(x)
    else:
        w = as_float_array(weights, "weights", lower=0)
        if w.shape != x.shape:
            w = broadcast_arrays({"frequency": x, "weights": w})[1].copy()
    if x.size == 0 or not np.any(w > 0):
        raise InvalidInputError("frequency must hold at least one customer (weight > 0)")
    keep = w > 0
    columns = (x[keep], t_x[keep], age[keep])
    if columns[0].size < _COLLAPSE_ALWAYS or repetition_pays(*columns):
        (ux, utx, uT), uw, _ = collapse_rows(*columns, weights=w[keep])
    else:  # (nearly) every history distinct, e.g. continuous times: grouping costs more
        # (~0.7 us per row) than it saves (~30 ns per row and likelihood evaluation)
        (ux, utx, uT), uw = columns, w[keep]
    if not np.any(uT > 0):
        raise InvalidInputError(
            "T must be > 0 for at least one customer (weight > 0): histories observed for "
            "no time (T = 0) carry no information about the parameters"
        )
    return FitHistories(ux, utx, uT, uw, given.time_unit)
