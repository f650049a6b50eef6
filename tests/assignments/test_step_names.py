"""`check`, `grade` and the feedback name and count the same steps, for every assignment (through discovery).

A student reads "FAIL 1b. Leaky ReLU (leaky_relu, leaky_relu_grad)" in `learnathon check` and finds
the same line, with the hidden checks under it, in the feedback: one step per visible-test cell,
named from the notebook (autograder/grading/steps.py).
"""
from __future__ import annotations

import re

import nbformat
import pytest
from support import student_version

from autograder.grading import discovery, runner
from autograder.grading.steps import outline_of, outline_of_notebook
from autograder.intake.notebook import plan_cells

SPECS = [spec for name in discovery.available() for spec in discovery.load(name).notebooks]
IDS = [f"{s.assignment}/{s.name}" for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_the_student_version_names_the_same_steps_as_the_source(spec, tmp_path):
    released = student_version(spec.source, tmp_path / spec.filename)
    seen_by_check = outline_of(nbformat.read(released, as_version=4).cells)
    graded = outline_of_notebook(spec.source)
    assert seen_by_check.titles() == graded.titles()
    assert list(seen_by_check.titles()) == list(graded.titles())       # in the same order
    assert len(set(graded.titles().values())) == len(graded.steps), "two steps share a name"
    tests = [c for c in plan_cells(released, released) if c.role == "test"]
    assert [c.grade_id for c in tests] == [s.grade_id for s in graded.steps]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_hidden_test_belongs_to_a_step_and_every_step_has_hidden_tests(spec):
    cells = {t.name: t.cell for t in runner.hidden_tests(spec)}
    steps = {s.grade_id for s in outline_of_notebook(spec.source).steps}
    assert {n: c for n, c in cells.items() if c not in steps} == {}, "hidden tests marked for no step"
    assert steps - set(cells.values()) == set(), "steps without hidden tests"


@pytest.mark.e2e
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_check_and_grade_print_the_same_steps_for_the_released_notebook(spec, tmp_path):
    from autograder.grading.visible import check_notebook
    from autograder.results.render import render_text

    released = student_version(spec.source, tmp_path / spec.filename)
    checked = check_notebook(released).render().splitlines()
    graded = render_text(runner.grade_notebook(spec, released)).splitlines()
    titles = list(outline_of_notebook(spec.source).titles().values())
    check_lines = [line[len("  FAIL  "):] for line in checked if re.match(r"  (PASS|FAIL)  ", line)]
    grade_lines = [re.sub(r"^  (PASS|FAIL) +[\d.]+/[\d.]+  ", "", line) for line in graded
                   if re.match(r"  (PASS|FAIL) ", line)]
    assert grade_lines == titles
    assert len(check_lines) == len(titles)
    for line, title in zip(check_lines, titles, strict=True):
        assert line == title or line.startswith(f"{title}: "), (line, title)
    assert f"0 of {len(titles)} steps pass" in checked[0] and f"0 of {len(titles)} steps with full marks" in graded[0]
