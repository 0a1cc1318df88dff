"""Customer-lifetime-value models: purchase (BG/NBD) and spend models, and simulators."""

from __future__ import annotations

from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.cash_flows import CLVCashFlows, clv_cash_flows
from custvalue.clv.comparison import ModelComparison, compare_models
from custvalue.clv.gamma_gamma import (
    GammaGamma,
    GammaGammaParams,
    SpendFrequencyIndependence,
    spend_frequency_independence,
)
from custvalue.clv.intervals import CLVInterval, clv_interval
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
    "CLVCashFlows",
    "CLVInterval",
    "FittedModelLike",
    "GammaGamma",
    "GammaGammaParams",
    "ModelComparison",
    "PurchaseModel",
    "SimulatedHistories",
    "SpendFrequencyIndependence",
    "SpendModel",
    "TransactionModel",
    "bootstrap",
    "clv_cash_flows",
    "clv_interval",
    "compare_models",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "discounted_expected_transactions",
    "lifetimes_customer_lifetime_value",
    "score",
    "simulate_bgnbd",
    "spend_frequency_independence",
]
