"""Reusable hypothesis strategies shared by the property tests.

Each area appends its own section, marked with a comment naming the area.
"""

from __future__ import annotations

from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------
# Gamma-Gamma spend model and discounted CLV (tests/clv/test_gamma_gamma.py, test_value.py)
# --------------------------------------------------------------------------------------------


@st.composite
def gamma_gamma_params(draw: st.DrawFn, *, finite_mean: bool = True) -> tuple[float, float, float]:
    """(p, q, gamma) over a wide but well-conditioned range; q > 1 when ``finite_mean``."""
    p = draw(st.floats(0.05, 100.0))
    q = draw(st.floats(1.05 if finite_mean else 0.05, 100.0))
    gamma = draw(st.floats(0.01, 1e4))
    return p, q, gamma


@st.composite
def spend_histories(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 30
) -> tuple[list[float], list[float]]:
    """(frequency, monetary_value): whole x >= 0; m > 0 for repeat buyers, 0 for x = 0."""
    n = draw(st.integers(min_size, max_size))
    x = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    m = draw(st.lists(st.floats(0.01, 1e5), min_size=n, max_size=n))
    return [float(v) for v in x], [mi if xi > 0 else 0.0 for xi, mi in zip(x, m, strict=True)]


@st.composite
def purchase_histories(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 8
) -> tuple[list[float], list[float], list[float]]:
    """(frequency, recency, T) with 0 <= recency <= T, recency = 0 when frequency = 0."""
    n = draw(st.integers(min_size, max_size))
    xs, txs, Ts = [], [], []
    for _ in range(n):
        T = draw(st.floats(0.1, 400.0))
        x = draw(st.integers(0, 60))
        tx = draw(st.floats(0.0, 1.0)) * T if x > 0 else 0.0
        xs.append(float(x))
        txs.append(tx)
        Ts.append(T)
    return xs, txs, Ts
