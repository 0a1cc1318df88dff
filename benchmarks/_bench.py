"""Shared by the side-by-side benchmarks: single-threaded BLAS and best-of-k timing.

Import it before numpy: both libraries run their algorithms single-threaded, and a
multithreaded BLAS only adds thread hand-off costs to their small dot products (large on a busy
machine). Override by setting OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def best_of(k: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest of ``k`` timed calls of ``fn`` (seconds) and the last call's result."""
    best, out = math.inf, None
    for _ in range(k):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out
