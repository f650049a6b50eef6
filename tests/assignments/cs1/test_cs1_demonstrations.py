"""cs1's demonstrations show what their text says, robustly (issue 13).

Each test reruns one demonstration's experiment with the reference solution over at least ten
seeds (data, initialisation) and checks the conclusion the notebook states. Part A's experiments
are small NumPy networks and run in seconds; part B's train PyTorch networks and use small, fast
settings of the same experiment (the notebook keeps its realistic ones for teaching).
"""
from __future__ import annotations

import numpy as np
import pytest

import solutions.cs1.forward_backward as ref_a
from autograder.grading import discovery

SEEDS = range(10)


# --- part A -------------------------------------------------------------------------------------------

def gradient_check_errors(seed):
    """The gradient-check demonstration's worst relative error, for every activation."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    params = ref_a.init_params(3, 4, n_out=2, seed=seed + 1)
    params["b1"], params["b2"] = rng.normal(size=4), rng.normal(size=2)
    worst = {}
    for activation in ref_a.ACTIVATIONS:
        _, grads = ref_a.loss_and_gradients(X, y, params, activation)
        worst[activation] = max(
            ref_a.relative_error(ref_a.numerical_gradient(
                lambda value, name=name: ref_a.loss_and_gradients(X, y, {**params, name: value}, activation)[0],
                params[name]), grads[name])
            for name in params)
    return worst


@pytest.mark.parametrize("seed", range(20))
def test_gradient_check_demo_stays_below_the_stated_bound(seed):
    """"every relative error is below 1e-6, most around 1e-8"."""
    worst = gradient_check_errors(seed)
    assert max(worst.values()) < 1e-6, worst


def test_gradient_check_demo_separates_a_bug():
    """"a bug gives 1e-2 or more": a backward without the activation's derivative, for every seed."""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
        params = ref_a.init_params(3, 4, n_out=2, seed=seed + 1)
        y_hat, cache = ref_a.forward(X, params, "tanh")
        buggy = {**cache, "Z1": np.zeros_like(cache["Z1"])}      # f'(0) = 1: the derivative is ignored
        wrong = ref_a.backward(ref_a.mse_loss_grad(y_hat, y), buggy, params, "tanh")["W1"]
        numeric = ref_a.numerical_gradient(
            lambda value: ref_a.loss_and_gradients(X, y, {**params, "W1": value}, "tanh")[0], params["W1"])
        assert ref_a.relative_error(numeric, wrong) > 1e-2, seed


def learning_rate_runs(seed):
    rng = np.random.default_rng(100 + seed)
    X = np.sort(rng.uniform(-2.0, 2.0, size=(64, 1)), axis=0)
    y = np.sin(1.5 * X) + 0.1 * rng.normal(size=X.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        return {lr: ref_a.train(X, y, ref_a.init_params(1, 16, seed=seed + 1), lr, 300)[1] for lr in (1e-4, 0.1, 0.8)}


@pytest.mark.parametrize("seed", SEEDS)
def test_learning_rate_demo_order_holds_on_other_data(seed):
    """"a too-high rate diverges, and a too-low one ends far above the right one" (the reference's three
    rates, on data and starts other than the notebook's)."""
    runs = learning_rate_runs(seed)
    assert ref_a.classify_loss_curve(runs[0.8]) == "diverging"
    assert np.isfinite(runs[0.1][-1]) and runs[0.1][-1] < runs[0.1][0] / 5
    assert runs[1e-4][-1] > 1.5 * runs[0.1][-1]


def test_learning_rate_demo_labels_on_the_notebooks_data():
    """On the notebook's own data and start, the reference rates get exactly the three labels the text names."""
    labels = {lr: ref_a.classify_loss_curve(ref_a.lr_experiment_losses(lr)) for lr in (1e-4, 0.1, 0.8)}
    assert labels == {1e-4: "converging slowly", 0.1: "converging", 0.8: "diverging"}


@pytest.mark.parametrize("seed", [None, *SEEDS])
def test_dying_relu_demo(seed):
    """"with ReLU the neurons that start dead are exactly the frozen ones, and they stay dead; training can
    even kill more. With Leaky ReLU no neuron is frozen" (None: the notebook's own setting)."""
    X, y, params = (ref_a.dying_relu_setup() if seed is None
                    else ref_a.dying_relu_setup(data_seed=seed, init_seed=seed + 1))
    cfg = ref_a.DYING_RELU
    dead_at_start = ref_a.dead_unit_fraction(X, params)
    assert dead_at_start >= 0.5, "the bad initialisation kills most neurons"
    dead, frozen = ref_a.train_and_measure(X, y, params, cfg["lr"], cfg["n_epochs"], "relu")
    assert frozen == dead_at_start and dead >= dead_at_start
    _, frozen_leaky = ref_a.train_and_measure(X, y, params, cfg["lr"], cfg["n_epochs"], "leaky_relu")
    assert frozen_leaky == 0.0
    healthy = ref_a.init_params(1, cfg["n_hidden"], seed=cfg["init_seed"] if seed is None else seed + 1)
    assert ref_a.dead_unit_fraction(X, healthy) < dead_at_start


# --- part B ---------------------------------------------------------------------------------------------

def part_b():
    import torch

    import solutions.cs1.model_complexity as ref_b

    torch.set_num_threads(1)      # tiny networks: one thread is fastest and reproducible
    return ref_b


def test_overfitting_demo_cell_builds_the_reference_lab():
    """The notebook's cell is the experiment the tests below check (same sizes, seeds, models, epochs)."""
    import nbformat

    ref_b = part_b()
    lab = ref_b.OVERFITTING_LAB
    nb = nbformat.read(discovery.load("cs1").notebook("part_b_model_complexity.ipynb").source, as_version=4)
    cell = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "diagnose_demo")
    for text in (f"make_data({lab['n_train']}, "
                 f"seed={lab['train_seed']})", f"make_data({lab['n_val']}, seed={lab['val_seed']})",
                 f"[{lab['small']}, {lab['large']}]", f"torch.manual_seed({lab['init_seed']})",
                 f"epochs={lab['epochs']}, lr={lab['lr']}"):
        assert text in cell, text


def lab_labels(ref_b, **settings):
    lab = ref_b.OVERFITTING_LAB
    labels = {}
    for name in ("small", "large"):
        history = ref_b.overfitting_lab(*lab[name], **settings)
        labels[name] = ref_b.diagnose_learning_curves(history["train"], history["val"], 1.5 * ref_b.NOISE ** 2)[0]
        if name == "large":   # "its training loss falls below the noise variance while its validation loss stays
            # far above it": training below the noise, validation above it and more than twice the training loss
            assert history["train"][-1] < ref_b.NOISE ** 2 < history["val"][-1]
            assert history["val"][-1] > 2 * history["train"][-1]
    return labels


@pytest.mark.e2e
def test_overfitting_demo_in_the_notebooks_setting():
    ref_b = part_b()
    lab = ref_b.OVERFITTING_LAB
    labels = lab_labels(ref_b, train_seed=lab["train_seed"], val_seed=lab["val_seed"], init_seed=lab["init_seed"],
                        n_train=lab["n_train"], n_val=lab["n_val"], epochs=lab["epochs"], lr=lab["lr"])
    assert labels == {"small": "underfitting", "large": "overfitting"}


@pytest.mark.e2e
@pytest.mark.parametrize("seed", SEEDS)
def test_overfitting_demo_holds_for_other_data(seed):
    """"A tiny network underfits, a large one overfits", for other training sets, validation sets and starts
    (fast settings: 200 validation points, 1,000 epochs)."""
    ref_b = part_b()
    labels = lab_labels(ref_b, train_seed=100 + seed, val_seed=200 + seed, init_seed=seed, n_val=200, epochs=1000)
    assert labels == {"small": "underfitting", "large": "overfitting"}


def small_problem(ref_b, seed, n=100):
    x, y = ref_b.make_data(n, seed=seed)
    train_idx, val_idx, _ = ref_b.split_indices(n, seed=seed)
    x_scaled, scaler = ref_b.scale_inputs(x, train_idx)
    return x_scaled[train_idx], y[train_idx], x_scaled[val_idx], y[val_idx], scaler


@pytest.mark.e2e
@pytest.mark.parametrize("seed", SEEDS)
def test_learning_rate_and_batch_demo(seed):
    """"a too small learning rate is still far above the others; a too large one does not settle at a low
    loss either"; mini-batches: "more, noisier steps per epoch" (fast settings: W=20, D=2, 70 points)."""
    import torch

    ref_b = part_b()
    x_tr, y_tr, x_va, y_va, _ = small_problem(ref_b, seed)
    final = {}
    for lr in (1e-4, 1e-2, 1.0):
        torch.manual_seed(seed)
        history = ref_b.train(ref_b.build_mlp(1, 20, 2), x_tr, y_tr, x_va, y_va, epochs=300, lr=lr)
        final[lr] = float(np.mean(history["train"][-50:]))
    assert final[1e-4] > 3 * final[1e-2] and final[1.0] > final[1e-2], final
    curves = {}
    for batch_size in (None, 16):
        torch.manual_seed(seed)
        curves[batch_size] = np.array(ref_b.train(ref_b.build_mlp(1, 20, 2), x_tr, y_tr, x_va, y_va, epochs=100,
                                                  lr=0.01, batch_size=batch_size)["train"])
    assert curves[16][-1] < curves[None][-1]                                        # more steps, further
    assert np.sum(np.diff(curves[16]) > 0) > np.sum(np.diff(curves[None]) > 0)      # noisier


@pytest.mark.e2e
@pytest.mark.parametrize("seed", SEEDS)
def test_extrapolation_demo(seed):
    """"Inside the training range the model interpolates; outside it guesses": the error outside [0, 1] is
    many times the error inside (fast settings: W=20, D=2, 1,000 epochs)."""
    import torch

    ref_b = part_b()
    x_tr, y_tr, x_va, y_va, scaler = small_problem(ref_b, seed)
    torch.manual_seed(seed)
    model = ref_b.build_mlp(1, 20, 2)
    ref_b.train(model, x_tr, y_tr, x_va, y_va, epochs=1000, lr=0.01)
    x_wide = np.linspace(-0.5, 1.5, 801).reshape(-1, 1)
    errors = ref_b.extrapolation_errors(x_wide, ref_b.true_function(x_wide), ref_b.predict(model,
                                                                                           scaler.transform(x_wide)))
    assert errors["outside"] > 10 * errors["inside"], errors
