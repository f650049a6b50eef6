"""Stage 5: what a student gets back, rendered: the HTML and text reports and the graded notebook.

Written into a course by the feedback output (``autograder/outputs/feedback.py``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from autograder.concepts import load_concepts

from ..grading.steps import Outline, outline_of_part
from ..intake.notebook import SubmissionError, instructor_copy_reason, parse_notebook, validated_notebook
from .records import NotebookReport, TestResult

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("autograder", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
    trim_blocks=True, lstrip_blocks=True,
)


def _view(report: NotebookReport, outline: Outline | None) -> dict[str, Any]:
    """What both templates show: the report's steps (named as ``check`` names them), and whether the
    part was graded at all (a notebook missing or refused before it ran is one line, not a row per test)."""
    if outline is None:
        outline = outline_of_part(report.assignment, report.notebook) or Outline(())
    steps = report.by_step(outline.steps)
    return {"report": report, "steps": steps, "full": sum(s.passed for s in steps),
            "not_graded": bool(report.error) and not report.ran and not any(t.passed for t in report.tests),
            "written_points": outline.written_points}


def lecture_sources(concepts: tuple[str, ...]) -> list[str]:
    """Where the lecture teaches these concepts: "Title (slide: ...)" per concept the list knows."""
    known = load_concepts()
    return [f"{known[c].title} ({known[c].source})" for c in concepts if c in known]


def render_html(report: NotebookReport, outline: Outline | None = None) -> str:
    """The feedback page. Failed steps first, each with its messages, a link to its section of the
    notebook (the heading's anchor, for the page kept next to the notebook) and the lecture slides of
    its concepts; then the steps with full marks. Every text is escaped (autoescape)."""
    view = _view(report, outline)
    steps = view["steps"]
    view["ordered"] = [s for s in steps if not s.passed] + [s for s in steps if s.passed]
    return TEMPLATES.get_template("feedback.html.j2").render(**view, lecture=lecture_sources,
                                                              href=lambda step: f"{report.notebook}.ipynb#"
                                                              + quote(step.section.replace(" ", "-")))


def render_text(report: NotebookReport, outline: Outline | None = None) -> str:
    """The report in the terminal (``learnathon grade``): one line per step in the notebook's order, the
    failed checks under it; the same step names and count as ``learnathon check``."""
    return TEMPLATES.get_template("feedback.txt.j2").render(**_view(report, outline))


def _handed_back(submitted: bytes | str | None) -> dict[str, Any] | None:
    """The submission as it may be handed back: taken only from the bytes grading read (never from a
    path again, which could be a link), type-checked, and never the instructor's source."""
    if not isinstance(submitted, bytes):
        return None            # refused when it was read (the reason is in the report)
    try:
        nb = validated_notebook(parse_notebook(submitted))
    except SubmissionError:
        return None
    return None if instructor_copy_reason(nb) else nb


def graded_notebook(report: NotebookReport, submitted: bytes | str | None, fallback: Path) -> dict[str, Any]:
    """The submission (``intake.read_submission``'s bytes for it; if unusable, the released notebook)
    with the results in its test cells. Written back as a valid nbformat-4 notebook, outputs cleared."""
    nb = _handed_back(submitted) or validated_notebook(parse_notebook(Path(fallback).read_bytes()))
    by_cell: dict[str | None, list[TestResult]] = {}
    for test in report.tests:
        by_cell.setdefault(test.cell, []).append(test)
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if gid in by_cell:
                lines = [f"{'PASS' if t.passed else 'FAIL'} {t.name} ({t.points:g}/{t.max_points:g})"
                         + (f": {t.message}" if t.message else "") for t in by_cell[gid]]
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"}]
    return nb
