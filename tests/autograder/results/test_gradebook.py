"""Recording autograded points in nbgrader's gradebook (a tiny course built with course.init)."""
from __future__ import annotations

import pytest

import autograder.grading.discovery as discovery
from autograder.admin import course
from autograder.results import gradebook
from autograder.results.records import NotebookReport, TestResult


def test_load_and_available_read_the_roots_at_call_time(registered_tiny, tiny_roots):
    assert discovery.available() == ["tiny"]
    assert registered_tiny.notebooks[0].source == tiny_roots[0] / "tiny" / "tiny.ipynb"
    assert registered_tiny.notebooks[0].settings["cell_timeout"] == 3


@pytest.fixture(scope="module")
def tiny_course(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    return course.init(tmp_path_factory.mktemp("course") / "course", course_id="tinycourse")


def report(relu_points: float, forward_points: float, notebook: str = "tiny") -> NotebookReport:
    return NotebookReport("tiny", notebook, [
        TestResult("test_relu", relu_points, 3.0, relu_points == 3.0, "", "relu_tests"),
        TestResult("test_forward", forward_points, 3.0, forward_points == 3.0, "", "forward_tests"),
    ])


def test_init_creates_a_stock_nbgrader_course_with_the_student_version(tiny_course):
    root = tiny_course.root
    assert (root / "nbgrader_config.py").is_file() and (root / "gradebook.db").is_file()
    released = (root / "release" / "tiny" / "tiny.ipynb").read_text()
    assert "np.maximum" not in released and "### BEGIN SOLUTION" not in released
    assert gradebook.notebook_names(root, "tinycourse", "tiny") == ["tiny"]
    assert gradebook.notebook_names(root, "tinycourse", "no-such-assignment") == []


@pytest.mark.usefixtures("registered_tiny")
def test_init_refuses_a_folder_that_is_not_a_course(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(course.CourseError, match="not empty"):
        course.init(tmp_path)


def test_recorded_points_are_scaled_to_each_grade_cells_points(tiny_course):
    gradebook.record(tiny_course.root, "tinycourse", "ada", "tiny", [report(3.0, 1.5)])
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["ada"] == pytest.approx(4.5)


def test_a_missing_notebook_scores_zero(tiny_course):
    gradebook.record(tiny_course.root, "tinycourse", "nobody", "tiny", [])
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["nobody"] == 0


def test_manual_grades_survive_a_regrade(tiny_course):
    from nbgrader.api import Gradebook

    gradebook.record(tiny_course.root, "tinycourse", "ben", "tiny", [report(0.0, 3.0)])
    with Gradebook(gradebook.db_url(tiny_course.root), "tinycourse") as gb:
        grade = gb.find_grade("relu_tests", "tiny", "tiny", "ben")
        grade.manual_score = 2.0            # the instructor gives partial credit in formgrader
        gb.db.commit()
    gradebook.record(tiny_course.root, "tinycourse", "ben", "tiny", [report(1.0, 3.0)])
    with Gradebook(gradebook.db_url(tiny_course.root), "tinycourse") as gb:
        grade = gb.find_grade("relu_tests", "tiny", "tiny", "ben")
        assert (grade.manual_score, grade.auto_score) == (2.0, 1.0)
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["ben"] == pytest.approx(5.0)


def test_a_run_held_gradebook_records_alike_and_sees_what_others_wrote_between_its_records(tiny_course):
    """One gradebook held for a class run (``Recorder``): the same points as a record per student, and a
    manual grade entered in between by another writer (formgrader) is neither lost nor overwritten."""
    from nbgrader.api import Gradebook

    recorder = gradebook.Recorder(tiny_course.root, "tinycourse")
    try:
        recorder.record("cleo", "tiny", [report(3.0, 0.0)])
        with Gradebook(gradebook.db_url(tiny_course.root), "tinycourse") as gb:
            grade = gb.find_grade("relu_tests", "tiny", "tiny", "cleo")
            grade.manual_score = 1.0
            gb.db.commit()
        recorder.record("dan", "tiny", [report(1.5, 3.0)])
        recorder.record("cleo", "tiny", [report(2.0, 3.0)])          # a regrade within the same run
    finally:
        recorder.close()
    gradebook.record(tiny_course.root, "tinycourse", "eve", "tiny", [report(1.5, 3.0)])
    scores = gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")
    assert scores["dan"] == scores["eve"] == pytest.approx(4.5)
    assert scores["cleo"] == pytest.approx(4.0)                          # manual 1.0 for relu, 3.0 for forward
    with Gradebook(gradebook.db_url(tiny_course.root), "tinycourse") as gb:
        grade = gb.find_grade("relu_tests", "tiny", "tiny", "cleo")
        assert (grade.manual_score, grade.auto_score) == (1.0, 2.0)
