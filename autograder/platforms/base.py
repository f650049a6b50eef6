"""What a learning platform plug-in provides: how its submission download names files, how its
feedback upload expects them, and its grade import format."""
from __future__ import annotations

import dataclasses
from typing import ClassVar


@dataclasses.dataclass(frozen=True)
class Upload:
    """One file of the download, as the platform's naming describes it."""
    platform_id: str           # the platform's id of the student (Moodle participant id, Canvas user id)
    name: str                  # the student's name as the platform wrote it
    file_name: str             # the file name the student uploaded (possibly renamed)
    late: bool | None          # None: the platform's download does not say
    order: tuple               # larger = uploaded later (to keep the latest attempt)
    keys: dict                 # what the feedback upload needs to find the student again


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One student's grade for the platform's import file."""
    platform_id: str
    name: str
    student: str               # the course's student id
    score: float | None        # None: nothing to import (no submission graded)
    max_score: float
    needs_manual_grade: bool
    email: str = ""
    platform: str = ""         # which platform the id and name are of ("" for a student none collected)


class Platform:
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def parse(self, member: str) -> Upload | str:
        """The upload a member of the download is, or why the name does not follow the platform's pattern."""
        raise NotImplementedError

    def feedback_member(self, keys: dict, filename: str) -> str:
        """Where a feedback file goes in the feedback upload zip, given the ``keys`` the student's upload was
        collected with."""
        raise NotImplementedError

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,
                    exported_at: str) -> tuple[list[str], list[list[str]]]:
        """The grade import file: header and rows."""
        raise NotImplementedError


def points(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
