"""BG/NBD DERT (``horizon=inf``) against independent 50-digit mpmath references.

Two references, each with its quadrature error estimate checked:

* ``_dert_ref_time``: ``int_0^inf delta e^(-delta s) E_alive(s) ds`` with FHL (2005) eq. 9 in
  Euler's transformed form (mpmath ``hyp2f1``); slow or stuck for b in the thousands.
* ``_dert_ref_rate``, for those: it integrates over the dropout probability only, with the
  purchase rate integrated in closed form: given ``p`` and ``lambda`` the discounted
  expected residual transactions of a customer alive now are ``lambda / (delta + p lambda)``
  (purchase ``k`` happens with probability ``(1-p)^(k-1)`` at discount
  ``(lambda/(lambda+delta))^k``), and with ``lambda ~ Gamma(R, A)``, ``z = A delta / p``::

    E_lambda[lambda / (delta + p lambda)] = (1 - e^z z^R Gamma(1-R, z)) / p

(``mpmath.gammainc``). No hypergeometric function and no integral over time is involved,
unlike the library (which integrates E[X(s)] against the discount over s).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from custvalue.clv import BetaGeo, BetaGeoParams, discounted_expected_transactions

mp = pytest.importorskip("mpmath")

RTOL = 1e-8
DELTA = math.log(1.1) / 52  # 10% a year on weekly data


def _quad(f, points):
    value, error = mp.quad(f, points, error=True)
    assert error <= mp.mpf(10) ** -12 * abs(value), "reference quadrature did not converge"
    return value


def _alive_given_history(alive, x, tx, T, r, al, a, b):
    if x == 0:
        return alive
    return alive / (1 + a / (b + x - 1) * ((al + T) / (al + tx)) ** (r + x))


def _dert_ref_time(x, tx, T, r, al, a, b, d):
    with mp.workdps(40):
        x, tx, T, r, al, a, b, d = (mp.mpf(float(v)) for v in (x, tx, T, r, al, a, b, d))
        R, A, B = r + x, al + T, b + x
        c = a + B - 1

        def integrand(s):
            z = s / (A + s)
            e = c / (a - 1) * (1 - (A / (A + s)) ** (a - 1) * mp.hyp2f1(c - R, a - 1, c, z))
            return d * mp.exp(-d * s) * e

        alive = _quad(integrand, [0, A / 100, A / 10, A, 10 * A, 1 / d, 10 / d, mp.inf])
        return _alive_given_history(alive, x, tx, T, r, al, a, b)


def _dert_ref_rate(x, tx, T, r, al, a, b, d):
    with mp.workdps(60):
        x, tx, T, r, al, a, b, d = (mp.mpf(float(v)) for v in (x, tx, T, r, al, a, b, d))
        R, A, B = r + x, al + T, b + x
        c = A * d
        psi0 = R / c  # the limit p -> 0: E[lambda] / delta

        def psi(p):
            z = c / p
            return (1 - mp.exp(z) * z**R * mp.gammainc(1 - R, z)) / p

        log_beta = mp.log(mp.beta(a, B))

        def integrand(p):  # (psi(p) - psi(0)) Beta(p; a, B): no mass problem at p -> 0
            return (psi(p) - psi0) * mp.exp((a - 1) * mp.log(p) + (B - 1) * mp.log1p(-p) - log_beta)

        # below p_s = 1e-12 c, psi(p) - psi(0) = -p R (R+1) / c^2 (1 + O(p/c)) (the first two
        # moments of lambda), integrated in closed form; above, 50 digits survive the
        # cancellation in 1 - e^z z^R Gamma(1-R, z) (~ R/z) and in psi(p) - psi(0)
        p_s = c * mp.mpf(10) ** -12
        series = -R * (R + 1) / c**2 * a / (a + B) * mp.betainc(a + 1, B, 0, p_s, regularized=True)
        cuts = sorted({c / 1e3, c, min(0.5, 1 / B), min(0.5, 10 / B), mp.mpf(0.5)})
        cuts = [v for v in cuts if v > p_s]
        alive = psi0 + series + _quad(integrand, [p_s, *cuts, mp.mpf(1)])
        return _alive_given_history(alive, x, tx, T, r, al, a, b)


# (params, history, reference): CDNOW and the fallback regions of issue 13 (a near 1, tiny a
# with huge b, large b, tiny r, large r), every point a different history
POINTS = [
    ((0.243, 4.414, 0.793, 2.426), (2.0, 30.43, 38.86), _dert_ref_time),
    ((0.243, 4.414, 0.793, 2.426), (0.0, 0.0, 0.5), _dert_ref_time),
    ((0.243, 4.414, 1.0005, 2.426), (40.0, 150.0, 156.0), _dert_ref_time),
    ((0.243, 4.414, 1.5e-8, 2.8e6), (2.0, 30.43, 38.86), _dert_ref_rate),
    ((0.243, 4.414, 0.793, 1e4), (0.0, 0.0, 38.86), _dert_ref_rate),
    ((5e-4, 4.414, 0.5, 3.0), (2.0, 30.43, 38.86), _dert_ref_time),
    ((20.0, 0.5, 3.0, 0.7), (40.0, 150.0, 156.0), _dert_ref_time),
]


#: The reference of this point (a heavy buyer, r = 20) takes ~13 s of 50-digit quadrature: it
#: runs with the slow tests (CI's second step), not in the newcomer's README command.
_SLOW_REFERENCE = (20.0, 0.5, 3.0, 0.7)


@pytest.mark.parametrize(
    ("params", "history", "reference"),
    [
        pytest.param(
            p, h, f, id=f"{p}-{h}-{f.__name__}",
            marks=[pytest.mark.slow] if p == _SLOW_REFERENCE else [],
        )
        for p, h, f in POINTS
    ],
)  # fmt: skip
def test_dert_matches_mpmath(params, history, reference) -> None:
    model = BetaGeo(BetaGeoParams(*params))
    got = float(
        discounted_expected_transactions(model, *history, horizon=math.inf, discount_rate=DELTA)
    )
    ref = reference(*history, *params, DELTA)
    assert abs(mp.mpf(got) - ref) <= RTOL * abs(ref), (got, float(ref))


class _Opaque:
    """The same model behind the generic protocol (no BG/NBD fast path)."""

    def __init__(self, model: BetaGeo) -> None:
        self.model = model

    def expected_purchases(self, t, frequency, recency, T):  # type: ignore[no-untyped-def]
        return self.model.expected_purchases(t, frequency, recency, T)


@pytest.mark.parametrize("a", [0.793, 1.0005])
def test_fast_dert_equals_generic_quadrature(a: float) -> None:
    """Shared nodes per (x, octave of delta (alpha+T)) give the per-customer quadrature's
    values (both ~1e-14): customers of many ages and frequencies, some sharing histories."""
    rng = np.random.default_rng(3)
    n = 400
    T = rng.integers(0, 1095, n) / 7.0 + 1 / 7
    x = rng.integers(0, 12, n).astype(float)
    tx = np.where(x > 0, np.round(T * rng.uniform(0, 1, n), 3), 0.0)
    model = BetaGeo(BetaGeoParams(0.243, 4.414, a, 2.426))
    fast = discounted_expected_transactions(model, x, tx, T, horizon=math.inf, discount_rate=DELTA)
    generic = discounted_expected_transactions(
        _Opaque(model), x, tx, T, horizon=math.inf, discount_rate=DELTA
    )
    np.testing.assert_allclose(fast, generic, rtol=1e-11)
