"""`learnathon export-grades`: nbgrader's gradebook (autograded and manual grades) -> a platform's
grade import file, or a plain CSV."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from ..admin.course import Course, open_course
from ..csvfiles import write_csv
from ..results.gradebook import open_gradebook
from . import PLATFORMS, roster
from .base import GradeRow, Platform, points
from .collect import read_manifest

CSV_HEADER = ["student", "name", "platform", "platform_id", "score", "max_score", "needs_manual_grade"]


class GradesError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class StudentGrade:
    student: str
    score: float              # nbgrader's: a manual grade replaces the autograded score of its cell
    max_score: float
    needs_manual_grade: bool


def gradebook_grades(course: Course, assignment: str) -> tuple[dict[str, StudentGrade], float]:
    """{student: grade} for every submission in the gradebook, and the assignment's maximum."""
    from nbgrader.api import MissingEntry

    with open_gradebook(course.root, course.course_id) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise GradesError(f"assignment {assignment!r} is not in the gradebook of {course.root}: "
                              "create the course with `learnathon init`") from None
        grades = {s.student.id: StudentGrade(s.student.id, round(float(s.score), 6), round(float(s.max_score), 6),
                                             bool(s.needs_manual_grade))
                  for s in record.submissions}
        return grades, round(float(record.max_score), 6)


def grade_rows(course: Course, assignment: str, platform: str | None, *, out_of: float | None = None,
               mapping: Path | None = None) -> list[GradeRow]:
    """One row per student: with a platform, everyone of its mapping file (students without a graded
    submission with the score None); without one, every graded student, with the platform, id and name a
    mapping file gives them."""
    grades, maximum = gradebook_grades(course, assignment)
    scale = (out_of / maximum) if (out_of and maximum) else 1.0

    def row(who: roster.Entry) -> GradeRow:
        grade = grades.get(who.student)
        score = None if grade is None else round(grade.score * scale, 4)
        return GradeRow(who.platform_id, who.name, who.student, score, round(maximum * scale, 4),
                        bool(grade and grade.needs_manual_grade), platform=who.platform)

    if platform is None:
        known = identities(course, mapping)
        return [row(known.get(student, roster.Entry("", "", student, ""))) for student in sorted(grades)]
    known = roster.read(Path(mapping) if mapping else roster.default_path(course.root, platform), platform)
    manifest = read_manifest(course, assignment, platform)
    for student, record in manifest["students"].items():     # everyone collected, whichever mapping named them
        known.setdefault(record["platform_id"], roster.Entry(platform, record["platform_id"], student, record["name"]))
    if not known:
        raise GradesError(f"no {platform} students known in {course.root}: collect the assignment first")
    return sorted((row(e) for e in known.values()), key=lambda r: r.name.lower())


def identities(course: Course, mapping: Path | None = None) -> dict[str, roster.Entry]:
    """{course student id: its platform, platform id and name} from the mapping files of every platform
    the course collected from (or the one given), for the plain CSV."""
    known: dict[str, roster.Entry] = {}
    for name in PLATFORMS:
        for entry in roster.read(Path(mapping) if mapping else roster.default_path(course.root, name), name).values():
            known.setdefault(entry.student, entry)
    return known


def plain_table(rows: list[GradeRow]) -> tuple[list[str], list[list[str]]]:
    return CSV_HEADER, [[r.student, r.name, r.platform, r.platform_id, points(r.score), points(r.max_score),
                         "yes" if r.needs_manual_grade else "no"] for r in rows]


def export_grades(*, course_dir: Path, assignment: str, out: Path, platform: Platform | None,
                  platform_assignment: str | None = None, out_of: float | None = None,
                  mapping: Path | None = None) -> list[GradeRow]:
    """Write the file; return every student's row (those without a score are not in a platform's file:
    its importer would read the empty cell as a new value)."""
    course = open_course(course_dir)
    rows = grade_rows(course, assignment, platform.name if platform else None, out_of=out_of, mapping=mapping)
    if platform is None:
        header, body = plain_table(rows)
    else:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        header, body = platform.grade_table([r for r in rows if r.score is not None], assignment=assignment,
                                            platform_assignment=platform_assignment, exported_at=stamp)
    write_csv(Path(out), header, body)
    return rows
