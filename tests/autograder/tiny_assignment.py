"""A tiny nbgrader assignment built in a temporary folder, for testing the grading engine.

The product's assignments live in ``assignments/``; the engine's tests must not depend on them.
``tiny`` has one notebook, ``tiny.ipynb``: a locked setup cell, two answers (``relu`` and
``forward``) with their visible-test cells, and a slow demonstration cell tagged
``learnathon:skip-when-grading``. Its hidden tests are worth 2 + 1 + 3 = 6 points.
"""
from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder.grading.discovery import NotebookSpec

NAME = "tiny"
PART = "tiny"
SKIP_TAG = "learnathon:skip-when-grading"

# Small limits keep hostile submissions fast to grade; numpy needs a few hundred MB of address space.
FAST_SETTINGS = {"cell_timeout": 3, "call_timeout": 3, "total_timeout": 60, "max_restarts": 4,
                 "memory_mb": 1024, "max_processes": 32, "max_file_mb": 8, "max_open_files": 64,
                 "cpu_seconds": 30, "call_budget": 6.5}
# Its notebooks (the red-team corpus too) import torch and pandas: the warm sandbox preloads them,
# as a real assignment declares in its grading.toml ([sandbox] preload).
PRELOAD = ("torch", "pandas")

SETUP = "import numpy as np\nSCALE = 2.0\n"
RELU = "def relu(z):\n    return np.maximum(z, 0.0)\n"
FORWARD = ("def forward(X, params):\n"
           "    return relu(X @ params['W'] + params['b'])\n")
RELU_TESTS = "assert np.allclose(relu(np.array([-1.0, 2.0])), [0.0, 2.0])\n"
FORWARD_TESTS = ("_p = {'W': np.eye(2), 'b': np.zeros(2)}\n"
                 "assert np.allclose(forward(np.array([[1.0, -1.0]]), _p), [[1.0, 0.0]])\n")
DEMO = "import time\ntime.sleep(600)  # a long training run, shown in class only\n"

HIDDEN_TESTS = textwrap.dedent('''
    """Hidden tests of the tiny assignment."""
    import numpy as np
    import pytest

    from autograder.grading.testing import as_array, expect_array

    def ref_relu(z):
        return np.maximum(z, 0.0)

    def ref_forward(X, params):
        return ref_relu(X @ params["W"] + params["b"])

    def inputs(rng):
        X = rng.normal(size=(5, 3))
        return X, {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}

    @pytest.mark.points(2)
    @pytest.mark.cell("relu_tests")
    def test_relu(student, rng):
        """relu keeps positive values and zeroes negative ones"""
        z = rng.normal(size=(6, 4))
        expect_array(student.relu(z), ref_relu(z), name="relu(z)",
                     mistakes={"negative values should become 0, not stay negative": z,
                               "the positive part should be kept, not zeroed": np.minimum(z, 0.0)})

    @pytest.mark.points(1)
    @pytest.mark.cell("relu_tests")
    def test_relu_scalar_shape(student):
        """relu of a column keeps its shape"""
        z = np.array([[-3.0], [0.5], [2.0]])
        expect_array(student.relu(z), ref_relu(z), name="relu(column)")

    @pytest.mark.points(3)
    @pytest.mark.cell("forward_tests")
    def test_forward(student, rng, credit):
        """forward computes relu(X W + b)"""
        X, params = inputs(rng)
        expected = ref_forward(X, params)
        got = as_array(student.forward(X, params), name="forward(X, params)")
        if got.shape == expected.shape:
            credit.award(1 / 3)
        expect_array(got, expected, name="forward(X, params)",
                     mistakes={"the bias b is missing": ref_relu(X @ params["W"])})
''').lstrip()


def code_cell(source: str, grade_id: str | None = None, *, solution=False, grade=False, locked=False,
              points: int | None = None, tags: tuple[str, ...] = ()):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id is not None:
        meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
                "schema_version": 3}
        if points is not None:
            meta["points"] = points
        cell.metadata["nbgrader"] = meta
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def solution_block(body: str) -> str:
    return f"### BEGIN SOLUTION\n{body}### END SOLUTION\n"


def source_notebook(*, relu: str = RELU, forward: str = FORWARD, nbgrader_markers: bool = True):
    """The instructor's notebook; with ``nbgrader_markers`` the answers are wrapped for nbgrader."""
    wrap = solution_block if nbgrader_markers else (lambda s: s)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny\nA rectified linear unit and a one-layer forward pass."),
        code_cell(SETUP, "setup", locked=True),
        code_cell(wrap(relu), "relu", solution=True),
        code_cell(RELU_TESTS, "relu_tests", grade=True, locked=True, points=3),
        code_cell(wrap(forward), "forward", solution=True),
        code_cell(FORWARD_TESTS, "forward_tests", grade=True, locked=True, points=3),
        code_cell(DEMO, "demo", locked=True, tags=(SKIP_TAG,)),
    ]
    return nb


def write_assignment(source_root: Path, hidden_root: Path, *, name: str = NAME,
                     settings: dict | None = None, tests: str = HIDDEN_TESTS) -> None:
    """The assignment as ``autograder.grading.discovery.load`` expects it: source notebook + hidden tests."""
    (source_root / name).mkdir(parents=True, exist_ok=True)
    (hidden_root / name).mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), source_root / name / f"{PART}.ipynb")
    (hidden_root / name / f"test_{PART}.py").write_text(tests)
    values = {**FAST_SETTINGS, **(settings or {})}
    toml = "[defaults]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
    toml += "[sandbox]\npreload = [" + ", ".join(f'"{name}"' for name in PRELOAD) + "]\n"
    (hidden_root / name / "grading.toml").write_text(toml)


def make_spec(root: Path, *, settings: dict | None = None, tests: str = HIDDEN_TESTS,
              files: tuple[Path, ...] = ()) -> NotebookSpec:
    """A NotebookSpec for the tiny notebook, written under ``root`` (source + hidden tests)."""
    root.mkdir(parents=True, exist_ok=True)
    source = root / "source" / f"{PART}.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), source)
    hidden = root / "hidden" / f"test_{PART}.py"
    hidden.parent.mkdir(parents=True, exist_ok=True)
    hidden.write_text(tests)
    return NotebookSpec(NAME, PART, source, hidden, files, {**FAST_SETTINGS, **(settings or {})}, PRELOAD, PRELOAD)


def submission(path: Path, *, relu: str | None = RELU, forward: str | None = FORWARD,
               extra_cells: list | None = None, edit=None) -> Path:
    """A student's submission: the source notebook with the given answers (no nbgrader markers).

    ``relu``/``forward`` replace those answer cells; ``extra_cells`` (code strings or cells) are
    appended; ``edit(nb)`` may change the notebook further before it is written.
    """
    nb = source_notebook(relu=relu or "", forward=forward or "", nbgrader_markers=False)
    for extra in extra_cells or []:
        nb.cells.append(nbformat.v4.new_code_cell(extra) if isinstance(extra, str) else extra)
    if edit is not None:
        edit(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def cell_by_id(nb, grade_id: str):
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


# --- fixtures: this module is a pytest plugin of the whole suite (tests/conftest.py) ---------------

@pytest.fixture(scope="session")
def tiny_spec(tmp_path_factory):
    """A NotebookSpec for the tiny notebook with fast limits (source and hidden tests in tmp)."""
    return make_spec(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_roots(tmp_path_factory):
    """Source and hidden roots holding only the tiny assignment (one pair per run)."""
    base = tmp_path_factory.mktemp("registry")
    roots = base / "assignments", base / "hidden"
    write_assignment(*roots)
    return roots


def use_config(patch, **changes):
    """The run's configuration (autograder/config.py) with ``changes``, until ``patch`` is undone."""
    from autograder import config

    patch.setattr(config, "_current", dataclasses.replace(config.current(), **changes))


def start_sandboxes(patch, *, cold: bool):
    """Sandboxes started afresh (``cold``) or forked from warm zygotes: in this process's configuration
    and in the environment a `learnathon` command started from here reads (until ``patch`` is undone)."""
    use_config(patch, cold_start=cold)
    if cold:
        patch.setenv("LEARNATHON_COLD_START", "1")
    else:
        patch.delenv("LEARNATHON_COLD_START", raising=False)


def register(monkeypatch, roots):
    import autograder.grading.discovery as discovery

    use_config(monkeypatch, assignments_root=roots[0], hidden_root=roots[1])
    # The `learnathon` command configures the run from the environment when it starts (config.py).
    monkeypatch.setenv("LEARNATHON_ASSIGNMENTS_DIR", str(roots[0]))
    monkeypatch.setenv("LEARNATHON_HIDDEN_TESTS_DIR", str(roots[1]))
    return discovery.load(NAME)


@pytest.fixture
def registered_tiny(tiny_roots, monkeypatch):
    """The tiny assignment registered under the name "tiny", as `autograder.grading.discovery.load` finds it."""
    return register(monkeypatch, tiny_roots)


@pytest.fixture
def cold_start(monkeypatch):
    """Start each sandbox afresh instead of forking it from a warm zygote.

    A zygote costs several seconds to start and is kept per slot and list of hidden folders;
    tests that open only a few sessions with their own hidden folders are faster without it.
    The red-team corpus, the session and sandbox tests, and the e2e class runs use zygotes.
    """
    start_sandboxes(monkeypatch, cold=True)


@pytest.fixture(scope="module")
def module_registered_tiny(tiny_roots):
    with pytest.MonkeyPatch.context() as patch:
        yield register(patch, tiny_roots)
