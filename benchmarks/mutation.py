"""Mutation testing, one module at a time with only that module's tests (cosmic-ray).

Run::

    python benchmarks/mutation.py src/custvalue/lifecycle/stages.py [more modules ...]
    python benchmarks/mutation.py --changed-since v0.1.0 --budget 1200

Each module is mutated in a throw-away copy of ``src/`` and ``tests/`` (the work tree is never
touched, even if the run is killed), with ``PYTHONPATH`` pointing at the copy so the editable
install is shadowed. The tests run are the module's own (:data:`MODULE_TESTS`, else the test
files named after the module); pytest stops at the first failure (``-x``), so a killed mutant
costs little and a survivor costs one run of those tests.

Operators: cosmic-ray's core set minus the ones that mostly make noise here (bitwise and shift
operators on floats, ``is``/``is not`` comparisons, variable inserters/replacers, removing
decorators from attrs classes). What stays: ``+ - * /`` swapped, ``<``/``<=``/``>``/``>=``
swapped and ``==``/``!=`` swapped (not one family for the other), ``and``/``or``, ``not``
added, unary operators deleted, ``True``/``False``, numbers off by one, ``break``/``continue``,
zero-iteration loops and exception replacement.

Sampling: each mutant costs one start of pytest (seconds), so at most ``--sample`` mutants per
module are run, drawn at random with a seed that is printed (``--seed`` replays the draw); the
score is then an estimate with its binomial standard error printed beside it.

Prints one row per module (mutants, killed, survived, timed out, not run within the budget,
score = killed / (killed + survived)) and writes each survivor's diff to
``<report-dir>/<module>.survivors.txt``. Exit status 0 unless the unmutated tests fail (a
mutation score is a measurement, not a gate). Requires ``cosmic-ray`` (``pip install
cosmic-ray``); ``.ci/mutation.sh`` installs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_REPURCHASE_TESTS = [
    "tests/lifecycle/test_repurchase.py",
    "tests/lifecycle/test_repurchase_boundaries.py",
]
#: Module (relative to the repository) -> the tests that exercise it. Modules not listed use
#: every ``tests/**/test_<stem>*.py``.
MODULE_TESTS: dict[str, list[str]] = {
    "src/custvalue/_collapse.py": ["tests/test_grouping_decision.py"],
    "src/custvalue/clv/_optimize.py": ["tests/clv/test_convergence.py"],
    "src/custvalue/lifecycle/stages.py": ["tests/lifecycle/test_stages.py"],
    "src/custvalue/lifecycle/estimation.py": ["tests/lifecycle/test_estimation.py"],
    "src/custvalue/lifecycle/_markov.py": [
        "tests/lifecycle/test_estimation.py",
        "tests/lifecycle/test_migration.py",
    ],
    "src/custvalue/lifecycle/repurchase.py": _REPURCHASE_TESTS,
    "src/custvalue/lifecycle/tarp.py": _REPURCHASE_TESTS,
    "src/custvalue/lifecycle/repurchase_survey.py": _REPURCHASE_TESTS,
    "src/custvalue/lifecycle/recovery_link.py": ["tests/lifecycle/test_repurchase.py"],
    "src/custvalue/segments/pyramid.py": [
        "tests/segments/test_pyramid.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/segments/_cutoffs.py": [
        "tests/segments/test_pyramid.py",
        "tests/segments/test_value_classes.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/segments/rfm.py": [
        "tests/segments/test_rfm.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/segments/loyalty.py": [
        "tests/segments/test_loyalty.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/segments/predicted.py": [
        "tests/segments/test_predicted.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/segments/value_classes.py": [
        "tests/segments/test_value_classes.py",
        "tests/segments/test_cutoff_boundaries.py",
    ],
    "src/custvalue/clv/_gamma_gamma_fit.py": [
        "tests/clv/test_gamma_gamma.py",
        "tests/clv/test_gamma_gamma_gradient.py",
    ],
}

EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_.*_(FloorDiv|Mod|Pow|RShift|LShift|BitOr|BitAnd|BitXor)$",
    r"core/ReplaceBinaryOperator_(FloorDiv|Mod|Pow|RShift|LShift|BitOr|BitAnd|BitXor)_.*",
    r"core/ReplaceComparisonOperator_.*_(Is|IsNot)$",
    r"core/ReplaceComparisonOperator_(Is|IsNot|In|NotIn)_.*",
    r"core/ReplaceComparisonOperator_(Lt|LtE|Gt|GtE)_(Eq|NotEq)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq)_(Lt|LtE|Gt|GtE)$",
    r"core/ReplaceUnaryOperator_.*_(UAdd|Invert)$",
    r"core/VariableInserter",
    r"core/VariableReplacer",
    r"core/RemoveDecorator",
]

#: Outcomes in cosmic-ray's session database.
KILLED, SURVIVED = "killed", "survived"


def tests_for(module: str) -> list[str]:
    if module in MODULE_TESTS:
        return MODULE_TESTS[module]
    stem = Path(module).stem.lstrip("_")
    found = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob(f"test_{stem}*.py"))
    return found


def changed_modules(base: str) -> list[str]:
    out = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD", "--", "src/custvalue"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return sorted(p for p in out if p.endswith(".py") and (ROOT / p).exists())


def _config(module: str, tests: list[str], timeout: float) -> str:
    command = f"{sys.executable} -m pytest -q -x -p no:cacheprovider " + " ".join(tests)
    excluded = ", ".join(json.dumps(e) for e in EXCLUDED_OPERATORS)
    return (
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n"
    )


def _outcomes(session: Path) -> dict[str, int]:
    counts = {"mutants": 0, KILLED: 0, SURVIVED: 0, "timeout": 0, "not run": 0}
    with sqlite3.connect(session) as db:
        rows = db.execute(
            "SELECT r.worker_outcome, r.test_outcome FROM work_items w "
            "LEFT JOIN work_results r ON r.job_id = w.job_id"
        ).fetchall()
    for worker, test in rows:
        if worker == "SKIPPED":
            continue
        counts["mutants"] += 1
        if worker is None:
            counts["not run"] += 1
        elif worker == "ABNORMAL" and test is None:
            counts["timeout"] += 1
        elif test == "KILLED" or worker == "EXCEPTION":
            counts[KILLED] += 1
        elif test == "SURVIVED":
            counts[SURVIVED] += 1
        else:  # incompetent mutants and timeouts count as detected
            counts[KILLED if test == "INCOMPETENT" else "timeout"] += 1
    return counts


def _survivors(session: Path) -> str:
    with sqlite3.connect(session) as db:
        rows = db.execute(
            "SELECT r.diff FROM work_results r WHERE r.test_outcome = 'SURVIVED'"
        ).fetchall()
    return "\n".join(diff for (diff,) in rows)


def _sample(session: Path, keep: int, seed: int) -> None:
    """Mark all but ``keep`` randomly chosen pending mutants as skipped."""
    with sqlite3.connect(session) as db:
        pending = [
            job
            for (job,) in db.execute(
                "SELECT w.job_id FROM work_items w LEFT JOIN work_results r "
                "ON r.job_id = w.job_id WHERE r.job_id IS NULL ORDER BY w.job_id"
            )
        ]
        if len(pending) <= keep:
            return
        chosen = set(random.Random(seed).sample(pending, keep))
        db.executemany(
            "INSERT INTO work_results (worker_outcome, output, test_outcome, diff, job_id) "
            "VALUES ('SKIPPED', 'not sampled', NULL, NULL, ?)",
            [(job,) for job in pending if job not in chosen],
        )


def _copy(work: Path) -> dict[str, str]:
    """Copy the files git tracks into ``work`` (tests read the docs, the README and the CI
    scripts too); the environment that imports the copy's ``src``."""
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode("utf-8")
        .split("\0")
    )
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / name)
    return dict(os.environ, PYTHONPATH=str(work / "src"), HYPOTHESIS_PROFILE="default")


def _tests_pass(work: Path, env: dict[str, str], tests: list[str]) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def run_module(
    module: str, budget: float, timeout: float, report_dir: Path, sample: int, seed: int
) -> dict[str, object]:
    tests = tests_for(module)
    if not tests:
        return {"module": module, "note": "no tests named after the module; add MODULE_TESTS"}
    cr = shutil.which("cosmic-ray", path=os.path.dirname(sys.executable)) or "cosmic-ray"
    filt = shutil.which("cr-filter-operators", path=os.path.dirname(sys.executable))
    with tempfile.TemporaryDirectory(prefix="custvalue-mutation-") as tmp:
        work = Path(tmp)
        env = _copy(work)
        (work / "cr.toml").write_text(_config(module, tests, timeout), encoding="utf-8")
        session = work / "session.sqlite"

        def call(*args: str, limit: float | None = None) -> int:
            try:
                done = subprocess.run(
                    args, cwd=work, env=env, timeout=limit, capture_output=True, text=True
                )
            except subprocess.TimeoutExpired:
                return -1
            return done.returncode

        if not _tests_pass(work, env, tests):
            return {"module": module, "note": "the unmutated tests fail", "failed": True}
        call(cr, "init", "cr.toml", str(session))
        if filt:
            call(filt, str(session), "cr.toml")
        _sample(session, sample, seed)
        start = time.monotonic()
        finished = call(cr, "exec", "cr.toml", str(session), limit=budget) != -1
        elapsed = time.monotonic() - start
        counts = _outcomes(session)
        report_dir.mkdir(parents=True, exist_ok=True)
        name = module.replace("/", ".").removeprefix("src.").removesuffix(".py")
        (report_dir / f"{name}.survivors.txt").write_text(_survivors(session), encoding="utf-8")
    tried = counts[KILLED] + counts[SURVIVED]
    score = counts[KILLED] / tried if tried else float("nan")
    return {
        "module": module,
        "tests": tests,
        **counts,
        "score": score,
        "seconds": round(elapsed),
        "complete": finished,
    }


def recheck(module: str, survivors: Path) -> tuple[int, int]:
    """Re-apply each surviving mutant of ``module`` (a ``.survivors.txt`` file) to a fresh copy
    and run the module's tests again: ``(now killed, still surviving)``. Uses ``patch``; a diff
    that no longer applies (the module changed) is reported and not counted."""
    diffs = [
        d for d in survivors.read_text(encoding="utf-8").split("--- mutation diff ---") if d.strip()
    ]
    tests = tests_for(module)
    killed = still = 0
    for diff in diffs:
        with tempfile.TemporaryDirectory(prefix="custvalue-recheck-") as tmp:
            work = Path(tmp)
            env = _copy(work)
            (work / "m.diff").write_text(diff.lstrip("\n"), encoding="utf-8")
            applied = subprocess.run(
                ["patch", "-p1", "--batch", "--silent", "-i", "m.diff"], cwd=work, check=False
            )
            if applied.returncode != 0:
                print(f"mutation: a survivor of {module} no longer applies:\n{diff}")
                continue
            if _tests_pass(work, env, tests):
                still += 1
            else:
                killed += 1
    return killed, still


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="paths like src/custvalue/segments/pyramid.py")
    parser.add_argument("--changed-since", help="git revision: mutate the modules changed since")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per module")
    parser.add_argument("--total-budget", type=float, default=None, help="seconds for the run")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant")
    parser.add_argument("--report-dir", type=Path, default=Path(tempfile.gettempdir()) / "mutation")
    parser.add_argument("--sample", type=int, default=60, help="mutants run per module at most")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sample (printed)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per module")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="re-run the survivors recorded in --report-dir against the current tests",
    )
    args = parser.parse_args(argv)
    modules = list(args.modules)
    if args.changed_since:
        modules += changed_modules(args.changed_since)
    if not modules:
        print("mutation: no module to mutate")
        return 0
    if args.recheck:
        for module in dict.fromkeys(modules):
            name = module.replace("/", ".").removeprefix("src.").removesuffix(".py")
            killed, left = recheck(module, args.report_dir / f"{name}.survivors.txt")
            print(f"{module:<44} survivors now killed {killed}, still surviving {left}")
        return 0
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"mutation: sample of at most {args.sample} mutants per module, --seed {seed}")
    deadline = time.monotonic() + args.total_budget if args.total_budget else float("inf")
    print(f"mutation: surviving mutants' diffs go to {args.report_dir}/<module>.survivors.txt")
    failed = False
    header = f"{'module':<44} {'mutants':>7} {'killed':>6} {'surv.':>5} {'t/o':>4} "
    print(header + f"{'not run':>7} {'score':>11} {'s':>5}", flush=True)
    for module in dict.fromkeys(modules):
        left = deadline - time.monotonic()
        if left <= 30:
            print(f"{module:<44} skipped: the total budget is spent", flush=True)
            continue
        row = run_module(
            module, min(args.budget, left), args.timeout, args.report_dir, args.sample, seed
        )
        if args.json:
            print(json.dumps(row), flush=True)
        elif "note" in row:
            print(f"{module:<44} {row['note']}", flush=True)
        else:
            tried = row[KILLED] + row[SURVIVED]
            score = "-"
            if tried:
                se = (row["score"] * (1 - row["score"]) / tried) ** 0.5
                score = f"{row['score']:.0%} ±{se:.0%}"
            print(
                f"{module:<44} {row['mutants']:>7} {row[KILLED]:>6} {row[SURVIVED]:>5} "
                f"{row['timeout']:>4} {row['not run']:>7} {score:>11} {row['seconds']:>5}",
                flush=True,
            )
        failed = failed or bool(row.get("failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
