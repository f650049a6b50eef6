"""Gradescope's results.json, made from the one result record (``StudentResult``).

Used by the Gradescope autograder (``autograder/platforms/gradescope.py``, one submission per container) and,
as the registered output "gradescope", by a class run (``results/gradescope/<assignment>/<student>.json``
in the course), e.g. to check an assignment's Gradescope output before publishing it.

Visibility: Gradescope shows "visible" results the moment a student submits, so they could probe
the hidden tests by resubmitting. Each test's name, what it checks and its points are visible; the
failure message (which describes what went wrong on the hidden inputs, e.g. how far off the values
were) is a separate zero-point entry visible only "after_published", as learnathon's feedback files
are released only after grading. Printed output of the run is never shown (stdout_visibility hidden).
"""
from __future__ import annotations

import json

from ..results.records import StudentResult
from .base import ClassRun, Output, Stage, atomic_write

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def results_json(result: StudentResult, notes: tuple[str, ...] = ()) -> dict:
    """``notes``: files of the submission that were not graded, and why (shown to the student)."""
    tests: list[dict] = []
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
                              "output": t.message, "visibility": "after_published"})
    # Why a notebook could not be graded fully is about the student's own file: shown at once.
    problems = result.errors
    output = ("Problems while grading:\n" + "\n".join(f"- {p}" for p in problems)) if problems else \
        "Graded by hidden tests; details of failed checks are shown when grades are published."
    if notes:
        output += "\n\nFiles not graded:\n" + "\n".join(f"- {n}" for n in notes)
    return {"score": result.score, "output": output, "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests}


def write_results_json(result: StudentResult, path, notes: tuple[str, ...] = ()) -> None:
    atomic_write(path, json.dumps(results_json(result, notes), indent=1))


class GradescopeResults(Output):
    name = "gradescope"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        write_results_json(result, run.course.root / "results" / "gradescope" / run.assignment.name
                           / f"{result.student}.json")
