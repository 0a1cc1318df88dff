"""The customer pyramid (Zeithaml, Rust & Lemon 2001): Platinum, Gold, Iron and Lead tiers.

The procedure as composable steps:

1. :func:`customer_profit` - profit per customer = revenue - cost to serve (- acquisition cost);
2. :func:`pyramid_tiers` - tier cut-offs, by share of customers (default) or by cumulative
   share of profit, plus the Lead rule for unprofitable customers;
3. :func:`tier_profiles` - size, revenue, cost, profit and share of profit per tier;

and :func:`customer_pyramid` runs all three.

Default cut-offs, and how they interact. The article fixes no cut-offs. Two conventions are
combined, and both can be changed:

* ``customer_shares=(0.2, 0.3, 0.3, 0.2)``: Platinum = the 20% most profitable customers,
  Gold the next 30%, Iron the next 30%, Lead the bottom 20% (a common secondary-source rule);
* ``lead_threshold=0.0``: a customer with profit below the threshold costs money and is
  *always* Lead, whatever its rank.

So Lead = (bottom 20% by profit) plus (every customer with profit < 0). When more than 20% of
customers are unprofitable, Lead grows and the tiers above keep their shares counted from the
top (Iron shrinks first). For Lead = *exactly* the unprofitable customers, use
``customer_shares=(0.2, 0.3, 0.5, 0.0)``; for a pure share split, ``lead_threshold=None``.

With ``cutoff="profit_share"`` the Lead tier is only the threshold rule (it must then be a
number >= 0), and the remaining customers, from the most profitable down, fill Platinum until
they hold ``profit_shares[0]`` of the remaining profit, Gold until the next share, Iron the
rest (default ``(0.5, 0.3, 0.2)``).

Ties: customers with equal profit are always in the same tier (a tier may then hold a little
more than its nominal share); tiers are monotone in profit.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue import _persist
from custvalue._columns import Columns, columns_repr, freeze_columns
from custvalue._frames import accepts_data
from custvalue._validation import as_scalar, fail_at, readonly_array
from custvalue.errors import InvalidInputError
from custvalue.segments._cutoffs import tiers_by_customer_share, tiers_by_value_share
from custvalue.segments._inputs import as_customer_array, as_shares, check_same_length
from custvalue.segments._table import Segmentation, SegmentTable, make_segmentation

__all__ = [
    "PYRAMID_TIERS",
    "CustomerPyramid",
    "customer_profit",
    "customer_pyramid",
    "pyramid_tiers",
    "tier_profiles",
]

FloatArray = NDArray[np.float64]

#: Tier names, best first; tier codes index into this tuple.
PYRAMID_TIERS = ("Platinum", "Gold", "Iron", "Lead")

DEFAULT_CUSTOMER_SHARES = (0.2, 0.3, 0.3, 0.2)
DEFAULT_PROFIT_SHARES = (0.5, 0.3, 0.2)


@accepts_data("revenue", "cost_to_serve", "acquisition_cost")
def customer_profit(
    revenue: ArrayLike,
    cost_to_serve: ArrayLike,
    acquisition_cost: ArrayLike | None = None,
    *,
    data: Any = None,
) -> FloatArray:
    """Profit per customer: ``revenue - cost_to_serve - acquisition_cost``.

    Parameters
    ----------
    revenue : array_like, shape (n,)
        Revenue (or margin, or CLV) per customer, in money units.
    cost_to_serve : array_like, shape (n,)
        Cost of serving each customer over the same period, money units, >= 0.
    acquisition_cost : array_like, shape (n,), optional
        Acquisition cost per customer, money units, >= 0; omitted means 0.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``revenue``,
        ``cost_to_serve``, ``acquisition_cost`` may be column names in it (needs
        ``custvalue[dataframe]``).

    Returns
    -------
    numpy.ndarray, shape (n,)

    References
    ----------
    Zeithaml, V. A., Rust, R. T. & Lemon, K. N. (2001). The customer pyramid: creating and
    serving profitable customers. *California Management Review* 43(4), 118-142.

    Examples
    --------
    >>> from custvalue.segments import customer_profit
    >>> customer_profit([100.0, 50.0], [30.0, 60.0]).tolist()
    [70.0, -10.0]
    """
    rev = as_customer_array(revenue, "revenue")
    cost = as_customer_array(cost_to_serve, "cost_to_serve", lower=0)
    arrays = {"revenue": rev, "cost_to_serve": cost}
    if acquisition_cost is not None:
        arrays["acquisition_cost"] = as_customer_array(
            acquisition_cost, "acquisition_cost", lower=0
        )
    check_same_length(arrays)
    profit: FloatArray = rev - cost
    if acquisition_cost is not None:
        profit = profit - arrays["acquisition_cost"]
    return profit


@accepts_data("profit")
def pyramid_tiers(
    profit: ArrayLike,
    *,
    cutoff: Literal["customer_share", "profit_share"] = "customer_share",
    shares: ArrayLike | None = None,
    lead_threshold: float | None = 0.0,
    data: Any = None,
) -> NDArray[np.int64]:
    """Tier code of each customer (0 Platinum, 1 Gold, 2 Iron, 3 Lead).

    Parameters
    ----------
    profit : array_like, shape (n,)
        Profit per customer (money units), e.g. from :func:`customer_profit`.
    cutoff : {"customer_share", "profit_share"}, default "customer_share"
        Cut the tiers by shares of customers or by cumulative shares of profit.
    shares : array_like, optional
        ``"customer_share"``: four shares of customers (Platinum, Gold, Iron, Lead), each in
        [0, 1], summing to 1; default (0.2, 0.3, 0.3, 0.2). ``"profit_share"``: three shares of
        profit (Platinum, Gold, Iron); default (0.5, 0.3, 0.2).
    lead_threshold : float or None, default 0.0
        Customers with ``profit < lead_threshold`` are Lead. ``None`` turns the rule off
        (``"customer_share"`` only).
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``profit`` may be
        column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Index into :data:`PYRAMID_TIERS`.

    Raises
    ------
    InvalidInputError
        NaN/inf profit, shares of the wrong length, outside [0, 1] or not summing to 1,
        or an invalid ``lead_threshold``.
    """
    return _tier_codes(as_customer_array(profit, "profit"), cutoff, shares, lead_threshold)


def _tier_codes(
    values: FloatArray, cutoff: str, shares: ArrayLike | None, lead_threshold: float | None
) -> NDArray[np.int64]:
    """:func:`pyramid_tiers` on a checked profit array (settings are checked here)."""
    threshold = None if lead_threshold is None else as_scalar(lead_threshold, "lead_threshold")
    if cutoff == "customer_share":
        cuts = as_shares(DEFAULT_CUSTOMER_SHARES if shares is None else shares, "shares", length=4)
        codes = tiers_by_customer_share(values, cuts)
        if threshold is not None:
            codes[values < threshold] = 3
        return codes
    if cutoff == "profit_share":
        cuts = as_shares(DEFAULT_PROFIT_SHARES if shares is None else shares, "shares", length=3)
        if threshold is None or threshold < 0:
            raise InvalidInputError(
                "lead_threshold must be a number >= 0 with cutoff='profit_share'; "
                f"got {threshold!r}"
            )
        lead = values < threshold
        codes = np.full(values.shape[0], 3, dtype=np.int64)
        codes[~lead] = tiers_by_value_share(values[~lead], cuts)
        return codes
    raise InvalidInputError(
        f"cutoff must be one of ('customer_share', 'profit_share'); got {cutoff!r}"
    )


@accepts_data("tiers", "revenue", "cost", "profit")
def tier_profiles(
    tiers: ArrayLike,
    revenue: ArrayLike,
    cost: ArrayLike,
    profit: ArrayLike | None = None,
    *,
    data: Any = None,
) -> SegmentTable:
    """Per-tier profile: size, share of customers, revenue, cost, profit and share of profit.

    Parameters
    ----------
    tiers : array_like of int, shape (n,)
        Tier codes 0..3 (from :func:`pyramid_tiers`).
    revenue, cost : array_like, shape (n,)
        Revenue and total cost (cost to serve plus acquisition cost) per customer.
    profit : array_like, shape (n,), optional
        Default ``revenue - cost``.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``tiers``,
        ``revenue``, ``cost``, ``profit`` may be column names in it (needs
        ``custvalue[dataframe]``).

    Returns
    -------
    SegmentTable
        Value column ``profit`` (total, share, mean); extra totals ``revenue`` and ``cost``.
    """
    return _pyramid_segmentation(tiers, revenue, cost, profit).table


def _pyramid_segmentation(
    tiers: ArrayLike, revenue: ArrayLike, cost: ArrayLike, profit: ArrayLike | None
) -> Segmentation:
    codes = as_customer_array(tiers, "tiers", lower=0, upper=3, integer=True)
    rev = as_customer_array(revenue, "revenue")
    cst = as_customer_array(cost, "cost")
    check_same_length({"tiers": codes, "revenue": rev, "cost": cst})
    prof = rev - cst if profit is None else as_customer_array(profit, "profit")
    check_same_length({"tiers": codes, "profit": prof})
    return _profile(codes.astype(np.int64), rev, cst, prof)


def _profile(
    codes: NDArray[np.int64], revenue: FloatArray, cost: FloatArray, profit: FloatArray
) -> Segmentation:
    return make_segmentation(
        codes, PYRAMID_TIERS, profit, value_name="profit", extra={"revenue": revenue, "cost": cost}
    )


@attrs.frozen(eq=False)
class CustomerPyramid:
    """Result of :func:`customer_pyramid`.

    Attributes
    ----------
    tiers : Segmentation
        Tier of each customer and the tier profile table (value = profit; extras revenue, cost).
    profit : numpy.ndarray, shape (n,)
        Profit per customer.
    cutoff : str
        ``"customer_share"`` or ``"profit_share"``.
    shares : numpy.ndarray
        The shares used.
    lead_threshold : float or None
        The Lead rule used.
    """

    tiers: Segmentation
    profit: FloatArray = attrs.field(converter=readonly_array)
    cutoff: str
    shares: FloatArray = attrs.field(converter=readonly_array)
    lead_threshold: float | None

    def __attrs_post_init__(self) -> None:
        if self.cutoff not in ("customer_share", "profit_share"):
            raise InvalidInputError(
                f"cutoff must be 'customer_share' or 'profit_share'; got {self.cutoff!r}"
            )
        if self.profit.shape != self.tiers.codes.shape:
            raise InvalidInputError(
                f"profit must have one entry per customer {self.tiers.codes.shape}; got "
                f"{self.profit.shape}"
            )
        if self.profit.dtype.kind != "f" or self.shares.dtype.kind != "f":
            raise InvalidInputError("profit and shares must be float arrays")
        fail_at("profit", "must be finite", self.profit, ~np.isfinite(self.profit))
        s = self.shares
        fail_at("shares", "must be in [0, 1]", s, ~((s >= 0) & (s <= 1)))
        if self.lead_threshold is not None:
            as_scalar(self.lead_threshold, "lead_threshold")

    @property
    def labels(self) -> NDArray[np.str_]:
        """Tier name of each customer."""
        return self.tiers.labels

    @property
    def table(self) -> SegmentTable:
        """The tier profiles."""
        return self.tiers.table

    def to_columns(self) -> Columns:
        """One row per customer: ``tier`` (names) and ``profit``. Tier profiles: ``table``."""
        return freeze_columns({"tier": self.labels, "profit": self.profit})

    def _repr_html_(self) -> str:
        return self.tiers._repr_html_()

    def to_json(self) -> str:
        """Serialise to a versioned JSON document (bit-exact round trip)."""
        payload: dict[str, Any] = {
            "tiers": self.tiers.to_json(),
            "profit": _persist.encode_array(self.profit),
            "cutoff": self.cutoff,
            "shares": _persist.encode_array(self.shares),
            "lead_threshold": None
            if self.lead_threshold is None
            else _persist.encode_float(self.lead_threshold),
        }
        return _persist.dumps("CustomerPyramid", payload)

    @classmethod
    def from_json(cls, text: str | bytes) -> CustomerPyramid:
        """Load a pyramid written by :meth:`to_json`."""
        p = _persist.loads(text, "CustomerPyramid")
        w = "CustomerPyramid"
        threshold = p.get("lead_threshold")
        with _persist.invalid_content(w):
            return cls(
                tiers=Segmentation.from_json(_persist.require(p, "tiers", str, w)),
                profit=_persist.decode_array(_persist.require(p, "profit", dict, w), "profit"),
                cutoff=_persist.require(p, "cutoff", str, w),
                shares=_persist.decode_array(_persist.require(p, "shares", dict, w), "shares"),
                lead_threshold=None
                if threshold is None
                else _persist.decode_float(threshold, "lead_threshold"),
            )

    def __repr__(self) -> str:
        return columns_repr(self, self.to_columns(), cutoff=self.cutoff)


@accepts_data("revenue", "cost_to_serve", "acquisition_cost")
def customer_pyramid(
    revenue: ArrayLike,
    cost_to_serve: ArrayLike,
    acquisition_cost: ArrayLike | None = None,
    *,
    cutoff: Literal["customer_share", "profit_share"] = "customer_share",
    shares: ArrayLike | None = None,
    lead_threshold: float | None = 0.0,
    data: Any = None,
) -> CustomerPyramid:
    """Build the customer pyramid: profit, tiers and tier profiles in one call.

    Parameters are those of :func:`customer_profit` and :func:`pyramid_tiers`; see the module
    docstring for the default cut-offs and how the Lead rule interacts with them.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``revenue``,
        ``cost_to_serve``, ``acquisition_cost`` may be column names in it (needs
        ``custvalue[dataframe]``).

    Returns
    -------
    CustomerPyramid

    References
    ----------
    Zeithaml, V. A., Rust, R. T. & Lemon, K. N. (2001). The customer pyramid: creating and
    serving profitable customers. *California Management Review* 43(4), 118-142.

    Examples
    --------
    >>> from custvalue.segments import customer_pyramid
    >>> p = customer_pyramid([900.0, 400, 300, 200, 150, 120, 100, 90, 60, 40],
    ...                      [100.0, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    >>> p.labels.tolist()
    ['Platinum', 'Platinum', 'Gold', 'Gold', 'Gold', 'Iron', 'Iron', 'Lead', 'Lead', 'Lead']
    """
    profit = customer_profit(revenue, cost_to_serve, acquisition_cost)
    rev = as_customer_array(revenue, "revenue")
    cost = rev - profit
    codes = _tier_codes(profit, cutoff, shares, lead_threshold)
    used = (
        np.asarray(shares, dtype=np.float64)
        if shares is not None
        else np.asarray(
            DEFAULT_CUSTOMER_SHARES if cutoff == "customer_share" else DEFAULT_PROFIT_SHARES
        )
    )
    return CustomerPyramid(
        tiers=_profile(codes, rev, cost, profit),
        profit=profit,
        cutoff=cutoff,
        shares=used,
        lead_threshold=None if lead_threshold is None else float(lead_threshold),
    )
