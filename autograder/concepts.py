"""The one list of lecture concepts that the notebooks, the quiz bank and the hidden tests share.

The list lives in ``autograder/concepts.yaml``. Everything that tags something with a concept
(bank questions, hidden autograder tests, the class report) goes through this module, so an unknown
or misspelt id fails loudly instead of silently creating a concept nobody else knows::

    from autograder.concepts import check_concepts, get_concept, load_concepts
    load_concepts()["mse"].title               # 'Mean squared error (L2) loss for regression'
    check_concepts(["mse", "chain-rule"], where="test_mse_loss")   # returns the ids as a tuple
    check_concepts(["mse-loss"], where="test_mse_loss")
    # UnknownConceptError: test_mse_loss: unknown concept 'mse-loss' (did you mean 'mse'?); ...

It imports nothing heavier than PyYAML. It lives in the engine, which grades and reports with it; the
quiz package imports it from here (the engine never imports the quiz package to grade).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONCEPTS_PATH = Path(__file__).parent / "concepts.yaml"
SECTIONS = (
    "Neural network basics",
    "Neural network training",
    "Architecture and hyperparameters",
    "Applications of neural networks for regression",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FIELDS = ("id", "title", "section", "source")


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    section: str  # one of SECTIONS, the lecture outline's four sections
    source: str   # where the lecture (or the assignment slide) teaches it

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "section": self.section, "source": self.source}


class ConceptListError(ValueError):
    """The concept list file itself is malformed; the message names the file and the entry."""


class UnknownConceptError(ValueError):
    """Something is tagged with concept ids that the concept list does not have."""

    def __init__(self, where: str, unknown: list[str], known: Iterable[str]):
        known = sorted(known)
        self.where, self.unknown = where, unknown
        parts = []
        for concept_id in unknown:
            close = (difflib.get_close_matches(concept_id, known, n=1, cutoff=0.5)
                     or [k for k in known if k in concept_id or concept_id in k][:1])
            parts.append(f"{concept_id!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}unknown concept{'s' if len(unknown) > 1 else ''} {', '.join(parts)}; "
                         f"the concepts are listed in {CONCEPTS_PATH.name} ({', '.join(known)})")


def parse_concepts(text: str, file: str) -> dict[str, Concept]:
    """Concepts by id from the list's YAML text; ``file`` names the source in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConceptListError(f"{file}: not valid YAML: {exc}") from exc
    entries = data.get("concepts") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConceptListError(f"{file}: expected a mapping with a non-empty list 'concepts'")
    concepts: dict[str, Concept] = {}
    problems = []
    for number, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        where = f"{file}: concept {label!r}" if isinstance(label, str) else f"{file}: concept #{number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with {', '.join(_FIELDS)}")
            continue
        missing = [f for f in _FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
        unknown = sorted(set(entry) - set(_FIELDS))
        if missing:
            problems.append(f"{where}: missing or empty field(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(_FIELDS)})")
        if missing or unknown:
            continue
        if not _ID.match(entry["id"]):
            problems.append(f"{where}: id must be lower-case letters, digits and '-'")
        if entry["section"] not in SECTIONS:
            problems.append(f"{where}: section {entry['section']!r} is not one of {', '.join(SECTIONS)}")
        if entry["id"] in concepts:
            problems.append(f"{where}: duplicate id")
        concepts.setdefault(entry["id"], Concept(**{f: entry[f] for f in _FIELDS}))
    if problems:
        raise ConceptListError("\n".join(problems))
    return concepts


@lru_cache(maxsize=1)
def load_concepts() -> dict[str, Concept]:
    """Every concept of the shared list, by id, in the list's order (lecture order)."""
    return parse_concepts(CONCEPTS_PATH.read_text(encoding="utf-8"), str(CONCEPTS_PATH))


def concept_ids() -> tuple[str, ...]:
    return tuple(load_concepts())


def get_concept(concept_id: str) -> Concept:
    concepts = load_concepts()
    if concept_id not in concepts:
        raise UnknownConceptError("", [concept_id], concepts)
    return concepts[concept_id]


def check_concepts(ids: Iterable[str], where: str = "") -> tuple[str, ...]:
    """``ids`` as a tuple if every one is in the list; else UnknownConceptError naming ``where``."""
    ids = tuple(ids)
    known = load_concepts()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UnknownConceptError(where, unknown, known)
    return ids
