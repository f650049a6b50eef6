"""Moodle XML (multichoice). The learning-curve figure travels inside the file as a base64 SVG."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from quizzes.export.base import ExportResult, render, source_names, write_text
from quizzes.export.weights import answer_weights
from quizzes.figures import FIGURE_DESCRIPTIONS, figure_svg
from quizzes.mathtext import to_lms_html
from quizzes.model import Question, Quiz


def _fractions(question: Question) -> dict[str, str]:
    if question.multiple_correct:
        return answer_weights(question)
    return {o.key: "100" if o.correct else "0" for o in question.options}


def _question_html(question: Question) -> str:
    markup = f"<p>{to_lms_html(question.text)}</p>"
    if question.figure:
        alt = html.escape(FIGURE_DESCRIPTIONS[question.figure], quote=True)
        markup += f'<p><img src="@@PLUGINFILE@@/{question.figure}.svg" alt="{alt}"></p>'
    return markup


def _figure_base64(name: str) -> str:
    return base64.b64encode(figure_svg(name).encode("utf-8")).decode("ascii")


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:
    text = render("moodle.xml.j2", title=quiz.title, quiz_name=quiz.name, sources=source_names(quiz),
                  questions=questions, fractions={q.id: _fractions(q) for q in questions},
                  question_html={q.id: _question_html(q) for q in questions}, figure_base64=_figure_base64)
    return ExportResult("moodle-xml", write_text(out, text), tuple(q.id for q in questions), ())
