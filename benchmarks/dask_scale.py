"""The CLV workflow with custvalue.dask on a LocalCluster (or any Dask cluster).

Writes a synthetic transaction log (the generator of ``scale.py``: BG/NBD purchases at the
CDNOW parameters with Gamma-Gamma amounts) as Parquet files, one file per (month, block of
customers), read back in month order, so a customer's purchases lie in several partitions.
Then, timed: summarise (Dask group-by on the customer), fit BG/NBD and Gamma-Gamma on the
reduced distinct histories, score every customer (P(alive), expected purchases in 52 weeks,
12-month CLV) and write the scores to Parquet. Prints the stage times and the peak resident
memory of each worker process.

Usage::

    python benchmarks/dask_scale.py                               # 50M transactions
    python benchmarks/dask_scale.py --transactions 5000000 --memory-limit 3GB
    python benchmarks/dask_scale.py --scheduler tcp://scheduler:8786 --data s3://bucket/log/

With ``--scheduler`` the script connects to a running cluster instead of starting a
LocalCluster; ``--data`` must then be a location every worker can read (no data is generated
if it already holds Parquet files).
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import (
    START,
    make_transaction_log,
    observation_end,
)

#: Transactions per customer of the synthetic log (measured: 20.67M rows for 10M customers).
ROWS_PER_CUSTOMER = 2.067


def write_log(path: Path, n_customers: int, block: int, seed: int) -> int:
    """Write the log as Parquet files ``month-MM-block-BBBB.parquet``; return the row count."""
    import pandas as pd

    path.mkdir(parents=True, exist_ok=True)
    rows = 0
    for b, lo in enumerate(range(0, n_customers, block)):
        n = min(block, n_customers - lo)
        log = make_transaction_log(n, rng=[seed, b], first_id=1_000_000 + lo)
        month = (log["date"].astype("datetime64[M]") - START.astype("datetime64[M]")).astype(int)
        frame = pd.DataFrame(
            {"customer_id": log["customer_id"], "date": log["date"], "amount": log["amount"]}
        )
        for m in np.unique(month):
            frame[month == m].to_parquet(path / f"month-{m:02d}-block-{b:04d}.parquet")
        rows += len(frame)
    return rows


def worker_peak_rss_mb() -> float:
    """Peak RSS of the calling worker process, MiB (run on each worker via Client.run)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=50_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB", help="per worker")
    parser.add_argument("--block", type=int, default=1_000_000, help="customers per file block")
    parser.add_argument("--data", default=None, help="Parquet directory (default: a temp dir)")
    parser.add_argument("--scheduler", default=None, help="address of a running scheduler")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)

    import dask.dataframe as dd
    from distributed import Client, LocalCluster, wait

    from custvalue import dask as cvd
    from custvalue.clv import continuous_discount_rate

    tmp = None
    if args.data is None:
        tmp = tempfile.mkdtemp(prefix="custvalue-dask-")
        data = Path(tmp) / "log"
    else:
        data = Path(args.data)
    n_customers = math.ceil(args.transactions / ROWS_PER_CUSTOMER)
    if args.data is None or not any(data.glob("*.parquet")):
        start = time.perf_counter()
        rows = write_log(data, n_customers, args.block, args.seed)
        print(f"generated {rows:,} transactions of {n_customers:,} customers as Parquet in "
              f"{time.perf_counter() - start:.1f} s (not timed below)")  # fmt: skip

    if args.scheduler:
        client = Client(args.scheduler)
        cluster: Any = None
    else:
        cluster = LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True,
            memory_limit=args.memory_limit, dashboard_address=None,
        )  # fmt: skip
        client = Client(cluster)
    n_threads = sum(client.nthreads().values())
    print(f"cluster: {len(client.nthreads())} workers, {n_threads} threads, "
          f"memory limit {args.memory_limit} per worker")  # fmt: skip

    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    log = dd.read_parquet(str(data))
    summary = cvd.summarize_transactions(
        log, monetary="amount", observation_end=observation_end(), time_unit="W"
    ).persist()
    wait(summary)
    stages.append(("read + summarise (shuffle by customer)", time.perf_counter() - t0))

    t = time.perf_counter()
    bg, gg = cvd.fit_models(summary)
    stages.append(("fit BG/NBD + Gamma-Gamma", time.perf_counter() - t))

    t = time.perf_counter()
    scores = cvd.score_customers(
        summary, bg, gg, horizon=365.25 / 7, discount_rate=continuous_discount_rate(0.1, 52)
    )
    out = (Path(tmp) if tmp else Path(tempfile.mkdtemp(prefix="custvalue-scores-"))) / "scores"
    scores.to_parquet(str(out))
    stages.append(("score + CLV, write Parquet", time.perf_counter() - t))
    total = time.perf_counter() - t0

    total_clv = float(dd.read_parquet(str(out))["clv"].sum().compute())
    n_cust = int(bg.n_customers or 0)
    peaks = client.run(worker_peak_rss_mb)
    print(f"\ncustvalue.dask: {args.transactions:,} transactions requested, {n_cust:,} "
          f"customers, {log.npartitions} input partitions")  # fmt: skip
    print(f"{'stage':<42}{'time s':>9}")
    for name, s in stages:
        print(f"{name:<42}{s:>9.1f}")
    print(f"{'total':<42}{total:>9.1f}")
    print("peak RSS per worker process (MiB): "
          + ", ".join(f"{v:.0f}" for v in peaks.values()))  # fmt: skip
    print(f"BG/NBD {bg.params}\nGamma-Gamma {gg.params}\ntotal 12-month CLV {total_clv:,.0f}")
    client.close()
    if cluster is not None:
        cluster.close()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
