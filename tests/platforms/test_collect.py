"""`learnathon collect` on downloads in Moodle's and Canvas's naming: renamed files matched by content,
the latest attempt kept, late flags and platform ids recorded, every other file listed with its reason,
and hostile archives (zip-slip, symlinks, bombs, duplicates, non-UTF-8 names) writing nothing outside."""
from __future__ import annotations

import csv
import json
import zipfile

import nbformat
import pytest
from archives import Entry, canvas_name, moodle_folder, write_zip
from click.testing import CliRunner
from hw_course import ASSIGNMENT, part, submitted

from autograder.admin.course import CONFIG_TEMPLATE
from autograder.cli import main
from autograder.platforms import platform
from autograder.platforms.collect import collect


def test_moodle_download_lands_under_released_names_with_latest_attempt(course, tmp_path):
    jose = moodle_folder("José Müller", 101, trailing=False)          # Moodle >= 4.1
    ben = moodle_folder("Ben Okafor", 102)                            # Moodle 3.x
    archive = write_zip(tmp_path / "moodle.zip", [
        Entry(f"{jose}/part_two.ipynb", part("one", "# jose one\n")),         # swapped names: content decides
        Entry(f"{jose}/homework (1).ipynb", part("two", "# jose two\n")),
        Entry(f"{ben}/Copy of part_one.ipynb", part("one", "# ben first\n"), when=(2026, 11, 20, 9, 0, 0)),
        Entry(f"{ben}/part_one.ipynb", part("one", "# ben second\n"), when=(2026, 11, 21, 9, 30, 0)),
        Entry(f"{ben}/notes.pdf", b"%PDF-1.4 not a notebook"),
        Entry("Cleo Park_103_assignsubmission_onlinetext_/onlinetext.html", b"<p>my answer</p>"),
    ])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("moodle"), archive=archive)

    mapping = {row["platform_id"]: row for row in csv.DictReader(open(report.mapping, encoding="utf-8"))}
    assert {pid: (r["student"], r["name"]) for pid, r in mapping.items()} == {
        "101": ("jose-muller-101", "José Müller"), "102": ("ben-okafor-102", "Ben Okafor")}
    jose_files = submitted(course, "jose-muller-101")
    assert b"# jose one" in jose_files["part_one.ipynb"] and b"# jose two" in jose_files["part_two.ipynb"]
    ben_files = submitted(course, "ben-okafor-102")
    assert b"# ben second" in ben_files["part_one.ipynb"] and "part_two.ipynb" not in ben_files
    assert ben_files["timestamp.txt"] == b"2026-11-21 09:30:00.000000"

    reasons = {u.member: u.reason for u in report.unplaced}
    assert set(reasons) == {f"{ben}/Copy of part_one.ipynb", f"{ben}/notes.pdf",
                            "Cleo Park_103_assignsubmission_onlinetext_/onlinetext.html"}
    assert f"the latest, {ben}/part_one.ipynb, was collected" in reasons[f"{ben}/Copy of part_one.ipynb"]
    assert "not a notebook" in reasons[f"{ben}/notes.pdf"]
    assert "assignsubmission_onlinetext" in reasons["Cleo Park_103_assignsubmission_onlinetext_/onlinetext.html"]
    assert "ben-okafor-102 submitted no part_two.ipynb" in report.notes

    manifest = json.loads(report.manifest.read_text())
    assert manifest["students"]["jose-muller-101"]["files"]["part_one.ipynb"]["keys"] == {"folder": jose}
    assert manifest["students"]["ben-okafor-102"]["late"] is None       # Moodle's download does not say
    assert len(manifest["unplaced"]) == 3


def test_canvas_download_records_late_flags_ids_and_resubmissions(course, tmp_path):
    archive = write_zip(tmp_path / "canvas.zip", [
        Entry(canvas_name("Müller, José", 2001, 9001, "part_one.ipynb"), part("one", "# jose\n")),
        Entry(canvas_name("Okafor, Ben", 2002, 9002, "part_two.ipynb", late=True), part("two", "# old\n")),
        Entry(canvas_name("Okafor, Ben", 2002, 9010, "part_two-1.ipynb", late=True), part("two", "# new\n")),
        Entry(canvas_name("Park, Cleo", 2003, 9003, "essay.docx"), b"PK\x03\x04 a word file"),
        Entry("anon_x7k2p_9004_part_one.ipynb", part("one")),
    ])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("canvas"), archive=archive)
    by_student = {(p.student, p.notebook): p for p in report.placed}
    assert set(by_student) == {("mullerjose-2001", "part_one.ipynb"), ("okaforben-2002", "part_two.ipynb")}
    assert by_student[("okaforben-2002", "part_two.ipynb")].late is True
    assert by_student[("mullerjose-2001", "part_one.ipynb")].late is False
    assert b"# new" in submitted(course, "okaforben-2002")["part_two.ipynb"]
    manifest = json.loads(report.manifest.read_text())
    assert manifest["students"]["okaforben-2002"]["late"] is True
    assert manifest["students"]["okaforben-2002"]["files"]["part_two.ipynb"]["keys"] == {
        "prefix": "okaforben_LATE_2002_9010"}
    reasons = {u.member: u.reason for u in report.unplaced}
    assert "earlier upload" in reasons[canvas_name("Okafor, Ben", 2002, 9002, "part_two.ipynb", late=True)]
    assert "not a notebook" in reasons[canvas_name("Park, Cleo", 2003, 9003, "essay.docx")]
    assert "anonymous" in reasons["anon_x7k2p_9004_part_one.ipynb"]


def test_an_edited_mapping_file_names_the_students(course, tmp_path):
    mapping = tmp_path / "roster.csv"
    mapping.write_text("platform,platform_id,student,name\nmoodle,101,s1234567,José Müller\n")
    archive = write_zip(tmp_path / "m.zip", [Entry(f"{moodle_folder('José Müller', 101)}/x.ipynb", part("one"))])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("moodle"), archive=archive,
                     mapping=mapping)
    assert report.students == ["s1234567"] and report.new_students == []
    assert (course / "submitted" / "s1234567" / ASSIGNMENT / "part_one.ipynb").is_file()


@pytest.mark.parametrize("student", ["../../escape", ".hidden", "a/b", ""])
def test_a_mapping_with_an_unsafe_student_id_is_a_usage_error(course, tmp_path, student):
    mapping = tmp_path / "roster.csv"
    mapping.write_text(f"platform,platform_id,student,name\nmoodle,101,{student},X\n")
    archive = write_zip(tmp_path / "m.zip", [Entry(f"{moodle_folder('X', 101)}/x.ipynb", part("one"))])
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "moodle", str(archive), "--course", str(course),
                                       "--students", str(mapping)])
    assert result.exit_code == 2, result.output
    assert "roster.csv, line 2" in result.output
    assert not (course / "submitted").exists()


def test_hostile_archive_writes_nothing_outside_and_says_why(course, tmp_path):
    folder = moodle_folder("Eve Hacker", 666)
    bomb = b"0" * (65 * 1024 * 1024)                                    # compresses to ~64 KB
    archive = write_zip(tmp_path / "hostile.zip", [
        Entry("../../outside.ipynb", part("one")),
        Entry(f"{folder}/../../../etc.ipynb", part("one")),
        Entry("/abs/path.ipynb", part("one")),
        Entry(f"{folder}/link.ipynb", b"/etc/passwd", symlink=True),
        Entry(f"{folder}/bomb.ipynb", bomb),
        Entry(f"{folder}/part_two.ipynb", part("two", "# first copy\n")),
        Entry(f"{folder}/part_two.ipynb", part("two", "# second copy\n")),
        Entry("Zoë Adams_104_assignsubmission_file_/part_one.ipynb", part("one", "# zoe\n"),
              raw_name="Zoë Adams_104_assignsubmission_file_/part_one.ipynb".encode("cp1252")),
        Entry(f"{folder}/not-json.ipynb", b"\xff\xfe\x00garbage"),
    ])
    before = {p for p in tmp_path.rglob("*")}
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "moodle", str(archive), "--course",
                                       str(course)])
    assert result.exit_code == 0, result.output
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p.is_relative_to(course) for p in created), created
    assert not any(p.is_symlink() for p in created)
    assert b"# first copy" in submitted(course, "eve-hacker-666")["part_two.ipynb"]
    out = result.output
    assert "../../outside.ipynb: path leaves the archive's folder" in out
    assert "/abs/path.ipynb: absolute path" in out
    assert "link.ipynb: symbolic link (refused)" in out
    assert "bomb.ipynb: unpacks to more than the 64 MB" in out or "bomb.ipynb: 65 MB, more than" in out
    assert "part_two.ipynb: the archive holds this name twice" in out
    assert "not-json.ipynb: Eve Hacker: not a notebook (binary or not UTF-8 text)" in out
    # The non-UTF-8 name is still placed (its participant id is legible) and flagged.
    assert "its name is not UTF-8" in out
    assert b"# zoe" in submitted(course, "zo-adams-104")["part_one.ipynb"]


@pytest.mark.parametrize("content, message", [
    (b"not a zip at all", "is not a readable zip archive"),
])
def test_an_unreadable_archive_is_a_usage_error(course, tmp_path, content, message):
    bad = tmp_path / "download.zip"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "canvas", str(bad), "--course", str(course)])
    assert result.exit_code == 2 and message in result.output


def test_an_archive_of_another_platform_is_listed_not_guessed(course, tmp_path):
    archive = write_zip(tmp_path / "canvas.zip", [Entry(canvas_name("Okafor, Ben", 2002, 9002, "part_two.ipynb"),
                                                        part("two"))])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("moodle"), archive=archive)
    assert report.placed == []
    assert "not in Moodle's naming" in report.unplaced[0].reason


def test_collect_without_released_notebooks_says_how_to_make_them(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(course_id="c", course_url=""))
    archive = write_zip(tmp_path / "m.zip", [])
    result = CliRunner().invoke(main, ["collect", ASSIGNMENT, "--from", "moodle", str(archive), "--course", str(root)])
    assert result.exit_code == 2 and "generate the student version first" in result.output
    assert zipfile.is_zipfile(archive)


def test_a_notebook_stripped_of_cell_ids_falls_back_to_its_file_name(course, tmp_path):
    stripped = nbformat.v4.new_notebook()
    stripped.cells = [nbformat.v4.new_code_cell("def relu(z):\n    return z\n")]
    data = nbformat.writes(stripped).encode()
    folder = moodle_folder("Ada Lovelace", 105)
    archive = write_zip(tmp_path / "m.zip", [Entry(f"{folder}/part_two (1).ipynb", data),
                                             Entry(f"{folder}/scratch.ipynb", data)])
    report = collect(course_dir=course, assignment=ASSIGNMENT, platform=platform("moodle"), archive=archive)
    assert [(p.notebook, p.how) for p in report.placed] == [
        ("part_two.ipynb", "by file name: the notebook carries no nbgrader cell ids")]
    assert "matches no released notebook" in report.unplaced[0].reason
