"""Customer-lifetime-value models: purchase (BG/NBD), spend and contractual-churn (sBG) models,
and simulators."""

from __future__ import annotations

from custvalue.clv.bgbb import (
    BetaGeoBetaBinom,
    BetaGeoBetaBinomParams,
    DiscreteHistories,
    bgbb_histories,
)
from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.cash_flows import CLVCashFlows, clv_cash_flows
from custvalue.clv.comparison import ModelComparison, compare_models
from custvalue.clv.evaluation import HoldoutReport, evaluate
from custvalue.clv.gamma_gamma import (
    GammaGamma,
    GammaGammaParams,
    SpendFrequencyIndependence,
    spend_frequency_independence,
)
from custvalue.clv.intervals import CLVInterval, clv_interval
from custvalue.clv.mbgnbd import ModifiedBetaGeo, ModifiedBetaGeoParams
from custvalue.clv.pareto_nbd import ParetoNBD, ParetoNBDParams
from custvalue.clv.protocol import FittedModelLike, PurchaseModel
from custvalue.clv.resampling import BootstrapResult, bootstrap
from custvalue.clv.sbg import (
    RetentionCurve,
    ShiftedBetaGeo,
    ShiftedBetaGeoParams,
    SimulatedLifetimes,
)
from custvalue.clv.simulate import SimulatedHistories, simulate_bgnbd, simulate_pareto_nbd
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
    "BetaGeoBetaBinom",
    "BetaGeoBetaBinomParams",
    "BetaGeoParams",
    "BootstrapResult",
    "CLVCashFlows",
    "CLVInterval",
    "DiscreteHistories",
    "FittedModelLike",
    "GammaGamma",
    "GammaGammaParams",
    "HoldoutReport",
    "ModelComparison",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoParams",
    "ParetoNBD",
    "ParetoNBDParams",
    "PurchaseModel",
    "RetentionCurve",
    "ShiftedBetaGeo",
    "ShiftedBetaGeoParams",
    "SimulatedHistories",
    "SimulatedLifetimes",
    "SpendFrequencyIndependence",
    "SpendModel",
    "TransactionModel",
    "bgbb_histories",
    "bootstrap",
    "clv_cash_flows",
    "clv_interval",
    "compare_models",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "discounted_expected_transactions",
    "evaluate",
    "lifetimes_customer_lifetime_value",
    "score",
    "simulate_bgnbd",
    "simulate_pareto_nbd",
    "spend_frequency_independence",
]
