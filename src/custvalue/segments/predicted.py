"""Segments from *predicted* value (CLV, P(alive)) rather than past behaviour.

Customers are ranked by predicted value (e.g. discounted CLV from :mod:`custvalue.clv`) into
value tiers by share of customers, and, when a probability of being alive is given, each tier
is split into "active" (P(alive) >= threshold) and "at risk". A high-value customer who is
probably inactive is the one to win back; a low-value active one is the one to develop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from custvalue._frames import accepts_data
from custvalue._validation import as_scalar
from custvalue.errors import InvalidInputError
from custvalue.segments._cutoffs import tiers_by_customer_share
from custvalue.segments._inputs import as_customer_array, as_shares, check_same_length
from custvalue.segments._table import Segmentation, make_segmentation

__all__ = ["predicted_value_segments"]


@accepts_data("predicted_value", "p_alive")
def predicted_value_segments(
    predicted_value: ArrayLike,
    p_alive: ArrayLike | None = None,
    *,
    shares: ArrayLike = (0.2, 0.3, 0.5),
    names: Sequence[str] = ("High value", "Medium value", "Low value"),
    alive_threshold: float = 0.5,
    data: Any = None,
) -> Segmentation:
    """Segment customers by predicted value and, optionally, by probability of being alive.

    Parameters
    ----------
    predicted_value : array_like, shape (n,)
        Predicted value per customer (e.g. CLV in money units).
    p_alive : array_like, shape (n,), optional
        Probability that each customer is still active, in [0, 1].
    shares : array_like, default (0.2, 0.3, 0.5)
        Shares of customers in each value tier, highest value first; each in [0, 1], summing
        to 1. Customers tied at a cut-off join the higher tier.
    names : sequence of str, default ("High value", "Medium value", "Low value")
        One name per tier.
    alive_threshold : float, default 0.5
        With ``p_alive``: a customer is "active" when ``p_alive >= alive_threshold``.
    data : DataFrame, optional
        A pandas, Polars or PyArrow frame, one row per customer; then ``predicted_value``,
        ``p_alive`` may be column names in it (needs ``custvalue[dataframe]``).

    Returns
    -------
    Segmentation
        Without ``p_alive``: one segment per tier. With it: ``"<tier>, active"`` and
        ``"<tier>, at risk"`` per tier, in that order. Table value = predicted value.

    Examples
    --------
    >>> from custvalue.segments import predicted_value_segments
    >>> seg = predicted_value_segments([500.0, 40, 30, 20, 10], [0.9, 0.2, 0.8, 0.6, 0.1],
    ...                                shares=(0.2, 0.8), names=("Top", "Rest"))
    >>> seg.labels.tolist()
    ['Top, active', 'Rest, at risk', 'Rest, active', 'Rest, active', 'Rest, at risk']
    """
    value = as_customer_array(predicted_value, "predicted_value")
    cuts = as_shares(shares, "shares")
    tier_names = [str(n) for n in names]
    if len(tier_names) != cuts.size:
        raise InvalidInputError(
            f"names must have one entry per share ({cuts.size}); got {len(tier_names)}"
        )
    if len(set(tier_names)) != len(tier_names):
        raise InvalidInputError(f"names must be distinct; got {tier_names}")
    tiers = tiers_by_customer_share(value, cuts)
    if p_alive is None:
        return make_segmentation(tiers, tier_names, value, value_name="predicted_value")
    alive = as_customer_array(p_alive, "p_alive", lower=0, upper=1)
    check_same_length({"predicted_value": value, "p_alive": alive})
    threshold = as_scalar(alive_threshold, "alive_threshold", lower=0, upper=1)
    codes = 2 * tiers + (alive < threshold).astype(np.int64)
    labels = [f"{n}, {state}" for n in tier_names for state in ("active", "at risk")]
    return make_segmentation(codes, labels, value, value_name="predicted_value")
