"""The red-team corpus, round three: attacks on the hidden tests' verdicts, on the real assignments.

The student's process can observe and patch everything in it: who calls its functions (frames,
``sys.modules``, ``gc``), the worker's modules and the probes the grader builds there, the objects it
hands back (a ``forward`` swapped on the model, a class named like torch's), the logs it writes, and
what it learns from its feedback (a shape). Each class below is graded in ONE class run between two
honest students (the solution; classrun.py), and each attack states the points its honest work earns:

- ``steered``: cs1 part B - the grader's rebuild of a seeded model recognised by its caller's module
  name, the probe factory wrapped through what the process can reach, both handing back a remembered
  start so that the named mistake ``sweep.seeded_once`` would pass; a training log forged with tens of
  thousands of steps for the grader to replay.
- ``objects``: cs2 - a model whose ``forward`` is replaced by a lookup of the rows it was given (no
  optimizer step at all); activation modules of the notebook named like torch's that compute nothing.
- ``oracle``: cs1 part A - helpers right where they are tested and wrong (as a named mistake) at the
  shapes where later tests use them, with a forward and a backward that match only that wrong helper.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from autograder.admin.fabricate import read_fixture, solved, with_cells, without_delimiters
from autograder.grading import discovery
from tests.redteam.attacks import TIMESTAMP, Attack, AttackClass, Context, Target, code


def source_of(assignment: str, part: str) -> Path:
    return discovery.load(assignment).notebook(f"{part}.ipynb").source


def solution(assignment: str, part: str) -> Callable[[Path, Context], None]:
    def plant(folder: Path, _context: Context) -> None:
        solved(source_of(assignment, part), folder / f"{part}.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


def answers(assignment: str, part: str, **cells: str) -> Callable[[Path, Context], None]:
    """The solution with the given answer cells (by grade id) replaced."""
    def plant(folder: Path, _context: Context) -> None:
        with_cells(source_of(assignment, part), {k: code(v) for k, v in cells.items()}, folder / f"{part}.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


CS1B = Target("cs1", "part_b_model_complexity", 36.0, solution("cs1", "part_b_model_complexity"))
CS2 = Target("cs2", "surrogate", 25.0, solution("cs2", "surrogate"))
CS1A = Target("cs1", "part_a_forward_backward", 40.0, solution("cs1", "part_a_forward_backward"))


# --- cs1 part B: the sweep seeded once, its start handed back to the grader -----------------------------

CS1B_FIXTURES = discovery.load("cs1").fixture_folder("part_b_model_complexity")
# The named mistake sweep.seeded_once: torch seeded once, before the loops.
SEEDED_ONCE = read_fixture(CS1B_FIXTURES / "sweep_seeded_once.py").cells["sweep_complexity"]

# A build_mlp as the solution's, under another name, for the attacks to wrap.
FRESH_MLP = """
def fresh_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1):
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
    layers, size = [], n_inputs
    for _ in range(depth):
        layers += [nn.Linear(size, width), act()]
        size = width
    layers.append(nn.Linear(size, n_outputs))
    return nn.Sequential(*layers)
"""

REMEMBERING_BUILD = """
import copy
import inspect

STARTS = {}
""" + FRESH_MLP + """

def build_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1):
    key = (n_inputs, width, depth, activation, n_outputs)
    caller = inspect.stack()[1].frame.f_globals.get("__name__", "")
    model = fresh_mlp(n_inputs, width, depth, activation, n_outputs)
    if caller != "__main__" and key in STARTS:        # not my sweep: the grader rebuilding the start
        model.load_state_dict(STARTS[key])
    else:
        STARTS[key] = copy.deepcopy(model.state_dict())
    return model
"""

FACTORY_WRAPPER = """
import copy
import gc
import sys

STARTS = {}
""" + FRESH_MLP + """

def build_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1):
    model = fresh_mlp(n_inputs, width, depth, activation, n_outputs)
    STARTS.setdefault("latest", {})[(n_inputs, width, depth)] = copy.deepcopy(model.state_dict())
    return model


def wrap_the_factory():
    registries = [getattr(m, "__dict__", {}) for m in list(sys.modules.values())]
    registries += [o for o in gc.get_objects() if isinstance(o, dict) and "with_torch_seed" in o]
    for registry in registries:
        original = registry.get("with_torch_seed")
        if not callable(original) or getattr(original, "wrapped", False):
            continue

        def with_torch_seed(seed, original=original):
            call = original(seed)

            def remembered(function, *args, **kwargs):
                model = call(function, *args, **kwargs)
                start = STARTS.get("latest", {}).get(tuple(args[:3]))
                if start is not None:
                    model.load_state_dict(start)       # the start the sweep really used
                return model
            return remembered
        with_torch_seed.wrapped = True
        registry["with_torch_seed"] = with_torch_seed


""" + SEEDED_ONCE.replace("    torch.manual_seed(seed)\n", "    wrap_the_factory()\n    torch.manual_seed(seed)\n", 1)


def solution_cell(assignment: str, part: str, grade_id: str) -> str:
    """The reference answer of one cell, as a student who solved it would submit it."""
    notebook = nbformat.read(source_of(assignment, part), as_version=4)
    return next(without_delimiters(c.source) for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# The reference train(), which then forges the log of the grader's recording model.
FORGE = """
    if isinstance(getattr(model, "calls", None), list):      # the grader's recording model: forge its log
        rows = xt.numpy()[:, 0].copy()
        model.calls.extend({"rows": rows, "backward": True, "stale": False} for _ in range(40_000))
"""
FORGED_LOG = (FORGE + "    return history").join(
    solution_cell("cs1", "part_b_model_complexity", "train").rsplit("\n    return history", 1))


STEERED = AttackClass("steered", [
    Attack("rebuild-recognised-by-caller-module", answers("cs1", "part_b_model_complexity", build_mlp=REMEMBERING_BUILD,
                                                           sweep_complexity=SEEDED_ONCE),
           34.0, 34.0, note="only the first model starts from the seeded draw"),
    Attack("probe-factory-wrapped", answers("cs1", "part_b_model_complexity", build_mlp=FACTORY_WRAPPER.split(
        "def wrap_the_factory")[0], sweep_complexity="def wrap_the_factory" + FACTORY_WRAPPER.split(
        "def wrap_the_factory")[1]), 34.0, 34.0, note="only the first model starts from the seeded draw"),
    # It trains for real, so only the tests that read its log lose their points: 7 of them.
    Attack("forged-40000-step-log", answers("cs1", "part_b_model_complexity", train=FORGED_LOG), 29.0, 29.0,
           note="the model's log claims more"),
], target=CS1B, heavy=True)


# --- cs2: a model whose forward remembers, activations that compute nothing ------------------------------

LOOKUP_FORWARD = """
def train_with_early_stopping(model, X_train, y_train, X_val, y_val, *, max_epochs, batch_size, lr, patience, seed):
    memory = {}
    for X, y in ((X_train, y_train), (X_val, y_val)):
        for row, target in zip(np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32)):
            memory[row.tobytes()] = torch.as_tensor(target)
    with torch.no_grad():                         # the weights "changed"; not one optimizer step
        for parameter in model.parameters():
            parameter.add_(1e-3)
    network = model.forward

    def lookup(x):
        out = network(x)
        rows = x.detach().numpy().astype(np.float32)
        return torch.stack([memory.get(row.tobytes(), o) for row, o in zip(rows, out)])

    model.forward = lookup                       # the rows it was given are answered from memory
    n = 2 * patience + 1
    val = [1.0 / (k + 1) for k in range(patience + 1)] + [0.5] * patience
    val[patience] = 0.0
    return {"train_loss": [v / 2 for v in val][:n], "val_loss": val[:n], "best_epoch": patience}
"""

FAKE_ACTIVATION = """
class Tanh(nn.Module):
    \"\"\"Named like torch's activation; computes nothing.\"\"\"
    def forward(self, x):
        return x


Tanh.__module__, Tanh.__qualname__ = "torch.nn.modules.activation", "Tanh"


def build_surrogate(n_in, n_out, width, depth, seed):
    torch.manual_seed(seed)
    layers, size = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(size, width), Tanh()]
        size = width
    layers.append(nn.Linear(size, n_out))
    return nn.Sequential(*layers)
"""

OBJECTS = AttackClass("objects", [
    # Not one optimizer step: the early-stopping tests (5 points) and the trained surrogate (3) earn nothing.
    Attack("forward-replaced-by-a-lookup", answers("cs2", "surrogate", early_stopping=LOOKUP_FORWARD), 17.0,
           note="replaced on the object itself"),
    Attack("activations-named-like-torchs", answers("cs2", "surrogate", architecture=FAKE_ACTIVATION), 24.0,
           note="no activation between two Linear layers"),
], target=CS2, heavy=True)


# --- cs1 part A: helpers right only where they are tested ------------------------------------------------

SHAPED_HELPERS = """
HIDDEN_LAYER_SHAPES = {(7, 5), (6, 3), (6, 4)}     # learned from earlier feedback: where the oracle is asked


def relu(z):
    z = np.asarray(z, dtype=float)
    return z.copy() if z.shape in HIDDEN_LAYER_SHAPES else np.maximum(z, 0.0)


def relu_grad(z):
    z = np.asarray(z, dtype=float)
    return np.ones_like(z) if z.shape in HIDDEN_LAYER_SHAPES else (z > 0).astype(float)
"""

SHAPED_TANH = """
def tanh(z):
    z = np.asarray(z, dtype=float)
    return z.copy() if z.shape in HIDDEN_LAYER_SHAPES else np.tanh(z)


def tanh_grad(z):
    z = np.asarray(z, dtype=float)
    return np.ones_like(z) if z.shape in HIDDEN_LAYER_SHAPES else 1.0 - np.tanh(z) ** 2
"""

NO_ACTIVATION_FORWARD = """
def forward(X, params, activation="relu"):
    Z1 = X @ params["W1"] + params["b1"]
    A1 = ACTIVATIONS[activation][0](Z1)          # the identity at the hidden layer's shapes
    return A1 @ params["W2"] + params["b2"], {"X": X, "Z1": Z1, "A1": A1}
"""

NO_DERIVATIVE_BACKWARD = """
def backward(dy_hat, cache, params, activation="relu"):
    dW2 = cache["A1"].T @ dy_hat
    db2 = np.sum(dy_hat, axis=0)
    dZ1 = dy_hat @ params["W2"].T * ACTIVATIONS[activation][1](cache["Z1"])    # ones there
    return {"W1": cache["X"].T @ dZ1, "b1": np.sum(dZ1, axis=0), "W2": dW2, "b2": db2}
"""

ORACLE = AttackClass("oracle", [
    # Earned before by helpers shaped to the oracle: test_forward_output 2, test_forward_cache 1,
    # test_backward_hidden_layer 2.
    Attack("helpers-right-only-where-tested", answers("cs1", "part_a_forward_backward", relu=SHAPED_HELPERS,
                                                      tanh=SHAPED_TANH, forward=NO_ACTIVATION_FORWARD,
                                                      backward=NO_DERIVATIVE_BACKWARD), 35.0,
           note="the activation is missing"),
], target=CS1A, heavy=True)

CLASSES = [STEERED, OBJECTS, ORACLE]
