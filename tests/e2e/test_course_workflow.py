"""End to end on the real cs1: stock nbgrader commands around `learnathon autograde`.

These run the actual CLI in subprocesses, as an instructor would; they are marked e2e.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.admin.fabricate import read_fixture, solved, with_cells
from autograder.grading import discovery
from autograder.sandbox import launcher
from tests.demo_check import check_demo_run
from tests.private_install import sandbox_problems

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
LEARNATHON = [str(BIN / "learnathon")]
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
PART_A = discovery.load("cs1").notebook("part_a_forward_backward.ipynb")
FIXTURES = discovery.load("cs1").fixture_folder("part_a_forward_backward")


def run(args, cwd, check=True, timeout=600):
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def cell_scores(course: Path) -> dict:
    """{student: {notebook/cell: (auto, manual)}} straight from the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.results.gradebook import db_url, ensure_tools_on_path

    ensure_tools_on_path()
    scores = {}
    with Gradebook(db_url(course), "learnathon") as gb:
        for submission in gb.find_assignment("cs1").submissions:
            scores[submission.student.id] = {
                f"{nb.name}/{grade.name}": (grade.auto_score, grade.manual_score)
                for nb in submission.notebooks for grade in nb.grades}
    return scores


def submit(course: Path, student: str, make) -> None:
    folder = course / "submitted" / student / "cs1"
    folder.mkdir(parents=True, exist_ok=True)
    for nb in discovery.load("cs1").notebooks:
        out = folder / nb.filename
        if nb.name == PART_A.name:
            make(out)
        else:
            solved(nb.source, out)
    (folder / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")


def full(out):
    solved(PART_A.source, out)


def mistake(name):
    return lambda out: with_cells(PART_A.source, read_fixture(FIXTURES / f"{name}.py").cells, out)


def cells(replacements):
    return lambda out: with_cells(PART_A.source, replacements, out)


def test_stock_nbgrader_release_collect_export_around_learnathon(tmp_path):
    course = tmp_path / "course"
    run(LEARNATHON + ["init", str(course), "--assignment", "cs1"], tmp_path)
    run(["nbgrader", "generate_assignment", "cs1", "--force"], course)
    run(["nbgrader", "release_assignment", "cs1"], course)
    student_home = tmp_path / "student"
    student_home.mkdir()
    run(["nbgrader", "fetch_assignment", "cs1", "--course", "learnathon", f"--Exchange.root={course / 'exchange'}"],
        student_home)
    fetched = student_home / "cs1" / PART_A.filename
    solved(PART_A.source, fetched)   # the student solved it
    run(["nbgrader", "submit", "cs1", "--course", "learnathon", f"--Exchange.root={course / 'exchange'}"], student_home)
    run(["nbgrader", "collect", "cs1"], course)
    collected = sorted(p.name for p in (course / "submitted").iterdir())
    assert len(collected) == 1
    student = collected[0]

    done = run(LEARNATHON + ["autograde", "cs1", "--course", str(course)], tmp_path)
    assert student in done.stdout
    run(["nbgrader", "export"], course)
    rows = (course / "grades.csv").read_text().splitlines()
    header, row = rows[0].split(","), next(r.split(",") for r in rows[1:] if f",{student}," in r)
    record = dict(zip(header, row))
    max_part_a = sum(t for t in [40])  # part A's autograded points; part B has its own
    assert float(record["raw_score"]) >= max_part_a
    assert (course / "feedback" / student / "cs1" / f"{PART_A.name}.html").is_file()
    # Feedback goes back through the exchange (the README's JupyterHub workflow).
    run(["nbgrader", "release_feedback", "cs1"], course)
    run(["nbgrader", "fetch_feedback", "cs1", "--course", "learnathon", f"--Exchange.root={course / 'exchange'}"],
        student_home)
    fetched = sorted(p.name for p in (student_home / "cs1" / "feedback").glob("*/*.html"))
    assert fetched == sorted(f"{nb.name}.html" for nb in discovery.load("cs1").notebooks), fetched


def test_hostile_four_are_bounded_and_leave_the_others_alone(tmp_path):
    course = tmp_path / "course"
    run(LEARNATHON + ["init", str(course), "--assignment", "cs1"], tmp_path)
    submit(course, "honest", full)
    submit(course, "loops", cells({"relu": "while True:\n    pass\n"}))
    submit(course, "memory", cells({"relu": "hog = bytearray(100 * 2**30)\n"}))
    submit(course, "exits", cells({"relu": "import sys\nsys.exit(0)\n"}))
    (course / "submitted" / "notjson" / "cs1").mkdir(parents=True)
    (course / "submitted" / "notjson" / "cs1" / PART_A.filename).write_text("this is not a notebook")
    started = time.monotonic()
    done = run(LEARNATHON + ["autograde", "cs1", "--course", str(course), "--jobs", "2", "--json"], tmp_path)
    assert time.monotonic() - started < 300
    results = {r["student"]: r for r in json.loads(done.stdout)}
    part_a = {name: next(n for n in r["notebooks"] if n["tests"] and n["max_score"] == 40) for name,
              r in results.items()}
    assert part_a["honest"]["score"] == part_a["honest"]["max_score"]
    for name in ("loops", "memory", "exits"):
        lost = [t for t in part_a[name]["tests"] if not t["passed"]]
        assert lost and all("relu" in t["message"] for t in lost), (name, lost)
        assert part_a[name]["score"] > 0, f"{name}: the other parts must still earn points"
    assert part_a["notjson"]["score"] == 0 and "not valid JSON" in part_a["notjson"]["error"]


def test_killed_run_resumes_to_the_same_gradebook(tmp_path):
    class_ = {"ada": full, "ben": mistake("mse_sum"), "cleo": mistake("sgd_sign_error"),
              "dev": mistake("forward_missing_b2"), "eve": mistake("relu_grad_at_zero"), "finn": full}
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    for course in (reference, interrupted):
        run(LEARNATHON + ["init", str(course), "--assignment", "cs1"], tmp_path)
        for student, make in class_.items():
            submit(course, student, make)
    run(LEARNATHON + ["autograde", "cs1", "--course", str(reference)], tmp_path)

    for delay in (4.0, 9.0):   # kill it twice, at different stages, then let it finish
        process = subprocess.Popen(LEARNATHON + ["autograde", "cs1", "--course", str(interrupted)], cwd=tmp_path,
                                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    run(LEARNATHON + ["autograde", "cs1", "--course", str(interrupted)], tmp_path)
    assert cell_scores(interrupted) == cell_scores(reference)
    leftovers = [p for p in interrupted.rglob(".*.tmp")]
    assert not leftovers


def test_concurrent_runs_keep_every_grade_and_manual_grades_survive(tmp_path):
    from nbgrader.api import Gradebook

    from autograder.results.gradebook import db_url

    course = tmp_path / "course"
    run(LEARNATHON + ["init", str(course), "--assignment", "cs1"], tmp_path)
    for student, make in {"ada": full, "ben": mistake("mse_sum"), "cleo": mistake("forward_missing_b2")}.items():
        submit(course, student, make)
    run(LEARNATHON + ["autograde", "cs1", "--course", str(course)], tmp_path)
    first = cell_scores(course)
    with Gradebook(db_url(course), "learnathon") as gb:   # what formgrader does for a manual override
        grade = gb.find_grade("test_mse_loss", PART_A.name, "cs1", "ben")
        grade.manual_score = 0.5
        gb.db.commit()

    runs = [subprocess.Popen(LEARNATHON + ["autograde", "cs1", "--course", str(course), "--force"], cwd=tmp_path,
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for process in runs:
        process.communicate(timeout=600)
        assert process.returncode == 0
    after = cell_scores(course)
    assert after["ben"][f"{PART_A.name}/test_mse_loss"][1] == 0.5
    after["ben"][f"{PART_A.name}/test_mse_loss"] = first["ben"][f"{PART_A.name}/test_mse_loss"]
    assert after == first


def test_the_readme_demo_runs_and_grades_its_class(tmp_path):
    done = run(LEARNATHON + ["demo", str(tmp_path / "demo")], tmp_path, timeout=900)
    check_demo_run(done.stdout, tmp_path / "demo")


@pytest.mark.skipif(not launcher.namespaces_available(), reason="needs root with unshare")
def test_the_demo_runs_from_a_private_home_with_every_protection(private_install):
    """A user who cloned into a home folder others cannot enter (mode 700), made the venv there and runs
    the README's demo with the course there too: `learnathon sandbox` first, then the demo."""
    assert sandbox_problems(private_install) == ""
    demo = private_install.home / "demo"
    done = private_install.run([private_install.learnathon, "demo", demo], timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    check_demo_run(done.stdout, demo)
