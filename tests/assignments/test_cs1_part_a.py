"""cs1 part A (neural networks from scratch): source notebook, student version, fixtures, hidden tests.

Grading a notebook takes seconds (a sandbox with torch), so every submission this module needs
is graded once, in parallel, by the module-scoped ``graded`` fixture; the tests then read the
reports. Set LEARNATHON_TEST_JOBS to change the number of parallel graders.
"""
from __future__ import annotations

import inspect
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests` is not a package on the path when pytest imports this file
    sys.path.insert(0, str(ROOT))

import solutions.cs1_forward_backward as ref  # noqa: E402
from autograder import assignments, runner  # noqa: E402
from tests.support import check_expectations, fixtures, student_version, with_cells  # noqa: E402

ASSIGNMENT, PART = "cs1", "part_a_forward_backward"
SOURCE = ROOT / "assignments" / ASSIGNMENT / f"{PART}.ipynb"
FIXTURES = fixtures(ASSIGNMENT, PART)

# The public contract: every function a student writes, with the signature the notebook states.
CONTRACT = {
    "relu": "z", "relu_grad": "z", "leaky_relu": "z, alpha=0.01", "leaky_relu_grad": "z, alpha=0.01",
    "sigmoid": "z", "sigmoid_grad": "z", "tanh": "z", "tanh_grad": "z", "softmax": "z",
    "forward": 'X, params, activation="relu"', "mse_loss": "y_hat, y", "mse_loss_grad": "y_hat, y",
    "backward": 'dy_hat, cache, params, activation="relu"', "numerical_gradient": "f, x, h=1e-5",
    "relative_error": "a, b", "torch_gradients": 'X, y, params, activation="relu"',
    "sgd_step": "params, grads, lr", "classify_loss_curve": "losses", "worked_example": "X, params",
}
VARIABLES = ("z1", "z2", "z3", "y_hat_relu_output", "learning_rates")  # read by the hidden tests


# --- grading, once per module ---------------------------------------------------------------------

_slot = None


def _init_worker(counter) -> None:
    """Give each grading process its own sandbox slot."""
    global _slot
    with counter.get_lock():
        counter.value += 1
        _slot = counter.value


def _grade(path: str):
    spec = assignments.load(ASSIGNMENT).notebook(f"{PART}.ipynb")
    return runner.grade_notebook(spec, Path(path), slot=_slot or 0)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Reports for the source, the student version, every fixture and a repeat (for reproducibility)."""
    folder = tmp_path_factory.mktemp("cs1a")
    paths = {"source": SOURCE,
             "student": student_version(SOURCE, folder / f"student-{PART}.ipynb")}
    for fixture in FIXTURES:
        paths[fixture.id] = with_cells(SOURCE, fixture.cells, folder / f"{fixture.id}.ipynb")
    repeat = next(f.id for f in FIXTURES if f.id == "classify_ignores_nan")
    jobs = {**{k: str(v) for k, v in paths.items()}, "repeat": str(paths[repeat])}
    workers = int(os.environ.get("LEARNATHON_TEST_JOBS", min(4, os.cpu_count() or 1)))
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(counter,)) as pool:
        futures = {name: pool.submit(_grade, path) for name, path in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def notebook():
    return nbformat.read(SOURCE, as_version=4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def failures(report) -> list[str]:
    return [f"{t.name}: {t.message}" for t in report.tests if not t.passed]


# --- (a), (b): the source scores full marks, the student version 0 --------------------------------

def test_source_notebook_scores_full_marks(graded):
    report = graded["source"]
    assert report.error is None, report.error
    assert report.max_score == 29
    assert report.score == report.max_score, failures(report)
    assert [c for c in report.cells if not c.ok] == []


def test_student_version_scores_zero_without_crashing(graded):
    report = graded["student"]
    assert report.error is None, report.error
    assert report.score == 0
    assert len(report.tests) == len(graded["source"].tests)
    for test in report.tests:
        assert not test.passed
        assert "notimplementederror" in test.message.lower() or "not implemented" in test.message.lower(), \
            f"{test.name}: {test.message}"


# --- (c): fixtures -------------------------------------------------------------------------------------

def test_fixture_collection_covers_the_issue():
    wrong = [f for f in FIXTURES if not f.full_marks]
    right = [f for f in FIXTURES if f.full_marks]
    assert len(wrong) >= 12 and len(right) >= 4
    for fixture in wrong:
        assert fixture.must_pass, f"{fixture.id}: say which other tests keep their points (expect-pass)"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture_behaves_as_expected(graded, fixture):
    report = graded[fixture.id]
    assert report.error is None, report.error
    assert check_expectations(fixture, report) == []
    if not fixture.full_marks:
        assert report.score < report.max_score
    for test in report.tests:  # a hidden test that breaks on odd input is a grader bug, not a mistake
        assert "grader could not check" not in test.message, f"{test.name}: {test.message}"


def test_wrong_fixtures_fail_only_where_expected(graded):
    """One mistake costs points in the tests its fixture names, nowhere else."""
    import fnmatch

    for fixture in FIXTURES:
        if fixture.full_marks:
            continue
        named = [pattern for pattern, _ in fixture.must_fail]
        unexpected = [t.name for t in graded[fixture.id].tests
                      if not t.passed and not any(fnmatch.fnmatch(t.name, p) for p in named)]
        assert unexpected == [], f"{fixture.id} also fails {unexpected}"


# --- (d): notebook structure, points and the contract -------------------------------------------------

def test_notebook_is_clean_nbgrader_source():
    nb = notebook()
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [nbgrader(c).get("grade_id") for c in nb.cells if nbgrader(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit the notebook without outputs"
        if nbgrader(cell):
            assert nbgrader(cell)["schema_version"] == 3
        if nbgrader(cell).get("solution"):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if nbgrader(cell).get("grade"):
            assert nbgrader(cell)["locked"] and nbgrader(cell)["points"] > 0
            assert "learnathon" not in cell.source and "solutions" not in cell.source


def test_visible_points_equal_hidden_points(graded):
    visible = {nbgrader(c)["grade_id"]: nbgrader(c)["points"] for c in notebook().cells
               if nbgrader(c).get("grade") and not nbgrader(c).get("solution")}
    hidden: dict[str, float] = {}
    for test in graded["source"].tests:
        assert test.cell in visible, f"{test.name} is marked for cell {test.cell!r}, which the notebook lacks"
        hidden[test.cell] = hidden.get(test.cell, 0) + test.max_points
    assert hidden == visible


def test_student_version_states_every_signature(tmp_path):
    text = "\n".join(c.source for c in nbformat.read(student_version(SOURCE, tmp_path / "s.ipynb"), 4).cells)
    assert "### BEGIN SOLUTION" not in text
    for name, arguments in CONTRACT.items():
        assert f"def {name}({arguments}):" in text, f"the student version does not show def {name}({arguments})"
        stated: dict = {}
        exec(f"def {name}({arguments}): pass", stated)
        assert inspect.signature(stated[name]) == inspect.signature(getattr(ref, name)), \
            f"{name}: notebook and reference solution disagree"
    for variable in VARIABLES:
        assert f"{variable} =" in text


def test_given_cells_match_the_reference():
    """The read-only data cells build exactly what the hidden tests compare against."""
    cells = {nbgrader(c).get("grade_id"): c.source for c in notebook().cells}
    namespace = {"np": np}
    exec(cells["lecture_setup"], namespace)
    exec(cells["lr_data"], namespace)
    X, params = ref.lecture_example()
    assert np.array_equal(namespace["X_example"], X)
    assert all(np.array_equal(namespace["params_example"][k], params[k]) for k in params)
    X_demo, y_demo = ref.lr_experiment_data()
    assert np.array_equal(namespace["X_demo"], X_demo) and np.array_equal(namespace["y_demo"], y_demo)
    assert (namespace["N_HIDDEN"], namespace["N_EPOCHS"]) == (ref.LR_EXPERIMENT["n_hidden"],
                                                             ref.LR_EXPERIMENT["n_epochs"])


def test_lecture_example_reproduces_the_lecture_numbers():
    X, params = ref.lecture_example()
    y_hat, cache = ref.forward(X, params)
    assert cache["Z1"].tolist() == [[1.0, 43.0]] and y_hat.tolist() == [[-50.0]]
    assert ref.relu(y_hat).tolist() == [[0.0]]


def test_reference_learning_rates_fall_in_the_three_regimes():
    labels = {lr: ref.classify_loss_curve(ref.lr_experiment_losses(lr)) for lr in (1e-4, 0.1, 0.8)}
    assert labels == {1e-4: "converging slowly", 0.1: "converging", 0.8: "diverging"}
    assert ref.lr_experiment_losses(0.1)[-1] < ref.LR_EXPERIMENT["about_right_max_loss"]


# --- (f): reproducible grading ---------------------------------------------------------------------

def test_grading_is_reproducible(graded):
    assert graded["repeat"].to_dict() == graded["classify_ignores_nan"].to_dict()
    assert 0 < graded["repeat"].score < graded["repeat"].max_score  # partial credit, random curves


# --- (e): the notebook runs as an ordinary Jupyter notebook ---------------------------------------------

@pytest.mark.e2e
def test_notebook_runs_top_to_bottom_in_jupyter(tmp_path):
    from nbclient import NotebookClient

    nb = notebook()
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    visible_tests = [c for c in nb.cells if nbgrader(c).get("grade")]
    assert printed.count("visible tests passed") == len(visible_tests)
    assert "Z1 = [[ 1. 43.]]" in printed and "(diverging)" in printed
