"""A follow-up poll from a class report: the class's most common named mistakes as multiple-choice questions.

``learnathon report`` writes ``report.json``; each named mistake there carries its catalogue entry
(``autograder/hidden/<name>/mistakes.toml``: the question it answers wrongly, the right answer and
what the student in effect wrote), and ``questions`` lists every catalogued distractor of those
questions. The top N mistakes (most students first) are grouped by their question; each question
gets the right answer and the class's actual wrong answers as options, each wrong one explained by
the teaching message the grader showed, plus catalogued distractors of the same question when the
class made fewer than two (so that every question has at least three options and at most four,
which every export format, Kahoot included, can carry). The result is an ordinary ``Quiz`` that the
bank's exporters write in every format.

    quiz = follow_up_quiz(json.loads(Path("report.json").read_text()), top=5)
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.concepts import load_concepts
from quizzes.model import OPTION_KEYS, Option, Question, Quiz

MAX_OPTIONS = 4     # Kahoot's limit; the other formats take more, but one poll should work everywhere
MIN_OPTIONS = 3


class ReportFileError(ValueError):
    """The file is not a class report (report.json of `learnathon report`); the message says why."""


@dataclass(frozen=True)
class FollowUp:
    quiz: Quiz
    used: tuple[str, ...]             # mistake ids that became options
    not_catalogued: tuple[str, ...]   # top mistakes without a catalogue entry (no question possible)

    def summary_lines(self) -> list[str]:
        lines = [f"{len(self.quiz.questions)} question(s) from {len(self.used)} mistake(s): {', '.join(self.used)}"]
        if self.not_catalogued:
            lines.append(f"not catalogued (no question): {', '.join(self.not_catalogued)}")
        return lines


def read_report(path: Path) -> dict[str, Any]:
    """The class report at ``path``, read by the hostile-input layer's JSON reader (capped)."""
    from autograder.intake.inputs import MAX_JSON_BYTES, InputError, JsonRefused, parse_json, read_input_file

    try:
        data = parse_json(read_input_file(Path(path), max_bytes=MAX_JSON_BYTES))
    except JsonRefused as exc:
        raise ReportFileError(f"{path}: not JSON ({exc.reason}); pass the report.json that `learnathon report` "
                              "wrote") from None
    except InputError as exc:
        raise ReportFileError(f"{exc}; pass the report.json that `learnathon report` wrote") from None
    if not isinstance(data, dict) or not isinstance(data.get("mistakes"), list) or "assignment" not in data:
        raise ReportFileError(f"{path}: not a class report (no 'assignment' and 'mistakes'); pass the report.json "
                              "that `learnathon report` wrote")
    return data


def _math_safe(text: str) -> str:
    """A grader message as bank text. A literal $ would open math; the bank's escape \\$ is not read back
    alike by every format, so it becomes the full-width dollar sign, which no format treats specially."""
    return text.replace("$", "\uff04")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _section(concepts: list[str]) -> str:
    known = load_concepts()
    return known[concepts[0]].section if concepts and concepts[0] in known else "Neural network training"


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def follow_up_quiz(report: dict[str, Any], *, top: int = 5, source: str = "report.json") -> FollowUp:
    """Questions for the ``top`` most common named mistakes of the report's assignment."""
    if top < 1:
        raise ReportFileError("--top must be at least 1")
    assignment = str(report["assignment"])
    students = int(report.get("summary", {}).get("students") or 0)
    questions_info = report.get("questions") or {}
    chosen = [m for m in report["mistakes"] if isinstance(m, dict) and m.get("count")][:top]
    not_catalogued = tuple(m["id"] for m in chosen if not m.get("catalogue"))
    by_question: dict[str, list[dict[str, Any]]] = {}
    for mistake in chosen:
        if mistake.get("catalogue"):
            by_question.setdefault(mistake["catalogue"]["question"], []).append(mistake)
    questions, used = [], []
    for group, mistakes in by_question.items():
        first = mistakes[0]["catalogue"]
        correct = Option("A", first["correct"], True,
                         "Right: this is what the hidden tests expect." + (
                             f" {students - sum(m['count'] for m in mistakes)} of {students} students had none of "
                             "these mistakes." if students else ""))
        wrong: list[Option] = []
        for mistake in mistakes[: MAX_OPTIONS - 1]:
            entry = mistake["catalogue"]
            if any(_same(entry["wrote"], o.text) for o in [correct, *wrong]):
                continue
            share = f"{mistake['count']} of {students} students" if students else f"{mistake['count']} students"
            wrong.append(Option("A", entry["wrote"], False,
                                f"{share} in effect wrote this. The grader told them: "
                                f"{_math_safe(mistake['message'])}"))
            used.append(mistake["id"])
        for extra in questions_info.get(group, {}).get("distractors", []):
            if len(wrong) >= MIN_OPTIONS - 1:
                break
            if not any(_same(extra["wrote"], o.text) for o in [correct, *wrong]):
                wrong.append(Option("A", extra["wrote"], False,
                                    f"A typical mistake ({extra['id']}) that nobody in this class made."))
        if not wrong:
            continue
        shuffled = [correct, *wrong]
        # A fixed order per question (not the correct answer always first); --shuffle reorders for each export.
        random.Random(hashlib.sha256(f"{assignment}/{group}".encode()).digest()).shuffle(shuffled)
        options = tuple(Option(OPTION_KEYS[i], o.text, o.correct, o.explanation) for i, o in enumerate(shuffled))
        top_mistake = mistakes[0]
        questions.append(Question(
            id=_slug(f"{assignment}-{group}"), section=_section(list(first["concepts"])), text=first["stem"],
            options=options, explanation=f"Most common in the class: {_math_safe(top_mistake['message'])}",
            results_note=f"Follow-up on {assignment}: {sum(m['count'] for m in mistakes)} students made these mistakes",
            time_limit=60, origin="class-report", concepts=tuple(first["concepts"])))
    quiz = Quiz(name=_slug(f"{assignment}-follow-up"),
                title=f"{assignment}: the class's most common mistakes", questions=tuple(questions),
                sources=(Path(source).name,))
    return FollowUp(quiz, tuple(used), not_catalogued)
