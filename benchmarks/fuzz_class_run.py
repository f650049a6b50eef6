"""The long class-run survival fuzz: thousands of malformed submissions between honest students.

The fast suite grades one batch of 30 (tests/redteam/test_class_run_survival.py); this grades
``--submissions`` of them (default 10,000) in class runs of ``--batch`` malformed folders each,
every run between two honest students, with hypothesis drawing the folders. A failure is an
aborted run, an honest student without full marks, a malformed submission without a recorded
result or a NOT GRADED, or a control character reaching the terminal. Failing batches are
written to benchmarks/results/fuzz_failures/ to replay.

Runs are drawn until ``--submissions`` distinct malformed folders have been graded: hypothesis's
first batch is its simplest (one case repeated, so one folder), and a name drawn twice in a batch
is planted once. Each class run has a fixed cost (course reset, a class run's start, the two
honest students: about 2 s on an idle machine) besides its malformed folders (about 0.07 s each),
so large batches spend the machine on the malformed folders.

    .venv/bin/python benchmarks/fuzz_class_run.py --submissions 10000 --batch 300 --jobs 2
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
sys.path.insert(0, str(ROOT))   # the project: its tests/ helpers

RESULTS = ROOT / "benchmarks" / "results"
DRAW = 50      # malformed folders hypothesis draws per example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=300, help="malformed folders per class run")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="learnathon-fuzz-"))
    base.chmod(0o755)
    import pytest

    from tests.autograder import tiny_assignment as tiny

    roots = base / "assignments", base / "hidden"
    tiny.write_assignment(*roots)
    tiny.register(pytest.MonkeyPatch(), roots)     # the registry and the environment of --jobs processes

    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    from autograder.admin import course
    from tests.redteam import fuzz

    the_course = course.init(base / "course", course_id="fuzz")
    source = the_course.root / "source" / tiny.NAME / f"{tiny.PART}.ipynb"
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    failures_dir = RESULTS / "fuzz_failures"
    # Hypothesis draws DRAW folders per example (a list of a few hundred overruns its 8 KiB buffer and
    # is thrown away); examples are pooled into class runs of --batch distinct folders. The first,
    # simplest example is one case repeated, and names drawn twice are planted once, so examples are
    # drawn until --submissions folders have been graded (max_examples leaves room for the losses).
    max_examples = 2 * -(-args.submissions // DRAW) + 2
    tally = {"submissions": 0, "class_runs": 0, "failed_runs": 0, "failures": [], "seconds": 0.0}
    pending: dict[str, object] = {}
    chosen_seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"seed {chosen_seed}; {args.submissions} malformed submissions in class runs of {args.batch}; "
          f"course {the_course.root}", flush=True)
    started = time.monotonic()

    def class_run(cases) -> None:
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
        print(f"run {tally['class_runs']}: {len(cases)} malformed + 2 honest in {time.monotonic() - run_started:.0f} "
              "s; "
              f"{len(failures)} failures; total {tally['submissions']} submissions, "
              f"{tally['failed_runs']} failed runs", flush=True)

    def wanted() -> int:
        return min(args.batch, args.submissions - tally["submissions"])

    @seed(chosen_seed)
    @settings(max_examples=max_examples, phases=[Phase.generate], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(drawn=st.lists(fuzz.malformed, min_size=DRAW, max_size=DRAW))
    def draw(drawn):
        for case in fuzz.unique(drawn):
            if wanted() > len(pending):
                pending.setdefault(case.name, case)
        if pending and len(pending) >= wanted():
            class_run(list(pending.values()))
            pending.clear()

    draw()
    if pending:     # hypothesis ran out of examples first (many duplicate names): grade what was drawn
        class_run(list(pending.values()))
    tally["seconds"] = round(time.monotonic() - started, 1)
    summary = {k: v for k, v in tally.items() if k != "failures"} | {
        "failures_found": len(tally["failures"]), "first_failures": tally["failures"][:20], "seed": chosen_seed,
        "batch": args.batch, "jobs": args.jobs}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"fuzz_class_run-{chosen_seed}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
