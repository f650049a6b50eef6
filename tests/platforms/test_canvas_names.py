"""Canvas download names read without ambiguity: a sortable name that reads as another user's id never
sets that user's upload aside; Canvas's gradebook export (--roster) decides the names that read two ways
and lists the students without an upload; text entries are named as what they are."""
from __future__ import annotations

import csv
import io

import pytest
from archives import Entry, canvas_entry, canvas_name, write_zip
from click.testing import CliRunner
from hw_course import ASSIGNMENT, part, submitted

from autograder.cli import main
from autograder.platforms import platform
from autograder.platforms.canvas import name_token, readings
from autograder.platforms.collect import collect

# The attacker's sortable name survives Canvas's guard: the commas go after it, the underscores stay.
ATTACKER = "x_,2002,_,9003,_y"              # -> "x_2002_9003_y", user 3001
MIMIC = "okaforben_,2002,_,9003,_y"         # -> "okaforben_2002_9003_y": the victim's own name token first


def gradebook(students: list[tuple[str, int]], *, delimiter: str = ",", first_last: bool = False) -> bytes:
    """Canvas's gradebook export (lib/gradebook_exporter.rb): header, the Points Possible row, one row per
    student; a name starting with '=' is written as ="name"."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    names = ["LastName", "FirstName"] if first_last else ["Student"]
    writer.writerow([*names, "ID", "SIS User ID", "SIS Login ID", "Section", "hw (123)"])
    writer.writerow(["    Points Possible", *([""] if first_last else []), "", "", "", "", "6.00"])
    for name, user in students:
        cells = [p.strip() for p in name.split(",", 1)] if first_last else [name]     # "Last, First"
        shown = [f'="{c}"' if c.lstrip().startswith("=") else c for c in cells]
        writer.writerow([*shown, user, "", "", "Section 1", ""])
    return out.getvalue().encode("utf-8-sig")


CLASS = [("Adams, Ann", 1001), ("Okafor, Ben", 2002), (ATTACKER, 3001), ("Zhu, Zoe", 4004)]


def download(tmp_path, extra: list[Entry]):
    """An honest student before and after, the victim's own upload, and ``extra`` in between."""
    return write_zip(tmp_path / "canvas.zip", [
        Entry(canvas_name("Adams, Ann", 1001, 9000, "part_one.ipynb"), part("one", "# ann\n")),
        Entry(canvas_name("Okafor, Ben", 2002, 9001, "part_one.ipynb"), part("one", "# ben\n")),
        *extra,
        Entry(canvas_name("Zhu, Zoe", 4004, 9999, "part_one.ipynb"), part("one", "# zoe\n")),
    ])


def test_canvas_name_tokens_are_what_the_zipper_writes():
    assert name_token("Okafor, Ben") == "okaforben"
    assert name_token(ATTACKER) == "x_2002_9003_y"            # the guard `_(\d+)_` -> `\1` matched nothing
    assert name_token("Evil_2002_9003_, Bob") == "evil20029003_bob"     # ... and here it did
    assert [(r.user, r.attachment) for r in readings(canvas_name(ATTACKER, 3001, 9500, "part_one.ipynb"))] == [
        ("2002", "9003"), ("3001", "9500")]
    assert len(readings(canvas_name("Okafor, Ben", 2002, 9001, "part_one.ipynb"))) == 1
    assert len(readings(canvas_name("Okafor, Ben", 2002, 9001, "part_one.ipynb", late=True))) == 1


def test_a_name_reading_as_another_users_id_is_refused_and_the_victim_keeps_their_upload(course, tmp_path):
    attack = canvas_name(ATTACKER, 3001, 9003, "part_one.ipynb")
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"),
                     archive=download(tmp_path, [Entry(attack, part("one", "# attacker\n"))]))
    assert b"# ben" in submitted(course, "okaforben-2002")["part_one.ipynb"]
    assert {p.student for p in report.placed} == {"adamsann-1001", "okaforben-2002", "zhuzoe-4004"}
    reason = {u.member: u.reason for u in report.unplaced}[attack]
    assert "reads 2 ways" in reason and "as user 2002" in reason and "as user 3001" in reason and "--roster" in reason


def test_the_roster_puts_the_file_under_its_own_students_id(course, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_bytes(gradebook(CLASS))
    attack = canvas_name(ATTACKER, 3001, 9003, "part_one.ipynb")
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"),
                     archive=download(tmp_path, [Entry(attack, part("one", "# attacker\n"))]), class_list=roster)
    by_id = {p.platform_id: p for p in report.placed}
    assert set(by_id) == {"1001", "2002", "3001", "4004"} and by_id["3001"].member == attack
    assert b"# ben" in submitted(course, "okaforben-2002")["part_one.ipynb"]
    assert b"# attacker" in submitted(course, by_id["3001"].student)["part_one.ipynb"]
    assert report.not_uploaded == []


def test_a_name_that_fits_both_students_of_the_roster_is_still_refused(course, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_bytes(gradebook([*CLASS, (MIMIC, 3002)]))
    attack = canvas_name(MIMIC, 3002, 9500, "part_one.ipynb")
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"),
                     archive=download(tmp_path, [Entry(attack, part("one", "# mimic\n"))]), class_list=roster)
    assert b"# ben" in submitted(course, "okaforben-2002")["part_one.ipynb"]
    reason = {u.member: u.reason for u in report.unplaced}[attack]
    assert "2 of them are a student of" in reason and "as user 2002" in reason and "as user 3002" in reason
    assert {e.platform_id for e in report.not_uploaded} == {"3001", "3002"}


def test_an_honest_file_name_with_numbers_needs_the_roster_and_is_collected_with_it(course, tmp_path):
    dated = canvas_name("Park, Cleo", 5005, 9100, "hw_2026_11_part_one.ipynb")
    archive = download(tmp_path, [Entry(dated, part("one", "# cleo\n"))])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"), archive=archive)
    assert "as user 5005" in {u.member: u.reason for u in report.unplaced}[dated]
    roster = tmp_path / "gradebook.csv"
    roster.write_bytes(gradebook([*CLASS, ("Park, Cleo", 5005)], delimiter=";", first_last=True))
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"), archive=archive,
                     class_list=roster)
    assert b"# cleo" in submitted(course, "parkcleo-5005")["part_one.ipynb"]
    assert [e.platform_id for e in report.not_uploaded] == ["3001"]


def test_text_entries_are_recognised_as_canvas_wrote_them(course, tmp_path):
    entries = [Entry(canvas_entry("Park, Cleo", 5005), b"<p>my answer</p>"),
               Entry(canvas_entry("Park, Cleo", 5006, "link", late=True), b"<a href='x'>x</a>")]
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"),
                     archive=download(tmp_path, entries))
    reasons = {u.member: u.reason for u in report.unplaced}
    assert reasons[entries[0].name].startswith("an online text entry of user 5005")
    assert reasons[entries[1].name].startswith("a website URL entry of user 5006")
    assert not any("not in Canvas's naming" in r for r in reasons.values())


def test_the_roster_lists_students_without_an_upload_and_reads_canvas_quoting(course, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_bytes(gradebook([*CLASS, ("=Eq, Ed", 6006)]))
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "canvas", str(download(tmp_path, [])),
                                       "--course", str(course), "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert "2 student(s) of the roster without a collected notebook:" in result.output
    assert "  =Eq, Ed (user 6006)" in result.output and f"  {ATTACKER} (user 3001)" in result.output


@pytest.mark.parametrize("content, message", [
    (b"Name,Score\nAnn,1\n", "not Canvas's gradebook export"),
    (b"\xff\xfe\x00\x00garbage", "not UTF-8"),
    (b"Student,ID\n    Points Possible,\n", "no student rows"),
])
def test_a_roster_that_is_not_canvass_export_is_a_usage_error(course, tmp_path, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "canvas", str(download(tmp_path, [])),
                                       "--course", str(course), "--roster", str(roster)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (course / "submitted").exists()


def test_moodle_takes_no_roster(course, tmp_path):
    roster = tmp_path / "gradebook.csv"
    roster.write_bytes(gradebook(CLASS))
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "moodle", str(download(tmp_path, [])),
                                       "--course", str(course), "--roster", str(roster)])
    assert result.exit_code == 2 and "--roster is not supported for Moodle" in result.output
