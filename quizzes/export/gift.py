"""Moodle GIFT. Single-answer questions use = and ~; several correct answers become a multiple-answer
question with ~%weight% on every option (weights from Moodle's list of allowed grades)."""
from __future__ import annotations

from pathlib import Path

from quizzes.export.base import Adaptation, ExportResult, render, source_names, write_text
from quizzes.export.weights import answer_weights
from quizzes.figures import FIGURE_DESCRIPTIONS
from quizzes.model import Question, Quiz


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:
    adaptations = [
        Adaptation(q.id, "adapted", "GIFT cannot carry the figure; a comment describes it and it "
                                    "must be added in Moodle's editor")
        for q in questions if q.figure
    ]
    text = render(
        "gift.txt.j2", title=quiz.title, quiz_name=quiz.name, sources=source_names(quiz), questions=questions,
        weights={q.id: answer_weights(q) for q in questions if q.multiple_correct},
        figure_notes={q.id: FIGURE_DESCRIPTIONS[q.figure] for q in questions if q.figure},
    )
    return ExportResult("gift", write_text(out, text), tuple(q.id for q in questions), tuple(adaptations))
