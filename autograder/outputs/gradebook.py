"""Gradebook: a graded student's autograded points in nbgrader's gradebook, one transaction per student
(manual grades are kept), through one gradebook held for the run (``gradebook.Recorder``)."""
from __future__ import annotations

from ..results import gradebook
from ..results.records import StudentResult
from .base import ClassRun, Output, Stage


class NbgraderGradebook(Output):
    name = "gradebook"
    stage = Stage.RECORD

    def __init__(self) -> None:
        self._recorder: gradebook.Recorder | None = None

    def write(self, result: StudentResult, run: ClassRun) -> None:
        if self._recorder is None or self._recorder.course != run.course.root:
            if self._recorder is not None:
                self._recorder.close()
            self._recorder = gradebook.Recorder(run.course.root, run.course.course_id)
        self._recorder.record(result.student, run.assignment.name, result.reports, result.submitted_at)

    def end(self, results: list[StudentResult], run: ClassRun) -> None:  # noqa: ARG002 (the Output hook's signature)
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
