"""Customer-lifetime-value models: purchase (BG/NBD) and spend models, and simulators."""

from __future__ import annotations

from custvalue.clv.bgnbd import BetaGeo, BetaGeoParams
from custvalue.clv.simulate import SimulatedHistories, simulate_bgnbd

__all__ = [
    "BetaGeo",
    "BetaGeoParams",
    "SimulatedHistories",
    "simulate_bgnbd",
]
