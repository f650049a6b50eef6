"""Gradescope's results.json, made from the one result record (``StudentResult``).

Used by the Gradescope autograder (``autograder/platforms/gradescope.py``, one submission per container) and,
as the registered output "gradescope", by a class run (``results/gradescope/<assignment>/<student>.json``
in the course), e.g. to check an assignment's Gradescope output before publishing it.

What a student sees when (Gradescope's specification, ``gradescope_results.schema.json`` beside this file):
each check is a test with its name, what it checks, its points and ``status`` ("passed"/"failed"), visible
the moment the student submits, so the points of every check are known at once. The failure message
(which describes what went wrong on the hidden inputs, e.g. how far off the values were) is a separate
zero-point "(details)" test with ``status`` "failed", visible only "after_published", as learnathon's
feedback files are released only after grading: students could otherwise probe the hidden tests by
resubmitting. Without ``status`` Gradescope marks a test passed when its score reaches its max_score,
so a 0-of-0 details test would read "passed"; every test therefore carries its status. Gradescope
does not show the total score while any of a submission's tests waits for publication, so a
submission with a failed check shows its total when grades are published (its checks' points are
visible before), one that passes every check shows it at once. Printed output of the run is never
shown (stdout_visibility hidden), and every text is shown as text (``*_format`` "text"): file names
and messages come from the submission and must not render as HTML.

``write_results_json`` validates against the schema before writing: a results.json that breaks the
specification is a grader failure (the run ends NOT GRADED), never a file Gradescope misreads.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ..results.records import StudentResult
from .base import ClassRun, Output, Stage, atomic_write

SCHEMA_PATH = Path(__file__).with_name("gradescope_results.schema.json")


@functools.cache
def results_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))   # our own packaged file
    return schema


def results_json(result: StudentResult, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    """``notes``: files of the submission that were not graded, and why (shown to the student)."""
    tests: list[dict[str, Any]] = []
    for report in result.reports:
        for t in report.tests:
            tests.append({
                "name": f"{report.notebook}: {t.name}",
                "score": t.points, "max_score": t.max_points,
                "status": "passed" if t.passed else "failed",
                "output": (t.description or t.name) + ("" if t.passed else " (failed; details when grades are "
                                                                           "published)"),
                "visibility": "visible"})
            if not t.passed and t.message:
                tests.append({"name": f"{report.notebook}: {t.name} (details)", "score": 0.0, "max_score": 0.0,
                              "status": "failed", "output": t.message, "visibility": "after_published"})
    # Why a notebook could not be graded fully is about the student's own file: shown at once.
    problems = result.errors
    output = ("Problems while grading:\n" + "\n".join(f"- {p}" for p in problems)) if problems else \
        "Graded by hidden tests; details of failed checks are shown when grades are published."
    if notes:
        output += "\n\nFiles not graded:\n" + "\n".join(f"- {n}" for n in notes)
    return {"score": result.score, "output": output, "output_format": "text", "test_output_format": "text",
            "test_name_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_results_json(result: StudentResult, path: Path | str, notes: tuple[str, ...] = ()) -> None:
    """Validated against Gradescope's specification first (``jsonschema.ValidationError`` if it breaks it)."""
    import jsonschema

    results = results_json(result, notes)
    jsonschema.validate(results, results_schema())
    atomic_write(Path(path), json.dumps(results, indent=1))


class GradescopeResults(Output):
    name = "gradescope"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        write_results_json(result, run.course.root / "results" / "gradescope" / run.assignment.name
                           / f"{result.student}.json")
