"""Helpers shared by the test suite: fixture submissions built from source notebooks.

The fixture format and the builders live in ``autograder.admin.fabricate`` (the demo class uses them
too); this module adds what only tests need: nbgrader's student version and checking a graded
fixture against its expect lines. Fixtures are found by tests/assignments/harness.py.
"""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import nbformat

from autograder.admin import fabricate
from autograder.admin.fabricate import FixtureSubmission, grade_ids, read_fixture, with_cells  # noqa: F401 - re-exported


def student_version(source: Path, out: Path) -> Path:
    """The student version of ``source`` (``autograder.admin.fabricate.student_version``), written to ``out``."""
    nbformat.write(fabricate.student_version(nbformat.read(source, as_version=4)), out)
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
    for pattern, mistake in fixture.mistakes:
        if not any(fnmatch.fnmatch(t.name, pattern) and t.mistake == mistake for t in report.tests):
            got = {t.name: t.mistake for t in report.tests if fnmatch.fnmatch(t.name, pattern)}
            problems.append(f"no test matching {pattern!r} recognised the mistake {mistake!r} (got {got})")
    # A fixture that declares its mistakes (or is correct) declares all of them: the class report's counts
    # of a fabricated class rest on that.
    declares = bool(fixture.mistakes) or fixture.full_marks
    for t in report.tests:
        if declares and t.mistake and not any(fnmatch.fnmatch(t.name, p) and m == t.mistake for p,
                                              m in fixture.mistakes):
            problems.append(f"{t.name} recognised the mistake {t.mistake!r}, which the fixture does not declare "
                            f"(add '# expect-mistake: {t.name} = {t.mistake}' if it is meant)")
    for pattern in fixture.must_pass:
        for name, t in tests.items():
            if fnmatch.fnmatch(name, pattern) and not t.passed:
                problems.append(f"{name} should pass but failed: {t.message}")
    return problems


def dump(report) -> str:
    return json.dumps(report.to_dict(), indent=1)


def grader_fails_for(monkeypatch, student: str):
    """Make the class run's grader fail for ``student`` alone, as a machine problem does (a GraderError whose
    first line is "the grading sandbox did not start:"); returns the real grader, to put back."""
    import autograder.classrun.autograde as stage
    from autograder.errors import GraderError

    real = stage.grade_student

    def fails_for_one(spec, folder, name, **kwargs):
        if name == student:
            raise GraderError("the grading sandbox did not start:\nno space left on device")
        return real(spec, folder, name, **kwargs)

    monkeypatch.setattr(stage, "grade_student", fails_for_one)
    return real
