"""Time :func:`custvalue.clv.clv_interval` on 1M simulated customers with 200 parameter draws.

Histories are drawn from the BG/NBD process with customers acquired over 13 weeks and
purchases recorded by day (times in weeks on a 1/7 grid), spends from the Gamma-Gamma model;
the models are fitted, then the intervals computed with the normal method (200 draws) for a
52-week horizon at 10% a year. Run: ``python benchmarks/clv_intervals.py [n_customers]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from custvalue.clv import (
    BetaGeo,
    BetaGeoParams,
    GammaGamma,
    clv_interval,
    continuous_discount_rate,
    simulate_bgnbd,
)


def main(n: int = 1_000_000, n_resamples: int = 200) -> None:
    rng = np.random.default_rng(0)
    T = rng.integers(7 * 26, 7 * 39 + 1, n) / 7.0
    sim = simulate_bgnbd(BetaGeoParams(0.243, 4.414, 0.793, 2.426), T, rng=1, resolution=1 / 7)
    x = np.asarray(sim.frequency)
    nu = rng.gamma(3.74, 1.0 / 15.44, n)  # Gamma-Gamma: nu ~ Gamma(q, rate gamma)
    m = np.where(x > 0, rng.gamma(6.25 * np.maximum(x, 1), 1.0) / (nu * np.maximum(x, 1)), 0.0)
    bg = BetaGeo.fit(x, sim.recency, sim.T)
    gg = GammaGamma.fit(x[x > 0], m[x > 0])
    start, cpu = time.perf_counter(), time.process_time()
    ci = clv_interval(
        bg, gg, x, sim.recency, sim.T, m, horizon=52.0,
        discount_rate=continuous_discount_rate(0.1, 52), n_resamples=n_resamples, rng=2,
    )  # fmt: skip
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"customers             {n:>12,}")
    print(f"parameter draws       {ci.n_resamples:>12}")
    print(f"seconds (wall)        {elapsed:>12.1f}")
    print(f"seconds (CPU)         {cpu:>12.1f}")
    print(ci.summary())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
