"""Speed of custvalue's ParetoNBD against lifetimes 0.11.3's ParetoNBDFitter.

Simulates customers from the Pareto/NBD at the published CDNOW parameters (weeks, first
purchases spread over the first 12 weeks, 39-week calibration) in two shapes:

- narrow: times recorded by date (recency and T on a daily grid), so a million customers
  share a few tens of thousands of distinct histories;
- wide: continuous times, every history distinct (the worst case for row collapsing).

Then times, in one process, (a) the fit and (b) predictions (P(alive) and expected purchases in
52 weeks). lifetimes' fit (Nelder-Mead over the whole table, with a hypergeometric function
per customer per evaluation) does not collapse rows and is far too slow for a million
customers: it is timed on a subsample and extrapolated linearly in the number of customers
(its cost per evaluation is linear in the rows and the number of evaluations does not grow
with the sample); the script prints the measured subsample time beside the extrapolation.

Usage: ``python benchmarks/pareto_nbd.py [--customers N] [--lifetimes-sample M] [--repeat K]``.
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

from custvalue.clv import ParetoNBD, ParetoNBDParams, simulate_pareto_nbd

CDNOW = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
TARGETS = {"fit": 30.0, "predictions": 3.0}


def simulate(n: int, seed: int, *, narrow: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if narrow:
        T = (273 - rng.integers(0, 84, size=n)) / 7.0
    else:
        T = 39.0 - rng.uniform(0.0, 12.0, size=n)
    sim = simulate_pareto_nbd(CDNOW, T, rng=rng)
    recency = np.floor(sim.recency * 7.0) / 7.0 if narrow else sim.recency
    return sim.frequency, recency, sim.T


def lifetimes_fitter(params: ParetoNBDParams | None = None) -> Any:
    import pandas as pd
    from lifetimes import ParetoNBDFitter

    fitter = ParetoNBDFitter()
    if params is not None:
        fitter.params_ = pd.Series({k: getattr(params, k) for k in ("r", "alpha", "s", "beta")})
    return fitter


def run_shape(
    shape: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, m: int, k: int
) -> list[tuple[str, float, float, float]]:
    """Fit and prediction timings on one simulated base (``m`` rows for lifetimes' fit)."""
    n = x.size
    rows = []
    distinct = np.unique(np.stack([x, t_x, T]), axis=1).shape[1]
    print(f"\n{shape}: {n:,} customers, {distinct:,} distinct histories")
    ours_fit, model = best_of(k, lambda: ParetoNBD.fit(x, t_x, T))
    print(f"  custvalue fit on all {n:,}: {ours_fit:.2f} s, {model.params}, "
          f"{model.diagnostics.message if model.diagnostics else ''}")  # fmt: skip
    fitter = lifetimes_fitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_sub, _ = best_of(1, lambda: fitter.fit(x[:m], t_x[:m], T[:m]))
    theirs_fit = theirs_sub * n / m
    print(f"  lifetimes fit on {m:,}: {theirs_sub:.2f} s -> {theirs_fit:.0f} s for {n:,} "
          f"(linear extrapolation); its parameters {dict(fitter.params_.round(4))}")  # fmt: skip
    ours_sub, _ = best_of(k, lambda: ParetoNBD.fit(x[:m], t_x[:m], T[:m]))
    print(f"  custvalue fit on the same {m:,}: {ours_sub:.3f} s "
          f"({theirs_sub / ours_sub:.0f}x)")  # fmt: skip
    rows.append((f"fit ({shape})", theirs_fit, ours_fit, TARGETS["fit"]))

    same = ParetoNBD(CDNOW)
    ref = lifetimes_fitter(CDNOW)

    def ours_pred() -> Any:
        return same.probability_alive(x, t_x, T), same.expected_purchases(52.0, x, t_x, T)

    def theirs_pred() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return (
                ref.conditional_probability_alive(x, t_x, T),
                ref.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T),
            )

    ours_p, (pa, e) = best_of(k, ours_pred)
    theirs_p, (pa_l, e_l) = best_of(k, theirs_pred)
    ok = np.isfinite(pa_l) & np.isfinite(e_l)
    agree = max(
        float(np.max(np.abs(pa[ok] - pa_l[ok]) / pa_l[ok])),
        float(np.max(np.abs(e[ok] - e_l[ok]) / np.maximum(e_l[ok], 1e-300))),
    )
    print(f"  predictions (P(alive) + E[X(52)]) on {n:,}: lifetimes {theirs_p:.2f} s, "
          f"custvalue {ours_p:.2f} s; max relative difference {agree:.1e}, lifetimes "
          f"non-finite on {int((~ok).sum())} rows")  # fmt: skip
    rows.append((f"predictions ({shape})", theirs_p, ours_p, TARGETS["predictions"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-sample", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    n, m, k = args.customers, min(args.lifetimes_sample, args.customers), args.repeat
    np.random.seed(args.seed)  # noqa: NPY002  (lifetimes draws its start from the global RNG)
    rows: list[tuple[str, float, float, float]] = []
    for shape in ("narrow", "wide"):
        x, t_x, T = simulate(n, args.seed, narrow=shape == "narrow")
        rows.extend(run_shape(shape, x, t_x, T, m, k))
    print(f"\n{'task':<24}{'lifetimes s':>14}{'custvalue s':>14}{'ratio':>10}{'target':>9}")
    for name, theirs, ours, target in rows:
        ratio = theirs / ours
        flag = "ok" if ratio >= target else "MISSED"
        print(f"{name:<24}{theirs:>14.2f}{ours:>14.2f}{ratio:>9.0f}x{target:>8.0f}x {flag}")
    print("(lifetimes fit times extrapolated from the subsample; best of "
          f"{k} for custvalue and the predictions, 1 run for lifetimes' fit)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
