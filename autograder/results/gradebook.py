"""Stage 4: record autograded points in nbgrader's gradebook (stock nbgrader, its public API).

Only ``auto_score`` of autograded cells is written: manual grades from formgrader and the
manually graded cells stay as they are. Writes are serialised with a lock file so that two
grading runs on one course never interleave their transactions.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .records import NotebookReport

if TYPE_CHECKING:
    from nbgrader.api import Gradebook


def ensure_tools_on_path() -> None:
    """nbgrader's Gradebook shells out to `alembic`; make the one beside this Python findable."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def db_url(course: Path) -> str:
    return f"sqlite:///{(course / 'gradebook.db').resolve()}"


@contextlib.contextmanager
def locked(course: Path, name: str = "gradebook") -> Iterator[None]:
    """One writer of the course's ``name`` record at a time, across processes (a flock'ed file)."""
    lock_dir = Path(course) / ".learnathon"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def open_gradebook(course: Path, course_id: str) -> Iterator[Gradebook]:
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    with locked(course), warnings.catch_warnings():
        # nbgrader's own ORM use triggers SQLAlchemy autoflush warnings that are not ours to fix.
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        with Gradebook(db_url(course), course_id) as gb:
            yield gb


def notebook_names(course: Path, course_id: str, assignment: str) -> list[str]:
    from nbgrader.api import MissingEntry

    with open_gradebook(course, course_id) as gb:
        try:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return []


def record(course: Path, course_id: str, student: str, assignment: str, reports: list[NotebookReport],
           timestamp: dt.datetime | None = None) -> None:
    """Store one student's autograded points for an assignment, in a single transaction."""
    with open_gradebook(course, course_id) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        by_notebook = {r.notebook: r for r in reports}
        for notebook in gb.find_assignment(assignment).notebooks:
            report = by_notebook.get(notebook.name)
            scores = report.cell_scores() if report else {}
            for cell in notebook.grade_cells:
                grade = gb.find_grade(cell.name, notebook.name, assignment, student)
                if cell.cell_type != "code":
                    grade.needs_manual_grade = grade.manual_score is None
                    continue
                got, most = scores.get(cell.name, (0.0, 0.0))
                grade.auto_score = round(got / most * cell.max_score, 6) if most else 0.0
                grade.needs_manual_grade = False
        gb.db.commit()


def class_scores(course: Path, course_id: str, assignment: str) -> dict[str, float]:
    """Total score per student as nbgrader computes it (manual grades take precedence)."""
    with open_gradebook(course, course_id) as gb:
        return {s.student.id: float(s.score) for s in gb.find_assignment(assignment).submissions}
