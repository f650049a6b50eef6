"""What the platforms' own code did with our files (tests/platforms/upstream/golden/, written by the upstream run
of test_upstream_importers.py), held against our code in the fast suite: the names Moodle's downloader wrote are
read back to the right participant and file, our exporters still write what Moodle's importers were given, and
what the importers did is what the README says they do. A change on either side fails here until the upstream
run is repeated (LEARNATHON_UPSTREAM_DIR, LEARNATHON_UPDATE_GOLDEN=1)."""
from __future__ import annotations

import pytest
from upstream import runs
from upstream.list_sources import sources

from autograder.platforms import GradeRow, Moodle, Upload

MOODLE = runs.golden("moodle")
BY_PARTICIPANT = {str(p["participant"]): p for p in runs.MOODLE_CLASS}


def test_the_golden_run_used_the_files_sources_toml_lists():
    assert MOODLE["sources"] == [f"{e['folder']}/{e['path']}@{e['commit']}" for e in sources()
                                 if e["folder"] == "moodle"]
    assert MOODLE["stubbed"] == []      # every function named in sources.toml was Moodle's own


@pytest.mark.parametrize("member", MOODLE["download_members"])
def test_every_name_moodles_downloader_wrote_reads_back_to_its_participant_and_file(member):
    upload = Moodle().parse(member)
    assert isinstance(upload, Upload), upload
    expected = BY_PARTICIPANT[upload.platform_id]
    assert upload.file_name == expected["upload"][0]
    assert upload.name.replace(" ", "").lower() == (expected["firstname"] + expected["lastname"]).replace("_", "") \
        .replace("'", "").lower()


def test_our_moodle_worksheet_is_still_what_moodles_importer_was_given():
    rows = [GradeRow(r[0].removeprefix("Participant "), r[1], "s", float(r[3]), float(r[4]), False)
            for r in MOODLE["grades_rows"]]
    header, body = Moodle().grade_table(rows, assignment="tiny", platform_assignment=None, exported_at="T")
    assert header == MOODLE["grades_header"]
    assert [row[:-1] for row in body] == MOODLE["grades_rows"] and {row[-1] for row in body} == {"T"}


def test_our_feedback_zip_is_still_laid_out_as_moodles_importer_was_given():
    folders = {Moodle().parse(m).platform_id: Moodle().parse(m).keys for m in MOODLE["download_members"]}
    assert sorted(Moodle().feedback_member(keys, "tiny.feedback.html") for keys in folders.values()) \
        == MOODLE["feedback_members"]


def test_moodles_importers_did_what_the_readme_says():
    imported, before = MOODLE["import"], MOODLE["import_before_fix"]
    # Every teacher comment unchanged; every graded row written but a 0 over an empty grade Moodle holds.
    assert all(imported[pid]["comment"] == p.get("comment", "") for pid, p in BY_PARTICIPANT.items())
    exported = {r[0].removeprefix("Participant "): float(r[3]) for r in MOODLE["grades_rows"]}
    for pid, score in exported.items():
        zero_over_empty = score == 0 and "grade" in BY_PARTICIPANT[pid] and BY_PARTICIPANT[pid]["grade"] is None
        assert imported[pid]["grade_written"] is not zero_over_empty, pid
        assert imported[pid]["grade"] == (None if zero_over_empty else score), pid
    assert "104" not in exported and imported["104"]["grade"] == BY_PARTICIPANT["104"]["grade"]
    # The worksheet before issue 23 (an empty "Feedback comments" column) erased the comments of every row in it.
    assert all(before[pid]["comment"] == "" for pid in exported if BY_PARTICIPANT[pid].get("comment"))
    # Each feedback file went to the participant whose folder it was in, as a feedback file at the top.
    assert [(f["participant"], f["filepath"], f["filename"]) for f in MOODLE["feedback_import"]] == [
        (int(pid), "/", "tiny.feedback.html") for pid in sorted(exported)]


# --- Canvas ----------------------------------------------------------------------------------------------------

CANVAS = runs.golden("canvas")
BY_USER = {s["user_id"]: s for s in runs.CANVAS_CLASS}


def test_the_canvas_golden_run_used_the_files_sources_toml_lists():
    assert CANVAS["sources"] == [f"{e['folder']}/{e['path']}@{e['commit']}" for e in sources()
                                 if e["folder"] == "canvas-lms"]


@pytest.mark.parametrize("member", CANVAS["download_members"])
def test_every_name_canvass_zipper_wrote_reads_back_to_its_user_attachment_and_file(member):
    from autograder.platforms import Canvas

    upload = Canvas().parse(member)
    if member.endswith("_text.html"):
        assert upload == "an online text entry of user 2004 (Canvas renders it as HTML); only uploaded notebooks are " \
                         "graded"
        return
    assert isinstance(upload, Upload), upload
    student = BY_USER[int(upload.platform_id)]
    assert (upload.order[0], upload.file_name) in {(aid, name) for aid, name, _ in student["files"]}
    assert upload.late is bool(student.get("late"))


def test_our_canvas_import_file_is_still_what_canvass_importer_was_given():
    from autograder.platforms import Canvas

    rows = [GradeRow(r[1], r[0], "s", float(r[5]), 6.0, False) for r in CANVAS["grades_rows"]]
    header, body = Canvas().grade_table(rows, assignment="tiny", platform_assignment="Tiny (4711)", exported_at="T")
    assert header == CANVAS["grades_header"] and body == CANVAS["grades_rows"]


def test_our_reupload_names_are_still_what_canvass_reupload_read():
    from autograder.platforms import Canvas

    graded = {}     # the upload collect keeps per user: the highest attachment id of a notebook
    for member in CANVAS["download_members"]:
        upload = Canvas().parse(member)
        if isinstance(upload, Upload) and upload.order > graded.get(upload.platform_id, ((0,), None))[0]:
            graded[upload.platform_id] = (upload.order, upload.keys)
    names = sorted(Canvas().feedback_member(keys, "tiny.feedback.html") for _, keys in graded.values())
    assert names == sorted(f["file"] for f in CANVAS["reupload"])


def test_canvass_importers_did_what_the_readme_says():
    # Every row to its user and to the assignment of the "Title (id)" column; nobody missing, nothing created.
    imported = CANVAS["import"]
    assert [a["id"] for a in imported["assignments"]] == [4711] and not imported["new_assignments"]
    assert not imported["missing_students"]
    in_file = {int(r[1]): r[5] for r in CANVAS["grades_rows"]}
    assert {s["id"]: s["submissions"][0]["grade"] for s in imported["students"]} == in_file
    # A title without an id: the assignment with exactly that title.
    assert [a["id"] for a in CANVAS["import_titled"]["assignments"]] == [4712]
    # An empty cell would have been a change clearing the score Canvas had.
    zoe = next(s for s in CANVAS["import_before_fix"]["students"] if s["id"] == 2005)
    assert zoe["submissions"][0]["grade"] is None and zoe["submissions"][0]["original_grade"] == "5.0"
    # Each report attached to the graded upload of its student.
    assert not CANVAS["reupload_ignored"]
    for f in CANVAS["reupload"]:
        user, attachment = [part for part in f["file"].split("_") if part.isdigit()][:2]
        assert int(user) == f["user_id"]
        assert f["display_name"] == {aid: name for aid, name, _ in BY_USER[f["user_id"]]["files"]}[int(attachment)]
