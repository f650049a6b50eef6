"""cs1's visible tests keep the contract the hidden grader keeps (issues 22 and 27).

- One planted mistake fails exactly the visible cell of the function it is in: every named mistake of
  the catalogue (mistakes.toml), planted in the source notebook (planted_mistakes.py), fails ``test_<cell>``
  and no other visible test; an experiment that needs an earlier function says "fix ... first" instead of
  failing.
- Visible tests are no stricter than the text: every correct fixture (returns as lists, torch tensors,
  0-d tensors, float32, other loops and libraries) passes every visible test, and part A's
  demonstrations run on it without an error.
- A wrong fixture fails visible cells only where it changed something.
The notebooks run in this process (cs1_cells.py); the e2e test grades the planted mistakes with the hidden
tests and checks that each is recognised by its name in the test cell it belongs to.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cs1_cells import run_notebook
from planted_mistakes import PLANTED, cell_of

from autograder.admin.fabricate import read_fixture
from autograder.grading import discovery

CS1 = discovery.load("cs1")
FIXTURES = discovery.load("cs1").hidden_dir / "fixtures"   # NOTEBOOK/KIND.py
CASES = [(notebook, mistake) for notebook, plants in PLANTED.items() for mistake in plants]


def source(notebook: str):
    return CS1.notebook(f"{notebook}.ipynb").source


def catalogue() -> set[str]:
    return set(tomllib.loads((CS1.notebook("part_a_forward_backward.ipynb").tests.parent
                              / "mistakes.toml").read_text())["mistakes"])


def test_every_named_mistake_is_planted():
    planted = {mistake for plants in PLANTED.values() for mistake in plants}
    assert catalogue() - planted == set(), "plant these in planted_mistakes.py"
    assert planted - catalogue() == set(), "not in mistakes.toml"


@pytest.mark.parametrize("notebook", sorted(PLANTED))
def test_the_solution_passes_every_visible_test(notebook):
    run = run_notebook(source(notebook))
    assert run.failed() == [], {g: run.cells[g].error for g in run.failed()}
    assert run.failed("answer") == [] and run.failed("given") == []


@pytest.mark.parametrize("notebook, mistake", CASES, ids=[f"{n[:6]}-{m}" for n, m in CASES])
def test_a_planted_mistake_fails_exactly_its_own_visible_cell(notebook, mistake):
    plants = PLANTED[notebook][mistake]
    run = run_notebook(source(notebook), plants=plants, resume=True)
    expected = f"test_{cell_of(plants)}"
    assert run.failed() == [expected], {g: run.cells[g].error for g in run.failed()}


def fixtures(notebook: str, *, correct: bool):
    found = [read_fixture(path) for path in sorted((FIXTURES / notebook).glob("*.py"))]
    return [f for f in found if f.full_marks == correct]


CORRECT = [(n, f) for n in PLANTED for f in fixtures(n, correct=True)]
WRONG = [(n, f) for n in PLANTED for f in fixtures(n, correct=False)]


@pytest.mark.parametrize("notebook, fixture", CORRECT, ids=[f.id for _, f in CORRECT])
def test_a_correct_variant_passes_every_visible_test(notebook, fixture):
    """The text allows it, so the visible tests do (and part A's demonstrations run on it)."""
    demos = notebook == "part_a_forward_backward"
    run = run_notebook(source(notebook), fixture.cells, demos=demos)
    broken = run.failed() + run.failed("demo")
    assert broken == [], {g: run.cells[g].error for g in broken}
    waiting = [g for g, c in run.cells.items()
               if "first" in c.output and ("fix" in c.output or "not checked" in c.output)]
    assert waiting == [], "a correct variant is told to fix something first"


@pytest.mark.parametrize("notebook, fixture", WRONG, ids=[f.id for _, f in WRONG])
def test_a_wrong_variant_fails_only_the_visible_cells_of_what_it_changed(notebook, fixture):
    run = run_notebook(source(notebook), fixture.cells)
    own = {f"test_{cell}" for cell in fixture.cells}
    assert set(run.failed()) <= own, {g: run.cells[g].error for g in run.failed()}


# --- the hidden grader names every planted mistake, in the test cell it belongs to ---------------------------

def _grade_planted(notebook: str, mistake: str, folder: str):
    from cs1_cells import code_cells

    from autograder.admin.fabricate import with_cells
    from autograder.grading import runner

    spec = CS1.notebook(f"{notebook}.ipynb")
    plants = PLANTED[notebook][mistake]
    cell = cell_of(plants)
    text = next(c.source for c in code_cells(spec.source) if c.metadata.get("nbgrader", {}).get("grade_id") == cell)
    for plant in plants:
        text = plant.apply(text)
    path = with_cells(spec.source, {cell: text}, Path(folder) / f"{notebook}-{mistake}.ipynb")
    report = runner.grade_notebook(spec, path)
    return [(t.name, t.cell, t.passed, t.mistake) for t in report.tests]


# Slips that give the same number on the lecture's network (both hidden neurons active: w5 * ReLU'(z1) equals
# w5 * ReLU'(z2)), the grader's first case: it names them together, with one message that states both fixes.
NAMED_TOGETHER = {"chain_rule.w5_instead_of_w4": "chain_rule.wrong_weights",
                  "chain_rule.derivative_of_w12": "chain_rule.wrong_weights"}


@pytest.mark.e2e
def test_the_hidden_grader_names_every_planted_mistake_in_its_own_cell(tmp_path):
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = int(os.environ.get("LEARNATHON_TEST_JOBS", min(4, os.cpu_count() or 1)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        graded = {case: pool.submit(_grade_planted, *case, str(tmp_path)) for case in CASES}
        results = {case: future.result() for case, future in graded.items()}
    unnamed = {}
    for (notebook, mistake), tests in results.items():
        own = f"test_{cell_of(PLANTED[notebook][mistake])}"
        name = NAMED_TOGETHER.get(mistake, mistake)
        if not any(cell == own and not passed and named == name for _, cell, passed, named in tests):
            unnamed[mistake] = [(name, named) for name, cell, passed, named in tests if not passed]
    assert unnamed == {}, unnamed
