"""Where the tests find data that is not bundled with the package."""

from __future__ import annotations

import os
from pathlib import Path


def cdnow_master_path() -> Path:
    """The full CDNOW master file (1.8 MB, not bundled): ``$CUSTVALUE_CDNOW_MASTER``, else
    ``shared/data/`` beside the checkout, where developers and CI have it."""
    env = os.environ.get("CUSTVALUE_CDNOW_MASTER")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "CDNOW_master.txt"
