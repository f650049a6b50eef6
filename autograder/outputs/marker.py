"""Resume marker: once a student is recorded, a file with the fingerprint of what was graded.

The fingerprint hashes the submitted notebooks, the assignment's sources and hidden tests, and the
grader's version; ``autograde`` skips a student whose marker holds the current fingerprint, so a
rerun grades only what changed and a killed run resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..results import StudentResult
from .base import ClassRun, Output, Stage, atomic_write

if TYPE_CHECKING:
    from ..assignments import Assignment
    from ..course import Course


def fingerprint(folder: Path, assignment: Assignment) -> str:
    digest = hashlib.sha256(__version__.encode())
    for nb in assignment.notebooks:
        for path in (folder / nb.filename, nb.source, nb.tests):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def marker_path(course: Course, assignment: str, student: str) -> Path:
    return course.root / ".learnathon" / "graded" / assignment / f"{student}.json"


def is_marked(course: Course, assignment: str, student: str, current: str) -> bool:
    """Whether the student was graded and recorded with exactly this fingerprint."""
    marker = marker_path(course, assignment, student)
    return marker.is_file() and json.loads(marker.read_text()).get("fingerprint") == current


class ResumeMarker(Output):
    name = "marker"
    stage = Stage.MARK     # after every RECORD output has the student: a marked student is fully written

    def write(self, result: StudentResult, run: ClassRun) -> None:
        atomic_write(marker_path(run.course, run.assignment.name, result.student),
                     json.dumps({"fingerprint": result.fingerprint, "score": sum(r.score for r in result.reports)}))
