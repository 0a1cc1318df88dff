"""Rank-based cut-offs shared by the tiering tools (pyramid, predicted value, value classes).

Both rules depend on the values only (never on row order) and are monotone: a customer with a
higher value is never placed in a worse tier. Tier 0 is the best tier.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["tiers_by_customer_share", "tiers_by_value_share"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_TOL = 1e-9


def tiers_by_customer_share(values: FloatArray, shares: FloatArray) -> IntArray:
    """Tier codes 0..len(shares)-1 from shares of customers, best (highest value) first.

    Rule: with cumulative shares ``c_j`` (j < number of tiers), the threshold ``t_j`` is the
    value of the ``ceil(c_j n)``-th highest customer (``+inf`` when that rank is 0); a customer's
    tier is the number of thresholds strictly above its value. Customers tied with a threshold
    go to the better tier, so a tier may hold slightly more than its nominal share when values
    tie, and the tiers are exactly monotone in value. Cost O(n) (``np.partition``).
    """
    n = values.shape[0]
    cumulative = np.cumsum(shares)[:-1]
    ranks = np.ceil(cumulative * n - _TOL * max(n, 1)).astype(np.int64).clip(0, n)
    thresholds = np.full(ranks.shape, np.inf)
    positive = ranks > 0
    if n and positive.any():
        kth = np.unique(n - ranks[positive])
        part = np.partition(values, kth)
        thresholds[positive] = part[n - ranks[positive]]
    ascending = thresholds[::-1]
    above = ascending.size - np.searchsorted(ascending, values, side="right")
    return above.astype(np.int64)


def tiers_by_value_share(values: FloatArray, shares: FloatArray) -> IntArray:
    """Tier codes from cumulative shares of the total value, best first.

    Customers are taken from the highest value down; a customer goes to the first tier whose
    cumulative value share is not yet reached *before* it (so the tier that crosses a cut-off
    keeps the customer that crosses it). Tied customers are treated as one block and share a
    tier. Meant for non-negative values; when their total is 0 everyone is in tier 0.
    Cost O(n log n) (one sort).
    """
    n = values.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    uniq = ordered[starts]
    block = np.add.reduceat(ordered, starts)  # total value of each block of tied customers
    total = float(block.sum())
    # value held by all strictly higher blocks
    before = np.cumsum(block[::-1])[::-1] - block
    share_before = before / total if total > 0 else np.zeros_like(before)
    cumulative = np.cumsum(shares)[:-1]
    tier_of_block = np.searchsorted(cumulative - _TOL, share_before, side="right")
    # block tiers fall as values rise: lowest[t] = smallest value with tier <= t (+inf if none)
    first = np.searchsorted(-tier_of_block, -np.arange(cumulative.size), side="left")
    lowest = np.where(first < uniq.size, uniq[np.minimum(first, uniq.size - 1)], np.inf)
    tiers: IntArray = (lowest.size - np.searchsorted(lowest[::-1], values, side="right")).astype(
        np.int64
    )
    return tiers
