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
def quiet() -> Iterator[None]:
    """nbgrader's own ORM use triggers SQLAlchemy autoflush warnings that are not ours to fix."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        yield


def new_gradebook(course: Path, course_id: str) -> Gradebook:
    """nbgrader's Gradebook of the course (it may migrate the database: hold the course's lock)."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()
    return Gradebook(db_url(course), course_id)


@contextlib.contextmanager
def open_gradebook(course: Path, course_id: str) -> Iterator[Gradebook]:
    with locked(course), quiet(), new_gradebook(course, course_id) as gb:
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
        record_into(gb, student, assignment, reports, timestamp)


class Recorder:
    """The gradebook of a class run, opened once for all its records: SQLAlchemy compiles each statement
    once per engine, and a gradebook opened per student (a new engine each time) made that ~40 ms of
    every record, in the process that also hands out the class's grading. Each record still takes
    the course's lock and is one transaction, so other writers (formgrader, a collect) go between."""

    def __init__(self, course: Path, course_id: str):
        self.course, self.course_id = course, course_id
        self._gradebook: Gradebook | None = None

    def record(self, student: str, assignment: str, reports: list[NotebookReport],
               timestamp: dt.datetime | None = None) -> None:
        with locked(self.course), quiet():
            if self._gradebook is None:
                self._gradebook = new_gradebook(self.course, self.course_id)
            try:
                record_into(self._gradebook, student, assignment, reports, timestamp)
            except BaseException:
                self.close()            # nothing half-written stays in the session for the next student
                raise

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None


def record_into(gb: Gradebook, student: str, assignment: str, reports: list[NotebookReport],
                timestamp: dt.datetime | None = None) -> None:
    """``record`` in an open gradebook. The submission's grades are read in one query with their cells and
    notebooks (nbgrader's own tables), not one ``find_grade`` per cell (~40 ms a student)."""
    from nbgrader.api import Grade, GradeCell, Notebook, SubmittedNotebook

    gb.update_or_create_student(student)
    submission = gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    scores = {r.notebook: r.cell_scores() for r in reports}
    notebooks = gb.find_assignment(assignment).notebooks
    cells = sum(len(notebook.grade_cells) for notebook in notebooks)
    rows = (gb.db.query(Grade, GradeCell, Notebook)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(GradeCell, Grade.cell_id == GradeCell.id)
            .join(Notebook, GradeCell.notebook_id == Notebook.id)
            .filter(SubmittedNotebook.assignment_id == submission.id).all())
    if len(rows) != cells:      # a grade nbgrader never made: find_grade names it (MissingEntry)
        rows = [(gb.find_grade(cell.name, notebook.name, assignment, student), cell, notebook)
                for notebook in notebooks for cell in notebook.grade_cells]
    for grade, cell, notebook in rows:
        if cell.cell_type != "code":
            grade.needs_manual_grade = grade.manual_score is None
            continue
        got, most = scores.get(notebook.name, {}).get(cell.name, (0.0, 0.0))
        grade.auto_score = round(got / most * cell.max_score, 6) if most else 0.0
        grade.needs_manual_grade = False
    gb.db.commit()


def class_scores(course: Path, course_id: str, assignment: str) -> dict[str, float]:
    """Total score per student as nbgrader computes it (manual grades take precedence)."""
    with open_gradebook(course, course_id) as gb:
        return {s.student.id: float(s.score) for s in gb.find_assignment(assignment).submissions}
