"""compare_models: information criteria, holdout errors and refusals of incomparable fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from custvalue.clv import BetaGeo, BetaGeoParams, GammaGamma, compare_models
from custvalue.datasets import load_cdnow_sample, load_cdnow_summary
from custvalue.errors import InvalidInputError, InvalidTypeError
from custvalue.summary import calibration_holdout_split

SUMMARY = load_cdnow_summary()


@pytest.fixture(scope="module")
def fits() -> dict[str, BetaGeo]:
    return {
        "plain": BetaGeo.fit(SUMMARY),
        "penalized": BetaGeo.fit(SUMMARY, penalizer=0.05),
    }


def test_information_criteria_are_the_textbook_formulas(fits: dict[str, BetaGeo]) -> None:
    """AIC = 2k - 2LL and BIC = k ln n - 2LL with k = 4, n = 2,357 (FHL 2005: LL -9582.4);
    catches ln(n) of the wrong n, k counted from the wrong place, or a sign."""
    table = compare_models(fits)
    ll = np.array([fits["plain"].log_likelihood, fits["penalized"].log_likelihood])
    np.testing.assert_array_equal(table.n_params, [4, 4])
    np.testing.assert_allclose(table.aic, 8 - 2 * ll, rtol=1e-15)
    np.testing.assert_allclose(table.bic, 4 * math.log(2357) - 2 * ll, rtol=1e-15)
    assert table.aic[0] == pytest.approx(19172.86, abs=0.1)  # -9582.43 on CDNOW
    assert table.best == "plain"
    np.testing.assert_array_equal(table.delta_aic, table.aic - table.aic[0])
    assert table.delta_aic[0] == 0.0
    assert table.akaike_weight.sum() == pytest.approx(1.0)
    expected_w = 1 / (1 + math.exp(-table.delta_aic[1] / 2))
    assert table.akaike_weight[0] == pytest.approx(expected_w, rel=1e-12)
    assert table.n_customers == 2357
    assert "holdout_mae" not in table.to_columns()
    assert "preferred by AIC: plain" in table.summary()


def test_rows_are_named_by_class_and_duplicates_numbered(fits: dict[str, BetaGeo]) -> None:
    table = compare_models([fits["plain"], fits["penalized"]])
    assert table.names == ("BetaGeo[0]", "BetaGeo[1]")
    assert compare_models([fits["plain"]]).names == ("BetaGeo",)
    assert table.nesting == (
        "BetaGeo[0] / BetaGeo[1]: same model class: compare fits by log-likelihood directly",
    )


def test_holdout_errors_are_those_of_the_expected_purchases() -> None:
    """MAE / RMSE / totals against a hand computation on the CDNOW calibration/holdout split."""
    log = load_cdnow_sample()
    split = calibration_holdout_split(
        log.customer_id, log.date, log.amount, calibration_end="1997-09-30",
        observation_end="1998-06-30", time_unit="W",
    )  # fmt: skip
    model = BetaGeo.fit(split.calibration)
    table = compare_models({"BG/NBD": model}, holdout=split)
    predicted = model.expected_purchases(split.holdout_duration, split.calibration)
    err = predicted - split.holdout_frequency
    assert table.holdout_mae[0] == pytest.approx(np.mean(np.abs(err)), rel=1e-12)
    assert table.holdout_rmse[0] == pytest.approx(np.sqrt(np.mean(err**2)), rel=1e-12)
    assert table.holdout_predicted[0] == pytest.approx(predicted.sum(), rel=1e-12)
    assert table.holdout_actual[0] == split.holdout_frequency.sum()
    assert split.holdout_duration == pytest.approx(39.0, abs=0.2)  # 1997-10-01 .. 1998-06-30
    assert "holdout_rmse" in table.to_columns()
    with pytest.raises(InvalidInputError, match=r"fit on holdout\.calibration"):
        compare_models([BetaGeo.fit(SUMMARY.frequency[:-1], SUMMARY.recency[:-1],
                                    SUMMARY.T[:-1], time_unit="W")], holdout=split)  # fmt: skip


def test_incomparable_models_are_refused(fits: dict[str, BetaGeo]) -> None:
    with pytest.raises(InvalidInputError, match="not fitted"):
        compare_models([fits["plain"], BetaGeo(BetaGeoParams(1, 1, 1, 1))])
    with pytest.raises(InvalidInputError, match="to 2357"):
        compare_models({"a": fits["plain"], "b": BetaGeo.fit(SUMMARY.frequency[:1000],
                        SUMMARY.recency[:1000], SUMMARY.T[:1000], time_unit="W")})  # fmt: skip
    with pytest.raises(InvalidInputError, match="time unit 'D'"):
        compare_models({"weeks": fits["plain"], "days": BetaGeo.fit(
            SUMMARY.frequency, SUMMARY.recency * 7, SUMMARY.T * 7, time_unit="D")})  # fmt: skip
    with pytest.raises(InvalidInputError, match="at least one"):
        compare_models([])
    with pytest.raises(InvalidTypeError, match="sequence or a mapping"):
        compare_models(fits["plain"])  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="fitted custvalue model"):
        compare_models({"x": "BetaGeo"})  # type: ignore[dict-item]
    gg = GammaGamma.fit(SUMMARY)
    with pytest.raises(InvalidInputError, match="946 customers"):
        compare_models({"bg": fits["plain"], "gg": gg})
