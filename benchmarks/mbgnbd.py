"""MBG/NBD: custvalue's ModifiedBetaGeo beside lifetimes 0.11.3's ModifiedBetaGeoFitter.

Two synthetic customer bases drawn from the MBG/NBD process at the published CDNOW estimates
(Batislam et al. 2007; weeks), each at ``--customers`` customers, event times on a day grid:

narrow
    first purchases within 12 weeks, a 39-week window (few distinct histories);
wide
    first purchases uniformly over 3 years, window to the end of year 3 (many more).

Tasks, timed in one process (best of ``--repeat``): the fit; and the conditional predictions
E[X(52 weeks) | history] + P(alive), evaluated at the same (generating) parameters in both
libraries so that the outputs agree and are compared. Issue 14's targets: fit >= 30x,
predictions >= 3x.

Usage: ``python benchmarks/mbgnbd.py [--customers N] [--repeat K] [--scenarios narrow,wide]``.
Needs lifetimes and pandas (test extras).
"""

from __future__ import annotations

# isort: off
import _bench  # noqa: F401  (first: single-threaded BLAS before numpy loads)

# isort: on
import argparse
import warnings
from typing import Any

import numpy as np
from _bench import best_of

from custvalue.clv import ModifiedBetaGeo, ModifiedBetaGeoParams
from custvalue.clv.simulate import _simulate_beta_geo

CDNOW = ModifiedBetaGeoParams(r=0.525, alpha=6.183, a=0.891, b=1.614)
TARGETS = {"fit": 30.0, "E[X(52)] + P(alive)": 3.0}


def simulate(name: str, n: int, seed: int) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(seed)
    if name == "narrow":
        T = (273 - rng.integers(0, 84, size=n)) / 7.0
    else:
        T = (1095 - rng.integers(0, 1095, size=n)) / 7.0
    sim = _simulate_beta_geo(CDNOW, T, rng=rng, resolution=1 / 7, dropout_at_zero=True)
    return sim.frequency, sim.recency, sim.T


def run(name: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    import pandas as pd
    from lifetimes import ModifiedBetaGeoFitter

    x, tx, T = simulate(name, args.customers, args.seed)
    n_unique = np.unique(np.stack([x, tx, T]), axis=1).shape[1]
    print(f"\n== {name}: {args.customers:,} customers, {n_unique:,} distinct (x, t_x, T), "
          f"{int((x > 0).sum()):,} repeat buyers")  # fmt: skip
    xs, txs, Ts = (pd.Series(v) for v in (x, tx, T))
    k = args.repeat
    rows = []

    t_lt, lt = best_of(k, lambda: ModifiedBetaGeoFitter().fit(xs, txs, Ts))
    t_cv, cv = best_of(k, lambda: ModifiedBetaGeo.fit(x, tx, T))
    rows.append(("fit", t_lt, t_cv))
    theirs = np.array([float(lt.params_[p]) for p in ("r", "alpha", "a", "b")])
    ll_theirs = float(ModifiedBetaGeo(ModifiedBetaGeoParams(*theirs)).log_likelihood_per_customer(
        x, tx, T).sum())  # fmt: skip

    lt.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), CDNOW.as_array(), strict=True)))
    same = ModifiedBetaGeo(CDNOW)

    def lt_pred() -> Any:
        e = lt.conditional_expected_number_of_purchases_up_to_time(52.0, xs, txs, Ts)
        return np.asarray(e), np.asarray(lt.conditional_probability_alive(xs, txs, Ts))

    def cv_pred() -> Any:
        return same.expected_purchases(52.0, x, tx, T), same.probability_alive(x, tx, T)

    t_lt, pred_lt = best_of(k, lt_pred)
    t_cv, pred_cv = best_of(k, cv_pred)
    rows.append(("E[X(52)] + P(alive)", t_lt, t_cv))

    def rel(a: Any, b: Any) -> float:
        a, b = np.asarray(a, float), np.asarray(b, float)
        ok = np.isfinite(b) & (np.abs(b) > 0)
        return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok])))

    print(f"{'task':<24}{'lifetimes s':>12}{'custvalue s':>13}{'ratio':>9}{'target':>8}  result")
    for task, lt_s, cv_s in rows:
        ratio = lt_s / cv_s
        target = TARGETS[task]
        verdict = "PASS" if ratio >= target else "FAIL"
        print(f"{task:<24}{lt_s:>12.3f}{cv_s:>13.3f}{ratio:>8.1f}x{target:>7.0f}x  {verdict}")
    print(f"  params custvalue {np.round(cv.params.as_array(), 6)} lifetimes {np.round(theirs, 6)} "
          f"max rel diff {rel(cv.params.as_array(), theirs):.2e}")  # fmt: skip
    print(f"  LL custvalue {cv.log_likelihood:.6f}, at lifetimes' optimum {ll_theirs:.6f} "
          f"(ours - theirs = {cv.log_likelihood - ll_theirs:.3g})")  # fmt: skip
    print(f"  E[X(52)|hist] max rel diff {rel(pred_cv[0], pred_lt[0]):.2e}; "
          f"P(alive) max rel diff {rel(pred_cv[1], pred_lt[1]):.2e}")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of K runs per timing")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scenarios", default="narrow,wide")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # lifetimes vs recent pandas / autograd, script only
    print(f"best of {args.repeat}")
    for name in args.scenarios.split(","):
        run(name, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
