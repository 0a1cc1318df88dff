"""Lorenz curve, Gini coefficient and top-p% share."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import customer_values

from custvalue.errors import InvalidInputError
from custvalue.segments import LorenzCurve, gini, lorenz_curve, top_share

#: Non-negative values with a positive total (all zeros, a quarter of the raw draws, is replaced
#: by a positive last value instead of being filtered out with ``assume``).
positive_total = customer_values(negative=False, max_size=100).map(
    lambda v: v if sum(v) > 0 else [*v[:-1], 1.0]
)


@given(positive_total)
def test_lorenz_convex_from_origin_to_one_and_gini_in_unit_interval(values) -> None:
    arr = np.array(values)
    curve = lorenz_curve(arr)
    x, y = curve.customer_share, curve.value_share
    assert (x[0], y[0], x[-1], y[-1]) == (0.0, 0.0, 1.0, 1.0)
    slopes = np.diff(y) / np.diff(x)
    assert (np.diff(slopes) >= -1e-9 * slopes.max()).all()  # convex: increasing slopes
    assert (y <= x + 1e-12).all()  # below the diagonal
    assert 0.0 <= curve.gini < 1.0
    assert curve.gini <= (arr.size - 1) / arr.size + 1e-12
    area = float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))  # trapezoid area
    assert curve.gini == pytest.approx(1.0 - 2.0 * area, abs=1e-9)
    # mean absolute difference definition: G = sum|xi - xj| / (2 n^2 mean)
    mad = np.abs(arr[:, None] - arr[None, :]).sum() / (2 * arr.size**2 * arr.mean())
    assert curve.gini == pytest.approx(mad, rel=1e-9, abs=1e-12)
    assert gini(arr) == curve.gini


@given(positive_total, st.floats(0.0, 1.0))
def test_top_share_consistent_with_curve(values, p) -> None:
    arr = np.array(values)
    share = top_share(arr, p)
    assert share == lorenz_curve(arr).top_share(p)
    assert p - 1e-12 <= share <= 1.0 + 1e-12  # the top p% hold at least p of the value
    k = round(p * arr.size)
    if abs(p * arr.size - k) < 1e-12:  # whole number of customers: exact sum of the k largest
        top = np.sort(arr)[::-1][:k].sum() / arr.sum()
        assert share == pytest.approx(top, abs=1e-12)


def test_hand_computed_values() -> None:
    curve = lorenz_curve([1.0, 1.0, 2.0, 4.0])
    assert curve.value_share.tolist() == [0.0, 0.125, 0.25, 0.5, 1.0]
    assert curve.gini == 0.3125  # (-3 - 1 + 2 + 12) / (4 * 8)
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert gini([0.0, 0.0, 0.0, 10.0]) == 0.75
    assert top_share([1.0, 1.0, 1.0, 1.0, 6.0], 0.2) == pytest.approx(0.6)
    assert top_share([1.0, 1.0, 2.0, 4.0], 0.125) == pytest.approx(0.25)  # half of the top one
    assert top_share([1.0, 1.0, 2.0, 4.0], 0.0) == 0.0


def test_negative_values() -> None:
    values = [-2.0, 1.0, 3.0, 8.0]
    with pytest.raises(
        InvalidInputError, match=re.escape("values must be >= 0 (pass negative='clip' or 'keep'")
    ):
        lorenz_curve(values)
    clipped = lorenz_curve(values, negative="clip")
    assert clipped.value_share.tolist() == [0.0, 0.0, 1 / 12, 4 / 12, 1.0]
    whale = lorenz_curve(values, negative="keep")
    assert whale.value_share.tolist() == [0.0, -0.2, -0.1, 0.2, 1.0]  # dips below zero
    assert top_share(values, 0.5, negative="keep") == pytest.approx(1.1)  # > 100% of the total
    assert gini([-10.0, 1.0, 1.0, 10.0], negative="keep") > 1.0
    with pytest.raises(InvalidInputError, match="total > 0"):
        lorenz_curve([-5.0, 1.0], negative="keep")
    with pytest.raises(InvalidInputError, match="negative must be one of"):
        gini([1.0], negative="abs")  # type: ignore[arg-type]


def test_errors_and_round_trip() -> None:
    with pytest.raises(InvalidInputError, match="values must not be empty"):
        gini([])
    with pytest.raises(InvalidInputError, match="total > 0"):
        gini([0.0, 0.0])
    with pytest.raises(
        InvalidInputError, match="values must be finite; first bad value at index 1"
    ):
        gini([1.0, np.inf])
    with pytest.raises(InvalidInputError, match="p must be <= 1"):
        top_share([1.0], 1.5)
    curve = lorenz_curve([3.0, 1.0, 2.0])
    back = LorenzCurve.from_json(curve.to_json())
    np.testing.assert_array_equal(back.value_share, curve.value_share)
    assert back.gini == curve.gini
    assert "Gini" in curve._repr_html_()


@given(
    customer_values(max_size=80),
    st.sampled_from(["raise", "clip", "keep"]),
    st.integers(-1100, 1100),
    st.floats(0.0, 1.0),
)
def test_scale_invariance_up_to_the_float64_limit(values, negative, k, p) -> None:
    """Multiplying every value by 2**k changes no measure, bit for bit, as long as the scaled
    values stay finite and normal (so the multiplication itself is exact)."""
    arr = np.array(values)
    if negative == "raise":
        arr = np.abs(arr)
    nonzero = np.abs(arr[arr != 0])
    if nonzero.size:
        lo, hi = int(np.frexp(nonzero.min())[1]), int(np.frexp(nonzero.max())[1])
        k = max(-1021 - lo + 1, min(k, 1024 - hi))  # keep 2**k * values finite and normal
    scaled = np.ldexp(arr, k)
    try:
        base = lorenz_curve(arr, negative=negative)
    except InvalidInputError:
        with pytest.raises(InvalidInputError, match="total > 0"):
            lorenz_curve(scaled, negative=negative)
        return
    big = lorenz_curve(scaled, negative=negative)
    np.testing.assert_array_equal(big.value_share, base.value_share)
    assert big.gini == base.gini == gini(scaled, negative=negative)
    assert top_share(scaled, p, negative=negative) == top_share(arr, p, negative=negative)


def test_totals_beyond_the_float64_range() -> None:
    assert gini([1e307] * 30 + [0.0] * 10) == 0.25
    assert gini([np.finfo(float).max] * 3) == 0.0
    assert top_share([1e308] * 4 + [0.0] * 6, 0.2) == 0.5
    assert top_share([1e308] * 4 + [0.0] * 6, 0.4) == 1.0
    assert lorenz_curve([1.7e308, 1.7e308]).value_share.tolist() == [0.0, 0.5, 1.0]
    assert gini([1e308, 1e308, -1e308], negative="clip") == 1 / 3
    whale = lorenz_curve([-1e308, 1e308, 1e308, 1e308], negative="keep")
    assert whale.value_share.tolist() == [0.0, -0.5, 0.0, 0.5, 1.0]
    with pytest.raises(InvalidInputError, match=r"shares; got -1e\+308"):
        gini([1e308, -1e308, -1e308], negative="keep")
    assert gini([5e-324, 0.0]) == 0.5  # the smallest subnormal works too
