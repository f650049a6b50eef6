"""Class record: each graded student's tests, named mistakes, concepts and incidents in the course's
SQLite store (``autograder/analytics/store.py``), one row set per run, beside nbgrader's gradebook.

It is what ``learnathon report`` reads. A rerun adds a new run and new rows; the report takes each
student's latest graded submission and counts the earlier ones as reruns or resubmissions.
"""
from __future__ import annotations

from ..analytics import store
from ..results.records import StudentResult
from .base import ClassRun, Output, Stage


class ResultsStore(Output):
    name = "results-store"
    stage = Stage.RECORD

    def __init__(self) -> None:
        self.run_id: int | None = None

    def begin(self, run: ClassRun) -> None:
        with store.open_store(run.course.root) as db:
            self.run_id = store.start_run(db, run.assignment.name, len(run.students))

    def write(self, result: StudentResult, run: ClassRun) -> None:
        if self.run_id is None:
            self.begin(run)
        assert self.run_id is not None
        with store.open_store(run.course.root) as db:
            store.record_student(db, self.run_id, run.assignment.name, result)
