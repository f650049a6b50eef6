"""No free points: the slide's numbers typed into an otherwise untouched part A earn nothing.

The lecture example is graded by running the student's own worked_example on hidden weights as
well as on the slide's, so constants (the slide's z1 = 1, z2 = 43, z3 = -50, ReLU output 0) typed
into the released notebook must not earn a single point.
"""
from __future__ import annotations

import nbformat

from autograder.grading import discovery as assignments
from autograder.grading import runner
from tests.support import student_version

TYPED = '''def worked_example(X, params):
    return {"z1": 1.0, "z2": 43.0, "z3": -50.0, "y_hat_relu_output": 0.0}


z1, z2, z3, y_hat_relu_output = 1.0, 43.0, -50.0, 0.0
'''


def test_typing_the_slides_numbers_into_the_released_part_a_earns_nothing(tmp_path):
    spec = assignments.load("cs1").notebook("part_a_forward_backward.ipynb")
    path = student_version(spec.source, tmp_path / spec.filename)
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lecture_example"]
    assert len(cells) == 1
    cells[0].source = TYPED
    nbformat.write(nb, path)
    report = runner.grade_notebook(spec, path)
    lecture = [t for t in report.tests if t.cell == "test_lecture_example"]
    assert lecture and all(t.points == 0 for t in lecture), [t.to_dict() for t in lecture]
    assert "instead of typing it in" in lecture[0].message
    assert report.score == 0, [t.to_dict() for t in report.tests if t.points]
