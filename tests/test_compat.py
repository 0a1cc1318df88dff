"""The stand-ins for functions missing from the oldest supported SciPy, against mpmath."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue import _compat

shapes = st.floats(0.05, 200.0)


def _upper_tail(a: float, b: float, x: float) -> float:
    """``1 - I_x(a, b)`` as the reflected lower tail (mpmath's own upper tail cancels)."""
    with mpmath.workdps(50):
        return float(mpmath.betainc(b, a, 0, 1 - mpmath.mpf(x), regularized=True))


@given(a=shapes, b=shapes, x=st.floats(1e-12, 1.0 - 1e-12))
def test_betaincc_reflection_matches_mpmath(a: float, b: float, x: float) -> None:
    exact = _upper_tail(a, b, x)
    got = float(_compat._betaincc_reflected(a, b, x))
    # 1 - x may round (relative 2**-53), which moves the result by x * d/dx of the tail
    assert got == pytest.approx(exact, rel=1e-9, abs=1e-300)


@given(a=shapes, b=shapes, y=st.sampled_from([1e-17, 1e-12, 1e-6, 0.01, 0.3, 0.5, 0.9]))
def test_betainccinv_reflection_inverts_the_upper_tail(a: float, b: float, y: float) -> None:
    x = float(_compat._betainccinv_reflected(a, b, y))
    assert 0.0 <= x <= 1.0
    if 0.0 < x < 1.0:
        # the small quantity 1 - x is exact to rounding: check the tail there in mpmath
        with mpmath.workdps(50):
            one_minus_x = 1 - mpmath.mpf(x)
            tail = mpmath.betainc(b, a, 0, one_minus_x, regularized=True)
        assert float(tail) == pytest.approx(y, rel=1e-6)


def test_uses_scipy_where_scipy_has_it() -> None:
    from scipy import special

    for name in ("betaincc", "betainccinv"):
        if hasattr(special, name):
            assert getattr(_compat, name) is getattr(special, name)
        else:
            assert getattr(_compat, name).__module__ == "custvalue._compat"


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (2.0, 30.0), (30.0, 2.0), (1e-2, 5.0)])
def test_fallback_agrees_with_scipy_where_both_exist(a: float, b: float) -> None:
    from scipy import special

    if not hasattr(special, "betainccinv"):
        pytest.skip("SciPy < 1.11 has no betaincc/betainccinv to compare against")
    x = np.linspace(0.01, 0.99, 25)
    np.testing.assert_allclose(
        _compat._betaincc_reflected(a, b, x), special.betaincc(a, b, x), rtol=1e-12
    )
    y = np.array([1e-17, 1e-9, 1e-3, 0.5])
    np.testing.assert_allclose(
        _compat._betainccinv_reflected(a, b, y), special.betainccinv(a, b, y), rtol=1e-12
    )
