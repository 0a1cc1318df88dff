"""Speed (and agreement) of custvalue against lifetimes 0.11.3 on synthetic customers.

Simulates CDNOW-like customers (BG/NBD at the published CDNOW parameters, weeks, first
purchases spread over the first 12 weeks, 39-week calibration, event times on a daily grid
via ``simulate_bgnbd(..., resolution=1/7)``; spends from the Gamma-Gamma generative model,
rounded to cents), then times, in one process, lifetimes against custvalue for:

(a) BG/NBD fit, (b) Gamma-Gamma fit, (c) 12-month CLV (lifetimes' formula, ours in lifetimes
mode and ours with exact continuous discounting), (d) conditional predictions (expected
purchases in 52 weeks + P(alive)).

Usage: ``python benchmarks/compare_lifetimes.py [--customers N] [--repeat K] [--seed S]``
(best of K runs for each timing). Needs lifetimes and pandas (test extras).
"""

from __future__ import annotations

# isort: off
import _bench  # noqa: F401  (first: single-threaded BLAS before numpy loads)

# isort: on
import argparse
import math
import os
import warnings
from typing import Any

import numpy as np
from _bench import best_of

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    customer_lifetime_value,
    lifetimes_customer_lifetime_value,
    simulate_bgnbd,
)

BGNBD_CDNOW = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG_CDNOW = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
TARGETS = {"BG/NBD fit": 30.0, "Gamma-Gamma fit": 30.0, "12-month CLV": 20.0,
           "predictions": 3.0}  # fmt: skip


def simulate(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, size=n)  # first purchase in the first 12 weeks
    T = (273 - first_day) / 7.0  # calibration ends after 39 weeks (273 days)
    sim = simulate_bgnbd(BGNBD_CDNOW, T, rng=rng, resolution=1 / 7)
    x = sim.frequency
    nu = rng.gamma(GG_CDNOW.q, 1.0 / GG_CDNOW.gamma, size=n)
    shape = np.where(x > 0, GG_CDNOW.p * x, 1.0)
    totals = np.maximum(np.round(rng.gamma(shape, 1.0 / nu), 2), 0.01)  # in cents
    m = np.where(x > 0, totals / np.maximum(x, 1.0), 0.0)  # mean of the repeat purchases
    return {"frequency": x, "recency": sim.recency, "T": sim.T, "monetary_value": m}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of K runs per timing")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    warnings.simplefilter("ignore", FutureWarning)  # lifetimes vs recent pandas, script only
    data = simulate(args.customers, args.seed)
    x, tx, T, m = data["frequency"], data["recency"], data["T"], data["monetary_value"]
    rep = x > 0
    n_unique = np.unique(np.stack([x, tx, T]), axis=1).shape[1]
    print(
        f"{args.customers:,} customers, {int(rep.sum()):,} repeat buyers, {n_unique:,} "
        f"distinct (frequency, recency, T) histories; best of {args.repeat}; "
        f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    xs, txs, Ts, ms = (pd.Series(v) for v in (x, tx, T, m))
    rows: list[tuple[str, float, float]] = []
    k = args.repeat

    # (a) BG/NBD fit
    t_lt, bg_lt = best_of(k, lambda: BetaGeoFitter().fit(xs, txs, Ts))
    t_cv, bg_cv = best_of(k, lambda: BetaGeo.fit(x, tx, T))
    rows.append(("BG/NBD fit", t_lt, t_cv))
    lt_bg_params = BetaGeoParams(*(float(bg_lt.params_[n]) for n in ("r", "alpha", "a", "b")))

    # (b) Gamma-Gamma fit (lifetimes is given the repeat buyers; ours drops x = 0 itself)
    t_lt, gg_lt = best_of(k, lambda: GammaGammaFitter().fit(xs[rep], ms[rep]))
    t_cv, gg_cv = best_of(k, lambda: GammaGamma.fit(x, m))
    rows.append(("Gamma-Gamma fit", t_lt, t_cv))
    lt_gg_params = GammaGammaParams(*(float(gg_lt.params_[n]) for n in ("p", "q", "v")))

    # Predictions and CLV at lifetimes' parameters, so the outputs are comparable.
    bg_same, gg_same = BetaGeo(lt_bg_params), GammaGamma(lt_gg_params)

    # (c) 12-month CLV, weekly data
    def lt_clv() -> Any:
        return gg_lt.customer_lifetime_value(
            bg_lt, xs, txs, Ts, ms, time=12, discount_rate=0.01, freq="W"
        ).to_numpy()

    def cv_clv() -> Any:
        return lifetimes_customer_lifetime_value(
            bg_same, gg_same, x, tx, T, m, months=12, monthly_discount_rate=0.01, freq="W"
        )

    def cv_clv_cont() -> Any:
        return customer_lifetime_value(
            bg_same, gg_same, x, tx, T, m, horizon=12 * 4.345,
            discount_rate=math.log(1.01) / 4.345,
        )  # fmt: skip

    t_lt, clv_lt = best_of(k, lt_clv)
    t_cv, clv_cv = best_of(k, cv_clv)
    t_cont, clv_cont = best_of(k, cv_clv_cont)
    rows.append(("12-month CLV", t_lt, t_cv))
    rows.append(("12-month CLV (continuous)", t_lt, t_cont))

    # (d) conditional predictions: E[X(52) | history] and P(alive)
    def lt_pred() -> Any:
        e = bg_lt.conditional_expected_number_of_purchases_up_to_time(52.0, xs, txs, Ts)
        return np.asarray(e), np.asarray(bg_lt.conditional_probability_alive(xs, txs, Ts))

    def cv_pred() -> Any:
        return bg_same.expected_purchases(52.0, x, tx, T), bg_same.probability_alive(x, tx, T)

    t_lt, pred_lt = best_of(k, lt_pred)
    t_cv, pred_cv = best_of(k, cv_pred)
    rows.append(("predictions", t_lt, t_cv))

    print()
    print(f"{'task':<28}{'lifetimes s':>12}{'custvalue s':>13}{'ratio':>9}{'target':>8}  result")
    for task, lt_s, cv_s in rows:
        target = TARGETS.get(task, TARGETS["12-month CLV"])
        ratio = lt_s / cv_s
        verdict = "PASS" if ratio >= target else "FAIL"
        print(f"{task:<28}{lt_s:>12.3f}{cv_s:>13.3f}{ratio:>8.1f}x{target:>7.0f}x  {verdict}")

    def rel(a: Any, b: Any) -> float:
        a, b = np.asarray(a, float), np.asarray(b, float)
        ok = np.isfinite(b) & (np.abs(b) > 0)
        return float(np.max(np.abs(a[ok] - b[ok]) / np.abs(b[ok])))

    print("\nagreement")
    ll_lt = float(bg_same.log_likelihood_per_customer(x, tx, T).sum())
    print(f"  BG/NBD params custvalue {np.round(bg_cv.params.as_array(), 6)} lifetimes "
          f"{np.round(lt_bg_params.as_array(), 6)} max rel diff "
          f"{rel(bg_cv.params.as_array(), lt_bg_params.as_array()):.2e}")  # fmt: skip
    print(f"  BG/NBD LL custvalue {bg_cv.log_likelihood:.6f} lifetimes {ll_lt:.6f} "
          f"(ours - theirs = {bg_cv.log_likelihood - ll_lt:.3g})")  # fmt: skip
    gg_ll_lt = float(gg_same.log_likelihood_per_customer(x, m).sum())
    print(f"  Gamma-Gamma params custvalue {np.round(gg_cv.params.as_array(), 6)} lifetimes "
          f"{np.round(lt_gg_params.as_array(), 6)} max rel diff "
          f"{rel(gg_cv.params.as_array(), lt_gg_params.as_array()):.2e}")  # fmt: skip
    print(f"  Gamma-Gamma LL custvalue {gg_cv.log_likelihood:.6f} lifetimes {gg_ll_lt:.6f} "
          f"(ours - theirs = {gg_cv.log_likelihood - gg_ll_lt:.3g})")  # fmt: skip
    print(f"  CLV lifetimes mode vs lifetimes: max rel diff {rel(clv_cv, clv_lt):.2e}")
    print(f"  CLV continuous vs lifetimes' monthly steps: max rel diff "
          f"{rel(clv_cont, clv_lt):.2e} (different discounting, expected to differ)")  # fmt: skip
    print(f"  E[X(52)|hist] max rel diff {rel(pred_cv[0], pred_lt[0]):.2e}; "
          f"P(alive) max rel diff {rel(pred_cv[1], pred_lt[1]):.2e}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
