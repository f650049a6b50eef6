"""cs1 part B beyond the shared harness: the setup cell, and the hidden tests' own inputs (intended
labels, wide margins, for any seed). test_harness.py checks grading, fixtures, points and the contract."""
from __future__ import annotations

import nbformat
import numpy as np
import pytest

import solutions.cs1.model_complexity as ref
from autograder.grading import discovery

SPEC = discovery.load("cs1").notebook("part_b_model_complexity.ipynb")
SOURCE = SPEC.source


def notebook():
    return nbformat.read(SOURCE, as_version=4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def hidden(pytestconfig):
    """The hidden test module, imported for its case generators (it is not on the path).

    Its tests carry the grader's markers, which this project's strict-markers setting must know."""
    for line in ("points(n): points of a hidden test", "cell(grade_id): grade cell of a hidden test"):
        pytestconfig.addinivalue_line("markers", line)
    return SPEC.tests_module()


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


def test_first_value_and_training_curve_mistakes_are_told_apart_for_any_seed(hidden):
    """Both miss a rise from the minimum; each of the two label tests has a curve where they differ, so the
    verdict names the one the student made (issue 22: the first was named as the second)."""
    first, curve = (next(m for m in hidden.variant_labels(np.ones(3), np.ones(3), 1.0) if m.id == name)
                    for name in ("diagnose.rise_from_first_value", "diagnose.overfitting_on_training_curve"))
    for seed in SEEDS:
        clear = hidden.clear_cases(np.random.default_rng(seed))
        assert any(hidden.variant_labels(*c[:3], **c[3])[first] != hidden.variant_labels(*c[:3], **c[3])[curve]
                   for c in clear), seed


def test_borderline_curves_tell_the_first_value_from_the_minimum(hidden):
    """The borderline test's extra curve ends above its first value by more than rise_tol (0.25) for any seed."""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        target = float(rng.uniform(0.01, 0.03))
        train, val = hidden.curve_pair(rng, "overfitting", target, rise=float(rng.uniform(1.5, 1.7)),
                                       train_ratio=0.5, start=float(rng.uniform(0.02, 0.05)))
        assert val[-1] > 1.3 * val[0] and val[-1] > 1.4 * val.min() and val[-1] < 2.5 * train[-1], seed


def test_hidden_cross_validation_median_is_no_single_fold():
    """With an even number of folds the median of the scores is neither the mean nor any one fold's score."""
    for seed in SEEDS:
        scores = np.random.default_rng(seed).uniform(0.1, 1.0, size=6)
        assert not np.isclose(np.median(scores), scores).any() and not np.isclose(np.median(scores), scores.mean())


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
        # taking the most parameters among the candidates: neither the lowest validation nor training loss
        table = cases[0][1]
        best = min(r["val_loss"] for r in table)
        most = max((r for r in table if r["val_loss"] <= 1.1 * best), key=lambda r: r["n_params"])
        assert (most["width"], most["depth"]) not in {chosen[0], by_val[0], by_train[0], by_test[0]}, seed


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
