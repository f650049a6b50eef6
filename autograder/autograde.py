"""Grade a whole class: every submission of an assignment, isolated, recorded, fed back.

One student's notebooks are graded together; results go to the gradebook in one transaction,
then feedback is written. A marker per student (hash of the submission and the grader) makes
reruns skip what is already graded, so a killed run resumes where it stopped.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import tempfile
from pathlib import Path

from . import __version__, discovery, feedback, gradebook
from .course import Course, open_course
from .pool import ZygoteError
from .results import NotebookReport
from .session import SandboxError
from .runner import UnreadableSession, grade_notebook, run_hidden_tests


@dataclasses.dataclass
class StudentResult:
    student: str
    reports: list[NotebookReport]
    skipped: bool = False        # already graded, unchanged since
    not_graded: str | None = None  # the grading machine failed (not the student): nothing recorded

    @property
    def seconds(self) -> float:
        return round(sum(r.seconds for r in self.reports), 3)

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.reports), 6)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.reports), 6)

    @property
    def errors(self) -> list[str]:
        """Why notebooks could not be graded fully: unreadable files, cells that hung or crashed."""
        notes = [f"{r.notebook}: {r.error}" for r in self.reports if r.error]
        for r in self.reports:
            notes += [f"{r.notebook}: code cell {c.index + 1} {c.error.removeprefix('this cell ')}"
                      for c in r.cells if c.error and c.error.startswith("this cell")]
        return notes

    def to_dict(self) -> dict:
        return {"student": self.student, "score": self.score, "max_score": self.max_score,
                "skipped": self.skipped, "not_graded": self.not_graded, "notebooks": [r.to_dict() for r in self.reports]}


def read_timestamp(folder: Path) -> dt.datetime | None:
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError, TypeError):
        return None


def fingerprint(folder: Path, spec: discovery.Assignment) -> str:
    digest = hashlib.sha256(__version__.encode())
    for nb in spec.notebooks:
        for path in (folder / nb.filename, nb.source, nb.tests):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def marker_path(course: Course, assignment: str, student: str) -> Path:
    return course.root / ".learnathon" / "graded" / assignment / f"{student}.json"


def grade_student(spec: discovery.Assignment, folder: Path, student: str, *, slot: int | None = None,
                  hide: tuple[Path, ...] = ()) -> list[NotebookReport]:
    reports = []
    for nb in spec.notebooks:
        path = folder / nb.filename
        if path.is_file():
            reports.append(grade_notebook(nb, path, slot=slot, student=student, hide=hide))
        else:
            others = sorted(p.name for p in folder.glob("*.ipynb"))
            reason = f"{nb.filename} was not submitted" + (f" (found: {', '.join(others)})" if others else "")
            reports.append(NotebookReport(spec.name, nb.name, run_hidden_tests(nb, UnreadableSession(reason)),
                                          error=reason, student=student))
    return reports


def _one_thread_each() -> None:
    """In each grading process of a pool: one BLAS/OpenMP/torch thread, so N jobs use N cores."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"


def _grade_in_worker(assignment: str, folder: str, student: str, hide: tuple) -> list[NotebookReport]:
    return grade_student(discovery.load(assignment), Path(folder), student, hide=hide)


def _grade_on_cluster(assignment: str, student: str, notebooks: dict[str, bytes]) -> list[NotebookReport]:
    """Runs on a cluster worker: the submission travels as bytes, the sandbox is the worker's own."""
    with tempfile.TemporaryDirectory(prefix="learnathon-remote-") as tmp:
        folder = Path(tmp) / student / assignment
        folder.mkdir(parents=True)
        for name, data in notebooks.items():
            (folder / name).write_bytes(data)
        return grade_student(discovery.load(assignment), folder, student)


def _submission_bytes(spec: discovery.Assignment, folder: Path) -> dict[str, bytes]:
    return {nb.filename: (folder / nb.filename).read_bytes() for nb in spec.notebooks if (folder / nb.filename).is_file()}


def autograde(*, course_dir: Path, assignment: str, student: str | None = None, jobs: int = 1,
              force: bool = False, cluster: str | None = None, progress=None) -> list[StudentResult]:
    """Grade the class; with ``cluster`` (a Dask scheduler address) on that cluster's workers."""
    course = open_course(course_dir)
    spec = discovery.load(assignment)
    students = course.submitted(assignment)
    if student is not None:
        if student not in students:
            raise LookupError(f"no submission of {assignment} by {student!r} in {course.root / 'submitted'}")
        students = [student]
    hide = (course.root,)
    results: list[StudentResult] = []
    todo = []
    for name in students:
        folder = course.submission_dir(name, assignment)
        marker = marker_path(course, assignment, name)
        fp = fingerprint(folder, spec)
        if not force and marker.is_file() and json.loads(marker.read_text()).get("fingerprint") == fp:
            results.append(StudentResult(name, [], skipped=True))
            if progress:
                progress(results[-1], len(results), len(students))
            continue
        todo.append((name, folder, fp))

    def finish(name, folder, fp, grade):
        try:
            reports = grade()
        except (SandboxError, ZygoteError) as exc:
            # A fault of the grading machine must not become a zero in the gradebook.
            results.append(StudentResult(name, [], not_graded=str(exc).splitlines()[0]))
            if progress:
                progress(results[-1], len(results), len(students))
            return
        gradebook.record(course.root, course.course_id, name, assignment, reports, read_timestamp(folder))
        for report in reports:
            nb = spec.notebook(report.notebook)
            feedback.write(report, html_path=course.feedback_html(name, assignment, report.notebook),
                           notebook_path=course.autograded_notebook(name, assignment, report.notebook),
                           submitted=folder / nb.filename,
                           fallback=course.release_notebook(assignment, nb.filename))
        marker = marker_path(course, assignment, name)
        marker.parent.mkdir(parents=True, exist_ok=True)
        feedback.atomic_write(marker, json.dumps({"fingerprint": fp, "score": sum(r.score for r in reports)}))
        results.append(StudentResult(name, reports))
        if progress:
            progress(results[-1], len(results), len(students))

    if cluster is not None:
        from distributed import Client, as_completed

        with Client(cluster, timeout="30s") as client:
            pending = {client.submit(_grade_on_cluster, assignment, name, _submission_bytes(spec, folder),
                                     pure=False, key=f"learnathon-{assignment}-{name}-{fp[:12]}"): (name, folder, fp)
                       for name, folder, fp in todo}
            for future in as_completed(pending):
                finish(*pending[future], future.result)
    elif jobs <= 1 or len(todo) <= 1:
        for name, folder, fp in todo:
            finish(name, folder, fp, lambda: grade_student(spec, folder, name, hide=hide))
    else:
        # Spawned, not forked: a fork of a grader whose torch/OpenMP threads already ran deadlocks.
        with concurrent.futures.ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=_one_thread_each) as pool:
            pending = {pool.submit(_grade_in_worker, assignment, str(folder), name, hide): (name, folder, fp)
                       for name, folder, fp in todo}
            for future in concurrent.futures.as_completed(pending):
                finish(*pending[future], future.result)
    order = {name: i for i, name in enumerate(students)}
    return sorted(results, key=lambda r: order[r.student])
