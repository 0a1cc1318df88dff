#!/usr/bin/env bash
# Property tests with fresh inputs: every hypothesis test (properties, not only the fuzz
# targets) under the non-derandomized `explore` profile, seeded from a new random seed that is
# printed first, so a failure can be replayed exactly:
#   HYPOTHESIS_PROFILE=explore python -m pytest -p hypothesis --hypothesis-seed=SEED tests/...
# Only hypothesis tests run (`-m hypothesis`, the marker hypothesis gives every @given test),
# the fuzz targets included at 60 examples per property.
# Usage: .ci/explore.sh [SEED]  (or HYPOTHESIS_SEED=SEED).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-${HYPOTHESIS_SEED:-$(python -c 'import secrets; print(secrets.randbelow(2**32))')}}
echo "explore: hypothesis seed $seed"
echo "explore: replay with HYPOTHESIS_PROFILE=explore python -m pytest -p hypothesis --hypothesis-seed=$seed <failing test>"
workers=()
if python -c 'import xdist' 2>/dev/null; then workers=(-n 2); fi
HYPOTHESIS_PROFILE=explore python -m pytest -q -p no:cacheprovider -p hypothesis \
  "--hypothesis-seed=$seed" "${workers[@]}" -m "hypothesis and not slow" tests \
  || { status=$?; echo "explore: FAILED with hypothesis seed $seed"; exit "$status"; }
echo "explore: passed with hypothesis seed $seed"
