"""cs1 part B (model complexity, overfitting, extrapolation): source notebook, student version,
fixtures, hidden tests.

Grading a notebook takes seconds (a sandbox with torch), so every submission this module needs
is graded once, in parallel, by the module-scoped ``graded`` fixture; the tests then read the
reports. Set LEARNATHON_TEST_JOBS to change the number of parallel graders.
"""
from __future__ import annotations

import fnmatch
import importlib.util
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

import solutions.cs1_model_complexity as ref  # noqa: E402
from autograder import assignments, runner  # noqa: E402
from tests.support import check_expectations, fixtures, student_version, with_cells  # noqa: E402

ASSIGNMENT, PART = "cs1", "part_b_model_complexity"
SOURCE = ROOT / "assignments" / ASSIGNMENT / f"{PART}.ipynb"
HIDDEN = ROOT / "autograder" / "hidden" / ASSIGNMENT / f"test_{PART}.py"
FIXTURES = fixtures(ASSIGNMENT, PART)
MAX_SCORE = 36

# The public contract: every function a student writes, with the signature the notebook states.
CONTRACT = {
    "build_mlp": 'n_inputs, width, depth, activation="tanh", n_outputs=1',
    "count_parameters": "model",
    "expected_parameter_count": "n_inputs, width, depth, n_outputs=1",
    "split_indices": "n, fractions=(0.7, 0.15, 0.15), seed=0",
    "scale_inputs": "x, train_idx",
    "train": "model, x_train, y_train, x_val, y_val, epochs=2000, lr=0.01, batch_size=None, seed=0",
    "sweep_complexity": 'x_train, y_train, x_val, y_val, widths, depths, epochs=2000, lr=0.01, seed=0,\n'
                        '                     activation="tanh"',
    "diagnose_learning_curves": "train_losses, val_losses, target_loss, rise_tol=0.1, gap_ratio=2.0",
    "select_complexity": "table, rel_tol=0.1",
    "kfold_indices": "n, k, seed=0",
    "cross_val_score": "fit_and_score, x, y, folds",
    "extrapolation_errors": "x, y_true, y_pred, low=0.0, high=1.0",
}
WRITTEN = ("reflection_elbow", "reflection_kfold", "reflection_extrapolation")


@pytest.fixture(scope="module")
def hidden(pytestconfig):
    """The hidden test module, imported for its case generators (it is not on the path).

    Its tests carry the grader's markers, which this project's strict-markers setting must know."""
    for line in ("points(n): points of a hidden test", "cell(grade_id): grade cell of a hidden test"):
        pytestconfig.addinivalue_line("markers", line)
    spec = importlib.util.spec_from_file_location("hidden_cs1_part_b", HIDDEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- grading, once per module ---------------------------------------------------------------------

_slot = None


def _init_worker(counter) -> None:
    """Give each grading process its own sandbox slot."""
    global _slot
    with counter.get_lock():
        counter.value += 1
        _slot = counter.value + 20  # clear of part A's slots when both modules run at once


def _grade(path: str):
    spec = assignments.load(ASSIGNMENT).notebook(f"{PART}.ipynb")
    return runner.grade_notebook(spec, Path(path), slot=_slot or 0)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Reports for the source, the student version, every fixture and a repeat (for reproducibility)."""
    folder = tmp_path_factory.mktemp("cs1b")
    paths = {"source": SOURCE, "student": student_version(SOURCE, folder / f"student-{PART}.ipynb")}
    for fixture in FIXTURES:
        paths[fixture.id] = with_cells(SOURCE, fixture.cells, folder / f"{fixture.id}.ipynb")
    jobs = {**{k: str(v) for k, v in paths.items()}, "repeat": str(paths["no_zero_grad"])}
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


# --- the source scores full marks, the student version 0 -----------------------------------------

def test_source_notebook_scores_full_marks(graded):
    report = graded["source"]
    assert report.error is None, report.error
    assert report.max_score == MAX_SCORE
    assert report.score == report.max_score, failures(report)
    assert [c for c in report.cells if not c.ok] == []


def test_student_version_scores_zero_without_crashing(graded):
    report = graded["student"]
    assert report.error is None, report.error
    assert report.score == 0
    assert len(report.tests) == len(graded["source"].tests)
    for test in report.tests:
        assert not test.passed
        assert "notimplementederror" in test.message.lower(), f"{test.name}: {test.message}"


# --- fixtures --------------------------------------------------------------------------------------

def test_fixture_collection_covers_the_issue():
    wrong = [f for f in FIXTURES if not f.full_marks]
    right = [f for f in FIXTURES if f.full_marks]
    assert len(wrong) >= 8 and len(right) >= 2
    named = {f.id for f in wrong}
    for mistake in ("output_activation", "overfitting_judged_on_training_curve", "scaler_fitted_on_all_data",
                    "overlapping_folds", "test_set_used_for_selection", "no_zero_grad",
                    "validation_used_for_training", "parameter_count_without_biases", "unseeded_split"):
        assert mistake in named, f"no fixture for {mistake}"
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
    for fixture in FIXTURES:
        if fixture.full_marks:
            continue
        named = [pattern for pattern, _ in fixture.must_fail]
        unexpected = [t.name for t in graded[fixture.id].tests
                      if not t.passed and not any(fnmatch.fnmatch(t.name, p) for p in named)]
        assert unexpected == [], f"{fixture.id} also fails {unexpected}"


def test_grading_is_reproducible(graded):
    assert graded["repeat"].to_dict() == graded["no_zero_grad"].to_dict()


# --- notebook structure, points and the contract ----------------------------------------------------

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
        if nbgrader(cell).get("solution") and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if nbgrader(cell).get("grade") and cell.cell_type == "code":
            assert nbgrader(cell)["locked"] and nbgrader(cell)["points"] > 0
            assert "learnathon" not in cell.source and "solutions" not in cell.source
            assert "import" not in cell.source, "visible tests use only what the setup cell imported"


def test_written_reflections_are_manually_graded_with_a_rubric():
    """Each written answer is a manually graded markdown cell whose solution region holds the model
    answer and the rubric: nbgrader replaces the region, so students never see the rubric."""
    cells = {nbgrader(c).get("grade_id"): c for c in notebook().cells if nbgrader(c)}
    for grade_id in WRITTEN:
        answer = cells[grade_id]
        assert answer.cell_type == "markdown" and nbgrader(answer)["solution"] and nbgrader(answer)["grade"]
        assert nbgrader(answer)["points"] > 0 and not nbgrader(answer)["locked"]
        assert answer.source.startswith("### BEGIN SOLUTION") and answer.source.endswith("### END SOLUTION")
        assert "Model answer" in answer.source and "Rubric" in answer.source and "point" in answer.source
        assert f"rubric_{grade_id}" not in cells, "a separate rubric cell is released to students"


def test_demonstrations_are_skipped_when_grading():
    """Every given cell that trains for real is tagged, so that grading stays fast."""
    trains = ("train(", "sweep_complexity(", "cross_val_score(")
    demos = [c for c in notebook().cells if c.cell_type == "code" and nbgrader(c).get("locked")
             and not nbgrader(c).get("grade") and not c.source.startswith("def ")]
    assert any(any(t in c.source for t in trains) for c in demos)
    for cell in demos:
        if any(t in cell.source for t in trains):
            assert "learnathon:skip-when-grading" in cell.metadata.get("tags", []), cell.source[:80]


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
    assert "### BEGIN SOLUTION" not in text and "Model answer" not in text
    for name, arguments in CONTRACT.items():
        assert f"def {name}({arguments}):" in text, f"the student version does not show def {name}({arguments})"
        stated: dict = {}
        exec(f"def {name}({arguments}): pass", stated)
        assert inspect.signature(stated[name]) == inspect.signature(getattr(ref, name)), \
            f"{name}: notebook and reference solution disagree"


def test_setup_cell_matches_the_reference():
    """The read-only setup builds the lecture's data exactly as the reference does."""
    cells = {nbgrader(c).get("grade_id"): c.source for c in notebook().cells}
    namespace: dict = {}
    exec(cells["setup"], namespace)
    x, y = ref.make_data(200, seed=0)
    assert np.array_equal(namespace["x_all"], x) and np.array_equal(namespace["y_all"], y)
    grid = np.linspace(-1, 2, 50)
    assert np.array_equal(namespace["true_function"](grid), ref.true_function(grid))
    assert namespace["NOISE"] == ref.NOISE


# --- the hidden tests' own inputs: intended, with margins, for any seed ------------------------------

SEEDS = range(40)


def test_hidden_curves_have_the_intended_labels_for_any_seed(hidden):
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for train, val, target, kwargs, label in hidden.clear_cases(rng):
            assert ref.diagnose_learning_curves(train, val, target, **kwargs)[0] == label, (seed, label)
            assert train[-1] < train[0] and np.all(np.diff(train) <= 0)   # training always falls
            if label == "overfitting" and val[-1] <= 1.1 * val.min():
                assert val[-1] > 2.0 * train[-1] * 1.4                     # a gap with margin
            if label != "overfitting":
                assert val[-1] < 1.5 * train[-1] * 1.01 and val[-1] == val.min()


def test_training_curve_mistake_is_visible_in_the_clear_cases(hidden):
    """The fixture 'overfitting judged on the training curve' must lose points for any seed."""
    message = next(m for m in hidden.variant_labels(np.ones(3), np.ones(3), 1.0) if "validation loss" in m)
    order = next(m for m in hidden.variant_labels(np.ones(3), np.ones(3), 1.0) if "order" in m)
    for seed in SEEDS:
        cases = hidden.clear_cases(np.random.default_rng(seed))
        for mistake in (message, order):
            assert any(hidden.variant_labels(*c[:3])[mistake] != c[-1] for c in cases), (seed, mistake)


def test_hidden_selection_tables_separate_every_mistake(hidden):
    for seed in SEEDS:
        cases = hidden.selection_cases(np.random.default_rng(seed))
        for _, table, rel_tol in cases:
            tol = 0.1 if rel_tol is None else rel_tol
            best = min(r["val_loss"] for r in table)
            margins = [abs(r["val_loss"] / best - (1 + tol)) for r in table if r["val_loss"] != best]
            assert min(margins) > 0.005, seed   # nobody sits on the tolerance boundary
        chosen = [ref.select_complexity(t, 0.1 if r is None else r) for _, t, r in cases]
        by_test = [hidden.argmin(t, "test_loss") for _, t, _ in cases]
        by_train = [hidden.argmin(t, "train_loss") for _, t, _ in cases]
        by_val = [hidden.argmin(t, "val_loss") for _, t, _ in cases]
        assert all(c != x for c, x in zip(chosen, by_test)) and any(c != x for c, x in zip(chosen, by_train))
        assert chosen[0] != by_val[0] and chosen[2] != hidden.chosen_by(cases[2][1], "val_loss", 0.1)


def test_hidden_training_problems_leave_wide_margins(hidden):
    """For any seed: the reference training halves the loss by far, its last step still changes the loss
    (so a history recorded before the update is caught), and the Adam replay equals the reference."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # tiny tensors: extra threads only contend with the graders
    try:
        check_training_margins(hidden)
    finally:
        torch.set_num_threads(threads)


def check_training_margins(hidden):
    for seed in range(15):
        rng = np.random.default_rng(seed)
        x_tr, y_tr, x_va, y_va = hidden.training_problem(rng, 24, 10)
        weights, biases = hidden.known_weights(rng, [1, 6, 6, 1], scale=1.5)
        model = hidden.reference_model(weights, biases)
        history = ref.train(model, x_tr, y_tr, x_va, y_va, epochs=30, lr=0.02)
        before = hidden.mse_numpy(weights, biases, x_tr, y_tr)
        assert history["train"][-1] < 0.3 * before, seed
        short = ref.train(hidden.reference_model(weights, biases), x_tr, y_tr, x_va, y_va, epochs=8, lr=0.02)
        assert abs(short["train"][-1] / short["train"][-2] - 1) > 1e-3, seed   # 10x the test's rtol
        replayed, replay_history = hidden.replay(weights, biases, [[np.arange(24)]] * 30, x_tr, y_tr, x_va, y_va, 0.02)
        trained = [p.detach().numpy().astype(float) for p in model.parameters()]
        assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(trained, replayed)), seed
        assert np.allclose(replay_history["val"], history["val"], rtol=1e-5)
        for variant in ({"optimizer": "sgd"}, {"zero_grad": False}):
            other, _ = hidden.replay(weights, biases, [[np.arange(24)]] * 30, x_tr, y_tr, x_va, y_va, 0.02, **variant)
            assert not hidden.same_weights(other, replayed), (seed, variant)


# --- the notebook runs as an ordinary Jupyter notebook ---------------------------------------------

@pytest.mark.e2e
def test_notebook_runs_top_to_bottom_in_jupyter(tmp_path):
    from nbclient import NotebookClient

    nb = notebook()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    visible_tests = [c for c in nb.cells if nbgrader(c).get("grade") and c.cell_type == "code"]
    assert printed.count("visible tests passed") == len(visible_tests)
    assert "chosen: W=" in printed and "5-fold CV MSE" in printed and "outside" in printed
    images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {}))
    assert images >= 6, "the lecture's plots: data, learning rates/batches, sweep, curves, fits, extrapolation"
