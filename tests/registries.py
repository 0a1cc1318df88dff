"""Registries of public classes by kind; each registry feeds one conformance battery.

Add a new public class to the registry of its kind and it gets that battery's checks
(``tests/test_results.py`` for results). ``tests/test_results.py`` also fails when a public
class is in no registry, so a new class cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from custvalue import clv, lifecycle, segments
from custvalue.datasets import (
    Donations,
    TransactionLog,
    load_cdnow_sample,
    load_cdnow_summary,
    load_donations,
)
from custvalue.summary import CalibrationHoldout, CustomerSummary, calibration_holdout_split

P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
COUNTS = [[10, 30, 0, 60], [0, 80, 20, 0], [0, 15, 25, 10], [5, 0, 0, 95]]
BG = clv.BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW weeks
SBG = clv.ShiftedBetaGeoParams(alpha=0.704, beta=1.182)  # FH 2007, "Regular"
GG = clv.GammaGammaParams(p=6.25, q=3.74, gamma=15.44)  # Fader & Hardie 2013
REVENUE = np.array([120.0, 80.0, 45.0, 30.0, 12.0, 9.0, 5.0, 0.0, 60.0, 20.0])


def _tree() -> lifecycle.RepurchaseTree:
    return lifecycle.tarp_tree(
        "minor", no_failure_rate=0.9, failure_share=0.2, complaint_share=0.3,
        quick_share=0.3, resolved_share=0.4, unresolved_share=0.3,
    )  # fmt: skip


def _history() -> lifecycle.StageHistory:
    return lifecycle.stage_history(
        [1, 1, 2], ["2020-01-01", "2020-02-01", "2020-01-15"], ["2020-01-31", "2020-02-29"],
        p_alive=lambda s: np.full(s.n_customers, 0.7),
    )  # fmt: skip


def _split() -> CalibrationHoldout:
    log = load_cdnow_sample()
    return calibration_holdout_split(
        log.customer_id, log.date, log.amount, calibration_end="1997-09-30",
        observation_end="1998-06-30", time_unit="W",
    )  # fmt: skip


def _holdout_report() -> clv.HoldoutReport:
    split = _split()
    return clv.evaluate(clv.BetaGeo.fit(split.calibration), split)


def _rfm() -> segments.RFMScores:
    s = load_cdnow_summary()
    return segments.rfm_scores(
        s.T - s.recency, s.frequency + 1, s.monetary_value * (s.frequency + 1)
    )


def _fit_bg(penalizer: float = 0.0) -> clv.BetaGeo:
    s = load_cdnow_summary()
    return clv.BetaGeo.fit(s.frequency, s.recency, s.T, penalizer=penalizer)


def _fit_pnbd() -> clv.ParetoNBD:
    return clv.ParetoNBD.fit(load_cdnow_summary())


def _fit_bgbb() -> clv.BetaGeoBetaBinom:
    d = load_donations()
    return clv.BetaGeoBetaBinom.fit(
        d.frequency, d.recency, d.periods, weights=d.weights, time_unit="Y"
    )


def _fit_gg() -> clv.GammaGamma:
    s = load_cdnow_summary()
    repeat = s.frequency > 0
    return clv.GammaGamma.fit(s.frequency[repeat], s.monetary_value[repeat])


def _bootstrap() -> clv.BootstrapResult:
    s = load_cdnow_summary()
    repeat = s.frequency > 0
    return clv.bootstrap(
        clv.GammaGamma, s.frequency[repeat], s.monetary_value[repeat], n_resamples=3, rng=0
    )


def _clv_interval() -> clv.CLVInterval:
    s = load_cdnow_summary()
    return clv.clv_interval(
        _fit_bg(), _fit_gg(), s.frequency[:8], s.recency[:8], s.T[:8], s.monetary_value[:8],
        horizon=52, discount_rate=0.002, n_resamples=5, rng=0,
    )  # fmt: skip


def _cash_flows() -> clv.CLVCashFlows:
    s = load_cdnow_summary()
    bg = clv.BetaGeo(BG, time_unit="W")
    gg = clv.GammaGamma(GG, time_unit="W")
    return clv.clv_cash_flows(
        bg, gg, s.frequency[:4], s.recency[:4], s.T[:4], s.monetary_value[:4],
        horizon="3M", annual_discount_rate=0.1,
    )  # fmt: skip


#: Every result class -> a function building a small example. Results tabulate themselves
#: (``to_columns()``); the battery in tests/test_results.py checks each.
RESULTS: dict[type, Callable[[], Any]] = {
    CustomerSummary: load_cdnow_summary,
    CalibrationHoldout: _split,
    clv.BetaGeo: _fit_bg,
    clv.ParetoNBD: _fit_pnbd,
    clv.BetaGeoBetaBinom: _fit_bgbb,
    clv.DiscreteHistories: lambda: clv.bgbb_histories(
        [1, 1, 2, 3, 3], [2000, 2002, 2001, 2000, 2000], last_period=2004, time_unit="Y"
    ),
    clv.GammaGamma: _fit_gg,
    clv.ModifiedBetaGeo: lambda: clv.ModifiedBetaGeo.fit(load_cdnow_summary()),
    TransactionLog: load_cdnow_sample,
    Donations: load_donations,
    clv.BootstrapResult: _bootstrap,
    clv.CLVInterval: _clv_interval,
    clv.CLVCashFlows: _cash_flows,
    clv.SimulatedHistories: lambda: clv.simulate_bgnbd(BG, np.full(20, 39.0), rng=0),
    clv.ModelComparison: lambda: clv.compare_models(
        {"BG/NBD": _fit_bg(), "BG/NBD, penalized": _fit_bg(penalizer=0.05)}
    ),
    clv.HoldoutReport: _holdout_report,
    clv.SpendFrequencyIndependence: lambda: clv.spend_frequency_independence(
        load_cdnow_summary().frequency, load_cdnow_summary().monetary_value
    ),
    segments.SegmentTable: lambda: segments.value_classes(REVENUE, REVENUE * 2).table,
    segments.Segmentation: lambda: segments.value_classes(REVENUE, REVENUE * 2),
    segments.CustomerPyramid: lambda: segments.customer_pyramid(REVENUE, REVENUE / 3),
    segments.RFMScores: _rfm,
    segments.LorenzCurve: lambda: segments.lorenz_curve(REVENUE),
    lifecycle.StageAssignment: lambda: lifecycle.StagePolicy().assign([1, 3, 5], [1.0, 0.3, 0.01]),
    lifecycle.StageHistory: _history,
    lifecycle.MigrationModel: lambda: lifecycle.MigrationModel(P),
    lifecycle.MigrationEstimate: lambda: lifecycle.estimate_migration(COUNTS, prior=0.5),
    lifecycle.StageValue: lambda: lifecycle.MigrationModel(P).value([0, 100, 20, 0], 0.1),
    lifecycle.AbsorbingFacts: lambda: lifecycle.MigrationModel(P).absorbing(),
    lifecycle.WhatIf: lambda: lifecycle.MigrationModel(P).what_if(
        "RECOVER", "RETAIN", 0.5, [0, 100, 20, 0], 0.1
    ),
    lifecycle.RepurchaseTree: _tree,
    lifecycle.InclusiveResolution: lambda: _tree().inclusive(),
    lifecycle.MoveGain: lambda: _tree().gain(
        "unresolved", "resolved", 0.01, n_customers=100, value_per_customer=10.0
    ),
    lifecycle.RepurchasePosterior: lambda: lifecycle.RepurchasePosterior.from_counts(
        [60, 9, 3, 4, 3], [52, 4, 3, 3, 1]
    ),
    lifecycle.IntentSummary: lambda: lifecycle.RepurchasePosterior.from_counts(
        [60, 9, 3, 4, 3], [52, 4, 3, 3, 1]
    ).summary(rng=0, n_draws=200),
    clv.ShiftedBetaGeo: lambda: clv.ShiftedBetaGeo.fit_survivors([1000, 631, 468, 382, 326]),
    clv.SimulatedLifetimes: lambda: clv.ShiftedBetaGeo(SBG).simulate(20, 6, rng=0),
    clv.RetentionCurve: lambda: clv.ShiftedBetaGeo(SBG).retention_curve(8),
}

#: Results whose notebook table shows another tabular object than their own rows, and why:
#: the battery checks the HTML against that object's columns.
HTML_SOURCE: dict[type, Callable[[Any], Any]] = {
    # per-customer labels: the notebook shows the per-segment table
    segments.Segmentation: lambda r: r.table,
    segments.CustomerPyramid: lambda r: r.table,
    segments.RFMScores: lambda r: r.table,
}

#: Results whose HTML is a summary, not a table of rows: the reason.
HTML_SUMMARY: dict[type, str] = {
    clv.BootstrapResult: "estimate, bootstrap s.e. and interval per parameter; rows via to_frame",
}

#: Results with a long and a wide layout.
TWO_LAYOUTS: set[type] = {
    clv.CLVCashFlows,
    lifecycle.MigrationModel,
    lifecycle.MigrationEstimate,
    lifecycle.StageHistory,
}

#: Public classes that are not results, with the kind they belong to. The persistable-class
#: registry (tests/test_persistence.py) and the data= registry live with their batteries.
NOT_RESULTS: dict[type, str] = {
    clv.BetaGeoParams: "parameters",
    clv.ParetoNBDParams: "parameters",
    clv.BetaGeoBetaBinomParams: "parameters",
    clv.GammaGammaParams: "parameters",
    clv.ModifiedBetaGeoParams: "parameters",
    clv.FittedModelLike: "protocol",
    clv.PurchaseModel: "protocol",
    clv.ShiftedBetaGeoParams: "parameters",
    clv.SpendModel: "protocol",
    clv.TransactionModel: "protocol",
    lifecycle.PAliveModel: "protocol",
    lifecycle.Stage: "enum",
    lifecycle.Reason: "enum",
    lifecycle.StagePolicy: "configuration",
    lifecycle.TarpRates: "configuration",
    segments.SegmentMap: "configuration",
    segments.SegmentRule: "configuration",
}
