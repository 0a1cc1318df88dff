"""The whole CLV pipeline on a synthetic transaction log of N customers, on one machine.

Data: the BG/NBD generative process at the published CDNOW parameters (converted to days),
first purchases spread uniformly over the first 12 weeks, a 39-week (273-day) observation
window ending 1997-09-30, purchase times recorded as calendar dates (so same-day purchases
merge in the summary, as in a real log); each purchase's amount follows the Gamma-Gamma
generative model at CDNOW's parameters, rounded to cents. Rows come in date order.

Stages timed (data generation excluded from the total): summarise the log (weeks),
fit BG/NBD, fit Gamma-Gamma, score P(alive) and expected purchases in the next 52 weeks,
12-month CLV (exact continuous discounting, 10% a year). Memory: peak RSS of the process
(``resource.getrusage``) after each stage, and the peak of numpy/Python allocations within
each stage (``tracemalloc``).

Usage::

    python benchmarks/scale.py --customers 10000000
    python benchmarks/scale.py --customers 2000000 --compare   # ~5M rows: summary vs lifetimes

``--compare`` also runs lifetimes 0.11.3 (needs the test extras): its summary step on the same
log (up to ``--compare-max-rows``, default 12M rows) and its fits, predictions and CLV up to
1M customers (beyond that they take minutes and are skipped).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from custvalue._collapse import collapse_rows
from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    GammaGammaParams,
    continuous_discount_rate,
    customer_lifetime_value,
)
from custvalue.summary import summarize_transactions

#: CDNOW parameters (FHL 2005), alpha converted from weeks to days.
BGNBD_DAYS = BetaGeoParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
GG_CDNOW = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
START = np.datetime64("1997-01-01", "D")
WINDOW_DAYS = 273  # 39 weeks: the last observed day is START + 272
FIRST_SPREAD_DAYS = 84


def make_transaction_log(
    n_customers: int, *, rng: np.random.Generator | int, first_id: int = 1_000_000
) -> dict[str, np.ndarray]:
    """A date-ordered transaction log of ``n_customers`` BG/NBD customers with amounts.

    Returns ``customer_id`` (int64), ``date`` (datetime64[D]) and ``amount`` (float64, cents
    rounded) arrays. Vectorised over purchase rounds (no loop over customers).
    """
    gen = np.random.default_rng(rng)
    p = BGNBD_DAYS
    n = n_customers
    lam = gen.gamma(p.r, 1.0 / p.alpha, size=n)  # purchases per day
    drop = gen.beta(p.a, p.b, size=n)
    nu = gen.gamma(GG_CDNOW.q, 1.0 / GG_CDNOW.gamma, size=n)  # spend rate per customer
    start = gen.integers(0, FIRST_SPREAD_DAYS, size=n) + gen.random(n)  # first purchase (days)
    ids = first_id + gen.permutation(n).astype(np.int64)
    chunks_who = [np.arange(n)]
    chunks_when = [start]
    last = start.copy()
    active = np.flatnonzero(lam > 0)
    while active.size:
        with np.errstate(divide="ignore", over="ignore"):
            when = last[active] + gen.exponential(1.0, size=active.size) / lam[active]
        buys = when < WINDOW_DAYS
        active, when = active[buys], when[buys]
        chunks_who.append(active)
        chunks_when.append(when)
        last[active] = when
        active = active[gen.random(active.size) >= drop[active]]  # dropout after a repeat
    who = np.concatenate(chunks_who)
    day = np.floor(np.concatenate(chunks_when)).astype(np.int64)
    del chunks_who, chunks_when
    order = np.argsort(day, kind="stable")
    who, day = who[order], day[order]
    amount = np.round(gen.gamma(GG_CDNOW.p, 1.0, size=who.size) / nu[who], 2)
    amount = np.maximum(amount, 0.01)
    return {"customer_id": ids[who], "date": START + day, "amount": amount}


def observation_end() -> np.datetime64:
    """Last observed day (inclusive) of the synthetic log."""
    return START + (WINDOW_DAYS - 1)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 2**20


class Stages:
    """Times each stage and records the peak RSS and the stage's allocation peak."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        start = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        self.rows.append((name, elapsed, (peak - base) / 2**20, peak_rss_mb()))
        return out

    def print(self, title: str) -> None:
        print(f"\n{title}")
        print(f"{'stage':<34}{'time s':>9}{'stage alloc MiB':>17}{'peak RSS MiB':>14}")
        for name, t, alloc, rss in self.rows:
            print(f"{name:<34}{t:>9.2f}{alloc:>17.0f}{rss:>14.0f}")


def run_lifetimes(
    log: dict[str, np.ndarray], n: int, max_rows: int, ours: dict[str, Any]
) -> list[tuple[str, float, float]]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    warnings.simplefilter("ignore", FutureWarning)  # lifetimes vs recent pandas, script only
    rows = []
    n_rows = log["customer_id"].size
    if n_rows <= max_rows:
        frame = pd.DataFrame(
            {"id": log["customer_id"], "date": log["date"].astype("datetime64[ns]"),
             "amount": log["amount"]}
        )  # fmt: skip
        start = time.perf_counter()
        lt = summary_data_from_transaction_data(
            frame, "id", "date", monetary_value_col="amount",
            observation_period_end=str(observation_end()), freq="D",
        )  # fmt: skip
        t_lt = time.perf_counter() - start
        s = ours["summary_days"]
        same = (
            np.array_equal(lt.index.to_numpy(), s.customer_id)
            and np.array_equal(lt["frequency"].to_numpy(), s.frequency)
            and np.array_equal(lt["recency"].to_numpy(), s.recency)
            and np.array_equal(lt["T"].to_numpy(), s.T)
        )
        money = float(np.max(np.abs(lt["monetary_value"].to_numpy() - s.monetary_value)))
        print(f"summary vs lifetimes ({n_rows:,} rows, days): frequency/recency/T identical: "
              f"{same}; max |monetary difference| {money:.3g}")  # fmt: skip
        rows.append(("summarise (days)", t_lt, ours["t_summary_days"]))
        del frame, lt
    else:
        print(f"lifetimes summary skipped: {n_rows:,} rows > --compare-max-rows {max_rows:,}")
    if n > 1_000_000:
        print("lifetimes fits/scoring skipped above 1M customers (they take minutes)")
        return rows
    s = ours["summary"]
    x, tx, T, m = (pd.Series(v) for v in (s.frequency, s.recency, s.T, s.monetary_value))
    start = time.perf_counter()
    bg = BetaGeoFitter().fit(x, tx, T)
    rows.append(("fit BG/NBD", time.perf_counter() - start, ours["t_bg"]))
    rep = x > 0
    start = time.perf_counter()
    gg = GammaGammaFitter().fit(x[rep], m[rep])
    rows.append(("fit Gamma-Gamma", time.perf_counter() - start, ours["t_gg"]))
    start = time.perf_counter()
    bg.conditional_probability_alive(x, tx, T)
    bg.conditional_expected_number_of_purchases_up_to_time(52.0, x, tx, T)
    rows.append(("P(alive) + E[X(52w)]", time.perf_counter() - start, ours["t_pred"]))
    start = time.perf_counter()
    gg.customer_lifetime_value(bg, x, tx, T, m, time=12, discount_rate=0.01, freq="W")
    rows.append(("12-month CLV", time.perf_counter() - start, ours["t_clv"]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--compare", action="store_true", help="also run lifetimes")
    parser.add_argument("--compare-max-rows", type=int, default=12_000_000)
    args = parser.parse_args(argv)
    n = args.customers

    start = time.perf_counter()
    log = make_transaction_log(n, rng=args.seed)
    t_gen = time.perf_counter() - start
    n_rows = log["customer_id"].size
    print(f"{n:,} customers, {n_rows:,} transactions (generated in {t_gen:.1f} s, "
          f"peak RSS so far {peak_rss_mb():.0f} MiB)")  # fmt: skip

    tracemalloc.start()
    st = Stages()
    end = observation_end()
    summary = st.run(
        "summarise (weeks)",
        lambda: summarize_transactions(
            log["customer_id"], log["date"], log["amount"], observation_end=end, time_unit="W"
        ),
    )
    x, tx, T, m = summary.frequency, summary.recency, summary.T, summary.monetary_value
    bg = st.run("fit BG/NBD", lambda: BetaGeo.fit(x, tx, T))
    gg = st.run("fit Gamma-Gamma", lambda: GammaGamma.fit(x, m))
    scores: dict[str, np.ndarray] = {}
    n_hist = [0]

    def predict() -> None:
        (ux, utx, uT), _, inverse = collapse_rows(x, tx, T)
        n_hist[0] = ux.size
        scores["p_alive"] = bg.probability_alive(ux, utx, uT)[inverse]
        scores["expected_52w"] = bg.expected_purchases(52.0, ux, utx, uT)[inverse]

    def clv() -> None:
        scores["clv_12m"] = customer_lifetime_value(
            bg, gg, x, tx, T, m, horizon=365.25 / 7,
            discount_rate=continuous_discount_rate(0.1, 52),
        )  # fmt: skip

    st.run("P(alive) + E[X(52w)]", predict)
    st.run("12-month CLV", clv)
    tracemalloc.stop()
    total = sum(r[1] for r in st.rows)
    fit_time = st.rows[1][1] + st.rows[2][1]
    st.print(
        f"custvalue pipeline: {n:,} customers, {n_rows:,} transactions, "
        f"{n_hist[0]:,} distinct (x, t_x, T) histories"
    )
    rss = peak_rss_mb()
    print(f"{'total (excluding generation)':<34}{total:>9.2f}")
    print(f"\ntargets: end to end {total:.1f} s < 30 s: {'PASS' if total < 30 else 'FAIL'}; "
          f"fits {fit_time:.2f} s < 5 s: {'PASS' if fit_time < 5 else 'FAIL'}; "
          f"peak RSS {rss:.0f} MiB < 4096 MiB: {'PASS' if rss < 4096 else 'FAIL'}")  # fmt: skip
    print(f"BG/NBD {bg.params}; converged: {bg.diagnostics.converged if bg.diagnostics else None}")
    print(f"Gamma-Gamma {gg.params}; converged: "
          f"{gg.diagnostics.converged if gg.diagnostics else None}")  # fmt: skip
    print(f"mean P(alive) {scores['p_alive'].mean():.4f}, mean E[X(52w)] "
          f"{scores['expected_52w'].mean():.4f}, "
          f"total 12-month CLV {scores['clv_12m'].sum():,.0f}")  # fmt: skip
    if args.compare:
        days = {}
        start = time.perf_counter()
        days["summary_days"] = summarize_transactions(
            log["customer_id"], log["date"], log["amount"], observation_end=end
        )
        days["t_summary_days"] = time.perf_counter() - start
        days["summary"] = summary
        for key, i in (("t_bg", 1), ("t_gg", 2), ("t_pred", 3), ("t_clv", 4)):
            days[key] = st.rows[i][1]
        rows = run_lifetimes(log, n, args.compare_max_rows, days)
        print(f"\n{'side by side':<34}{'lifetimes s':>12}{'custvalue s':>13}{'speed-up':>10}")
        for name, t_lt, t_cv in rows:
            print(f"{name:<34}{t_lt:>12.2f}{t_cv:>13.2f}{t_lt / t_cv:>9.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
