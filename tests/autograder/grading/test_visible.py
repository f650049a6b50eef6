"""`learnathon check` (autograder/grading/visible.py): one line per step, named and counted as `grade` names them."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from autograder.cli import main
from tests.autograder import tiny_assignment as tiny

NEGATED = "def forward(X, params):\n    return -relu(X @ params['W'] + params['b'])\n"


def step_lines(output: str) -> list[tuple[str, str]]:
    """(PASS or FAIL, step name) of every step line of `check` or `grade`."""
    found = []
    for line in output.splitlines():
        match = re.match(r"^  (PASS|FAIL) +(?:[\d.]+/[\d.]+  )?(.+?)(?:: .*)?$", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


@pytest.mark.usefixtures("registered_tiny")
def test_check_and_grade_name_and_count_the_same_steps(tmp_path):
    path = tiny.submission(tmp_path / f"{tiny.PART}.ipynb", forward=NEGATED)
    checked = CliRunner().invoke(main, ["check", str(path)])
    graded = CliRunner().invoke(main, ["grade", str(path), "--assignment", tiny.NAME])
    assert checked.exit_code == 1 and graded.exit_code == 0, checked.output + graded.output
    assert step_lines(checked.output) == step_lines(graded.output) == [("PASS", "Tiny (relu)"),
                                                                        ("FAIL", "Tiny (forward)")]
    assert "1 of 2 steps pass their visible tests" in checked.output
    assert "1 of 2 steps with full marks" in graded.output
    assert "- test_forward: forward(X, params): " in graded.output


@pytest.mark.usefixtures("registered_tiny")
def test_a_step_named_by_the_student_s_own_notebook_is_printed_safely(tmp_path):
    """`check` names steps from the notebook it is given: a heading with control characters stays one line."""
    def hostile_heading(nb):
        nb.cells[0].source = "# Tiny\x1b[2J\x07 heading\nA rectified linear unit."

    path = tiny.submission(tmp_path / f"{tiny.PART}.ipynb", edit=hostile_heading)
    checked = CliRunner().invoke(main, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "\x1b" not in checked.output and "\x07" not in checked.output
    assert len(step_lines(checked.output)) == 2
