"""Stage 1: read a submitted notebook defensively and decide what runs in the sandbox.

Only code is taken from a submission, never its outputs or metadata claims: which cells are
visible tests, locked setup or skipped demonstrations is decided by the instructor's source
notebook (matched by nbgrader grade_id), and locked cells get the source's text back.
"""
from __future__ import annotations

import json
from pathlib import Path

from .records import Cell

MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024
SKIP_TAG = "learnathon:skip-when-grading"


class SubmissionError(ValueError):
    """The file cannot be graded at all; the message says why, for the student."""


def read_json_notebook(path: Path) -> dict:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"the notebook file could not be opened ({exc.strerror})") from None
    if size == 0:
        raise SubmissionError("the notebook file is empty (0 bytes): was it saved before submitting?")
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"the notebook file is {size >> 20} MB, more than the {MAX_NOTEBOOK_BYTES >> 20} MB "
                              "limit: clear the outputs (Kernel > Restart & Clear Output) and save again")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"the notebook file is not UTF-8 text (bad byte at position {exc.start}); "
                              "it may be damaged or not a notebook") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the text: cut off inside a cell's source.
        truncated = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        where = "it ends too early (truncated?)" if truncated else f"line {exc.lineno}, column {exc.colno}"
        raise SubmissionError(f"the notebook file is not valid JSON ({exc.msg}; {where}); "
                              "open it in Jupyter, save it and submit again") from None
    if not isinstance(data, dict):
        raise SubmissionError("the notebook file is JSON but not a notebook (no top-level object)")
    return data


def raw_cells(data: dict) -> list[dict]:
    """Code and markdown cells as {"cell_type", "source", "metadata"}, for nbformat 4 and 3."""
    version = data.get("nbformat")
    if version == 4 or (version is None and isinstance(data.get("cells"), list)):
        cells = data.get("cells")
    elif version == 3:
        worksheets = data.get("worksheets") or [{}]
        cells = [{**c, "source": c.get("input", c.get("source", ""))} for c in (worksheets[0].get("cells") or [])
                 if isinstance(c, dict)]
    else:
        raise SubmissionError(f"unsupported notebook format version {version!r} (expected 4)")
    if not isinstance(cells, list):
        raise SubmissionError("the notebook has no list of cells")
    result = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        result.append({"cell_type": cell.get("cell_type"), "source": source, "metadata": metadata})
    return result


def nbgrader_meta(cell: dict) -> dict:
    meta = cell["metadata"].get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: dict) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def source_role(cell: dict) -> str:
    """What the instructor's source says a cell is: "test", "locked", "skip" or "code"."""
    meta = nbgrader_meta(cell)
    tags = cell["metadata"].get("tags") or []
    if SKIP_TAG in tags:
        return "skip"
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("locked") and not meta.get("solution"):
        return "locked"
    return "code"


def plan_cells(submission: Path, source: Path) -> list[Cell]:
    """The code cells to run for ``submission``, sanitised against the instructor's ``source``."""
    submitted = [c for c in raw_cells(read_json_notebook(submission)) if c["cell_type"] == "code"]
    reference = [c for c in raw_cells(read_json_notebook(source)) if c["cell_type"] == "code"]
    by_id = {grade_id(c): c for c in reference if grade_id(c)}
    seen: set[str] = set()
    plan: list[tuple[str, str, str | None]] = []  # (role, source, grade_id)
    for cell in submitted:
        gid = grade_id(cell)
        original = by_id.get(gid) if gid not in seen else None
        if original is None:
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
