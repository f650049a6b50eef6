"""A submission's answer code, and the code every student was given (the review's two inputs per notebook).

Which cells are the student's is decided by the instructor's source notebook, as for grading: a cell
whose grade id is a locked, test or skipped cell of the source is the instructor's (its text comes
from the source); every other code cell (an answer cell, or one the student added) is the student's.
Cells are read as IPython runs them (magics and ``!`` shell escapes become calls, line for line), so
what the review reads is what the sandbox executes.

*Known code* is code that every student has and that proves nothing when two students share it: the
released notebook (every code cell as released, answer stubs included, and code quoted in its text
cells) and the lecture's own examples (``lecture_code.txt``).
"""
from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

from ...intake.notebook import grade_id, parse_notebook, raw_cells, source_role

LECTURE_CODE = Path(__file__).with_name("lecture_code.txt")
# Code in a markdown cell: fenced blocks (``` or ~~~, with or without a language) and 4-space indented blocks.
_FENCED = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
_INDENTED = re.compile(r"(?:^(?: {4}|\t)[^\n]*\n?)+", re.M)


@dataclasses.dataclass(frozen=True)
class CodeCell:
    number: int                # among the submitted notebook's code cells, 1-based
    grade_id: str | None
    source: str                # as written (or, for a given cell, as the instructor's source has it)
    python: str                # as IPython runs it: the same lines, magics and shell escapes as calls
    given: bool                # the instructor's cell (locked, test, demonstration), not the student's

    def lines(self, first: int, last: int) -> str:
        return "\n".join(self.source.splitlines()[first - 1:last])


@dataclasses.dataclass(frozen=True)
class Answers:
    """One student's notebook as the review reads it."""
    notebook: str
    cells: tuple[CodeCell, ...]

    @property
    def answer_cells(self) -> tuple[CodeCell, ...]:
        return tuple(c for c in self.cells if not c.given)


def as_python(source: str) -> str:
    """The cell as IPython executes it: ``%magic`` and ``!cmd`` lines become calls (line numbers kept)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:     # noqa: BLE001 - IPython cannot read it either: the cell fails when run, as written
        return source


@functools.lru_cache(maxsize=16)
def _source_cells(source: Path) -> tuple[dict[str, Any], ...]:
    return tuple(c for c in raw_cells(parse_notebook(Path(source).read_bytes())) if c["cell_type"] == "code")


def read_answers(notebook: dict[str, Any], source: Path, name: str) -> Answers:
    """The code cells of a validated notebook (``intake.notebook.validated_notebook``), the student's
    told apart from the instructor's by the ``source`` notebook (trusted)."""
    by_id = {grade_id(c): c for c in _source_cells(Path(source)) if grade_id(c)}
    cells, seen = [], set()
    for number, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), start=1):
        gid = grade_id(cell)
        original = by_id.get(gid) if gid not in seen else None
        if original is not None:
            seen.add(gid)
        given = original is not None and source_role(original) in ("test", "locked", "skip")
        text = original["source"] if original is not None and given else cell["source"]
        cells.append(CodeCell(number, gid if original is not None else None, text, as_python(text), given))
    return Answers(name, tuple(cells))


def solution_answers(source: Path, name: str) -> Answers:
    """The instructor's solution as a submission: the source's answers without nbgrader's delimiters."""
    from ...intake.notebook import SOLUTION_DELIMITER

    cells = [dict(c, source=SOLUTION_DELIMITER.sub("", c["source"])) for c in _source_cells(Path(source))]
    return read_answers({"cells": cells}, source, name)


@functools.lru_cache(maxsize=16)
def _released(source: Path) -> NotebookNode:
    """The released notebook of the source (``admin.fabricate.student_version``)."""
    import nbformat

    from ...admin.fabricate import student_version

    return student_version(nbformat.read(str(source), as_version=4))


@functools.lru_cache(maxsize=16)
def released_cells(source: Path) -> dict[str, str]:
    """{grade id: the cell as released} of the notebook's code cells (answer cells hold the stubs)."""
    return {c.metadata["nbgrader"]["grade_id"]: as_python(c.source) for c in _released(source).cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id")}


def unanswered(cell: CodeCell, released: dict[str, str]) -> bool:
    """Whether the cell holds nothing but lines of its released version (the stub, its docstring)."""
    template = released.get(cell.grade_id or "")
    if template is None:
        return False
    own = {line.strip() for line in template.splitlines()}
    return all(line.strip() in own for line in cell.python.splitlines())


@functools.lru_cache(maxsize=16)
def known_code(source: Path) -> tuple[str, ...]:
    """The code every student of this notebook has, in parts read one by one (a quote in a text cell's
    snippet must not turn the rest into one string): the released notebook (stubs, docstrings, given
    cells), the code its text cells quote, and the lecture's."""
    parts = []
    for cell in _released(source).cells:
        if cell.cell_type == "code":
            parts.append(as_python(cell.source))
        elif cell.cell_type == "markdown":
            parts += [m.group(2) for m in _FENCED.finditer(cell.source)]
            parts += [_dedent(m.group(0)) for m in _INDENTED.finditer(_FENCED.sub("", cell.source))]
    parts.append(LECTURE_CODE.read_text(encoding="utf-8"))
    return tuple(parts)


def _dedent(block: str) -> str:
    import textwrap

    return textwrap.dedent(block.replace("\t", "    "))
