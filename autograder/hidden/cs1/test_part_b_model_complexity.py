"""Hidden tests for cs1 part B: model complexity, overfitting and extrapolation (PyTorch).

Every test calls the student's functions on its own random inputs (``rng``) and compares with the
reference solution in the trusted process. Independence and speed:

- Training is checked on a model the grader builds inside the sandbox (probe ``recording_mlp``)
  from known weights, so a wrong ``build_mlp`` costs points only in the architecture tests. The
  model logs every forward call: which rows it saw, whether a backward pass went through it, and
  whether an old gradient was still there. That shows a missing ``zero_grad`` and validation rows
  in a gradient directly; the trained weights are then compared with Adam replayed here on the
  very batches the student used (so any shuffling scheme is fine). An optimizer step is known by the
  weights changing between forward calls, not by the number of calls, so gradients accumulated over
  chunks of a batch before one step (allowed by the notebook) count as one step on the whole batch.
- Everything is tiny (networks of a few dozen weights, at most 40 steps), so a correct solution
  passes with a wide margin on every run and every test takes well under a second.
- Recomputing the student's model from its own parameters (``parameter_arrays``) checks layer
  sizes, activation placement and a linear output without caring how the weights were drawn.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import solutions.cs1.model_complexity as ref
from autograder.grading.testing import (
    GradingFailure,
    Mistake,
    Probe,
    RemoteObject,
    StudentCodeError,
    as_array,
    as_float,
    assignment_probes,
    expect_array,
    expect_float,
    fail,
    reject_altered,
    seeded_runs,
)

probes = assignment_probes(__file__)     # the same probes, built here in the grader for reference runs

LABELS = ("underfitting", "good fit", "overfitting")
ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
STATED_THRESHOLDS: dict = {}   # no pass mark on a measured result here (every check is exact or a named mistake)
WEIGHT_ATOL = 2e-4      # float32 runs agree to ~1e-6; each mistake below moves weights by > 1e-2


# --- helpers ------------------------------------------------------------------------------------

def sandbox_value(student, probe):
    """Build ``probe`` inside the sandbox and hand it back (data as data, objects as handles).

    One round trip (``student.build_probe``), whatever the notebook imported.
    """
    return student.build_probe(probe)


def kind(value) -> str:
    if isinstance(value, RemoteObject):
        return value.type_name.rsplit(".", 1)[-1]
    return type(value).__name__


def pair(value, what, names):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(f"{what} should return two values, ({names}); it returned {kind(value)}")
    return value


def index_array(value, name):
    array = as_array(value, name=name)
    if array.ndim != 1:
        fail(f"{name} should be a 1-D array of row indices, but it has {array.ndim} axes")
    if array.dtype.kind not in "iu":
        if array.size and not np.all(array == np.round(array)):
            fail(f"{name} should contain integer row indices")
        fail(f"{name} should be an integer array (row indices), not {array.dtype}: "
             "indexing with floats fails")
    return array.astype(int)


def float32_exact(array):
    """Values that survive the student's float32 conversion unchanged, so rows can be recognised."""
    return np.asarray(array, dtype=np.float32).astype(float)


# --- 1. architecture ----------------------------------------------------------------------------

def mlp_configs(rng):
    """Three configurations, one per activation, with width, inputs and outputs all different."""
    configs = []
    for activation in rng.permutation(list(ACTIVATIONS)):
        n_in, n_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        width = int(rng.choice([w for w in range(4, 10) if w not in (n_in, n_out)]))
        configs.append((n_in, width, int(rng.integers(1, 5)), str(activation), n_out))
    return configs


def built_model(student, n_in, width, depth, activation, n_out):
    model = student.build_mlp(n_in, width, depth, activation=activation, n_outputs=n_out)
    if not isinstance(model, RemoteObject):
        fail(f"build_mlp should return a torch.nn.Sequential, but it returned {kind(model)}")
    if not model.type_is("torch.nn.modules.container.Sequential"):
        fail(f"build_mlp should return a torch.nn.Sequential (the notebook's contract), "
             f"not a {kind(model)}")
    return model


def linear_layers(student, model):
    """[(weight (out, in), bias (out,))] from the model's parameters, in order."""
    arrays = [np.asarray(a, dtype=float) for _, a in sandbox_value(student, Probe("parameter_arrays", model=model))]
    layers = []
    for i in range(0, len(arrays), 2):
        if arrays[i].ndim != 2 or i + 1 >= len(arrays) or arrays[i + 1].ndim != 1:
            fail("the model's parameters should come in (weight, bias) pairs, one per nn.Linear layer: "
                 "keep the bias of every layer and use only Linear layers and activations")
        layers.append((arrays[i], arrays[i + 1]))
    return layers


def numpy_forward(layers, x, activation, output_activation=None, hidden=None):
    """Linear layers with ``activation`` between them; ``hidden`` limits which gaps get one."""
    h = x
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1 and (hidden is None or i in hidden):
            h = ACTIVATIONS[activation](h)
    return ACTIVATIONS[output_activation](h) if output_activation else h


@pytest.mark.points(2)
@pytest.mark.cell("test_build_mlp")
def test_build_mlp_layer_sizes(student, rng):
    """build_mlp has depth hidden Linear layers of the given width and one output layer, all with biases."""
    for n_in, width, depth, activation, n_out in mlp_configs(rng):
        layers = linear_layers(student, built_model(student, n_in, width, depth, activation, n_out))
        if len(layers) != depth + 1:
            off = len(layers) - (depth + 1)
            fail("build_mlp should create depth hidden Linear layers plus one output layer; yours has "
                 + ("one too many" if off == 1 else "one too few" if off == -1 else "a different number")
                 + " (check the range of your loop)", mistake="build_mlp.wrong_layer_count")
        if layers[0][0].shape[1] != n_in:
            fail("the first Linear layer must take n_inputs features")
        if layers[-1][0].shape[0] != n_out:
            fail("the output layer must have n_outputs neurons")
        expected = [(width, n_in)] + [(width, width)] * (depth - 1) + [(n_out, width)]
        if [w.shape for w, _ in layers] != expected:
            fail("a Linear layer has the wrong size: the first maps n_inputs to width, the hidden ones "
                 "width to width, the output layer width to n_outputs")


@pytest.mark.points(3)
@pytest.mark.cell("test_build_mlp")
def test_build_mlp_forward(student, rng):
    """The model applies the chosen activation after every hidden layer and none after the output layer."""
    for n_in, width, depth, activation, n_out in mlp_configs(rng):
        model = built_model(student, n_in, width, depth, activation, n_out)
        layers = linear_layers(student, model)
        x = float32_exact(rng.normal(scale=2.0, size=(7, n_in)))
        got = model(torch.tensor(x, dtype=torch.float32))
        others = [a for a in ACTIVATIONS if a != activation]
        mistakes = {
            Mistake("build_mlp.activation_on_output", "there is an activation after the output layer: for regression "
                                                      "the output layer must stay "
            "linear (no activation after the last Linear)"): numpy_forward(layers, x, activation, activation),
            Mistake("build_mlp.no_hidden_activation", "there is no activation between the Linear layers: without it "
                                                      "the whole network is one "
            "linear map"): numpy_forward(layers, x, activation, hidden=()),
            Mistake("build_mlp.activation_only_first_layer", "the activation is only applied after the first hidden "
                                                             "layer; every hidden layer needs one"):
                numpy_forward(layers, x, activation, hidden=(0,)),
        }
        for other in others:
            mistakes[Mistake("build_mlp.ignores_activation_argument", f"it uses {other}, not the activation named by "
                                                                      "the activation argument")] = \
                numpy_forward(layers, x, other)
            mistakes[Mistake("build_mlp.ignores_activation_argument_and_on_output", f"it uses {other} instead of the "
                                                                                    "activation argument, and one "
                                                                                    "after the output layer")] = \
                numpy_forward(layers, x, other, other)
        expect_array(got, numpy_forward(layers, x, activation), name=f"the output of build_mlp(..., "
                     f"activation={activation!r})", rtol=1e-4, atol=1e-5, mistakes=mistakes)


def random_layer_sizes(rng):
    sizes = [int(rng.integers(1, 5))] + [int(rng.integers(2, 9)) for _ in range(int(rng.integers(1, 4)))]
    return sizes + [int(rng.integers(1, 4))]


def known_weights(rng, sizes, scale=1.0):
    weights = [float32_exact(rng.normal(scale=scale / math.sqrt(a), size=(b, a))) for a, b in zip(sizes, sizes[1:])]
    biases = [float32_exact(rng.normal(scale=0.1, size=b)) for b in sizes[1:]]
    return weights, biases


@pytest.mark.points(1)
@pytest.mark.cell("test_count_parameters")
def test_count_parameters(student, rng):
    """count_parameters counts every weight and every bias of any torch model."""
    for _ in range(2):
        while True:   # sizes where every slip below gives its own count (so each is named right)
            weights, biases = known_weights(rng, random_layer_sizes(rng))
            n_weights, n_biases = sum(w.size for w in weights), sum(b.size for b in biases)
            if len({n_weights + n_biases, n_weights, n_biases, 2 * len(weights)}) == 4:
                break
        model = sandbox_value(student, Probe("recording_mlp", weights=weights, biases=biases))
        got = expect_float(student.count_parameters(model), n_weights + n_biases, name="count_parameters(model)",
                           mistakes={
                               Mistake("count_parameters.weights_only", "it counts only the weights: the biases are "
                                                                        "parameters too"): n_weights,
                               Mistake("count_parameters.biases_only", "it counts only the biases: the weight matrices "
                                                                       "are parameters too"): n_biases,
                               Mistake("count_parameters.counts_tensors", "it counts parameter tensors, not the "
                                                                          "numbers in them (use p.numel())"):
                                   2 * len(weights),
                           })
        if got != int(got):
            fail("count_parameters should return a whole number")


@pytest.mark.points(1)
@pytest.mark.cell("test_count_parameters")
def test_expected_parameter_count(student, rng):
    """expected_parameter_count is the exact closed form of build_mlp's parameter count."""
    for _ in range(4):
        n_in, width, depth, n_out = (int(rng.integers(1, 6)), int(rng.integers(3, 60)), int(rng.integers(1, 6)),
                                     int(rng.integers(1, 4)))
        expect_float(student.expected_parameter_count(n_in, width, depth, n_outputs=n_out),
                     ref.expected_parameter_count(n_in, width, depth, n_out), name="expected_parameter_count",
                     mistakes={
                         Mistake("parameter_count.missing_biases", "the biases are missing: each Linear(a, b) layer "
                                                                   "has a * b weights and b biases"):
                             n_in * width + (depth - 1) * width * width + width * n_out,
                         Mistake("parameter_count.hidden_layers_off_by_one", "the hidden-to-hidden layers are counted "
                                                                             "depth times; there are depth - 1 of "
                                                                             "them"):
                             ref.expected_parameter_count(n_in, width, depth + 1, n_out),
                         Mistake("parameter_count.order_of_growth", "W**2 * D is only the order of growth, not the "
                                                                    "exact count"): width ** 2 * depth,
                         Mistake("parameter_count.missing_output_biases",
                                 "the output layer's biases are missing"):
                             ref.expected_parameter_count(n_in, width, depth, n_out) - n_out,
                         Mistake("parameter_count.ignores_n_outputs",
                                 "it ignores n_outputs"): ref.expected_parameter_count(n_in, width, depth, 1),
                     })


# --- 2. training --------------------------------------------------------------------------------

def training_problem(rng, n_train, n_val):
    """1-D inputs, all distinct in float32 (so each logged row is recognised), and smooth targets."""
    x = float32_exact(rng.permutation(np.linspace(-1.5, 1.5, n_train + n_val)) + rng.uniform(-1e-3, 1e-3))
    x = x.reshape(-1, 1)
    y = float32_exact(np.sin(1.5 * x) + 0.5 * x + 0.05 * rng.normal(size=x.shape))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def probe_model(student, weights, biases):
    return sandbox_value(student, Probe("recording_mlp", weights=weights, biases=biases, activation="tanh"))


def reference_model(weights, biases):
    return probes.recording_mlp(weights, biases, "tanh")


def mse_numpy(weights, biases, x, y):
    layers = list(zip(weights, biases))
    return float(np.mean((numpy_forward(layers, x, "tanh") - y) ** 2))


def final_weights(student, model):
    """Weights and biases of the sandboxed model after training, as two lists."""
    arrays = [np.asarray(a, dtype=float) for _, a in sandbox_value(student, Probe("parameter_arrays", model=model))]
    half = len(arrays) // 2
    return arrays[:half], arrays[half:]


def history_of(value, epochs):
    if not isinstance(value, dict) or not {"train", "val"} <= set(value):
        fail(f"train should return a dict with the keys 'train' and 'val'; it returned {kind(value)}")
    curves = {}
    for key in ("train", "val"):
        curve = as_array(value[key], name=f"history[{key!r}]").astype(float).reshape(-1)
        if curve.size != epochs:
            fail(f"history[{key!r}] should have one loss per epoch ({'more' if curve.size > epochs else 'fewer'} "
                 "values than epochs)")
        if not np.all(np.isfinite(curve)):
            fail(f"history[{key!r}] contains NaN or infinite values")
        curves[key] = curve
    return curves


def logged_calls(model, epochs, n_rows):
    """The recording model's forward calls, at most as many as a train() can make in ``epochs`` epochs on
    ``n_rows`` rows (a step per row and epoch, and a few evaluations): a log appended to beyond that is
    refused without being read, so it costs its check and not the notebook's time."""
    limit = epochs * (2 * n_rows + 10)
    value = model.call_method("log", limit)
    if not isinstance(value, dict) or not isinstance(value.get("calls"), list) or type(value.get("count")) is not int:
        fail("the grader's model lost its log: do not replace or copy the model you are given")
    if value["count"] > limit:
        fail(f"the model's log claims more forward calls than train can make in {epochs} epochs: train the model "
             "you are given in place and leave its forward calls and its log alone")
    return value["calls"]


class Log:
    """The recording model's forward calls, translated into row indices of the training data."""

    def __init__(self, calls, x_train, x_val):
        self.train_rows = {float(v): i for i, v in enumerate(x_train[:, 0])}
        self.val_rows = {float(v) for v in x_val[:, 0]}
        if not isinstance(calls, list):
            fail("the grader's model lost its log: do not replace or copy the model you are given")
        self.steps = [c for c in calls if isinstance(c, dict) and c.get("backward")]
        self.stale = any(c.get("stale") for c in self.steps)

    def uses_validation(self) -> bool:
        return any(float(v) in self.val_rows for c in self.steps for v in np.asarray(c["rows"]).reshape(-1))

    def optimizer_steps(self) -> list[np.ndarray]:
        """The input values of each optimizer step: consecutive backward passes that saw the same weights
        belong to one step (gradients accumulated over chunks of a batch, then one step), so a step is
        known by the weights changing, not by the number of forward calls. Believed only as far as the
        replay of these steps reproduces the weights the grader reads back (verified_log)."""
        steps: list[list] = []
        previous = object()
        for call in self.steps:
            if steps and call.get("weights") == previous:
                steps[-1].append(call["rows"])
            else:
                steps.append([call["rows"]])
            previous = call.get("weights")
        return [np.concatenate([np.asarray(rows, dtype=float).reshape(-1) for rows in step]) for step in steps]

    def batches(self) -> list[np.ndarray]:
        """Row indices of x_train used by each optimizer step."""
        batches = []
        if self.uses_validation():
            fail("validation rows were used in training steps: the validation set may only be evaluated, "
                 "never trained on", mistake="train.validation_in_training")
        for values in self.optimizer_steps():
            if not all(float(v) in self.train_rows for v in values):
                fail("the model was trained on inputs that are not the training rows: pass x_train to the "
                     "model as given (only converted with as_tensor), without scaling or reordering columns")
            batches.append(np.array([self.train_rows[float(v)] for v in values], dtype=int))
        return batches


def replay(weights, biases, batches_per_epoch, x_train, y_train, x_val, y_val, lr, *, optimizer="adam",
           zero_grad=True, n_measured=None, clock=None):
    """The reference training on the given batches: final (weights, biases) and the loss history.

    Batches index x_train; the history's training loss is measured on its first ``n_measured`` rows
    (all by default), so steps may index training rows followed by validation rows. ``clock`` (from
    ``student.grader_work``) bounds a replay of steps the student's code logged by the notebook's time.
    """
    model = reference_model(weights, biases)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    xt, yt, xv, yv = (ref.as_tensor(a) for a in (x_train, y_train, x_val, y_val))
    x_measured, y_measured = xt[:n_measured], yt[:n_measured]
    history = {"train": [], "val": []}
    for batches in batches_per_epoch:
        for idx in batches:
            if clock is not None:
                clock.tick()
            if zero_grad:
                opt.zero_grad()
            torch.mean((model(xt[idx]) - yt[idx]) ** 2).backward()
            opt.step()
        history["train"].append(ref.mse(model, x_measured, y_measured))
        history["val"].append(ref.mse(model, xv, yv))
    arrays = [p.detach().numpy().astype(float) for p in params]
    return arrays, history


def identical(got, expected) -> bool:
    """The same weights up to float32 rounding: two runs of the same computation, not merely similar training."""
    return len(got) == len(expected) and all(
        a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(got, expected))


def same_weights(got, expected) -> bool:
    return all(a.shape == b.shape and np.allclose(a, b, rtol=1e-3, atol=WEIGHT_ATOL) for a, b in zip(got, expected))


def step_rows(log, run):
    """(x_all, y_all, the rows of x_all each optimizer step used): the training rows followed by the
    validation rows, since rows of either set may have been used (training on validation rows is
    another test's mistake)."""
    x_all, y_all = np.vstack([run["x_tr"], run["x_va"]]), np.vstack([run["y_tr"], run["y_va"]])
    rows = {float(v): i for i, v in enumerate(x_all[:, 0])}
    batches = []
    for values in log.optimizer_steps():
        if not all(float(v) in rows for v in values):
            fail("the model was trained on inputs that are not the given rows: pass x_train to the model as given "
                 "(only converted with as_tensor), without scaling or reordering columns")
        batches.append(np.array([rows[float(v)] for v in values], dtype=int))
    return x_all, y_all, batches


def verified_log(student, run) -> tuple[Log, dict]:
    """The recording model's log, believed only when it explains the weights the grader reads back.

    A log is the model's account of what happened to it, and student code can write to it; the
    weights are what the grader observes. So: the weights must have changed, and replaying the
    logged steps from the known start must give exactly those weights (with Adam or SGD, with or
    without zero_grad, with lr or the default 1e-3, so that each of those mistakes is named by its
    own test). Returns the log and which of those variants the training was.
    """
    got = final_weights(student, run["model"])
    if all(np.array_equal(a, c) for a, c in zip(got[0] + got[1], run["weights"] + run["biases"])):
        fail("the model passed to train did not change: train that model in place (do not build a new one "
             "inside train, and do not return before the training loop has run)")
    log = Log(logged_calls(run["model"], run["epochs"], len(run["x_tr"]) + len(run["x_va"])), run["x_tr"], run["x_va"])
    if not log.steps:
        fail("no backward pass went through the model: call loss.backward() on the loss of model(x)")
    if len(log.steps) > most_steps(run):
        fail(f"the model's log claims more training steps than train can take in {run['epochs']} epochs (at most one "
             "per row of data and epoch): train the model you are given in place and leave its forward calls and "
             "its log alone")
    x_all, y_all, batches = step_rows(log, run)
    args = ([batches], x_all, y_all, run["x_va"], run["y_va"])
    with student.grader_work("replaying the steps your train took") as clock:
        for optimizer in ("adam", "sgd"):
            for zero_grad in (True, False):
                for lr in (run["lr"], 1e-3):
                    variant = dict(optimizer=optimizer, zero_grad=zero_grad, lr=lr)
                    if same_weights(got[0] + got[1], replay(run["weights"], run["biases"], *args, **variant,
                                                            clock=clock)[0]):
                        return log, variant
    fail("the weights after training are not what the model's own training steps produce: train the model "
         "you are given in place, one optimizer step per batch, and leave its forward calls and its log alone")


def most_steps(run) -> int:
    """The most optimizer steps any train() can take in the run: one per training row and epoch (batches of
    one row, validation rows included). A log that claims more was written by hand, and replaying it
    would cost the grader's time for nothing."""
    return run["epochs"] * (len(run["x_tr"]) + len(run["x_va"]))


def full_batch_run(student, rng, *, epochs=30, lr=0.02, n_train=24, n_val=10):
    x_tr, y_tr, x_va, y_va = training_problem(rng, n_train, n_val)
    weights, biases = known_weights(rng, [1, 6, 6, 1], scale=1.5)
    model = probe_model(student, weights, biases)
    history = student.train(model, x_tr, y_tr, x_va, y_va, epochs=epochs, lr=lr)
    return dict(x_tr=x_tr, y_tr=y_tr, x_va=x_va, y_va=y_va, weights=weights, biases=biases, model=model,
                history=history, epochs=epochs, lr=lr)


@pytest.mark.points(1)
@pytest.mark.cell("test_train")
def test_train_records_losses_per_epoch(student, rng):
    """train returns one training and one validation MSE per epoch, measured after the epoch's updates."""
    run = full_batch_run(student, rng, epochs=8)   # still far from converged: every step changes the loss
    curves = history_of(run["history"], run["epochs"])
    log, variant = verified_log(student, run)   # a history is only worth something for a model really trained
    w, b = final_weights(student, run["model"])
    train_now, val_now = mse_numpy(w, b, run["x_tr"], run["y_tr"]), mse_numpy(w, b, run["x_va"], run["y_va"])
    if not np.isclose(curves["val"][-1], val_now, rtol=1e-4, atol=1e-7):
        if np.isclose(curves["val"][-1], train_now, rtol=1e-4, atol=1e-7):
            fail("history['val'] holds the training loss: evaluate the model on x_val, "
                 "y_val", mistake="train.val_history_is_training_loss")
        fail("history['val'][-1] is not the validation MSE of the trained model: after each epoch, "
             "evaluate the mean squared error on the whole validation set")
    if not np.isclose(curves["train"][-1], train_now, rtol=1e-4, atol=1e-7):
        fail("history['train'][-1] is not the training MSE of the trained model: after each epoch's "
             "updates, evaluate the MSE on the whole training set (not the loss computed before the "
             "last step, which belongs to the old weights)", mistake="train.loss_before_update")
    # The last entries are right; the earlier ones are checked against the losses after each epoch of the
    # very steps the model took (replayed here from the verified log), not taken on trust.
    x_all, y_all, steps = step_rows(log, run)
    if len(steps) % run["epochs"]:
        return   # not one step per epoch: test_train_full_batch_follows_the_five_steps says so
    per_epoch = len(steps) // run["epochs"]
    epochs = [steps[e * per_epoch:(e + 1) * per_epoch] for e in range(run["epochs"])]
    with student.grader_work("replaying the steps your train took") as clock:
        _, expected = replay(run["weights"], run["biases"], epochs, x_all, y_all, run["x_va"], run["y_va"],
                             n_measured=len(run["x_tr"]), clock=clock, **variant)
    for key, name in (("train", "training"), ("val", "validation")):
        wrong = [e for e in range(run["epochs"])
                 if not np.isclose(curves[key][e], expected[key][e], rtol=1e-3, atol=1e-7)]
        if wrong:
            fail(f"history[{key!r}] must hold the {name} MSE after every epoch, but its entry for epoch "
                 f"{wrong[0] + 1} of {run['epochs']} is {curves[key][wrong[0]]:.4g} where the model had "
                 f"{expected[key][wrong[0]]:.4g} (the grader replayed the steps your train took). Evaluate both "
                 "losses after each epoch's updates and append them, every epoch")


@pytest.mark.points(1)
@pytest.mark.cell("test_train")
def test_train_reduces_loss(student, rng):
    """Training the given model lowers its training loss by far."""
    run = full_batch_run(student, rng)
    before = mse_numpy(run["weights"], run["biases"], run["x_tr"], run["y_tr"])
    w, b = final_weights(student, run["model"])
    if all(np.array_equal(a, c) for a, c in zip(w + b, run["weights"] + run["biases"])):
        fail("the model passed to train did not change: train that model in place "
             "(do not build a new one inside train)")
    if mse_numpy(w, b, run["x_tr"], run["y_tr"]) > 0.5 * before:
        fail("after training, the training loss is not even half of what it was: check the five steps "
             "(zero_grad, forward, loss, backward, step) and that you use lr")


@pytest.mark.points(1)
@pytest.mark.cell("test_train")
def test_train_resets_gradients(student, rng):
    """Gradients are reset before every backward pass (optimizer.zero_grad())."""
    run = full_batch_run(student, rng)
    _, variant = verified_log(student, run)
    if not variant["zero_grad"]:   # read off the weights, not off the log
        fail("gradients were not reset between steps: call optimizer.zero_grad() before loss.backward(), "
             "otherwise the gradients of all earlier steps add up", mistake="train.no_zero_grad")


@pytest.mark.points(1)
@pytest.mark.cell("test_train")
def test_train_keeps_validation_data_out_of_training(student, rng):
    """Validation data is only evaluated: it never enters a gradient and cannot change the trained weights."""
    run = full_batch_run(student, rng)
    if Log(logged_calls(run["model"], run["epochs"], len(run["x_tr"]) + len(run["x_va"])), run["x_tr"],
           run["x_va"]).uses_validation():
        fail("validation rows were used to compute a gradient: the validation set may only be evaluated, "
             "never trained on", mistake="train.validation_in_training")
    # A train() that does nothing cannot be influenced by anything: the property below says nothing
    # about it, so first the model must really have been trained on the training rows.
    verified_log(student, run)
    trained = final_weights(student, run["model"])[0]
    other = probe_model(student.fresh(), run["weights"], run["biases"])     # a worker that did not see the first run
    student.train(other, run["x_tr"], run["y_tr"], float32_exact(run["x_va"] + 3.0), run["y_va"] + 50.0,
                  epochs=run["epochs"], lr=run["lr"])
    if not same_weights(final_weights(student, other)[0], trained):
        fail("changing only the validation data changed the trained weights: validation data must not "
             "influence training (no training on it, no early stopping on "
             "it)", mistake="train.validation_influences_training")


@pytest.mark.points(2)
@pytest.mark.cell("test_train")
def test_train_full_batch_follows_the_five_steps(student, rng):
    """Full batch: one Adam step per epoch on all training rows; the weights match the reference."""
    run = full_batch_run(student, rng)
    log, _ = verified_log(student, run)
    batches = log.batches()
    if len(batches) != run["epochs"]:
        fail("with batch_size=None, train should take exactly one optimizer step per epoch "
             f"({'more' if len(batches) > run['epochs'] else 'fewer'} steps were taken)")
    if any(sorted(b.tolist()) != list(range(len(run["x_tr"]))) for b in batches):
        fail("a full-batch step must use every training row exactly once")
    got = final_weights(student, run["model"])
    args = ([[b] for b in batches], run["x_tr"], run["y_tr"], run["x_va"], run["y_va"])
    expected, _ = replay(run["weights"], run["biases"], *args, run["lr"])
    if same_weights(got[0] + got[1], expected):
        return
    variants = {
        Mistake("train.plain_sgd", "it looks like plain SGD: use torch.optim.Adam(model.parameters(), lr=lr)"):
            replay(run["weights"], run["biases"], *args, run["lr"], optimizer="sgd")[0],
        Mistake("train.ignores_lr", "the lr argument is ignored: pass lr=lr to the "
                                    "optimizer"): replay(run["weights"], run["biases"], *args, 1e-3)[0],
        Mistake("train.no_zero_grad", "gradients accumulate over the steps: call optimizer.zero_grad() every step"):
            replay(run["weights"], run["biases"], *args, run["lr"], zero_grad=False)[0],
    }
    for message, weights in variants.items():
        if same_weights(got[0] + got[1], weights):
            fail(message)
    fail("after training, the weights differ from those of Adam(model.parameters(), lr=lr) on the MSE of the "
         "training set: check the five steps and their order (zero_grad, forward, loss, backward, step)")


@pytest.mark.points(2)
@pytest.mark.cell("test_train")
def test_train_mini_batches(student, rng):
    """Mini-batches: each epoch a seeded reshuffle, batches of batch_size rows covering every row once."""
    n_train, batch_size, epochs, lr = 30, 8, 5, 0.02
    x_tr, y_tr, x_va, y_va = training_problem(rng, n_train, 8)
    weights, biases = known_weights(rng, [1, 6, 6, 1], scale=1.5)
    seed = int(rng.integers(0, 10_000))

    def run(run_seed):
        model = probe_model(student, weights, biases)
        history = student.train(model, x_tr, y_tr, x_va, y_va, epochs=epochs, lr=lr, batch_size=batch_size,
                                seed=run_seed)
        curves, log = history_of(history, epochs), Log(logged_calls(model, epochs, len(x_tr) + len(x_va)), x_tr, x_va)
        w, b = final_weights(student, model)
        return w + b, curves, log

    # Seeding is judged on the trained weights the grader reads back, not on the histories or logs the
    # student's code returns; the repeat runs in a fresh worker, which cannot remember the first run.
    runs = seeded_runs(student, run, seed, seed + 1)
    _, curves, log = runs[0]
    batches = log.batches()
    per_epoch = math.ceil(n_train / batch_size)
    if len(batches) != epochs * per_epoch:
        fail("with mini-batches, train should take one optimizer step per batch: ceil(n / batch_size) steps "
             "per epoch")
    epochs_batches = [batches[e * per_epoch:(e + 1) * per_epoch] for e in range(epochs)]
    for group in epochs_batches:
        if sorted(np.concatenate(group).tolist()) != list(range(n_train)):
            fail("in every epoch, each training row must be in exactly one mini-batch")
        if sorted(len(b) for b in group)[1:] != [batch_size] * (per_epoch - 1):
            fail("mini-batches should have batch_size rows (only the last one of an epoch may be smaller)")
    orders = [np.concatenate(group).tolist() for group in epochs_batches]
    if orders[0] == list(range(n_train)) and len({tuple(o) for o in orders}) == 1:
        fail("the rows are not shuffled: draw a new random order every epoch (torch.randperm with the "
             "generator)", mistake="train.batches_not_shuffled")
    if len({tuple(o) for o in orders}) == 1:
        fail("every epoch uses the same batches: reshuffle the rows at the start of every "
             "epoch", mistake="train.batches_not_reshuffled")
    trained = [run_weights for run_weights, _, _ in runs]
    if not identical(trained[1], trained[0]):
        fail("two runs with the same seed gave different results: shuffle with one generator made by "
             "torch.Generator().manual_seed(seed)")
    if identical(trained[2], trained[0]):
        fail("a different seed gave the same batches: the seed argument is ignored")
    with student.grader_work("replaying the steps your train took") as clock:
        expected, _ = replay(weights, biases, epochs_batches, x_tr, y_tr, x_va, y_va, lr, clock=clock)
        accumulated, _ = replay(weights, biases, epochs_batches, x_tr, y_tr, x_va, y_va, lr, zero_grad=False,
                                clock=clock)
    if not same_weights(trained[0], expected):
        if same_weights(trained[0], accumulated):
            fail("gradients accumulate over the batches: call optimizer.zero_grad() for every "
                 "batch", mistake="train.no_zero_grad")
        fail("the weights after mini-batch training differ from Adam(lr) taking one step per batch on the "
             "MSE of that batch: check the five steps inside the batch loop")


# --- 3. splitting and scaling -------------------------------------------------------------------

def split_parts(value, n):
    parts = value if isinstance(value, (tuple, list)) else None
    if parts is None or len(parts) != 3:
        fail(f"split_indices should return three arrays (train_idx, val_idx, test_idx); it returned {kind(value)}")
    parts = [index_array(p, name=name) for p, name in zip(parts, ("train_idx", "val_idx", "test_idx"))]
    everything = np.concatenate(parts)
    if everything.size and (everything.min() < 0 or everything.max() >= n):
        fail("the split contains indices outside 0 .. n-1")
    if len(set(everything.tolist())) < everything.size:
        fail("the parts overlap (or repeat an index): every row must be in exactly one part")
    if everything.size < n:
        fail("some rows are in no part: the three parts together must contain every index 0 .. n-1")
    return parts


@pytest.mark.points(2)
@pytest.mark.cell("test_split_indices")
def test_split_indices_partition(student, rng):
    """The three parts are disjoint, complete and sized by the fractions (within one row)."""
    cases = [(int(rng.integers(30, 400)), None), (int(rng.integers(30, 400)), (0.6, 0.2, 0.2)),
             (int(rng.integers(11, 25)), (0.5, 0.3, 0.2))]
    for n, fractions in cases:
        seed = int(rng.integers(0, 10_000))
        value = (student.split_indices(n, seed=seed) if fractions is None
                 else student.split_indices(n, fractions=fractions, seed=seed))
        parts = split_parts(value, n)
        wanted = fractions or (0.7, 0.15, 0.15)
        for part, fraction, name in zip(parts, wanted, ("training", "validation", "test")):
            if abs(len(part) - fraction * n) > 1 + 1e-9:
                if fractions is not None and all(abs(len(p) - f * n) <= 1 for p, f in zip(parts, (0.7, 0.15, 0.15))):
                    fail("it ignores the fractions argument (the sizes are those of 70/15/15)")
                fail(f"the {name} part has the wrong size: it should be within one row of its fraction times n")


@pytest.mark.points(1)
@pytest.mark.cell("test_split_indices")
def test_split_indices_seeded_and_shuffled(student, rng):
    """The same seed gives the same split, another seed another one; rows are shuffled before splitting."""
    n = int(rng.integers(40, 300))
    seed = int(rng.integers(0, 10_000))
    first, again, other = seeded_runs(student, lambda s: split_parts(student.split_indices(n, seed=s), n), seed,
                                      seed + 7)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        fail("the split is not reproducible: the same seed gave two different splits; draw the order with "
             "np.random.default_rng(seed) (not the global random state, and not without a "
             "seed)", mistake="split.not_reproducible")
    if set(first[0].tolist()) == set(range(len(first[0]))):
        fail("the split is not shuffled: the training part is just the first rows, so data sorted by x (or "
             "by time) would leave whole regions out of training", mistake="split.not_shuffled")
    if all(np.array_equal(a, b) for a, b in zip(first, other)):
        fail("two different seeds gave the same split: the seed argument is ignored")


def scaling_problem(rng):
    """Inputs whose non-training rows come from elsewhere, so any leakage shifts the scaling."""
    n, d = 40, 3
    x = rng.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 3.0, 0.5], size=(n, d))
    train_idx = np.sort(rng.permutation(n)[:28])
    rest = np.setdiff1d(np.arange(n), train_idx)
    x[rest] = x[rest] * 3.0 + 4.0
    return x, train_idx, rest


@pytest.mark.points(2)
@pytest.mark.cell("test_scale_inputs")
def test_scale_inputs_fitted_on_training_rows_only(student, rng):
    """All rows are standardised with the mean and std of the training rows only; the scaler is returned."""
    x, train_idx, rest = scaling_problem(rng)
    x_scaled, scaler = pair(student.scale_inputs(x, train_idx), "scale_inputs", "x_scaled, scaler")
    expected, _ = ref.scale_inputs(x, train_idx)
    mean, std = x[train_idx].mean(axis=0), x[train_idx].std(axis=0)
    separately = expected.copy()
    separately[rest] = (x[rest] - x[rest].mean(axis=0)) / x[rest].std(axis=0)
    as_scaled = as_array(x_scaled, name="x_scaled")
    if as_scaled.shape == (len(train_idx), x.shape[1]):
        fail("x_scaled should hold all rows of x (scaled with the training statistics), not only the "
             "training rows")
    expect_array(as_scaled, expected, name="x_scaled", rtol=1e-6, atol=1e-8, mistakes={
        Mistake("scaling.fitted_on_all_rows", "the scaler was fitted on all rows: fit it on x[train_idx] only, "
                                              "otherwise statistics of the "
        "validation and test rows leak into training"): (x - x.mean(axis=0)) / x.std(axis=0),
        Mistake("scaling.rows_scaled_separately", "the non-training rows were scaled with their own statistics: "
                                                  "transform every row with the "
        "scaler fitted on the training rows"): separately,
        Mistake("scaling.not_scaled", "x is not scaled at all"): x,
        Mistake("scaling.sample_std", "it divides by the sample std (ddof=1); StandardScaler uses the population std "
                                      "(ddof=0)"):
            (x - mean) / x[train_idx].std(axis=0, ddof=1),
    })
    if not isinstance(scaler, RemoteObject):
        fail(f"the second value should be the fitted scaler (an object with .transform), not {kind(scaler)}")
    x_new = rng.normal(size=(5, x.shape[1]))
    expect_array(scaler.call_method("transform", x_new), (x_new - mean) / std, name="scaler.transform(x_new)",
                 rtol=1e-6, atol=1e-8, mistakes={
                     Mistake("scaling.scaler_fitted_on_all_rows", "the returned scaler was fitted on all rows, not on "
                                                                  "the training rows"):
                         (x_new - x.mean(axis=0)) / x.std(axis=0)})


# --- 4. k-fold cross-validation ----------------------------------------------------------------

def folds_of(value, k):
    if not isinstance(value, (list, tuple)) or len(value) != k:
        fail(f"kfold_indices(n, k) should return a list of k pairs (train_idx, val_idx); it returned "
             f"{kind(value) if not isinstance(value, (list, tuple)) else f'{len(value)} items'}")
    folds = []
    for item in value:
        tr, va = pair(item, "each fold", "train_idx, val_idx")
        folds.append((index_array(tr, "train_idx"), index_array(va, "val_idx")))
    return folds


@pytest.mark.points(2)
@pytest.mark.cell("test_kfold_indices")
def test_kfold_indices_partition(student, rng):
    """Validation folds are disjoint, cover every row once, differ in size by at most one; train is the rest."""
    for n, k in [(int(rng.integers(20, 200)), int(rng.integers(3, 11))), (23, 4), (6, 6)]:
        folds = folds_of(student.kfold_indices(n, k, seed=int(rng.integers(0, 10_000))), k)
        # The folds among themselves first: folds drawn one by one overlap, and a training part built from the
        # other folds then also holds rows of its own fold; the overlap is the cause, so it is named first.
        validated = np.concatenate([va for _, va in folds]).tolist()
        if len(set(validated)) < len(validated):
            fail("the validation folds overlap: a row is validated in more than one fold; split one "
                 "shuffled order into k consecutive pieces (np.array_split) instead of drawing each "
                 "fold", mistake="kfold.overlapping_folds")
        for tr, va in folds:
            if set(tr.tolist()) & set(va.tolist()):
                fail("a fold's training part contains rows of its own validation part: that is leakage")
            if sorted(tr.tolist() + va.tolist()) != list(range(n)):
                fail("a fold's train_idx must be exactly the rows not in its val_idx (each once)")
        if sorted(validated) != list(range(n)):
            fail("some rows are never in a validation fold: together the folds must cover every row")
        sizes = [len(va) for _, va in folds]
        if max(sizes) - min(sizes) > 1:
            fail("the fold sizes differ by more than one row (np.array_split spreads the remainder)")


@pytest.mark.points(1)
@pytest.mark.cell("test_kfold_indices")
def test_kfold_indices_seeded_and_shuffled(student, rng):
    """The folds come from a seeded shuffle: reproducible, seed-dependent, not consecutive blocks."""
    n, k, seed = int(rng.integers(30, 120)), int(rng.integers(3, 7)), int(rng.integers(0, 10_000))
    first, again, other = seeded_runs(student, lambda s: folds_of(student.kfold_indices(n, k, seed=s), k), seed,
                                      seed + 3)
    if not all(np.array_equal(a[1], b[1]) for a, b in zip(first, again)):
        fail("the folds are not reproducible: the same seed gave different folds (use np.random.default_rng(seed) "
             "or KFold(..., random_state=seed))")
    # Blocks first: unshuffled folds ignore the seed too, and "not shuffled" is the cause to name.
    if all(np.array_equal(np.sort(va), np.arange(va.min(), va.max() + 1)) for _, va in first):
        fail("the folds are consecutive blocks of rows: shuffle before splitting into "
             "folds", mistake="kfold.not_shuffled")
    if all(np.array_equal(a[1], b[1]) for a, b in zip(first, other)):
        fail("two different seeds gave the same folds: the seed argument is ignored")


@pytest.mark.points(2)
@pytest.mark.cell("test_cross_val_score")
def test_cross_val_score(student, rng):
    """cross_val_score fits on each fold's training rows, scores on its validation rows and averages."""
    n = 30
    x = rng.normal(size=(n, 2))
    y = x @ np.array([[1.5], [-0.5]]) + 0.3 * np.sin(3 * x[:, :1]) + 0.2 * rng.normal(size=(n, 1))
    # An even number of folds: the median is then the mean of the two middle scores, never one fold's own score
    # (with five folds it is the first or the last fold's in two draws of five, and named as that mistake).
    folds = ref.kfold_indices(n, 6, seed=int(rng.integers(0, 10_000)))
    score = probes.linear_fit_score()
    per_fold = [score(x[tr], y[tr], x[va], y[va]) for tr, va in folds]
    expect_float(student.cross_val_score(Probe("linear_fit_score"), x, y, [tuple(f) for f in folds]),
                 float(np.mean(per_fold)), name="cross_val_score", rtol=1e-6, mistakes={
                     Mistake("cross_val.train_val_swapped", "training and validation parts are swapped: call "
                                                            "fit_and_score(x[train_idx], "
                     "y[train_idx], x[val_idx], y[val_idx])"):
                         np.mean([score(x[va], y[va], x[tr], y[tr]) for tr, va in folds]),
                     Mistake("cross_val.scored_on_training_rows", "it scores the model on its own training rows; the "
                                                                  "score must come from the "
                     "validation fold"): np.mean([score(x[tr], y[tr], x[tr], y[tr]) for tr, va in folds]),
                     Mistake("cross_val.sum_not_mean", "it returns the sum of the fold scores; return their "
                                                       "mean"): np.sum(per_fold),
                     Mistake("cross_val.first_fold_only", "it uses only the first fold; average over all "
                                                          "folds"): per_fold[0],
                     Mistake("cross_val.last_fold_only", "it uses only the last fold; average over all "
                                                         "folds"): per_fold[-1],
                     Mistake("cross_val.median_not_mean", "it returns the median of the fold scores; return their "
                                                          "mean"): np.median(per_fold),
                 })


# --- 5. sweep and model selection --------------------------------------------------------------

SWEEP_KEYS = ("width", "depth", "n_params", "train_loss", "val_loss", "history", "model")


def sweep_records(value, widths, depths):
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        fail(f"sweep_complexity should return a list of dicts; it returned {kind(value)}")
    if len(value) != len(widths) * len(depths):
        fail("sweep_complexity should return one record per (width, depth) combination")
    for record in value:
        missing = [k for k in SWEEP_KEYS if k not in record]
        if missing:
            fail(f"a sweep record lacks the key(s) {', '.join(map(repr, missing))}")
    if [(int(r["width"]), int(r["depth"])) for r in value] != [(w, d) for w in widths for d in depths]:
        fail("the records should come in the order: widths in the outer loop, depths in the inner loop")
    return value


SWEEP_EPOCHS, SWEEP_LR = 4, 0.01
# Measured by benchmarks/sweep_training_margins.py over 8,000 sweep models of this test's kind: the
# sweep's 4 Adam epochs at lr 0.01 move no weight by more than 0.041 (plain SGD: 0.123), while a model
# built from another point of torch's random stream differs from the seeded one by at least 0.35 in
# some weight; and they lower every model's training MSE by at least 0.86 % (plain SGD 0.09 %, Adam's
# default lr 0.11 %: a train() with its own mistake still counts as training here; one that also steps
# on the validation rows raises it for 10 of the 8,000 models).
FROM_SEEDED_START = 0.2     # most a weight may lie from the seeded start after the sweep's training
MIN_TRAINING_GAIN = 1e-4    # least relative drop of the training MSE that counts as "trained"


def sweep_model(record):
    if not isinstance(record["model"], RemoteObject):
        fail("record['model'] should be the trained torch model")
    return record["model"]


def model_arrays(student, model) -> list[np.ndarray]:
    return [np.asarray(a, dtype=float) for _, a in sandbox_value(student, Probe("parameter_arrays", model=model))]


# The networks build_mlp(..., activation="tanh") may build: the right one, and those of the mistakes
# test_build_mlp_forward names (keyword arguments of numpy_forward). The sweep is judged on whichever
# the student's build_mlp builds; its mistakes cost points in the architecture tests only.
BUILT_NETWORKS = [{"activation": "tanh"}, {"activation": "tanh", "output_activation": "tanh"},
                  {"activation": "tanh", "hidden": ()}, {"activation": "tanh", "hidden": (0,)},
                  *({"activation": a, **out} for a in ("relu", "sigmoid") for out in ({}, {"output_activation": a}))]


def sweep_network(student, model, rng, what) -> tuple[list, dict]:
    """A sweep model as the grader computes it: its parameters (plain data) as Linear layers, and which of the
    networks build_mlp may build (``BUILT_NETWORKS``) the model computes on rows it has never seen (no method
    swapped on it, no hook, no lookup of the rows it was trained on). Every loss is then measured here."""
    reject_altered(model, what)
    arrays = model_arrays(student, model)
    if len(arrays) < 2 or len(arrays) % 2 or any(w.ndim != 2 or b.ndim != 1 for w, b in zip(arrays[::2], arrays[1::2])):
        fail(f"{what} should be build_mlp's network: Linear layers (weight and bias) with tanh between them")
    layers = list(zip(arrays[::2], arrays[1::2]))
    x = float32_exact(rng.normal(scale=1.5, size=(9, layers[0][0].shape[1])))
    got = as_array(model(ref.as_tensor(x)), name=f"{what}(x)").astype(float)
    for network in BUILT_NETWORKS:
        expected = numpy_forward(layers, x, **network)
        if got.size == expected.size and np.allclose(got.reshape(expected.shape), expected, rtol=1e-4, atol=1e-5):
            return layers, network
    fail(f"{what} does not compute the network of its own parameters on new inputs: store the model your "
         "build_mlp built and your train trained, unchanged")


def grader_mse(layers, x, y, network) -> float:
    return float(np.mean((numpy_forward(layers, x, **network) - y) ** 2))


def reference_starts(records, n_in, seed) -> list[list[np.ndarray]]:
    """Each model's seeded start as the notebook builds it with nn.Linear's own initialisation:
    torch.manual_seed(seed), then the layers in order. Computed here, so no student code is asked."""
    starts = []
    for record in records:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = ref.build_mlp(n_in, int(record["width"]), int(record["depth"]), "tanh")
        starts.append([p.detach().numpy().astype(float) for p in model.parameters()])
    return starts


def own_starts(student, records, n_in, seed) -> list[list[np.ndarray]] | None:
    """Each model's seeded start from the student's own build_mlp (for an initialisation of its own), asked
    in a fresh worker that has run none of the sweep: it cannot hand back a start it remembers."""
    student.fresh()
    try:
        seeded = sandbox_value(student, Probe("with_torch_seed", seed=seed))
        build = student.get("build_mlp")
        starts = []
        for record in records:
            start = seeded(build, n_in, int(record["width"]), int(record["depth"]), activation="tanh")
            if not isinstance(start, RemoteObject):
                return None
            starts.append(model_arrays(student, start))
        return starts
    except (GradingFailure, StudentCodeError):
        return None


def sweep_replays(start, x_tr, y_tr, clock) -> list[list[np.ndarray]]:
    """The sweep's full-batch training from ``start`` replayed here, with Adam or plain SGD, with or without
    zero_grad, at lr or Adam's default: the trainings a train() with or without its own mistake does."""
    weights, biases = start[::2], start[1::2]
    epochs = [[np.arange(len(x_tr))]] * SWEEP_EPOCHS
    replays = []
    for optimizer in ("adam", "sgd"):
        for zero_grad in (True, False):
            for lr in (SWEEP_LR, 1e-3):
                arrays = replay(weights, biases, epochs, x_tr, y_tr, x_tr, y_tr, lr, optimizer=optimizer,
                                zero_grad=zero_grad, clock=clock)[0]          # all weights, then all biases
                half = len(arrays) // 2
                replays.append([a for pair in zip(arrays[:half], arrays[half:]) for a in pair])
    return replays


def sweep_position(index: int) -> str:
    """Which model of the sweep, by its place: the widths and depths are the hidden test's inputs."""
    return f"the sweep's model number {index + 1} (widths in the outer loop, depths in the inner one)"


def sweep_problem(trained, starts, x_tr, y_tr, replays=None) -> GradingFailure | None:
    """The first way the sweep's trained models do not follow from ``starts``, as a failure to raise."""
    for index, ((layers, network), start) in enumerate(zip(trained, starts)):
        which = sweep_position(index)
        arrays = [a for layer in layers for a in layer]
        try:
            if [a.shape for a in arrays] != [a.shape for a in start]:
                fail(f"record['model'] of {which} does not have the layers build_mlp(n_inputs, width, depth) builds "
                     "for its width and depth: build every model of the sweep with your build_mlp")
            if all(np.array_equal(a, b) for a, b in zip(arrays, start)):
                fail(f"{which} was never trained: its weights are still exactly those torch.manual_seed(seed) and "
                     "build_mlp give, so the losses in its record describe no training. Train every model with your "
                     "train(model, x_train, y_train, x_val, y_val, epochs=epochs, lr=lr), which changes it in place, "
                     "and record the history that train returns")
            moved = max((float(np.max(np.abs(a - b))) for a, b in zip(arrays, start) if a.size), default=0.0)
            if moved > FROM_SEEDED_START:
                where = (f"a weight of {which} lies {moved:.2f} from the seeded start, more than the "
                         f"{SWEEP_EPOCHS} epochs at lr={SWEEP_LR} can move it (at most {FROM_SEEDED_START})")
                if index == 0:
                    fail(f"the sweep's first model does not start from torch.manual_seed(seed) and build_mlp: {where}. "
                         "Seed torch with the seed argument right before building each model")
                fail(f"only the first model starts from the seeded draw: {where}. Call torch.manual_seed(seed) right "
                     "before build_mlp for every model, not once before the loops, so that every model starts from "
                     "the same draw and the models differ only in width and depth", mistake="sweep.seeded_once")
            start_layers = list(zip(start[::2], start[1::2]))
            before, after = grader_mse(start_layers, x_tr, y_tr, network), grader_mse(layers, x_tr, y_tr, network)
            if not after < (1 - MIN_TRAINING_GAIN) * before:
                fail(f"training did not lower the training loss of {which}: measured by the grader on x_train, its MSE "
                     f"is {after:.4g}, and {before:.4g} for the same model freshly built from the seed ({SWEEP_EPOCHS} "
                     f"epochs at lr={SWEEP_LR} lower it by about 10 %, never less than 0.8 % for a correct sweep). "
                     "Train each model on x_train, y_train with your train and store that trained model in the record")
            if replays is not None and not any(same_weights(arrays, r) for r in replays[index]):
                fail(f"{which} is not what your train makes of the seeded start your build_mlp gives: build each "
                     "model right after torch.manual_seed(seed) and train it with your train, full batch")
        except GradingFailure as failure:
            return failure
    return None


def check_sweep_trained(student, records, x_tr, y_tr, seed, rng):
    """Every model of the sweep was built from the seeded draw and trained: judged on what the grader
    observes and computes, not on the history the student's code wrote.

    The models' parameters are read as plain data, and each model must compute the network of its
    parameters on new rows. Its start is computed here (torch.manual_seed(seed), then nn.Linear's own
    initialisation in build_mlp's layer order); the model must have left that start, lie within a few
    optimizer steps of it, and have a lower training MSE, measured here. A build_mlp that initialises in
    its own way is asked for its seeded starts in a fresh worker that ran none of the sweep (it cannot
    hand back a start it remembers), and then every model must be exactly what a train() (Adam or SGD,
    with or without zero_grad, lr or the default) makes of that start, replayed here.
    """
    trained = [sweep_network(student, sweep_model(r), rng, f"record['model'] of {sweep_position(index)}")
               for index, r in enumerate(records)]
    n_in = x_tr.shape[1]
    problem = sweep_problem(trained, reference_starts(records, n_in, seed), x_tr, y_tr)
    if problem is None:
        return
    own = own_starts(student, records, n_in, seed)
    if own is None or all(identical(a, b) for a, b in zip(own, reference_starts(records, n_in, seed))):
        raise problem
    with student.grader_work("replaying the sweep's training") as clock:
        replays = [sweep_replays(start, x_tr, y_tr, clock) for start in own]
    own_problem = sweep_problem(trained, own, x_tr, y_tr, replays)
    if own_problem is not None:
        raise own_problem


@pytest.mark.points(2)
@pytest.mark.cell("test_sweep_complexity")
def test_sweep_complexity(student, rng):
    """The sweep trains one seeded model per (width, depth) and reports its size and its final losses."""
    x_tr, y_tr, x_va, y_va = training_problem(rng, 20, 8)
    widths, depths = [2, 3], [1, 2]
    seed = int(rng.integers(0, 10_000))

    def call(y_val):
        return sweep_records(student.sweep_complexity(x_tr, y_tr, x_va, y_val, widths, depths, epochs=SWEEP_EPOCHS,
                                                      lr=SWEEP_LR, seed=seed), widths, depths)

    def parameters(records):
        return [model_arrays(student, sweep_model(r)) for r in records]

    records = call(y_va + 5.0)
    for index, record in enumerate(records):
        what = f"record['model'] of {sweep_position(index)}"
        model = sweep_model(record)
        layers, network = sweep_network(student, model, rng, what)
        if as_float(record["n_params"], name="record['n_params']") != sum(w.size + b.size for w, b in layers):
            fail("record['n_params'] is not the parameter count of the record's model (use count_parameters)")
        curves = history_of(record["history"], SWEEP_EPOCHS)
        for key in ("train", "val"):
            if not np.isclose(as_float(record[f"{key}_loss"], name=f"record['{key}_loss']"), curves[key][-1]):
                fail(f"record['{key}_loss'] should be the last entry of history['{key}']")
        if not curves["val"][-1] > 10.0 > curves["train"][-1]:
            fail("val_loss does not look like the loss on the validation data passed to the sweep: train on "
                 "x_train, y_train and evaluate on x_val, y_val")
        # The losses must belong to the model handed back: measured here, from its parameters.
        if not np.isclose(grader_mse(layers, x_va, y_va + 5.0, network), curves["val"][-1], rtol=1e-4, atol=1e-6):
            fail("record['val_loss'] is not the validation loss of record['model']: train the model you "
                 "store in the record (train changes it in place) and record its losses after training")
    first = parameters(records)
    # The repeat in a fresh worker, after another sweep: neither a remembered sweep nor a random state seeded
    # once in the notebook's cells makes an unseeded sweep look reproducible.
    student.fresh()
    # With the validation targets as drawn (not shifted by 5), so that a train() that also takes steps on
    # the validation rows - another test's mistake - still lowers the training loss here.
    trained = call(y_va)
    if not all(identical(a, b) for a, b in zip(first, parameters(call(y_va + 5.0)))):
        fail("the sweep is not reproducible: call torch.manual_seed(seed) before building each model")
    check_sweep_trained(student, trained, x_tr, y_tr, seed, rng)


def selection_table(rng, n_in=1):
    """A 3 x 3 grid of models. Validation losses shrink with size (callers shape the interesting rows);
    training losses halve with every step in size, so the training loss always favours the largest
    model; the smallest model has by far the lowest test loss, so choosing by test loss is visible."""
    widths = sorted(rng.choice(np.arange(3, 300), size=3, replace=False).tolist())
    depths = sorted(rng.choice(np.arange(1, 6), size=3, replace=False).tolist())
    rows = [{"width": int(w), "depth": int(d), "n_params": int(ref.expected_parameter_count(n_in, w, d))}
            for w in widths for d in depths]
    rows.sort(key=lambda r: r["n_params"])
    for rank, row in enumerate(rows):
        row["val_loss"] = (0.01 + 0.5 / math.sqrt(row["n_params"])) * rng.uniform(1.3, 1.6)
        row["train_loss"] = 0.05 * 0.5 ** rank
        row["test_loss"] = row["val_loss"] * rng.uniform(0.9, 1.1)
    rows[0]["test_loss"] = 1e-4
    return rows


def selection_cases(rng):
    """(description, table, rel_tol or None) with clear margins around every threshold."""
    cases = []
    # The lowest validation loss belongs to a large model; a much smaller one is within 5 %.
    by_size = selection_table(rng)
    for row in by_size:
        row["val_loss"] = max(row["val_loss"], 0.03)
    # A larger model than the best is within rel_tol too (the largest, whose training loss is lowest, is not), so
    # taking the most parameters among the candidates is told apart from taking the lowest validation loss.
    by_size[6]["val_loss"], by_size[7]["val_loss"], by_size[4]["val_loss"] = 0.02, 0.02 * 1.08, 0.02 * 1.05
    cases.append(("a table where a much smaller model is within rel_tol of the best validation loss", by_size, None))
    # The validation loss is lowest for a small model; test and training losses point elsewhere.
    by_size = selection_table(rng)
    for row in by_size:
        row["val_loss"] = max(row["val_loss"], 0.02)
    by_size[2]["val_loss"] = 0.015
    cases.append(("a table whose test and training losses favour other models than the validation loss",
                  by_size, None))
    # Borderline with a given tolerance: one model just inside (1.19x), a smaller one just outside (1.21x).
    by_size = selection_table(rng)
    for row in by_size:
        row["val_loss"] = 0.05 + 0.001 * row["n_params"] / by_size[-1]["n_params"]
    by_size[7]["val_loss"], by_size[3]["val_loss"], by_size[1]["val_loss"] = 0.02, 0.02 * 1.19, 0.02 * 1.21
    cases.append(("a table with rel_tol=0.2 and models just inside and just outside the tolerance", by_size, 0.2))
    # rel_tol = 0: plainly the lowest validation loss.
    by_size = selection_table(rng)
    min(by_size[1:], key=lambda r: r["val_loss"])["val_loss"] *= 0.97
    cases.append(("a table with rel_tol=0", by_size, 0.0))
    for _, table, _ in cases:
        rng.shuffle(table)
    return cases


def chosen_by(table, key, rel_tol):
    best = min(r[key] for r in table)
    candidates = [r for r in table if r[key] <= (1 + rel_tol) * best]
    row = min(candidates, key=lambda r: (r["n_params"], r[key], r["depth"]))
    return row["width"], row["depth"]


def argmin(table, key):
    row = min(table, key=lambda r: r[key])
    return row["width"], row["depth"]


@pytest.mark.points(3)
@pytest.mark.cell("test_select_complexity")
def test_select_complexity(student, rng):
    """select_complexity picks the smallest model within rel_tol of the best validation loss, ignoring test loss."""
    for description, table, rel_tol in selection_cases(rng):
        tol = 0.1 if rel_tol is None else rel_tol
        value = student.select_complexity(table) if rel_tol is None else student.select_complexity(table,
                                                                                                   rel_tol=rel_tol)
        if isinstance(value, dict):
            fail("select_complexity should return (width, depth), not the whole row")
        got = tuple(int(v) for v in as_array(pair(value, "select_complexity", "width, depth"), name="(width, depth)"))
        expected = ref.select_complexity(table, tol)
        if got == tuple(expected):
            continue
        mistakes = {
            Mistake("selection.by_test_loss", "it chose by the test loss: the test set must not be used for model "
                                              "selection, only for the "
            "final report"): {argmin(table, "test_loss"), chosen_by(table, "test_loss", tol)},
            Mistake("selection.by_training_loss", "it chose by the training loss, which keeps falling with size: "
                                                  "choose by the validation loss"):
                {argmin(table, "train_loss"), chosen_by(table, "train_loss", tol)},
            Mistake("selection.ignores_rel_tol", "it ignores the rel_tol "
                                                 "argument"): {chosen_by(table, "val_loss", 0.1)},
            Mistake("selection.lowest_validation_loss", "it picked the lowest validation loss; the elbow rule takes "
                                                        "the model with the fewest "
            "parameters among those within rel_tol of it"): {argmin(table, "val_loss")},
            Mistake("selection.not_fewest_parameters", "among the models within rel_tol it did not take the one with "
                                                       "the fewest parameters (n_params)"):
                {(r["width"], r["depth"]) for r in table if r["val_loss"] <= (1 + tol) * min(t["val_loss"]
                                                                                             for t in table)},
        }
        for message, choices in mistakes.items():
            if got in choices:
                fail(message)
        fail(f"for {description}, the choice is not the smallest model within rel_tol of the best validation loss")


# --- 6. diagnosing learning curves --------------------------------------------------------------

def curve_pair(rng, label, target, *, rise=None, gap=None, train_ratio=None, start=None):
    """Learning curves of a given kind; the keyword arguments place them near a threshold.

    The training loss decays from (train_ratio + 10-30) times target_loss (+ ``start`` instead of 10-30: a
    run that starts close to where it ends) to train_ratio * target_loss. Overfitting
    by a rise: the validation loss follows 1.1 times the training loss, then from 50-75 % of the
    epochs climbs to ``rise`` times its minimum (the gap stays below 2, so only rule 1 applies).
    Otherwise the validation loss is ``gap`` times the training loss (no rise).
    """
    epochs = int(rng.integers(80, 400))
    t = np.arange(epochs)
    ratio = train_ratio or {"underfitting": rng.uniform(1.6, 3.0), "good fit": rng.uniform(0.3, 0.75),
                            "overfitting": rng.uniform(0.3, 0.6)}[label]
    train = target * (ratio + (start or rng.uniform(10, 30)) * np.exp(-t / (epochs / rng.uniform(12, 18))))
    if rise is None and (label != "overfitting" or gap is not None):
        return train, train * (gap or rng.uniform(1.05, 1.5))
    rise = rise or rng.uniform(1.3, 1.5)
    turn = int(epochs * rng.uniform(0.6, 0.75))
    val = 1.1 * train
    climb = (t[turn:] - turn) / (epochs - 1 - turn)
    val[turn:] = val[turn] * (1 + (rise - 1) * climb ** 1.5)
    return train, val


def variant_labels(train, val, target, rise_tol=0.1, gap_ratio=2.0):
    """What typical mistakes return for one pair of curves."""
    t, v = train[-1], val[-1]
    rose, gapped, under = v > (1 + rise_tol) * val.min(), v > gap_ratio * t, t > target

    def decide(rose, gapped, under, under_first=False):
        if under_first and under:
            return "underfitting"
        if rose or gapped:
            return "overfitting"
        return "underfitting" if under else "good fit"

    return {
        Mistake("diagnose.overfitting_on_training_curve", "overfitting shows in the validation loss: compare "
                                                          "val_losses[-1] with min(val_losses), not the "
        "training curve with its own minimum"): decide(t > (1 + rise_tol) * train.min(), gapped, under),
        Mistake("diagnose.underfitting_checked_first", "apply the rules in the given order: check overfitting (rules 1 "
                                                       "and 2) before underfitting"):
            decide(rose, gapped, under, under_first=True),
        Mistake("diagnose.rise_from_first_value", "compare the final validation loss with the minimum of the "
                                                  "validation curve, not with its first value"):
            decide(v > (1 + rise_tol) * val[0], gapped, under),
        Mistake("diagnose.underfitting_on_validation_loss", "underfitting is judged on the training loss (rule 3), not "
                                                            "on the validation loss"):
            decide(rose, gapped, v > target),
        Mistake("diagnose.missing_gap_rule", "the gap rule is missing: a validation loss far above the training loss "
                                             "is overfitting too"):
            decide(rose, False, under),
        Mistake("diagnose.ignores_thresholds", "it ignores the rise_tol and gap_ratio arguments (their defaults are "
                                               "0.1 and 2.0)"):
            decide(v > 1.1 * val.min(), v > 2.0 * t, under),
        Mistake("diagnose.earlier_epoch", "judge the curves by their final values (train_losses[-1], val_losses[-1]), "
                                          "not an earlier epoch"):
            decide(val[-2] > (1 + rise_tol) * val.min(), val[-2] > gap_ratio * train[-2], train[-2] > target),
    }


DESCRIPTIONS = {
    "underfitting": "curves whose training loss stays well above target_loss (and no sign of overfitting)",
    "good fit": "curves whose training loss reaches target_loss with the validation loss close to it",
    "overfitting": "curves whose validation loss turns back up or stays far above the training loss",
}


def check_labels(student, cases):
    """Ask the student for every case; fail on the first wrong label, naming a matching mistake."""
    answers = []
    for train, val, target, kwargs, _expected in cases:
        value = pair(student.diagnose_learning_curves(train, val, target, **kwargs), "diagnose_learning_curves",
                     "label, explanation")
        label = value[0]
        if not isinstance(label, str) or label not in LABELS:
            fail("the label must be exactly one of 'underfitting', 'good fit', 'overfitting' "
                 "(lower case, with a space in 'good fit')")
        answers.append((label, value[1]))
    wrong = [i for i, (case, (label, _)) in enumerate(zip(cases, answers)) if label != case[-1]]
    if not wrong:
        return answers
    for message in variant_labels(*cases[0][:3]):
        if all(answers[i][0] == variant_labels(c[0], c[1], c[2], **c[3])[message] for i, c in enumerate(cases)):
            fail(message)
    first = cases[wrong[0]]
    fail(f"{DESCRIPTIONS[first[-1]]} were labelled {answers[wrong[0]][0]!r}; follow the four rules in order")


def clear_cases(rng):
    """Two of each kind; overfitting once by a rise, once by a gap, once by a rise while the training
    loss is still above target_loss (rule 1 comes before rule 3), and once by a rise that ends above the
    validation loss's first value (a run that starts close to its end: comparing with the first value
    instead of the minimum then gives a different verdict than judging the training curve does)."""
    cases = []
    kinds = [("underfitting", {}), ("good fit", {}), ("overfitting", {}),
             ("overfitting", {"gap": float(rng.uniform(3.0, 5.0))}), ("underfitting", {}), ("good fit", {}),
             ("overfitting", {"train_ratio": float(rng.uniform(1.4, 2.0))}),
             ("overfitting", {"start": float(rng.uniform(0.02, 0.05)), "rise": float(rng.uniform(1.5, 1.7))})]
    for label, shape in kinds:
        target = float(rng.uniform(0.005, 0.05))
        train, val = curve_pair(rng, label, target, **shape)
        cases.append((train, val, target, {}, label))
    return cases + last_epoch_cases(rng)


def last_epoch_cases(rng):
    """The final epoch decides: a validation loss that jumps only in the last epoch (overfitting),
    a training loss that reaches the target only in the last epoch (good fit)."""
    target = float(rng.uniform(0.005, 0.05))
    train, val = curve_pair(rng, "good fit", target, gap=1.2)
    val = val.copy()
    val[-1] = val[-2] * float(rng.uniform(1.4, 1.8))
    spike = (train, val, target, {}, "overfitting")
    target = float(rng.uniform(0.005, 0.05))
    train, val = curve_pair(rng, "underfitting", target, gap=1.2, train_ratio=float(rng.uniform(1.3, 1.6)))
    train = train.copy()
    train[-1] = target * float(rng.uniform(0.75, 0.9))
    val = val.copy()
    val[-1] = min(val[-2], 1.2 * train[-1])
    return [spike, (train, val, target, {}, "good fit")]


@pytest.mark.points(2)
@pytest.mark.cell("test_diagnose_learning_curves")
def test_diagnose_learning_curves_clear_cases(student, rng):
    """Clear underfitting, good-fit and overfitting curves (by a rising validation loss or a gap) get their label."""
    check_labels(student, clear_cases(rng))


@pytest.mark.points(1)
@pytest.mark.cell("test_diagnose_learning_curves")
def test_diagnose_learning_curves_borderline(student, rng):
    """Curves just inside and just outside each threshold, with non-default rise_tol and gap_ratio."""
    kwargs = {"rise_tol": 0.25, "gap_ratio": 3.0}
    target = float(rng.uniform(0.01, 0.03))
    cases = []
    for rise, label in ((1.22, "good fit"), (1.28, "overfitting")):           # rule 1 around 1 + rise_tol
        train, val = curve_pair(rng, "overfitting", target, rise=rise, train_ratio=0.5)
        cases.append((train, val, target, kwargs, label))
    train, val = curve_pair(rng, "overfitting", target, rise=float(rng.uniform(1.5, 1.7)), train_ratio=0.5,
                            start=float(rng.uniform(0.02, 0.05)))                 # ends above its first value too
    cases.append((train, val, target, kwargs, "overfitting"))
    for gap, label in ((2.9, "good fit"), (3.1, "overfitting")):              # rule 2 around gap_ratio
        train, val = curve_pair(rng, "good fit", target, gap=gap, train_ratio=0.5)
        cases.append((train, val, target, kwargs, label))
    for ratio, label in ((0.97, "good fit"), (1.03, "underfitting")):         # rule 3 around target_loss
        train, val = curve_pair(rng, "good fit", target, gap=1.2, train_ratio=ratio)
        cases.append((train, val, target, kwargs, label))
    # Exactly on each threshold (exact in floating point): the rules say "greater than", so none of them applies.
    exact = {"rise_tol": 0.5, "gap_ratio": 2.0}
    falling = np.linspace(2.0, 0.5, 50)
    cases += [(falling, np.concatenate([np.linspace(2.0, 0.5, 40), np.linspace(0.5, 0.75, 10)]), 1.0, exact,
               "good fit"),                                               # v = 1.5 * min(v): not a rise above it
              (falling / 2, falling, 1.0, exact, "good fit"),            # v = 2 * t: not above it
              (falling / 2, 0.6 * falling, 0.25, exact, "good fit")]     # t = target: not above it
    check_labels(student, cases)


@pytest.mark.points(1)
@pytest.mark.cell("test_diagnose_learning_curves")
def test_diagnose_learning_curves_explanation(student, rng):
    """The explanation is a sentence naming the loss that decided (validation or training)."""
    cases = clear_cases(rng)
    checked, kinds = 0, set()
    for train, val, target, _kwargs, expected in cases:
        label, explanation = pair(student.diagnose_learning_curves(train, val, target), "diagnose_learning_curves",
                                  "label, explanation")
        if label != expected:
            continue
        if not isinstance(explanation, str) or len(explanation.split()) < 4:
            fail("the explanation should be a sentence (a str of several words) saying why")
        word = "validation" if expected == "overfitting" else "training"
        if word not in explanation.lower():
            fail(f"an explanation of {expected!r} should name the loss that decided it: it must mention "
                 f"the {word} loss")
        checked += 1
        kinds.add(expected)
    if not checked:
        fail("none of the labels were right, so no explanation could be checked")
    if len(kinds) < len(LABELS):
        missing = ", ".join(repr(k) for k in LABELS if k not in kinds)
        fail(f"no curve labelled {missing} was recognised, so those explanations could not be checked "
             "(an explanation is only worth something next to the right label)")


# --- 7. extrapolation ---------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.cell("test_extrapolation_errors")
def test_extrapolation_errors(student, rng):
    """The MSE inside [low, high] (bounds included) and outside, for (n, 1) and (n,) inputs and any bounds."""
    for low, high, column in ((0.0, 1.0, True), (float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.6, 0.9)), False)):
        x = np.concatenate([rng.uniform(-1.0, 2.0, size=30), [low, high, low, high]])
        rng.shuffle(x)
        y_true = ref.true_function(x)
        y_pred = y_true + rng.normal(scale=np.where((x >= low) & (x <= high), 0.1, 1.0))
        args = (x[:, None], y_true[:, None], y_pred[:, None]) if column else (x, y_true, y_pred)
        value = (student.extrapolation_errors(*args) if (low, high) == (0.0, 1.0)
                 else student.extrapolation_errors(*args, low=low, high=high))
        if not isinstance(value, dict) or set(value) < {"inside", "outside"}:
            fail("extrapolation_errors should return a dict with the keys 'inside' and 'outside'")
        err = (y_pred - y_true) ** 2
        inside = (x >= low) & (x <= high)
        strict = (x > low) & (x < high)
        for key, mask in (("inside", inside), ("outside", ~inside)):
            other = ~mask
            strict_mask = strict if key == "inside" else ~strict
            expect_float(value[key], err[mask].mean(), name=f"errors[{key!r}]", rtol=1e-6, mistakes={
                Mistake("extrapolation.bounds_outside", "the bounds belong inside: use low <= x <= "
                                                        "high"): err[strict_mask].mean(),
                Mistake("extrapolation.inside_outside_swapped", "'inside' and 'outside' are "
                                                                "swapped"): err[other].mean(),
                Mistake("extrapolation.rmse_not_mse", "this is the root of the mean squared error; return the MSE "
                                                      "itself"): math.sqrt(err[mask].mean()),
                Mistake("extrapolation.mae_not_mse", "this is the mean absolute error; return the mean squared "
                                                     "error"): np.abs(y_pred - y_true)[mask].mean(),
                Mistake("extrapolation.sum_not_mean", "this is the sum of squared errors; return their "
                                                      "mean"): err[mask].sum(),
                Mistake("extrapolation.all_points", "this is the MSE over all points; split them by the "
                                                    "range"): err.mean(),
                Mistake("extrapolation.ignores_bounds", "it ignores the low and high arguments"):
                    err[((x >= 0) & (x <= 1)) == (key == "inside")].mean(),
            })
