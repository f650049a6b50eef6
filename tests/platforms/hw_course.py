"""A course with a released two-part assignment ``hw`` (tiny's cells, one set of grade ids per part), for the
collect tests: nothing is graded there, so no gradebook is needed."""
from __future__ import annotations

from pathlib import Path

import nbformat
from tiny_assignment import source_notebook

from autograder.admin.course import CONFIG_TEMPLATE

ASSIGNMENT = "hw"


def part(prefix: str, answer: str = "def relu(z):\n    return z\n") -> bytes:
    """A notebook of the two-part assignment: tiny's cells, with this part's grade ids."""
    nb = source_notebook(nbgrader_markers=False)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["grade_id"] = f"{prefix}_{meta['grade_id']}"
            if meta["grade_id"] == f"{prefix}_relu":
                cell.source = answer
    return nbformat.writes(nb).encode()


def make_course(base: Path) -> Path:
    root = base / "course"
    (root / "release" / ASSIGNMENT).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(course_id="c", course_url=""))
    (root / "release" / ASSIGNMENT / "part_one.ipynb").write_bytes(part("one"))
    (root / "release" / ASSIGNMENT / "part_two.ipynb").write_bytes(part("two"))
    return root


def submitted(course: Path, student: str) -> dict[str, bytes]:
    folder = course / "submitted" / student / ASSIGNMENT
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
