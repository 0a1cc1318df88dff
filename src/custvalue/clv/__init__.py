"""Customer-lifetime-value models: purchase (BG/NBD) and spend models, and simulators."""

from __future__ import annotations

from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.comparison import ModelComparison, compare_models
from custvalue.clv.evaluation import HoldoutReport, evaluate
from custvalue.clv.gamma_gamma import (
    GammaGamma,
    GammaGammaParams,
    SpendFrequencyIndependence,
    spend_frequency_independence,
)
from custvalue.clv.protocol import FittedModelLike, PurchaseModel
from custvalue.clv.resampling import BootstrapResult, bootstrap
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
    "HoldoutReport",
    "ModelComparison",
    "PurchaseModel",
    "SimulatedHistories",
    "SpendFrequencyIndependence",
    "SpendModel",
    "TransactionModel",
    "bootstrap",
    "compare_models",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "discounted_expected_transactions",
    "evaluate",
    "lifetimes_customer_lifetime_value",
    "score",
    "simulate_bgnbd",
    "spend_frequency_independence",
]
