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
from ..intake.files import MAX_NOTEBOOK_BYTES, Folder, SubmissionError, safe_file_stem
from ..results.records import StudentResult
from .base import ClassRun, Output, Stage, atomic_write

if TYPE_CHECKING:
    from ..admin.course import Course
    from ..grading.discovery import Assignment


def fingerprint(folder: Path, assignment: Assignment) -> str:
    """The submission's notebooks, read as grading reads them (a link, FIFO or oversized file is hashed
    as the reason it is refused: never followed, never waited for), the sources, tests and version."""
    digest = hashlib.sha256(__version__.encode())
    try:
        opened = Folder.open(folder.parent.parent, folder.parent.name, folder.name)
    except (SubmissionError, OSError) as exc:
        opened, refused = None, str(exc)
    for nb in assignment.notebooks:
        digest.update(nb.filename.encode())
        if opened is None:
            digest.update(f"<refused: {refused}>".encode())
        elif not opened.has(nb.filename):
            digest.update(b"<missing>")
        else:
            try:
                digest.update(opened.read(nb.filename, max_bytes=MAX_NOTEBOOK_BYTES))
            except SubmissionError as exc:
                digest.update(f"<refused: {exc}>".encode())
        for path in (nb.source, nb.tests):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    if opened is not None:
        opened.close()
    return digest.hexdigest()


def marker_path(course: Course, assignment: str, student: str) -> Path:
    # A hash stands in for ids that are long (250 bytes + ".json.tmp" is too long a name) or odd.
    return course.root / ".learnathon" / "graded" / assignment / f"{safe_file_stem(student)}.json"


def is_marked(course: Course, assignment: str, student: str, current: str) -> bool:
    """Whether the student was graded and recorded with exactly this fingerprint."""
    marker = marker_path(course, assignment, student)
    try:
        return marker.is_file() and json.loads(marker.read_text()).get("fingerprint") == current
    except (ValueError, OSError):      # a damaged marker: grade again
        return False


class ResumeMarker(Output):
    name = "marker"
    stage = Stage.MARK     # after every RECORD output has the student: a marked student is fully written

    def write(self, result: StudentResult, run: ClassRun) -> None:
        atomic_write(marker_path(run.course, run.assignment.name, result.student),
                     json.dumps({"fingerprint": result.fingerprint, "score": sum(r.score for r in result.reports)}))
