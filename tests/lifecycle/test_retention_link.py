"""The sBG churn of a subscription base as the chain's exit from RETAIN."""

from __future__ import annotations

import numpy as np
import pytest

from custvalue.clv import ShiftedBetaGeo, ShiftedBetaGeoParams
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.lifecycle import (
    MigrationModel,
    Stage,
    link_retention,
    retention_churn_probability,
)

SBG = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
#: Subscription chain: RECOVER (cancelled, no win-back) terminates at once.
CHAIN = MigrationModel(
    [[0.0, 0.7, 0.0, 0.3], [0.0, 0.9, 0.1, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]]
)


@pytest.mark.parametrize("tenure", [0, 1, 4, 50])
def test_hazard_at_a_tenure_is_the_sbg_next_period_churn(tenure: int) -> None:
    rate = retention_churn_probability(SBG, tenure)
    a, b = 0.704, 1.182
    assert rate == pytest.approx(a / (a + b + tenure), rel=1e-13)
    assert rate == pytest.approx(1 - float(SBG.retention_rate(tenure + 1)), rel=1e-12)


def test_hazard_of_a_base_is_the_expected_churn_share_next_period() -> None:
    tenures = np.array([0, 0, 1, 3, 3, 3, 10])
    rate = retention_churn_probability(SBG, tenures)
    expected = np.mean([1 - float(SBG.survival(1, periods_survived=n)) for n in tenures])
    assert rate == pytest.approx(expected, rel=1e-12)
    # and it lies between the hazards of the oldest and the newest customers
    assert retention_churn_probability(SBG, 10) < rate < retention_churn_probability(SBG, 0)


def test_link_sets_the_exit_from_retain_and_matches_the_sbg_one_period_ahead() -> None:
    linked = link_retention(SBG, CHAIN, tenure=4)
    r, c = int(Stage.RETAIN), int(Stage.RECOVER)
    h = retention_churn_probability(SBG, 4)
    assert linked.matrix[r, c] == pytest.approx(h, rel=1e-15)
    assert linked.matrix[r].sum() == pytest.approx(1.0, abs=1e-15)
    # other rows untouched
    np.testing.assert_array_equal(
        np.delete(linked.matrix, r, axis=0), np.delete(CHAIN.matrix, r, 0)
    )
    # a cohort of 1000 customers with 4 renewals: one period later the chain keeps S(1 | 4)
    ahead = linked.forecast([0.0, 1000.0, 0.0, 0.0], 2)
    assert ahead[1, r] == pytest.approx(1000 * float(SBG.survival(1, periods_survived=4)))
    # two periods later the chain (constant hazard) keeps fewer than the sBG (falling hazard)
    assert ahead[2, r] < 1000 * float(SBG.survival(2, periods_survived=4))
    # with 'stay' renormalisation the difference comes from staying in RETAIN
    stay = link_retention(SBG, CHAIN, tenure=4, renormalize="stay")
    assert stay.matrix[r, r] == pytest.approx(1 - h, rel=1e-14)


def test_without_heterogeneity_chain_value_equals_sbg_derl() -> None:
    """alpha, beta -> infinity at fixed alpha / (alpha + beta) = h: every customer churns with
    probability h, the sBG hazard is constant, and the chain's value of RETAIN (reward m per
    period, churn worth 0) is m (1 + DERL / (1 + d))."""
    h, d, m = 0.2, 0.1, 30.0
    scale = 1e9
    sbg = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=h * scale, beta=(1 - h) * scale))
    linked = link_retention(sbg, CHAIN, tenure=0)
    value = linked.value([0.0, m, 0.0, 0.0], d).values[int(Stage.RETAIN)]
    derl = float(sbg.discounted_expected_residual_lifetime(d))
    assert value == pytest.approx(m * (1 + derl / (1 + d)), rel=1e-7)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match=r"tenure must be a whole number; .* index 1: 1.5"):
        link_retention(SBG, CHAIN, tenure=[1, 1.5])
    with pytest.raises(InvalidInputError, match=r"tenure must be >= 0"):
        retention_churn_probability(SBG, -1)
    with pytest.raises(InvalidInputError, match="at least one value"):
        retention_churn_probability(SBG, [])
    with pytest.raises(InvalidTypeError, match="sbg must be a ShiftedBetaGeo"):
        retention_churn_probability(CHAIN, 1)  # type: ignore[arg-type]
