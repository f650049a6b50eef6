"""Stage 5: hand results back: an HTML feedback report and the graded notebook."""
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


def write(report: NotebookReport, *, html_path: Path, notebook_path: Path, submitted: Path, fallback: Path) -> None:
    html_path.parent.mkdir(parents=True, exist_ok=True)
    notebook_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(html_path, render_html(report))
    atomic_write(notebook_path, json.dumps(graded_notebook(report, submitted, fallback), indent=1))


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a killed run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
