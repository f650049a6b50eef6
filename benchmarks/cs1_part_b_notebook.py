"""Benchmark cs1 part B: the source notebook end to end in Jupyter, and grading it.

    .venv/bin/python benchmarks/cs1_part_b_notebook.py [--repeat N]

Prints one table. Wall times depend on what else the machine runs, so the table also shows the
kernel's CPU time (what the notebook itself costs) and the load average around each run.
Limits from the issue: notebook < 120 s on 2 cores; grading one cs1 submission (both parts) < 60 s.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SOURCE = ROOT / "assignments" / "cs1" / "part_b_model_complexity.ipynb"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_notebook(tmp: Path) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(SOURCE, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp)}})
    load = os.getloadavg()[0]
    started = time.monotonic()
    with client.setup_kernel():
        process = getattr(getattr(client.km, "provisioner", None), "process", None)
        pid = getattr(process, "pid", None)
        slowest = []
        for index, cell in enumerate(nb.cells):
            t = time.monotonic()
            client.execute_cell(cell, index)
            slowest.append((time.monotonic() - t, cell.metadata.get("nbgrader", {}).get("grade_id", "")))
        cpu = cpu_seconds(pid) if pid else None
    wall = time.monotonic() - started
    slowest = ", ".join(f"{name} {sec:.1f} s" for sec, name in sorted(slowest, reverse=True)[:3])
    return {"wall": wall, "cpu": cpu, "load": (load, os.getloadavg()[0]), "note": f"slowest: {slowest}"}


def grade_source(runs: int) -> list[dict]:
    from autograder.grading import discovery, runner

    spec = discovery.load("cs1").notebook(SOURCE.name)
    rows = []
    for i in range(runs):
        load = os.getloadavg()[0]
        cpu = time.process_time()
        report = runner.grade_notebook(spec, SOURCE)
        rows.append({"wall": report.seconds, "cpu": time.process_time() - cpu, "load": (load, os.getloadavg()[0]),
                     "note": f"{'cold: starts the warm sandbox' if i == 0 else 'warm sandbox'}; "
                             f"score {report.score}/{report.max_score}, {len(report.tests)} tests"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="gradings of the source notebook (first one is cold)")
    parser.add_argument("--skip-notebook", action="store_true", help="only time the grading")
    args = parser.parse_args()
    import tempfile

    rows = []
    if not args.skip_notebook:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("notebook end to end (nbclient)", run_notebook(Path(tmp))))
    for i, row in enumerate(grade_source(args.repeat)):
        rows.append((f"grading the source notebook #{i + 1}", row))
    print(f"cs1 part B on {os.cpu_count()} CPUs")
    print(f"{'what':38s} {'wall s':>7s} {'cpu s':>7s} {'load before/after':>18s}  notes")
    for name, row in rows:
        cpu = f"{row['cpu']:.1f}" if row["cpu"] is not None else "-"
        print(f"{name:38s} {row['wall']:7.1f} {cpu:>7s} {row['load'][0]:8.1f} /{row['load'][1]:5.1f}    {row['note']}")
    print("(notebook cpu = the kernel's own CPU time; grading cpu = the grader process, without the sandbox)")


if __name__ == "__main__":
    main()
