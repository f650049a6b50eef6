"""A class of N synthetic submissions graded on a Dask `LocalCluster` and locally: same grades?

The assignment is the engine tests' cheap synthetic one (``tests/autograder/tiny_assignment.py``:
one notebook, three hidden tests, numpy only), so the figures are the grading machine's own cost
per submission (sandbox fork, cells, IPC, pytest), not an assignment's compute. The class mixes
correct work, typical mistakes, missing answers and unreadable files. Both runs grade every
submission with the full sandbox; the outputs (gradebook, feedback) are left out of both, so the
figures are grading only.

    .venv/bin/python benchmarks/cluster_scale.py --students 1000 --workers 2
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Spawned grading processes re-run this module's top level: they must find the same folder.
ROOT = Path(os.environ.get("LEARNATHON_SCALE_ROOT") or tempfile.mkdtemp(prefix="learnathon-scale-"))
os.environ["LEARNATHON_SCALE_ROOT"] = str(ROOT)
# discovery reads these at import, here and in every cluster worker and grading process.
os.environ["LEARNATHON_ASSIGNMENTS_DIR"] = str(ROOT / "assignments")
os.environ["LEARNATHON_HIDDEN_TESTS_DIR"] = str(ROOT / "hidden")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the project: its tests/ helpers

from autograder.admin.course import init  # noqa: E402
from autograder.classrun.autograde import autograde  # noqa: E402
from tests.autograder import tiny_assignment as tiny  # noqa: E402

KINDS = {
    "correct": {},
    "forward without bias": {"forward": "def forward(X, params):\n    return relu(X @ params['W'])\n"},
    "relu is the identity": {"relu": "def relu(z):\n    return z\n"},
    "relu clips the positive part": {"relu": "def relu(z):\n    return np.minimum(z, 0.0)\n"},
    "nothing answered": {"relu": None, "forward": None},
    "forward raises": {"forward": "def forward(X, params):\n    raise ValueError('todo')\n"},
}


def fabricate(course_root: Path, students: int) -> dict[str, str]:
    roster, kinds = {}, list(KINDS) + ["unreadable file"]
    for i in range(students):
        student, kind = f"s{i:04d}", kinds[i % len(kinds)]
        path = course_root / "submitted" / student / tiny.NAME / f"{tiny.PART}.ipynb"
        if kind == "unreadable file":
            path.parent.mkdir(parents=True)
            path.write_text('{"cells": [')
        else:
            tiny.submission(path, **KINDS[kind])
        roster[student] = kind
    return roster


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, run) -> dict:
    load, cpu, started = os.getloadavg()[0], cpu_seconds(), time.monotonic()
    results = run()
    wall = time.monotonic() - started
    entry = {"wall_seconds": round(wall, 1), "per_submission_seconds": round(wall / len(results), 4),
             "cpu_seconds_own_and_reaped_children": round(cpu_seconds() - cpu, 1),
             "load": f"{load:.1f} -> {os.getloadavg()[0]:.1f}",
             "not_graded": sum(1 for r in results if r.not_graded),
             "scores": {r.student: r.score for r in results}}
    print(f"{label:<28} {entry['wall_seconds']:>8} s  {entry['per_submission_seconds']:>7} s/submission  "
          f"load {entry['load']}", flush=True)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (one thread each) and local --jobs")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    from distributed import LocalCluster

    tiny.write_assignment(ROOT / "assignments", ROOT / "hidden")
    toml = ROOT / "hidden" / tiny.NAME / "grading.toml"       # numpy only: the cheap synthetic assignment
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("preload")))
    course = init(ROOT / "course", assignment_names=[tiny.NAME])
    roster = fabricate(course.root, args.students)
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}: {args.students} submissions, load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)

    local = timed(f"local, --jobs {args.workers}", lambda: autograde(
        course_dir=course.root, assignment=tiny.NAME, jobs=args.workers, force=True, outputs=[]))
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}) as cluster:
        dask = timed(f"Dask LocalCluster, {args.workers} workers", lambda: autograde(
            course_dir=course.root, assignment=tiny.NAME, cluster=cluster.scheduler_address, force=True, outputs=[]))
    same = local["scores"] == dask["scores"]
    by_kind = {}
    for student, kind in roster.items():
        by_kind.setdefault(kind, set()).add(local["scores"][student])
    report = {"date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}", "students": args.students,
              "workers": args.workers, "cores": os.cpu_count(), "same_grades": same,
              "scores_by_kind": {k: sorted(v) for k, v in by_kind.items()}, "local": local, "dask": dask}
    print(f"same grades on the cluster as locally: {same}")
    print("scores by kind:", report["scores_by_kind"])
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"cluster_scale_{args.students}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"details: {out}")
    shutil.rmtree(ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
