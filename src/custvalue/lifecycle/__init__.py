"""Lifecycle stages, customer migration between them, and repurchase-intent math.

- :mod:`~custvalue.lifecycle.stages`: the :class:`Stage` enum, allowed transitions, and the
  explainable :class:`StagePolicy` (stage + reason code per customer).
- :mod:`~custvalue.lifecycle.history`: stages at a series of cut-off dates from a transaction log.
- :mod:`~custvalue.lifecycle.estimation`: transition counts and the estimated transition matrix.
- :mod:`~custvalue.lifecycle.migration`: the Markov chain: value by stage (Pfeifer & Carraway
  2000), absorbing-chain facts, forecasts, simulation, what-if.
- :mod:`~custvalue.lifecycle.repurchase` and :mod:`~custvalue.lifecycle.repurchase_survey`: the
  service failure -> complaint -> resolution tree and survey posteriors;
  :mod:`~custvalue.lifecycle.tarp` the TARP preset; :mod:`~custvalue.lifecycle.recovery_link`
  the link into the RECOVER -> RETAIN transition; :mod:`~custvalue.lifecycle.retention_link`
  the churn out of RETAIN from a contractual (sBG) fit.
"""

from __future__ import annotations

from custvalue.lifecycle._common import ROW_SUM_TOLERANCE
from custvalue.lifecycle.estimation import MigrationEstimate, count_transitions, estimate_migration
from custvalue.lifecycle.history import PAliveModel, StageHistory, stage_history
from custvalue.lifecycle.migration import AbsorbingFacts, MigrationModel, StageValue, WhatIf
from custvalue.lifecycle.recovery_link import link_recovery, recovery_what_if
from custvalue.lifecycle.repurchase import (
    LEAVES,
    SHARE_TOLERANCE,
    InclusiveResolution,
    MoveGain,
    RepurchaseTree,
    intent_derivative_complaint_share,
    repurchase_intent,
)
from custvalue.lifecycle.repurchase_survey import IntentSummary, RepurchasePosterior
from custvalue.lifecycle.retention_link import link_retention, retention_churn_probability
from custvalue.lifecycle.stages import (
    ALLOWED_TRANSITIONS,
    ROUTING,
    Reason,
    Stage,
    StageAssignment,
    StagePolicy,
    allowed_matrix,
    check_transitions,
)
from custvalue.lifecycle.tarp import TARP_RATES, TarpRates, tarp_tree

__all__ = [
    "ALLOWED_TRANSITIONS",
    "LEAVES",
    "ROUTING",
    "ROW_SUM_TOLERANCE",
    "SHARE_TOLERANCE",
    "TARP_RATES",
    "AbsorbingFacts",
    "InclusiveResolution",
    "IntentSummary",
    "MigrationEstimate",
    "MigrationModel",
    "MoveGain",
    "PAliveModel",
    "Reason",
    "RepurchasePosterior",
    "RepurchaseTree",
    "Stage",
    "StageAssignment",
    "StageHistory",
    "StagePolicy",
    "StageValue",
    "TarpRates",
    "WhatIf",
    "allowed_matrix",
    "check_transitions",
    "count_transitions",
    "estimate_migration",
    "intent_derivative_complaint_share",
    "link_recovery",
    "link_retention",
    "recovery_what_if",
    "repurchase_intent",
    "retention_churn_probability",
    "stage_history",
    "tarp_tree",
]
