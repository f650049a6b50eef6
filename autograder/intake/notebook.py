"""Stage 1: read a submitted notebook defensively and decide what runs in the sandbox.

Only code is taken from a submission, never its outputs or metadata claims: which cells are
visible tests, locked setup or skipped demonstrations is decided by the instructor's source
notebook (matched by nbgrader grade_id), and locked cells get the source's text back.

The file is read through ``intake`` (one regular file, size-capped, decided on the opened
descriptor), parsed by the one capped JSON reader (``inputs.parse_json``: no 5,000-digit integers,
no NaN tokens, at most 100 levels of nesting), and its structure is type-checked at every level
before use: a field of the wrong type (cell metadata that is a list, a grade_id that is a number,
tags that are a string) is treated as absent, so the cell is the student's own code and nothing
the student wrote decides its role.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from .cells import Cell
from .files import MAX_NOTEBOOK_BYTES, SubmissionError, read_regular_file
from .inputs import JsonRefused, parse_json

__all__ = ["SubmissionError", "read_json_notebook", "parse_notebook", "validated_notebook", "raw_cells",
           "instructor_copy_reason", "SOLUTION_DELIMITER",
           "plan_cells", "MAX_NOTEBOOK_BYTES", "MAX_CELL_CODE_CHARS", "MAX_CODE_CHARS"]

MAX_CELLS = 20_000
# The worker channel carries at most codec.MAX_MESSAGE_BYTES (64 MiB) per message and JSON may
# spell a character in 12 bytes (an emoji as \ud83d\ude00): 4 Mi characters of code always fit.
# No honest notebook is near either limit.
MAX_CELL_CODE_CHARS = 2 * 1024 * 1024
MAX_CODE_CHARS = 4 * 1024 * 1024
SKIP_TAG = "learnathon:skip-when-grading"
# nbgrader's solution delimiters: only the instructor's source notebook has them (generate_assignment
# removes them from the released copy, and a student has no reason to type them).
SOLUTION_DELIMITER = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*$\n?", re.M)
CELL_TYPES = ("code", "markdown", "raw")


def parse_notebook(raw: bytes) -> dict[str, Any]:
    """The JSON object of a notebook file's bytes, or ``SubmissionError`` saying what is wrong with it.
    Parsed by the one capped JSON reader (``inputs.parse_json``)."""
    if len(raw) == 0:
        raise SubmissionError("the notebook file is empty (0 bytes): was it saved before submitting?")
    try:
        data = parse_json(raw)
    except JsonRefused as exc:
        if exc.kind == "encoding":
            raise SubmissionError(f"the notebook file is {exc.reason}; it may be damaged or not a notebook") from None
        if exc.kind == "syntax":
            raise SubmissionError(f"the notebook file is not valid JSON{exc.reason[len('invalid JSON'):]}; "
                                  "open it in Jupyter, save it and submit again") from None
        if exc.kind == "depth":
            raise SubmissionError(f"the notebook file is nested too deeply to be a notebook ({exc.reason}); "
                                  "open it in Jupyter, save it and submit again") from None
        raise SubmissionError(f"the notebook file is not a notebook Jupyter writes ({exc.reason}); "
                              "open it in Jupyter, save it and submit again") from None
    if not isinstance(data, dict):
        raise SubmissionError("the notebook file is JSON but not a notebook (no top-level object)")
    return data


def read_json_notebook(path: Path, *, dir_fd: int | None = None) -> dict[str, Any]:
    """Read and parse one notebook file (a regular file of at most MAX_NOTEBOOK_BYTES, not a link)."""
    raw = read_regular_file(path, max_bytes=MAX_NOTEBOOK_BYTES, what="the notebook file", dir_fd=dir_fd)
    return parse_notebook(raw)


def _text(value: object) -> str | None:
    """A cell's source: a string, or the strings of a list (nbformat's two spellings); anything else is no text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str))
    return None


def _nbgrader(value: object) -> dict[str, Any]:
    """nbgrader's cell metadata with every field of its documented type, the others dropped."""
    if not isinstance(value, dict):
        return {}
    clean = {}
    if isinstance(value.get("grade_id"), str) and 0 < len(value["grade_id"]) <= 200:
        clean["grade_id"] = value["grade_id"]
    for flag in ("grade", "solution", "locked", "task"):
        if type(value.get(flag)) is bool:
            clean[flag] = value[flag]
    points = value.get("points")
    if isinstance(points, int | float) and type(points) is not bool and math.isfinite(points) and points >= 0:
        clean["points"] = points
    if type(value.get("schema_version")) is int:
        clean["schema_version"] = value["schema_version"]
    return clean


def _metadata(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    clean: dict[str, dict[str, Any] | list[str]] = {}
    nbgrader = _nbgrader(value.get("nbgrader"))
    if nbgrader:
        clean["nbgrader"] = nbgrader
    tags = value.get("tags")
    if isinstance(tags, list):
        clean["tags"] = [t for t in tags if isinstance(t, str)]
    return clean


def _cells_of(data: dict[str, Any]) -> list[Any]:
    version = data.get("nbformat")
    if type(version) is int and version == 4 or (version is None and isinstance(data.get("cells"), list)):
        cells = data.get("cells")
    elif type(version) is int and version == 3:
        worksheets = data.get("worksheets")
        if not isinstance(worksheets, list):
            raise SubmissionError("the notebook (format 3) has no list of worksheets")
        first = worksheets[0] if worksheets and isinstance(worksheets[0], dict) else {}
        cells = first.get("cells") if first else []
        if isinstance(cells, list):
            cells = [{**c, "source": c.get("input", c.get("source", ""))} for c in cells if isinstance(c, dict)]
    else:
        shown = repr(version) if len(repr(version)) <= 40 else f"a {type(version).__name__}"
        raise SubmissionError(f"unsupported notebook format version {shown} (expected 4)")
    if not isinstance(cells, list):
        raise SubmissionError("the notebook has no list of cells")
    if len(cells) > MAX_CELLS:
        raise SubmissionError(f"the notebook has {len(cells)} cells, more than the {MAX_CELLS} a notebook may have")
    return cells


def validated_notebook(data: dict[str, Any]) -> dict[str, Any]:
    """A clean nbformat-4 notebook from parsed JSON: every cell a dict with a known ``cell_type``, a
    string ``source`` and metadata whose known fields have their types (the rest is dropped).
    Outputs are never kept. Raises ``SubmissionError`` if it is not a notebook or holds too much code."""
    cells, code_chars = [], 0
    for position, cell in enumerate(_cells_of(data)):
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES:
            continue
        source = _text(cell.get("source", ""))
        if source is None:
            source = ""
        clean = {"cell_type": cell["cell_type"], "source": source, "metadata": _metadata(cell.get("metadata"))}
        if clean["cell_type"] == "code":
            if len(source) > MAX_CELL_CODE_CHARS:
                raise SubmissionError(
                    f"cell {position + 1} holds {len(source) >> 20} MB of code, more than the "
                    f"{MAX_CELL_CODE_CHARS >> 20} MB a cell may hold: load large data from a file instead of pasting "
                    "it")
            code_chars += len(source)
            clean.update(outputs=[], execution_count=None)
        cells.append(clean)
    if code_chars > MAX_CODE_CHARS:
        raise SubmissionError(f"the notebook holds {code_chars >> 20} MB of code, more than the "
                              f"{MAX_CODE_CHARS >> 20} MB limit: load large data from files instead of pasting it")
    metadata = data.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    # nbformat requires both names of a kernelspec; a kernelspec without them is dropped.
    clean_metadata = {"kernelspec": {k: v for k, v in kernelspec.items() if k in ("name", "display_name", "language")
                                     and isinstance(v, str)}} if isinstance(kernelspec, dict) else {}
    if not {"name", "display_name"} <= set(clean_metadata.get("kernelspec", {})):
        clean_metadata = {}
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": clean_metadata, "cells": cells}


def instructor_copy_reason(notebook: dict[str, Any]) -> str | None:
    """Why a validated notebook is the instructor's source rather than a student's work, or None.

    Stock ``nbgrader collect`` copies what a symbolic link in the exchange points at, so a link to
    ``source/`` arrives in ``submitted/`` as a regular file: its solution delimiters give it away.
    """
    for position, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code" and SOLUTION_DELIMITER.search(cell["source"]):
            return (f"this is a copy of the instructor's source notebook (cell {position + 1} carries nbgrader's "
                    "solution delimiters, which no released notebook has), not a student's work; "
                    "it earns nothing and its content is not handed back")
    return None


def raw_cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Code, markdown and raw cells as {"cell_type", "source", "metadata"}, type-checked (nbformat 4 and 3)."""
    return [{k: c[k] for k in ("cell_type", "source", "metadata")} for c in validated_notebook(data)["cells"]]


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell["metadata"].get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: dict[str, Any]) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def source_role(cell: dict[str, Any]) -> str:
    """What the instructor's source says a cell is: "test", "locked", "skip" or "code"."""
    meta = nbgrader_meta(cell)
    if SKIP_TAG in cell["metadata"].get("tags", []):
        return "skip"
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("locked") and not meta.get("solution"):
        return "locked"
    return "code"


def plan_cells(submission: Path | bytes | dict[str, Any], source: Path) -> list[Cell]:
    """The code cells to run for ``submission`` (a file, its bytes, or a ``validated_notebook``),
    sanitised against the instructor's ``source`` (trusted: read as it is)."""
    if isinstance(submission, dict):
        notebook = submission
    else:
        notebook = validated_notebook(parse_notebook(submission) if isinstance(submission, bytes)
                                      else read_json_notebook(submission))
    submitted = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    reference = [c for c in raw_cells(parse_notebook(Path(source).read_bytes())) if c["cell_type"] == "code"]
    by_id = {grade_id(c): c for c in reference if grade_id(c)}
    seen: set[str] = set()
    plan: list[tuple[str, str, str | None]] = []  # (role, source, grade_id)
    for cell in submitted:
        gid = grade_id(cell)
        original = by_id.get(gid) if gid is not None and gid not in seen else None
        if gid is None or original is None:
            plan.append(("code", cell["source"], None))
            continue
        seen.add(gid)
        role = source_role(original)
        text = original["source"] if role in ("test", "locked", "skip") else cell["source"]
        plan.append((role, text, gid))
    # Locked setup cells a student deleted come back, in the source's order.
    for position, cell in enumerate(reference):
        gid = grade_id(cell)
        if gid and gid not in seen and source_role(cell) == "locked":
            before = {grade_id(c) for c in reference[:position]}
            at = max((i + 1 for i, p in enumerate(plan) if p[2] in before), default=0)
            plan.insert(at, ("locked", cell["source"], gid))
    return [Cell(i, text, "code" if role == "locked" else role, gid)
            for i, (role, text, gid) in enumerate(plan) if role != "skip"]
