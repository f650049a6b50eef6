"""Resume marker: once a student is recorded, a file with the fingerprint of what was graded.

The fingerprint hashes the notebooks as grading took them, the assignment's sources and hidden tests,
and the grader's version; ``autograde`` skips a student whose marker holds the fingerprint of the
folder as it is now, so a rerun grades only what changed and a killed run resumes where it stopped.
A marker holds what was graded, not what the folder held before: a notebook resubmitted while its
student waited to be graded is graded and marked as the new one.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..intake.files import read_submission, safe_file_stem
from ..results.records import StudentResult
from .base import ClassRun, Output, Stage, atomic_write

if TYPE_CHECKING:
    from ..admin.course import Course
    from ..grading.discovery import Assignment


def fingerprint(files: Mapping[str, bytes | str], assignment: Assignment) -> str:
    """What was graded: each notebook as ``intake.files.read_submission`` took it (its bytes, or why it was
    refused: a link, FIFO or oversized file is never followed, never waited for), the sources, tests and version."""
    digest = hashlib.sha256(__version__.encode())
    for nb in assignment.notebooks:
        digest.update(nb.filename.encode())
        content = files.get(nb.filename, "not graded")
        # Tagged and length-prefixed: no file's bytes can read as a refusal or run into the next notebook.
        data = content if isinstance(content, bytes) else content.encode("utf-8", "backslashreplace")
        digest.update(b"%s %d:" % (b"file" if isinstance(content, bytes) else b"refused", len(data)) + data)
        for path in (nb.source, nb.tests):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def folder_fingerprint(folder: Path, assignment: Assignment) -> str:
    """The fingerprint of a submission folder as it is now (whether it changed since it was graded)."""
    return fingerprint(read_submission(folder, [nb.filename for nb in assignment.notebooks]), assignment)


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
