"""The reviewed file ``autograder/hidden/<assignment>/audit.toml``: what the audit may forgive.

Two lists, every entry with a ``reason`` a reviewer has read:

    [[null]]            # a null implementation a test cannot tell from the answer
    notebook = "part_b_model_complexity"
    function = "train"
    variant = "first-argument"      # fnmatch pattern
    test = "test_train_*"           # fnmatch pattern
    reason = "..."

    [[equivalent]]      # a mutant that cannot change behaviour
    notebook = "part_a_forward_backward"
    cell = "relu"
    line = "return np.maximum(0, z)"   # the original line, stripped
    mutation = "`0` -> `1` (off by one)"
    reason = "..."

    [[variant]]         # correct answers written another way, which the released text allows (variants.py)
    notebook = "part_a_forward_backward"
    kind = "tensor"                    # tensor | list | 0-d | float32 | chunked | reordered
    functions = ["*"]                  # fnmatch patterns over the graded functions
    exclude = ["build_mlp"]            # optional
    text = "Your functions may return NumPy arrays, Python lists, torch tensors"   # quoted from the notebook

Entries that no longer match anything are reported as stale, so the file stays true; a variant's
``text`` must be found in the released notebook (emphasis and spacing aside).
"""
from __future__ import annotations

import dataclasses
import fnmatch
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from .variants import KINDS, Declaration


class ReviewError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class NullExcuse:
    notebook: str
    function: str
    variant: str
    test: str
    reason: str

    def covers(self, notebook: str, function: str, variant: str, test: str) -> bool:
        return (self.notebook == notebook and self.function == function
                and fnmatch.fnmatchcase(variant, self.variant) and fnmatch.fnmatchcase(test, self.test))


@dataclasses.dataclass(frozen=True)
class Equivalent:
    notebook: str
    cell: str
    line: str
    mutation: str
    reason: str

    def covers(self, notebook: str, key: tuple[str, str, str]) -> bool:
        return self.notebook == notebook and (self.cell, self.line, self.mutation) == key


@dataclasses.dataclass(frozen=True)
class Review:
    path: Path | None
    nulls: tuple[NullExcuse, ...] = ()
    equivalents: tuple[Equivalent, ...] = ()
    variants: tuple[Declaration, ...] = ()


def _patterns(value: object, where: str) -> tuple[str, ...]:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ReviewError(f"{where}: expected a list of function name patterns")
    return tuple(value)


def _variants(data: dict[str, Any], path: Path) -> tuple[Declaration, ...]:
    entries = []
    for number, entry in enumerate(data.get("variant", []), start=1):
        where = f"{path}: [[variant]] entry {number}"
        if not isinstance(entry, dict):
            raise ReviewError(f"{where} is not a table")
        unknown = set(entry) - {"notebook", "kind", "functions", "exclude", "text"}
        if unknown:
            raise ReviewError(f"{where} has unknown key(s) {sorted(unknown)}")
        missing = [k for k in ("notebook", "kind", "functions", "text")
                   if not entry.get(k) or (isinstance(entry.get(k), str) and not entry[k].strip())]
        if missing:
            raise ReviewError(f"{where} has no {', '.join(missing)} (text: the released sentence that allows it)")
        if entry["kind"] not in KINDS:
            raise ReviewError(f"{where}: unknown kind {entry['kind']!r} (one of {', '.join(KINDS)})")
        entries.append(Declaration(str(entry["notebook"]), entry["kind"], _patterns(entry["functions"], where),
                                   str(entry["text"]), _patterns(entry.get("exclude", []), where)))
    return tuple(entries)


Entry = TypeVar("Entry", NullExcuse, Equivalent)   # an audit.toml entry kind


def _entries(data: dict[str, Any], key: str, cls: type[Entry], path: Path) -> tuple[Entry, ...]:
    fields = [f.name for f in dataclasses.fields(cls)]
    entries = []
    for number, entry in enumerate(data.get(key, []), start=1):
        if not isinstance(entry, dict):
            raise ReviewError(f"{path}: [[{key}]] entry {number} is not a table")
        missing = [f for f in fields if not str(entry.get(f, "")).strip()]
        if missing:
            raise ReviewError(f"{path}: [[{key}]] entry {number} has no {', '.join(missing)} "
                              "(every entry needs all of them, and a reason a reviewer can check)")
        unknown = set(entry) - set(fields)
        if unknown:
            raise ReviewError(f"{path}: [[{key}]] entry {number} has unknown key(s) {sorted(unknown)}")
        entries.append(cls(**{f: str(entry[f]) for f in fields}))
    return tuple(entries)


def load(path: Path) -> Review:
    if not path.is_file():
        return Review(None)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ReviewError(f"{path}: {exc}") from None
    unknown = set(data) - {"null", "equivalent", "variant"}
    if unknown:
        raise ReviewError(f"{path}: unknown section(s) {sorted(unknown)}; expected [[null]], [[equivalent]] "
                          "and [[variant]]")
    return Review(path, _entries(data, "null", NullExcuse, path), _entries(data, "equivalent", Equivalent, path),
                  _variants(data, path))
