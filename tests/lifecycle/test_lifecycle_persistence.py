"""Every lifecycle result round-trips through JSON bit-exactly and refuses foreign documents."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from custvalue.errors import InvalidInputError, PersistenceError
from custvalue.lifecycle import (
    MigrationEstimate,
    MigrationModel,
    RepurchasePosterior,
    StageAssignment,
    StageHistory,
    StagePolicy,
    estimate_migration,
    stage_history,
    tarp_tree,
)

P = [[0.0, 0.6, 0.0, 0.4], [0.0, 0.8, 0.2, 0.0], [0.0, 0.3, 0.4, 0.3], [0, 0, 0, 1]]
COUNTS = [[10, 30, 0, 60], [0, 80, 20, 0], [0, 15, 25, 10], [5, 0, 0, 95]]


def _results() -> list[Any]:
    model = MigrationModel(P)
    tree = tarp_tree(
        "minor", no_failure_rate=0.9, failure_share=0.2, complaint_share=0.3,
        quick_share=0.3, resolved_share=0.4, unresolved_share=0.3,
    )  # fmt: skip
    post = RepurchasePosterior.from_counts([60, 9, 3, 4, 3], [52, 4, 3, 3, 1])
    history = stage_history(
        [1, 1, 2], ["2020-01-01", "2020-02-01", "2020-01-15"], ["2020-01-31", "2020-02-29"],
        p_alive=lambda s: np.full(s.n_customers, 0.7),
    )  # fmt: skip
    return [
        StagePolicy().assign([1, 3, 5], [1.0, 0.3, 0.01]),
        model,
        model.value([0, 100, 20, 0], 0.1),
        model.value([0, 100, 20, 0], 0.1, horizon=12),
        model.absorbing(),
        model.what_if("RECOVER", "RETAIN", 0.5, [0, 100, 20, 0], 0.1),
        estimate_migration(COUNTS, prior=0.5),
        tree,
        tree.inclusive(),
        tree.gain("unresolved", "resolved", 0.01, n_customers=100, value_per_customer=10.0),
        post,
        post.summary(rng=0, n_draws=200),
        history,
    ]


@pytest.mark.parametrize("result", _results(), ids=lambda r: type(r).__name__)
def test_json_round_trip_and_html(result: Any) -> None:
    text = result.to_json()
    again = type(result).from_json(text)
    assert again == result
    assert again.to_json() == text  # bit-exact
    if hasattr(result, "_repr_html_"):
        assert result._repr_html_().startswith("<table>")
    with pytest.raises(PersistenceError, match=r"holds a"):
        (MigrationModel if type(result) is not MigrationModel else StageAssignment).from_json(text)


def test_malformed_documents() -> None:
    text = MigrationModel(P).to_json()
    with pytest.raises(PersistenceError):
        MigrationModel.from_json(text[:-5])
    doc = json.loads(text)
    doc["payload"]["matrix"] = {"float": 1.0}
    with pytest.raises(PersistenceError, match="matrix"):
        MigrationModel.from_json(json.dumps(doc))
    doc = json.loads(text)
    doc["payload"]["matrix"]["array"]["data"][1] = 0.7  # row 0 no longer sums to 1
    with pytest.raises(PersistenceError, match=r"not hold a valid MigrationModel: .*row sums"):
        MigrationModel.from_json(json.dumps(doc))
    bad = json.loads(StageAssignment(stages=[0, 1], reasons=[2, 10]).to_json())
    bad["payload"]["stages"]["array"]["data"] = [0, 7]
    with pytest.raises(PersistenceError, match="stages must be Stage codes"):
        StageAssignment.from_json(json.dumps(bad))
    with pytest.raises(InvalidInputError, match="stages must have shape"):
        StageHistory(
            customer_id=[1],
            cutoffs=["2020-01-01"],
            stages=[[0, 1]],
            reasons=[[2]],
            routed=[[False]],
        )
    est = estimate_migration(COUNTS)
    with pytest.raises(InvalidInputError, match="method"):
        MigrationEstimate(est.matrix, est.standard_errors, est.counts, est.prior, est.fixed, "x")
