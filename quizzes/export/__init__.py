"""One module per output format over one Jinja2 environment (see base.py); ``export_quiz`` picks one."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quizzes.export import gift, handout, html_deck, kahoot, markdown, moodle_xml, particify, qti, vevox
from quizzes.export.base import Adaptation, ExportError, ExportResult, prepare
from quizzes.model import Question, Quiz

Exporter = Callable[[Quiz, list[Question], Path], ExportResult]

# name -> (exporter, file suffix)
FORMATS: dict[str, tuple[Exporter, str]] = {
    "gift": (gift.export, ".gift.txt"),
    "moodle-xml": (moodle_xml.export, ".moodle.xml"),
    "qti": (qti.export, ".qti.zip"),
    "kahoot": (kahoot.export, ".kahoot.xlsx"),
    "particify": (particify.export, ".particify.csv"),
    "vevox": (vevox.export, ".vevox.zip"),  # UNVERIFIED format: see quizzes/export/vevox.py
    "html": (html_deck.export, ".deck.html"),
    "markdown": (markdown.export, ".md"),
    "handout": (handout.export, ".handout.html"),
}


def export_quiz(quiz: Quiz, format: str, out: Path, *, shuffle: bool = False, seed: int = 0) -> ExportResult:
    """Write ``quiz`` in ``format`` to ``out``; the result lists every adaptation the format forced."""
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    exporter, _ = FORMATS[format]
    return exporter(quiz, prepare(quiz.questions, shuffle, seed), Path(out))


def default_filename(quiz_name: str, format: str) -> str:
    return quiz_name + FORMATS[format][1]


__all__ = ["FORMATS", "Adaptation", "ExportError", "ExportResult", "export_quiz", "default_filename"]
