"""The result records that flow from the grader to every output (gradebook, feedback, JSON, ...).

``TestResult`` < ``NotebookReport`` (one notebook) < ``StudentResult`` (one student's submission of an
assignment in a class run: the record every output in ``autograder.outputs`` receives).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..grading.steps import Step
from ..intake.cells import CellOutcome
from ..sandbox.timings import Timings


@dataclasses.dataclass(frozen=True)
class TestResult:
    name: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    cell: str | None = None          # the nbgrader grade cell these points belong to
    description: str = ""            # what the test checks, in the student's words
    mistake: str | None = None       # id of the named mistake the failure recognised (testing.Mistake)
    concepts: tuple[str, ...] = ()   # lecture concepts the test exercises (hidden/<name>/concepts.toml)

    __test__ = False  # not a pytest test class

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "max_points": self.max_points,
                "passed": self.passed, "message": self.message, "mistake": self.mistake,
                "concepts": list(self.concepts)}


@dataclasses.dataclass(frozen=True)
class StepResult:
    """The results of one step (one nbgrader grade cell), as check, grade and the feedback list them."""
    grade_id: str | None
    title: str                       # grading.steps.Step.title: the same name everywhere
    section: str                     # the heading of the step's section, for a link ("" if unknown)
    tests: tuple[TestResult, ...]

    @property
    def points(self) -> float:
        return round(sum(t.points for t in self.tests), 6)

    @property
    def max_points(self) -> float:
        return round(sum(t.max_points for t in self.tests), 6)

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tests)

    @property
    def failed(self) -> list[TestResult]:
        return [t for t in self.tests if not t.passed]

    @property
    def concepts(self) -> tuple[str, ...]:
        """The lecture concepts of the checks it failed (all of its checks if it failed none)."""
        chosen = self.failed or list(self.tests)
        return tuple(dict.fromkeys(c for t in chosen for c in t.concepts))


@dataclasses.dataclass
class NotebookReport:
    """The grade of one submitted notebook (one part of an assignment)."""
    assignment: str
    notebook: str
    tests: list[TestResult]
    error: str | None = None          # why (part of) the notebook could not be graded
    cells: list[CellOutcome] = dataclasses.field(default_factory=list)   # for feedback
    student: str | None = None
    seconds: float = 0.0
    call_seconds: float = 0.0        # spent in calls of the student's functions (the notebook's call budget)
    timings: Timings | None = None    # where the seconds went (benchmarks/); never part of a grade
    # The notebook file exactly as grading took it (``intake.files.read_submission``: its bytes, or why it could
    # not be read). Feedback and the resume marker are built from it, never from a second read of the folder,
    # so a resubmission during a run never gets these results. None: not graded from a submission folder.
    graded_file: bytes | str | None = dataclasses.field(default=None, repr=False)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests), 6)

    def cell_scores(self) -> dict[str, tuple[float, float]]:
        """Points and max points per nbgrader grade cell."""
        scores: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            if t.cell is not None:
                got, most = scores.get(t.cell, (0.0, 0.0))
                scores[t.cell] = (round(got + t.points, 6), round(most + t.max_points, 6))
        return scores

    @property
    def ran(self) -> bool:
        """Whether any of the notebook's code ran (False: missing, unreadable or refused before running)."""
        return bool(self.cells)

    def by_step(self, steps: Iterable[Step] = ()) -> list[StepResult]:
        """The tests grouped by step, in the notebook's order. ``steps``: the notebook's
        ``grading.steps.Step``s (their titles name the groups); tests of another cell follow, by cell."""
        groups: dict[str | None, list[TestResult]] = {}
        for t in self.tests:
            groups.setdefault(t.cell, []).append(t)
        results = [StepResult(s.grade_id, s.title, s.section, tuple(groups.pop(s.grade_id)))
                   for s in steps if s.grade_id in groups]
        results += [StepResult(cell, cell or "other checks", "", tuple(tests)) for cell, tests in groups.items()]
        return results

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "score": self.score, "max_score": self.max_score,
                "tests": [t.to_dict() for t in self.tests], "error": self.error}


@dataclasses.dataclass
class StudentResult:
    """One student's result in a class run: graded, skipped (unchanged since graded) or NOT GRADED."""
    student: str
    reports: list[NotebookReport]
    skipped: bool = False          # already graded, unchanged since
    not_graded: str | None = None  # the grading machine failed (not the student): nothing recorded
    folder: Path | None = None     # the submission folder these reports grade
    fingerprint: str | None = None  # of what was graded and the grader (resume marker; outputs.marker.fingerprint)
    submitted_at: dt.datetime | None = None   # from nbgrader's timestamp.txt, when it holds a usable date
    notes: list[str] = dataclasses.field(default_factory=list)   # about the submission folder (timestamp.txt)
    # nbgrader's timestamp.txt and submission_secret.txt as read with ``submitted_at`` (intake.files.NBGRADER_RECORDS)
    nbgrader_records: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)

    def without_graded_files(self) -> StudentResult:
        """This result without its notebooks' bytes (``NotebookReport.graded_file``): what a class run keeps
        once every output has written the student, so a whole class's notebooks are never held at once."""
        return dataclasses.replace(self, reports=[dataclasses.replace(r, graded_file=None) for r in self.reports])

    @property
    def graded(self) -> bool:
        """Graded in this run: the only results that may be recorded (a grader failure is never a zero)."""
        return not self.skipped and self.not_graded is None

    @property
    def seconds(self) -> float:
        return round(sum(r.seconds for r in self.reports), 3)

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.reports), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.reports), 6)

    @property
    def errors(self) -> list[str]:
        """Why notebooks could not be graded fully: unreadable files, cells that hung or crashed."""
        notes = [f"{r.notebook}: {r.error}" for r in self.reports if r.error]
        for r in self.reports:
            notes += [f"{r.notebook}: code cell {c.index + 1} {c.error.removeprefix('this cell ')}"
                      for c in r.cells if c.error and c.error.startswith("this cell")]
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "score": self.score, "max_score": self.max_score,
                "skipped": self.skipped, "not_graded": self.not_graded, "notes": list(self.notes),
                "notebooks": [r.to_dict() for r in self.reports]}
