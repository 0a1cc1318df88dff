#!/usr/bin/env bash
# Mutation check (issue 18): mutate the modules of src/custvalue changed since the last release
# tag, one module at a time with only that module's tests (benchmarks/mutation.py, cosmic-ray),
# bounded in time. Prints one row per module with its score; the scores are a measurement
# recorded in docs/testing.md, not a gate (the step fails only if a module's own tests fail
# unmutated or the tool cannot run).
# Base: the newest tag reachable from HEAD; before the first release, the documented baseline
# commit below (main when mutation testing was introduced). Override with MUTATION_BASE=<rev>.
# Budget: MUTATION_BUDGET seconds in all (default 900), at most MUTATION_SAMPLE mutants per
# module (default 30, a seeded random sample; the seed is printed). About 3 s per mutant on 2
# idle cores, so 15 minutes cover ~5 modules.
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=f6b92ad
base=${MUTATION_BASE:-$(git describe --tags --abbrev=0 2>/dev/null || echo "$BASELINE")}
if ! git rev-parse --verify -q "$base^{commit}" >/dev/null; then
  echo "mutation: base $base is not in this clone's history (shallow clone?); nothing to compare"
  exit 0
fi
python -m pip install -q "cosmic-ray==8.7.0"
echo "mutation: modules changed since $base"
python benchmarks/mutation.py --changed-since "$base" \
  --total-budget "${MUTATION_BUDGET:-900}" --budget 300 --sample "${MUTATION_SAMPLE:-30}" \
  --report-dir "${MUTATION_REPORT:-$(mktemp -d)}"
