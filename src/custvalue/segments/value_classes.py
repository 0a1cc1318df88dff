"""Peppers & Rogers value classes and share of wallet.

* **MVC** (most valuable customers): the highest *actual* value;
* **MGC** (most growable customers): the highest *unrealised potential* (potential value -
  actual value) among the customers who are neither MVC nor BZ;
* **BZ** (below zero): actual value < 0 - the customer costs more than it returns;
* **Other**: everybody else.

Actual value is the customer's CLV net of cost to serve (or any value array you pass).
Potential value is either passed in, or estimated from **share of wallet**: a customer who
gives the firm a share ``s`` of its category spending could be worth ``actual / s``. Small
shares make that explode, so the estimate is capped at ``max_multiple`` times the actual value
(default 10, i.e. the share is floored at 10%); a customer with actual value <= 0 is given
potential = actual (no unrealised potential is inferred from a loss).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._frames import accepts_data
from custvalue._validation import as_scalar, fail_at
from custvalue.errors import InvalidInputError
from custvalue.segments._cutoffs import tiers_by_customer_share
from custvalue.segments._inputs import as_customer_array, check_same_length
from custvalue.segments._table import Segmentation, make_segmentation

__all__ = [
    "VALUE_CLASSES",
    "market_share",
    "potential_value",
    "share_of_wallet",
    "value_classes",
]

FloatArray = NDArray[np.float64]

#: Class names; codes index into this tuple.
VALUE_CLASSES = ("MVC", "MGC", "BZ", "Other")


def _spend_pair(firm_spend: ArrayLike, category_spend: ArrayLike) -> tuple[FloatArray, FloatArray]:
    firm = as_customer_array(firm_spend, "firm_spend", lower=0)
    category = as_customer_array(category_spend, "category_spend", lower=0, lower_inclusive=False)
    check_same_length({"firm_spend": firm, "category_spend": category})
    fail_at(
        "firm_spend",
        "must not exceed category_spend (the firm's spend is part of the category's)",
        firm,
        firm > category,
    )
    return firm, category


@accepts_data("firm_spend", "category_spend")
def share_of_wallet(
    firm_spend: ArrayLike,
    category_spend: ArrayLike,
    *,
    data: Any = None,
) -> FloatArray:
    """Share of wallet: the firm's share of each customer's spending in the category.

    ``SoW_i = firm_spend_i / category_spend_i``, in [0, 1].

    Parameters
    ----------
    firm_spend : array_like, shape (n,)
        What each customer spends with the firm, money units, >= 0.
    category_spend : array_like, shape (n,)
        What each customer spends in the whole category (the firm included), > 0, in the
        same unit and period.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``firm_spend``,
        ``category_spend`` may be column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    InvalidInputError
        NaN, negative spend, category spend <= 0, different lengths, or a firm spend above
        the category spend (the message names the first such customer).

    References
    ----------
    Peppers, D. & Rogers, M. (1993). *The One to One Future*. Currency Doubleday.

    Examples
    --------
    >>> from custvalue.segments import share_of_wallet
    >>> share_of_wallet([20.0, 0.0, 50.0], [100.0, 40.0, 50.0]).tolist()
    [0.2, 0.0, 1.0]
    """
    firm, category = _spend_pair(firm_spend, category_spend)
    sow: FloatArray = np.minimum(firm / category, 1.0)
    return sow


@accepts_data("firm_spend", "category_spend")
def market_share(
    firm_spend: ArrayLike,
    category_spend: ArrayLike,
    *,
    data: Any = None,
) -> float:
    """The firm's share of the customers' total category spending.

    ``sum(firm_spend) / sum(category_spend)``, which equals the category-spend-weighted mean
    of :func:`share_of_wallet`. Same inputs and errors as :func:`share_of_wallet`; with no
    customers at all it raises :class:`~custvalue.errors.InvalidInputError` (0/0).
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``firm_spend``,
        ``category_spend`` may be column names in it (needs ``custvalue[dataframe]``).

    Examples
    --------
    >>> from custvalue.segments import market_share
    >>> market_share([20.0, 0.0, 50.0], [100.0, 40.0, 50.0])
    0.3684210526315789
    """
    firm, category = _spend_pair(firm_spend, category_spend)
    if firm.size == 0:
        raise InvalidInputError("market_share needs at least one customer (0/0 is undefined)")
    return float(firm.sum() / category.sum())


@accepts_data("actual_value", "wallet_share")
def potential_value(
    actual_value: ArrayLike,
    wallet_share: ArrayLike,
    *,
    max_multiple: float = 10.0,
    data: Any = None,
) -> FloatArray:
    """Potential value from share of wallet: ``actual / share``, capped.

    Parameters
    ----------
    actual_value : array_like, shape (n,)
        Actual value per customer (e.g. CLV net of cost to serve), money units.
    wallet_share : array_like, shape (n,)
        Share of wallet in [0, 1] (from :func:`share_of_wallet`).
    max_multiple : float, default 10.0
        Cap: potential <= ``max_multiple * actual`` (equivalently the share is floored at
        ``1 / max_multiple``). Must be >= 1.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``actual_value``,
        ``wallet_share`` may be column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``actual / max(share, 1/max_multiple)`` where actual > 0; ``actual`` where actual <= 0.

    Examples
    --------
    >>> from custvalue.segments import potential_value
    >>> potential_value([100.0, 100.0, -5.0], [0.5, 0.01, 0.5]).tolist()
    [200.0, 1000.0, -5.0]
    """
    actual = as_customer_array(actual_value, "actual_value")
    share = as_customer_array(wallet_share, "wallet_share", lower=0, upper=1)
    cap = as_scalar(max_multiple, "max_multiple", lower=1)
    check_same_length({"actual_value": actual, "wallet_share": share})
    floor = np.maximum(share, 1.0 / cap)
    out: FloatArray = np.where(actual > 0, actual / floor, actual)
    return out


@accepts_data("actual_value", "potential", "wallet_share")
def value_classes(
    actual_value: ArrayLike,
    potential: ArrayLike | None = None,
    *,
    wallet_share: ArrayLike | None = None,
    mvc_share: float = 0.2,
    mgc_share: float = 0.2,
    max_multiple: float = 10.0,
    data: Any = None,
) -> Segmentation:
    """Classify customers as MVC, MGC, BZ or Other (Peppers & Rogers).

    Parameters
    ----------
    actual_value : array_like, shape (n,)
        Actual value per customer (CLV net of cost to serve, or any value), money units.
    potential : array_like, shape (n,), optional
        Potential value per customer, >= actual value. Give this or ``wallet_share``.
    wallet_share : array_like, shape (n,), optional
        Share of wallet; potential is then :func:`potential_value` (capped at
        ``max_multiple`` times the actual value).
    mvc_share : float, default 0.2
        Share of all customers taken as MVC (the highest actual values; BZ excluded).
    mgc_share : float, default 0.2
        Share of all customers taken as MGC: the highest unrealised potential among customers
        that are not MVC or BZ and have unrealised potential > 0.
    max_multiple : float, default 10.0
        Cap used with ``wallet_share``.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``actual_value``,
        ``potential``, ``wallet_share`` may be column names in it (needs
        ``custvalue[dataframe]``).

    Returns
    -------
    Segmentation
        Labels from :data:`VALUE_CLASSES`; table value = actual value, extra totals
        ``potential`` and ``unrealised`` (potential - actual).

    Raises
    ------
    InvalidInputError
        NaN, different lengths, potential below actual, neither/both of ``potential`` and
        ``wallet_share``, shares outside [0, 1] or ``mvc_share + mgc_share > 1``.

    Notes
    -----
    BZ is exactly the set of customers with actual value < 0. Customers tied at a cut-off
    are classed together (the class may hold slightly more than its share).

    References
    ----------
    Peppers, D. & Rogers, M. (2004). *Managing Customer Relationships*. Wiley, ch. 5.

    Examples
    --------
    >>> from custvalue.segments import value_classes
    >>> seg = value_classes([500.0, 80.0, 60.0, -20.0, 10.0], [600.0, 400.0, 70.0, -20.0, 12.0])
    >>> seg.labels.tolist()
    ['MVC', 'MGC', 'Other', 'BZ', 'Other']
    """
    actual = as_customer_array(actual_value, "actual_value")
    mvc = as_scalar(mvc_share, "mvc_share", lower=0, upper=1)
    mgc = as_scalar(mgc_share, "mgc_share", lower=0, upper=1)
    if mvc + mgc > 1:
        raise InvalidInputError(f"mvc_share + mgc_share must be <= 1; got {mvc!r} + {mgc!r}")
    if (potential is None) == (wallet_share is None):
        raise InvalidInputError("give exactly one of potential and wallet_share")
    if potential is not None:
        pot = as_customer_array(potential, "potential")
        check_same_length({"actual_value": actual, "potential": pot})
        fail_at("potential", "must be >= actual_value", pot, pot < actual)
    elif wallet_share is not None:
        pot = potential_value(actual, wallet_share, max_multiple=max_multiple)
    n = actual.shape[0]
    unrealised = pot - actual
    codes = np.full(n, 3, dtype=np.int64)
    bz = actual < 0
    codes[bz] = 2
    if n:
        top = tiers_by_customer_share(actual, np.array([mvc, 1.0 - mvc])) == 0
        is_mvc = top & ~bz
        codes[is_mvc] = 0
        eligible = np.flatnonzero(~bz & ~is_mvc & (unrealised > 0))
        if eligible.size:
            wanted = min(1.0, mgc * n / eligible.size)
            grow = tiers_by_customer_share(unrealised[eligible], np.array([wanted, 1.0 - wanted]))
            codes[eligible[grow == 0]] = 1
    return make_segmentation(
        codes,
        VALUE_CLASSES,
        actual,
        value_name="value",
        extra={"potential": pot, "unrealised": unrealised},
    )
