"""Gradebook: a graded student's autograded points in nbgrader's gradebook, one transaction per student
(manual grades are kept; see ``autograder/gradebook.py``)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .. import gradebook
from ..results import StudentResult
from .base import ClassRun, Output, Stage


def read_timestamp(folder: Path) -> dt.datetime | None:
    """When nbgrader collected the submission (its timestamp.txt), if it says so legibly."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError, TypeError):
        return None


class NbgraderGradebook(Output):
    name = "gradebook"
    stage = Stage.RECORD

    def write(self, result: StudentResult, run: ClassRun) -> None:
        gradebook.record(run.course.root, run.course.course_id, result.student, run.assignment.name,
                         result.reports, read_timestamp(result.folder))
