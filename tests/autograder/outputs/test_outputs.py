"""Outputs as plug-ins: what each output writes, the order and results they see, a failing output,
a new output registered in a test, and `learnathon autograde` printing through them."""
from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from autograder import outputs
from autograder.admin import course
from autograder.classrun.autograde import autograde, submission
from autograder.cli import main
from autograder.outputs import ClassRun, Output, OutputError, Outputs, Stage
from autograder.outputs.marker import fingerprint, is_marked, marker_path
from autograder.results import gradebook
from autograder.results.records import NotebookReport, StudentResult, TestResult
from tests.autograder import tiny_assignment as tiny
from tests.support import grader_fails_for

WRONG_SHAPE = "forward returns an array of the wrong shape"


def submit_truncated(tiny_course, student: str) -> None:
    path = tiny_course.submission_dir(student, "tiny") / "tiny.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text('{"cells": [')


@pytest.fixture(scope="module")
def tiny_course(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    return course.init(tmp_path_factory.mktemp("outputs") / "course", course_id="tinycourse")


@pytest.fixture(scope="module")
def run(tiny_course, module_registered_tiny):
    return ClassRun(tiny_course, module_registered_tiny, ("ada", "ben", "cleo"))


def graded(tiny_course, student: str, forward_points: float = 0.0) -> StudentResult:
    """A result as the grader makes it (no sandbox needed): relu right, forward as given."""
    folder = tiny_course.submission_dir(student, "tiny")
    tiny.submission(folder / "tiny.ipynb")
    report = NotebookReport("tiny", "tiny", [
        TestResult("test_relu", 3.0, 3.0, True, "", "relu_tests"),
        TestResult("test_forward", forward_points, 3.0, forward_points == 3.0,
                   "" if forward_points == 3.0 else WRONG_SHAPE, "forward_tests"),
    ], student=student, seconds=1.25, graded_file=(folder / "tiny.ipynb").read_bytes())
    return StudentResult(student, [report], folder=folder, fingerprint=f"fp-of-{student}")


class Spy(Output):
    """Remembers every call; ``name`` and ``stage`` are set per test."""

    def __init__(self, name: str = "spy", stage: Stage = Stage.RECORD, log: list | None = None):
        self.name, self.stage = name, stage
        self.log = [] if log is None else log

    def begin(self, run):
        self.log.append((self.name, "begin", run.students))

    def write(self, result, run):
        self.log.append((self.name, "write", result.student))

    def end(self, results, run):
        self.log.append((self.name, "end", [r.student for r in results]))


# --- each output writes what it should -------------------------------------------------------

def test_the_gradebook_output_records_a_graded_student_s_points(tiny_course, run):
    result = graded(tiny_course, "ada", forward_points=1.5)
    (result.folder / "timestamp.txt").write_text("2026-01-02 10:00:00.000000 UTC")
    Outputs(outputs.create(["gradebook"]), run).write(result)
    assert gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")["ada"] == pytest.approx(4.5)


def test_the_feedback_output_writes_the_report_and_the_graded_notebook(tiny_course, run):
    Outputs(outputs.create(["feedback"]), run).write(graded(tiny_course, "ben"))
    html = tiny_course.feedback_html("ben", "tiny", "tiny").read_text()
    assert "test_forward" in html and WRONG_SHAPE in html
    nb = json.loads(tiny_course.autograded_notebook("ben", "tiny", "tiny").read_text())
    shown = {cell["metadata"].get("nbgrader", {}).get("grade_id"): cell.get("outputs") for cell in nb["cells"]}
    assert shown["forward_tests"][0]["text"] == f"FAIL test_forward (0/3): {WRONG_SHAPE}\n"
    assert shown["relu_tests"][0]["text"] == "PASS test_relu (3/3)\n"


def test_the_feedback_output_carries_nbgraders_submission_records_as_nbgrader_does(tiny_course, run, tmp_path):
    """`nbgrader release_feedback` reads timestamp.txt and submission_secret.txt beside the feedback; they are
    the ones read with the submission time, before grading."""
    result = graded(tiny_course, "cleo")
    (result.folder / "timestamp.txt").write_text("2026-01-02 10:00:00.000000 UTC")
    (result.folder / "submission_secret.txt").write_text("4f2a9c")
    found = submission("cleo", result.folder, run.assignment)
    assert found.submitted_at is not None and found.notes == ()
    Outputs(outputs.create(["feedback"]), run).write(
        dataclasses.replace(result, nbgrader_records=found.nbgrader_records))
    for folder in (tiny_course.feedback_dir("cleo", "tiny"), tiny_course.autograded_dir("cleo", "tiny")):
        assert (folder / "timestamp.txt").read_text() == "2026-01-02 10:00:00.000000 UTC"
        assert (folder / "submission_secret.txt").read_text() == "4f2a9c"
    # A record that is a link (to someone else's file) or oversized is not carried over; the time says why.
    other = tmp_path / "someone-elses-secret.txt"
    other.write_text("not yours")
    (result.folder / "submission_secret.txt").unlink()
    (result.folder / "submission_secret.txt").symlink_to(other)
    (result.folder / "timestamp.txt").write_text("x" * 5000)
    for name in ("timestamp.txt", "submission_secret.txt"):
        (tiny_course.feedback_dir("cleo", "tiny") / name).unlink()
    found = submission("cleo", result.folder, run.assignment)
    assert found.nbgrader_records == {} and found.submitted_at is None
    assert found.notes and "recorded without a submission time" in found.notes[0]
    Outputs(outputs.create(["feedback"]), run).write(
        dataclasses.replace(result, nbgrader_records=found.nbgrader_records))
    assert sorted(p.name for p in tiny_course.feedback_dir("cleo", "tiny").iterdir()) == ["tiny.html"]


def test_the_feedback_output_hands_back_the_bytes_that_were_graded(tiny_course, run):
    """Not the folder as it is when the feedback is written (a resubmission since then is the next run's)."""
    result = graded(tiny_course, "dev")
    tiny.submission(result.folder / "tiny.ipynb", forward=tiny.FORWARD + "# resubmitted after grading\n")
    Outputs(outputs.create(["feedback"]), run).write(result)
    handed_back = tiny_course.autograded_notebook("dev", "tiny", "tiny").read_text()
    assert "resubmitted after grading" not in handed_back and "def forward" in handed_back


def test_the_marker_output_marks_the_fingerprint_that_was_graded(tiny_course, run):
    result = graded(tiny_course, "cleo")
    Outputs(outputs.create(["marker"]), run).write(result)
    assert is_marked(tiny_course, "tiny", "cleo", "fp-of-cleo")
    assert not is_marked(tiny_course, "tiny", "cleo", "fp-of-a-changed-submission")
    assert json.loads(marker_path(tiny_course, "tiny", "cleo").read_text()) == {"fingerprint": "fp-of-cleo",
                                                                                 "score": 3.0}


def test_the_fingerprint_changes_with_the_submission(tiny_course, module_registered_tiny):
    folder = tiny_course.submission_dir("dana", "tiny")
    tiny.submission(folder / "tiny.ipynb")
    before = submission("dana", folder, module_registered_tiny).fingerprint
    assert submission("dana", folder, module_registered_tiny).fingerprint == before
    assert fingerprint({"tiny.ipynb": (folder / "tiny.ipynb").read_bytes()}, module_registered_tiny) == before
    tiny.submission(folder / "tiny.ipynb", forward=tiny.FORWARD + "# changed\n")
    assert submission("dana", folder, module_registered_tiny).fingerprint != before
    # A file's bytes never hash like a refusal that reads the same.
    assert fingerprint({"tiny.ipynb": b"not submitted"}, module_registered_tiny) != fingerprint(
        {"tiny.ipynb": "not submitted"}, module_registered_tiny)


def test_progress_json_and_table_show_every_result(tiny_course, run):
    lines, printed = [], []
    shown = Outputs([outputs.Progress(lambda r, i, n: lines.append((r.student, i, n))),
                     outputs.JsonResults(echo=printed.append), outputs.SummaryTable(echo=printed.append)], run)
    results = [graded(tiny_course, "ada", 3.0), StudentResult("ben", [], skipped=True),
               StudentResult("cleo", [], not_graded="the grading sandbox did not start:")]
    shown.begin()
    for result in reversed(results):          # as they arrive, in completion order
        shown.write(result)
    shown.end(results)
    assert lines == [("cleo", 1, 3), ("ben", 2, 3), ("ada", 3, 3)]
    as_json, table = printed
    assert json.loads(as_json) == [r.to_dict() for r in results]
    assert [row.split()[:2] for row in table.splitlines()[2:5]] == [["ada", "6"], ["ben", "(unchanged)"],
                                                                    ["cleo", "NOT"]]


# --- order, what each stage sees, failures ---------------------------------------------------

def test_outputs_run_by_stage_and_recording_ones_never_see_an_ungraded_result(tiny_course, run):
    log: list = []
    spies = [Spy("show", Stage.SHOW, log), Spy("mark", Stage.MARK, log), Spy("record", Stage.RECORD, log)]
    sink = Outputs(spies, run)
    sink.write(graded(tiny_course, "ada"))
    sink.write(StudentResult("ben", [], skipped=True))
    sink.write(StudentResult("cleo", [], not_graded="no space left on device"))
    assert log == [("record", "write", "ada"), ("mark", "write", "ada"), ("show", "write", "ada"),
                   ("show", "write", "ben"), ("show", "write", "cleo")]


def test_a_failing_output_names_itself_the_student_and_the_cause_and_stops_before_the_marker(tiny_course, run):
    class FullDisk(Output):
        name = "report-store"

        def write(self, result, run):
            raise OSError(28, "No space left on device")

    log: list = []
    sink = Outputs([*outputs.create(["marker"]), Spy("progress", Stage.SHOW, log), FullDisk()], run)
    with pytest.raises(OutputError) as caught:
        sink.write(graded(tiny_course, "ben"))
    message = str(caught.value)
    assert message.startswith("output 'report-store' failed for student 'ben': OSError: ")
    assert "No space left on device" in message and "rerun" in message
    assert not marker_path(tiny_course, "tiny", "ben").exists() and log == []   # so the rerun grades ben again


def test_an_unknown_output_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match="unknown output 'lms-csv'; choose from gradebook, feedback, results-store, "
                                         "marker"):
        outputs.create(["lms-csv"])


def test_the_gradescope_output_writes_results_json_per_student(tiny_course, run):
    sink = Outputs(outputs.create(["gradescope"]), run)
    sink.write(graded(tiny_course, "cleo", forward_points=1.0))
    written = json.loads((tiny_course.root / "results" / "gradescope" / "tiny" / "cleo.json").read_text())
    assert written["score"] == 4.0 and written["stdout_visibility"] == "hidden"
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"]) for t in written["tests"]] == [
        ("tiny: test_relu", 3.0, 3.0, "passed", "visible"), ("tiny: test_forward", 1.0, 3.0, "failed", "visible"),
        ("tiny: test_forward (details)", 0.0, 0.0, "failed", "after_published")]
    assert written["tests"][2]["output"] == WRONG_SHAPE and WRONG_SHAPE not in written["tests"][1]["output"]


# --- a class run through the outputs ----------------------------------------------------------

@pytest.mark.usefixtures("module_registered_tiny", "cold_start")
def test_a_registered_output_receives_every_student_s_record(tmp_path,
                                                            monkeypatch):
    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    tiny.submission(tiny_course.submission_dir("ada", "tiny") / "tiny.ipynb")
    submit_truncated(tiny_course, "eve")
    tiny.submission(tiny_course.submission_dir("zoe", "tiny") / "tiny.ipynb")
    grader_fails_for(monkeypatch, "zoe")
    log: list = []
    received: dict[str, StudentResult] = {}

    class Store(Spy):                    # a new recording output, e.g. a per-student mistake store
        name, stage = "store", Stage.RECORD

        def __init__(self):
            super().__init__(self.name, self.stage, log)

        def write(self, result, run):
            super().write(result, run)
            received[result.student] = result

    class Screen(Spy):                   # a new display, e.g. a live dashboard
        name, stage = "screen", Stage.SHOW

        def __init__(self):
            super().__init__(self.name, self.stage, log)

    monkeypatch.setitem(outputs.OUTPUTS, "store", Store)
    monkeypatch.setitem(outputs.OUTPUTS, "screen", Screen)
    monkeypatch.setattr(outputs, "STANDARD", (*outputs.STANDARD, "store", "screen"))

    results = autograde(course_dir=tiny_course.root, assignment="tiny")
    assert [(r.student, r.score, r.not_graded) for r in results] == [
        ("ada", 6.0, None), ("eve", 0.0, None), ("zoe", 0.0, "the grading sandbox did not start:")]
    assert log[0] == ("store", "begin", ("ada", "eve", "zoe")) and log[-1] == ("screen", "end", ["ada", "eve", "zoe"])
    assert sorted(s for o, hook, s in log if (o, hook) == ("store", "write")) == ["ada", "eve"]
    assert sorted(s for o, hook, s in log if (o, hook) == ("screen", "write")) == ["ada", "eve", "zoe"]
    assert received["ada"].reports[0].score == 6.0 and received["ada"].folder == tiny_course.submission_dir("ada",
                                                                                                            "tiny")
    assert "not valid JSON" in received["eve"].errors[0]
    assert set(gradebook.class_scores(tiny_course.root, "tinycourse", "tiny")) == {"ada", "eve"}

    log.clear()
    rerun = autograde(course_dir=tiny_course.root, assignment="tiny")      # zoe's grader still fails
    assert [(r.student, r.skipped, bool(r.not_graded)) for r in rerun] == [("ada", True, False),
                                                                           ("eve", True, False), ("zoe", False, True)]
    assert not [entry for entry in log if entry[:2] == ("store", "write")]
    assert sorted(s for o, hook, s in log if (o, hook) == ("screen", "write")) == ["ada", "eve", "zoe"]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.usefixtures("module_registered_tiny", "cold_start")
def test_autograde_prints_json_through_the_json_output_and_a_failing_output_clearly(tmp_path, monkeypatch):
    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    tiny.submission(tiny_course.submission_dir("ada", "tiny") / "tiny.ipynb")
    submit_truncated(tiny_course, "eve")

    class LockedGradebook(outputs.NbgraderGradebook):
        def write(self, result, run):
            raise PermissionError(13, "Permission denied", str(run.course.root / "gradebook.db"))

    with monkeypatch.context() as patch:
        patch.setitem(outputs.OUTPUTS, "gradebook", LockedGradebook)
        failed = invoke("autograde", "tiny", "--course", str(tiny_course.root))
    assert failed.exit_code == 1
    assert failed.stderr.strip().splitlines()[-1].startswith(
        "Error: output 'gradebook' failed for student 'ada': PermissionError: [Errno 13] Permission denied")
    assert not marker_path(tiny_course, "tiny", "ada").exists()

    done = invoke("autograde", "tiny", "--course", str(tiny_course.root), "--json")
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    assert [(r["student"], r["score"], r["skipped"]) for r in printed] == [("ada", 6.0, False), ("eve", 0.0, False)]
    assert "[2/2]" in done.stderr and "[2/2]" not in done.stdout
