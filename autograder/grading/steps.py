"""The steps of a notebook: one per autograded (visible-test) cell, named as the student reads them.

A step is what one nbgrader grade cell grades: the answer cells above it (back to the previous test
cell) and the hidden tests marked ``@pytest.mark.cell(<its grade_id>)``. Its name comes from the
notebook alone: the heading of its section and the names its answer cells define, e.g.
``1b. Leaky ReLU (leaky_relu, leaky_relu_grad)``. ``learnathon check`` (the student's own notebook),
``grade`` and the feedback (the instructor's source) all name and count steps with ``steps_of``, so a
student finds each result under the same name everywhere.

Cells are dicts with ``cell_type``, ``source`` (a string) and ``metadata``: nbformat's nodes, or a
notebook that ``intake.notebook.validated_notebook`` read from a student.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.*)$", re.M)


@dataclasses.dataclass(frozen=True)
class Step:
    grade_id: str                 # the visible-test cell that grades it
    section: str                  # the heading of the section it is asked in ("" if none)
    asks: tuple[str, ...] = ()    # functions and variables its answer cells define
    points: float = 0.0           # nbgrader points of its test cell

    @property
    def title(self) -> str:
        """The step's name wherever a result is reported."""
        asked = f" ({', '.join(self.asks)})" if self.asks else ""
        return f"{self.section or self.grade_id}{asked}"

    @property
    def anchor(self) -> str:
        """The heading's id in JupyterLab and Jupyter Notebook: its text with spaces as dashes."""
        return self.section.replace(" ", "-")


def nbgrader(cell: object) -> dict[str, Any]:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: Mapping[str, Any]) -> bool:
    """A locked, autograded code cell: the visible tests of one step."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution") \
        and isinstance(meta.get("grade_id"), str)


def is_answer_cell(cell: Mapping[str, Any]) -> bool:
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_written_answer(cell: Mapping[str, Any]) -> bool:
    meta = nbgrader(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def headings(markdown: str) -> list[str]:
    """The heading texts of a markdown cell, in order (code fences are not markdown headings)."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    found = [m.group(2).strip().rstrip("#").strip() for m in HEADING.finditer(text)]
    return [h for h in found if h]


def defined_names(source: str) -> list[str]:
    """Top-level functions, classes and variables a code cell defines (not private ones)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.append(leaf.id)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def steps_of(cells: Sequence[Mapping[str, Any]]) -> list[Step]:
    """The steps of a notebook's cells, in order."""
    steps: list[Step] = []
    section = ""
    asks: list[str] = []
    for cell in cells:
        if cell.get("cell_type") == "markdown" and not is_written_answer(cell):
            found = headings(str(cell.get("source", "")))
            section = found[-1] if found else section
        elif is_answer_cell(cell):
            asks += defined_names(str(cell.get("source", "")))
        elif is_test_cell(cell):
            meta = nbgrader(cell)
            points = meta.get("points", 0)
            steps.append(Step(meta["grade_id"], section, tuple(dict.fromkeys(asks)),
                              float(points) if isinstance(points, (int, float)) else 0.0))
            asks = []
    return steps


@dataclasses.dataclass(frozen=True)
class Outline:
    """What a notebook grades: its steps, and the points of its written (manually graded) answers."""
    steps: tuple[Step, ...]
    written_points: float = 0.0

    def titles(self) -> dict[str, str]:
        return {s.grade_id: s.title for s in self.steps}


def outline_of(cells: Sequence[Mapping[str, Any]]) -> Outline:
    written = [nbgrader(c).get("points", 0) for c in cells if is_written_answer(c)]
    return Outline(tuple(steps_of(cells)), float(sum(p for p in written if isinstance(p, (int, float)))))


@lru_cache(maxsize=32)
def _outline_of_file(path: Path, mtime: float) -> Outline:  # noqa: ARG001 (part of the cache key: a changed file is read again)
    import nbformat

    return outline_of(nbformat.read(path, as_version=4).cells)


def outline_of_notebook(path: Path) -> Outline:
    """The outline of a trusted notebook file (an instructor's source), read once per version."""
    path = Path(path)
    return _outline_of_file(path, path.stat().st_mtime)


def outline_of_part(assignment: str, notebook: str) -> Outline | None:
    """The outline of a registered assignment's notebook (its source), or None if there is no such part."""
    from . import discovery

    try:
        return outline_of_notebook(discovery.load(assignment).notebook(f"{notebook}.ipynb").source)
    except (discovery.UnknownAssignment, OSError):
        return None
