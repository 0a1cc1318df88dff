"""Customer-lifetime-value models: purchase (BG/NBD), spend and contractual-churn (sBG) models,
and simulators."""

from __future__ import annotations

from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.gamma_gamma import (
    GammaGamma,
    GammaGammaParams,
    SpendFrequencyIndependence,
    spend_frequency_independence,
)
from custvalue.clv.protocol import FittedModelLike, PurchaseModel
from custvalue.clv.resampling import BootstrapResult, bootstrap
from custvalue.clv.sbg import (
    RetentionCurve,
    ShiftedBetaGeo,
    ShiftedBetaGeoParams,
    SimulatedLifetimes,
)
from custvalue.clv.simulate import SimulatedHistories, simulate_bgnbd
from custvalue.clv.value import (
    SpendModel,
    TransactionModel,
    continuous_discount_rate,
    customer_lifetime_value,
    discounted_expected_transactions,
    lifetimes_customer_lifetime_value,
)
from custvalue.frame import score

__all__ = [
    "BetaGeo",
    "BetaGeoParams",
    "BootstrapResult",
    "FittedModelLike",
    "GammaGamma",
    "GammaGammaParams",
    "PurchaseModel",
    "RetentionCurve",
    "ShiftedBetaGeo",
    "ShiftedBetaGeoParams",
    "SimulatedHistories",
    "SimulatedLifetimes",
    "SpendFrequencyIndependence",
    "SpendModel",
    "TransactionModel",
    "bootstrap",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "discounted_expected_transactions",
    "lifetimes_customer_lifetime_value",
    "score",
    "simulate_bgnbd",
    "spend_frequency_independence",
]
