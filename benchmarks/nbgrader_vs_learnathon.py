"""Stock `nbgrader autograde` versus `learnathon autograde` on the same class of cs1 submissions.

Builds one class of N submissions (a realistic mix: correct, typical mistakes, untouched,
truncated files, endless loops) and grades it
  (a) with stock `nbgrader autograde`, the same hidden checks expressed as nbgrader test cells
      (benchmarks/nbgrader_bridge.py runs them inside the student's kernel), and
  (b) with `learnathon autograde --jobs J` (sandboxed),
on this machine in one run; reports both wall times, their ratio, and learnathon's overhead per
submission over just executing the notebook's cells.

    .venv/bin/python benchmarks/nbgrader_vs_learnathon.py --students 100 --jobs 2
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from autograde_class import fabricate  # noqa: E402

from autograder.autograde import autograde  # noqa: E402
from autograder.course import init  # noqa: E402
from autograder.gradebook import ensure_tools_on_path  # noqa: E402
from autograder.notebook import SKIP_TAG  # noqa: E402

BRIDGE = Path(__file__).parent / "nbgrader_bridge.py"


def skip_demonstrations(nb) -> None:
    """Blank the cells learnathon skips when grading, so both graders execute the same code."""
    for cell in nb.cells:
        if SKIP_TAG in cell.metadata.get("tags", []):
            cell.source = "# demonstration: not run when grading (as learnathon does)"


def bridge_source(course_root: Path, assignment: str) -> None:
    """Turn the course's source test cells into calls of the bridge (same checks, in-kernel)."""
    for path in sorted((course_root / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        skip_demonstrations(nb)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cell.source = (f"import nbgrader_bridge\nnbgrader_bridge.check({path.stem!r}, "
                               f"{meta['grade_id']!r}, globals(), {assignment!r})")
        nbformat.write(nb, path)
    shutil.copy2(BRIDGE, course_root / "source" / assignment / BRIDGE.name)
    for path in (course_root / "submitted").glob(f"*/{assignment}/*.ipynb"):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - the deliberately broken submissions stay as they are
            continue
        skip_demonstrations(nb)
        nbformat.write(nb, path)


def run_stock_nbgrader(course_root: Path, assignment: str) -> float:
    ensure_tools_on_path()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course_root, env=env,
                   check=True, capture_output=True)
    started = time.monotonic()
    done = subprocess.run(["nbgrader", "autograde", assignment, "--force"], cwd=course_root, env=env,
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--stock-students", type=int, default=None, metavar="K",
                        help="time stock nbgrader on the first K submissions only and extrapolate "
                             "(it grades about 3 cs1 submissions a minute on 2 cores)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="learnathon-vs-nbgrader-"))

    ours = init(root / "ours", assignment_names=[args.assignment])
    roster = fabricate(ours.root, args.assignment, args.students, with_slow=True)
    stock = init(root / "stock", assignment_names=[args.assignment])
    stock_students = sorted(roster)[: args.stock_students or len(roster)]
    for student in stock_students:
        shutil.copytree(ours.root / "submitted" / student, stock.root / "submitted" / student)
    bridge_source(stock.root, args.assignment)

    started = time.monotonic()
    results = autograde(course_dir=ours.root, assignment=args.assignment, jobs=args.jobs, force=True)
    ours_wall = time.monotonic() - started
    cell_seconds = sum(c.seconds for r in results for rep in r.reports for c in rep.cells)
    stock_wall = run_stock_nbgrader(stock.root, args.assignment) * len(roster) / len(stock_students)

    n = len(results)
    report = {
        "assignment": args.assignment, "submissions": n, "jobs": args.jobs,
        "kinds": sorted(set(roster.values())),
        "stock_nbgrader_seconds": round(stock_wall, 1), "learnathon_seconds": round(ours_wall, 1),
        "stock_nbgrader_measured_on": len(stock_students),
        "speedup": round(stock_wall / ours_wall, 2),
        "learnathon_seconds_per_submission": round(ours_wall * args.jobs / n, 3),
        "executing_cells_seconds_per_submission": round(cell_seconds / n, 3),
        "learnathon_overhead_seconds_per_submission": round((ours_wall * args.jobs - cell_seconds) / n, 3),
    }
    for key, value in report.items():
        print(f"{key:<45} {value}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"nbgrader_vs_learnathon_{args.students}.json").write_text(json.dumps(report, indent=1))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
