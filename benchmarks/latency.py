"""Latency of one notebook: warm sandbox start, `learnathon grade` and `learnathon check` end to end.

Wall seconds depend on the machine's load, so each figure comes with the load average and the
CPU seconds of the processes on the critical path: the grader (this process or the CLI, with
its reaped children) and the sandbox host (read from /proc just before it is closed). On an
idle 2-core machine the wall time is about the larger of the two CPU figures on the path.

    .venv/bin/python benchmarks/latency.py --repeat 3
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.grading import discovery
from autograder.sandbox import host as warm
from autograder.sandbox.session import ZYGOTES

ROOT = Path(__file__).resolve().parent.parent
LEARNATHON = Path(sys.executable).parent / "learnathon"
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds of pid and of its descendants that are still running (the host sits below
    unshare and sh)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def sandbox_ready(preload: tuple[str, ...], libraries: tuple[str, ...]) -> dict:
    started = time.monotonic()
    host = warm.Zygote(slot=900 + os.getpid() % 90, libraries=libraries,
                       preload=warm.GENERIC_PRELOAD + preload,
                       workdir=Path(tempfile.mkdtemp(dir=ZYGOTES.parent, prefix="latency-")))
    host.ready()
    wall = time.monotonic() - started
    cpu = process_cpu(host.process.pid)
    host.close()
    return {"wall": round(wall, 2), "host_cpu": round(cpu, 2), "load": load()}


def command(argv: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {"wall": round(wall, 2), "cli_cpu": round(cpu, 2), "exit": done.returncode, "load": load(),
            "last_line": (done.stdout.strip().splitlines() or [""])[-1][:100]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--notebook", default="part_a_forward_backward")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    spec = discovery.load(args.assignment).notebook(args.notebook)
    notebook = spec.source
    narrowed = warm.notebook_preload(spec.preload, notebook)
    rows = {"sandbox ready (notebook's preload)": lambda: sandbox_ready(narrowed, spec.libraries),
            "sandbox ready (assignment's preload)": lambda: sandbox_ready(spec.preload, spec.libraries),
            "learnathon grade": lambda: command([str(LEARNATHON), "grade", str(notebook), "--assignment",
                                                 args.assignment]),
            "learnathon check": lambda: command([str(LEARNATHON), "check", str(notebook)])}
    report = {"notebook": f"{args.assignment}/{spec.filename} (reference solution)", "preload": list(narrowed),
              "runs": {}}
    for name, run in rows.items():
        report["runs"][name] = [run() for _ in range(args.repeat)]
        for r in report["runs"][name]:
            print(f"{name:<38} {json.dumps(r)}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
