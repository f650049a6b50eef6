"""Particify (formerly ARSnova) CSV: one CHOICE content per row; options and correct options are
newline-separated lists inside their cells. Particify renders every text as Markdown with $...$ math,
and bank text is plain text: Markdown syntax in it (a backtick, ``*``, ``_``) is escaped so that it
shows as typed; math stays. The time limit goes into the ``duration`` column (seconds), which
Particify's importer (arsnova-server's CsvService) reads."""
from __future__ import annotations

from pathlib import Path

from quizzes.export.base import Adaptation, ExportResult, markdown_escape, render, write_text
from quizzes.model import Question, Quiz


def additional_text(question: Question) -> str:
    """The explanations, shown by Particify as the content's additional text."""
    lines = [markdown_escape(question.explanation)] if question.explanation else []
    lines += [f"- {markdown_escape(o.text)}: {markdown_escape(o.explanation)}" for o in question.options]
    return "\n".join(lines)


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:  # noqa: ARG001 (the exporter plug-in interface)
    adaptations = tuple(
        Adaptation(q.id, "adapted", "the figure is not included (Particify's CSV has no image column)")
        for q in questions if q.figure
    )
    text = render("particify.csv.j2", questions=questions,
                  additional={q.id: additional_text(q) for q in questions})
    return ExportResult("particify", write_text(out, text), tuple(q.id for q in questions), adaptations)
