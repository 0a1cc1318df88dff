"""The BG/NBD quadrature fallback: accuracy for huge windows and a bounded working set.

References are 50-digit mpmath values of FHL (2005) eq. (9) after Euler's transformation,
``(c/(a-1)) [1 - (1-z)^(a-1) 2F1(c-r, a-1; c; z)]`` with ``c = a+b-1`` and ``z = t/(alpha+t)``:
unlike the untransformed form it does not cancel as ``z -> 1`` (checked against ``mp.quad``
over p while writing these tests), so ``t`` can go up to the float64 limit.
"""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from custvalue.clv import BetaGeo, BetaGeoParams
from custvalue.clv import _bgnbd_kernels as k

mp = pytest.importorskip("mpmath")

RTOL = 1e-8
LARGE_T = (1e6, 1e20, 1e50, 1e100, 1e300, 1.7e308)
#: (r, alpha, a, b): CDNOW, the fallback regions named in issue 13 and both sides of a = 1.
PARAMS = (
    (0.243, 4.414, 0.793, 2.426),
    (0.243, 4.414, 1.0005, 2.426),
    (0.243, 4.414, 1.5e-8, 2.8e6),
    (0.243, 4.414, 0.793, 1e4),
    (5e-4, 4.414, 0.5, 3.0),
    (2.0, 0.01, 3.0, 0.7),
)
HISTORIES = ((0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (40.0, 150.0, 156.0))


def _e_alive_ref(t, r, al, a, b):
    z = t / (al + t)
    c = a + b - 1
    return c / (a - 1) * (1 - (al / (al + t)) ** (a - 1) * mp.hyp2f1(c - r, a - 1, c, z))


def _e_cond_ref(t, x, tx, T, r, al, a, b):
    with mp.workdps(50):
        t, x, tx, T, r, al, a, b = (mp.mpf(float(v)) for v in (t, x, tx, T, r, al, a, b))
        e = _e_alive_ref(t, r + x, al + T, a, b + x)
        if x == 0:
            return e
        return e / (1 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))


@pytest.mark.parametrize(
    ("t", "params", "history"), list(itertools.product(LARGE_T, PARAMS, HISTORIES)), ids=str
)
def test_expected_purchases_up_to_the_float64_limit(t, params, history) -> None:
    """Issue 13: x = 2 at CDNOW levelled off at 458,087 for t = 1e50 (true 1.31e11)."""
    got = float(BetaGeo(BetaGeoParams(*params)).expected_purchases(t, *history))
    ref = _e_cond_ref(t, *history, *params)
    assert np.isfinite(got)
    assert abs(mp.mpf(got) - ref) <= RTOL * abs(ref), (got, float(ref))


def test_expected_purchases_grows_without_levelling_off() -> None:
    model = BetaGeo(BetaGeoParams(0.243, 4.414, 0.793, 2.426))
    e = model.expected_purchases(np.array([1e20, 1e50, 1e100]), 2, 30.43, 38.86)
    # E ~ t^(1-a) for a < 1: 30 decades of t give ~6.2 decades of E
    assert np.all(np.diff(np.log10(e)) > 6.0)


def _quadrature_peak(n: int) -> int:
    rng = np.random.default_rng(n)
    R = 0.243 + rng.integers(0, 40, n)
    A = 4.414 + rng.uniform(0.1, 156.0, n)  # every value distinct
    tracemalloc.start()
    try:
        out = k.expected_purchases_alive_quadrature(52.0, R, A, 1.5e-8, 2.8e6 + R)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.all(np.isfinite(out))
    return peak


def test_quadrature_memory_is_bounded() -> None:
    """Working set: one chunk, ``_QUAD_CHUNK * 8 * n_panels <= 64 * 8 * 1024`` floats (4 MiB)
    per array with ~8 arrays alive (32 MiB), plus O(n) vectors (inputs, the result and ~20
    per-value temporaries, < 400 bytes per value). The unchunked version allocated ~100 KB
    per value (2 GB here)."""
    n = 20_000
    chunk_elements = k._QUAD_CHUNK * len(k._GL_NODES) * k._MAX_PANELS
    bound = 8 * 8 * chunk_elements + 400 * n
    assert _quadrature_peak(n) < bound
    # and it grows like O(n), not like n * nodes
    assert _quadrature_peak(n) - _quadrature_peak(n // 10) < 400 * n


def test_fallback_region_scores_many_distinct_customers() -> None:
    """A fit at a = 1.5e-8, b = 2.8e6 (issue 13) scores distinct histories within bounded memory."""
    rng = np.random.default_rng(7)
    n = 5_000
    T = rng.uniform(1.0, 156.0, n)
    x = rng.integers(0, 30, n).astype(float)
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    model = BetaGeo(BetaGeoParams(r=0.3, alpha=5.0, a=1.5e-8, b=2.8e6))
    tracemalloc.start()
    try:
        e = model.expected_purchases(52.0, x, tx, T)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 8 * k._QUAD_CHUNK * 8 * k._MAX_PANELS + 2_000 * n
    i = 123
    ref = _e_cond_ref(52.0, x[i], tx[i], T[i], 0.3, 5.0, 1.5e-8, 2.8e6)
    assert abs(mp.mpf(float(e[i])) - ref) <= RTOL * abs(ref)
