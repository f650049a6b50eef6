"""Every assignment's notebooks, checked by one harness from their declarations.

For each notebook declared in ``tests/assignments/<name>/harness.toml``: the source (reference)
notebook scores full marks, nbgrader's student version scores 0, every wrong fixture loses points
where it says with the message it says and nowhere else, every correct fixture scores full marks,
grading is reproducible, the visible points equal the hidden tests' points, and the student
version states the declared contract. Grading takes seconds per notebook (a sandbox with torch),
so each notebook's submissions are graded once per session, in parallel, when a test first needs
them; set LEARNATHON_TEST_JOBS to change the number of graders. See harness.py for the keys.
"""
from __future__ import annotations

import csv
import fnmatch
import inspect
import re
import shutil
import time

import nbformat
import pytest

from tests.assignments.harness import (
    all_declarations,
    failures,
    grade_all,
    nbgrader,
    structure_problems,
    visible_points,
)
from tests.support import check_expectations, student_version

NOTEBOOKS = all_declarations()
WRONG = [(d, f) for d in NOTEBOOKS for f in d.fixture_submissions() if not f.full_marks]
ALL_FIXTURES = [(d, f) for d in NOTEBOOKS for f in d.fixture_submissions()]


def by_notebook(declarations):
    return pytest.mark.parametrize("declaration", declarations, ids=lambda d: d.id)


def by_fixture(cases):
    return pytest.mark.parametrize("declaration, fixture", cases, ids=[f"{d.id}/{f.id}" for d, f in cases])


@pytest.fixture(scope="session")
def grading(tmp_path_factory):
    """grading(declaration) -> Graded; each notebook's submissions are graded once per session."""
    cache = {}

    def graded(declaration):
        if declaration.id not in cache:
            cache[declaration.id] = grade_all(declaration, tmp_path_factory.mktemp(declaration.notebook))
        return cache[declaration.id]
    return graded


def notebook(declaration):
    return nbformat.read(declaration.source, as_version=4)


# --- the source scores full marks, the student version 0 ---------------------------------------------

@by_notebook(NOTEBOOKS)
def test_source_notebook_scores_full_marks(grading, declaration):
    report = grading(declaration)["source"]
    assert report.error is None, report.error
    assert report.max_score == declaration.max_score
    assert report.score == report.max_score, failures(report)
    assert [c for c in report.cells if not c.ok] == []


@by_notebook([d for d in NOTEBOOKS if d.grading_seconds])
def test_grading_the_source_stays_within_the_limit(grading, declaration):
    """Measured here under the load of parallel grading: the wall time and the report's own."""
    graded, limit = grading(declaration), declaration.grading_seconds
    assert graded.seconds["source"] < limit, f"grading took {graded.seconds['source']:.0f} s (limit {limit} s)"
    assert graded["source"].seconds < limit, f"the report says {graded['source'].seconds:.0f} s (limit {limit} s)"


@by_notebook(NOTEBOOKS)
def test_student_version_scores_zero_without_crashing(grading, declaration):
    graded = grading(declaration)
    report = graded["student"]
    assert report.error is None, report.error
    assert report.score == 0
    assert len(report.tests) == len(graded["source"].tests)
    for test in report.tests:
        assert not test.passed
        assert any(m in test.message.lower() for m in declaration.blank_messages), f"{test.name}: {test.message}"


# --- fixtures --------------------------------------------------------------------------------------------

@by_notebook(NOTEBOOKS)
def test_fixture_collection_covers_the_issue(declaration):
    """Enough typical mistakes (those the issue names among them) and correct alternatives."""
    fixtures = declaration.fixture_submissions()
    wrong = {f.id for f in fixtures if not f.full_marks}
    right = [f for f in fixtures if f.full_marks]
    wanted = declaration.fixtures
    assert len(wrong) >= wanted.get("min_wrong", 1), f"{len(wrong)} wrong fixtures"
    assert len(right) >= wanted.get("min_correct", 1), f"{len(right)} correct fixtures"
    assert set(wanted.get("mistakes", ())) - wrong == set(), "no fixture for these mistakes"
    for fixture in fixtures:
        if not fixture.full_marks:
            assert fixture.must_pass, f"{fixture.id}: say which other tests keep their points (expect-pass)"


@by_fixture(ALL_FIXTURES)
def test_fixture_behaves_as_expected(grading, declaration, fixture):
    report = grading(declaration)[fixture.id]
    assert report.error is None, report.error
    assert check_expectations(fixture, report) == []
    if not fixture.full_marks:
        assert report.score < report.max_score
    for test in report.tests:  # a hidden test that breaks on odd input is a grader bug, not a mistake
        assert "grader could not check" not in test.message, f"{test.name}: {test.message}"


@by_fixture(WRONG)
def test_wrong_fixture_fails_only_where_expected(grading, declaration, fixture):
    """One mistake costs points in the tests its fixture names, nowhere else."""
    named = [pattern for pattern, _ in fixture.must_fail]
    unexpected = [t.name for t in grading(declaration)[fixture.id].tests
                  if not t.passed and not any(fnmatch.fnmatch(t.name, p) for p in named)]
    assert unexpected == [], f"{fixture.id} also fails {unexpected}"


@by_notebook(NOTEBOOKS)
def test_grading_is_reproducible(grading, declaration):
    """Hidden seeds come from the test ids: the same submission gets the same report, scores and messages."""
    graded = grading(declaration)
    assert graded["repeat"].to_dict() == graded[declaration.repeat].to_dict()
    assert graded["repeat"].score > 0, "repeat a submission that earns points: equal zeros prove little"


@by_notebook([d for d in NOTEBOOKS if d.messages_show_no_number_lists or d.secrets])
def test_messages_never_reveal_hidden_data(grading, declaration):
    """Failure messages name the mistake; they never print hidden arrays or hidden records."""
    secrets: set[str] = set()
    if declaration.secrets:
        path = declaration.spec.tests.parent / declaration.secrets["file"]
        with open(path) as handle:
            secrets = {row[declaration.secrets["column"]] for row in csv.DictReader(handle)
                       if len(row[declaration.secrets["column"]]) >= declaration.secrets.get("min_length", 1)}
        assert secrets, f"no secrets read from {path}"
    for name, report in grading(declaration).items():
        for test in report.tests:
            if declaration.messages_show_no_number_lists:
                assert not re.search(r"\[\s*-?\d+\.\d+[ ,]+-?\d+\.\d+[ ,]+-?\d+\.\d+", test.message), \
                    f"{name}/{test.name}: {test.message}"
            words = set(test.message.replace(",", " ").replace("'", " ").split())
            assert not words & secrets, f"{name}/{test.name} shows hidden data"


# --- notebook structure, points and the contract ---------------------------------------------------------

@by_notebook(NOTEBOOKS)
def test_notebook_is_clean_nbgrader_source(declaration):
    assert structure_problems(notebook(declaration), declaration) == []


@by_notebook(NOTEBOOKS)
def test_visible_points_equal_hidden_points(grading, declaration):
    visible = visible_points(notebook(declaration))
    hidden: dict[str, float] = {}
    for test in grading(declaration)["source"].tests:
        assert test.cell in visible, f"{test.name} is marked for cell {test.cell!r}, which the notebook lacks"
        hidden[test.cell] = hidden.get(test.cell, 0) + test.max_points
    assert hidden == visible
    assert sum(visible.values()) == declaration.max_score


@by_notebook(NOTEBOOKS)
def test_student_version_states_every_signature(declaration, tmp_path):
    text = "\n".join(c.source for c in nbformat.read(student_version(declaration.source, tmp_path / "s.ipynb"),
                                                     4).cells)
    for secret in ("### BEGIN SOLUTION", *declaration.not_in_student_version):
        assert secret not in text, f"the student version shows {secret!r}"
    reference = declaration.reference_module()
    assert declaration.contract, "declare the functions students write ([notebooks.NAME.contract])"
    for name, arguments in declaration.contract.items():
        assert f"def {name}({arguments}):" in text, f"the student version does not show def {name}({arguments})"
        stated: dict = {}
        exec(f"def {name}({arguments}): pass", stated)
        assert inspect.signature(stated[name]) == inspect.signature(getattr(reference, name)), \
            f"{name}: notebook and reference solution disagree"
    for variable in declaration.variables:
        assert f"{variable} =" in text, f"the student version does not assign {variable}"


@by_notebook([d for d in NOTEBOOKS if d.written])
def test_written_answers_are_manually_graded_with_a_rubric(declaration):
    cells = {nbgrader(c).get("grade_id"): c for c in notebook(declaration).cells if nbgrader(c)}
    answers = {i for i, c in cells.items() if c.cell_type == "markdown" and nbgrader(c).get("solution")}
    assert answers == set(declaration.written)
    for grade_id in declaration.written:
        answer = cells[grade_id]
        assert answer.cell_type == "markdown" and nbgrader(answer)["solution"] and nbgrader(answer)["grade"]
        assert nbgrader(answer)["points"] > 0 and not nbgrader(answer)["locked"]
        # the model answer and the rubric live inside the solution region, which nbgrader replaces
        # in the released version: students never see the points per answer
        assert answer.source.startswith("### BEGIN SOLUTION") and answer.source.endswith("### END SOLUTION")
        assert "Rubric" in answer.source and "point" in answer.source
        assert f"rubric_{grade_id}" not in cells, "a separate rubric cell is released to students"


@by_notebook([d for d in NOTEBOOKS if d.demonstration_calls])
def test_demonstrations_are_skipped_when_grading(declaration):
    """Every given cell that trains for real is tagged, so that grading stays fast."""
    calls = declaration.demonstration_calls
    demos = [c for c in notebook(declaration).cells if c.cell_type == "code" and nbgrader(c).get("locked")
             and not nbgrader(c).get("grade") and not c.source.startswith("def ")]
    assert any(any(t in c.source for t in calls) for c in demos)
    for cell in demos:
        if any(t in cell.source for t in calls):
            assert "learnathon:skip-when-grading" in cell.metadata.get("tags", []), cell.source[:80]


# --- the notebook runs as an ordinary Jupyter notebook ---------------------------------------------------

@pytest.mark.e2e
@by_notebook([d for d in NOTEBOOKS if d.jupyter])
def test_notebook_runs_top_to_bottom_in_jupyter(declaration, tmp_path):
    """Every cell, demonstrations included, in a Jupyter kernel, next to the released files."""
    from nbclient import NotebookClient

    wanted = declaration.jupyter
    for path in declaration.spec.files:
        shutil.copy(path, tmp_path)
    nb = notebook(declaration)
    started = time.monotonic()
    NotebookClient(nb, timeout=wanted.get("timeout", 300), kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.monotonic() - started
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error"] == []
    printed = "".join(o.get("text", "") for o in outputs)
    visible_tests = [c for c in nb.cells if nbgrader(c).get("grade") and c.cell_type == "code"]
    if "passed_phrase" in wanted:
        assert printed.count(wanted["passed_phrase"]) == len(visible_tests)
    for text in wanted.get("prints", ()):
        assert text in printed
    images = sum(1 for o in outputs if "image/png" in o.get("data", {}))
    assert images >= wanted.get("min_images", 0)
    if wanted.get("quiet_visible_tests"):
        assert not [o for c in visible_tests for o in c.outputs if o.get("name") == "stderr"]
    if "max_seconds" in wanted:
        assert seconds < wanted["max_seconds"], f"the notebook took {seconds:.0f} s"
