"""Contract variants (autograder/audit/variants.py): correct answers written another way the text allows."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.audit import FailedCell, Graded, Job, review
from autograder.audit import variants as v
from autograder.audit.report import judge_variants

CELL = '''def relu(z):
    """max(0, z)."""
    ### BEGIN SOLUTION
    return np.maximum(z, 0.0)
    ### END SOLUTION


def loss(y_hat, y):
    ### BEGIN SOLUTION
    return float(np.mean((y_hat - y) ** 2))
    ### END SOLUTION


def forward(x):
    ### BEGIN SOLUTION
    h = relu(x)
    return {"h": h, "out": h.sum(axis=1)}
    ### END SOLUTION


def readout(cache):
    ### BEGIN SOLUTION
    return cache["h"].shape
    ### END SOLUTION
'''


def cell_namespace(function: str, kind: str) -> dict:
    namespace = {"np": np}
    exec(compile(v.registered(v.wrapped(CELL, function, kind)), "cell", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("kind, expected", [("tensor", torch.Tensor), ("list", list)])
def test_a_return_variant_converts_for_outside_callers_only(kind, expected):
    ns = cell_namespace("relu", kind)
    z = np.array([[-1.0, 2.0]])
    assert isinstance(ns["relu"](z), expected)               # a visible test, a demo, the grader
    out = ns["forward"](z)                                   # the notebook's own forward calls relu
    assert isinstance(out["h"], np.ndarray) and out["out"].tolist() == [2.0]
    assert np.array_equal(np.asarray(ns["relu"](z)), [[0.0, 2.0]])


def test_a_converted_result_handed_to_another_answer_comes_back_as_it_was():
    ns = cell_namespace("forward", "list")
    cache = ns["forward"](np.array([[-1.0, 2.0], [3.0, -4.0]]))
    assert isinstance(cache["h"], list)                      # what a visible test sees
    assert ns["readout"](cache) == (2, 2)                    # the student's own readout understands it
    assert ns["readout"]({"h": np.zeros((1, 3))}) == (1, 3)  # other inputs pass unchanged


def test_0d_and_float32_variants():
    ns = cell_namespace("loss", "0-d")
    got = ns["loss"](np.ones(3), np.zeros(3))
    assert isinstance(got, torch.Tensor) and got.ndim == 0 and float(got) == 1.0 and got.dtype == torch.float64
    ns = cell_namespace("relu", "float32")
    assert ns["relu"](np.array([-1.0, 2.5])).dtype == np.float32
    assert ns["forward"](np.array([[1.0]]))["h"].dtype == np.float32   # float32 everywhere, as such a student's


TRAIN = '''def train(model, x, y, epochs, batch):
    ### BEGIN SOLUTION
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.MSELoss()
    losses = []
    for _ in range(epochs):
        for idx in torch.arange(len(x)).split(batch):
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])   # forward
            loss.backward()
            opt.step()
        losses.append(float(loss.detach()))
    return losses
    ### END SOLUTION
'''


def trained(source: str):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(10, 3, generator=gen), torch.randn(10, 1, generator=gen)
    namespace = {"torch": torch}
    exec(compile(source, "cell", "exec"), namespace)
    losses = namespace["train"](model, x, y, 5, 4)
    return losses, torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def test_chunked_accumulation_trains_the_same_weights_with_one_step_per_batch():
    ((source, description),) = v.chunked(TRAIN, "train")
    assert "two chunks" in description and source.count("opt.step()") == 1
    assert "_lav_part.backward()" in source and "loss = loss_fn(model(x[idx]), y[idx])" not in source
    original_losses, original = trained(TRAIN)
    chunked_losses, weights = trained(source)
    assert torch.allclose(weights, original, atol=1e-6)
    assert not torch.allclose(weights, trained(TRAIN.replace("lr=0.1", "lr=0.2"))[1], atol=1e-3)   # it can fail
    assert np.allclose(chunked_losses, original_losses, atol=1e-6)


def test_no_chunking_where_the_loss_does_not_come_from_the_batch():
    cell = ("def fit(w):\n    ### BEGIN SOLUTION\n    for _ in range(3):\n        loss = (w ** 2).sum()\n"
            "        loss.backward()\n    return w\n    ### END SOLUTION\n")
    assert list(v.chunked(cell, "fit")) == []


def test_only_independent_statements_are_swapped():
    cell = ("def f(x, y, model, seed):\n    ### BEGIN SOLUTION\n    a = np.asarray(x)\n    q = np.linalg.norm(y)\n"
            "    c = a + q\n    torch.manual_seed(seed)\n    net = Net()\n    model.fit(a)\n    d = model.predict(a)\n"
            "    return c, d, net\n    ### END SOLUTION\n")
    swaps = [what for _, what in v.reordered(cell, "f", frozenset({"np", "torch"}))]
    # the seed is never moved past a call that may draw random numbers, nor a model's fit past its predict
    assert swaps == ["swapped `a = np.asarray(x)` and `q = np.linalg.norm(y)`",
                     "swapped `c = a + q` and `torch.manual_seed(seed)`"]
    # without knowing that np is a module, np.linalg.norm(y) might change np: a stays first
    assert [what for _, what in v.reordered(cell, "f")] == swaps[1:]
    for source, _ in v.reordered(cell, "f", frozenset({"np", "torch"})):
        compile(source, "variant", "exec")
        assert source.count("\n") == cell.count("\n")


def test_declarations_are_read_and_their_text_must_be_in_the_notebook(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text('[[variant]]\nnotebook = "nb"\nkind = "tensor"\nfunctions = ["*"]\nexclude = ["build"]\n'
                    'text = "may return **torch tensors**"\n')
    (declaration,) = review.load(path).variants
    assert declaration.covers("nb", "relu") and not declaration.covers("nb", "build")
    assert not declaration.covers("other", "relu")
    assert v.stated(declaration, "Your functions *may return* torch   tensors or lists")
    assert not v.stated(declaration, "Your functions must return NumPy arrays")
    path.write_text('[[variant]]\nnotebook = "nb"\nkind = "complex"\nfunctions = ["*"]\ntext = "x"\n')
    with pytest.raises(review.ReviewError, match="unknown kind"):
        review.load(path)
    path.write_text('[[variant]]\nnotebook = "nb"\nkind = "list"\nfunctions = ["*"]\n')
    with pytest.raises(review.ReviewError, match="text"):
        review.load(path)


def graded(kind, points=None, *, variant=None, cells=(), demos=True, error=None):
    job = Job("nb", kind, kind, f"/tmp/{kind}-{id(points)}-{id(cells)}", None, (variant,) if variant else (),
              demos=demos)
    return Graded(job, points or {}, error, tuple(cells))


def test_judging_variants_against_the_source_notebook_s_own_run():
    listed, strict, fine = (v.Variant("relu", "list", "relu", "returns lists"),
                            v.Variant("loss", "0-d", "loss", "returns 0-d tensors"),
                            v.Variant("relu", "tensor", "relu", "returns torch tensors"))
    broken_demo = FailedCell("cell 9", "demonstration", "ValueError: the demo is broken anyway\nmore")
    by_kind = {
        "variant": [graded("variant", {"test_a": (0.0, 2.0), "test_b": (1.0, 1.0)}, variant=listed),
                    graded("variant", {"test_a": (2.0, 2.0)}, variant=strict),
                    graded("variant", {"test_a": (2.0, 2.0)}, variant=fine)],
        "run": [graded("run", cells=[broken_demo]),
                graded("run", variant=strict, cells=[FailedCell("test_loss", "visible test",
                                                                "AssertionError: should return a single number"),
                                                     broken_demo]),
                graded("run", variant=fine, cells=[broken_demo])],
    }
    ok, findings, source_failures = judge_variants(by_kind)
    assert ok == 1
    assert findings == [
        {"function": "relu", "kind": "list", "variant": "returns lists", "where": "hidden tests",
         "what": "loses 2 points (test_a 0/2)"},
        {"function": "loss", "kind": "0-d", "variant": "returns 0-d tensors", "where": "visible test",
         "what": "test_loss: AssertionError: should return a single number"}]
    assert source_failures == [{"cell": "cell 9", "role": "demonstration",
                                "error": "ValueError: the demo is broken anyway"}]


# --- the whole audit, on the tiny assignment: a variant the text allows and a test stricter than the text ---

STRICT = '''

@pytest.mark.points(1)
@pytest.mark.cell("relu_tests")
def test_relu_returns_an_array(student):
    """relu returns a NumPy array"""
    assert isinstance(student.relu(np.array([-1.0, 1.0])), np.ndarray), "relu must return a NumPy array"
'''


def test_the_audit_reports_a_variant_the_text_allows_that_loses_points(tmp_path, monkeypatch):
    import nbformat

    from autograder.audit import audit
    from tests.autograder import tiny_assignment as tiny

    roots = tmp_path / "assignments", tmp_path / "hidden"
    tiny.write_assignment(*roots, tests=tiny.HIDDEN_TESTS + STRICT)
    source = roots[0] / tiny.NAME / f"{tiny.PART}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source += "\n\nYour functions may return **NumPy arrays or lists**."
    # the released stubs keep their def lines (the audit varies the functions a student writes)
    nb.cells[2].source = "def relu(z):\n    ### BEGIN SOLUTION\n    return np.maximum(z, 0.0)\n    ### END SOLUTION\n"
    nb.cells[3].metadata["nbgrader"]["points"] = 4        # the visible-test cell of relu: 2 + 1 + 1 points
    nbformat.write(nb, source)
    (roots[1] / tiny.NAME / "audit.toml").write_text(
        '[[variant]]\nnotebook = "tiny"\nkind = "list"\nfunctions = ["relu"]\n'
        'text = "Your functions may return NumPy arrays or lists"\n'
        '[[variant]]\nnotebook = "tiny"\nkind = "tensor"\nfunctions = ["*"]\ntext = "may return torch tensors"\n')
    tiny.register(monkeypatch, roots)
    (result,) = audit(tiny.NAME, seeds=1, jobs=1)
    assert result.variants_total == 1 and result.variants_ok == 0        # the tensor entry is not in the text
    assert result.variant_findings == [{"function": "relu", "kind": "list", "variant": "returns lists",
                                        "where": "hidden tests",
                                        "what": "loses 1 point (test_relu_returns_an_array 0/1)"}]
    assert any("may return torch tensors" in s for s in result.stale_review)
    assert any("contract variant" in m for m in result.missed())
