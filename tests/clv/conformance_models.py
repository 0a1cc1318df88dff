"""The purchase models that the conformance battery (``test_conformance.py``) runs over.

A new purchase model gets the whole battery by adding one :class:`Case` to ``CASES``: a model
at typical parameters (with its time unit), the calibration window its simulated customers
get, and whether it counts discrete purchase opportunities (then ``t`` and ``T`` are whole
numbers of periods).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from custvalue.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoBetaBinomParams,
    BetaGeoParams,
    ModifiedBetaGeo,
    ModifiedBetaGeoParams,
    ParetoNBD,
    ParetoNBDParams,
)


@dataclass(frozen=True)
class Case:
    model: Any
    T: float
    discrete: bool = False
    fit_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return type(self.model).__name__


CASES = [
    Case(BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426), time_unit="W"), T=39.0),
    Case(ModifiedBetaGeo(ModifiedBetaGeoParams(0.525, 6.183, 0.891, 1.614), time_unit="W"), T=39.0),
    Case(ParetoNBD(ParetoNBDParams(0.553, 10.578, 0.606, 11.669), time_unit="W"), T=39.0),
    Case(
        BetaGeoBetaBinom(BetaGeoBetaBinomParams(1.204, 0.750, 0.657, 2.783), time_unit="Y"),
        T=6.0,
        discrete=True,
    ),
]
