"""Canvas LMS.

Download ("Download Submissions", canvas-lms lib/content_zipper.rb): one flat file per uploaded
attachment, ``<name>[_LATE]_<user id>_<attachment id>_<display name>``, where ``<name>`` is the
student's sortable name ("Last, First") lowercased with every non-word character removed
(``müller, jürgen`` -> ``müllerjürgen``) and ``_LATE`` marks a late submission. The third field is
the attachment (file) id, not the submission id. Canvas renames a re-uploaded file with the same
name to ``name-1.ext``. Anonymous grading writes ``anon_<anonymous id>`` instead of name and user id;
such downloads cannot be mapped back to students and are refused with that reason.

Feedback upload ("Re-Upload Submissions", canvas-lms Assignment#infer_comment_context_from_filename):
the first two all-digit ``_``-separated fields of a file name are the user id and an attachment id,
which must be one of that student's submitted files; the file is attached to a submission comment
(shown under the attachment's display name). So each feedback file is named like the student's
downloaded notebook: ``<name>[_LATE]_<user id>_<attachment id>_<notebook>.feedback.html``.

Grade import (Grades > Import): columns "Student", "ID" (the Canvas user id: rows are matched on
it), "SIS User ID", "SIS Login ID", "Section", then one column per assignment, titled
"<assignment name> (<assignment id>)" to update an existing assignment (a title without an id
creates a new assignment).
"""
from __future__ import annotations

import re

from .base import GradeRow, Platform, Upload, points

FILE = re.compile(r"^(?P<name>.*?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
ANONYMOUS = re.compile(r"^(?:LATE_)?anon_")
HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class Canvas(Platform):
    name = "canvas"
    title = "Canvas"

    def parse(self, member: str) -> Upload | str:
        base = member.rsplit("/", 1)[-1]
        if ANONYMOUS.match(base):
            return ("an anonymous-grading download (anon_ ids cannot be mapped to students); "
                    "download the submissions after the anonymity is lifted")
        match = FILE.match(base)
        if not match:
            return ("not in Canvas's naming (expected '<name>[_LATE]_<user id>_<attachment id>_<file>'): "
                    "is this Canvas's \"Download Submissions\" zip?")
        return Upload(platform_id=match["user"], name=match["name"], file_name=match["file"],
                      late=bool(match["late"]), order=(int(match["attachment"]),),
                      keys={"prefix": f"{match['name']}{match['late'] or ''}_{match['user']}_{match['attachment']}"})

    def feedback_member(self, keys: dict, filename: str) -> str:
        return f"{keys['prefix']}_{filename}"

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,
                    exported_at: str) -> tuple[list[str], list[list[str]]]:
        column = platform_assignment or assignment
        return HEADER + [column], [[row.name, row.platform_id, "", "", "", points(row.score)] for row in rows]
