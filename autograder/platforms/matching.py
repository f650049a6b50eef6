"""Which released notebook a submitted file is, by its content: the nbgrader cell ids (grade_id)
it carries, whatever the student renamed the file to."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ..intake.inputs import JsonRefused, parse_json
from ..intake.notebook import SubmissionError, grade_id, raw_cells

# What platforms and browsers append to a re-uploaded or re-downloaded file name.
COPY_SUFFIX = re.compile(r"(?:-\d+| \(\d+\)|_\d+)$")


@dataclasses.dataclass(frozen=True)
class Released:
    filename: str                 # the released notebook's name, e.g. part_a_forward_backward.ipynb
    grade_ids: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Identified:
    notebook: Released | None
    how: str                      # how it was matched, or why it could not be


def notebook_ids(data: dict[str, Any]) -> frozenset[str]:
    return frozenset(gid for cell in raw_cells(data) if (gid := grade_id(cell)))


def released(path: Path) -> Released:
    """A released (or source) notebook of the instructor's, by its cell ids."""
    parsed = parse_notebook(path.read_bytes())
    if isinstance(parsed, str):
        raise ValueError(f"{path}: {parsed}")
    return Released(path.name, notebook_ids(parsed))


def released_notebooks(folder: Path) -> list[Released]:
    """The notebooks of a released assignment folder (nbgrader's release/<assignment>/)."""
    return [released(path) for path in sorted(folder.glob("*.ipynb"))]


def parse_notebook(data: bytes) -> dict[str, Any] | str:
    """The notebook's JSON (read by the one capped JSON reader), or why these bytes are not a notebook."""
    try:
        parsed = parse_json(data)
    except JsonRefused as exc:
        if exc.kind == "encoding":
            return "not a notebook (binary or not UTF-8 text)"
        if exc.kind == "syntax":
            return f"not a readable notebook: {exc.reason}"
        return f"not a notebook Jupyter writes ({exc.reason})"
    if not isinstance(parsed, dict):
        return "not a notebook (JSON without a top-level object)"
    try:
        raw_cells(parsed)
    except SubmissionError as exc:
        return f"not a usable notebook ({exc})"
    return parsed


def identify(data: bytes, file_name: str, released: list[Released]) -> Identified:
    """Match by the share of each released notebook's cell ids the file carries; the best must be
    unambiguous. A notebook without any nbgrader cell id (saved by a tool that drops metadata)
    falls back to its file name."""
    parsed = parse_notebook(data)
    if isinstance(parsed, str):
        if Path(file_name).suffix.lower() != ".ipynb":
            return Identified(None, f"not a notebook ({file_name}); only notebooks are graded")
        return Identified(None, parsed)
    ids = notebook_ids(parsed)
    if ids:
        shares = sorted(((len(ids & r.grade_ids) / len(r.grade_ids), r) for r in released if r.grade_ids),
                        key=lambda pair: pair[0], reverse=True)
        if not shares or shares[0][0] == 0:
            return Identified(None, "a notebook, but none of its nbgrader cell ids belong to this assignment "
                                    "(a notebook of another assignment?)")
        if len(shares) > 1 and shares[1][0] == shares[0][0]:
            names = " and ".join(r.filename for _, r in shares[:2])
            return Identified(None, f"its cells match {names} equally; cannot tell which one it is")
        best_share, best = shares[0]
        return Identified(best, f"by content: {round(best_share * 100)}% of the cell ids of {best.filename}")
    stems = {Path(file_name).stem, COPY_SUFFIX.sub("", Path(file_name).stem)}   # "hw_2" is a name, not a copy
    for r in released:
        if Path(r.filename).stem in stems:
            return Identified(r, "by file name: the notebook carries no nbgrader cell ids")
    return Identified(None, "a notebook without nbgrader cell ids, and its name matches no released notebook "
                            "(was it saved by a tool that strips cell metadata?)")
