"""Grouping identical histories is a pure optimisation: grouped results equal plain ones.

Inputs of at least ``GROUP_MIN`` customers may be grouped (decided from a sample by
``repetition_pays``); smaller inputs never are, so evaluating a large input in small slices
gives the plain path's values to compare with. Where nothing repeats (continuous times) the
alive expectation is interpolated instead (:mod:`custvalue.clv._bgnbd_interpolation`), which
is verified to ``CHECK_TOLERANCE`` of the direct evaluation, not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue._collapse import _SAMPLE_ROWS, repetition_pays
from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    lifetimes_customer_lifetime_value,
)
from custvalue.clv import _bgnbd_interpolation as interpolation
from custvalue.clv import _bgnbd_kernels as k

CDNOW = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
N = 2 * k.GROUP_MIN + 123
SLICE = k.GROUP_MIN // 2


def _base(kind: str, n: int = N, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "grid":  # day grid over 3 years: (x, T) repeat heavily
        T = rng.integers(1, 1095, n) / 7.0
        x = rng.integers(0, 8, n).astype(float)
        tx = np.where(x > 0, np.floor(T * 7 * rng.uniform(0, 1, n)) / 7.0, 0.0)
    else:  # continuous: every history distinct
        T = rng.uniform(0.1, 156.0, n)
        x = rng.integers(0, 8, n).astype(float)
        tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    return x, tx, T


def _assert_equal(kind: str, got: np.ndarray, plain: np.ndarray) -> None:
    """Bit for bit where rows are grouped; to the interpolation's verified tolerance where
    continuous times make the alive expectation interpolated."""
    if kind == "grid":
        np.testing.assert_array_equal(got, plain)
    else:
        np.testing.assert_allclose(got, plain, rtol=interpolation.CHECK_TOLERANCE, atol=0)


def _sliced(fn, *columns):  # type: ignore[no-untyped-def]
    return np.concatenate(
        [fn(*(c[i : i + SLICE] for c in columns)) for i in range(0, columns[0].size, SLICE)]
    )


def test_repetition_pays_at_the_threshold() -> None:
    m = _SAMPLE_ROWS  # sampled with stride 1: the sample is the input
    dup = m // 4  # exactly 25% of the rows repeat an earlier row
    col = np.arange(m, dtype=float)
    col[:dup] = col[dup : 2 * dup]
    assert repetition_pays(col)
    col[0] = -1.0  # one duplicate fewer
    assert not repetition_pays(col)
    assert repetition_pays(col, min_duplicate_share=0.2)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), min_size=1, max_size=200))
def test_repetition_pays_is_the_share_of_repeated_rows(rows: list[tuple[int, int]]) -> None:
    # the answer is about rows; a column too distinct answers early, never differently
    a, b = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    repeated = a.size - np.unique(np.stack([a, b]), axis=1).shape[1]
    for share in (0.1, 0.25, 0.5):
        expected = a.size - repeated <= (1.0 - share) * a.size
        assert repetition_pays(a, b, min_duplicate_share=share) == expected
        assert repetition_pays(b, a, min_duplicate_share=share) == expected


def test_repetition_pays_on_customer_bases() -> None:
    assert repetition_pays(*_base("grid")[::2])  # (x, T)
    assert not repetition_pays(*_base("continuous")[::2])
    assert not repetition_pays(*_base("continuous"))


@pytest.mark.parametrize("kind", ["grid", "continuous"])
def test_grouped_predictions_equal_plain(kind: str) -> None:
    x, tx, T = _base(kind)
    model = BetaGeo(CDNOW)
    grouped = model.expected_purchases(52.0, x, tx, T)
    plain = _sliced(lambda *c: model.expected_purchases(52.0, *c), x, tx, T)
    _assert_equal(kind, grouped, plain)
    np.testing.assert_array_equal(
        model.log_likelihood_per_customer(x, tx, T),
        _sliced(model.log_likelihood_per_customer, x, tx, T),
    )
    t = np.where(np.arange(N) % 2 == 0, 52.0, 13.0)  # a varying horizon is grouped on too
    _assert_equal(
        kind, model.expected_purchases(t, x, tx, T), _sliced(model.expected_purchases, t, x, tx, T)
    )


def test_grouped_fallback_predictions_equal_plain() -> None:
    """In the quadrature region the panel count is chosen per chunk of values, so grouped
    and plain agree to the quadrature's accuracy (not bit for bit)."""
    x, tx, T = _base("grid")
    model = BetaGeo(BetaGeoParams(r=0.243, alpha=4.414, a=1.0005, b=2.426))
    n = k.GROUP_MIN + 1000
    grouped = model.expected_purchases(52.0, x[:n], tx[:n], T[:n])
    plain = _sliced(lambda *c: model.expected_purchases(52.0, *c), x[:n], tx[:n], T[:n])
    np.testing.assert_allclose(grouped, plain, rtol=1e-12)


@pytest.mark.parametrize("kind", ["grid", "continuous"])
def test_clv_grouped_equals_plain(kind: str) -> None:
    x, tx, T = _base(kind)
    m = np.where(x > 0, 20.0 + x, 0.0)
    model, spend = BetaGeo(CDNOW), GammaGamma(GammaGammaParams(p=6.25, q=3.74, gamma=15.44))

    def clv(*c):  # type: ignore[no-untyped-def]
        return lifetimes_customer_lifetime_value(model, spend, *c, months=3, freq="W")

    _assert_equal(kind, clv(x, tx, T, m), _sliced(clv, x, tx, T, m))
    assert math.isfinite(float(clv(x, tx, T, m).sum()))


# dense table / two 16-bit radix passes (codes < 2**32) / merge sort of the row codes
@pytest.mark.parametrize("n_values", [50, 500, 5_000])
def test_collapse_rows_matches_numpy_unique(n_values: int) -> None:
    from custvalue._collapse import _DENSE_LIMIT, collapse_rows

    rng = np.random.default_rng(n_values)
    cols = tuple(rng.integers(0, n_values, 30_000) / 7.0 for _ in range(3))
    assert (n_values**3 > _DENSE_LIMIT) == (n_values >= 500)
    assert (n_values**3 > 1 << 32) == (n_values == 5_000)
    (u0, u1, u2), weights, inverse = collapse_rows(*cols, weights=np.full(30_000, 2.0))
    rows, counts = np.unique(np.stack(cols, axis=1), axis=0, return_counts=True)
    np.testing.assert_array_equal(np.stack([u0, u1, u2], axis=1), rows)
    np.testing.assert_array_equal(weights, 2.0 * counts)
    for u, c in zip((u0, u1, u2), cols, strict=True):
        np.testing.assert_array_equal(u[inverse], c)
