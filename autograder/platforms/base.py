"""What a learning platform plug-in provides: how its submission download names files, how its
feedback upload expects them, and its grade import format."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar


@dataclasses.dataclass(frozen=True)
class Upload:
    """One file of the download, as the platform's naming describes it."""
    platform_id: str           # the platform's id of the student (Moodle participant id, Canvas user id)
    name: str                  # the student's name as the platform wrote it
    file_name: str             # the file name the student uploaded (possibly renamed)
    late: bool | None          # None: the platform's download does not say
    order: tuple[int, ...]     # larger = uploaded later (to keep the latest attempt)
    keys: dict[str, str]       # what the feedback upload needs to find the student again


@dataclasses.dataclass(frozen=True)
class GradeRow:
    """One student's grade for the platform's import file."""
    platform_id: str
    name: str
    student: str               # the course's student id
    score: float | None        # None: nothing to import (no submission graded)
    max_score: float
    needs_manual_grade: bool
    platform: str = ""         # which platform the id and name are of ("" for a student none collected)


@dataclasses.dataclass(frozen=True)
class Enrolled:
    """A student of the platform's own class list (``--roster``)."""
    platform_id: str
    name: str                  # as the platform's list shows it (Canvas: the sortable name "Okafor, Ben")
    token: str                 # the name as the platform writes it into download file names


@dataclasses.dataclass(frozen=True)
class ClassList:
    """The platform's own list of the class (Canvas: its gradebook export), by platform id."""
    source: str
    students: dict[str, Enrolled]


class Platform:
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    roster_help: ClassVar[str] = ""    # what --roster takes for this platform ("" : not supported)

    def parse(self, member: str, class_list: ClassList | None = None) -> Upload | str:
        """The upload a member of the download is, or why it is not one (a name outside the platform's
        pattern, a name with two readings that ``class_list`` does not decide, ...)."""
        raise NotImplementedError

    def read_class_list(self, path: Path) -> ClassList:  # noqa: ARG002 (the Platform plug-in interface)
        """The platform's own class list (``--roster``); ``ValueError`` when it cannot be read."""
        raise ValueError(f"--roster is not supported for {self.title}")

    def feedback_member(self, keys: Mapping[str, object], filename: str) -> str:
        """Where a feedback file goes in the feedback upload zip, given the ``keys`` the student's upload was
        collected with."""
        raise NotImplementedError

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,
                    exported_at: str) -> tuple[list[str], list[list[str]]]:
        """The grade import file: header and rows, for ``rows`` that all have a score. A cell is written only
        with a value we have: the platforms' importers read an empty cell as a new value (Moodle's clears a
        teacher's comment, Canvas's a grade), so a column we cannot fill is left out, and so is a student
        without a graded submission (``grades.export_grades`` passes only graded rows)."""
        raise NotImplementedError

    def import_notes(self, rows: list[GradeRow]) -> list[str]:  # noqa: ARG002 (the Platform plug-in interface)
        """What the platform's importer will do differently from what the file says, for these rows (printed
        by ``export-grades`` after writing the file)."""
        return []


def points(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
