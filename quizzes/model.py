"""Typed question-bank records and the loader that validates a bank file before anything uses it.

A bank file is YAML checked against ``bank/schema.json``; the rules JSON Schema cannot express
(at least one correct option, no duplicate options, class results that match the options) are
checked here. Every problem names the file, the question and what is wrong.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from autograder.concepts import load_concepts

BANK_DIR = Path(__file__).parent / "bank"
SCHEMA_PATH = BANK_DIR / "schema.json"
OPTION_KEYS = "ABCDEFGH"
# The lecture's percentages are rounded to two decimals, so a row can miss 100 by a little.
PERCENT_SUM_TOLERANCE = 0.5


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    explanation: str
    short: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "correct": self.correct,
                "explanation": self.explanation, "short": self.short}


@dataclass(frozen=True)
class ClassResults:
    """Share of the class (in percent) that chose each option, keyed by option key."""
    percentages: dict[str, float]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"percentages": dict(self.percentages), "source": self.source}


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    options: tuple[Option, ...]
    explanation: str = ""
    short_text: str | None = None
    class_results: ClassResults | None = None
    results_note: str | None = None
    figure: str | None = None
    time_limit: int = 30
    origin: str = "bank"
    concepts: tuple[str, ...] = ()  # ids from autograder/concepts.yaml (autograder.concepts)

    @property
    def correct_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options if o.correct)

    @property
    def multiple_correct(self) -> bool:
        return len(self.correct_keys) > 1

    def option(self, key: str) -> Option:
        for candidate in self.options:
            if candidate.key == key:
                return candidate
        raise KeyError(f"question {self.id!r} has no option {key!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "section": self.section, "text": self.text,
            "options": [o.to_dict() for o in self.options], "explanation": self.explanation,
            "short_text": self.short_text,
            "class_results": self.class_results.to_dict() if self.class_results else None,
            "results_note": self.results_note, "figure": self.figure,
            "time_limit": self.time_limit, "origin": self.origin, "concepts": list(self.concepts),
        }


@dataclass(frozen=True)
class Quiz:
    name: str
    title: str
    questions: tuple[Question, ...]
    sources: tuple[str, ...] = field(default_factory=tuple)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"quiz {self.name!r} has no question {question_id!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "sources": list(self.sources),
                "questions": [q.to_dict() for q in self.questions]}


@dataclass(frozen=True)
class BankProblem:
    file: str
    question: str | None
    problem: str

    def __str__(self) -> str:
        where = f"question {self.question!r}" if self.question else "top level"
        return f"{self.file}: {where}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "question": self.question, "problem": self.problem}


class BankError(ValueError):
    """A bank file is malformed; ``problems`` lists every problem found, each naming file and question."""

    def __init__(self, problems: list[BankProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))   # our own packaged file
    return schema


def _question_label(data: Any, index: int) -> str:
    try:
        qid = data["questions"][index].get("id")
    except (KeyError, IndexError, TypeError, AttributeError):
        qid = None
    return qid if isinstance(qid, str) and qid else f"#{index + 1}"


def _describe_location(path: list[Any]) -> str:
    """['options', 1, 'colour'] -> 'option B' (the question itself is named separately)."""
    if len(path) >= 2 and path[0] == "options" and isinstance(path[1], int):
        return f"option {OPTION_KEYS[path[1]] if path[1] < len(OPTION_KEYS) else path[1] + 1}"
    return ".".join(str(p) for p in path) if path else ""


def _schema_problem(file: str, data: Any, error: Any) -> BankProblem:
    """One jsonschema.ValidationError as a problem naming the question and the field."""
    path = list(error.absolute_path)
    question = None
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        question = _question_label(data, path[1])
        path = path[2:]
    where = _describe_location(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        message = f"unknown field {', '.join(repr(u) for u in unknown)}"
        if allowed:
            message += f" (allowed: {', '.join(sorted(allowed))})"
    elif error.validator == "required":
        message = error.message.replace(" is a required property", "") + " is missing"
        message = f"required field {message}"
    else:
        message = error.message
    return BankProblem(file, question, f"{where}: {message}" if where else message)


def _where_in_question(path: list[Any]) -> str:
    """['options', 0, 'text'] -> 'option A text'; ['explanation'] -> 'explanation'."""
    if len(path) >= 2 and path[0] == "options" and isinstance(path[1], int):
        return " ".join([_describe_location(path[:2]), *map(str, path[2:])])
    return ".".join(map(str, path))


def _swallowed_comments(text: str, file: str, data: Any) -> list[BankProblem]:
    """Unquoted strings that YAML cut at " #": everything after it became a comment.

    YAML ends a plain (unquoted) scalar at the first " #", so ``text: model (i.e., #layers)`` loads as
    "model (i.e.," without any error. A comment on the same line right after a string value is
    almost always such lost text, so the loader refuses it and asks for quotes.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []  # safe_load has already reported the syntax error
    lines = text.splitlines()
    problems: list[BankProblem] = []

    def visit(node: yaml.Node, path: list[Any]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                visit(value, path + [key.value])
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                visit(value, path + [index])
        elif node.style is None and node.tag == "tag:yaml.org,2002:str":
            end = node.end_mark
            rest = lines[end.line][end.column:] if end.line < len(lines) else ""
            if re.match(r"\s+#", rest):
                question = None
                where = ".".join(map(str, path))
                if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
                    question, where = _question_label(data, path[1]), _where_in_question(path[2:])
                problems.append(BankProblem(file, question, (
                    f"line {end.line + 1}: {where}: YAML read {rest.strip()!r} as a comment, so the text ends "
                    f"at {node.value!r}; put the whole text in quotes")))

    if root is not None:
        visit(root, [])
    return problems


def _semantic_problems(file: str, data: dict[str, Any]) -> list[BankProblem]:
    problems = []
    known_concepts = load_concepts()
    for q in data["questions"]:
        qid = q["id"]
        unknown = [c for c in q["concepts"] if c not in known_concepts]
        if unknown:
            problems.append(BankProblem(file, qid, (
                f"unknown concept(s) {', '.join(map(repr, unknown))}; the concepts are the ids in "
                f"autograder/concepts.yaml")))
        keys = OPTION_KEYS[: len(q["options"])]
        if not any(o.get("correct", False) for o in q["options"]):
            problems.append(BankProblem(file, qid, "no option is marked correct: true"))
        seen: dict[str, str] = {}
        for key, option in zip(keys, q["options"]):
            normalised = " ".join(option["text"].split()).casefold()
            if normalised in seen:
                problems.append(BankProblem(
                    file, qid, f"duplicate option: {key} repeats {seen[normalised]} ({option['text']!r})"))
            seen.setdefault(normalised, key)
        results = q.get("class_results")
        if results:
            unknown = sorted(set(results["percentages"]) - set(keys))
            if unknown:
                problems.append(BankProblem(
                    file, qid, f"class_results name options {', '.join(unknown)} that the question does not have"))
            total = sum(results["percentages"].values())
            if abs(total - 100.0) > PERCENT_SUM_TOLERANCE:
                problems.append(BankProblem(file, qid, f"class_results percentages sum to {total:g}, not 100"))
    return problems


def _build_question(q: dict[str, Any], origin: str) -> Question:
    options = tuple(
        Option(key=key, text=o["text"], correct=bool(o.get("correct", False)),
               explanation=o["explanation"], short=o.get("short"))
        for key, o in zip(OPTION_KEYS, q["options"])
    )
    results = q.get("class_results")
    class_results = None
    if results:
        # Options the slide does not list got no votes; storing them keeps charts complete.
        percentages = {o.key: float(results["percentages"].get(o.key, 0.0)) for o in options}
        class_results = ClassResults(percentages=percentages, source=results["source"])
    return Question(
        id=q["id"], section=q["section"], text=q["text"], options=options,
        explanation=q.get("explanation", ""), short_text=q.get("short_text"),
        class_results=class_results, results_note=q.get("results_note"),
        figure=q.get("figure"), time_limit=q.get("time_limit", 30), origin=origin,
        concepts=tuple(q["concepts"]),
    )


def parse_bank(text: str, file: str) -> Quiz:
    """Validate bank YAML given as text; ``file`` is only used to name the source in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BankError([BankProblem(file, None, f"not valid YAML: {exc}")]) from exc
    # Imported here: importing jsonschema costs seconds when its optional format checkers are installed,
    # and commands such as `quiz --help` never validate a bank.
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    problems = [_schema_problem(file, data, e)
                for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]
    problems += _swallowed_comments(text, file, data)
    if problems:
        raise BankError(problems)
    ids = [q["id"] for q in data["questions"]]
    problems = [BankProblem(file, qid, "duplicate question id") for qid in sorted({i for i in ids if ids.count(i) > 1})]
    problems += _semantic_problems(file, data)
    if problems:
        raise BankError(problems)
    questions = tuple(_build_question(q, origin=data["quiz"]) for q in data["questions"])
    return Quiz(name=data["quiz"], title=data["title"], questions=questions, sources=(file,))


def load_bank(path: Path) -> Quiz:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BankError([BankProblem(str(path), None, f"cannot read file: {exc.strerror}")]) from exc
    return parse_bank(text, str(path))


def combine(name: str, title: str, quizzes: list[Quiz]) -> Quiz:
    """One quiz from several; question ids must stay unique across them."""
    seen: dict[str, str] = {}
    problems = []
    for quiz in quizzes:
        for q in quiz.questions:
            if q.id in seen:
                problems.append(BankProblem(", ".join(quiz.sources) or quiz.name, q.id,
                                            f"question id also used in {seen[q.id]}"))
            seen.setdefault(q.id, ", ".join(quiz.sources) or quiz.name)
    if problems:
        raise BankError(problems)
    questions = tuple(q for quiz in quizzes for q in quiz.questions)
    sources = tuple(s for quiz in quizzes for s in quiz.sources)
    return Quiz(name=name, title=title, questions=questions, sources=sources)

