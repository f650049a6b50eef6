"""The labels a notebook shows about grading (points per step, locked test cells, the introduction's
totals), generated from the hidden tests' marks: autograder/admin/step_labels.py."""
from __future__ import annotations

import nbformat
import pytest

from autograder.admin import step_labels
from autograder.grading import runner
from tests.autograder.tiny_assignment import code_cell, solution_block


def two_step_notebook(*, written_points: int | None = None):
    md = nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md("# Two steps\nAn introduction."),
        code_cell("import numpy as np\n", "setup", locked=True),
        md("## 1. ReLU\nWrite `relu(z)`."),
        code_cell(solution_block("def relu(z):\n    return np.maximum(z, 0)\n"), "relu", solution=True),
        code_cell("assert relu(-1) == 0\n", "relu_tests", grade=True, locked=True, points=9),
        md("## 2. Forward\nSome theory first."),
        code_cell("W = np.eye(2)\n", "given", locked=True),
        md("Now write `forward(X)`."),
        code_cell(solution_block("def forward(X):\n    return relu(X @ W)\n"), "forward", solution=True),
        code_cell("assert forward(np.eye(2)).shape == (2, 2)\n", "forward_tests", grade=True, locked=True, points=1),
    ]
    if written_points is not None:
        answer = md("### BEGIN SOLUTION\nRubric: 1 point each\n### END SOLUTION")
        answer.metadata["nbgrader"] = {"grade_id": "why", "grade": True, "solution": True, "locked": False,
                                       "points": written_points, "schema_version": 3}
        nb.cells += [md("**Written question (2 points).** Why?"), answer]
    return nb


def test_points_stand_where_each_step_is_asked_and_test_cells_are_marked():
    nb = step_labels.labelled(two_step_notebook(), {"relu_tests": 3.0, "forward_tests": 1.5})
    sources = [c.source for c in nb.cells]
    assert sources[2].endswith("Write `relu(z)`.\n\n**Autograded: 3 points**")
    assert sources[5] == "## 2. Forward\nSome theory first."          # not where step 2 is asked
    assert sources[7].endswith("\n\n**Autograded: 1.5 points**")
    assert nb.cells[4].source == f"{step_labels.TEST_MARKER}\nassert relu(-1) == 0\n"
    assert [nb.cells[i].metadata["nbgrader"]["points"] for i in (4, 9)] == [3, 1.5]
    assert step_labels.TEST_MARKER not in nb.cells[3].source + nb.cells[1].source   # answers and given code
    assert "**Points:** 4.5, all autograded" in sources[0]
    assert step_labels.RESTART in sources[0] and "Restart & Run All" not in sources[0]


def test_labelling_again_changes_nothing_and_follows_new_marks():
    once = step_labels.labelled(two_step_notebook(), {"relu_tests": 3, "forward_tests": 1})
    assert step_labels.labelled(once, {"relu_tests": 3, "forward_tests": 1}) == once
    changed = step_labels.labelled(once, {"relu_tests": 2, "forward_tests": 1})
    assert changed.cells[2].source.endswith("**Autograded: 2 points**")
    assert changed.cells[2].source.count("Autograded") == 1 and changed.cells[4].source.count("Locked") == 1
    assert "**Points:** 3, all autograded" in changed.cells[0].source
    assert changed.cells[0].source.count("**Points:**") == 1


def test_the_introduction_states_written_points_apart():
    nb = step_labels.labelled(two_step_notebook(written_points=4), {"relu_tests": 3, "forward_tests": 1})
    assert "**Points:** 4 autograded (stated at each step) + 4 for the written answers" in nb.cells[0].source
    assert nb.cells[-1].source.endswith("### END SOLUTION")            # a written answer gets no label
    assert nb.cells[-2].source == "**Written question (2 points).** Why?"


@pytest.mark.parametrize("points, error", [
    ({"relu_tests": 3, "forward_tests": 1, "gone_tests": 1}, "'gone_tests'"),
    ({"relu_tests": 3}, "'forward_tests' have no hidden test"),
])
def test_marks_that_do_not_fit_the_notebook_are_refused(points, error):
    with pytest.raises(step_labels.LabelError, match=error):
        step_labels.labelled(two_step_notebook(), points)


def test_two_steps_asked_in_one_markdown_cell_are_refused():
    nb = two_step_notebook()
    del nb.cells[7]                      # step 2 is then asked in "## 2. Forward",
    del nb.cells[5]                      # and without that cell in "## 1. ReLU", with step 1
    with pytest.raises(step_labels.LabelError, match="one markdown cell"):
        step_labels.labelled(nb, {"relu_tests": 3, "forward_tests": 1})


def test_the_marks_are_read_from_the_hidden_tests_without_running_them(tiny_spec):
    tests = runner.hidden_tests(tiny_spec)
    assert [(t.name, t.cell, t.points) for t in tests] == [
        ("test_relu", "relu_tests", 2.0), ("test_relu_scalar_shape", "relu_tests", 1.0),
        ("test_forward", "forward_tests", 3.0)]
    assert tests[0].description == "relu keeps positive values and zeroes negative ones"
    assert runner.points_by_cell(tiny_spec) == {"relu_tests": 3.0, "forward_tests": 3.0}
