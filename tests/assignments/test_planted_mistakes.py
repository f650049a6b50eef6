"""One planted mistake fails one step: in `learnathon check` (the visible cell) and in `grade` (the hidden tests
of that cell), and the two agree.

An assignment declares plantings in ``tests/assignments/<name>/planted_mistakes.toml``: per notebook, one table
per named mistake of its catalogue (``autograder/hidden/<name>/mistakes.toml``), ``cell`` (the solution cell),
``old`` (solution text found there exactly once), ``new`` (the same code with that one mistake), and ``also``: the
steps that put earlier functions together and cannot work with this one broken (they fail too, and say "fix ...
first"). The step of a solution cell is its visible-test cell (the first graded cell after it, as AUTHORING.md
lays a notebook out).

Fast: every catalogued mistake is planted, each planting applies to the current solution and compiles. e2e (it
grades and checks one notebook per planting): the planted notebook fails exactly the visible cell of its step in
`check`, only hidden tests of that cell in `grade`, one of them recognising the mistake; and every wrong fixture of
the harness fails in `check` exactly the visible cells whose hidden tests it fails in `grade` (fixtures that forge
what only the grader can see are listed, with the reason, under ``[notebooks.<name>.visible_cannot_see]``).
A fixture whose broken function feeds a step that measures a quantity against its pass mark (cs2's surrogate R^2
>= 0.95) may land on either side of that mark in `check` and in `grade`, which measure it on different data: such
steps are listed under ``[notebooks.<name>.near_their_mark]`` with the reason, and wherever they fail, their
message must say "fix ... first" (the student is sent to the broken function either way).
"""
from __future__ import annotations

import fnmatch
import multiprocessing
import os
import shutil
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.admin.fabricate import with_cells
from autograder.grading import discovery, runner
from autograder.grading.visible import check_notebook
from tests.assignments.harness import DECLARATIONS, all_declarations

NOTEBOOKS = all_declarations()


NOT_PLANTINGS = ("visible_cannot_see", "near_their_mark")   # tables of planted_mistakes.toml that are lists


def plantings_of(declaration) -> dict:
    path = DECLARATIONS / declaration.assignment / "planted_mistakes.toml"
    tables = tomllib.loads(path.read_text()).get("notebooks", {}) if path.is_file() else {}
    return tables.get(declaration.notebook, {})


def catalogue(assignment: str) -> set[str]:
    path = discovery.hidden_root() / assignment / "mistakes.toml"
    return set(tomllib.loads(path.read_text()).get("mistakes", {})) if path.is_file() else set()


def ids_used_by(declaration) -> set[str]:
    """The mistake ids the notebook's hidden tests name (their module text, as
    tests/autograder/grading/test_hidden_tags.py reads them)."""
    text = declaration.spec.tests.read_text()
    return {mistake for mistake in catalogue(declaration.assignment) if f'"{mistake}"' in text}


PLANTED = [(d, mistake) for d in NOTEBOOKS for mistake in plantings_of(d) if mistake not in NOT_PLANTINGS]

# Plantings and fixtures open in issue 22, each with its reason (none today); an entry that passes again shows as
# XPASS and should be removed.
OPEN_IN_ISSUE_22: dict[str, str] = {}


def marked(pairs, ids):
    """pytest params for (declaration, item) pairs, those open in issue 22 marked as expected to fail."""
    return [pytest.param(*pair, id=name, marks=[pytest.mark.xfail(reason=OPEN_IN_ISSUE_22[name], strict=False)]
                         if name in OPEN_IN_ISSUE_22 else []) for pair, name in zip(pairs, ids)]

DECLARING = [d for d in NOTEBOOKS if plantings_of(d)]


def cells_by_id(source: Path) -> dict:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(source, as_version=4).cells}


def step_of(source: Path, cell: str) -> str:
    """The visible-test cell of a solution cell: the first graded code cell after it."""
    cells = nbformat.read(source, as_version=4).cells
    at = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == cell)
    return next(c.metadata["nbgrader"]["grade_id"] for c in cells[at + 1:]
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))


def planted_source(declaration, mistake: str) -> dict[str, str]:
    planting = plantings_of(declaration)[mistake]
    original = cells_by_id(declaration.source)[planting["cell"]].source
    assert original.count(planting["old"]) == 1, \
        f"{mistake}: the text to replace occurs {original.count(planting['old'])} times in cell {planting['cell']!r}"
    return {planting["cell"]: original.replace(planting["old"], planting["new"])}


# --- fast: the plantings fit the catalogue and the notebook ------------------------------------------------

@pytest.mark.parametrize("declaration", DECLARING, ids=lambda d: d.id)
def test_every_named_mistake_of_the_notebook_is_planted(declaration):
    planted = set(plantings_of(declaration)) - set(NOT_PLANTINGS)
    assert sorted(ids_used_by(declaration) - planted) == [], "named mistakes without a planting"
    assert sorted(planted - catalogue(declaration.assignment)) == [], "plantings of ids the catalogue does not have"


@pytest.mark.parametrize("declaration", DECLARING, ids=lambda d: d.id)
def test_listed_fixtures_exist_and_say_why(declaration):
    """The lists of planted_mistakes.toml name wrong fixtures of this notebook, each with its reason, and a step
    near its mark is a graded step of the notebook."""
    wrong = {f.id for f in declaration.fixture_submissions() if not f.full_marks}
    steps = {grade_id for grade_id, cell in cells_by_id(declaration.source).items()
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}
    for table in NOT_PLANTINGS:
        for fixture, entry in plantings_of(declaration).get(table, {}).items():
            assert fixture in wrong, f"[{table}] names {fixture!r}, which is not a wrong fixture of {declaration.id}"
            reason = entry.get("why", "") if isinstance(entry, dict) else entry
            assert len(reason) > 20, f"[{table}] {fixture}: say why"
            if table == "near_their_mark":
                assert entry["steps"] and set(entry["steps"]) <= steps, (entry["steps"], sorted(steps))


@pytest.mark.parametrize("declaration, mistake", PLANTED, ids=[f"{d.id}/{m}" for d, m in PLANTED])
def test_planting_applies_to_the_solution(declaration, mistake):
    for cell, source in planted_source(declaration, mistake).items():
        compile(source, cell, "exec")
        assert source != cells_by_id(declaration.source)[cell].source


# --- e2e: check and grade of every planted notebook ---------------------------------------------------------

def _check_and_grade(assignment: str, notebook: str, path: str):
    """In a grading process: the visible cells that fail in `check` (with their errors) and the report of
    `grade`."""
    spec = discovery.load(assignment).notebook(f"{notebook}.ipynb")
    folder = Path(path).parent
    for released in spec.files:            # what a student has next to the notebook
        shutil.copy(released, folder / released.name)
    checked = check_notebook(Path(path))
    failing = {t.grade_id: t.error or "" for t in checked.tests if not t.ok}
    return failing, checked.error, runner.grade_notebook(spec, Path(path))


@pytest.fixture(scope="session")
def checked_and_graded(tmp_path_factory):
    """results(declaration) -> {name: (visible cells failing, check error, report)} for every planting and wrong
    fixture of the notebook, computed once per session in parallel (LEARNATHON_TEST_JOBS processes)."""
    cache: dict = {}

    def results(declaration):
        if declaration.id not in cache:
            jobs = {}
            for mistake in plantings_of(declaration):
                if mistake not in NOT_PLANTINGS:
                    folder = tmp_path_factory.mktemp("planted")
                    jobs[mistake] = with_cells(declaration.source, planted_source(declaration, mistake),
                                               folder / declaration.source.name)
            for fixture in declaration.fixture_submissions():
                if not fixture.full_marks:
                    folder = tmp_path_factory.mktemp("fixture")
                    jobs[f"fixture:{fixture.id}"] = with_cells(declaration.source, fixture.cells,
                                                               folder / declaration.source.name)
            workers = int(os.environ.get("LEARNATHON_TEST_JOBS", min(4, os.cpu_count() or 1)))
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                futures = {name: pool.submit(_check_and_grade, declaration.assignment, declaration.notebook,
                                             str(path)) for name, path in jobs.items()}
                cache[declaration.id] = {name: future.result() for name, future in futures.items()}
        return cache[declaration.id]
    return results


def hidden_failures(report) -> dict[str, str | None]:
    return {t.name: t.cell for t in report.tests if not t.passed}


@pytest.mark.e2e
@pytest.mark.parametrize("declaration, mistake", marked(PLANTED, [f"{d.id}/{m}" for d, m in PLANTED]))
def test_planted_mistake_fails_exactly_its_step(checked_and_graded, declaration, mistake):
    """Exactly the step of the planted function fails, in check and in grade. A step that puts earlier functions
    together and cannot work with this one broken (the planting's ``also``) fails too, saying "fix ... first"."""
    failing, error, report = checked_and_graded(declaration)[mistake]
    planting = plantings_of(declaration)[mistake]
    step, also = step_of(declaration.source, planting["cell"]), set(planting.get("also", ()))
    assert error is None and report.error is None, (error, report.error)
    assert set(failing) == {step} | also, f"check fails {sorted(failing)}, expected {sorted({step} | also)}"
    assert set(hidden_failures(report).values()) == {step} | also, f"grade fails {hidden_failures(report)}"
    assert any(t.mistake == mistake for t in report.tests if not t.passed and t.cell == step), \
        f"no hidden test recognised {mistake}: {[(t.name, t.message) for t in report.tests if not t.passed]}"
    for composite in also:
        assert "first" in failing[composite], f"check's {composite}: {failing[composite]}"
        assert all("first" in t.message for t in report.tests if t.cell == composite and not t.passed)


WRONG = [(d, f) for d in DECLARING for f in d.fixture_submissions() if not f.full_marks]


@pytest.mark.e2e
@pytest.mark.parametrize("declaration, fixture", marked(WRONG, [f"{d.id}/{f.id}" for d, f in WRONG]))
def test_check_and_grade_fail_the_same_steps_for_every_wrong_fixture(checked_and_graded, declaration, fixture):
    visible, error, report = checked_and_graded(declaration)[f"fixture:{fixture.id}"]
    assert error is None, error
    near = set(plantings_of(declaration).get("near_their_mark", {}).get(fixture.id, {}).get("steps", ()))
    for step in near:      # on either side of its pass mark; if it fails, it sends the student to the cause
        assert step not in visible or "first" in visible[step], f"check's {step}: {visible[step]}"
        assert all("first" in t.message for t in report.tests if t.cell == step and not t.passed), \
            f"grade's {step}: {[t.message for t in report.tests if t.cell == step and not t.passed]}"
    failing, graded = set(visible) - near, set(hidden_failures(report).values()) - near
    blind = plantings_of(declaration).get("visible_cannot_see", {})
    if fixture.id in blind:
        assert failing < graded, f"check fails {sorted(failing)}, grade {sorted(graded)} ({blind[fixture.id]})"
    else:
        assert failing == graded, f"check fails {sorted(failing)}, grade fails {sorted(graded)}"
    assert all(any(fnmatch.fnmatch(name, pattern) for pattern, _ in fixture.must_fail)
               for name, cell in hidden_failures(report).items() if cell not in near)
