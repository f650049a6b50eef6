"""The student mapping file: platform id <-> course student id (and the name the platform shows).

A CSV with columns ``platform,platform_id,student,name``; created by the first collect, read and
extended by later ones. The instructor may edit the ``student`` column (e.g. to university ids)
before grading; a student id must be a safe folder name, since it names submitted/<student>/.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

from ..csvfiles import read_cell, write_csv
from ..intake.inputs import InputError
from ..intake.tables import read_csv_file
from ..terminal import printable

COLUMNS = ["platform", "platform_id", "student", "name"]
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class RosterError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Entry:
    platform: str
    platform_id: str
    student: str
    name: str


def default_path(course_root: Path, platform: str) -> Path:
    return course_root / f"{platform}_students.csv"


def slug(name: str) -> str:
    """An ASCII folder-safe form of a name: 'José Müller' -> 'jose-muller'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60]


def new_student_id(platform: str, platform_id: str, name: str) -> str:
    # The platform id keeps it unique (two students with one name) and stable across collects.
    return f"{slug(name) or platform}-{platform_id}"


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a mapping file we wrote (cells un-neutralised: see ``csvfiles``)."""
    try:
        table = read_csv_file(path)
    except InputError as exc:
        raise RosterError(f"cannot read the student mapping: {exc}") from None
    if not table.rows:
        return [], []
    header = [read_cell(c).strip() for c in table.rows[0]]
    return header, [{name: read_cell(row[i]) if i < len(row) else "" for i, name in enumerate(header)}
                    for row in table.rows[1:]]


def read(path: Path, platform: str) -> dict[str, Entry]:
    """{platform_id: Entry} for this platform; an absent file is an empty roster."""
    if not path.exists():
        return {}
    header, rows = _rows(path)
    missing = [c for c in ("platform_id", "student") if c not in header]
    if missing:
        raise RosterError(f"the student mapping {path} lacks the column(s) {', '.join(missing)}; "
                          f"expected the columns {','.join(COLUMNS)}")
    entries: dict[str, Entry] = {}
    students: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if (row.get("platform") or platform) != platform:
            continue
        pid, student = (row.get("platform_id") or "").strip(), (row.get("student") or "").strip()
        if not pid and not student and not any(row.values()):
            continue
        if not pid or not student:
            raise RosterError(f"{path}, line {line}: platform_id and student must both be filled in")
        if not SAFE_ID.match(student):
            raise RosterError(f"{path}, line {line}: student id {printable(student[:40])!r} is not a safe folder "
                              "name (letters, digits, '.', '_', '-'; not starting with '.' or '-')")
        if pid in entries:
            raise RosterError(f"{path}, line {line}: platform id {printable(pid[:40])} appears twice")
        if student in students:
            raise RosterError(f"{path}, line {line}: student id {student!r} is given to platform ids "
                              f"{printable(students[student][:40])} and {printable(pid[:40])}")
        students[student] = pid
        entries[pid] = Entry(platform, pid, student, (row.get("name") or "").strip())
    return entries


def write(path: Path, entries: list[Entry], keep_other_platforms: bool = True) -> None:
    """The mapping file with ``entries`` (and the rows of other platforms it had), through the one CSV writer."""
    others: list[list[str]] = []
    if keep_other_platforms and path.exists():
        platforms = {e.platform for e in entries}
        _, rows = _rows(path)
        others = [[row.get(c, "") for c in COLUMNS] for row in rows
                  if row.get("platform") and row["platform"] not in platforms]
    body = others + [[getattr(entry, c) for c in COLUMNS] for entry in sorted(entries, key=lambda e: e.student)]
    write_csv(path, COLUMNS, body)
