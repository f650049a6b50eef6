"""Grading a class: gradebook, feedback, resume markers, isolation between students, --jobs."""
from __future__ import annotations

import json

import pytest

from autograder.admin import course
from autograder.classrun.autograde import autograde
from autograder.results import gradebook
from tests.autograder import tiny_assignment as tiny
from tests.autograder.tiny_assignment import start_sandboxes
from tests.support import grader_fails_for

WRONG_FORWARD = "def forward(X, params):\n    return relu(X @ params['W'])\n"
VANDAL = """
import os, shutil
for target in [{root!r} + "/gradebook.db", {root!r} + "/submitted", {root!r} + "/autograded"]:
    try:
        os.remove(target)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
"""
EXPECTED = {"ada": 6.0, "ben": 4.0, "eve": 0.0, "mallory": 3.0}


def submit(root, student: str, build) -> None:
    folder = root / "submitted" / student / "tiny"
    folder.mkdir(parents=True, exist_ok=True)
    build(folder / "tiny.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def fill_class(root) -> None:
    submit(root, "ada", lambda p: tiny.submission(p))
    submit(root, "ben", lambda p: tiny.submission(p, forward=WRONG_FORWARD))
    submit(root, "eve", lambda p: p.write_text('{"cells": ['))
    submit(root, "mallory", lambda p: tiny.submission(p, relu="def relu(z):\n    return z\n",
                                                     forward="def forward(X, params):\n    return np.maximum(X @ "
                                                             "params['W'] + params['b'], 0)\n",
                                                     extra_cells=[VANDAL.format(root=str(root))]))


@pytest.fixture(scope="module")
def cold_module():
    """Sandboxes started afresh: a warm zygote would cost more than this module's few sessions."""
    with pytest.MonkeyPatch.context() as patch:
        start_sandboxes(patch, cold=True)
        yield


@pytest.fixture(scope="module")
def graded_class(module_registered_tiny, cold_module, tmp_path_factory):  # noqa: ARG001, ARG001 (requested for its effect)
    root = tmp_path_factory.mktemp("class") / "course"
    tiny_course = course.init(root, course_id="tinycourse")
    fill_class(tiny_course.root)
    lines = []
    results = autograde(course_dir=tiny_course.root, assignment="tiny",
                        progress=lambda r, i, n: lines.append((r.student, i, n)))
    return tiny_course, results, lines


def scores(results):
    return {r.student: r.score for r in results}


def test_every_student_gets_the_grade_of_their_own_work(graded_class):
    tiny_course, results, _ = graded_class
    assert scores(results) == EXPECTED
    assert all(r.max_score == 6.0 for r in results)


def test_grades_reach_nbgrader_s_gradebook(graded_class):
    tiny_course, _, _ = graded_class
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny") == pytest.approx(EXPECTED)


def test_a_vandal_cannot_touch_the_course_or_other_submissions(graded_class):
    tiny_course, _, _ = graded_class
    assert (tiny_course.root / "gradebook.db").is_file()
    assert (tiny_course.submission_dir("ada", "tiny") / "tiny.ipynb").is_file()


def test_broken_notebooks_are_noted_and_feedback_is_written_for_everyone(graded_class):
    tiny_course, results, lines = graded_class
    eve = next(r for r in results if r.student == "eve")
    assert eve.errors and "not valid JSON" in eve.errors[0]
    for student in EXPECTED:
        assert tiny_course.feedback_html(student, "tiny", "tiny").is_file()
        assert tiny_course.autograded_notebook(student, "tiny", "tiny").is_file()
    assert sorted(s for s, _, _ in lines) == sorted(EXPECTED) and {n for _, _, n in lines} == {4}


def test_a_rerun_skips_unchanged_submissions_and_regrades_changed_ones(graded_class):
    tiny_course, _, _ = graded_class
    again = autograde(course_dir=tiny_course.root, assignment="tiny")
    assert all(r.skipped for r in again)
    tiny.submission(tiny_course.submission_dir("ben", "tiny") / "tiny.ipynb")      # ben fixes forward
    after_fix = autograde(course_dir=tiny_course.root, assignment="tiny")
    assert {r.student for r in after_fix if not r.skipped} == {"ben"}
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["ben"] == 6.0


def test_manual_grades_survive_a_forced_regrade(graded_class):
    from nbgrader.api import Gradebook

    tiny_course, _, _ = graded_class
    with Gradebook(gradebook.db_url(tiny_course.root), "tinycourse") as gb:
        gb.find_grade("relu_tests", "tiny", "tiny", "mallory").manual_score = 1.5
        gb.db.commit()
    forced = autograde(course_dir=tiny_course.root, assignment="tiny", student="mallory", force=True)
    assert [(r.student, r.skipped) for r in forced] == [("mallory", False)]
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["mallory"] == pytest.approx(4.5)


def test_an_unknown_student_is_a_lookup_error(graded_class):
    tiny_course, _, _ = graded_class
    with pytest.raises(LookupError, match="no submission of tiny by 'zed'"):
        autograde(course_dir=tiny_course.root, assignment="tiny", student="zed")


@pytest.mark.e2e
@pytest.mark.usefixtures("module_registered_tiny")
def test_two_jobs_give_the_same_grades_as_one(tmp_path, monkeypatch):
    start_sandboxes(monkeypatch, cold=False)     # warm zygotes, as in production
    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    fill_class(tiny_course.root)
    parallel = autograde(course_dir=tiny_course.root, assignment="tiny", jobs=2)
    assert scores(parallel) == EXPECTED
    assert [r.student for r in parallel] == sorted(EXPECTED)
    messages = {r.student: [t.message for rep in r.reports for t in rep.tests] for r in parallel}
    serial = autograde(course_dir=tiny_course.root, assignment="tiny", jobs=1, force=True)
    assert scores(serial) == EXPECTED
    assert {r.student: [t.message for rep in r.reports for t in rep.tests] for r in serial} == messages


@pytest.mark.usefixtures("module_registered_tiny", "cold_module")
def test_a_grader_failure_is_reported_and_never_recorded_as_a_zero(tmp_path,
                                                                     monkeypatch):
    import autograder.classrun.autograde as stage
    from autograder.results.summary import summary_table

    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    submit(tiny_course.root, "ada", lambda p: tiny.submission(p))
    submit(tiny_course.root, "zoe", lambda p: tiny.submission(p))
    real = grader_fails_for(monkeypatch, "zoe")
    results = {r.student: r for r in autograde(course_dir=tiny_course.root, assignment="tiny")}
    assert results["ada"].score == 6.0 and results["ada"].not_graded is None
    assert results["zoe"].not_graded == "the grading sandbox did not start:"
    assert set(gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")) == {"ada"}
    assert "NOT GRADED" in summary_table(list(results.values()), "tiny")
    monkeypatch.setattr(stage, "grade_student", real)   # the rerun grades zoe: no marker was written
    rerun = {r.student: r for r in autograde(course_dir=tiny_course.root, assignment="tiny")}
    assert rerun["ada"].skipped and rerun["zoe"].score == 6.0


@pytest.mark.usefixtures("module_registered_tiny", "cold_module")
def test_a_resubmission_during_the_run_never_gets_the_results_of_other_bytes(tmp_path):
    """Feedback and the resume marker come from the bytes that were graded, never from the folder read again.

    ben fixes his notebook after it was graded and before it is recorded: his feedback shows the code that
    earned 4 points, and the rerun grades the fix. cleo fixes hers after the run looked at her folder and
    before she was graded: she is graded and marked as the fixed one, and the rerun skips her.
    """
    from autograder.outputs import Output, Stage, standard_outputs

    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    for student in ("ada", "ben", "cleo"):
        submit(tiny_course.root, student, lambda p, s=student: tiny.submission(p, **({} if s == "ada" else
                                                                                    {"forward": WRONG_FORWARD})))

    class Resubmits(Output):       # recorded first: it acts between grading and the other outputs
        name, stage = "resubmits", Stage.RECORD

        def write(self, result, run):
            fixer = {"ada": "cleo", "ben": "ben"}.get(result.student)
            if fixer:
                tiny.submission(tiny_course.submission_dir(fixer, "tiny") / "tiny.ipynb")

    results = autograde(course_dir=tiny_course.root, assignment="tiny", jobs=1,
                        outputs=[Resubmits(), *standard_outputs()])
    assert scores(results) == {"ada": 6.0, "ben": 4.0, "cleo": 6.0}
    handed_back = json.loads(tiny_course.autograded_notebook("ben", "tiny", "tiny").read_text())
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in handed_back["cells"]}
    assert cells["forward"]["source"].strip() == WRONG_FORWARD.strip()
    assert cells["forward_tests"]["outputs"][0]["text"].startswith("FAIL test_forward")

    rerun = autograde(course_dir=tiny_course.root, assignment="tiny")
    assert [(r.student, r.skipped) for r in rerun] == [("ada", True), ("ben", False), ("cleo", True)]
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny") == {"ada": 6.0, "ben": 6.0, "cleo": 6.0}
