"""Feedback: per notebook, the HTML report in feedback/ and the graded notebook in autograded/; beside
them, as nbgrader's own autograde and generate_feedback do, the submission's timestamp.txt and
submission_secret.txt (which `nbgrader release_feedback` needs)."""
from __future__ import annotations

import json

from ..intake.files import read_nbgrader_records, read_submission
from ..results.records import StudentResult
from ..results.render import graded_notebook, render_html
from .base import ClassRun, Output, Stage, atomic_write


class Feedback(Output):
    name = "feedback"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        course, assignment = run.course, run.assignment
        assert result.folder is not None, "a graded result knows its submission folder"
        # Read as grading read it: a link, FIFO or copy of the source is never handed back.
        files = read_submission(result.folder, [nb.filename for nb in assignment.notebooks])
        for report in result.reports:
            nb = assignment.notebook(report.notebook)
            atomic_write(course.feedback_html(result.student, assignment.name, report.notebook), render_html(report))
            # An unreadable submission is shown as the released notebook with the results filled in.
            graded = graded_notebook(report, submitted=files.get(nb.filename),
                                     fallback=course.release_notebook(assignment.name, nb.filename))
            atomic_write(course.autograded_notebook(result.student, assignment.name, report.notebook),
                         json.dumps(graded, indent=1))
        for name, data in read_nbgrader_records(result.folder).items():
            for folder in (course.feedback_dir(result.student, assignment.name),
                           course.autograded_dir(result.student, assignment.name)):
                atomic_write(folder / name, data)
