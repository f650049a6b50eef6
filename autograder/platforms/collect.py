"""`learnathon collect`: a platform's submission download -> submitted/<student>/<assignment>/.

download zip -> members (read as hostile input, ``archive``) -> the platform's naming (student id,
file name, late flag) -> which released notebook each file is, by content (``matching``) -> the
latest upload per student and notebook -> written under the released name, with nbgrader's
timestamp.txt -> the mapping file and a manifest (platform ids, late flags, where each file came
from, and every file that could not be placed, with the reason).

Why not nbgrader's ``zip_collect``: its extractor unpacks the whole archive to disk with no bound
on sizes or nesting, and its FileNameCollectorPlugin takes the notebook's name from the file name
(students rename files: "part_a (1).ipynb", "Copy of part_a.ipynb") and stops the run on two files
without a time stamp. The layout it produces (submitted/<student>/<assignment>/<notebook>.ipynb
with timestamp.txt) is the one written here, so stock nbgrader works on the result.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..admin.course import Course, open_course
from ..intake.inputs import InputError, read_json_file
from ..intake.zips import Member, read_members
from . import roster
from .base import ClassList, Enrolled, Platform, Upload
from .matching import Released, identify, released_notebooks


class CollectError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Placed:
    student: str
    platform_id: str
    name: str
    notebook: str            # the released file name it was written as
    member: str              # where it was in the archive
    how: str
    late: bool | None
    modified: dt.datetime | None
    keys: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Unplaced:
    member: str
    reason: str


@dataclasses.dataclass
class CollectReport:
    placed: list[Placed]
    unplaced: list[Unplaced]
    new_students: list[roster.Entry]
    mapping: Path
    manifest: Path
    notes: list[str] = dataclasses.field(default_factory=list)
    not_uploaded: list[Enrolled] = dataclasses.field(default_factory=list)   # with --roster: no file placed

    @property
    def students(self) -> list[str]:
        return sorted({p.student for p in self.placed})


def manifest_path(course: Course, assignment: str, platform: str) -> Path:
    return course.root / "collected" / assignment / f"{platform}.json"


def released_folder(course: Course, assignment: str) -> Path:
    folder = course.root / "release" / assignment
    if not any(folder.glob("*.ipynb")):
        raise CollectError(f"no released notebooks of {assignment!r} in {folder}: generate the student version first "
                           f"(`learnathon init` does, or `nbgrader generate_assignment {assignment}`)")
    return folder


@dataclasses.dataclass(frozen=True)
class Candidate:
    upload: Upload
    member: Member           # its name and time stamp; the bytes wait in ``staged``
    notebook: Released
    how: str
    staged: Path

    @property
    def recency(self) -> tuple[tuple[int, ...], dt.datetime, str]:
        # The platform's own order first (Canvas attachment ids grow), then the archive's time stamp.
        return (self.upload.order, self.member.modified or dt.datetime.min, self.member.name)


def sort_members(platform: Platform, members: Iterable[Member], released: list[Released], staging: Path,
                 class_list: ClassList | None = None) -> tuple[list[Candidate], list[Unplaced], list[str]]:
    """Each member placed as a candidate (its bytes staged in ``staging``, so a class's download is
    never held in memory at once) or listed with the reason; and notes on odd member names."""
    candidates: list[Candidate] = []
    unplaced: list[Unplaced] = []
    notes: list[str] = []
    for number, member in enumerate(members):
        if member.note:
            notes.append(f"{member.name}: {member.note}")
        if member.refused:
            unplaced.append(Unplaced(member.name, member.refused))
            continue
        upload = platform.parse(member.name, class_list)
        if isinstance(upload, str):
            unplaced.append(Unplaced(member.name, upload))
            continue
        if class_list is not None and upload.platform_id not in class_list.students:
            notes.append(f"{member.name}: user {upload.platform_id} is not in {class_list.source}")
        assert member.data is not None, "a member that is not refused carries its bytes"
        found = identify(member.data, upload.file_name, released)
        if found.notebook is None:
            unplaced.append(Unplaced(member.name, f"{upload.name or 'student ' + upload.platform_id}: {found.how}"))
            continue
        staged = staging / f"{number}.ipynb"       # our own name: nothing from the archive names a path
        staged.write_bytes(member.data)
        candidates.append(Candidate(upload, dataclasses.replace(member, data=None), found.notebook, found.how, staged))
    return candidates, unplaced, notes


def latest_per_notebook(candidates: list[Candidate]) -> tuple[list[Candidate], list[Unplaced]]:
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for c in candidates:
        groups.setdefault((c.upload.platform_id, c.notebook.filename), []).append(c)
    kept, superseded = [], []
    for group in groups.values():
        group.sort(key=lambda c: c.recency)
        latest = group[-1]
        kept.append(latest)
        superseded += [Unplaced(c.member.name, f"an earlier upload of {c.notebook.filename}; the latest, "
                                               f"{latest.member.name}, was collected") for c in group[:-1]]
    return kept, superseded


def assign_students(kept: list[Candidate], known: dict[str, roster.Entry], platform: str
                    ) -> tuple[dict[str, roster.Entry], list[roster.Entry]]:
    entries, new = dict(known), []
    taken = {e.student for e in known.values()}
    for c in sorted(kept, key=lambda c: c.upload.platform_id):
        pid = c.upload.platform_id
        if pid in entries:
            continue
        student = roster.new_student_id(platform, pid, c.upload.name)
        while student in taken:      # an instructor's edit took this id already
            student += "x"
        taken.add(student)
        entries[pid] = roster.Entry(platform, pid, student, c.upload.name)
        new.append(entries[pid])
    return entries, new


def write_submission(course: Course, assignment: str, student: str, files: list[Candidate]) -> Path:
    folder = course.submission_dir(student, assignment).resolve()
    if not folder.is_relative_to(course.root / "submitted"):       # student ids are checked; this is the backstop
        raise CollectError(f"student id {student!r} would write outside {course.root / 'submitted'}")
    folder.mkdir(parents=True, exist_ok=True)
    for c in files:
        target = folder / c.notebook.filename
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(c.staged, tmp)
        tmp.replace(target)
    stamps = [c.member.modified for c in files if c.member.modified]
    if stamps:
        # nbgrader's timestamp.txt; the archive's time stamp is the platform's local time of the upload.
        (folder / "timestamp.txt").write_text(max(stamps).strftime("%Y-%m-%d %H:%M:%S.%f"))
    return folder


def collect(*, course_dir: Path, assignment: str, platform: Platform, archive: Path,
            mapping: Path | None = None, class_list: Path | None = None) -> CollectReport:
    """``class_list``: the platform's own list of the class (``--roster``: Canvas's gradebook export), which
    decides file names with two readings and names the students without an upload."""
    course = open_course(course_dir)
    released = released_notebooks(released_folder(course, assignment))
    mapping = Path(mapping) if mapping else roster.default_path(course.root, platform.name)
    known = roster.read(mapping, platform.name)
    try:
        listed = platform.read_class_list(Path(class_list)) if class_list is not None else None
    except ValueError as exc:
        raise CollectError(str(exc)) from None
    (course.root / ".learnathon").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="collect-", dir=course.root / ".learnathon") as staging:
        candidates, unplaced, notes = sort_members(platform, read_members(Path(archive)), released, Path(staging),
                                                   listed)
        kept, superseded = latest_per_notebook(candidates)
        unplaced += superseded
        entries, new = assign_students(kept, known, platform.name)

        by_student: dict[str, list[Candidate]] = {}
        for c in kept:
            by_student.setdefault(entries[c.upload.platform_id].student, []).append(c)
        placed = []
        for student, files in sorted(by_student.items()):
            write_submission(course, assignment, student, files)
            for c in files:
                placed.append(Placed(student, c.upload.platform_id,
                                     entries[c.upload.platform_id].name or c.upload.name, c.notebook.filename,
                                     c.member.name, c.how, c.upload.late, c.member.modified, c.upload.keys))
    roster.write(mapping, list(entries.values()))
    manifest = write_manifest(course, assignment, platform.name, archive, placed, unplaced)
    missing = [(student, sorted({r.filename for r in released} - {c.notebook.filename for c in files}))
               for student, files in sorted(by_student.items())]
    notes += [f"{student} submitted no {', '.join(names)}" for student, names in missing if names]
    uploaded = {p.platform_id for p in placed}
    not_uploaded = [] if listed is None else sorted(
        (e for e in listed.students.values() if e.platform_id not in uploaded), key=lambda e: e.name.casefold())
    return CollectReport(placed, sorted(unplaced, key=lambda u: u.member), new, mapping, manifest, notes,
                         not_uploaded)


def write_manifest(course: Course, assignment: str, platform: str, archive: Path, placed: list[Placed],
                   unplaced: list[Unplaced]) -> Path:
    """What export-grades and feedback-archive need later (platform ids, the download's names), and
    the record of this collect. Students collected by an earlier download keep their entries."""
    path = manifest_path(course, assignment, platform)
    old = _read_manifest_file(path) if path.is_file() else {}
    students = old.get("students", {})
    for p in placed:
        record = students.setdefault(p.student, {})
        if record.get("platform_id") != p.platform_id:
            record.clear()
        record.update({"platform_id": p.platform_id, "name": p.name})
        record.setdefault("files", {})[p.notebook] = {
            "member": p.member, "matched": p.how, "late": p.late, "keys": p.keys,
            "uploaded": p.modified.isoformat(sep=" ") if p.modified else None}
        record["late"] = any(f["late"] for f in record["files"].values()) if any(
            f["late"] is not None for f in record["files"].values()) else None
    data = {"platform": platform, "assignment": assignment, "archive": Path(archive).name,
            "collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "students": dict(sorted(students.items())),
            "unplaced": [dataclasses.asdict(u) for u in sorted(unplaced, key=lambda u: u.member)]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def read_manifest(course: Course, assignment: str, platform: str) -> dict[str, Any]:
    path = manifest_path(course, assignment, platform)
    if not path.is_file():
        raise CollectError(f"{assignment} was not collected from {platform} in this course (no {path}): "
                           f"run `learnathon collect {assignment} --from {platform} ARCHIVE` first")
    return _read_manifest_file(path)


def _read_manifest_file(path: Path) -> dict[str, Any]:
    """A manifest this command wrote, read as any file from outside (it lives in the course folder):
    JSON through the capped reader, and the fields later stages use type-checked."""
    try:
        data = read_json_file(path)
    except InputError as exc:
        raise CollectError(f"the collect record is damaged: {exc}; collect the download again") from None
    students = data.get("students") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(students, dict) or not all(
            isinstance(s, dict) and isinstance(s.get("platform_id"), str) and isinstance(s.get("name"), str)
            and isinstance(s.get("files"), dict)
            and all(isinstance(f, dict) and isinstance(f.get("keys"), dict) for f in s["files"].values())
            for s in students.values()):
        raise CollectError(f"the collect record {path} is damaged (its students are not as collect writes them); "
                           "collect the download again")
    return data
