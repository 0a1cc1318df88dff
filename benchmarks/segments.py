"""Time every segmentation tool on N random customers (default 10 million).

Run: ``python benchmarks/segments.py [n_customers]``. Prints one row per classifier with the
wall-clock seconds (best of ``--repeat`` runs, default 1). Not part of the test-suite.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from custvalue import segments as seg


def _time(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(2001)
    since = rng.integers(0, 365, n).astype(float)  # days since last purchase: many ties
    count = rng.geometric(0.4, n).astype(float)  # purchases >= 1: heavy ties
    spend = np.round(count * rng.gamma(2.0, 30.0, n), 2)
    cost = rng.gamma(2.0, 20.0, n)
    clv = spend - cost
    p_alive = rng.uniform(0.0, 1.0, n)
    category = spend / rng.uniform(0.05, 1.0, n)
    satisfaction = rng.integers(1, 6, n)
    loyalty = rng.integers(1, 6, n)
    scores = seg.rfm_scores(since, count, spend)
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("rfm_scores (independent, ties='lower')", lambda: seg.rfm_scores(since, count, spend)),
        (
            "rfm_scores (nested, monetary='mean')",
            lambda: seg.rfm_scores(since, count, spend, binning="nested", monetary="mean"),
        ),
        (
            "rfm_scores (ties='average')",
            lambda: seg.rfm_scores(since, count, spend, ties="average"),
        ),
        ("rfm_segments (RF map)", lambda: seg.rfm_segments(scores)),
        (
            "predicted_value_segments (+ p_alive)",
            lambda: seg.predicted_value_segments(clv, p_alive),
        ),
        ("customer_pyramid (customer shares)", lambda: seg.customer_pyramid(spend, cost)),
        (
            "customer_pyramid (profit shares)",
            lambda: seg.customer_pyramid(spend, cost, cutoff="profit_share"),
        ),
        ("share_of_wallet", lambda: seg.share_of_wallet(spend, category)),
        (
            "value_classes (from share of wallet)",
            lambda: seg.value_classes(clv, wallet_share=seg.share_of_wallet(spend, category)),
        ),
        ("lorenz_curve + gini", lambda: seg.lorenz_curve(spend)),
        ("top_share (20%)", lambda: seg.top_share(spend, 0.2)),
        (
            "satisfaction_loyalty_quadrants",
            lambda: seg.satisfaction_loyalty_quadrants(satisfaction, loyalty),
        ),
        ("loyalty_ladder", lambda: seg.loyalty_ladder(count, referred=p_alive > 0.9)),
    ]
    width = max(len(name) for name, _ in cases)
    print(f"{n:,} customers, numpy {np.__version__}")
    print(f"{'classifier'.ljust(width)}  seconds")
    for name, fn in cases:
        print(f"{name.ljust(width)}  {_time(fn, args.repeat):7.2f}")


if __name__ == "__main__":
    main()
