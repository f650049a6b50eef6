"""What students receive: no rubric, model answer or other solution text in any released notebook.

The released version is made with stock nbgrader's own preprocessors, the ones
``nbgrader generate_assignment`` runs that need no gradebook (``autograder.admin.fabricate.student_version``;
the e2e course workflow runs the real command). Rubrics live inside ``### BEGIN SOLUTION`` /
``### END SOLUTION`` of the written answer cells of the source (see autograder/AUTHORING.md), so they
reach the instructor only.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder.admin.fabricate import student_version
from autograder.grading import discovery

SOURCES = sorted(spec.source for name in discovery.available() for spec in discovery.load(name).notebooks)
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
# Words that only a rubric or a model answer uses; "point(s)" right before a colon is a rubric line.
RUBRIC_WORDS = re.compile(r"rubric|model answer|mark scheme|\b(?:\d+(?:\.\d+)?|half a|one) points?\s*:", re.I)


def released(source: Path):
    return student_version(nbformat.read(source, as_version=4))


def solution_lines(source: Path) -> list[str]:
    """Every substantial line inside a solution region of a markdown cell of the source."""
    lines = []
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type == "markdown":
            for region in SOLUTION_REGION.findall(cell.source):
                lines += [line.strip() for line in region.splitlines() if len(line.strip()) > 30]
    return lines


def test_every_assignment_notebook_is_checked():
    assert {p.parent.name for p in SOURCES} >= {"cs1", "cs2", "cs3"} and len(SOURCES) >= 4


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_released_notebook_shows_no_rubric(source):
    nb = released(source)
    for index, cell in enumerate(nb.cells):
        hit = RUBRIC_WORDS.search(cell.source)
        assert hit is None, f"cell {index} of the released {source.name} shows {hit.group(0)!r}: {cell.source[:120]!r}"
    text = "\n".join(cell.source for cell in nb.cells)
    for line in solution_lines(source):
        assert line not in text, f"the released {source.name} still contains solution text: {line[:80]!r}"


@pytest.mark.parametrize("source", [p for p in SOURCES if p.parent.name == "cs1"], ids=lambda p: p.stem)
def test_written_answers_keep_their_rubric_in_the_source(source):
    """Every manually graded markdown answer of cs1 holds its rubric inside its own solution region."""
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
            regions = SOLUTION_REGION.findall(cell.source)
            assert regions and any("Rubric" in r for r in regions), \
                f"{source.name}: answer cell {meta['grade_id']!r} has no rubric inside ### BEGIN/END SOLUTION"
