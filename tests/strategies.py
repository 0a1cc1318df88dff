"""Reusable hypothesis strategies shared by the property tests.

Each area appends its own section, marked with a comment naming the area.
"""

from __future__ import annotations

from typing import Any

import numpy as np
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


# --------------------------------------------------------------------------------------------
# Segmentation (tests/segments/): per-customer arrays with many ties, spend pairs, shares
# --------------------------------------------------------------------------------------------


@st.composite
def customer_values(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 60, negative: bool = True
) -> list[float]:
    """Per-customer values, either from a small pool (many ties) or continuous."""
    n = draw(st.integers(min_size, max_size))
    lo = -1e4 if negative else 0.0
    if draw(st.booleans()):
        pool = draw(st.lists(st.floats(lo, 1e4), min_size=1, max_size=6))
        return [draw(st.sampled_from(pool)) for _ in range(n)]
    return draw(st.lists(st.floats(lo, 1e4), min_size=n, max_size=n))


@st.composite
def rfm_histories(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 60
) -> tuple[list[int], list[int], list[int]]:
    """(time_since_last_purchase, purchase_count, total_spend) as whole numbers with ties.

    Whole numbers keep strictly increasing transforms exact in floating point.
    """
    n = draw(st.integers(min_size, max_size))
    top = draw(st.sampled_from([3, 10, 400]))  # few distinct values -> collapsing bins
    since = draw(st.lists(st.integers(0, top), min_size=n, max_size=n))
    count = draw(st.lists(st.integers(1, min(top, 30) + 1), min_size=n, max_size=n))
    spend = draw(st.lists(st.integers(-50, 50 * top), min_size=n, max_size=n))
    return since, count, spend


@st.composite
def spend_pairs(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 40
) -> tuple[list[float], list[float]]:
    """(firm_spend, category_spend) with 0 <= firm <= category and category > 0."""
    n = draw(st.integers(min_size, max_size))
    category = draw(st.lists(st.floats(0.01, 1e5), min_size=n, max_size=n))
    frac = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    return [c * f for c, f in zip(category, frac, strict=True)], category


@st.composite
def share_vectors(draw: st.DrawFn, size: int) -> list[float]:
    """``size`` non-negative shares summing to 1 (zeros allowed)."""
    weights = draw(st.lists(st.integers(0, 10), min_size=size, max_size=size))
    if sum(weights) == 0:
        weights[0] = 1
    return [w / sum(weights) for w in weights]


# --------------------------------------------------------------------------------------------
# Lifecycle (tests/lifecycle/): stage transition matrices, rewards, repurchase trees
# --------------------------------------------------------------------------------------------

_LIFECYCLE_ALLOWED = (
    (True, True, False, True),  # ACQUIRE -> ACQUIRE, RETAIN, TERMINATE
    (False, True, True, False),  # RETAIN -> RETAIN, RECOVER
    (False, True, True, True),  # RECOVER -> RETAIN, RECOVER, TERMINATE
    (True, False, False, True),  # TERMINATE -> ACQUIRE, TERMINATE
)


@st.composite
def stage_matrices(
    draw: st.DrawFn, *, absorbing_terminate: bool = False, terminating: bool = False
) -> list[list[float]]:
    """A 4 x 4 stage transition matrix: rows sum to 1, zero on illegal moves, some zeros.

    ``terminating`` makes every stage reach TERMINATE (RETAIN -> RECOVER, RECOVER ->
    TERMINATE, ACQUIRE -> TERMINATE at least 0.05); ``absorbing_terminate`` makes TERMINATE
    absorbing.
    """
    weight = st.one_of(st.just(0.0), st.floats(0.0, 1.0))
    rows = []
    for i, allowed in enumerate(_LIFECYCLE_ALLOWED):
        w = [draw(weight) if ok else 0.0 for ok in allowed]
        if terminating:
            need = {0: 3, 1: 2, 2: 3}.get(i)
            if need is not None:
                w[need] = max(w[need], 0.05 * max(sum(w), 1.0))
        if sum(w) == 0.0:
            w[i] = 1.0
        total = sum(w)
        rows.append([v / total for v in w])
    if absorbing_terminate:
        rows[3] = [0.0, 0.0, 0.0, 1.0]
    return rows


@st.composite
def stage_rewards(draw: st.DrawFn) -> list[float]:
    """Net reward per period in each stage (TERMINATE earns 0); may be negative."""
    return [draw(st.floats(-50.0, 200.0)) for _ in range(3)] + [0.0]


unit_floats = st.floats(0.0, 1.0)


@st.composite
def repurchase_trees_args(draw: st.DrawFn) -> dict[str, float]:
    """Keyword arguments of a valid ``RepurchaseTree`` (exclusive reading)."""
    q, s = draw(unit_floats), draw(unit_floats)
    u = draw(unit_floats)
    if q + s + u == 0.0:
        u = 1.0
    total = q + s + u
    q, s = q / total, s / total
    args = {
        "failure_share": draw(unit_floats),
        "complaint_share": draw(unit_floats),
        "quick_share": q,
        "resolved_share": s,
        "unresolved_share": max(0.0, 1.0 - q - s),
    }
    for name in ("no_failure", "no_complaint", "quick", "resolved", "unresolved"):
        args[f"{name}_rate"] = draw(unit_floats)
    return args


# --------------------------------------------------------------------------------------------
# Transaction summaries (tests/test_summary.py, tests/test_cli.py): raw transaction logs
# --------------------------------------------------------------------------------------------


@st.composite
def transaction_logs(
    draw: st.DrawFn,
    *,
    max_rows: int = 40,
    max_customers: int = 8,
    max_days: int = 120,
    with_times: bool = False,
) -> dict[str, Any]:
    """A transaction log with repeated customers and same-day purchases.

    Returns a dict with numpy arrays ``customer_id`` (int64, possibly negative and sparse),
    ``date`` (``datetime64[D]``, or ``datetime64[s]`` with times of day if ``with_times``),
    ``monetary`` (float64 >= 0, cents) and ``observation_end`` (``datetime64[D]``, on or after
    the first date but possibly before later ones, so some rows or customers drop out).
    """
    pool = draw(
        st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=max_customers, unique=True)
    )
    n = draw(st.integers(1, max_rows))
    ids = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    start = np.datetime64("1999-12-20", "D") + np.timedelta64(draw(st.integers(0, 30)), "D")
    offsets = draw(st.lists(st.integers(0, max_days), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    date = start + np.asarray(offsets, dtype="timedelta64[D]")
    if with_times:
        seconds = draw(st.lists(st.integers(0, 86_399), min_size=n, max_size=n))
        date = date.astype("datetime64[s]") + np.asarray(seconds, dtype="timedelta64[s]")
    end_offset = draw(st.one_of(st.just(max(offsets)), st.integers(min(offsets), max_days + 10)))
    return {
        "customer_id": np.asarray(ids, dtype=np.int64),
        "date": date,
        "monetary": np.asarray(cents, dtype=np.float64) / 100.0,
        "observation_end": start + np.timedelta64(end_offset, "D"),
    }


# --------------------------------------------------------------------------------------------
# BG/NBD purchase model (tests/clv/test_bgnbd.py, test_simulate.py)
# --------------------------------------------------------------------------------------------


@st.composite
def bgnbd_params(
    draw: st.DrawFn, *, low: float = 0.02, high: float = 50.0
) -> tuple[float, float, float, float]:
    """(r, alpha, a, b), log-uniform between ``low`` and ``high`` (alpha up to 100x more)."""

    def logu(lo: float, hi: float) -> float:
        return float(np.exp(draw(st.floats(np.log(lo), np.log(hi)))))

    return logu(low, high), logu(low, 100 * high), logu(low, high), logu(low, high)


@st.composite
def bgnbd_histories(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 8, max_frequency: int = 200
) -> tuple[Any, Any, Any]:
    """(frequency, recency, T) arrays: 0 <= recency <= T, recency = 0 when frequency = 0."""
    n = draw(st.integers(min_size, max_size))
    T = np.array(draw(st.lists(st.floats(0.1, 500.0), min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.integers(0, max_frequency), min_size=n, max_size=n)), float)
    u = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    return x, np.where(x > 0, u * T, 0.0), T


# --------------------------------------------------------------------------------------------
# Reliability (tests/test_fuzz.py): adversarial inputs for every public entry point
# --------------------------------------------------------------------------------------------

#: Floats that break careless numerics: zeros of both signs, tiny/huge, NaN, infinities.
SPECIAL_FLOATS = (
    0.0, -0.0, 1.0, -1.0, 0.5, 2.7, 3.0, 1e-300, 5e-324, 1e-8, 1e6, 1e300, -1e300,
    float("nan"), float("inf"), float("-inf"),
)  # fmt: skip


def _float_arrays(draw: st.DrawFn, n: int) -> np.ndarray:
    elem = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True))
    return np.asarray(draw(st.lists(elem, min_size=n, max_size=n)), dtype=np.float64)


@st.composite
def adversarial_arrays(draw: st.DrawFn, *, max_size: int = 6) -> Any:
    """Anything a caller might pass as an array: bad values, shapes, dtypes and containers."""
    n = draw(st.integers(0, max_size))
    kind = draw(
        st.sampled_from(
            ["float", "int", "empty", "scalar", "2d", "object", "str", "bool", "date",
             "ragged", "none", "dict", "complex", "huge_int"]
        )
    )  # fmt: skip
    if kind == "float":
        return _float_arrays(draw, n)
    if kind == "int":
        return np.asarray(draw(st.lists(st.integers(-5, 50), min_size=n, max_size=n)), np.int64)
    if kind == "empty":
        return np.empty((0,) if draw(st.booleans()) else (0, 3))
    if kind == "scalar":
        return draw(st.one_of(st.sampled_from(SPECIAL_FLOATS), st.integers(-3, 10)))
    if kind == "2d":
        return _float_arrays(draw, 2 * max(n, 1)).reshape(2, -1)
    if kind == "object":
        pool = [1.0, None, "a", 2, float("nan"), [1, 2]]
        return np.asarray(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), object)
    if kind == "str":
        return np.asarray(draw(st.lists(st.text(max_size=3), min_size=n, max_size=n)), dtype=str)
    if kind == "bool":
        return np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "date":
        days = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
        return np.datetime64("2000-01-01") + np.asarray(days, dtype="timedelta64[D]")
    if kind == "ragged":
        return [[1.0, 2.0], [3.0]]
    if kind == "none":
        return None
    if kind == "dict":
        return {"a": 1}
    if kind == "complex":
        return np.ones(n, dtype=complex)
    return np.asarray([2**62, -(2**62)] * max(n // 2, 1), dtype=np.int64)


def maybe_adversarial(strategy: st.SearchStrategy[Any], *, max_size: int = 6) -> Any:
    """Mostly valid values from ``strategy``, otherwise an adversarial array."""
    return st.one_of(strategy, strategy, adversarial_arrays(max_size=max_size))


@st.composite
def adversarial_scalars(draw: st.DrawFn) -> Any:
    """A scalar argument: special floats, ints, bools, strings, None, arrays, NaN."""
    return draw(
        st.one_of(
            st.sampled_from(SPECIAL_FLOATS),
            st.integers(-(2**70), 2**70),
            st.booleans(),
            st.text(max_size=3),
            st.none(),
            st.just(np.array([1.0, 2.0])),
            st.floats(-1e3, 1e3),
        )
    )


@st.composite
def refund_logs(draw: st.DrawFn, *, max_rows: int = 30) -> dict[str, Any]:
    """A transaction log whose amounts are whole numbers, some negative (refunds) or zero.

    Whole-number amounts make every per-day sum exact, so ``returns="net"`` can be compared
    bit for bit with a log netted by hand. Keys as :func:`transaction_logs`.
    """
    log = draw(transaction_logs(max_rows=max_rows, max_customers=5, max_days=20))
    n = log["customer_id"].size
    amounts = draw(st.lists(st.integers(-50, 100), min_size=n, max_size=n))
    log["monetary"] = np.asarray(amounts, dtype=np.float64)
    return log


# --------------------------------------------------------------------------------------------
# Time units (tests/clv/test_units.py)
# --------------------------------------------------------------------------------------------

#: Time units a model can carry: named, multiples, fractions.
TIME_UNITS = ("D", "W", "M", "Y", "2W", "14D", "0.5D", "3M")


def time_units() -> st.SearchStrategy[str]:
    """A time-unit label from :data:`TIME_UNITS`."""
    return st.sampled_from(TIME_UNITS)


# --------------------------------------------------------------------------------------------
# BG/BB purchase model (tests/clv/test_bgbb.py)
# --------------------------------------------------------------------------------------------


@st.composite
def bgbb_params(
    draw: st.DrawFn, *, low: float = 0.05, high: float = 50.0
) -> tuple[float, float, float, float]:
    """(alpha, beta, gamma, delta), log-uniform between ``low`` and ``high``."""

    def logu() -> float:
        return float(np.exp(draw(st.floats(np.log(low), np.log(high)))))

    return logu(), logu(), logu(), logu()


@st.composite
def discrete_histories(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 8, max_periods: int = 40
) -> tuple[Any, Any, Any]:
    """BG/BB (frequency, recency, n_periods): whole numbers, 0 <= x <= t_x <= n, t_x = 0 iff
    x = 0."""
    size = draw(st.integers(min_size, max_size))
    rows = []
    for _ in range(size):
        n = draw(st.integers(0, max_periods))
        t_x = draw(st.integers(0, n))
        x = draw(st.integers(1, t_x)) if t_x > 0 else 0
        rows.append((x, t_x, n))
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2]


# sBG contractual churn model (tests/clv/test_sbg.py)
@st.composite
def sbg_params(draw: st.DrawFn, *, low: float = 1e-3, high: float = 1e3) -> tuple[float, float]:
    """(alpha, beta) of a shifted-beta-geometric model, log-uniform between ``low`` and
    ``high``."""
    lo, hi = np.log(low), np.log(high)
    return float(np.exp(draw(st.floats(lo, hi)))), float(np.exp(draw(st.floats(lo, hi))))
