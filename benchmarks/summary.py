"""Benchmark: summarise a synthetic transaction log with custvalue (and optionally lifetimes).

Usage::

    python benchmarks/summary.py --rows 10000000
    python benchmarks/summary.py --rows 2000000 --compare --str-ids  # + lifetimes, str ids

The log has int64 customer ids, ``datetime64[D]`` dates over three years and gamma amounts.
With ``--compare`` the same rows go through ``lifetimes.utils.summary_data_from_transaction_data``
(daily frequency) in the same process and the results must agree (frequency, recency, T
exactly; monetary value to 1e-9 relative). Timings are wall-clock, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from custvalue.summary import CustomerSummary, summarize_transactions


def make_log(rows: int, customers: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    # a skewed purchase rate: a few heavy buyers, many light ones
    weights = rng.gamma(0.5, 1.0, customers)
    ids = rng.choice(
        np.arange(customers, dtype=np.int64) * 7 + 100, size=rows, p=weights / weights.sum()
    )
    days = np.datetime64("2020-01-01") + rng.integers(0, 3 * 365, rows).astype("timedelta64[D]")
    amounts = np.round(rng.gamma(2.0, 20.0, rows), 2)
    return {"customer_id": ids, "date": days, "monetary": amounts}


def best_time(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def check_equal(ours: CustomerSummary, frame: Any) -> None:
    frame = frame.sort_index()
    assert np.array_equal(frame.index.to_numpy(), ours.customer_id), "customer ids differ"
    assert np.array_equal(frame["frequency"].to_numpy(), ours.frequency), "frequency differs"
    assert np.array_equal(frame["recency"].to_numpy(), ours.recency), "recency differs"
    assert np.array_equal(frame["T"].to_numpy(), ours.T), "T differs"
    assert ours.monetary_value is not None
    np.testing.assert_allclose(frame["monetary_value"].to_numpy(), ours.monetary_value, rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="transactions (default %(default)s)"
    )
    parser.add_argument("--customers", type=int, default=0, help="customers (default rows / 10)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per timing (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--str-ids", action="store_true", help="also time string ids")
    parser.add_argument("--compare", action="store_true", help="also time lifetimes and compare")
    args = parser.parse_args()
    customers = args.customers or max(1, args.rows // 10)
    log = make_log(args.rows, customers, args.seed)
    end = log["date"].max()
    timings: list[tuple[str, float]] = []

    t_ours, ours = best_time(
        lambda: summarize_transactions(**log, observation_end=end), args.repeat
    )
    timings.append(("custvalue summarize_transactions (int ids)", t_ours))
    if args.str_ids:
        str_log = {**log, "customer_id": log["customer_id"].astype(str)}
        t_str, _ = best_time(lambda: summarize_transactions(**str_log, observation_end=end), 1)
        timings.append(("custvalue summarize_transactions (str ids)", t_str))

    if args.compare:
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data

        frame = pd.DataFrame(
            {"id": log["customer_id"], "date": log["date"], "amount": log["monetary"]}
        )
        t_ref, ref = best_time(
            lambda: summary_data_from_transaction_data(
                frame, "id", "date", "amount", observation_period_end=str(end)
            ),
            1,
        )
        check_equal(ours, ref)
        timings.append(("lifetimes summary_data_from_transaction_data", t_ref))

    print(f"rows: {args.rows:,}  customers (drawn): {ours.n_customers:,}  repeat: {args.repeat}")
    print(f"| {'implementation':<46} | {'seconds':>8} | {'rows/s':>12} |")
    print(f"| {'-' * 46} | {'-' * 8}:| {'-' * 12}:|")
    for name, seconds in timings:
        print(f"| {name:<46} | {seconds:8.2f} | {args.rows / seconds:12,.0f} |")
    if args.compare:
        ratio = timings[-1][1] / t_ours
        print("frequency, recency, T identical; monetary within 1e-9 relative")
        print(f"lifetimes / custvalue (int ids) time ratio: {ratio:.1f}x")


if __name__ == "__main__":
    main()
