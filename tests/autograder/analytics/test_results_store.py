"""The class record: every graded student's tests, mistake ids, concepts and incidents, per run, kept
across reruns and concurrent runs like the gradebook."""
from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from autograder import outputs
from autograder.admin import course
from autograder.analytics import store
from autograder.intake.cells import CellOutcome
from autograder.outputs import ClassRun, Outputs
from autograder.results.records import NotebookReport, StudentResult, TestResult


@pytest.fixture
def tiny_course(module_registered_tiny, tmp_path):  # noqa: ARG001 (requested for its effect)
    return course.init(tmp_path / "course", course_id="tinycourse")


def result(student: str, *, mistake: str | None = "relu.negatives_kept", cells=(), error=None,
           fingerprint: str = "fp") -> StudentResult:
    tests = [TestResult("test_relu", 0.0 if mistake else 3.0, 3.0, mistake is None,
                        "relu(z): negative inputs are kept" if mistake else "", "relu_tests", "", mistake,
                        ("activation-functions",)),
             TestResult("test_forward", 1.0, 3.0, False, "forward(X, params) did not return within 3 s",
                        "forward_tests", "", None, ("forward-pass", "matrix-form"))]
    report = NotebookReport("tiny", "tiny", tests, error=error, cells=list(cells), student=student, seconds=0.5)
    return StudentResult(student, [report], fingerprint=fingerprint)


def run_of(tiny_course, registered, students=("ada", "ben")):
    return ClassRun(tiny_course, registered, tuple(students))


def test_a_run_records_every_test_with_its_mistake_and_concepts(tiny_course, module_registered_tiny):
    sink = Outputs(outputs.create(["results-store"]), run_of(tiny_course, module_registered_tiny))
    sink.begin()
    sink.write(result("ada"))
    sink.write(result("ben", mistake=None))
    rows = store.load_submissions(tiny_course.root, "tiny")
    assert [(r.student, r.score, r.max_score) for r in rows] == [("ada", 1.0, 6.0), ("ben", 4.0, 6.0)]
    relu = rows[0].tests[0]
    assert (relu.name, relu.mistake, relu.concepts, relu.passed) == (
        "test_relu", "relu.negatives_kept", ("activation-functions",), False)
    assert rows[1].tests[0].mistake is None and rows[1].tests[0].passed
    assert rows[0].tests[1].concepts == ("forward-pass", "matrix-form")
    assert rows[0].incidents == (("tiny", "timeout", "test_forward: forward(X, params) did not return within 3 s"),)


def test_skipped_and_not_graded_results_are_never_recorded(tiny_course, module_registered_tiny):
    sink = Outputs(outputs.create(["results-store"]), run_of(tiny_course, module_registered_tiny))
    sink.begin()
    sink.write(StudentResult("ada", [], skipped=True))
    sink.write(StudentResult("ben", [], not_graded="the sandbox did not start"))
    assert store.load_submissions(tiny_course.root, "tiny") == []


def test_reruns_add_rows_and_keep_the_earlier_ones(tiny_course, module_registered_tiny):
    for fingerprint in ("first", "second"):
        sink = Outputs(outputs.create(["results-store"]), run_of(tiny_course, module_registered_tiny, ["ada"]))
        sink.begin()
        sink.write(result("ada", fingerprint=fingerprint))
    rows = store.load_submissions(tiny_course.root, "tiny")
    assert [(r.student, r.fingerprint) for r in rows] == [("ada", "first"), ("ada", "second")]
    assert rows[0].run_id != rows[1].run_id


def test_incidents_name_missing_unreadable_hung_crashed_and_raising_notebooks():
    def kinds(**kwargs):
        return [kind for kind, _ in store.incidents_of(NotebookReport("a", "nb", [], **kwargs))]

    assert kinds(error="nb.ipynb was not submitted") == ["missing"]
    assert kinds(error="not a notebook: the file is not valid JSON") == ["unreadable"]
    cells = [CellOutcome(0, None, "code", "this cell did not finish within 3 s"),
             CellOutcome(1, None, "code", "this cell stopped the notebook (it exited, crashed or ran out of memory)"),
             CellOutcome(2, None, "code", "Traceback ...\nZeroDivisionError: division by zero"),
             CellOutcome(3, None, "code", None)]
    assert kinds(cells=cells) == ["timeout", "crash", "exception"]
    assert kinds(cells=cells[3:], error="grading time for this notebook (60 s) ran out") == ["timeout"]


def _write_many(course_root: str, student: str, n: int) -> None:
    with store.open_store(course_root) as db:
        run_id = store.start_run(db, "tiny", n)
        for i in range(n):
            store.record_student(db, run_id, "tiny", result(f"{student}{i}"))


def test_concurrent_runs_on_one_course_lose_nothing(tiny_course):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(str(tiny_course.root), name, 15)) for name in "xyz"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    rows = store.load_submissions(tiny_course.root, "tiny")
    assert len(rows) == 45 and len({r.student for r in rows}) == 45
    assert all(len(r.tests) == 2 for r in rows)
    db = sqlite3.connect(store.store_path(tiny_course.root))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3


def test_reading_a_course_without_a_record_says_what_to_do(tmp_path):
    with pytest.raises(store.StoreError, match="grade the class first"):
        store.load_submissions(tmp_path)


@pytest.mark.usefixtures("tiny_course", "module_registered_tiny")
def test_a_class_run_writes_the_record_by_default():
    assert "results-store" in outputs.STANDARD
    assert any(isinstance(o, outputs.ResultsStore) for o in outputs.standard_outputs())
