"""Value concentration: Lorenz curve, Gini coefficient and the share held by the top customers.

Negative values (customers who cost money) are handled by an explicit ``negative`` setting:

``"raise"`` (default)
    Negative values are an error: the classic Lorenz curve and Gini need values >= 0.
``"clip"``
    Negative values count as 0 (value destroyed is ignored; the curve stays in [0, 1]).
``"keep"``
    Kept as they are: the "whale curve" reading. The curve starts by going *below* 0 (the
    loss-makers come first), the top customers can hold more than 100% of the total value,
    and the Gini coefficient can exceed 1. The total must still be > 0.

In every mode the total value must be > 0 (otherwise shares of it are undefined).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._frames import accepts_data
from custvalue._html import TableView, html_table, text_table
from custvalue._validation import as_scalar, fail_at
from custvalue.errors import InvalidInputError
from custvalue.segments._inputs import as_customer_array
from custvalue.segments._table import _frozen_array

__all__ = ["LorenzCurve", "gini", "lorenz_curve", "top_share"]

FloatArray = NDArray[np.float64]
Negative = Literal["raise", "clip", "keep"]


def _prepare(values: ArrayLike, negative: str) -> FloatArray:
    if negative not in ("raise", "clip", "keep"):
        raise InvalidInputError(
            f"negative must be one of ('raise', 'clip', 'keep'); got {negative!r}"
        )
    arr = as_customer_array(values, "values", allow_empty=False)
    if negative == "raise":
        fail_at(
            "values",
            "must be >= 0 (pass negative='clip' or 'keep' to handle customers who cost money)",
            arr,
            arr < 0,
        )
    elif negative == "clip":
        arr = np.maximum(arr, 0.0)
    total = float(arr.sum())
    if not total > 0:
        raise InvalidInputError(f"values must have a total > 0 to compute shares; got {total!r}")
    return np.sort(arr)


def lorenz_kernel(sorted_values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve points from ascending values (kernel; total > 0 assumed).

    Returns ``(customer_share, value_share)``, each of length n + 1, from (0, 0) to (1, 1).
    """
    n = sorted_values.shape[0]
    cum = np.concatenate([[0.0], np.cumsum(sorted_values)])
    value_share = cum / cum[-1]
    value_share[-1] = 1.0
    return np.arange(n + 1) / n, value_share


def gini_kernel(sorted_values: FloatArray) -> float:
    """Gini coefficient of ascending values: ``sum_i (2i - n - 1) x_(i) / (n sum x)``.

    Equal to 1 - 2 x (area under the Lorenz curve); in [0, (n-1)/n] for values >= 0. The
    numerator is a sum of pairwise differences of sorted values, so it is >= 0 exactly; it is
    clipped at 0 to remove rounding noise (equal values give exactly 0).
    """
    n = sorted_values.shape[0]
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    return max(0.0, float(weights @ sorted_values / (n * sorted_values.sum())))


@attrs.frozen(eq=False)
class LorenzCurve:
    """Lorenz curve of a value array: customers sorted from the lowest value up.

    Attributes
    ----------
    customer_share : numpy.ndarray, shape (n + 1,)
        Cumulative share of customers, 0, 1/n, ..., 1.
    value_share : numpy.ndarray, shape (n + 1,)
        Cumulative share of the total value held by those customers; 0 first, 1 last.
    gini : float
        Gini coefficient (1 - 2 x the area under the curve).
    negative : str
        How negative values were handled (see the module docstring).
    """

    customer_share: FloatArray = attrs.field(converter=_frozen_array)
    value_share: FloatArray = attrs.field(converter=_frozen_array)
    gini: float
    negative: str

    def top_share(self, p: float) -> float:
        """Share of the total value held by the top ``p`` fraction of customers.

        Linear interpolation on the curve (exact when ``p n`` is a whole number).
        """
        frac = as_scalar(p, "p", lower=0, upper=1)
        return float(1.0 - np.interp(1.0 - frac, self.customer_share, self.value_share))

    def _view(self) -> TableView:
        caption = f"LorenzCurve: {self.customer_share.size - 1:,} customers, Gini {self.gini:.3f}"
        rows: list[list[Any]] = [
            [f"top {p:.0%}", f"{self.top_share(p):.1%}"] for p in (0.01, 0.05, 0.1, 0.2, 0.5)
        ]
        return TableView(["customers", "share of value"], rows, caption)

    def _repr_html_(self) -> str:
        return html_table(*self._view())

    def __repr__(self) -> str:
        return text_table(*self._view())

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        payload: dict[str, Any] = {
            "customer_share": _persist.encode_array(self.customer_share),
            "value_share": _persist.encode_array(self.value_share),
            "gini": _persist.encode_float(self.gini),
            "negative": self.negative,
        }
        return _persist.dumps("LorenzCurve", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> LorenzCurve:
        """Load a curve written by :meth:`to_json`."""
        p = _persist.loads(text, "LorenzCurve")
        w = "LorenzCurve"
        return cls(
            customer_share=_persist.decode_array(_persist.require(p, "customer_share", dict, w)),
            value_share=_persist.decode_array(_persist.require(p, "value_share", dict, w)),
            gini=_persist.decode_float(_persist.require(p, "gini", (int, float, str), w)),
            negative=_persist.require(p, "negative", str, w),
        )


@accepts_data("values")
def lorenz_curve(
    values: ArrayLike,
    *,
    negative: Negative = "raise",
    data: Any = None,
) -> LorenzCurve:
    """Lorenz curve and Gini coefficient of a per-customer value array.

    Parameters
    ----------
    values : array_like, shape (n,)
        Value per customer (spend, profit, CLV ...), any money unit; n >= 1.
    negative : {"raise", "clip", "keep"}, default "raise"
        How negative values are handled (see the module docstring).
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``values`` may be
        column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    LorenzCurve

    Raises
    ------
    InvalidInputError
        NaN/inf, empty input, negative values with ``negative="raise"``, total <= 0.

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *Publications of
    the American Statistical Association* 9(70), 209-219. Gini, C. (1912). *Variabilità e
    mutabilità*.

    Examples
    --------
    >>> from custvalue.segments import lorenz_curve
    >>> curve = lorenz_curve([1.0, 1.0, 2.0, 4.0])
    >>> curve.value_share.tolist(), curve.gini
    ([0.0, 0.125, 0.25, 0.5, 1.0], 0.3125)
    """
    ordered = _prepare(values, negative)
    x, y = lorenz_kernel(ordered)
    return LorenzCurve(
        customer_share=x, value_share=y, gini=gini_kernel(ordered), negative=negative
    )


@accepts_data("values")
def gini(
    values: ArrayLike,
    *,
    negative: Negative = "raise",
    data: Any = None,
) -> float:
    """Gini coefficient of a per-customer value array (see :func:`lorenz_curve`).

    In [0, 1) for values >= 0: 0 when all customers are worth the same, (n-1)/n when one
    customer holds everything.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``values`` may be
        column names in it (needs ``custvalue[dataframe]``).

    Examples
    --------
    >>> from custvalue.segments import gini
    >>> gini([0.0, 0.0, 0.0, 10.0])
    0.75
    """
    return gini_kernel(_prepare(values, negative))


@accepts_data("values")
def top_share(
    values: ArrayLike,
    p: float = 0.2,
    *,
    negative: Negative = "raise",
    data: Any = None,
) -> float:
    """Share of the total value held by the top ``p`` fraction of customers (the 80/20 check).

    Parameters
    ----------
    values : array_like, shape (n,)
        Value per customer.
    p : float, default 0.2
        Fraction of customers, in [0, 1]; interpolated linearly between customers.
    negative : {"raise", "clip", "keep"}, default "raise"
        With ``"keep"`` the result can exceed 1 (the whale curve).
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``values`` may be
        column names in it (needs ``custvalue[dataframe]``).

    Examples
    --------
    >>> from custvalue.segments import top_share
    >>> top_share([1.0, 1.0, 1.0, 1.0, 6.0], 0.2)
    0.6
    """
    frac = as_scalar(p, "p", lower=0, upper=1)
    ordered = _prepare(values, negative)
    x, y = lorenz_kernel(ordered)
    return float(1.0 - np.interp(1.0 - frac, x, y))
