"""Feedback: per notebook, the HTML report in feedback/ and the graded notebook in autograded/; beside
them, as nbgrader's own autograde and generate_feedback do, the submission's timestamp.txt and
submission_secret.txt (which `nbgrader release_feedback` needs). All of it from the result record (the
bytes that were graded, the records read with the submission time), never from the folder as it is now."""
from __future__ import annotations

import json

from ..results.records import StudentResult
from ..results.render import graded_notebook, render_html
from .base import ClassRun, Output, Stage, atomic_write


class Feedback(Output):
    name = "feedback"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        course, assignment = run.course, run.assignment
        for report in result.reports:
            nb = assignment.notebook(report.notebook)
            atomic_write(course.feedback_html(result.student, assignment.name, report.notebook), render_html(report))
            # The bytes that were graded, never a fresh read of the folder (a resubmission since then is the
            # next run's). An unreadable submission is shown as the released notebook with the results filled in.
            graded = graded_notebook(report, submitted=report.graded_file,
                                     fallback=course.release_notebook(assignment.name, nb.filename))
            atomic_write(course.autograded_notebook(result.student, assignment.name, report.notebook),
                         json.dumps(graded, indent=1))
        for name, data in result.nbgrader_records.items():
            for folder in (course.feedback_dir(result.student, assignment.name),
                           course.autograded_dir(result.student, assignment.name)):
                atomic_write(folder / name, data)
