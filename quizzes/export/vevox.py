"""Vevox question import (UNVERIFIED FORMAT): a zip holding ``polls.json``.

Vevox publishes no description of its import format, and this exporter has not been tried against
Vevox. It writes what third-party code working with Vevox suggests (see quizzes/README.md): a zip
with one file ``polls.json``, an array of ``{"@type": "MultipleChoiceQuestion", "text", "choices":
[{"text", "isCorrectAnswer"}], "minNumberSelections", "maxNumberSelections",
"correctAnswerExplanation"}`` with math between ``$$...$$``. Only those fields are written; nothing
else is guessed. Check the import in Vevox before a lecture relies on it.

What the format cannot carry is reported: figures, and the explanations of the wrong options (there
is one explanation field per question; it gets the general explanation and the correct options').
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from quizzes import mathtext
from quizzes.export.base import ALL_QUESTIONS, Adaptation, ExportResult
from quizzes.model import Question, Quiz

POLLS_FILE = "polls.json"
# A fixed timestamp keeps the zip byte-for-byte reproducible.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
UNVERIFIED_NOTE = ("the Vevox format is unverified (no public specification; written as third-party code "
                   "suggests): try the import in Vevox before the lecture")


def vevox_text(text: str) -> str:
    """Plain text with math between $$...$$ (and a literal dollar sign as itself)."""
    return "".join(value if kind == "text" else f"$${value}$$" for kind, value in mathtext.segments(text))


def explanation(question: Question) -> str:
    parts = [question.explanation] if question.explanation else []
    parts += [o.explanation for o in question.options if o.correct]
    return "\n".join(vevox_text(p) for p in parts)


def poll(question: Question) -> dict[str, Any]:
    selections = len(question.correct_keys)
    return {
        "@type": "MultipleChoiceQuestion",
        "text": vevox_text(question.text),
        "choices": [{"text": vevox_text(o.text), "isCorrectAnswer": o.correct} for o in question.options],
        "minNumberSelections": 1,
        # A multiple-answer question lets a participant tick every correct option.
        "maxNumberSelections": selections,
        "correctAnswerExplanation": explanation(question),
    }


def export(quiz: Quiz, questions: list[Question], out: Path) -> ExportResult:  # noqa: ARG001 (the exporter plug-in interface)
    adaptations = [
        Adaptation(ALL_QUESTIONS, "adapted", UNVERIFIED_NOTE),
        Adaptation(ALL_QUESTIONS, "adapted", "one explanation per question: the general one and the correct "
                                             "options'; the wrong options' explanations are left out"),
    ]
    adaptations += [Adaptation(q.id, "adapted", "the figure is not included; add it in Vevox")
                    for q in questions if q.figure]
    data = json.dumps([poll(q) for q in questions], indent=1, ensure_ascii=False) + "\n"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(POLLS_FILE, date_time=_ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, data)
    return ExportResult("vevox", out, tuple(q.id for q in questions), tuple(adaptations))
