"""Where the tests find data that is not bundled with the package."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from custvalue.summary import CustomerSummary, summarize_transactions


def cdnow_master_path() -> Path:
    """The full CDNOW master file (1.8 MB, not bundled): ``$CUSTVALUE_CDNOW_MASTER``, else
    ``shared/data/`` beside the checkout, where developers and CI have it."""
    env = os.environ.get("CUSTVALUE_CDNOW_MASTER")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "CDNOW_master.txt"


def cdnow_master_summary(time_unit: str) -> CustomerSummary:
    """The CDNOW master file summarised in ``time_unit`` (the test is skipped without it)."""
    path = cdnow_master_path()
    if not path.exists():
        pytest.skip(f"CDNOW master file not found at {path} (set CUSTVALUE_CDNOW_MASTER)")
    raw = np.loadtxt(path, skiprows=1)
    ymd = raw[:, 1].astype(np.int64)
    months = (ymd // 10000 - 1970) * 12 + ymd // 100 % 100 - 1
    dates = months.astype("datetime64[M]").astype("datetime64[D]") + (ymd % 100 - 1)
    ids = raw[:, 0].astype(np.int64)
    return summarize_transactions(ids, dates, raw[:, 3], time_unit=time_unit)
