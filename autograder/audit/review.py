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

Entries that no longer match anything are reported as stale, so the file stays true.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import tomllib
from pathlib import Path


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


def _entries(data: dict, key: str, cls, path: Path):
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
    unknown = set(data) - {"null", "equivalent"}
    if unknown:
        raise ReviewError(f"{path}: unknown section(s) {sorted(unknown)}; expected [[null]] and [[equivalent]]")
    return Review(path, _entries(data, "null", NullExcuse, path), _entries(data, "equivalent", Equivalent, path))
