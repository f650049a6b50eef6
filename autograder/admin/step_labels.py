"""What a notebook tells students about grading, generated from the hidden tests' marks.

Three things, none typed by hand (``python -m autograder.admin.setup_cell`` refreshes them together
with the setup cell; a project test fails when a notebook and the marks disagree):

* the points of each autograded step, where the step is asked: a line ``**Autograded: N points**`` at the
  end of the markdown cell that asks for the step (the nearest one above the step's answer cell), the
  sum of the ``@pytest.mark.points`` of the hidden tests marked ``@pytest.mark.cell(<its test cell>)``;
  the nbgrader points of the test cell are set to the same sum;
* a marker line at the top of every locked test cell, so that it does not look like a cell to edit;
* at the end of the introduction: the notebook's autograded and written points, how to run the setup
  cell, and the menu entry that reruns everything before submitting (as JupyterLab 4 and Colab name it).
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbformat import NotebookNode

from ..grading.steps import is_test_cell, is_written_answer, nbgrader

TEST_MARKER = "# --- Locked test cell: run it to check your answer above (edits here are undone when grading) ---"
RESTART = "*Kernel → Restart Kernel and Run All Cells…*"
RESTART_COLAB = "*Runtime → Restart session and run all*"
STEP_LINE = re.compile(r"\n*^\*\*Autograded: [^\n]*\*\*[ \t]*\Z", re.M)
INTRO_BLOCK = re.compile(r"\n*^\*\*Points:\*\* .*\Z", re.M | re.S)


class LabelError(ValueError):
    """The notebook and its hidden tests' marks do not fit together (the message says how)."""


def points_text(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def as_number(points: float) -> int | float:
    """Whole points as an int, as nbgrader's own metadata writes them."""
    return int(points) if float(points).is_integer() else float(points)


def step_line(points: float) -> str:
    return f"**Autograded: {points_text(points)}**"


def intro_block(autograded: float, written: float, n_written: int) -> str:
    """The end of the introduction: points, the setup cell, rerunning before submitting."""
    if n_written:
        total = (f"**Points:** {autograded:g} autograded (stated at each step) + {written:g} for the written "
                 "answers, graded by your instructor.")
    else:
        total = f"**Points:** {autograded:g}, all autograded (stated at each step)."
    return (f"{total}\n\n**Before you start**, run the setup cell below (its code is collapsed: it only installs "
            f"what is missing). **Before you submit**, {RESTART} (in Colab: {RESTART_COLAB}) and check that "
            "every locked test cell passes.")


def with_marker(source: str) -> str:
    body = source.removeprefix(TEST_MARKER).lstrip("\n")
    return f"{TEST_MARKER}\n{body}"


def with_step_line(source: str, line: str | None) -> str:
    body = STEP_LINE.sub("", source.rstrip())
    return body if line is None else f"{body}\n\n{line}"


def asking_cell(cells: list[NotebookNode], test_index: int, previous_test: int) -> int | None:
    """The markdown cell that asks for the step tested at ``test_index``: the nearest one (not a written
    answer) above the step's first answer cell, or above the test cell if the step has none."""
    answers = [i for i in range(previous_test + 1, test_index)
               if cells[i].cell_type == "code" and nbgrader(cells[i]).get("solution")]
    start = answers[0] if answers else test_index
    for i in range(start - 1, -1, -1):
        if cells[i].cell_type == "markdown" and not is_written_answer(cells[i]):
            return i
    return None


def labelled(nb: NotebookNode, points: dict[str, float], intro_index: int | None = None) -> NotebookNode:
    """A copy of ``nb`` with every generated label current. ``points``: {test cell grade_id: points of its
    hidden tests}; ``intro_index``: the introduction cell (default: the first markdown cell)."""
    nb = copy.deepcopy(nb)
    cells = nb.cells
    tests = [i for i, c in enumerate(cells) if is_test_cell(c)]
    ids = [str(nbgrader(cells[i]).get("grade_id")) for i in tests]
    unknown = sorted(set(points) - set(ids))
    if unknown:
        raise LabelError(f"hidden tests are marked for cell(s) {', '.join(map(repr, unknown))}, "
                         "which the notebook has no locked test cell for")
    unmarked = [gid for gid in ids if not points.get(gid)]
    if unmarked:
        raise LabelError(f"test cell(s) {', '.join(map(repr, unmarked))} have no hidden test worth points "
                         "(@pytest.mark.cell)")
    asked: dict[int, str] = {}
    previous = -1
    for index, gid in zip(tests, ids, strict=True):
        cells[index].source = with_marker(cells[index].source)
        nbgrader(cells[index])["points"] = as_number(points[gid])
        where = asking_cell(cells, index, previous)
        if where is None:
            raise LabelError(f"no markdown cell asks for the step tested in {gid!r}")
        if where in asked:
            raise LabelError(f"the steps tested in {asked[where]!r} and {gid!r} are asked in one markdown cell "
                             f"(cell {where + 1}): give each step its own text, so that its points stand there")
        asked[where] = gid
        previous = index
    intro = intro_index if intro_index is not None else next(
        (i for i, c in enumerate(cells) if c.cell_type == "markdown"), None)
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and not is_written_answer(cell):
            source = INTRO_BLOCK.sub("", cell.source.rstrip()) if i == intro else cell.source
            cell.source = with_step_line(source, step_line(points[asked[i]]) if i in asked else None)
    if intro is not None:
        written = [nbgrader(c).get("points", 0) for c in cells if is_written_answer(c)]
        block = intro_block(sum(points.values()), sum(written), len(written))
        cells[intro].source = f"{cells[intro].source.rstrip()}\n\n{block}"
    return nb
