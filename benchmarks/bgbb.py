"""BG/BB benchmark: custvalue's BetaGeoBetaBinom beside lifetimes' BetaGeoBetaBinomFitter.

Two synthetic bases drawn from the BG/BB process at the donations parameters (FHS 2010), one
row per customer, ``--customers`` customers, in ONE process:

narrow
    every customer observed for 6 opportunities (the donations design): at most 22 distinct
    histories, so collapsing identical rows pays;
wide
    cohorts acquired over 60 periods (``n_periods`` uniform on 1..60): tens of thousands of
    distinct histories and 60 distinct ``n_periods``.

Tasks (best of ``--repeat``): the fit on the per-customer rows, beside lifetimes' fitter on the
same rows (it does not group them; it often stops with its ConvergenceError, timed all the same)
and on the patterns with counts (its documented input, grouped by pandas inside the timing);
and the predictions E[X(n, n+5) | history]
+ P(alive) at the generating parameters in both libraries. lifetimes' per-row fit is timed on
``--lifetimes-customers`` rows (default 100,000) and scaled linearly to the full base (its cost
is linear in rows); the table says so.

Usage: ``python benchmarks/bgbb.py [--customers N] [--repeat K] [--lifetimes-customers M]``.
Needs lifetimes and pandas (test extras).
"""

from __future__ import annotations

# isort: off
import _bench  # noqa: F401  (first: single-threaded BLAS before numpy loads)

# isort: on
import argparse
import contextlib
import io
import warnings
from typing import Any

import numpy as np
from _bench import best_of

from custvalue.clv import BetaGeoBetaBinom, BetaGeoBetaBinomParams

DONATIONS = BetaGeoBetaBinomParams(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)


def _base(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    periods = np.full(n, 6.0) if kind == "narrow" else rng.integers(1, 61, size=n).astype(float)
    sim = BetaGeoBetaBinom(DONATIONS).simulate(periods, rng=rng)
    return np.asarray(sim.frequency), np.asarray(sim.recency), np.asarray(sim.T)


def _lifetimes_fitter(params: BetaGeoBetaBinomParams | None = None) -> Any:
    import lifetimes
    import pandas as pd

    fitter = lifetimes.BetaGeoBetaBinomFitter()
    if params is not None:
        fitter.params_ = pd.Series(
            dict(zip(("alpha", "beta", "gamma", "delta"), params.as_array(), strict=True))
        )
    return fitter


def run(kind: str, n: int, repeat: int, lifetimes_n: int) -> None:
    x, t_x, periods = _base(kind, n, seed=7)
    distinct = np.unique(np.stack([x, t_x, periods]), axis=1).shape[1]
    print(f"\n[{kind}] {n:,} customers, {distinct:,} distinct histories")

    ours_fit, model = best_of(repeat, lambda: BetaGeoBetaBinom.fit(x, t_x, periods))
    sub = slice(0, lifetimes_n)
    xi, ti, pi = x[sub].astype(int), t_x[sub].astype(int), periods[sub].astype(int)

    def theirs_fit_rows() -> Any:
        # lifetimes' fitter on the per-customer rows, as custvalue's (it does not group them)
        import lifetimes

        try:
            return _lifetimes_fitter().fit(xi, ti, pi, weights=np.ones(xi.size))
        except lifetimes.utils.ConvergenceError:
            return None  # timed all the same: the time it took to give up

    def theirs_fit_grouped() -> Any:
        # lifetimes' documented input: the patterns with counts (pandas groupby, timed too)
        import lifetimes
        import pandas as pd

        frame = pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": periods}).astype(int)
        grouped = frame.groupby(["frequency", "recency", "n_periods"]).size().reset_index()
        try:
            return _lifetimes_fitter().fit(
                grouped["frequency"], grouped["recency"], grouped["n_periods"], weights=grouped[0]
            )
        except lifetimes.utils.ConvergenceError:
            return None

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        rows_fit, rows_fitter = best_of(1, theirs_fit_rows)
        grouped_fit, fitter = best_of(repeat, theirs_fit_grouped)
    rows_fit *= n / lifetimes_n
    scaled = "" if lifetimes_n == n else f", timed on {lifetimes_n:,} rows and scaled"

    exact = BetaGeoBetaBinom(DONATIONS)

    def ours_predict() -> Any:
        expected = exact.expected_purchases(5, x, t_x, periods)
        return expected, exact.probability_alive(x, t_x, periods)

    ref = _lifetimes_fitter(DONATIONS)

    def theirs_predict() -> Any:
        return (
            ref.conditional_expected_number_of_purchases_up_to_time(5, x, t_x, periods),
            ref.conditional_probability_alive(0, x, t_x, periods),
        )

    ours_pred, (e_ours, a_ours) = best_of(repeat, ours_predict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_pred, (e_theirs, a_theirs) = best_of(repeat, theirs_predict)

    print(f"{'task':<36}{'custvalue s':>13}{'lifetimes s':>13}{'ratio':>9}")

    def line(task: str, ours: float, theirs: float, note: str = "") -> None:
        print(f"{task:<36}{ours:>13.3f}{theirs:>13.3f}{theirs / ours:>8.1f}x{note}")

    failed = " (lifetimes: ConvergenceError)"
    line(
        "fit, per-customer rows", ours_fit, rows_fit,
        (failed if rows_fitter is None else "") + scaled,
    )  # fmt: skip
    line(
        "fit, lifetimes on grouped patterns", ours_fit, grouped_fit,
        failed if fitter is None else "",
    )  # fmt: skip
    line("E[X(n,n+5)] + P(alive)", ours_pred, theirs_pred)
    ll_ours = float(np.sum(model.log_likelihood_per_customer(x, t_x, periods)))
    if fitter is None:
        print(f"params custvalue {np.round(model.params.as_array(), 4).tolist()}; lifetimes: none")
    else:
        ll_theirs = float(
            np.sum(_lifetimes_fitter()._loglikelihood(fitter.params_.to_numpy(), x, t_x, periods))
        )
        print(
            f"params custvalue {np.round(model.params.as_array(), 4).tolist()}, lifetimes "
            f"{np.round(fitter.params_.to_numpy(), 4).tolist()}; LL custvalue {ll_ours:.2f}, "
            f"lifetimes {ll_theirs:.2f}"
        )
    for name, ours, theirs in (("E", e_ours, e_theirs), ("P(alive)", a_ours, a_theirs)):
        rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)
        print(
            f"{name}: {np.mean(rel <= 1e-9):.1%} of customers agree to 1e-9 (lifetimes adds "
            f"1e-15 to its likelihood: customers with a small one are biased); max {rel.max():.1e}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lifetimes-customers", type=int, default=100_000)
    parser.add_argument("--bases", default="narrow,wide")
    args = parser.parse_args()
    lt = args.lifetimes_customers or args.customers
    for kind in args.bases.split(","):
        run(kind, args.customers, args.repeat, min(lt, args.customers))


if __name__ == "__main__":
    main()
