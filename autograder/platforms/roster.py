"""The student mapping file: platform id <-> course student id (and the name the platform shows).

A CSV with columns ``platform,platform_id,student,name``; created by the first collect, read and
extended by later ones. The instructor may edit the ``student`` column (e.g. to university ids)
before grading; a student id must be a safe folder name, since it names submitted/<student>/.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from pathlib import Path

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


def read(path: Path, platform: str) -> dict[str, Entry]:
    """{platform_id: Entry} for this platform; an absent file is an empty roster."""
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the student mapping {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("platform_id", "student") if c not in (reader.fieldnames or [])]
    if missing:
        raise RosterError(f"the student mapping {path} lacks the column(s) {', '.join(missing)}; "
                          f"expected the columns {','.join(COLUMNS)}")
    entries: dict[str, Entry] = {}
    students: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        if (row.get("platform") or platform) != platform:
            continue
        pid, student = (row.get("platform_id") or "").strip(), (row.get("student") or "").strip()
        if not pid or not student:
            raise RosterError(f"{path}, line {line}: platform_id and student must both be filled in")
        if not SAFE_ID.match(student):
            raise RosterError(f"{path}, line {line}: student id {student!r} is not a safe folder name "
                              "(letters, digits, '.', '_', '-'; not starting with '.' or '-')")
        if pid in entries:
            raise RosterError(f"{path}, line {line}: platform id {pid} appears twice")
        if student in students:
            raise RosterError(f"{path}, line {line}: student id {student!r} is given to platform ids "
                              f"{students[student]} and {pid}")
        students[student] = pid
        entries[pid] = Entry(platform, pid, student, (row.get("name") or "").strip())
    return entries


def write(path: Path, entries: list[Entry], keep_other_platforms: bool = True) -> None:
    others: list[dict] = []
    if keep_other_platforms and path.exists():
        platforms = {e.platform for e in entries}
        others = [row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
                  if row.get("platform") and row["platform"] not in platforms]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in others:
        writer.writerow(row)
    for entry in sorted(entries, key=lambda e: e.student):
        writer.writerow(dataclasses.asdict(entry))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
