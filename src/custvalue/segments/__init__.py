"""Value-based segmentation on plain numpy arrays (one entry per customer).

* RFM scores and named segment maps: :func:`rfm_scores`, :class:`SegmentMap`,
  :data:`RF_SEGMENT_MAP`, :func:`rfm_segments`;
* segments from predicted value (CLV, P(alive)): :func:`predicted_value_segments`;
* the customer pyramid (Zeithaml, Rust & Lemon 2001): :func:`customer_profit`,
  :func:`pyramid_tiers`, :func:`tier_profiles`, :func:`customer_pyramid`;
* Peppers & Rogers value classes: :func:`share_of_wallet`, :func:`market_share`,
  :func:`potential_value`, :func:`value_classes`;
* value concentration: :func:`lorenz_curve`, :func:`gini`, :func:`top_share`;
* satisfaction/loyalty: :func:`satisfaction_loyalty_quadrants`, :func:`loyalty_ladder`.

Every classifier returns labels plus a :class:`SegmentTable` (count, share of customers,
total / share / mean of value per segment).
"""

from __future__ import annotations

from custvalue.segments._table import Segmentation, SegmentTable
from custvalue.segments.concentration import LorenzCurve, gini, lorenz_curve, top_share
from custvalue.segments.loyalty import (
    LADDER_RUNGS,
    LOYALTY_QUADRANTS,
    loyalty_ladder,
    satisfaction_loyalty_quadrants,
)
from custvalue.segments.predicted import predicted_value_segments
from custvalue.segments.pyramid import (
    PYRAMID_TIERS,
    CustomerPyramid,
    customer_profit,
    customer_pyramid,
    pyramid_tiers,
    tier_profiles,
)
from custvalue.segments.rfm import RFMScores, rfm_scores
from custvalue.segments.segment_map import RF_SEGMENT_MAP, SegmentMap, SegmentRule, rfm_segments
from custvalue.segments.value_classes import (
    VALUE_CLASSES,
    market_share,
    potential_value,
    share_of_wallet,
    value_classes,
)

__all__ = [
    "LADDER_RUNGS",
    "LOYALTY_QUADRANTS",
    "PYRAMID_TIERS",
    "RF_SEGMENT_MAP",
    "VALUE_CLASSES",
    "CustomerPyramid",
    "LorenzCurve",
    "RFMScores",
    "SegmentMap",
    "SegmentRule",
    "SegmentTable",
    "Segmentation",
    "customer_profit",
    "customer_pyramid",
    "gini",
    "lorenz_curve",
    "loyalty_ladder",
    "market_share",
    "potential_value",
    "predicted_value_segments",
    "pyramid_tiers",
    "rfm_scores",
    "rfm_segments",
    "satisfaction_loyalty_quadrants",
    "share_of_wallet",
    "tier_profiles",
    "top_share",
    "value_classes",
]
