"""cs1's demonstrations show what their text says, robustly (issue 13).

Each test reruns one demonstration's experiment with the reference solution over at least ten
seeds (data, initialisation) and checks the conclusion the notebook states. Part A's experiments
are small NumPy networks and run in seconds; part B's train PyTorch networks and use small, fast
settings of the same experiment (the notebook keeps its realistic ones for teaching).
"""
from __future__ import annotations

import functools

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


def gradient_check_all_errors(seed, activations=None):
    """Every relative error the gradient-check demonstration prints (one per activation and parameter)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    params = ref_a.init_params(3, 4, n_out=2, seed=seed + 1)
    params["b1"], params["b2"] = rng.normal(size=4), rng.normal(size=2)
    table = activations or ref_a.ACTIVATIONS
    errors = []
    for activation in table:
        saved = dict(ref_a.ACTIVATIONS)
        ref_a.ACTIVATIONS.update(table)
        try:
            _, grads = ref_a.loss_and_gradients(X, y, params, activation)
            for name in params:
                numeric = ref_a.numerical_gradient(
                    lambda value, name=name: ref_a.loss_and_gradients(X, y, {**params, name: value}, activation)[0],
                    params[name])
                errors.append(ref_a.relative_error(numeric, grads[name]))
        finally:
            ref_a.ACTIVATIONS.clear()
            ref_a.ACTIVATIONS.update(saved)
    return np.array(errors)


@pytest.mark.parametrize("seed", range(20))
def test_gradient_check_demo_stays_below_the_stated_bound(seed):
    """"every relative error is below 1e-6"."""
    worst = gradient_check_errors(seed)
    assert max(worst.values()) < 1e-6, worst


def test_gradient_check_errors_lie_mostly_between_1e12_and_1e8():
    """"most of them between 1e-12 and 1e-8" (over 20 seeds, and on every seed at least half)."""
    per_seed = [gradient_check_all_errors(seed) for seed in range(20)]
    inside = [np.mean((e >= 1e-12) & (e <= 1e-8)) for e in per_seed]
    assert np.mean(np.concatenate(per_seed) <= 1e-8) > 0.75 and min(inside) >= 0.5, inside


def float32_activations():
    return {name: (lambda z, f=f: np.asarray(f(z), dtype=np.float32), lambda z, g=g: np.asarray(g(z), dtype=np.float32))
            for name, (f, g) in ref_a.ACTIVATIONS.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_check_in_float32_cannot_tell_correct_code_from_a_bug(seed):
    """"with float32 results even correct code shows a worst error of 1e-2 or more, as large as a bug's"."""
    assert gradient_check_all_errors(seed, float32_activations()).max() >= 1e-2


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
    (fast settings: 200 validation points; the demonstration's own epochs: with 1,000 the large network of one data
    set had not yet trained below the noise variance)."""
    ref_b = part_b()
    labels = lab_labels(ref_b, train_seed=100 + seed, val_seed=200 + seed, init_seed=seed, n_val=200,
                        epochs=ref_b.OVERFITTING_LAB["epochs"])
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
    for lr in (1e-4, 1e-2, 10.0):      # 10: too large on every data set (1.0 settled low on one of ten)
        torch.manual_seed(seed)
        history = ref_b.train(ref_b.build_mlp(1, 20, 2), x_tr, y_tr, x_va, y_va, epochs=300, lr=lr)
        final[lr] = float(np.mean(history["train"][-50:]))
    assert final[1e-4] > 3 * final[1e-2] and final[10.0] > final[1e-2], final
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


# --- part A's demonstration cells, run as the notebook runs them ---------------------------------------------

PART_A = discovery.load("cs1").notebook("part_a_forward_backward.ipynb").source
FIXTURES_A = discovery.load("cs1").fixture_folder("part_a_forward_backward")


def run_part_a(replacements=None):
    from cs1_cells import run_notebook

    run = run_notebook(PART_A, replacements, demos=True)
    broken = run.failed("demo") + run.failed("given") + run.failed("answer")
    assert broken == [], {g: run.cells[g].error for g in broken}
    return run


def test_gradient_check_demo_says_when_it_sees_float32():
    from autograder.admin.fabricate import read_fixture

    assert "float32" not in run_part_a().output("gradient_check_demo")
    float32 = read_fixture(FIXTURES_A / "ok_float32.py")
    assert "your functions compute in float32" in run_part_a(float32.cells).output("gradient_check_demo")


def loss_axis():
    import matplotlib.pyplot as plt

    return next(ax for number in plt.get_fignums() for ax in plt.figure(number).axes
                if ax.get_title() == "Influence of the learning rate")


@pytest.mark.parametrize("too_high", [0.48, 0.8, 2.0, 50.0])
def test_learning_rate_plot_shows_all_three_curves(too_high):
    """"the plot ends at ten times the starting loss: the diverging curve leaves it at the top, and the slow and
    the good run keep the whole height" - for any too-high rate a student may choose (0.48 crashed the plot)."""
    run_part_a({"learning_rates": f'learning_rates = {{"too low": 1e-4, "about right": 0.1, "too high": {too_high}}}'})
    check_learning_rate_plot()


@pytest.mark.parametrize("seed", SEEDS)
def test_learning_rate_plot_on_other_data(seed):
    data = (f"rng_demo = np.random.default_rng({100 + seed})\n"
            "X_demo = np.sort(rng_demo.uniform(-2.0, 2.0, size=(64, 1)), axis=0)\n"
            "y_demo = np.sin(1.5 * X_demo) + 0.1 * rng_demo.normal(size=X_demo.shape)\n"
            "N_HIDDEN, N_EPOCHS = 16, 300\n")
    run_part_a({"lr_data": data})
    check_learning_rate_plot()


def check_learning_rate_plot():
    ax = loss_axis()
    bottom, top = ax.get_ylim()
    lines = {line.get_label().split(":")[0]: np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()}
    assert set(lines) == {"too low", "about right", "too high"}
    for name in ("too low", "about right"):       # the whole curve inside the plot, using a good part of its height
        assert np.all(np.isfinite(lines[name])) and np.all((bottom <= lines[name]) & (lines[name] <= top)), name
    assert np.log(lines["too low"][-1] / lines["about right"][-1]) > 0.1 * np.log(top / bottom)
    high = lines["too high"]
    assert np.isfinite(high[0]) and not np.isfinite(high[-1]), "the diverging run starts inside and leaves at the top"
    assert np.isclose(top, 10 * high[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_dying_relu_demo_bias_movement_and_losses(seed):
    """"with ReLU ... not one of their incoming weights or biases moved, by exactly 0; with Leaky ReLU every one
    gets a gradient and learns" (their biases move); "its loss after 300 epochs ends sometimes a little below and
    sometimes above ReLU's" (checked over the seeds in the test below)."""
    X, y, params = ref_a.dying_relu_setup(data_seed=seed, init_seed=seed + 1)
    cfg = ref_a.DYING_RELU
    dead = np.all(X @ params["W1"] + params["b1"] <= 0, axis=0)
    moved = {}
    for activation in ("relu", "leaky_relu"):
        trained, _ = ref_a.train(X, y, params, cfg["lr"], cfg["n_epochs"], activation)
        moved[activation] = np.abs(trained["b1"] - params["b1"])[dead]
    assert np.all(moved["relu"] == 0.0) and np.all(moved["leaky_relu"] > 0.0)


def test_leaky_relu_alone_does_not_decide_the_loss_of_a_bad_start():
    final = []
    for seed in SEEDS:
        X, y, params = ref_a.dying_relu_setup(data_seed=seed, init_seed=seed + 1)
        cfg = ref_a.DYING_RELU
        losses = [ref_a.train(X, y, params, cfg["lr"], cfg["n_epochs"], act)[1][-1] for act in ("relu", "leaky_relu")]
        final.append(losses[1] - losses[0])
    assert min(final) < 0 < max(final), final


def test_dying_relu_demo_prints_what_the_text_reads():
    printed = run_part_a().output("dying_relu_demo")
    assert "      relu: after 300 epochs 75% dead, 75% frozen" in printed
    assert "leaky_relu: after 300 epochs" in printed and "0% frozen" in printed
    relu_line = next(line for line in printed.splitlines() if line.strip().startswith("relu:"))
    assert relu_line.endswith("moved by at most 0")


# --- part B: the sweep and the elbow (section 8, written question 1) ----------------------------------------

PART_B = discovery.load("cs1").notebook("part_b_model_complexity.ipynb").source


def test_sweep_demo_cell_is_the_reference_sweep():
    """The notebook's cell is the experiment the tests below check (grid, epochs, learning rate, fresh points)."""
    import nbformat

    ref_b = part_b()
    cfg = ref_b.SWEEP_DEMO
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(PART_B, 4).cells}
    assert (f"widths={cfg['widths']}, depths={cfg['depths']},\n                         epochs={cfg['epochs']}, "
            f"lr={cfg['lr']})") in cells["sweep_demo"]
    assert f"make_data({cfg['n_fresh']}, seed={cfg['fresh_seed']})" in cells["sweep_demo"]
    assert f"make_data({cfg['n']}, seed=0)" in cells["setup"]
    assert "split_indices(len(x_all), seed=0)" in cells["pipeline"]


def elbow_claims(table):
    """What section 8 and the rubric of written question 1 say about a sweep, checked on its table."""
    ref_b = part_b()
    smallest = min(table, key=lambda r: r["n_params"])
    past = [r for r in table if r["n_params"] >= 40]
    best = min(r["generalisation"] for r in table)
    # "the smallest network's error on new data is about twice that of the best model"
    assert 1.6 <= smallest["generalisation"] / best <= 3.0, smallest
    # "from about fifty parameters on, the errors lie close together, a little above the noise variance"
    assert ref_b.NOISE ** 2 < best <= 1.6 * ref_b.NOISE ** 2
    median_train = float(np.median([r["train_loss"] for r in past]))
    # "a large model can end above smaller ones, when 2,000 epochs do not train it well, and then its training loss
    # is high too, or when it has begun to fit the noise, and then its training loss lies clearly below its error on
    # new data"
    for r in past:
        undertrained = r["train_loss"] >= 1.3 * median_train
        fits_noise = r["train_loss"] * 1.3 <= r["generalisation"]
        assert r["generalisation"] <= 1.5 * best or undertrained or fits_noise, r


def chosen_model(table):
    width, depth = part_b().select_complexity(table)
    return next(r for r in table if (r["width"], r["depth"]) == (width, depth))


def extrapolation_claims(table):
    """Written question 3's model answer, for the model the elbow rule chooses, in every run: "inside [0, 1] the
    error against the true function is at most a few hundredths, outside it is many times larger (more than ten
    times in every run we measured)"."""
    chosen = chosen_model(table)
    # (a few thousandths for most data sets; 0.016 where the rule chooses the 16-parameter model, 2 of 10)
    assert chosen["inside"] < 0.03 and chosen["outside"] > 10 * chosen["inside"], chosen


def moves_far_less(table) -> bool:
    """"the prediction runs off as a nearly flat or slowly bending curve (in most runs it moves far less than the
    true function does there)": far less is less than half its total variation outside [0, 1]."""
    chosen = chosen_model(table)
    return chosen["moves_outside"] < 0.5 * chosen["true_moves_outside"]


@functools.cache
def sweep_demo(seed):
    return part_b().sweep_demo(seed)


@pytest.mark.e2e
@pytest.mark.parametrize("seed", SEEDS)
def test_sweep_claims_hold_for_other_data(seed):
    elbow_claims(sweep_demo(seed))
    extrapolation_claims(sweep_demo(seed))


@pytest.mark.e2e
def test_prediction_outside_moves_far_less_in_most_runs():
    """The model answer claims "in most runs", not every run: counted over ten data sets (9 of 10 when measured:
    on data set 5 the chosen model's prediction moves 3.6 where the true function moves 5.5). The notebook's own
    run (data set 0) is one of the most."""
    runs = [moves_far_less(sweep_demo(seed)) for seed in SEEDS]
    assert runs[0] and sum(runs) > len(runs) // 2, runs


@pytest.mark.e2e
def test_elbow_in_the_notebooks_own_run():
    table = sweep_demo(0)
    elbow_claims(table)
    extrapolation_claims(table)
    ref_b = part_b()
    # the rubric: "the lowest validation loss belongs to W=50, D=2, and no smaller model comes within 10 % of it"
    best = min(table, key=lambda r: r["val_loss"])
    assert (best["width"], best["depth"]) == (50, 2) == ref_b.select_complexity(table)


@pytest.mark.e2e
def test_lowest_validation_loss_past_the_elbow_is_largely_chance():
    """"which of them comes out lowest is largely chance": over ten data sets, the model with the lowest validation
    loss is the one with the lowest generalisation error in at most half of them (3 of 10 when measured)."""
    hits = 0
    for seed in SEEDS:
        table = sweep_demo(seed)
        hits += min(table, key=lambda r: r["val_loss"]) is min(table, key=lambda r: r["generalisation"])
    assert hits <= len(SEEDS) // 2


def test_extrapolation_plot_keeps_its_legend_off_the_region_outside_the_data():
    """The legend sat over the extrapolation region (issue 22): it is drawn beside the axes now."""
    import matplotlib.pyplot as plt
    import nbformat
    import torch
    from cs1_cells import run_notebook

    run = run_notebook(PART_B)
    namespace = run.namespace
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(PART_B, 4).cells}
    exec(cells["pipeline"], namespace)
    torch.manual_seed(0)
    namespace.update(chosen_model=namespace["build_mlp"](1, 5, 1), width=5, depth=1)   # any model: the layout is tested
    plt.close("all")
    exec(cells["extrapolation_demo"], namespace)
    figure = plt.gcf()
    figure.canvas.draw()
    ax = figure.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1, "the legend covers part of the plot"
