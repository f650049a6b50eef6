"""Moodle's assignment module (mod_assign).

Download ("Download all submissions"): since Moodle 3.1 one folder per submission plugin and student,
``<Full name>_<participant id>_assignsubmission_file_/<file as uploaded>`` (Moodle >= 4.1 writes the
folder without the trailing ``_``); with "download submissions in folders" off, the same prefix is
glued to the file name. The participant id is the assignment's own id of the student (the number in
the offline grading worksheet's "Participant N"), not the user id. Underscores in the full name are
written as spaces, which is what makes the split unambiguous. Late flags are not in the download.

Feedback upload ("Upload multiple feedback files in a zip"): assignfeedback_file's importer splits
the first path part that has at least four ``_``-separated fields into name, participant id, plugin
type and plugin name; every file below it becomes a feedback file of that participant.

Grade import ("Upload grading worksheet", assignfeedback_offline): reads the columns "Identifier"
("Participant N"), "Grade" and "Last modified (grade)" (English language pack), and skips a row
whose grade was changed in Moodle after that time unless "Allow updating records that have been
modified more recently in Moodle" is ticked.
"""
from __future__ import annotations

import re

from .base import ClassList, GradeRow, Platform, Upload, points

FOLDER = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_"
                    r"(?P<plugin>assign(?:submission|feedback)_[A-Za-z0-9]+)_?(?P<rest>.*)$")
HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
          "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


class Moodle(Platform):
    name = "moodle"
    title = "Moodle"

    def parse(self, member: str, class_list: ClassList | None = None) -> Upload | str:
        first, _, below = member.partition("/")
        match = FOLDER.match(first)
        if not match:
            return ("not in Moodle's naming (expected 'Full Name_<participant id>_assignsubmission_file_/FILE'): "
                    "is this Moodle's \"Download all submissions\" zip?")
        if match["plugin"] != "assignsubmission_file":
            return f"a {match['plugin']} entry (only file submissions are graded)"
        file_name = below if below else match["rest"]
        if not file_name:
            return "a folder entry without a file"
        folder = first if below else f"{match['name']}_{match['id']}_{match['plugin']}_"
        return Upload(platform_id=match["id"], name=match["name"].strip(), file_name=file_name.rsplit("/", 1)[-1],
                      late=None, order=(), keys={"folder": folder})

    def feedback_member(self, keys: dict, filename: str) -> str:
        # The same folder as the download, so the importer finds the participant and the plugin.
        return f"{keys['folder']}/{filename}"

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,
                    exported_at: str) -> tuple[list[str], list[list[str]]]:
        body = []
        for row in rows:
            status = ("Submitted for grading" if row.score is not None else "No submission")
            body.append([f"Participant {row.platform_id}", row.name, row.email, status, points(row.score),
                         points(row.max_score), "Yes", "", exported_at if row.score is not None else "", ""])
        return HEADER, body
