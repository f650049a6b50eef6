"""Grade a whole class: select the students -> grade each -> hand each result to every output.

Grading runs here, in a process pool (``jobs``) or on a Dask cluster, and yields one
``StudentResult`` per student as it completes; the outputs (``autograder/outputs/``) record it:
by default nbgrader's gradebook, feedback, then a resume marker per student (hash of the
submission and the grader) that makes reruns skip what is already graded, so a killed run
resumes where it stopped.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import NamedTuple

from ..admin.course import Course, open_course
from ..config import current as current_config
from ..errors import GraderError
from ..grading import discovery
from ..grading.runner import UnreadableSession, grade_notebook, run_hidden_tests
from ..intake.files import (
    Folder,
    SubmissionError,
    read_nbgrader_records,
    read_submission,
    student_id_problem,
    submission_time,
)
from ..intake.notebook import instructor_copy_reason, parse_notebook, validated_notebook
from ..outputs import ClassRun, Output, Outputs, standard_outputs
from ..outputs.marker import fingerprint, folder_fingerprint, is_marked
from ..outputs.progress import Notify, Progress
from ..results.records import NotebookReport, StudentResult
from ..sandbox import host, launcher
from ..sandbox.session import ZYGOTES
from . import processes


class Submission(NamedTuple):
    student: str
    folder: Path
    fingerprint: str     # of the folder before grading: decides whether to grade (the marker gets what was graded)
    submitted_at: dt.datetime | None = None
    notes: tuple[str, ...] = ()
    nbgrader_records: dict[str, bytes] = {}     # timestamp.txt and submission_secret.txt, read with submitted_at


def grade_files(spec: discovery.Assignment, files: dict[str, bytes | str], student: str, *,
                slot: int | None = None) -> list[NotebookReport]:
    """Grade what ``read_submission`` took: each notebook's bytes, or its reason as an unreadable report."""
    reports = []
    for nb in spec.notebooks:
        content = files.get(nb.filename, f"{nb.filename} was not submitted")
        try:
            if isinstance(content, str):
                raise SubmissionError(content)
            notebook = validated_notebook(parse_notebook(content))
            copied = instructor_copy_reason(notebook)
            if copied:
                raise SubmissionError(copied)
        except SubmissionError as exc:
            reports.append(NotebookReport(spec.name, nb.name, run_hidden_tests(nb, UnreadableSession(str(exc))),
                                          error=str(exc), student=student, graded_file=content))
            continue
        report = grade_notebook(nb, notebook, slot=slot, student=student)
        reports.append(dataclasses.replace(report, graded_file=content))
    return reports


def grade_student(spec: discovery.Assignment, folder: Path, student: str, *,
                  slot: int | None = None) -> list[NotebookReport]:
    return grade_files(spec, read_submission(folder, [nb.filename for nb in spec.notebooks]), student, slot=slot)


def _grade_part_in_worker(assignment: str, folder: str, student: str, part: str) -> list[NotebookReport]:
    """One notebook of a student, in a grading process: a class run's tasks are notebooks, so the
    parts of one student are graded side by side and one slow notebook delays no other."""
    spec = discovery.load(assignment)
    one = dataclasses.replace(spec, notebooks=tuple(nb for nb in spec.notebooks if nb.name == part))
    return grade_student(one, Path(folder), student)


def _grade_on_cluster(assignment: str, student: str, files: dict[str, bytes | str]) -> list[NotebookReport]:
    """Runs on a cluster worker: the submission travels as bytes (or the reason it was refused,
    decided on the instructor's machine), the sandbox is the worker's own."""
    return grade_files(discovery.load(assignment), files, student)


def submission(name: str, folder: Path, spec: discovery.Assignment) -> Submission:
    """A student's submission as the run finds it before grading: the folder's fingerprint, and nbgrader's
    records (timestamp.txt and submission_secret.txt, read like any submitted file) with the time they hold."""
    try:
        with Folder.open(folder.parent.parent, folder.parent.name, folder.name) as opened:
            records, refused = read_nbgrader_records(opened)
    except SubmissionError:
        records, refused = {}, {}       # the folder itself is refused: its notebooks say why
    submitted_at, note = submission_time(records, refused)
    return Submission(name, folder, folder_fingerprint(folder, spec), submitted_at, (note,) if note else (), records)


def select_students(course: Course, assignment: str, student: str | None) -> list[str]:
    students = course.submitted(assignment)
    if student is None:
        return students
    if student not in students:
        raise LookupError(f"no submission of {assignment} by {student!r} in {course.root / 'submitted'}")
    return [student]


def graded(submission: Submission, spec: discovery.Assignment,
           grade: Callable[[], list[NotebookReport]]) -> StudentResult:
    """Run one student's grading. The one place where a failure of the grading machine (not of the
    student) is caught: it becomes NOT GRADED, which no recording output ever sees, never a zero."""
    try:
        reports = grade()
    except GraderError as exc:
        return StudentResult(submission.student, [], not_graded=str(exc).splitlines()[0],
                             folder=submission.folder, fingerprint=submission.fingerprint)
    # The marker records what was graded: a notebook resubmitted after the folder's fingerprint was taken
    # was graded as the new one, and a rerun must then skip it.
    graded_files = {f"{r.notebook}.ipynb": r.graded_file for r in reports if r.graded_file is not None}
    return StudentResult(submission.student, reports, folder=submission.folder,
                         fingerprint=fingerprint(graded_files, spec), submitted_at=submission.submitted_at,
                         notes=list(submission.notes), nbgrader_records=dict(submission.nbgrader_records))


def grade_all(todo: list[Submission], spec: discovery.Assignment, *, jobs: int,
              cluster: str | None) -> Generator[StudentResult, None, None]:
    """Each submission's result as it completes: here, in a process pool, or on a Dask cluster."""
    if cluster is not None:
        from distributed import Client, as_completed

        with Client(cluster, timeout="30s") as client:
            pending = {client.submit(_grade_on_cluster, spec.name, sub.student,
                                     read_submission(sub.folder, [nb.filename for nb in spec.notebooks]),
                                     pure=False,
                                     key=f"learnathon-{spec.name}-{sub.student}-{sub.fingerprint[:12]}"): sub
                       for sub in todo}
            for future in as_completed(pending):
                yield graded(pending[future], spec, future.result)
    elif jobs <= 1 or len(todo) <= 1:
        for sub in todo:
            yield graded(sub, spec, lambda: grade_student(spec, sub.folder, sub.student))
    else:
        preload = spec.notebooks[0].preload if spec.notebooks else ()
        libraries = spec.notebooks[0].libraries if spec.notebooks else ()
        with host.HostsForJobs(jobs, libraries=libraries, preload=preload, workdir=ZYGOTES) as hosts, \
                concurrent.futures.ProcessPoolExecutor(
                    max_workers=jobs, mp_context=processes.context(preload),
                    initializer=processes.start,
                    initargs=(dict(os.environ), current_config(), hosts.offers)) as pool:
            parts = {sub.student: [pool.submit(_grade_part_in_worker, spec.name, str(sub.folder), sub.student, nb.name)
                                   for nb in spec.notebooks] for sub in todo}
            owner = {future: sub for sub in todo for future in parts[sub.student]}
            waiting = {sub.student: len(spec.notebooks) for sub in todo}
            try:
                for future in concurrent.futures.as_completed(owner):
                    sub = owner[future]
                    waiting[sub.student] -= 1
                    if not waiting[sub.student]:       # every part of this student is back
                        yield graded(sub, spec,
                                     lambda: [report for part in parts[sub.student] for report in part.result()])
            finally:
                for future in owner:       # stopped early (an output failed): drop what has not started
                    future.cancel()


def autograde(*, course_dir: Path, assignment: str, student: str | None = None, jobs: int = 1,
              force: bool = False, cluster: str | None = None, progress: Notify | None = None,
              outputs: Sequence[Output] | None = None) -> list[StudentResult]:
    """Grade the class; with ``cluster`` (a Dask scheduler address) on that cluster's workers.

    Every result goes to ``outputs`` (default: the standard ones, ``autograder.outputs.STANDARD``)
    and, if given, to ``progress(result, done, total)``. Returns the results in class order.
    """
    course = open_course(course_dir)
    spec = discovery.load(assignment)
    run = ClassRun(course, spec, tuple(select_students(course, assignment, student)))
    if cluster is None:     # every submission would fail alike: say it once, with the fixes (workers check their own)
        launcher.ensure_reachable(spec.notebooks[0].libraries if spec.notebooks else ())
    chosen = standard_outputs() if outputs is None else list(outputs)
    sink = Outputs(chosen + ([Progress(progress)] if progress else []), run)
    results: list[StudentResult] = []

    def deliver(result: StudentResult) -> None:
        results.append(result.without_graded_files())
        sink.write(result)

    sink.begin()
    todo = []
    for name in run.students:
        folder = course.submission_dir(name, assignment)
        problem = student_id_problem(name)
        if problem:     # not an id the gradebook, terminals and exports can hold: the instructor renames it
            deliver(StudentResult(name, [], not_graded=problem, folder=folder))
            continue
        found = submission(name, folder, spec)
        if not force and is_marked(course, assignment, name, found.fingerprint):
            deliver(StudentResult(name, [], skipped=True, folder=folder, fingerprint=found.fingerprint))
        else:
            todo.append(found)
    # closing(): if an output fails, queued grading is dropped and the pool or cluster client closed now,
    # not whenever the traceback (which holds this generator) is released.
    with contextlib.closing(grade_all(todo, spec, jobs=jobs, cluster=cluster)) as arriving:
        for result in arriving:
            deliver(result)
    order = {name: i for i, name in enumerate(run.students)}
    results.sort(key=lambda r: order[r.student])
    sink.end(results)
    return results
