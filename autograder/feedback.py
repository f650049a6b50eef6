"""Stage 5: what a student gets back, rendered: the HTML and text reports and the graded notebook.

Written into a course by the feedback output (``autograder/outputs/feedback.py``)."""
from __future__ import annotations

import json
from pathlib import Path

import jinja2

from .results import NotebookReport

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("autograder", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
    trim_blocks=True, lstrip_blocks=True,
)


def render_html(report: NotebookReport) -> str:
    return TEMPLATES.get_template("feedback.html.j2").render(report=report)


def render_text(report: NotebookReport) -> str:
    return TEMPLATES.get_template("feedback.txt.j2").render(report=report)


def graded_notebook(report: NotebookReport, submitted: Path, fallback: Path) -> dict:
    """The submission (or, if unreadable, the released notebook) with results in its test cells."""
    try:
        nb = json.loads(submitted.read_text(encoding="utf-8"))
        if not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
            raise ValueError
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        nb = json.loads(fallback.read_text(encoding="utf-8"))
    by_cell: dict[str, list] = {}
    for test in report.tests:
        by_cell.setdefault(test.cell, []).append(test)
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        gid = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if gid in by_cell:
                lines = [f"{'PASS' if t.passed else 'FAIL'} {t.name} ({t.points:g}/{t.max_points:g})"
                         + (f": {t.message}" if t.message else "") for t in by_cell[gid]]
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"}]
    return nb
