"""Canvas LMS.

Download ("Download Submissions", canvas-lms lib/content_zipper.rb): one flat file per uploaded
attachment, ``<name>[_LATE]_<user id>_<attachment id>_<display name>``. ``<name>`` is the student's
sortable name ("Last, First") with every ``_<digits>_`` turned into ``<digits>`` (Canvas's own guard
for the re-upload parsing below), lowercased, then stripped of every non-word character; ``_LATE``
marks a late submission; the third field is the attachment (file) id, not the submission id; a
re-uploaded file with the same name becomes ``name-1.ext``. An online text entry is
``<name>[_LATE]_<user id>_text.html``, a website URL ``..._link.html``. Anonymous grading writes
``anon_<anonymous id>`` instead of name and user id; such downloads cannot be mapped back to
students and are refused with that reason.

Canvas's guard does not hold: non-word characters are removed *after* it, so a sortable name such as
``x_,2002,_,9003,_y`` becomes ``x_2002_9003_y``, and its file ``x_2002_9003_y_3001_9500_part_a.ipynb``
reads as user 2002 (attachment 9003) as well as user 3001. A file name is therefore split at every
place it can be (``readings``): with exactly one reading it is that upload; with several, Canvas's
own class list (its gradebook export, ``--roster``) decides, keeping the readings whose user id is
in the list under that name; without it, or if it leaves more than one, the file is refused with a
message naming every reading. A name can never move an upload to another student's id unseen.

Feedback upload ("Re-Upload Submissions", canvas-lms Assignment#infer_comment_context_from_filename):
the first two all-digit ``_``-separated fields of a file name are the user id and an attachment id,
which must be one of that student's submitted files; the file is attached to a submission comment
(shown under the attachment's display name). So each feedback file is named like the student's
downloaded notebook: ``<name>[_LATE]_<user id>_<attachment id>_<notebook>.feedback.html``.

Grade import (Grades > Import, lib/gradebook_importer.rb): columns "Student", "ID" (the Canvas user
id: rows are matched on it), "SIS User ID", "SIS Login ID", "Section", then one column per
assignment. A header "<title> (<assignment id>)" updates that assignment; any other header updates
the assignment whose title is exactly the header, and only when none has it creates a new one. An
empty cell for a student Canvas has a score for counts as a change and clears the score, so the file
has rows for graded students only. The gradebook export (lib/gradebook_exporter.rb) has the same first
columns ("LastName", "FirstName" instead of "Student" when so configured), a "Points Possible" row
without an ID, and writes a name starting with ``=`` as ``="name"``.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from ..intake.inputs import InputError
from ..intake.tables import first_table
from ..terminal import excerpt
from .base import ClassList, Enrolled, GradeRow, Platform, Upload, points

ANONYMOUS = re.compile(r"^(?:LATE_)?anon_")
UPLOAD_TAIL = re.compile(r"_(?:(LATE)_)?([0-9]+)_([0-9]+)_(.+)", re.S)
ENTRY_TAIL = re.compile(r"_(?:(LATE)_)?([0-9]+)_(text|link)\.html")
WORD_NAME = re.compile(r"\w*")
ENTRY_KINDS = {"text": "an online text entry", "link": "a website URL entry"}
MAX_NAME_CHARS = 1024
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def name_token(sortable_name: str) -> str:
    """The name as Canvas writes it into download file names (content_zipper: sanitize_user_name, then
    sanitize_file_name over the whole file name)."""
    name = re.sub(r"_([0-9]+)_", r"\1", sortable_name).lower()
    return re.sub(r"[^\w]", "", name)


def _same_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    return fold(a) == fold(b)


@dataclasses.dataclass(frozen=True)
class Reading:
    """One way to split a download file name into Canvas's fields."""
    name: str
    late: bool
    user: str
    attachment: str | None = None     # an uploaded file: its attachment id and display name
    file: str | None = None
    entry: str | None = None          # "text" / "link": an online entry Canvas rendered as HTML

    def __str__(self) -> str:
        what = (f"attachment {self.attachment}, file {excerpt(self.file, 40)}" if self.entry is None
                else ENTRY_KINDS[self.entry])
        return f"user {self.user} (name {excerpt(self.name, 40)}, {what})"


def readings(base: str) -> list[Reading]:
    """Every split of ``base`` into ``<name>[_LATE]_<user id>_<attachment id>_<file>`` or an entry's
    ``<name>[_LATE]_<user id>_text.html`` whose name Canvas could have written (word characters, lowercase)."""
    found = []
    for position, char in enumerate(base):
        if char != "_":
            continue
        name = base[:position]
        if not WORD_NAME.fullmatch(name) or name != name.lower():
            continue
        upload = UPLOAD_TAIL.fullmatch(base, position)
        if upload:
            found.append(Reading(name, bool(upload[1]), upload[2], upload[3], upload[4]))
        entry = ENTRY_TAIL.fullmatch(base, position)
        if entry:
            found.append(Reading(name, bool(entry[1]), entry[2], entry=entry[3]))
    return found


def decide(found: list[Reading], class_list: ClassList | None) -> Reading | str:
    """The one reading of a file name, or why there is none."""
    if len(found) == 1:
        return found[0]
    every = "; ".join(f"as {r}" for r in found)
    if class_list is None:
        return (f"the name reads {len(found)} ways: {every}; Canvas's names cannot tell them apart, so pass "
                "Canvas's gradebook export with --roster to decide")
    known = [r for r in found if r.user in class_list.students
             and _same_name(r.name, class_list.students[r.user].token)]
    if len(known) == 1:
        return known[0]
    why = "none of them is" if not known else f"{len(known)} of them are"
    return (f"the name reads {len(found)} ways: {every}; {why} a student of {class_list.source} under that name, "
            "so it was not collected (rename the file, or collect it by hand)")


class Canvas(Platform):
    name = "canvas"
    title = "Canvas"
    roster_help = "Canvas's gradebook export (Grades > Export > Export Entire Gradebook)"

    def parse(self, member: str, class_list: ClassList | None = None) -> Upload | str:
        base = member.rsplit("/", 1)[-1]
        if ANONYMOUS.match(base):
            return ("an anonymous-grading download (anon_ ids cannot be mapped to students); "
                    "download the submissions after the anonymity is lifted")
        if len(base) > MAX_NAME_CHARS:
            return f"a file name of {len(base)} characters, longer than Canvas writes"
        found = readings(base)
        if not found:
            return ("not in Canvas's naming (expected '<name>[_LATE]_<user id>_<attachment id>_<file>'): "
                    "is this Canvas's \"Download Submissions\" zip?")
        chosen = decide(found, class_list)
        if isinstance(chosen, str):
            return chosen
        if chosen.entry is not None:
            return f"{ENTRY_KINDS[chosen.entry]} of user {chosen.user} (Canvas renders it as HTML); only uploaded " \
                   "notebooks are graded"
        assert chosen.attachment is not None and chosen.file is not None
        late = "_LATE" if chosen.late else ""
        return Upload(platform_id=chosen.user, name=chosen.name, file_name=chosen.file, late=chosen.late,
                      order=(int(chosen.attachment),),
                      keys={"prefix": f"{chosen.name}{late}_{chosen.user}_{chosen.attachment}"})

    def read_class_list(self, path: Path) -> ClassList:
        """Canvas's gradebook export: "Student" (or "LastName" and "FirstName") and "ID" per student."""
        try:
            table = first_table(Path(path))
        except InputError as exc:
            raise ValueError(f"cannot read the roster: {exc}") from None
        header = [cell.strip() for cell in table.rows[0]] if table.rows else []
        if "ID" not in header or not ({"Student"} <= set(header) or {"LastName", "FirstName"} <= set(header)):
            raise ValueError(f"{path}: not Canvas's gradebook export (no columns \"Student\" and \"ID\"); export it "
                             "in Canvas with Grades > Export > Export Entire Gradebook")
        column: dict[str, int] = {name: header.index(name) for name in ("Student", "ID", "LastName", "FirstName")
                                  if name in header}

        def cell(row: tuple[str, ...], name: str) -> str:
            value = row[column[name]].strip() if column[name] < len(row) else ""
            quoted = re.fullmatch(r'="(.*)"', value, re.S)      # the exporter's guard for names starting with =
            return quoted[1] if quoted else value

        students: dict[str, Enrolled] = {}
        for number, row in enumerate(table.rows[1:], start=2):
            user = cell(row, "ID")
            if not user.isdigit() or not user.isascii():       # "Points Possible", "Manual Posting" rows
                continue
            name = cell(row, "Student") if "Student" in column else f"{cell(row, 'LastName')}, {cell(row, 'FirstName')}"
            if user in students:
                raise ValueError(f"{path}, row {number}: user id {user} appears twice")
            students[user] = Enrolled(user, name, name_token(name))
        if not students:
            raise ValueError(f"{path}: no student rows (rows with a numeric ID)")
        return ClassList(str(path), students)

    def feedback_member(self, keys: Mapping[str, object], filename: str) -> str:
        return f"{keys['prefix']}_{filename}"

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,
                    exported_at: str) -> tuple[list[str], list[list[str]]]:  # noqa: ARG002 (the Platform plug-in interface)
        column = platform_assignment or assignment
        return HEADER + [column], [[row.name, row.platform_id, "", "", "", points(row.score)] for row in rows]
