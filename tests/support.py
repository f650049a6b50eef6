"""Helpers shared by the test suite: build submissions from a source notebook, read fixtures.

A *fixture submission* is a small text file under ``tests/fixtures/<assignment>/<part>/``:

    # A forward pass that forgets the output bias b2.
    # expect-fail: test_forward* :: output bias
    # expect-pass: test_relu*
    # %% cell: forward
    def forward(X, params, activation="relu"):
        ...

Each ``# %% cell: GRADE_ID`` section replaces that solution cell of the instructor's source
notebook (the full solution); everything else stays as in the solution. ``expect-fail`` lines
name tests (fnmatch patterns) that must lose points with a message containing the text after
``::``; ``expect-pass`` patterns must keep full points; ``# expect: full-marks`` marks a correct
alternative that must score the maximum.
"""
from __future__ import annotations

import copy
import dataclasses
import fnmatch
import json
import re
from pathlib import Path

import nbformat

FIXTURES = Path(__file__).parent / "fixtures"
SECTION = re.compile(r"^# %% cell: *(\S+) *$", re.M)


@dataclasses.dataclass
class FixtureSubmission:
    path: Path
    description: str
    cells: dict[str, str]
    must_fail: list[tuple[str, str]]
    must_pass: list[str]
    full_marks: bool

    @property
    def id(self) -> str:
        return self.path.stem


def read_fixture(path: Path) -> FixtureSubmission:
    text = path.read_text()
    head, *sections = SECTION.split(text)
    cells = {sections[i]: sections[i + 1].strip("\n") + "\n" for i in range(0, len(sections), 2)}
    description, must_fail, must_pass, full = [], [], [], False
    for line in head.splitlines():
        body = line.lstrip("# ").rstrip()
        if body.startswith("expect-fail:"):
            pattern, _, message = body.removeprefix("expect-fail:").partition("::")
            must_fail.append((pattern.strip(), message.strip()))
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
    return FixtureSubmission(path, " ".join(description), cells, must_fail, must_pass, full)


def fixtures(assignment: str, part: str) -> list[FixtureSubmission]:
    return [read_fixture(p) for p in sorted((FIXTURES / assignment / part).glob("*.py"))]


def grade_ids(nb) -> list[str]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def with_cells(source: Path, replacements: dict[str, str], out: Path) -> Path:
    """Write ``source`` with the solution cells named in ``replacements`` replaced."""
    nb = nbformat.read(source, as_version=4)
    missing = set(replacements) - set(grade_ids(nb))
    if missing:
        raise KeyError(f"{source.name} has no cell(s) {sorted(missing)}")
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replacements:
            cell.source = replacements[gid]
    nbformat.write(nb, out)
    return out


def student_version(source: Path, out: Path) -> Path:
    """What students receive: nbgrader's own ClearSolutions and ClearOutput on the source."""
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    nb = nbformat.read(source, as_version=4)
    nb, _ = ClearSolutions().preprocess(copy.deepcopy(nb), {})
    nb, _ = ClearOutput().preprocess(nb, {})
    nbformat.write(nb, out)
    return out


def check_expectations(fixture: FixtureSubmission, report) -> list[str]:
    """Problems with a graded fixture, as readable lines (empty when it behaves as expected)."""
    problems = []
    tests = {t.name: t for t in report.tests}
    if fixture.full_marks and report.score != report.max_score:
        lost = [f"{t.name}: {t.message}" for t in report.tests if t.points < t.max_points]
        problems.append(f"expected full marks, got {report.score}/{report.max_score}: {lost}")
    for pattern, message in fixture.must_fail:
        hits = [t for name, t in tests.items() if fnmatch.fnmatch(name, pattern)]
        if not hits:
            problems.append(f"no test matches {pattern!r}")
        for t in hits:
            if t.points >= t.max_points:
                problems.append(f"{t.name} kept its points, but the fixture expects it to fail")
            elif message.lower() not in t.message.lower():
                problems.append(f"{t.name} failed with {t.message!r}, expected a message containing {message!r}")
    for pattern in fixture.must_pass:
        for name, t in tests.items():
            if fnmatch.fnmatch(name, pattern) and not t.passed:
                problems.append(f"{name} should pass but failed: {t.message}")
    return problems


def dump(report) -> str:
    return json.dumps(report.to_dict(), indent=1)
