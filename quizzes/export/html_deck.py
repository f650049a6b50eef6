"""A self-contained slide deck for projecting in the room: one question per slide; Enter or R reveals
the answer, the explanations and the class results as a bar chart. Inline CSS and JS, math
pre-rendered to MathML, figures as inline SVG, and a Content-Security-Policy that forbids any load."""
from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from quizzes.export.base import ExportResult, render, write_text
from quizzes.figures import figure_svg
from quizzes.model import Question, Quiz


def figures_for(questions: list[Question]) -> dict[str, Markup]:
    return {q.figure: Markup(figure_svg(q.figure)) for q in questions if q.figure}


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:
    text = render("deck.html.j2", title=quiz.title, quiz_name=quiz.name, questions=questions,
                  figures=figures_for(questions))
    return ExportResult("html", write_text(out, text), tuple(q.id for q in questions), ())
