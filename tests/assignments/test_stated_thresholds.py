"""Pass marks: the number a hidden test applies is the number the notebook states and checks visibly.

Each hidden test module declares ``STATED_THRESHOLDS = {CONSTANT: {"value", "check", "text"}}``:
the module constant the tests use, its value, the grade_id of the notebook cell that checks the same
pass mark where students can see it, and the text of the number as the notebook writes it. A
student who passes every visible check must not lose points to a stricter hidden number.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.grading import discovery as assignments

ROOT = Path(__file__).resolve().parents[2]

# Module constants that are pass marks by their name: each must be declared (and so stated).
PASS_MARK_NAME = re.compile(r"(THRESHOLD|PASS_MARK|MAX_LOSS|MIN_SCORE|MAX_ERROR)")


def notebooks():
    return [spec for name in assignments.available() for spec in assignments.load(name).notebooks]


def section_text(nb, check_id: str) -> tuple[str, str]:
    """(markdown of the section that sets the task, source of the checking cell)."""
    cells = nb.cells
    at = next((i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == check_id), None)
    assert at is not None, f"the notebook has no cell {check_id!r}"
    start = at
    while start > 0 and not (cells[start - 1].cell_type == "markdown" and cells[start - 1].source.startswith("#")):
        start -= 1
    markdown = "\n".join(c.source for c in cells[max(0, start - 1):at] if c.cell_type == "markdown")
    return markdown, cells[at].source


def problems(spec, module, nb) -> list[str]:
    """Where the hidden pass marks and the notebook disagree, as readable lines."""
    if not hasattr(module, "STATED_THRESHOLDS"):
        return [f"{spec.tests.name} declares no STATED_THRESHOLDS (use {{}} when its tests apply no pass mark)"]
    declared = module.STATED_THRESHOLDS
    found = [f"{spec.tests.name}: pass mark {n} is not in STATED_THRESHOLDS" for n in vars(module)
             if n.isupper() and PASS_MARK_NAME.search(n) and n not in declared and isinstance(getattr(module, n),
                                                                                              (int, float))]
    for constant, entry in declared.items():
        if getattr(module, constant, None) != entry["value"] or float(entry["text"]) != float(entry["value"]):
            found.append(f"{constant} = {getattr(module, constant, None)}, declared {entry['value']} ({entry['text']})")
        markdown, check = section_text(nb, entry["check"])
        number = re.compile(rf"(?<![\d.]){re.escape(entry['text'])}(?![\d])")
        if not number.search(markdown):
            found.append(f"{spec.name}: the section that sets the task of {entry['check']!r} does not state "
                         f"{entry['text']}")
        if not number.search(check):
            found.append(f"{spec.name}: the visible check {entry['check']!r} does not apply {entry['text']}")
    return found


@pytest.mark.parametrize("spec", notebooks(), ids=lambda s: f"{s.assignment}/{s.name}")
def test_hidden_pass_marks_are_stated_and_checked_in_the_notebook(spec):
    assert problems(spec, spec.tests_module(), nbformat.read(spec.source, as_version=4)) == []


def test_a_contradicting_notebook_is_caught():
    """The check can fail: cs2's notebook with its old visible pass mark (R^2 > 0.9), and unstated in the text."""
    spec = assignments.load("cs2").notebook("surrogate.ipynb")
    nb = nbformat.read(spec.source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_surrogate":
            cell.source = cell.source.replace("0.95", "0.9")
        elif cell.cell_type == "markdown":
            cell.source = cell.source.replace("0.95", "a high value")
    found = problems(spec, spec.tests_module(), nb)
    assert any("does not state 0.95" in p for p in found) and any("does not apply 0.95" in p for p in found), found
