"""Stock `nbgrader autograde` versus `learnathon autograde` on the same classes of cs1 submissions.

For each class size (default 20 and 100) one class is fabricated (a realistic mix: correct,
typical mistakes of both parts, untouched, truncated files, endless loops; the smaller class is
the first students of the larger one) and graded
  (a) by `learnathon autograde --jobs J` (sandboxed), and
  (b) by stock `nbgrader autograde`, the same hidden checks expressed as nbgrader test cells
      (benchmarks/nbgrader_bridge.py runs them inside the student's kernel),
on this machine in one run. Stock nbgrader is slow, so it grades one *stratified sample*: the
whole smallest class plus, for the larger ones, submissions of every kind it lacks (fixtures of
each part, endless loops); its time per submission is taken from its own log, one mean per
stratum, and a class's stock time is the sum over its submissions of their stratum's mean.
learnathon's time per submission is decomposed (``autograder.sandbox.timings.Timings``): the student's
cells, the hidden tests' compute inside the sandbox (the student's functions they call) and in
the grader (reference runs, comparisons), and learnathon's own overhead (sandbox start, IPC,
pytest harness) -- in wall and in CPU seconds, since the machine's load moves wall times.

    .venv/bin/python benchmarks/nbgrader_vs_learnathon.py --students 20 100 --jobs 2
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from autograde_class import FIXTURES, fabricate  # noqa: E402

from autograder.admin.course import init  # noqa: E402
from autograder.classrun.autograde import autograde  # noqa: E402
from autograder.intake.notebook import SKIP_TAG  # noqa: E402
from autograder.results.gradebook import ensure_tools_on_path  # noqa: E402

BRIDGE = Path(__file__).parent / "nbgrader_bridge.py"


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_cpu() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: user, nice, system, irq, softirq)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


# --- the class and its strata -----------------------------------------------------------------

def stratum(kind: str, assignment: str) -> str:
    """full solution / untouched / truncated file / endless loop / fixture of <part>."""
    if not kind.startswith("fixture "):
        return kind
    name = kind.removeprefix("fixture ")
    parts = [p.name for p in (FIXTURES / assignment / "fixtures").iterdir() if (p / f"{name}.py").is_file()]
    return f"fixture of {parts[0]}" if parts else "fixture"


def stock_sample(rosters: dict[int, dict[str, str]], assignment: str, extra: int) -> list[str]:
    """The whole smallest class, plus up to ``extra`` students per stratum that it lacks or has
    fewer than two of (spread over the largest class)."""
    smallest, largest = rosters[min(rosters)], rosters[max(rosters)]
    chosen = list(smallest)
    have = defaultdict(int)
    for student in chosen:
        have[stratum(largest[student], assignment)] += 1
    by_stratum = defaultdict(list)
    for student, kind in sorted(largest.items()):
        if student not in smallest:
            by_stratum[stratum(kind, assignment)].append(student)
    for name, students in sorted(by_stratum.items()):
        wanted = min(max(0, 2 - have[name]) if have[name] else extra, len(students))
        step = max(1, len(students) // max(1, wanted))
        chosen += students[::step][:wanted]
    return chosen


# --- stock nbgrader -----------------------------------------------------------------------------

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


def run_stock_nbgrader(course_root: Path, assignment: str, students: list[str]) -> dict:
    """One `nbgrader autograde` over the sample; each student's seconds from its log's timestamps
    (the line that starts a student ends the previous one), app start-up apart."""
    ensure_tools_on_path()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course_root, env=env,
                   check=True, capture_output=True)
    cpu_before = children_cpu()
    started = time.monotonic()
    process = subprocess.Popen(["nbgrader", "autograde", assignment, "--force"], cwd=course_root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks, log = [], []

    def read() -> None:
        for line in process.stdout:
            log.append(line)
            for student in students:
                if f"submitted/{student}/{assignment}" in line and (not marks or marks[-1][0] != student):
                    marks.append((student, time.monotonic()))

    reader = threading.Thread(target=read)
    reader.start()
    process.wait()
    reader.join()
    ended = time.monotonic()
    seconds = {}
    for (student, at), (_, following) in zip(marks, marks[1:] + [(None, ended)]):
        seconds[student] = seconds.get(student, 0.0) + following - at
    if process.returncode != 0 or len(seconds) != len(students):
        print("".join(log[-40:]))
    return {"wall": ended - started, "startup": (marks[0][1] - started) if marks else 0.0,
            "cpu": children_cpu() - cpu_before, "seconds": seconds}


# --- learnathon ---------------------------------------------------------------------------------

def run_learnathon(course_root: Path, assignment: str, jobs: int) -> dict:
    machine_before, load = machine_busy_cpu(), load_average()
    started = time.monotonic()
    results = autograde(course_dir=course_root, assignment=assignment, jobs=jobs, force=True)
    wall = time.monotonic() - started
    reports = [rep for r in results for rep in r.reports]
    timings = [rep.timings for rep in reports if rep.timings is not None]
    n = len(results)

    def per_submission(value: float) -> float:
        return round(value / n, 3)

    graded = sum(t.total for t in timings)
    decomposition = {
        "student_cells": per_submission(sum(t.cells for t in timings)),
        "hidden_tests_in_sandbox": per_submission(sum(t.worker_calls for t in timings)),
        "hidden_tests_in_grader": per_submission(sum(t.tests_in_grader for t in timings)),
        "overhead_per_submission": per_submission(sum(t.overhead for t in timings)),
        "of_which_sandbox_start": per_submission(sum(t.start for t in timings)),
        "of_which_ipc": per_submission(sum(max(0.0, t.round_trips - t.worker_calls) for t in timings)),
        "of_which_pytest_harness": per_submission(sum(max(0.0, t.tests - t.test_bodies) for t in timings)),
        "round_trips_per_submission": per_submission(sum(t.calls for t in timings)),
        # Time of the grading processes not inside any notebook's grading: pool and sandbox
        # start, outputs (gradebook, feedback), amortised over the class.
        "outside_notebooks_amortised": per_submission(max(0.0, wall * jobs - graded)),
    }
    cpu = {
        "student_cells": per_submission(sum(t.cells_cpu for t in timings)),
        "hidden_tests_in_sandbox": per_submission(sum(t.worker_calls_cpu for t in timings)),
        "hidden_tests_in_grader": per_submission(sum(t.test_bodies_cpu for t in timings)),
        "overhead_per_submission": per_submission(sum(t.overhead_cpu for t in timings)),
        # Every process of the run (this one, the fork server and its grading processes, the
        # sandbox hosts and their workers) is in no single rusage: the machine's busy CPU time
        # while the run lasted, on an otherwise idle machine (see the load).
        "all_processes_total": round(machine_busy_cpu() - machine_before, 1),
    }
    return {"wall": wall, "load_before": load, "load_after": load_average(), "decomposition_wall": decomposition,
            "decomposition_cpu": cpu, "scores": {r.student: r.score for r in results},
            "not_graded": [r.student for r in results if r.not_graded]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--students", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--extra-per-stratum", type=int, default=2, metavar="K",
                        help="stock nbgrader also grades K submissions of each kind the smallest class lacks")
    parser.add_argument("--no-stock", action="store_true", help="time learnathon only")
    parser.add_argument("--stock-only", action="store_true", help="time stock nbgrader only (its sample)")
    parser.add_argument("--label", default="", help="a name for this run in the JSON file (e.g. before, after)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="learnathon-vs-nbgrader-"))
    sizes = sorted(set(args.students))
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, load {load_average()}", flush=True)

    courses, rosters = {}, {}
    for size in sizes:
        courses[size] = init(root / f"ours{size}", assignment_names=[args.assignment])
        rosters[size] = fabricate(courses[size].root, args.assignment, size, with_slow=True)

    ours = {}
    for size in sizes if not args.stock_only else ():
        ours[size] = run_learnathon(courses[size].root, args.assignment, args.jobs)
        print(f"learnathon, {size} submissions: {ours[size]['wall']:.1f} s (load {ours[size]['load_after']})",
              flush=True)

    args.out.mkdir(parents=True, exist_ok=True)      # learnathon's figures are kept even if stock is stopped
    (args.out / f"learnathon_part{'_' + args.label if args.label else ''}.json").write_text(json.dumps(
        {size: {k: v for k, v in run.items()} for size, run in ours.items()}, indent=1))
    stock = None
    if not args.no_stock:
        sample = stock_sample(rosters, args.assignment, args.extra_per_stratum)
        largest = courses[max(sizes)].root
        stock_course = init(root / "stock", assignment_names=[args.assignment])
        for student in sample:
            shutil.copytree(largest / "submitted" / student, stock_course.root / "submitted" / student)
        bridge_source(stock_course.root, args.assignment)
        load = load_average()
        stock = run_stock_nbgrader(stock_course.root, args.assignment, sample)
        stock["load_before"], stock["load_after"] = load, load_average()
        print(f"stock nbgrader, {len(sample)} sampled submissions: {stock['wall']:.1f} s "
              f"(load {stock['load_after']})", flush=True)

    report = {"date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}", "label": args.label,
              "assignment": args.assignment, "jobs": args.jobs, "cores": os.cpu_count(), "classes": {}}
    for size in sizes:
        roster, mine = rosters[size], ours.get(size)
        entry = {"submissions": size} if mine is None else {
                 "submissions": size, "learnathon_seconds": round(mine["wall"], 1),
                 "learnathon_load": f"{mine['load_before']} -> {mine['load_after']}",
                 "learnathon_per_submission_wall": round(mine["wall"] / size, 3),
                 "learnathon_decomposition_wall_seconds": mine["decomposition_wall"],
                 "learnathon_decomposition_cpu_seconds": mine["decomposition_cpu"],
                 "not_graded": mine["not_graded"], "scores": mine["scores"]}
        if stock is not None:
            means = defaultdict(list)
            for student, seconds in stock["seconds"].items():
                means[stratum(rosters[max(sizes)][student], args.assignment)].append(seconds)
            means = {k: sum(v) / len(v) for k, v in means.items()}
            overall = sum(stock["seconds"].values()) / max(1, len(stock["seconds"]))
            measured = [s for s in roster if s in stock["seconds"]]
            estimate = stock["startup"] + sum(stock["seconds"][s] if s in stock["seconds"]
                                              else means.get(stratum(k, args.assignment), overall)
                                              for s, k in roster.items())
            cpu_per_submission = stock["cpu"] / max(1, len(stock["seconds"]))
            entry.update({
                "stock_nbgrader_seconds": round(estimate, 1),
                "stock_measured_on": f"{len(measured)} of {size} (the rest from their stratum's mean)",
                "stock_load": f"{stock['load_before']} -> {stock['load_after']}",
                "stock_seconds_per_submission_by_stratum": {k: round(v, 2) for k, v in sorted(means.items())},
                "stock_cpu_seconds_per_submission": round(cpu_per_submission, 2),
            })
            if mine is not None:
                entry["speedup_wall"] = round(estimate / mine["wall"], 2)
                entry["speedup_cpu"] = round(cpu_per_submission * size
                                             / max(1e-9, mine["decomposition_cpu"]["all_processes_total"]), 2)
        report["classes"][size] = entry
        print(f"\n== {size} submissions ==")
        for key, value in entry.items():
            if key != "scores":
                print(f"{key:<45} {value}")
    if stock is not None:
        report["stock"] = {"startup_seconds": round(stock["startup"], 2), "cpu_seconds": round(stock["cpu"], 1),
                           "seconds_by_student": {k: round(v, 2) for k, v in stock["seconds"].items()},
                           "kinds": {k: rosters[max(sizes)][k] for k in stock["seconds"]}}
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"nbgrader_vs_learnathon{'_' + args.label if args.label else ''}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"details: {out}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
