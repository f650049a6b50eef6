"""Steps: one per visible-test cell, named from the notebook (autograder/grading/steps.py)."""
from __future__ import annotations

import nbformat

from autograder.grading import steps
from tests.autograder.tiny_assignment import code_cell, solution_block


def cells():
    md = nbformat.v4.new_markdown_cell
    return [
        md("# Title\n```\n# not a heading\n```"),
        code_cell("import numpy as np\n", "setup", locked=True),
        md("## 1. Activations\n### 1a. ReLU\nWrite `relu`."),
        code_cell(solution_block("def relu(z):\n    return z\n\ndef relu_grad(z):\n    return 1\n"), "relu",
                  solution=True),
        code_cell("assert relu(1) == 1\n", "test_relu", grade=True, locked=True, points=2),
        md("More text, no heading."),
        code_cell("rates = {'low': None}\n_helper = 1\n", "rates", solution=True),
        code_cell("assert rates\n", "test_rates", grade=True, locked=True, points=1),
        md("## Written question"),
        md("### BEGIN SOLUTION\n# Rubric\n### END SOLUTION"),
        code_cell("assert True\n", "test_orphan", grade=True, locked=True, points=0.5),
    ]


def with_written(cell_list):
    cell_list[9].metadata["nbgrader"] = {"grade_id": "why", "grade": True, "solution": True, "points": 3,
                                         "schema_version": 3}
    return cell_list


def test_a_step_is_named_by_its_section_and_what_it_asks_for():
    found = steps.steps_of(with_written(cells()))
    assert [s.grade_id for s in found] == ["test_relu", "test_rates", "test_orphan"]
    assert found[0].title == "1a. ReLU (relu, relu_grad)" and found[0].points == 2
    assert found[1].title == "1a. ReLU (rates)"                   # private names are not asked for
    assert found[2].title == "Written question" and found[2].asks == ()   # the rubric's "# Rubric" is no heading
    assert found[0].anchor == "1a.-ReLU"


def test_an_outline_counts_written_answers_apart():
    outline = steps.outline_of(with_written(cells()))
    assert outline.written_points == 3 and len(outline.steps) == 3
    assert steps.outline_of(cells()).written_points == 0
    assert outline.titles()["test_rates"] == "1a. ReLU (rates)"


def test_hostile_cells_do_not_break_the_outline():
    """A student's notebook (``check``) may hold anything: metadata of the wrong type, broken code."""
    odd = [{"cell_type": "code", "source": "def (", "metadata": {"nbgrader": {"solution": True}}},
           {"cell_type": "code", "source": "x", "metadata": {"nbgrader": {"grade": True, "grade_id": 7}}},
           {"cell_type": "code", "source": "x", "metadata": {"nbgrader": "grade"}},
           {"cell_type": "code", "source": "x", "metadata": {"nbgrader": {"grade": True, "grade_id": "t",
                                                                          "points": "many"}}}]
    assert steps.steps_of(odd) == [steps.Step("t", "", (), 0.0)]
    assert steps.steps_of(odd)[0].title == "t"
