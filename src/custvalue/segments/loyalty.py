"""Satisfaction/loyalty quadrants (Jones & Sasser 1995) and the loyalty ladder (Griffin).

Satisfaction/loyalty quadrants, from survey scores (``high`` means score >= threshold; by
default the top box of the scale, as Jones & Sasser recommend - only "completely satisfied"
customers are reliably loyal):

==============  ============  =======
quadrant        satisfaction  loyalty
==============  ============  =======
Loyalist        high          high
Mercenary       high          low
Hostage         low           high
Defector        low           low
==============  ============  =======

Apostles are the extreme loyalists and terrorists the extreme defectors; pick them out with
stricter thresholds if your scale allows.

Loyalty ladder from purchase history (thresholds are parameters):

=======================  =======================================================
rung                     rule
=======================  =======================================================
Prospect                 0 purchases (a known contact who has not bought)
First-time customer      1 purchase
Repeat customer          ``repeat_min`` (2) .. ``client_min`` - 1 purchases
Client                   >= ``client_min`` (4) purchases
Advocate                 a client who has referred others (``referred`` flag)
=======================  =======================================================

Griffin's first rung, the *suspect* (anyone who might buy), is not visible in a purchase
history and is not produced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custvalue._frames import accepts_data
from custvalue._validation import as_scalar
from custvalue.errors import InvalidInputError
from custvalue.segments._inputs import as_customer_array, as_flag_array, check_same_length
from custvalue.segments._table import Segmentation, make_segmentation

__all__ = ["LADDER_RUNGS", "LOYALTY_QUADRANTS", "loyalty_ladder", "satisfaction_loyalty_quadrants"]

FloatArray = NDArray[np.float64]

#: Jones & Sasser quadrant names; codes index into this tuple.
LOYALTY_QUADRANTS = ("Loyalist", "Mercenary", "Hostage", "Defector")
#: Loyalty ladder rungs, lowest first; codes index into this tuple.
LADDER_RUNGS = ("Prospect", "First-time customer", "Repeat customer", "Client", "Advocate")


def _optional_value(value: ArrayLike | None, n: int) -> FloatArray | None:
    if value is None:
        return None
    arr = as_customer_array(value, "value")
    check_same_length({"customers": np.empty(n), "value": arr})
    return arr


@accepts_data("satisfaction", "loyalty", "value")
def satisfaction_loyalty_quadrants(
    satisfaction: ArrayLike,
    loyalty: ArrayLike,
    *,
    scale_max: float = 5.0,
    satisfaction_threshold: float | None = None,
    loyalty_threshold: float | None = None,
    value: ArrayLike | None = None,
    data: Any = None,
) -> Segmentation:
    """Jones & Sasser (1995) satisfaction/loyalty quadrants from survey scores.

    Parameters
    ----------
    satisfaction : array_like, shape (n,)
        Satisfaction score per customer, on a scale whose top is ``scale_max``.
    loyalty : array_like, shape (n,)
        Loyalty score (e.g. intention to repurchase) per customer, same scale.
    scale_max : float, default 5.0
        Top of the scale ("top box"); scores above it are an error.
    satisfaction_threshold, loyalty_threshold : float, optional
        Scores >= threshold are "high". Default: ``scale_max`` (top box only).
    value : array_like, shape (n,), optional
        Value per customer for the table; default 1 per customer.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``satisfaction``,
        ``loyalty``, ``value`` may be column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    Segmentation
        Labels from :data:`LOYALTY_QUADRANTS` and the per-quadrant table.

    References
    ----------
    Jones, T. O. & Sasser, W. E. (1995). Why satisfied customers defect. *Harvard Business
    Review* 73(6), 88-99.

    Examples
    --------
    >>> from custvalue.segments import satisfaction_loyalty_quadrants
    >>> q = satisfaction_loyalty_quadrants([5, 5, 3, 2], [5, 2, 5, 1])
    >>> q.labels.tolist()
    ['Loyalist', 'Mercenary', 'Hostage', 'Defector']
    """
    top = as_scalar(scale_max, "scale_max")
    sat = as_customer_array(satisfaction, "satisfaction", upper=top)
    loy = as_customer_array(loyalty, "loyalty", upper=top)
    n = check_same_length({"satisfaction": sat, "loyalty": loy})
    s_cut = (
        top
        if satisfaction_threshold is None
        else as_scalar(satisfaction_threshold, "satisfaction_threshold")
    )
    l_cut = top if loyalty_threshold is None else as_scalar(loyalty_threshold, "loyalty_threshold")
    high_s = sat >= s_cut
    high_l = loy >= l_cut
    codes = np.where(high_s, np.where(high_l, 0, 1), np.where(high_l, 2, 3)).astype(np.int64)
    val = _optional_value(value, n)
    return make_segmentation(
        codes, LOYALTY_QUADRANTS, val, value_name="customers" if val is None else "value"
    )


@accepts_data("purchase_count", "referred", "value")
def loyalty_ladder(
    purchase_count: ArrayLike,
    *,
    referred: ArrayLike | None = None,
    repeat_min: int = 2,
    client_min: int = 4,
    value: ArrayLike | None = None,
    data: Any = None,
) -> Segmentation:
    """Loyalty ladder rung of each customer from its purchase history.

    Parameters
    ----------
    purchase_count : array_like, shape (n,)
        Number of purchases (whole numbers >= 0).
    referred : array_like of bool, shape (n,), optional
        Whether the customer has referred others; clients who did are Advocates. Without it
        nobody is an Advocate.
    repeat_min : int, default 2
        Purchases needed to be a repeat customer (>= 2).
    client_min : int, default 4
        Purchases needed to be a client (> ``repeat_min``).
    value : array_like, shape (n,), optional
        Value per customer for the table; default 1 per customer.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``purchase_count``,
        ``referred``, ``value`` may be column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    Segmentation
        Labels from :data:`LADDER_RUNGS` and the per-rung table.

    References
    ----------
    Griffin, J. (1995). *Customer Loyalty: How to Earn It, How to Keep It*. Lexington Books.

    Examples
    --------
    >>> from custvalue.segments import loyalty_ladder
    >>> ladder = loyalty_ladder([0, 1, 2, 5, 7], referred=[False, True, False, False, True])
    >>> ladder.labels.tolist()
    ['Prospect', 'First-time customer', 'Repeat customer', 'Client', 'Advocate']
    """
    count = as_customer_array(purchase_count, "purchase_count", lower=0, integer=True)
    rep = as_scalar(repeat_min, "repeat_min", lower=2, integer=True)
    cli = as_scalar(client_min, "client_min", integer=True)
    if cli <= rep:
        raise InvalidInputError(f"client_min must be > repeat_min = {rep:g}; got {cli:g}")
    thresholds = np.array([1.0, rep, cli])
    codes = np.searchsorted(thresholds, count, side="right").astype(np.int64)
    if referred is not None:
        flags = as_flag_array(referred, "referred")
        check_same_length({"purchase_count": count, "referred": flags})
        codes[(codes == 3) & flags] = 4
    val = _optional_value(value, count.shape[0])
    return make_segmentation(
        codes, LADDER_RUNGS, val, value_name="customers" if val is None else "value"
    )
