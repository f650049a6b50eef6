"""Gradebook: a graded student's autograded points in nbgrader's gradebook, one transaction per student
(manual grades are kept; see ``autograder/results/gradebook.py``)."""
from __future__ import annotations

from ..results import gradebook
from ..results.records import StudentResult
from .base import ClassRun, Output, Stage


class NbgraderGradebook(Output):
    name = "gradebook"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        gradebook.record(run.course.root, run.course.course_id, result.student, run.assignment.name,
                         result.reports, result.submitted_at)
