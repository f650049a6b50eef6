"""What one run of the warm sandbox costs beyond the student's cells: fork of the host, confinement, the
worker's start, the kill. A graded notebook pays it once per worker (cs1: ~3.5, as its seeded checks ask
for fresh workers), so it is most of learnathon's CPU overhead per notebook.

Grades one notebook's cells (an untouched student version: cheap cells) in a warm sandbox, then renews the
worker N times (each renewal: kill, fork, confine, worker start, the cells again). CPU, not wall: the host's
(its process tree, from /proc), the worker's beyond its cells (it reports its own), the grader's; with load.

    .venv/bin/python benchmarks/sandbox_run_cost.py --runs 30
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from latency import process_cpu

from autograder.admin.course import init
from autograder.grading import discovery
from autograder.intake.notebook import plan_cells
from autograder.sandbox import host as warm
from autograder.sandbox.session import StudentSession


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    os.environ.update({name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    notebook = discovery.load(args.assignment).notebooks[0]
    course = init(Path(tempfile.mkdtemp(prefix="run-cost-")) / "course", assignment_names=[args.assignment]).root
    cells = plan_cells(course / "release" / args.assignment / notebook.filename, notebook.source)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with StudentSession(cells, notebook.session_config()) as session:
        session.start()
        zygote = next(z for key, z in warm._zygotes.items() if key[0] == os.getpid())
        host_before, grader_before = process_cpu(zygote.process.pid), time.process_time()
        worker_before, cells_before, started = session.timings.worker_cpu, session.timings.cells_cpu, time.monotonic()
        for _ in range(args.runs):
            session.renew()
            session.start()
        wall = time.monotonic() - started
        host = process_cpu(zygote.process.pid) - host_before
        worker = session.timings.worker_cpu - worker_before - (session.timings.cells_cpu - cells_before)
        grader = time.process_time() - grader_before
    per = 1000 / args.runs
    print(f"per run of the warm sandbox ({args.runs} runs of {notebook.name}'s release): host {host * per:.1f} ms CPU, "
          f"worker beyond its cells {worker * per:.1f} ms CPU, grader {grader * per:.1f} ms CPU, "
          f"wall {wall * per:.0f} ms "
          f"(load {load_before} -> {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
