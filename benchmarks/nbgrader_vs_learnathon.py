"""`learnathon autograde` versus the best stock nbgrader setup, on the same submissions with the same checks.

For each class size (default 20 and 100) of cs1 submissions (a realistic mix: full solutions, every
typical-mistake fixture of both parts, untouched, truncated files, one endless loop; the smaller class
is the first students of the larger one), in fresh processes only (no fork server or host carried over):

  learnathon  the `learnathon autograde --jobs N` command a user runs, start-up included;
  stock       N `nbgrader autograde` processes on disjoint sets of students (`student_id_exclude`, one
              math thread each: the best an instructor can do with stock nbgrader on N cores), the same
              hidden tests run in the student's kernel after all of its cells (stock_nbgrader.py,
              in_kernel_checks.py); at the smallest size also one serial `nbgrader autograde` for reference;
  otter       at the smallest size, otter-grader's `otter run` per notebook, N at a time, the same checks as
              OK-format tests (stock_otter.py; `pip install -e '.[bench]'`; endless loops left out: otter has
              no cell timeout).

Both graders' points are read from their nbgrader gradebooks and compared grade cell by grade cell for
every student stock grades; any difference ends the script with an error before any ratio is printed.
Wall time, CPU of the whole process tree (this process is a child subreaper, so orphaned processes are
reaped and counted too) and the machine's load go with every figure. The limit: the lowest wall time this
machine allows for the class, from learnathon's decomposition of the same class (the student's cells and
the checks' own compute, in CPU seconds) spread over N cores, plus one import of the libraries per core.

    .venv/bin/python benchmarks/nbgrader_vs_learnathon.py --students 20 100
"""
from __future__ import annotations

import argparse
import ctypes
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
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import stock_nbgrader  # noqa: E402
import stock_otter  # noqa: E402
from autograde_class import FIXTURES, fabricate  # noqa: E402

from autograder.admin.course import init  # noqa: E402
from autograder.grading import discovery  # noqa: E402
from autograder.sandbox import launcher  # noqa: E402

BIN = Path(sys.executable).parent
ONE_MATH_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
PR_SET_CHILD_SUBREAPER = 36
TOLERANCE = 1e-6


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- timing a command's whole process tree --------------------------------------------------------

def become_subreaper() -> None:
    """Orphaned descendants (daemons, double forks) are re-parented to this process, so that reaping
    them brings their CPU time into RUSAGE_CHILDREN with everything else the commands ran."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans(patience: float = 30.0) -> None:
    deadline = time.monotonic() + patience
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                print("warning: descendants still running after the commands ended; their CPU is not counted")
                return
            time.sleep(0.05)


def machine_busy_cpu() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat): on an idle machine, a cross-check that the
    process tree's CPU misses nothing (on a busy one it counts the others' work too)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


def moves_favored() -> bool:
    """Whether the machine's cgroup2 mount has favordynmods (learnathon turns it on as root; it makes
    every run's start ~12 ms cheaper): part of the machine's state a figure was taken in."""
    try:
        with open("/proc/self/mountinfo") as mountinfo:
            return launcher.moves_favored(mountinfo.read())
    except OSError:
        return False


def tree_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    wall: float
    cpu: float
    load_before: str
    load_after: str
    returncodes: list[int]
    lines: list[list[tuple[float, str]]] = field(default_factory=list)   # (seconds since start, line) per command
    machine_cpu: float = 0.0    # every core's busy time meanwhile (/proc/stat), whoever used it

    def load(self) -> str:
        return f"load {self.load_before} -> {self.load_after}; machine busy {self.machine_cpu:.0f} CPU s"


def run_commands(commands: list[list[str]], cwd: Path, env: dict[str, str]) -> Run:
    """Start the commands together; wall until the last ends; CPU of every process they started."""
    load_before, cpu_before, machine_before = load_average(), tree_cpu(), machine_busy_cpu()
    started = time.monotonic()
    processes = [subprocess.Popen(c, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in commands]
    lines: list[list[tuple[float, str]]] = [[] for _ in processes]

    def read(i: int) -> None:
        for line in processes[i].stdout:
            lines[i].append((time.monotonic() - started, line))

    readers = [threading.Thread(target=read, args=(i,)) for i in range(len(processes))]
    for reader in readers:
        reader.start()
    codes = [p.wait() for p in processes]
    wall = time.monotonic() - started
    for reader in readers:
        reader.join()
    reap_orphans()
    return Run(wall, tree_cpu() - cpu_before, load_before, load_average(), codes, lines,
               machine_busy_cpu() - machine_before)


def run_queue(commands: list[list[str]], processes: int, cwd: Path, env: dict[str, str]) -> Run:
    """The commands on ``processes`` workers, each taking the next command when its last one ends."""
    load_before, cpu_before, machine_before = load_average(), tree_cpu(), machine_busy_cpu()
    started, queue, codes = time.monotonic(), list(commands), []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                command = queue.pop(0)
            done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
            with lock:
                codes.append(done.returncode)

    workers = [threading.Thread(target=work) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.monotonic() - started
    reap_orphans()
    return Run(wall, tree_cpu() - cpu_before, load_before, load_average(), codes,
               machine_cpu=machine_busy_cpu() - machine_before)


def environment(one_math_thread: bool) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(Path(__file__).parent.parent)}
    return {**env, **ONE_MATH_THREAD} if one_math_thread else env


# --- the class ------------------------------------------------------------------------------------

def stratum(kind: str, assignment: str) -> str:
    """full solution / untouched / truncated file / endless loop / fixture of <part>."""
    if not kind.startswith("fixture "):
        return kind
    name = kind.removeprefix("fixture ")
    parts = [p.name for p in (FIXTURES / assignment / "fixtures").iterdir() if (p / f"{name}.py").is_file()]
    return f"fixture of {parts[0]}" if parts else "fixture"


def stock_sample(roster: dict[str, str], smallest: int, assignment: str, extra: int) -> list[str]:
    """The whole smallest class, plus up to ``extra`` students of each stratum it has fewer than two of."""
    students = sorted(roster)
    chosen = students[:smallest]
    have: dict[str, int] = defaultdict(int)
    for student in chosen:
        have[stratum(roster[student], assignment)] += 1
    by_stratum = defaultdict(list)
    for student in students[smallest:]:
        by_stratum[stratum(roster[student], assignment)].append(student)
    for name, members in sorted(by_stratum.items()):
        wanted = min(max(0, 2 - have[name]) if have[name] else extra, len(members))
        step = max(1, len(members) // max(1, wanted))
        chosen += members[::step][:wanted]
    return chosen


def course_with(root: Path, assignment: str, pool: Path, students: list[str]) -> Path:
    course = init(root, assignment_names=[assignment]).root
    for student in students:
        shutil.copytree(pool / "submitted" / student, course / "submitted" / student)
    return course


# --- learnathon -----------------------------------------------------------------------------------

def run_learnathon(course: Path, assignment: str, jobs: int) -> Run:
    run = run_commands([[str(BIN / "learnathon"), "autograde", assignment, "--course", str(course),
                         "--jobs", str(jobs)]], course, environment(one_math_thread=False))
    if run.returncodes != [0]:
        print("".join(line for _, line in run.lines[0][-40:]))
        raise SystemExit(f"learnathon autograde failed ({run.returncodes[0]})")
    return run


def decompose(course: Path, assignment: str, jobs: int) -> dict:
    """Where learnathon's time goes, per notebook (run in a fresh process by ``main``: --decompose)."""
    from autograder.classrun.autograde import autograde

    results = autograde(course_dir=course, assignment=assignment, jobs=jobs, force=True, outputs=[])
    notebooks = []
    for result in results:
        for report in result.reports:
            t = report.timings
            if t is None:
                continue
            notebooks.append({
                "student": result.student, "notebook": report.notebook,
                # a cell stopped at its time limit spins its whole limit: its wall time is its work
                "cells": max(t.cells_cpu, t.cells if report.error or any(c.error for c in report.cells) else 0.0),
                "checks_in_sandbox": t.worker_calls_cpu, "checks_in_grader": t.test_bodies_cpu,
                "overhead_cpu": t.overhead_cpu, "total_wall": t.total})
    return {"notebooks": notebooks}


def learnathon_decomposition(course: Path, assignment: str, jobs: int) -> dict:
    out = course / "decomposition.json"
    subprocess.run([sys.executable, __file__, "--decompose", str(course), "--assignment", assignment,
                    "--processes", str(jobs), "--out", str(out)], check=True, env=environment(False))
    return json.loads(out.read_text())


def import_seconds(libraries: tuple[str, ...], processes: int) -> float:
    """CPU seconds of one fresh interpreter importing the grader's libraries (the mean of ``processes``
    side by side: one per core). In CPU, so that the machine's load does not move it."""
    code = f"import {', '.join(('pytest', 'nbformat') + libraries)}"
    run = run_commands([[sys.executable, "-c", code]] * processes, Path.cwd(), environment(True))
    return run.cpu / processes


def limit(decomposition: dict, cores: int, imports: float) -> dict:
    work = [n["cells"] + n["checks_in_sandbox"] + n["checks_in_grader"] for n in decomposition["notebooks"]]
    spread = max(sum(work) / cores, max(work, default=0.0))
    return {"seconds": round(imports + spread, 1), "imports": round(imports, 1), "work_cpu": round(sum(work), 1),
            "longest_notebook": round(max(work, default=0.0), 1),
            "overhead_cpu_per_notebook": round(sum(n["overhead_cpu"] for n in decomposition["notebooks"])
                                               / max(1, len(work)), 3)}


# --- stock nbgrader -------------------------------------------------------------------------------

def seconds_per_student(run: Run, assignment: str, students: list[str]) -> dict[str, float]:
    """From each process's log: a student's first line ends the previous student's time."""
    seconds: dict[str, float] = {}
    for lines in run.lines:
        marks: list[tuple[str, float]] = []
        for at, line in lines:
            for student in students:
                if f"submitted/{student}/{assignment}" in line and (not marks or marks[-1][0] != student):
                    marks.append((student, at))
        ends = [at for _, at in marks[1:]] + [lines[-1][0] if lines else run.wall]
        for (student, at), end in zip(marks, ends):
            seconds[student] = seconds.get(student, 0.0) + end - at
    return seconds


def run_stock(course: Path, assignment: str, students: list[str], processes: int) -> Run:
    run = run_commands(stock_nbgrader.commands(assignment, students, processes), course,
                       environment(one_math_thread=processes > 1))
    if any(run.returncodes):    # nbgrader exits 1 when any notebook failed (an unreadable file does): the
        print(f"nbgrader autograde exited {run.returncodes} (it does when a notebook cannot be graded, e.g. an "
              "unreadable file); the grade comparison says whether anything else went wrong")
    return run


def run_otter(root: Path, assignment: str, pool: Path, roster: dict[str, str], students: list[str], processes: int,
              ours_scores: dict) -> dict:
    """`otter run` on every notebook of the students (the endless loops left out: otter never stops them),
    ``processes`` at a time, one math thread each; grades compared with learnathon's."""
    graded = [s for s in students if stratum(roster[s], assignment) != "endless loop"]
    left_out = sorted(set(students) - set(graded))
    zips = stock_otter.build(root, assignment, pool / "submitted", graded)
    otter = run_queue(stock_otter.commands(root, zips, graded, BIN / "otter"), processes, root,
                      environment(one_math_thread=True))
    compare(roster, ours_scores, stock_otter.scores(root, zips, graded), graded,
            f"learnathon vs otter run x{processes}")
    print(f"otter run, {processes} at a time, {len(graded)} students ({len(zips) * len(graded)} notebooks"
          f"{'; left out, endless loop: ' + ', '.join(left_out) if left_out else ''}): {otter.wall:.1f} s wall, "
          f"{otter.cpu:.1f} s CPU ({otter.load()})", flush=True)
    return {"students": len(graded), "left_out_endless_loops": left_out, "wall": round(otter.wall, 1),
            "cpu": round(otter.cpu, 1), "load": otter.load()}


# --- the comparison -------------------------------------------------------------------------------

def points(scores: dict[str, float | None], cell: str) -> float | None:
    """A grade cell's points as nbgrader counts them (``Grade.score``: no automatic grade counts 0, as for a
    notebook nbgrader could not read); None when the gradebook has no such cell for the student."""
    return (scores[cell] or 0.0) if cell in scores else None


def differences(ours: dict, theirs: dict, students: list[str]) -> list[str]:
    found = []
    for student in students:
        mine, stock = ours.get(student, {}), theirs.get(student, {})
        for cell in sorted(set(mine) | set(stock)):
            a, b = points(mine, cell), points(stock, cell)
            if a is None or b is None or abs(a - b) > TOLERANCE:
                found.append(f"{student} {cell}: learnathon {a}, stock nbgrader {b}")
    return found


def grade_table(roster: dict[str, str], ours: dict, theirs: dict, students: list[str]) -> list[str]:
    rows = [f"{'student':<8} {'kind':<46} {'cells':>5} {'learnathon':>10} {'stock':>7}  same"]
    for student in students:
        mine, stock = ours.get(student, {}), theirs.get(student, {})
        same = not differences(ours, theirs, [student])
        total_ours, total_stock = sum(v or 0 for v in mine.values()), sum(v or 0 for v in stock.values())
        rows.append(f"{student:<8} {roster[student][:46]:<46} {len(mine):>5} {total_ours:>10.2f} "
                    f"{total_stock:>7.2f}  {'yes' if same else 'NO'}")
    return rows


def compare(roster, ours, theirs, students, label) -> None:
    print("\n".join(grade_table(roster, ours, theirs, students)))
    found = differences(ours, theirs, students)
    if found:
        print(f"\nGRADES DIFFER ({label}): {len(found)} grade cells", *found[:60], sep="\n  ")
        raise SystemExit("the two graders did not do the same work: no ratio is printed")
    cells = sum(len(ours[s]) for s in students)
    print(f"grades identical ({label}): {cells} grade cells of {len(students)} students, cell by cell")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="cs1")
    parser.add_argument("--students", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="learnathon's --jobs and the number of stock nbgrader processes (default: the cores)")
    parser.add_argument("--stock-all", action="store_true",
                        help="stock grades every student of every class (default: all of the smallest class, "
                             "a stratified sample of the larger ones, the rest from their stratum's mean)")
    parser.add_argument("--extra-per-stratum", type=int, default=2, metavar="K")
    parser.add_argument("--no-serial", action="store_true", help="skip the serial stock run (reference only)")
    parser.add_argument("--no-stock", action="store_true",
                        help="learnathon and its limit only (for work on learnathon's speed): no stock run, no ratio")
    parser.add_argument("--otter", action=argparse.BooleanOptionalAction, default=True,
                        help="the second anchor at the smallest size: otter-grader's `otter run` (pip install "
                             "otter-grader)")
    parser.add_argument("--skip", type=int, default=0, metavar="K",
                        help="classes start at the mix's K-th kind (e.g. 90: part B fixtures and the endless loop)")
    parser.add_argument("--label", default="", help="a name for this run's JSON file")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--decompose", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decompose:
        args.out.write_text(json.dumps(decompose(args.decompose, args.assignment, args.processes)))
        return
    if args.otter and not args.no_stock and not (BIN / "otter").exists():
        raise SystemExit(f"otter-grader is not installed: {BIN / 'pip'} install otter-grader (or --no-otter)")
    become_subreaper()
    sizes, n = sorted(set(args.students)), args.processes
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load {load_average()}, "
          f"cgroup moves favored (favordynmods): {'yes' if moves_favored() else 'no'}", flush=True)
    root = Path(tempfile.mkdtemp(prefix="learnathon-vs-nbgrader-"))
    pool = init(root / "pool", assignment_names=[args.assignment]).root
    roster = fabricate(pool, args.assignment, args.skip + max(sizes), with_slow=True)
    spec = discovery.load(args.assignment)
    imports = import_seconds(spec.notebooks[0].preload, n)
    print(f"one import of the libraries per core ({n} side by side): {imports:.1f} CPU s", flush=True)
    report: dict = {"date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}", "label": args.label, "cores": os.cpu_count(),
                    "moves_favored": moves_favored(), "processes": n, "assignment": args.assignment,
                    "imports_seconds": round(imports, 2),
                    "classes": {}}
    for size in sizes:
        students = sorted(roster)[args.skip:args.skip + size]
        print(f"\n== class of {size} ==", flush=True)
        ours_course = course_with(root / f"learnathon{size}", args.assignment, pool, students)
        ours = run_learnathon(ours_course, args.assignment, n)
        ours_scores = stock_nbgrader.scores(ours_course, args.assignment)
        print(f"learnathon autograde --jobs {n}: {ours.wall:.1f} s wall, {ours.cpu:.1f} s CPU ({ours.load()})",
              flush=True)
        bound = limit(learnathon_decomposition(ours_course, args.assignment, n), n, imports)
        print(f"limit on this machine: {bound['seconds']} s (imports {bound['imports']} s + work "
              f"{bound['work_cpu']} CPU s over {n} cores, longest notebook {bound['longest_notebook']} s); "
              f"learnathon at {ours.wall / bound['seconds']:.2f}x the limit", flush=True)

        if args.no_stock:       # learnathon against its own limit only: no ratio to another tool
            report["classes"][size] = {"students": size, "limit": bound, "scores": ours_scores,
                                       "learnathon": {"wall": round(ours.wall, 1), "cpu": round(ours.cpu, 1),
                                                      "load": ours.load()}}
            continue
        measured = students if args.stock_all or size == sizes[0] else \
            stock_sample({s: roster[s] for s in students}, sizes[0], args.assignment, args.extra_per_stratum)
        stock_course = stock_nbgrader.build(root / f"stock{size}", args.assignment, pool / "submitted", measured)
        stock = run_stock(stock_course, args.assignment, measured, n)
        stock_scores = stock_nbgrader.scores(stock_course, args.assignment)
        compare(roster, ours_scores, stock_scores, measured, f"learnathon vs {n} stock processes")
        print(f"stock nbgrader, {n} processes on {len(measured)} students: {stock.wall:.1f} s wall, "
              f"{stock.cpu:.1f} s CPU ({stock.load()})", flush=True)
        entry = {"students": size, "kinds": {s: roster[s] for s in students},
                 "learnathon": {"wall": round(ours.wall, 1), "cpu": round(ours.cpu, 1), "load": ours.load()},
                 "limit": bound, "scores": ours_scores, "stock_scores": stock_scores,
                 "stock_parallel": {"measured": len(measured), "wall": round(stock.wall, 1),
                                    "cpu": round(stock.cpu, 1), "load": stock.load()}}
        stock_wall, stock_cpu = stock.wall, stock.cpu
        if len(measured) < size:   # the class from the sample: each student at their stratum's mean
            per = seconds_per_student(stock, args.assignment, measured)
            by_stratum = defaultdict(list)
            for student, seconds in per.items():
                by_stratum[stratum(roster[student], args.assignment)].append(seconds)
            means = {k: sum(v) / len(v) for k, v in by_stratum.items()}
            total = sum(per.get(s, means.get(stratum(roster[s], args.assignment), 0.0)) for s in students)
            scale = total / max(1e-9, sum(per.values()))
            # nbgrader's start (before its first student) is paid once, not once per sample's worth
            startup = min((lines[0][0] for lines in stock.lines if lines), default=0.0)
            stock_wall, stock_cpu = startup + (stock.wall - startup) * scale, stock.cpu * scale
            entry["stock_parallel"].update({"extrapolated_wall": round(stock_wall, 1),
                                            "extrapolated_cpu": round(stock_cpu, 1),
                                            "seconds_by_stratum": {k: round(v, 2) for k, v in sorted(means.items())}})
            print(f"  the class of {size} from the sample (each student at their stratum's mean, shares perfectly "
                  f"balanced): {stock_wall:.1f} s wall, {stock_cpu:.1f} s CPU", flush=True)
        if not args.no_serial and size == sizes[0]:
            serial_course = stock_nbgrader.build(root / f"serial{size}", args.assignment, pool / "submitted",
                                                 measured)
            serial = run_stock(serial_course, args.assignment, measured, 1)
            compare(roster, ours_scores, stock_nbgrader.scores(serial_course, args.assignment), measured,
                    "learnathon vs serial stock")
            print(f"stock nbgrader, serial (reference): {serial.wall:.1f} s wall, {serial.cpu:.1f} s CPU "
                  f"({serial.load()})", flush=True)
            entry["stock_serial"] = {"wall": round(serial.wall, 1), "cpu": round(serial.cpu, 1), "load": serial.load()}
        costs = stock_nbgrader.check_costs(stock_course, args.assignment)
        harness_import = sum(c.get("import_seconds", 0.0) for c in costs) * stock_wall / max(1e-9, stock.wall)
        entry["stock_parallel"]["kernels_importing_the_checks_harness"] = round(harness_import, 1)
        if args.otter and size == sizes[0]:
            entry["otter"] = run_otter(root / f"otter{size}", args.assignment, pool, roster, measured, n, ours_scores)
            # otter never ends an endless loop: its ratio leaves those students out (in its favour)
            entry["ratio_otter_wall"] = round(entry["otter"]["wall"] / ours.wall, 2)
            print(f"RATIO, class of {size}: otter run ({n} at a time, without the endless loops) "
                  f"{entry['otter']['wall']:.1f} s vs learnathon {ours.wall:.1f} s: {entry['ratio_otter_wall']}x wall",
                  flush=True)
        entry["ratio_wall"] = round(stock_wall / ours.wall, 2)
        # A stock course with its tests written inline would not import pytest and learnathon's runner in
        # each kernel: the ratio with that import taken out of stock's time (spread over its processes).
        entry["ratio_wall_without_harness_import"] = round((stock_wall - harness_import / n) / ours.wall, 2)
        entry["ratio_cpu"] = round(stock_cpu / max(1e-9, ours.cpu), 2)
        print(f"RATIO, class of {size}: learnathon {ours.wall:.1f} s vs stock ({n} processes) {stock_wall:.1f} s: "
              f"{entry['ratio_wall']}x wall ({entry['ratio_wall_without_harness_import']}x without the kernels' "
              f"{harness_import:.0f} s of importing the checks' harness), {entry['ratio_cpu']}x CPU; "
              f"limit {bound['seconds']} s "
              f"({ours.load()}; stock {stock.load()})", flush=True)
        report["classes"][size] = entry
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"nbgrader_vs_learnathon{'_' + args.label if args.label else ''}.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"details: {out}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
