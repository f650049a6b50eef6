"""The integrity review of a class: every submission of an assignment read once, three kinds of evidence.

    review = review_class(course_dir=COURSE, assignment="cs1")     # -> records.Review
    store.record_review(...)                                        # beside the grades (analytics.store)

Per student and notebook: the answer code (``answers``), its static flags (``scan``) and declared
shortcuts (``shortcuts``); per student: the submission time (``times``); per notebook, across the
class and the instructor's solution: similar answer code (``similarity``). Files are read as grading
reads them (``intake``: no links, capped, parsed with caps); whatever cannot be read or reviewed costs
only that student a note, and the review goes on. Nothing here changes a grade.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ... import __version__
from ...intake.files import SubmissionError, read_submission, student_id_problem
from ...intake.notebook import instructor_copy_reason, parse_notebook, validated_notebook
from ...terminal import printable
from . import names as code_names
from .answers import Answers, read_answers, solution_answers
from .records import SOLUTION, Flag, Pair, Review
from .scan import Finding, scan
from .shortcuts import Shortcut, find_shortcuts, load_shortcuts
from .similarity import Document, Thresholds, document, similar_pairs

if TYPE_CHECKING:
    from ...grading import discovery
from .times import Moment, exchange_release, submission_time, time_problem

# Past this many flags of one kind in one notebook, the rest are counted in the last one.
MAX_FLAGS_PER_KIND = 10


class IntegrityError(LookupError):
    """Nothing to review: no course, or an unknown assignment."""


def notebook_flags(student: str, answers: Answers, shortcuts: list[Shortcut]) -> tuple[list[Flag], list[str]]:
    """The flags of one student's notebook, and notes on what could not be read."""
    parsed, unreadable = code_names.parse(answers)
    notes = [f"{student}, {answers.notebook}: code cell {cell.number} is not Python ({why}), so it was not "
             "scanned (it cannot run either)" for cell, why in unreadable if not cell.given]
    try:
        names = code_names.collect(parsed)
        findings = scan(parsed, names) + find_shortcuts(parsed, names, shortcuts, answers.notebook)
    except (RecursionError, MemoryError) as exc:    # code the parser took but too deep to read: never trusted
        cell = next((c for c in answers.cells if not c.given), answers.cells[0] if answers.cells else None)
        return ([Flag(student, answers.notebook, "dynamic_code", f"the review could not read this notebook's code "
                      f"({type(exc).__name__}): read it yourself", cell.number if cell else None,
                      cell.grade_id if cell else None)], notes)
    return capped(student, answers.notebook, findings), notes


def capped(student: str, notebook: str, findings: list[Finding]) -> list[Flag]:
    flags: list[Flag] = []
    count: dict[str, int] = {}
    for finding in findings:
        count[finding.kind] = count.get(finding.kind, 0) + 1
        if count[finding.kind] <= MAX_FLAGS_PER_KIND:
            flags.append(Flag(student, notebook, finding.kind, finding.found, finding.cell.number,
                              finding.cell.grade_id, finding.first_line, finding.last_line, finding.code))
    for kind, n in count.items():
        if n > MAX_FLAGS_PER_KIND:
            last = max(i for i, f in enumerate(flags) if f.kind == kind)
            flags[last] = dataclasses.replace(flags[last], found=f"{flags[last].found} (and {n - MAX_FLAGS_PER_KIND} "
                                                                 "more places like it in this notebook)")
    return flags


def platform_students(course_root: Path, assignment: str) -> set[str]:
    """Students whose files `learnathon collect` placed (their time is the platform's, not theirs)."""
    found: set[str] = set()
    for manifest in sorted((course_root / "collected" / assignment).glob("*.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found |= {s for s in data.get("students", {}) if isinstance(s, str)}
        except (OSError, ValueError, AttributeError):
            continue
    return found


def _exchange_root(course_root: Path) -> str | None:
    from ...admin.course import nbgrader_config

    config = nbgrader_config(course_root)
    root = config.Exchange.get("root") if "Exchange" in config else None
    return str(root) if root else None


@dataclasses.dataclass
class _Class:
    """What the review gathers while reading the class."""
    documents: dict[str, list[Document]]
    flags: list[Flag] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    fingerprints: dict[str, str] = dataclasses.field(default_factory=dict)


def review_class(*, course_dir: Path, assignment: str, released: dt.datetime | None = None,
                 collected: dt.datetime | None = None, thresholds: Thresholds | None = None) -> Review:
    from ...admin.course import CourseError, open_course
    from ...grading import discovery
    from ...outputs.marker import folder_fingerprint

    try:
        course = open_course(Path(course_dir))
        spec = discovery.load(assignment)
    except (CourseError, discovery.UnknownAssignment) as exc:
        raise IntegrityError(str(exc)) from exc
    thresholds = thresholds or Thresholds()
    shortcuts = load_shortcuts(spec.notebooks[0].tests.parent)
    release = Moment(released, "given with --released") if released else exchange_release(
        course.course_id, assignment, _exchange_root(course.root))
    from_platform = platform_students(course.root, assignment)
    found = _Class({nb.name: [document(SOLUTION, solution_answers(nb.source, nb.name), nb.source)]
                    for nb in spec.notebooks})
    if release is None:
        found.notes.append("the release time is unknown (no release through nbgrader's exchange): submission times "
                           "were checked against the collection only; give it with --released")
    students = course.submitted(assignment)
    for student in students:
        problem = student_id_problem(student)
        if problem:
            found.notes.append(f"{printable(student)}: not reviewed ({problem})")
            continue
        folder = course.submission_dir(student, assignment)
        try:
            _review_student(student, folder, spec, shortcuts, found)
            found.fingerprints[student] = folder_fingerprint(folder, spec)
        except Exception as exc:     # noqa: BLE001 - one submission never stops the review of the class
            found.notes.append(f"{student}: not reviewed ({type(exc).__name__}: {printable(str(exc))[:200]})")
            continue
        if student not in from_platform:
            _check_time(student, folder, release, collected, found)
    pairs: list[Pair] = []
    for nb in spec.notebooks:
        pairs += similar_pairs(found.documents[nb.name], nb.source, nb.name, thresholds)
    settings = {"thresholds": dataclasses.asdict(thresholds), "grader_version": __version__,
                "released": release.to_dict() if release else None,
                "collected": Moment(collected, "given with --collected").to_dict() if collected else
                "when each timestamp.txt arrived in submitted/"}
    return Review(assignment, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), tuple(students),
                  found.fingerprints, tuple(found.flags), tuple(pairs), settings, tuple(found.notes))


def _review_student(student: str, folder: Path, spec: discovery.Assignment, shortcuts: list[Shortcut],
                    found: _Class) -> None:
    files = read_submission(folder, [nb.filename for nb in spec.notebooks])
    for nb in spec.notebooks:
        content = files.get(nb.filename)
        if not isinstance(content, bytes):
            continue                                   # not submitted or refused: grading says why
        try:
            notebook = validated_notebook(parse_notebook(content))
        except SubmissionError:
            continue                                   # unreadable: grading says why
        if instructor_copy_reason(notebook):
            found.notes.append(f"{student}, {nb.name}: the instructor's source notebook was handed in (it earns "
                               "nothing when graded)")
            continue
        answers = read_answers(notebook, nb.source, nb.name)
        flags, notes = notebook_flags(student, answers, shortcuts)
        found.flags += flags
        found.notes += notes
        found.documents[nb.name].append(document(student, answers, nb.source))


def _check_time(student: str, folder: Path, release: Moment | None, collected: dt.datetime | None,
                found: _Class) -> None:
    claimed, _, arrived = submission_time(folder)
    collection = Moment(collected, "given with --collected") if collected else (
        Moment(arrived, "when timestamp.txt arrived in submitted/") if arrived else None)
    problem = time_problem(claimed, release, collection)
    if problem:
        found.flags.append(Flag(student, "", "submission_time", problem))



def review_and_record(*, course_dir: Path, assignment: str, released: dt.datetime | None = None,
                      collected: dt.datetime | None = None) -> Review:
    """Review the class and store the review in the class record, beside the grades."""
    from .. import store

    review = review_class(course_dir=course_dir, assignment=assignment, released=released, collected=collected)
    with store.open_store(Path(course_dir).resolve()) as db:
        store.record_review(db, review)
    return review
