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
    assert MOODLE["stubbed"] == ["lib/moodlelib.php clean_filename: stubbed as clean_param($string, PARAM_FILE)"]


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
