"""The long class-run survival fuzz: thousands of malformed submissions between honest students.

The fast suite grades one batch of 30 (tests/redteam/test_class_run_survival.py); this grades
``--submissions`` of them (default 10,000) in class runs of ``--batch`` malformed folders each,
every run between two honest students, with hypothesis drawing the folders. A failure is an
aborted run, an honest student without full marks, a malformed submission without a recorded
result or a NOT GRADED, or a control character reaching the terminal. Failing batches are
written to benchmarks/results/fuzz_failures/ to replay.

    .venv/bin/python benchmarks/fuzz_class_run.py --submissions 10000 --batch 100 --jobs 2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "redteam"), str(ROOT / "tests" / "autograder"), str(ROOT)]

RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="learnathon-fuzz-"))
    base.chmod(0o755)
    import tiny_assignment as tiny

    import pytest

    roots = base / "assignments", base / "hidden"
    tiny.write_assignment(*roots)
    tiny.register(pytest.MonkeyPatch(), roots)     # the registry and the environment of --jobs processes

    import fuzz
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    from autograder import course

    the_course = course.init(base / "course", course_id="fuzz")
    source = the_course.root / "source" / tiny.NAME / f"{tiny.PART}.ipynb"
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    failures_dir = RESULTS / "fuzz_failures"
    runs = -(-args.submissions // args.batch)
    tally = {"submissions": 0, "class_runs": 0, "failed_runs": 0, "failures": [], "seconds": 0.0}
    chosen_seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"seed {chosen_seed}; {runs} class runs of {args.batch}; course {the_course.root}", flush=True)
    started = time.monotonic()

    @seed(chosen_seed)
    @settings(max_examples=runs, phases=[Phase.generate], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(batch=st.lists(fuzz.malformed, min_size=args.batch, max_size=args.batch))
    def one_class_run(batch):
        if tally["submissions"] >= args.submissions:
            return
        cases = fuzz.unique(batch)
        run_started = time.monotonic()
        failures = fuzz.survives(the_course, cases, source=source, outside=outside, jobs=args.jobs)
        tally["submissions"] += len(cases)
        tally["class_runs"] += 1
        if failures:
            tally["failed_runs"] += 1
            tally["failures"] += failures
            failures_dir.mkdir(parents=True, exist_ok=True)
            (failures_dir / f"seed{chosen_seed}-run{tally['class_runs']}.txt").write_text(
                "\n".join(failures) + "\n\n" + "\n".join(repr(c) for c in cases))
        print(f"run {tally['class_runs']}: {len(cases)} malformed + 2 honest in {time.monotonic() - run_started:.0f} s; "
              f"{len(failures)} failures; total {tally['submissions']} submissions, "
              f"{tally['failed_runs']} failed runs", flush=True)

    one_class_run()
    tally["seconds"] = round(time.monotonic() - started, 1)
    summary = {k: v for k, v in tally.items() if k != "failures"} | {
        "failures_found": len(tally["failures"]), "first_failures": tally["failures"][:20], "seed": chosen_seed,
        "batch": args.batch, "jobs": args.jobs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"fuzz_class_run-{chosen_seed}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
