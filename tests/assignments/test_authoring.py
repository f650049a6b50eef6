"""AUTHORING.md's walk-through is true: a throw-away assignment added exactly that way is discovered,
graded and checked by the shared harness, without a line of test code.

The assignment ("tiny", from tests/autograder/tiny_assignment.py) is written into a temporary copy of
the project's layout: assignments/tiny/, autograder/hidden/tiny/ (hidden tests, grading.toml with
limits and a [demo] table, fixtures), solutions/tiny/, tests/assignments/tiny/ (harness.toml). The
environment variables of AUTHORING.md point the engine and the harness there; the harness then runs
in its own pytest process, as `pytest tests/assignments` would run it for a real assignment.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from tests.autograder import tiny_assignment as tiny
from tests.autograder.tiny_assignment import use_config

HARNESS = Path(__file__).parent / "test_harness.py"
PROJECT = Path(__file__).resolve().parents[2]

REFERENCE = tiny.SETUP + tiny.RELU + "\n\n" + tiny.FORWARD
HIDDEN_TESTS = tiny.HIDDEN_TESTS.replace(
    '''def ref_relu(z):
    return np.maximum(z, 0.0)

def ref_forward(X, params):
    return ref_relu(X @ params["W"] + params["b"])
''', "from solutions.tiny.reference import forward as ref_forward, relu as ref_relu\n")
HARNESS_TOML = '''
[notebooks.tiny]
reference = "solutions.tiny.reference"
max_score = 6
repeat = "forward_without_bias"

[notebooks.tiny.fixtures]
min_wrong = 2
min_correct = 1
mistakes = ["forward_without_bias", "forward_forgets_relu"]

[notebooks.tiny.contract]
relu = "z"
forward = "X, params"
'''
FIXTURES = {
    "forward_without_bias.py": '''
        # A forward pass that forgets the bias b.
        # expect-fail: test_forward :: bias b is missing
        # expect-pass: test_relu*
        # %% cell: forward
        def forward(X, params):
            return relu(X @ params['W'])
    ''',
    "forward_forgets_relu.py": '''
        # A forward pass without the activation.
        # expect-fail: test_forward :: forward(X, params)
        # expect-pass: test_relu*
        # %% cell: forward
        def forward(X, params):
            return X @ params['W'] + params['b']
    ''',
    "relu_with_where.py": '''
        # relu written with np.where: a correct alternative.
        # expect: full-marks
        # %% cell: relu
        def relu(z):
            return np.where(z > 0, z, 0.0)
    ''',
}


ANSWERS = {  # the signature stays outside the solution region: it is the contract students see
    "relu": "def relu(z):\n    ### BEGIN SOLUTION\n    return np.maximum(z, 0.0)\n    ### END SOLUTION\n",
    "forward": ("def forward(X, params):\n    ### BEGIN SOLUTION\n"
                "    return relu(X @ params['W'] + params['b'])\n    ### END SOLUTION\n"),
}


def source_notebook():
    """tiny's notebook, answer cells as AUTHORING.md's step 1 asks."""
    nb = tiny.source_notebook()
    for grade_id, source in ANSWERS.items():
        tiny.cell_by_id(nb, grade_id).source = source
    return nb


def add_tiny_assignment(root: Path) -> dict[str, str]:
    """Every file AUTHORING.md asks for, in a project-shaped folder; returns the environment to find them."""
    source, hidden = root / "assignments" / "tiny", root / "autograder" / "hidden" / "tiny"
    reference, declarations = root / "solutions" / "tiny", root / "tests" / "assignments" / "tiny"
    for folder in (source, hidden / "fixtures" / "tiny", reference, declarations):
        folder.mkdir(parents=True)
    nbformat.write(source_notebook(), source / "tiny.ipynb")
    (hidden / "test_tiny.py").write_text(HIDDEN_TESTS)
    (hidden / "grading.toml").write_text(
        "[defaults]\n" + "".join(f"{k} = {v}\n" for k, v in tiny.FAST_SETTINGS.items())
        + '\n[demo]\nstudents = ["ada", "cleo"]\n')
    (reference / "__init__.py").write_text("")    # solutions/ itself has none: the project's package is extended
    (reference / "reference.py").write_text(REFERENCE)
    (declarations / "harness.toml").write_text(HARNESS_TOML)
    for name, text in FIXTURES.items():
        (hidden / "fixtures" / "tiny" / name).write_text(textwrap.dedent(text).lstrip())
    return {"LEARNATHON_ASSIGNMENTS_DIR": str(root / "assignments"),
            "LEARNATHON_HIDDEN_TESTS_DIR": str(root / "autograder" / "hidden"),
            "LEARNATHON_ASSIGNMENT_TESTS_DIR": str(root / "tests" / "assignments"),
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}


def run_harness(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", str(HARNESS), "-v", "-p", "no:cacheprovider",
                           "-m", "not e2e", "-W", "ignore::pytest.PytestRemovedIn10Warning", *args],
                          cwd=PROJECT, env={**os.environ, **env, "LEARNATHON_TEST_JOBS": "2"},
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    return add_tiny_assignment(tmp_path_factory.mktemp("course"))


def test_a_new_assignment_is_discovered_graded_and_harness_tested(tiny_project):
    result = run_harness(tiny_project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = [line for line in result.stdout.splitlines() if " PASSED" in line]
    # Only the new assignment is there, and every check of the harness ran on it.
    assert passed and all("[tiny/tiny" in line for line in passed), result.stdout[-3000:]
    for check in ("test_source_notebook_scores_full_marks", "test_student_version_scores_zero_without_crashing",
                  "test_fixture_behaves_as_expected[tiny/tiny/forward_without_bias]",
                  "test_fixture_behaves_as_expected[tiny/tiny/relu_with_where]",
                  "test_wrong_fixture_fails_only_where_expected[tiny/tiny/forward_forgets_relu]",
                  "test_grading_is_reproducible", "test_visible_points_equal_hidden_points",
                  "test_student_version_states_every_signature", "test_notebook_is_clean_nbgrader_source"):
        assert any(check in line for line in passed), f"{check} did not pass:\n{result.stdout[-3000:]}"


def test_the_harness_fails_a_wrong_declaration(tiny_project, tmp_path):
    """The same run with a declared maximum the hidden tests do not give: the harness says so."""
    wrong = tmp_path / "assignments"
    (wrong / "tiny").mkdir(parents=True)
    (wrong / "tiny" / "harness.toml").write_text(HARNESS_TOML.replace("max_score = 6", "max_score = 7"))
    result = run_harness({**tiny_project, "LEARNATHON_ASSIGNMENT_TESTS_DIR": str(wrong)},
                         "-k", "test_source_notebook_scores_full_marks")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAILED" in result.stdout and "7" in result.stdout


def tiny_roots_of(environment) -> dict[str, Path]:
    """The roots of the written project, as the configuration holds them (the `learnathon` command reads
    them from this environment)."""
    return {"assignments_root": Path(environment["LEARNATHON_ASSIGNMENTS_DIR"]),
            "hidden_root": Path(environment["LEARNATHON_HIDDEN_TESTS_DIR"])}


def test_the_demo_class_is_declared_by_the_assignment(tiny_project, monkeypatch):
    from autograder.admin import demo
    from autograder.grading import discovery

    use_config(monkeypatch, **tiny_roots_of(tiny_project))
    assert discovery.available() == ["tiny"]
    assert demo.demo_class(discovery.load("tiny")) == ("ada", "cleo")


def test_an_unknown_demo_student_is_named(tiny_project, monkeypatch):
    from autograder.admin import demo
    from autograder.grading import discovery

    use_config(monkeypatch, **tiny_roots_of(tiny_project))
    broken = discovery.load("tiny")
    broken = type(broken)(broken.name, broken.source_dir, broken.notebooks, broken.files, {"students": ["zed"]})
    with pytest.raises(demo.DemoError, match="zed"):
        demo.demo_class(broken)
