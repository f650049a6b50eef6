"""The class report on a synthetic class whose mix of mistakes is known: counts, who, unmatched groups,
concept mastery, incidents, attempts, and the files (self-contained HTML, JSON, CSV)."""
from __future__ import annotations

import csv
import json
import re
import textwrap

import pytest
from click.testing import CliRunner

from autograder.admin import course
from autograder.analytics import class_report, store
from autograder.analytics.report_files import ReportError, make_report, write_report
from autograder.cli import main
from autograder.intake.cells import CellOutcome
from autograder.results.records import NotebookReport, StudentResult, TestResult

CONCEPTS = {"test_relu": ("activation-functions",), "test_forward": ("forward-pass", "matrix-form"),
            "test_mse": ("mse",)}
MESSAGES = {"relu.negatives_kept": "relu(z): it returns z unchanged for negative inputs",
            "forward.missing_output_bias": "y_hat: output off by exactly b2",
            "mse.sum_not_mean": "mse: you summed the squared errors"}
TEST_OF = {"relu.negatives_kept": "test_relu", "forward.missing_output_bias": "test_forward",
           "mse.sum_not_mean": "test_mse"}
CATALOGUE = textwrap.dedent('''
    [questions.relu]
    stem = 'Which expression is ReLU(z)?'
    correct = 'max(0, z)'
    concepts = ["activation-functions"]

    [questions.forward]
    stem = 'Which expression is y_hat?'
    correct = 'f(X W1 + b1) W2 + b2'
    concepts = ["forward-pass"]

    [mistakes]
    "relu.negatives_kept" = { question = "relu", wrote = 'z' }
    "relu.is_derivative" = { question = "relu", wrote = '1 for z > 0, else 0' }
    "forward.missing_output_bias" = { question = "forward", wrote = 'f(X W1 + b1) W2' }
''')


def student_result(student, *, mistakes=(), unmatched=None, missing=False, hung=False, fingerprint="v1"):
    """A graded submission of the synthetic assignment "syn" with the given named mistakes."""
    tests = []
    for name, concepts in CONCEPTS.items():
        mistake = next((m for m in mistakes if TEST_OF[m] == name), None)
        message = MESSAGES[mistake] if mistake else ""
        if name == "test_forward" and unmatched:
            message = unmatched
        if missing:
            message = f"{name}() could not be checked: syn.ipynb was not submitted"
        failed = bool(message)
        tests.append(TestResult(name, 0.0 if failed else 2.0, 2.0, not failed, message, name, "", mistake, concepts))
    cells = [CellOutcome(0, None, "code", "this cell did not finish within 3 s")] if hung else []
    report = NotebookReport("syn", "syn", tests, error="syn.ipynb was not submitted" if missing else None,
                            cells=cells, student=student)
    return StudentResult(student, [report], fingerprint=fingerprint)


# 40 students: the named mistakes are made by known sets of students.
CLASS = {f"s{i:02d}": {} for i in range(40)}
for i in range(0, 12):
    CLASS[f"s{i:02d}"]["mistakes"] = ("relu.negatives_kept",)
for i in range(8, 15):
    CLASS[f"s{i:02d}"]["mistakes"] = CLASS[f"s{i:02d}"].get("mistakes", ()) + ("forward.missing_output_bias",)
for i in (20, 21, 22):
    CLASS[f"s{i:02d}"]["mistakes"] = ("mse.sum_not_mean",)
for i, shape in ((30, 7), (31, 3), (32, 12)):       # one unmatched mistake, three spellings of it
    CLASS[f"s{i:02d}"]["unmatched"] = f"y_hat has shape ({shape},), expected ({shape}, 1)"
CLASS["s33"]["unmatched"] = "forward() did not return within 10 s"
CLASS["s34"]["missing"] = True
CLASS["s35"]["hung"] = True
EXPECTED = {"relu.negatives_kept": [f"s{i:02d}" for i in range(12)],
            "forward.missing_output_bias": [f"s{i:02d}" for i in range(8, 15)],
            "mse.sum_not_mean": ["s20", "s21", "s22"]}


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    root = tmp_path_factory.mktemp("record")
    with store.open_store(root) as db:
        first = store.start_run(db, "syn", 3)
        # First attempts that were then resubmitted or rerun: their mistakes must not count.
        store.record_student(db, first, "syn", student_result("s36", mistakes=("mse.sum_not_mean",), fingerprint="a"))
        store.record_student(db, first, "syn", student_result("s37", mistakes=("relu.negatives_kept",)))
        store.record_student(db, first, "syn", student_result("s38", mistakes=("mse.sum_not_mean",)))
        second = store.start_run(db, "syn", len(CLASS))
        for student, kind in CLASS.items():
            store.record_student(db, second, "syn", student_result(student, fingerprint="b" if student == "s36"
                                                                   else "v1", **kind))
        other = store.start_run(db, "other", 2)
        store.record_student(db, other, "other", student_result("s00"))
        store.record_student(db, other, "other", student_result("s01", mistakes=("mse.sum_not_mean",)))
    hidden = tmp_path_factory.mktemp("hidden")
    (hidden / "syn").mkdir()
    (hidden / "syn" / "mistakes.toml").write_text(CATALOGUE)
    return root, hidden


@pytest.fixture(scope="module")
def report(record):
    root, hidden = record
    return class_report.build("synthetic", "syn", store.load_submissions(root), hidden)


def test_each_named_mistake_is_counted_once_per_student_with_who_made_it(report):
    got = {m.id: list(m.students) for m in report.main.mistakes}
    assert got == EXPECTED
    assert [m.id for m in report.main.mistakes] == ["relu.negatives_kept", "forward.missing_output_bias",
                                                   "mse.sum_not_mean"]          # most students first
    relu = report.main.mistakes[0]
    assert relu.tests == ("syn/test_relu",) and relu.message == MESSAGES["relu.negatives_kept"]
    assert relu.catalogue.wrote == "z" and relu.catalogue.correct == "max(0, z)"
    assert report.main.mistakes[2].catalogue is None          # not catalogued: still counted


def test_only_the_latest_submission_of_each_student_counts(report):
    scores = {s.student: s for s in report.main.scores}
    assert len(scores) == 40
    assert (scores["s36"].attempts, scores["s36"].resubmissions, scores["s36"].reruns) == (2, 1, 0)
    assert (scores["s37"].attempts, scores["s37"].resubmissions, scores["s37"].reruns) == (2, 0, 1)
    summary = report.main.summary()
    assert (summary["resubmissions"], summary["reruns"]) == (1, 2)


def test_failures_without_a_named_mistake_are_grouped_by_similar_messages(report):
    groups = {c.label: c for c in report.main.unmatched}
    shape = groups["y_hat has shape (#,), expected (#, #)"]
    assert shape.students == ("s30", "s31", "s32") and shape.occurrences == 3
    assert len(shape.examples) == 3 and shape.examples[0].startswith("y_hat has shape (7,)")
    assert groups["forward() did not return within # s"].students == ("s33",)
    # a missing notebook is an incident, not three mistakes
    assert not any("s34" in c.students for c in report.main.unmatched)
    assert sum(c.count for c in report.main.unmatched) == 4


def test_similar_but_different_messages_join_and_unrelated_ones_do_not():
    messages = ["relu(z): 4 of 20 values differ from the expected result (largest difference 3.1)",
                "relu_grad(z): 9 of 20 values differ from the expected result (largest difference 1)",
                "classify_loss_curve returned 'converging'; use exactly 'converging slowly'",
                "learning_rates has no entry for 'too high'"]
    labels = class_report.cluster_messages([class_report.normalise(m) for m in messages])
    assert labels[0] == labels[1] and len({labels[0], labels[2], labels[3]}) == 3


def test_concept_mastery_is_the_share_of_passed_checks_and_of_students_who_passed_all(report):
    concepts = {c.id: c for c in report.main.concepts}
    # test_relu failed by s00-s11 and the missing s34: 13 of 40 checks
    assert (concepts["activation-functions"].checks, concepts["activation-functions"].passed) == (40, 27)
    # test_forward failed by s08-s14, s30-s33 and s34
    assert (concepts["forward-pass"].passed, concepts["forward-pass"].mastered) == (28, 28)
    assert [c.id for c in report.main.concepts] == ["activation-functions", "forward-pass", "matrix-form", "mse"]
    assert concepts["mse"].mastery == pytest.approx(36 / 40)


def test_incidents_and_pass_rates(report):
    kinds = sorted((i.student, i.kind) for i in report.main.incidents)
    assert kinds == [("s33", "timeout"), ("s34", "missing"), ("s35", "timeout")]
    rates = {t.name: t for t in report.main.tests}
    relu = rates["test_relu"]
    assert (relu.passed, relu.named_failures, relu.other_failures) == (27, 12, 1)


def test_concepts_across_assignments_when_several_are_graded(report):
    assert [a.assignment for a in report.assignments] == ["syn", "other"]
    mse = next(r for r in report.concepts_across() if r["id"] == "mse")
    assert mse["mastery"] == {"syn": pytest.approx(0.9), "other": 0.5}


def test_the_files_hold_the_same_figures_and_the_page_loads_nothing(report, tmp_path):
    files = write_report(report, tmp_path / "out")
    data = json.loads(files.json.read_text())
    assert {m["id"]: m["count"] for m in data["mistakes"]} == {k: len(v) for k, v in EXPECTED.items()}
    assert data["questions"]["relu"]["distractors"] == [{"id": "relu.negatives_kept", "wrote": "z"},
                                                        {"id": "relu.is_derivative", "wrote": "1 for z > 0, else 0"}]
    with files.csv["mistakes"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["mistake"], int(r["students"])) for r in rows] == [(k, len(v)) for k, v in EXPECTED.items()]
    assert set(files.csv) == {"scores", "tests", "mistakes", "unmatched", "concepts", "incidents", "concepts_across"}
    html = files.html.read_text()
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 6
    assert not re.search(r'(src|href)="(?!data:)', html) and "<script" not in html
    assert html.index('id="charts"') < html.index("<table")     # the charts come before any table
    assert "s00, s01, s02" in html                                  # who made the top mistake


@pytest.mark.usefixtures("module_registered_tiny", "record")
def test_the_cli_reports_a_graded_course_and_explains_what_is_missing(tmp_path):
    tiny_course = course.init(tmp_path / "course", course_id="tinycourse")
    result = CliRunner().invoke(main, ["report", "tiny", "--course", str(tiny_course.root)])
    assert result.exit_code == 2 and "grade the class first" in result.output
    with store.open_store(tiny_course.root) as db:
        store.record_student(db, store.start_run(db, "syn", 1), "syn", student_result("ada"))
    result = CliRunner().invoke(main, ["report", "tiny", "--course", str(tiny_course.root)])
    assert result.exit_code == 2 and "no graded submission of 'tiny' (graded: syn)" in result.output
    result = CliRunner().invoke(main, ["report", "syn", "--course", str(tiny_course.root), "--out",
                                       str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert f"class report: {tmp_path / 'r' / 'report.html'}" in result.output
    with pytest.raises(ReportError, match="is not an nbgrader course directory"):
        make_report(course_dir=tmp_path / "nothing", assignment="syn")
