"""A printable HTML handout (print it to PDF from any browser): the questions with tick boxes, then an
answer key on a new page with the explanation of every option and the class results."""
from __future__ import annotations

from pathlib import Path

from quizzes.export.base import ExportResult, render, write_text
from quizzes.export.html_deck import figures_for
from quizzes.model import Question, Quiz


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:
    text = render("handout.html.j2", title=quiz.title, questions=questions, figures=figures_for(questions))
    return ExportResult("handout", write_text(out, text), tuple(q.id for q in questions), ())
