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

import math
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_html, columns_repr, freeze_columns
from custvalue._frames import accepts_data
from custvalue._validation import as_scalar, fail_at, readonly_array
from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.segments._inputs import as_customer_array

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
    scaled, exponent = _scaled(arr)
    total = float(scaled.sum())
    if not total > 0:
        with np.errstate(over="ignore"):
            shown = float(np.ldexp(total, exponent))
        raise InvalidInputError(f"values must have a total > 0 to compute shares; got {shown!r}")
    return np.sort(scaled)


def _scaled(values: FloatArray) -> tuple[FloatArray, int]:
    """``values * 2**-e`` with ``2**e`` the power of two just above the largest ``|value|``.

    Exact (a power of two), every value in [-1, 1]. Each concentration measure is a ratio of
    sums, unchanged by the scale, and the sums (at most ``n``, and ``n**2`` with the Gini
    weights) cannot overflow, however large the inputs up to the float64 limit.
    """
    top = float(np.max(np.abs(values)))
    exponent = math.frexp(top)[1] if top > 0 else 0
    return np.ldexp(values, -exponent), exponent


def lorenz_kernel(sorted_values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lorenz curve points from ascending values (kernel; total > 0 assumed, values scaled so
    that their sum stays finite, see :func:`_scaled`).

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

    customer_share: FloatArray = attrs.field(converter=readonly_array)
    value_share: FloatArray = attrs.field(converter=readonly_array)
    gini: float
    negative: str

    def __attrs_post_init__(self) -> None:
        if self.negative not in ("raise", "clip", "keep"):
            raise InvalidInputError(
                f"negative must be one of ('raise', 'clip', 'keep'); got {self.negative!r}"
            )
        x, y = self.customer_share, self.value_share
        if x.ndim != 1 or x.shape != y.shape or x.size < 2:
            raise InvalidInputError(
                f"customer_share and value_share must be 1-D of the same length n + 1 >= 2; got "
                f"shapes {x.shape} and {y.shape}"
            )
        for name, arr in (("customer_share", x), ("value_share", y)):
            fail_at(name, "must be finite", arr, ~np.isfinite(arr))
            if arr[0] != 0 or arr[-1] != 1:
                raise InvalidInputError(f"{name} must run from 0 to 1; got {arr[0]!r}..{arr[-1]!r}")
        fail_at("customer_share", "must increase", x, np.diff(x, prepend=-1.0) <= 0)
        upper = math.inf if self.negative == "keep" else 1.0
        as_scalar(self.gini, "gini", lower=0, upper=upper)

    def top_share(self, p: float) -> float:
        """Share of the total value held by the top ``p`` fraction of customers.

        Linear interpolation on the curve (exact when ``p n`` is a whole number).
        """
        frac = as_scalar(p, "p", lower=0, upper=1)
        return float(1.0 - np.interp(1.0 - frac, self.customer_share, self.value_share))

    def to_columns(self) -> Columns:
        """One row per curve point (``n + 1`` rows): ``customer_share`` and ``value_share``."""
        return freeze_columns(
            {"customer_share": self.customer_share, "value_share": self.value_share}
        )

    def _repr_html_(self) -> str:
        top = ", ".join(f"top {p:.0%} hold {self.top_share(p):.1%}" for p in (0.01, 0.1, 0.2))
        caption = (
            f"Lorenz curve of {self.customer_share.size - 1:,} customers, Gini {self.gini:.3f}; "
            f"{top}"
        )
        return columns_html(self.to_columns(), caption)

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
        arrays = {
            name: _persist.decode_array(_persist.require(p, name, dict, w), name)
            for name in ("customer_share", "value_share")
        }
        if any(arr.dtype != np.float64 for arr in arrays.values()):
            raise PersistenceError(f"{w}: the shares must be float64 arrays")
        with _persist.invalid_content(w):
            return cls(
                gini=_persist.decode_float(
                    _persist.require(p, "gini", (int, float, str), w), "gini"
                ),
                negative=_persist.require(p, "negative", str, w),
                **arrays,
            )

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), gini=self.gini)


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
