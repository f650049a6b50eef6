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
modified more recently in Moodle" is ticked. It also reads every column titled like a feedback
plugin's text field ("Feedback comments") and writes that cell over the teacher's text whenever the
two differ, an empty cell included: so the worksheet has no such column (we have no comment to give).
A grade is skipped when PHP's loose ``==`` finds it equal to Moodle's current grade, and an empty
grade in Moodle (a comment saved without a grade) equals 0: a 0 is not imported for such a student.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from .base import ClassList, GradeRow, Platform, Upload, points

FOLDER = re.compile(r"^(?P<name>[^_]*)_(?P<id>\d+)_"
                    r"(?P<plugin>assign(?:submission|feedback)_[A-Za-z0-9]+)_?(?P<rest>.*)$")
# Full name, Status, Maximum Grade and "Grade can be changed" are for the reader; the importer ignores them.
HEADER = ["Identifier", "Full name", "Status", "Grade", "Maximum Grade", "Grade can be changed",
          "Last modified (grade)"]


class Moodle(Platform):
    name = "moodle"
    title = "Moodle"

    def parse(self, member: str, class_list: ClassList | None = None) -> Upload | str:  # noqa: ARG002 (the Platform plug-in interface)
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

    def feedback_member(self, keys: Mapping[str, object], filename: str) -> str:
        # The same folder as the download, so the importer finds the participant and the plugin.
        return f"{keys['folder']}/{filename}"

    def grade_table(self, rows: list[GradeRow], *, assignment: str, platform_assignment: str | None,  # noqa: ARG002 (the Platform plug-in interface)
                    exported_at: str) -> tuple[list[str], list[list[str]]]:
        return HEADER, [[f"Participant {row.platform_id}", row.name, "Submitted for grading", points(row.score),
                         points(row.max_score), "Yes", exported_at] for row in rows]

    def import_notes(self, rows: list[GradeRow]) -> list[str]:
        zeros = [row.name for row in rows if row.score == 0]
        if not zeros:
            return []
        return [f"note: {len(zeros)} grade(s) of 0 ({', '.join(zeros)}): Moodle's importer does not write a 0 over a "
                "grade that exists in Moodle without a value (e.g. after a feedback comment was saved without a "
                "grade); check these students in Moodle's grading table and enter the 0 there if it shows none"]
