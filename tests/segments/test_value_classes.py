"""Share of wallet and Peppers & Rogers value classes."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import customer_values, spend_pairs

from custvalue.errors import InvalidInputError
from custvalue.segments import (
    VALUE_CLASSES,
    Segmentation,
    market_share,
    potential_value,
    share_of_wallet,
    value_classes,
)


@given(spend_pairs())
def test_share_of_wallet_in_unit_interval_and_weighted_mean_is_market_share(pair) -> None:
    firm, category = (np.array(a) for a in pair)
    sow = share_of_wallet(firm, category)
    assert ((sow >= 0) & (sow <= 1)).all()
    weighted = float(np.sum(category * sow) / np.sum(category))
    assert weighted == pytest.approx(market_share(firm, category), rel=1e-12, abs=1e-300)
    assert market_share(firm, category) == pytest.approx(firm.sum() / category.sum(), rel=1e-15)


def test_share_of_wallet_hand_values_and_errors() -> None:
    assert share_of_wallet([20.0, 0.0, 50.0], [100.0, 40.0, 50.0]).tolist() == [0.2, 0.0, 1.0]
    assert market_share([20.0, 0.0, 50.0], [100.0, 40.0, 50.0]) == 70.0 / 190.0
    msg = (
        "firm_spend must not exceed category_spend (the firm's spend is part of the "
        "category's); first bad value at index 1: 60.0"
    )
    with pytest.raises(InvalidInputError, match=re.escape(msg)):
        share_of_wallet([10.0, 60.0], [20.0, 50.0])
    with pytest.raises(
        InvalidInputError,
        match=re.escape("category_spend must be > 0; first bad value at index 0: 0.0"),
    ):
        share_of_wallet([0.0], [0.0])
    with pytest.raises(InvalidInputError, match="firm_spend must be >= 0"):
        share_of_wallet([-1.0], [2.0])
    with pytest.raises(InvalidInputError, match="firm_spend has 1, category_spend has 2"):
        share_of_wallet([1.0], [2.0, 3.0])


def test_potential_value_cap() -> None:
    pot = potential_value([100.0, 100.0, 100.0, -5.0, 0.0], [0.5, 0.01, 0.0, 0.5, 0.2])
    assert pot.tolist() == [200.0, 1000.0, 1000.0, -5.0, 0.0]
    assert potential_value([100.0], [0.01], max_multiple=4.0).tolist() == [400.0]
    with pytest.raises(InvalidInputError, match="max_multiple must be >= 1"):
        potential_value([1.0], [0.5], max_multiple=0.5)
    with pytest.raises(
        InvalidInputError,
        match=re.escape("wallet_share must be <= 1; first bad value at index 0: 1.5"),
    ):
        potential_value([1.0], [1.5])


@given(
    customer_values(max_size=80),
    st.lists(st.floats(0.0, 1.0), min_size=80, max_size=80),
    st.floats(0.0, 0.6),
    st.floats(0.0, 0.4),
)
def test_classes_partition_and_bz_is_exactly_negative_value(values, shares, mvc, mgc) -> None:
    actual = np.array(values)
    share = np.array(shares[: actual.size])
    seg = value_classes(actual, wallet_share=share, mvc_share=mvc, mgc_share=mgc)
    assert seg.segments == VALUE_CLASSES
    assert seg.table.count.sum() == actual.size
    np.testing.assert_array_equal(seg.mask("BZ"), actual < 0)
    # every MVC is worth at least as much as any non-BZ customer outside MVC
    is_mvc = seg.mask("MVC")
    if is_mvc.any() and (~is_mvc & (actual >= 0)).any():
        assert actual[is_mvc].min() >= actual[~is_mvc & (actual >= 0)].max()
    # every MGC has at least as much unrealised potential as any 'Other' customer
    unrealised = potential_value(actual, share) - actual
    is_mgc, other = seg.mask("MGC"), seg.mask("Other")
    if is_mgc.any() and other.any():
        assert unrealised[is_mgc].min() >= unrealised[other].max()
    assert (unrealised[is_mgc] > 0).all()
    np.testing.assert_allclose(
        seg.table.extra("unrealised").sum(), unrealised.sum(), rtol=1e-9, atol=1e-6
    )


def test_hand_computed_classes() -> None:
    actual = [500.0, 80.0, 60.0, -20.0, 10.0]
    seg = value_classes(actual, [600.0, 400.0, 70.0, -20.0, 12.0])
    # MVC: top 20% (1 of 5) by value; MGC: top 20% by unrealised (320, 10, 2) outside MVC/BZ
    assert seg.labels.tolist() == ["MVC", "MGC", "Other", "BZ", "Other"]
    np.testing.assert_array_equal(seg.table.value_total, [500.0, 80.0, -20.0, 70.0])
    np.testing.assert_array_equal(seg.table.extra("potential"), [600.0, 400.0, -20.0, 82.0])
    np.testing.assert_array_equal(seg.table.extra("unrealised"), [100.0, 320.0, 0.0, 12.0])
    via_share = value_classes(actual, wallet_share=[1.0, 0.2, 0.9, 0.5, 0.5])
    # potential 500, 400, 66.7, -20, 20 -> unrealised of non-MVC: 320, 6.7, 10
    assert via_share.labels.tolist() == ["MVC", "MGC", "Other", "BZ", "Other"]
    back = Segmentation.from_json(seg.to_json())
    np.testing.assert_array_equal(back.table.extra_totals, seg.table.extra_totals)


def test_value_class_errors() -> None:
    with pytest.raises(InvalidInputError, match="exactly one of potential and wallet_share"):
        value_classes([1.0])
    with pytest.raises(InvalidInputError, match="exactly one of potential and wallet_share"):
        value_classes([1.0], [2.0], wallet_share=[0.5])
    with pytest.raises(
        InvalidInputError,
        match=re.escape("potential must be >= actual_value; first bad value at index 1: 1.0"),
    ):
        value_classes([1.0, 2.0], [1.0, 1.0])
    with pytest.raises(InvalidInputError, match="mvc_share \\+ mgc_share must be <= 1"):
        value_classes([1.0], [1.0], mvc_share=0.7, mgc_share=0.4)
    with pytest.raises(
        InvalidInputError, match="actual_value must not be NaN; first bad value at index 0"
    ):
        value_classes([np.nan], [1.0])
