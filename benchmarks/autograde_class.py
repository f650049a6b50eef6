"""How long `learnathon autograde` takes for a class: total and per submission.

Builds a course in a temporary folder, fabricates a class of N submissions of one assignment
(a realistic mix: full solutions, each typical-mistake fixture, untouched student versions,
truncated files; optionally endless loops), then times `autograde` with each --jobs value.

    .venv/bin/python benchmarks/autograde_class.py --students 20 --jobs 1 2
"""
from __future__ import annotations

import argparse
import itertools
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from autograder.admin.course import init
from autograder.admin.fabricate import endless_loop, read_fixture, solved, truncated, with_cells
from autograder.classrun.autograde import autograde
from autograder.grading import discovery
from autograder.sandbox import launcher

FIXTURES = Path(__file__).resolve().parent.parent / "autograder" / "hidden"   # NAME/fixtures/PART/


def class_mix(assignment: str, with_slow: bool):
    """An endless cycle of (kind, builder) pairs: builder(notebook_spec, release_dir, out)."""
    parts = discovery.load(assignment)
    kinds = [("full solution", lambda nb, rel, out: solved(nb.source, out)),  # noqa: ARG005 (every kind of student takes (notebook, release folder, out))
             ("untouched", lambda nb, rel, out: shutil.copy2(rel / nb.filename, out)),
             ("truncated file", lambda nb, rel, out: truncated(nb.source, out))]  # noqa: ARG005 (every kind of student takes (notebook, release folder, out))
    for nb in parts.notebooks:
        for path in sorted((FIXTURES / assignment / "fixtures" / nb.name).glob("*.py")):
            fixture = read_fixture(path)
            kinds.append((f"fixture {fixture.id}",
                          lambda n, rel, out, f=fixture, part=nb.name:  # noqa: ARG005 (every kind of student takes (notebook, release folder, out))
                          with_cells(n.source, f.cells, out) if n.name == part else solved(n.source, out)))
    if with_slow:
        kinds.append(("endless loop", lambda nb, rel, out: endless_loop(nb.source, out)))  # noqa: ARG005 (every kind of student takes (notebook, release folder, out))
    return parts, itertools.cycle(kinds)


def fabricate(course_root: Path, assignment: str, students: int, with_slow: bool) -> dict[str, str]:
    parts, mix = class_mix(assignment, with_slow)
    roster = {}
    for i, (kind, build) in zip(range(students), mix):
        student = f"s{i:03d}"
        folder = course_root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for nb in parts.notebooks:
            build(nb, course_root / "release" / assignment, folder / nb.filename)
        roster[student] = kind
    return roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--with-slow", action="store_true", help="include endless-loop submissions")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="learnathon-bench-"))
    started = time.monotonic()
    course = init(root / "course", assignment_names=[args.assignment])
    setup_seconds = time.monotonic() - started
    roster = fabricate(course.root, args.assignment, args.students, args.with_slow)
    rows = []
    for jobs in args.jobs:
        started = time.monotonic()
        results = autograde(course_dir=course.root, assignment=args.assignment, jobs=jobs, force=True)
        wall = time.monotonic() - started
        rows.append({"jobs": jobs, "submissions": len(results), "wall_seconds": round(wall, 2),
                     "per_submission_seconds": round(wall / len(results), 2),
                     "mean_grading_seconds": round(sum(r.seconds for r in results) / len(results), 2),
                     "scores": {r.student: r.score for r in results}})
    scores = [tuple(sorted(r["scores"].items())) for r in rows]
    report = {"assignment": args.assignment, "students": args.students, "course_setup_seconds": round(setup_seconds, 2),
              "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
              "protections_missing": launcher.missing_protections(), "same_grades_for_all_jobs": len(set(scores)) == 1,
              "kinds": sorted(set(roster.values())), "runs": rows}
    print(f"course setup (init + nbgrader generate_assignment): {setup_seconds:.1f} s")
    print(f"{'jobs':>4}  {'submissions':>11}  {'wall (s)':>9}  {'per submission (s)':>18}  {'mean grading (s)':>16}")
    for r in rows:
        print(f"{r['jobs']:>4}  {r['submissions']:>11}  {r['wall_seconds']:>9}  {r['per_submission_seconds']:>18}  "
              f"{r['mean_grading_seconds']:>16}")
    print(f"same grades for every --jobs value: {report['same_grades_for_all_jobs']}")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"autograde_{args.assignment}_{args.students}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"details: {out}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
