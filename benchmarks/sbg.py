"""sBG fit speed: ShiftedBetaGeo.fit beside a plain scipy.optimize fit of the same likelihood.

Neither lifetimes nor pymc-marketing has a maximum-likelihood sBG fitter (pymc-marketing's
``ShiftedBetaGeoModelIndividual`` is Bayesian, by MCMC), so the reference is what a user
would write: the sBG log-likelihood (FH 2007 eq. 5) with ``scipy.special.betaln`` over every
customer, minimised by ``scipy.optimize.minimize`` (L-BFGS-B on log-parameters, gradient by
finite differences, no grouping of identical rows). Both run in this process on the same
data and must agree on the optimum.

Bases (``--customers`` customers each, drawn with ``ShiftedBetaGeo.simulate`` at the
"Regular" parameters alpha = 0.704, beta = 1.182):

narrow
    12 observed periods (few distinct ``(lifetime, churned)`` rows: grouping pays);
wide
    customers acquired over 120 periods, each observed to the end (up to 241 distinct rows).

Also timed: ``fit_survivors`` on the paper's 8 counts, and DERL for every customer
(``periods_survived`` = its lifetime, d = 0.1).

Usage: ``python benchmarks/sbg.py [--customers N] [--repeat K]``.
"""

from __future__ import annotations

# isort: off
import _bench  # noqa: F401  (first: single-threaded BLAS before numpy loads)

# isort: on
import argparse
import warnings

import numpy as np
from _bench import best_of
from scipy import optimize, special

from custvalue.clv import ShiftedBetaGeo, ShiftedBetaGeoParams

TRUTH = ShiftedBetaGeo(ShiftedBetaGeoParams(alpha=0.704, beta=1.182))
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def _base(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if kind == "narrow":
        sim = TRUTH.simulate(n, 12, rng=rng)
        return sim.lifetime, sim.churned
    sim = TRUTH.simulate(n, 240, rng=rng)
    window = rng.integers(1, 121, size=n).astype(float) + 120.0 * rng.random(n).round()
    churned = sim.churned & (sim.lifetime <= window)
    return np.where(churned, sim.lifetime, np.minimum(sim.lifetime, window)), churned


def scipy_fit(lifetime: np.ndarray, churned: np.ndarray) -> tuple[np.ndarray, float]:
    """The plain fit: per-customer betaln terms, finite-difference gradient."""
    t = lifetime
    gone = churned.astype(bool)

    def negative_ll(u: np.ndarray) -> float:
        a, b = np.exp(u)
        ll = np.where(
            gone,
            special.betaln(a + 1, b + np.maximum(t, 1) - 1),
            special.betaln(a, b + t),
        ) - special.betaln(a, b)
        return -float(ll.sum())

    res = optimize.minimize(negative_ll, np.zeros(2), method="L-BFGS-B")
    return np.exp(res.x), -float(res.fun)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    print(f"{args.customers:,} customers, best of {args.repeat}")
    print(f"{'task':<28}{'custvalue s':>13}{'scipy s':>11}{'ratio':>9}  agreement")
    for kind in ("narrow", "wide"):
        _run(kind, *_base(kind, args.customers, rng), args.repeat)
    surv_s, _ = best_of(args.repeat, lambda: ShiftedBetaGeo.fit_survivors(REGULAR))
    print(f"{'fit_survivors (8 counts)':<28}{surv_s:>13.4f}")


def _run(kind: str, lifetime: np.ndarray, churned: np.ndarray, repeat: int) -> None:
    """Time both fits of one base and DERL for every customer; print one table row each."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plain fit's overflow at trial points
        ours_s, ours = best_of(repeat, lambda: ShiftedBetaGeo.fit(lifetime, churned))
        plain_s, (plain, plain_ll) = best_of(repeat, lambda: scipy_fit(lifetime, churned))
    diff = np.max(np.abs(ours.params.as_array() / plain - 1))
    print(
        f"{'fit ' + kind:<28}{ours_s:>13.4f}{plain_s:>11.4f}{plain_s / ours_s:>9.1f}  "
        f"params rel diff {diff:.1e}, LL {ours.log_likelihood:.2f} vs {plain_ll:.2f}"
    )
    derl_s, _ = best_of(
        repeat,
        lambda: ours.discounted_expected_residual_lifetime(0.1, periods_survived=lifetime),
    )
    print(f"{'DERL per customer ' + kind:<28}{derl_s:>13.4f}")


if __name__ == "__main__":
    main()
