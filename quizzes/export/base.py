"""What every exporter shares: the Jinja2 environment, the Adaptation/ExportResult records and shuffling."""
from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from autograder.csvfiles import csv_row
from quizzes import mathtext
from quizzes.model import OPTION_KEYS, ClassResults, Question, Quiz

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
ALL_QUESTIONS = "*"


@dataclass(frozen=True)
class Adaptation:
    """Something a format could not carry as the bank has it. ``question_id`` is "*" for the whole export."""
    question_id: str
    action: str  # "adapted" (exported in a changed form) or "skipped" (not exported)
    reason: str

    def __str__(self) -> str:
        target = "all questions" if self.question_id == ALL_QUESTIONS else f"question {self.question_id!r}"
        return f"{self.action} {target}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class ExportResult:
    format: str
    path: Path
    exported: tuple[str, ...]
    adaptations: tuple[Adaptation, ...]

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(a.question_id for a in self.adaptations if a.action == "skipped")

    def summary_lines(self) -> list[str]:
        lines = [f"{self.format}: {len(self.exported)} question(s) -> {self.path}"]
        lines += [f"  {a}" for a in self.adaptations]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "path": str(self.path), "exported": list(self.exported),
                "adaptations": [a.to_dict() for a in self.adaptations]}


class ExportError(ValueError):
    """The export cannot be written at all (e.g. every question had to be skipped)."""


def source_names(quiz: Quiz) -> list[str]:
    """The bank files a quiz came from, by name: exports must not depend on where the checkout is."""
    return [Path(source).name for source in quiz.sources]


def shuffle_options(question: Question, rng: random.Random) -> Question:
    """Options in a new order, relabelled A, B, ... by position; class results follow their options."""
    order = list(question.options)
    rng.shuffle(order)
    relabelled = tuple(replace(o, key=OPTION_KEYS[i]) for i, o in enumerate(order))
    results = question.class_results
    if results is not None:
        new_key = {old.key: new.key for old, new in zip(order, relabelled)}
        results = ClassResults({new_key[k]: v for k, v in results.percentages.items()}, results.source)
    return replace(question, options=relabelled, class_results=results)


def prepare(questions: tuple[Question, ...], shuffle: bool, seed: int) -> list[Question]:
    if not shuffle:
        return list(questions)
    rng = random.Random(seed)
    return [shuffle_options(q, rng) for q in questions]


# --- filters ---------------------------------------------------------------------------------

def gift_escape(text: str) -> str:
    """GIFT's special characters; the backslash first so that the escapes themselves survive."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([~=#{}:])", r"\\\1", text)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


# Moodle's GIFT importer (question/format/gift/format.php) trims every text and then reads a leading
# "%n%" of an answer as its weight and a leading "[html]", "[markdown]", "[plain]" or "[moodle]" of any
# text as its format marker. As HTML entities the first character is no syntax, and the [html] text
# still shows "%" or "[".
_GIFT_LEADING_ENTITIES = {"%": "&#37;", "[": "&#91;"}


def gift_html(text: str) -> str:
    markup = mathtext.to_lms_html(text).strip()
    if markup[:1] in _GIFT_LEADING_ENTITIES:
        markup = _GIFT_LEADING_ENTITIES[markup[0]] + markup[1:]
    return gift_escape(markup)


def cdata(text: str) -> Markup:
    # "]]>" cannot occur inside a CDATA section; split it across two sections.
    return Markup("<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>")


def mathml(text: str) -> Markup:
    return Markup(mathtext.to_mathml_html(text))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>~|#])")


def markdown_escape(text: str) -> str:
    """Escape Markdown syntax in the prose; math between $...$ is left for the renderer."""
    return "".join(_MD_SPECIAL.sub(r"\\\1", value) if kind == "text" else f"${value}$"
                   for kind, value in mathtext.segments(text))


def import_row(cells: list[Any]) -> str:
    """A row of a platform's import CSV (Particify), which its importer reads as text: verbatim, no
    spreadsheet neutralisation (the option "-2" must stay "-2")."""
    return csv_row(cells, neutralise=False)


def percent(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


def _autoescape(name: str | None) -> bool:
    return name is not None and any(name.endswith(f".{ext}.j2") for ext in ("html", "xml"))


ENV = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=_autoescape,
                  undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(gift=gift_html, gift_escape=gift_escape, lms_html=mathtext.to_lms_html, cdata=cdata,
                   mathml=mathml, md=markdown_escape, csv_row=import_row, percent=percent,
                   plain=mathtext.to_plain, html_escape=html.escape)


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


def write_text(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
