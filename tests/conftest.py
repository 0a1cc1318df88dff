"""Shared test configuration: hypothesis profiles.

``default`` is fast, derandomized and what CI runs; ``ci`` (opt-in with
``HYPOTHESIS_PROFILE=ci``) runs many more examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
    derandomize=True,  # CI is reproducible: a red run can be replayed exactly
)
# CI runs the derandomized default profile; HYPOTHESIS_PROFILE=ci selects the thorough one.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
