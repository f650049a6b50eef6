"""Build notebooks from an instructor's source notebook: the student version, and submissions for the
demo class and the tests.

A *fixture submission* is a small text file:

    # A forward pass that forgets the output bias b2.
    # expect-fail: test_forward* :: output bias
    # expect-mistake: test_forward_output = forward.missing_output_bias
    # expect-pass: test_relu*
    # %% cell: forward
    def forward(X, params, activation="relu"):
        ...

Each ``# %% cell: GRADE_ID`` section replaces that cell of the source notebook (the full
solution); everything else stays as in the solution. ``expect-fail`` lines name tests
(fnmatch patterns) that must lose points with a message containing the text after ``::``;
``expect-mistake`` lines name the named mistake (``testing.Mistake`` id) a matching test must
recognise, and together they are every named mistake the submission makes (the class report's
counts of a fabricated class are checked against them); ``expect-pass`` patterns must keep full
points; ``# expect: full-marks`` marks a correct alternative that must score the maximum.
"""
from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from ..intake.notebook import SOLUTION_DELIMITER

if TYPE_CHECKING:
    from ..grading import discovery

SECTION = re.compile(r"^# %% cell: *(\S+) *$", re.M)


@dataclasses.dataclass
class FixtureSubmission:
    path: Path
    description: str
    cells: dict[str, str]
    must_fail: list[tuple[str, str]]
    must_pass: list[str]
    full_marks: bool
    mistakes: list[tuple[str, str]] = dataclasses.field(default_factory=list)   # (test pattern, mistake id)

    @property
    def id(self) -> str:
        return self.path.stem


def read_fixture(path: Path) -> FixtureSubmission:
    text = path.read_text()
    head, *sections = SECTION.split(text)
    cells = {sections[i]: sections[i + 1].strip("\n") + "\n" for i in range(0, len(sections), 2)}
    description: list[str] = []
    must_fail: list[tuple[str, str]] = []
    must_pass: list[str] = []
    mistakes: list[tuple[str, str]] = []
    full = False
    for line in head.splitlines():
        body = line.lstrip("# ").rstrip()
        if body.startswith("expect-fail:"):
            pattern, _, message = body.removeprefix("expect-fail:").partition("::")
            must_fail.append((pattern.strip(), message.strip()))
        elif body.startswith("expect-mistake:"):
            pattern, equals, mistake = body.removeprefix("expect-mistake:").partition("=")
            if not equals or not pattern.strip() or not mistake.strip():
                raise ValueError(f"{path}: write '# expect-mistake: TEST_PATTERN = mistake.id', not {line!r}")
            mistakes.append((pattern.strip(), mistake.strip()))
        elif body.startswith("expect-pass:"):
            must_pass.extend(p.strip() for p in body.removeprefix("expect-pass:").split(","))
        elif body == "expect: full-marks":
            full = True
        elif body:
            description.append(body)
    if not cells:
        raise ValueError(f"{path}: no '# %% cell: GRADE_ID' section")
    if not (must_fail or full):
        raise ValueError(f"{path}: says neither expect-fail nor expect: full-marks")
    return FixtureSubmission(path, " ".join(description), cells, must_fail, must_pass, full, mistakes)


def student_version(source_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What students receive, as a new notebook: the source through the preprocessors of ``nbgrader
    generate_assignment`` that need no gradebook (a course's release runs the command itself)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions, LockCells

    nb = copy.deepcopy(source_nb)
    for preprocessor in (LockCells(), ClearSolutions(), ClearOutput(), ClearHiddenTests(), ClearMarkScheme()):
        nb, _ = preprocessor.preprocess(nb, {})
    return nb


def grade_ids(nb: nbformat.NotebookNode) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def without_delimiters(text: str) -> str:
    """A cell's text without nbgrader's solution delimiters (a class run refuses notebooks that have them)."""
    return SOLUTION_DELIMITER.sub("", text)


def with_cells(source: Path, replacements: dict[str, str], out: Path) -> Path:
    """Write ``source`` with the cells named in ``replacements`` replaced, as a student who solved
    the rest would submit it: the solutions kept, nbgrader's solution delimiters gone."""
    nb = nbformat.read(source, as_version=4)
    missing = set(replacements) - set(grade_ids(nb))
    if missing:
        raise KeyError(f"{source.name} has no cell(s) {sorted(missing)}")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = without_delimiters(replacements[gid] if gid in replacements else cell.source)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def solved(source: Path, out: Path) -> Path:
    """A student's full solution: the source notebook's answers without nbgrader's delimiters."""
    return with_cells(source, {}, out)


def first_solution_cell(source: Path) -> str:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            return str(meta["grade_id"])
    raise ValueError(f"{source.name} has no solution cell")


def endless_loop(source: Path, out: Path) -> Path:
    """The solution with its first answer replaced by a loop that never ends."""
    return with_cells(source, {first_solution_cell(source): "while True:\n    pass\n"}, out)


def truncated(source: Path, out: Path, fraction: float = 0.4) -> Path:
    """A notebook file cut off part way, as after a failed upload."""
    data = source.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@dataclasses.dataclass(frozen=True)
class FabricatedStudent:
    student: str
    parts: dict[str, str]                # notebook -> what was submitted ("solution", a fixture id, ...)
    mistakes: frozenset[str]             # the named mistakes its fixtures declare (expect-mistake ids)


def class_with_mistakes(course_root: Path, assignment: discovery.Assignment, fixtures_dir: Path, size: int,
                        release: Path | None = None) -> list[FabricatedStudent]:
    """Write ``size`` submissions into ``course_root/submitted/``: a known mix of mistakes for the class report.

    Student i submits, for every notebook, the source solution or one fixture of that notebook, each
    cycling through [solution, *fixtures] with its own stride, so the parts combine differently; every
    25th student's first notebook is a truncated file and (with ``release``) every 25th, offset by 12,
    hands in the untouched student version of the last notebook. Fixtures replace cells of one
    notebook only, so the mistakes of different notebooks cannot interact: a student's named mistakes
    are exactly the union of their fixtures' ``expect-mistake`` ids.
    """
    choices: dict[str, list[str | FixtureSubmission]] = {
        nb.name: ["solution", *(read_fixture(p) for p in sorted((fixtures_dir / nb.name).glob("*.py")))]
        for nb in assignment.notebooks}
    strides = [1, 7, 11, 13]
    roster = []
    for i in range(size):
        student = f"s{i:03d}"
        folder = Path(course_root) / "submitted" / student / assignment.name
        folder.mkdir(parents=True, exist_ok=True)
        parts: dict[str, str] = {}
        mistakes: set[str] = set()
        for k, nb in enumerate(assignment.notebooks):
            out = folder / nb.filename
            options = choices[nb.name]
            choice = options[(i * strides[k % len(strides)]) % len(options)]
            if k == 0 and i % 25 == 24:
                truncated(nb.source, out)
                parts[nb.name] = "truncated file"
            elif release is not None and k == len(assignment.notebooks) - 1 and i % 25 == 12:
                out.write_bytes((release / nb.filename).read_bytes())
                parts[nb.name] = "untouched student version"
            elif isinstance(choice, str):       # "solution"
                out.write_bytes(nb.source.read_bytes())
                parts[nb.name] = "solution"
            else:
                with_cells(nb.source, choice.cells, out)
                parts[nb.name] = choice.id
                mistakes.update(mistake for _, mistake in choice.mistakes)
        (folder / "timestamp.txt").write_text("2026-11-29 10:00:00.000000 UTC")
        roster.append(FabricatedStudent(student, parts, frozenset(mistakes)))
    return roster


def expected_mistake_counts(roster: list[FabricatedStudent]) -> dict[str, int]:
    """How many fabricated students make each named mistake."""
    counts: dict[str, int] = {}
    for student in roster:
        for mistake in student.mistakes:
            counts[mistake] = counts.get(mistake, 0) + 1
    return dict(sorted(counts.items()))
