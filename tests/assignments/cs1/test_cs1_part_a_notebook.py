"""cs1 part A beyond the shared harness: the given cells and the lecture's numbers (test_harness.py
checks grading, fixtures, points and the contract from harness.toml)."""
from __future__ import annotations

import numpy as np
import pytest

import solutions.cs1.forward_backward as ref
from autograder.grading import discovery

SOURCE = discovery.load("cs1").notebook("part_a_forward_backward.ipynb").source


def given_cells() -> dict[str, str]:
    import nbformat

    return {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(SOURCE, 4).cells}


def test_given_cells_match_the_reference():
    """The read-only data cells build exactly what the hidden tests compare against."""
    cells = given_cells()
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
    exec(cells["chain_rule_setup"], namespace)
    assert namespace["y_example"].shape == (1, 1)
    exec(cells["loss_and_gradients"], namespace)          # init_params, used by the dying-ReLU setup
    exec(cells["dying_setup"], namespace)
    X_dying, y_dying, params_dying = ref.dying_relu_setup()
    assert np.array_equal(namespace["X_dying"], X_dying) and np.array_equal(namespace["y_dying"], y_dying)
    assert all(np.array_equal(namespace["params_dying"][k], params_dying[k]) for k in params_dying)
    assert (namespace["LR_DYING"], namespace["EPOCHS_DYING"]) == (ref.DYING_RELU["lr"], ref.DYING_RELU["n_epochs"])


def test_lecture_example_reproduces_the_lecture_numbers():
    X, params = ref.lecture_example()
    y_hat, cache = ref.forward(X, params)
    assert cache["Z1"].tolist() == [[1.0, 43.0]] and y_hat.tolist() == [[-50.0]]
    assert ref.relu(y_hat).tolist() == [[0.0]]


def test_reference_learning_rates_fall_in_the_three_regimes():
    labels = {lr: ref.classify_loss_curve(ref.lr_experiment_losses(lr)) for lr in (1e-4, 0.1, 0.8)}
    assert labels == {1e-4: "converging slowly", 0.1: "converging", 0.8: "diverging"}
    assert ref.lr_experiment_losses(0.1)[-1] < ref.LR_EXPERIMENT["about_right_max_loss"]


# --- the hidden tests' own inputs: every index and sign matters, for any seed ---------------------------

SPEC = discovery.load("cs1").notebook("part_a_forward_backward.ipynb")


@pytest.fixture(scope="module")
def hidden(pytestconfig):
    """The hidden test module, imported for its case generators (it is not on the path)."""
    for line in ("points(n): points of a hidden test", "cell(grade_id): grade cell of a hidden test"):
        pytestconfig.addinivalue_line("markers", line)
    return SPEC.tests_module()


def test_hidden_worked_examples_tell_every_slip_apart(hidden):
    """The hidden examples have two different, non-zero biases (the slide's are equal, so b1[1] for neuron 1 kept
    full marks), and every named slip is clearly off the right number on at least one of the examples the test
    uses (the slide's, one with a positive and one with a negative output), for any seed."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        examples = [ref.lecture_example()] + [hidden.other_example(rng, output_positive=p) for p in (True, False)]
        assert all(b1[0] != b1[1] and np.all(b1 != 0) for b1 in (P["b1"] for _, P in examples[1:])), seed
        off: dict[str, float] = {}
        for X, params in examples:
            expected = ref.worked_example(X, params)
            for name, slips in hidden.example_mistakes(X, params).items():
                for mistake, value in slips.items():
                    off[mistake.id] = max(off.get(mistake.id, 0.0), abs(value - expected[name]))
        assert {m for m, d in off.items() if d <= 0.5} == set(), seed
