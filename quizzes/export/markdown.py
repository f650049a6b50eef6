"""Markdown for reading and reviewing: task-list options ([x] marks the key), explanations nested under
each option, class results as a line of percentages. The figure is embedded as a data: URI."""
from __future__ import annotations

import base64
from pathlib import Path

from quizzes.export.base import ExportResult, render, source_names, write_text
from quizzes.figures import FIGURE_DESCRIPTIONS, figure_svg
from quizzes.model import Question, Quiz


def _data_uri(name: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(figure_svg(name).encode("utf-8")).decode("ascii")


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:
    text = render("quiz.md.j2", title=quiz.title, sources=source_names(quiz), questions=questions,
                  figure_alt={q.id: FIGURE_DESCRIPTIONS[q.figure] for q in questions if q.figure},
                  figure_uri={q.id: _data_uri(q.figure) for q in questions if q.figure})
    return ExportResult("markdown", write_text(out, text), tuple(q.id for q in questions), ())
