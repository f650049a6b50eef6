"""What an assignment's hidden tests are about, kept beside them and read by the grader and the class report.

Two files per assignment in ``autograder/hidden/<name>/``:

``concepts.toml``: the lecture concepts (ids from ``autograder/concepts.yaml``) each hidden test
exercises, one table per notebook::

    [part_a_forward_backward]
    test_relu = ["activation-functions"]
    test_forward_output = ["forward-pass", "matrix-form"]

``mistakes.toml``: the catalogue of the named mistakes the tests recognise (``testing.Mistake``
ids), for the follow-up quiz. Mistakes that answer the same question share it::

    [questions.relu]
    stem = "Which expression is ReLU(z)?"
    correct = "$\\max(0, z)$"
    concepts = ["activation-functions"]

    [mistakes]
    "relu.identity" = { question = "relu", wrote = "$z$ (negative inputs unchanged)" }

``wrote`` is what the student in effect wrote (the distractor); the question's ``correct`` is its
right counterpart. Both files are checked when read: unknown concepts, unknown questions, missing
fields fail with the file and the entry named.
"""
from __future__ import annotations

import dataclasses
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.concepts import check_concepts

CONCEPTS_FILE = "concepts.toml"
MISTAKES_FILE = "mistakes.toml"


class TagError(ValueError):
    """concepts.toml or mistakes.toml is malformed; the message names the file and the entry."""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TagError(f"{path}: not valid TOML: {exc}") from exc


def _concept_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise TagError(f"{where}: expected a non-empty list of concept ids")
    try:
        return check_concepts(value, where=where)
    except ValueError as exc:
        raise TagError(str(exc)) from exc


@lru_cache(maxsize=32)
def _test_concepts(path: Path, mtime: float) -> dict[str, dict[str, tuple[str, ...]]]:  # noqa: ARG001 (part of the cache key: a changed file is read again)
    data = _read_toml(path)
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for notebook, tests in data.items():
        if not isinstance(tests, dict):
            raise TagError(f"{path}: [{notebook}] should be a table of test name = [concept ids]")
        result[notebook] = {test: _concept_list(ids, f"{path.name}: {notebook}.{test}") for test, ids in tests.items()}
    return result


def concepts_by_test(hidden_dir: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """{notebook: {test name: concept ids}} from ``hidden_dir/concepts.toml`` ({} if there is none)."""
    path = Path(hidden_dir) / CONCEPTS_FILE
    if not path.is_file():
        return {}
    return _test_concepts(path, path.stat().st_mtime)


def concepts_of(tests_module: Path) -> dict[str, tuple[str, ...]]:
    """Concepts per test of one hidden test module (``test_<notebook>.py``)."""
    tests_module = Path(tests_module)
    return concepts_by_test(tests_module.parent).get(tests_module.stem.removeprefix("test_"), {})


@dataclasses.dataclass(frozen=True)
class CatalogueEntry:
    """One named mistake as a multiple-choice item: ``stem``, the right answer and what the student wrote."""
    id: str
    question: str           # the question it answers wrongly (shared by related mistakes)
    stem: str
    correct: str
    wrote: str              # the distractor: what the student in effect wrote
    concepts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"concepts": list(self.concepts)}


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TagError(f"{where}: missing or empty {key!r}")
    return value.strip()


@lru_cache(maxsize=32)
def _catalogue(path: Path, mtime: float) -> dict[str, CatalogueEntry]:  # noqa: ARG001 (part of the cache key: a changed file is read again)
    from .testing import MISTAKE_ID

    data = _read_toml(path)
    unknown = sorted(set(data) - {"questions", "mistakes"})
    if unknown:
        raise TagError(f"{path}: unknown table(s) {', '.join(unknown)} (allowed: questions, mistakes)")
    questions = data.get("questions", {})
    entries: dict[str, CatalogueEntry] = {}
    for mistake, entry in data.get("mistakes", {}).items():
        where = f"{path.name}: mistake {mistake!r}"
        if not MISTAKE_ID.match(mistake):
            raise TagError(f"{where}: ids look like 'topic.what_went_wrong'")
        if not isinstance(entry, dict):
            raise TagError(f"{where}: expected {{ question = ..., wrote = ... }}")
        extra = sorted(set(entry) - {"question", "wrote"})
        if extra:
            raise TagError(f"{where}: unknown field(s) {', '.join(extra)} (allowed: question, wrote)")
        question = _text(entry, "question", where)
        if question not in questions or not isinstance(questions[question], dict):
            raise TagError(f"{where}: question {question!r} is not in [questions]")
        q = questions[question]
        q_where = f"{path.name}: question {question!r}"
        extra = sorted(set(q) - {"stem", "correct", "concepts"})
        if extra:
            raise TagError(f"{q_where}: unknown field(s) {', '.join(extra)} (allowed: stem, correct, concepts)")
        wrote, correct = _text(entry, "wrote", where), _text(q, "correct", q_where)
        if " ".join(wrote.split()).casefold() == " ".join(correct.split()).casefold():
            raise TagError(f"{where}: 'wrote' is the question's correct answer")
        entries[mistake] = CatalogueEntry(mistake, question, _text(q, "stem", q_where), correct, wrote,
                                          _concept_list(q.get("concepts"), q_where))
    return entries


def mistake_catalogue(hidden_dir: Path) -> dict[str, CatalogueEntry]:
    """The named mistakes of one assignment by id, from ``hidden_dir/mistakes.toml`` ({} if there is none)."""
    path = Path(hidden_dir) / MISTAKES_FILE
    if not path.is_file():
        return {}
    return _catalogue(path, path.stat().st_mtime)
