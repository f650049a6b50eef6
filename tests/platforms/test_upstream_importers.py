"""Round trips through the platforms' own code (issue 23): Moodle's PHP under php-cli writes the download, our
collect -> autograde -> export-grades -> feedback-archive run on it, and Moodle's importers read our files back.

The upstream files are not in this repository (their licences and our tool rules keep them out): give a folder
of them with LEARNATHON_UPSTREAM_DIR (``python tests/platforms/upstream/list_sources.py`` lists each file and
its commit). Without it the tests skip; what the last run produced is pinned by tests/platforms/upstream/golden/
(checked in the fast suite by test_upstream_golden.py). LEARNATHON_UPDATE_GOLDEN=1 rewrites the golden files.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from autograder.admin import course
from autograder.csvfiles import write_csv
from tests.autograder import tiny_assignment as tiny
from tests.autograder.tiny_assignment import start_sandboxes
from tests.platforms.archives import cli, read_csv
from tests.platforms.upstream import runs

UPSTREAM = runs.upstream_dir()
WRONG_FORWARD = "def forward(X, params):\n    return relu(X @ params['W'])\n"   # forgets the bias: 4 of 6


def _missing() -> str:
    if UPSTREAM is None:
        return (f"set {runs.ENV} to a folder of the platforms' own files "
                "(python tests/platforms/upstream/list_sources.py lists them)")
    check = subprocess.run([sys.executable, str(runs.HERE / "list_sources.py"), "--check", str(UPSTREAM)],
                           capture_output=True, text=True)
    return check.stdout.strip()


pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")]


def three_notebooks(tmp) -> dict[str, bytes]:
    """The round trips' class: a full solution, a wrong forward and an untouched student version."""
    return {"full": tiny.submission(tmp / "full.ipynb").read_bytes(),
            "wrong": tiny.submission(tmp / "wrong.ipynb", forward=WRONG_FORWARD).read_bytes(),
            "untouched": tiny.submission(tmp / "untouched.ipynb", relu="", forward="").read_bytes()}


@pytest.fixture(scope="module")
def moodle_trip(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    with pytest.MonkeyPatch.context() as patch:
        start_sandboxes(patch, cold=True)
        tmp = tmp_path_factory.mktemp("moodle-upstream")
        notebooks = three_notebooks(tmp)
        download = tmp / "download.zip"
        written = runs.moodle({"action": "download", "zip": str(download),
                               "participants": runs.moodle_participants(notebooks)})
        root = course.init(tmp / "course", course_id="tinycourse").root
        collected = cli("collect", "tiny", "--from", "moodle", str(download), "--course", str(root))
        cli("autograde", "tiny", "--course", str(root))
        grades = tmp / "grades.csv"
        exported = cli("export-grades", "tiny", "--to", "moodle", "--course", str(root), "--out", str(grades))
        feedback = tmp / "feedback.zip"
        cli("feedback-archive", "tiny", "--to", "moodle", "--course", str(root), "--out", str(feedback))
        state = {"participants": runs.moodle_participants(), "max_grade": 6}
        imported = runs.moodle({"action": "import_grades", "csv": str(grades), **state})
        # The worksheet as export-grades wrote it before issue 23: the same rows, an empty "Feedback comments" column.
        header, *rows = read_csv(grades)
        before = write_csv(tmp / "grades-before.csv", header + ["Feedback comments"], [row + [""] for row in rows])
        imported_before = runs.moodle({"action": "import_grades", "csv": str(before), **state})
        feedback_imported = runs.moodle({"action": "import_feedback_zip", "zip": str(feedback),
                                         "participants": runs.moodle_participants(notebooks)})
        with zipfile.ZipFile(feedback) as archive:
            packed = {name: archive.read(name) for name in archive.namelist()}
    result = {"download_members": written["members"], "collected": collected, "exported": exported,
              "grades_header": header, "grades_rows": [row[:-1] for row in rows], "import": imported["participants"],
              "import_before_fix": imported_before["participants"], "feedback_members": sorted(packed),
              "feedback_import": sorted(feedback_imported["feedback_files"], key=lambda f: f["participant"]),
              "stubbed": sorted(set(written["stubbed"] + imported["stubbed"])),
              "sources": [f"{e['folder']}/{e['path']}@{e['commit']}" for e in _sources("moodle")]}
    if os.environ.get("LEARNATHON_UPDATE_GOLDEN") == "1":
        runs.write_golden("moodle", {k: v for k, v in result.items() if k not in ("collected", "exported")})
    return result, packed


def _sources(folder: str) -> list[dict]:
    from tests.platforms.upstream.list_sources import sources

    return [e for e in sources() if e["folder"] == folder]


def test_moodle_download_written_by_moodle_is_collected_completely(moodle_trip):
    result, _ = moodle_trip
    assert len(result["download_members"]) == 4
    assert "collected 4 notebook(s) of 4 student(s)" in result["collected"], result["collected"]
    assert "not placed" not in result["collected"]


def test_moodle_grade_import_writes_every_grade_and_changes_no_teacher_comment(moodle_trip):
    result, _ = moodle_trip
    imported = result["import"]
    comments = {str(p["participant"]): p.get("comment", "") for p in runs.MOODLE_CLASS}
    assert {pid: state["comment"] for pid, state in imported.items()} == comments
    assert imported["101"] == {"grade": 6, "grade_written": True, "comment": comments["101"]}
    assert imported["102"]["grade"] == 4 and imported["102"]["grade_written"]
    assert imported["105"]["grade"] == 0 and imported["105"]["grade_written"]      # no grade row in Moodle yet
    assert imported["104"] == {"grade": 5, "grade_written": False, "comment": comments["104"]}   # not in our file
    # Moodle's loose == reads its empty grade as equal to 0: Cleo's 0 is not written; export-grades named her.
    assert imported["103"] == {"grade": None, "grade_written": False, "comment": comments["103"]}
    assert "grade(s) of 0 (Cleo Park, Zoë Ng)" in result["exported"]


def test_moodle_the_old_worksheet_would_have_erased_the_comments(moodle_trip):
    """The failure issue 23 reported, reproduced with Moodle's code: an empty "Feedback comments" cell is a value."""
    result, _ = moodle_trip
    before = result["import_before_fix"]
    assert before["101"]["comment"] == "" and before["102"]["comment"] == "" and before["103"]["comment"] == ""
    assert before["104"]["comment"] == "graded by hand: emailed notebook"      # its row was not in the file


def test_moodle_feedback_zip_reaches_each_student(moodle_trip):
    import hashlib

    result, packed = moodle_trip
    by_folder = {name.split("_")[1]: hashlib.sha1(data).hexdigest() for name, data in packed.items()}
    assert [(f["participant"], f["filepath"], f["filename"]) for f in result["feedback_import"]] == [
        (101, "/", "tiny.feedback.html"), (102, "/", "tiny.feedback.html"), (103, "/", "tiny.feedback.html"),
        (105, "/", "tiny.feedback.html")]
    assert {str(f["participant"]): f["sha1"] for f in result["feedback_import"]} == by_folder


def test_the_golden_file_is_what_this_run_produced(moodle_trip):
    result, _ = moodle_trip
    recorded = runs.golden("moodle")
    for key in ("download_members", "grades_header", "grades_rows", "import", "import_before_fix", "feedback_members",
                "feedback_import", "sources"):
        assert recorded[key] == result[key], key


# --- Canvas --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def canvas_trip(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    with pytest.MonkeyPatch.context() as patch:
        start_sandboxes(patch, cold=True)
        tmp = tmp_path_factory.mktemp("canvas-upstream")
        notebooks = three_notebooks(tmp)
        download = tmp / "download.zip"
        written = runs.canvas({"action": "download", "zip": str(download),
                               "students": runs.canvas_students(notebooks)})
        root = course.init(tmp / "course", course_id="tinycourse").root
        collected = cli("collect", "tiny", "--from", "canvas", str(download), "--course", str(root))
        cli("autograde", "tiny", "--course", str(root))
        grades, titled = tmp / "grades.csv", tmp / "grades-titled.csv"
        exported = cli("export-grades", "tiny", "--to", "canvas", "--course", str(root), "--out", str(grades),
                       "--platform-assignment", "Tiny (4711)")
        cli("export-grades", "tiny", "--to", "canvas", "--course", str(root), "--out", str(titled))
        header, *rows = read_csv(grades)
        # The import file as export-grades wrote it before issue 23: a row with an empty grade for a student of the
        # mapping without a graded submission (here Zoë, whom Canvas has a score for).
        before = write_csv(tmp / "grades-before.csv", header, rows + [["ngzoe", "2005", "", "", "", ""]])
        state = {"students": runs.canvas_students(), "assignments": runs.CANVAS_ASSIGNMENTS,
                 "scores": runs.canvas_scores()}
        imported = {name: runs.canvas({"action": "import_grades", "csv": str(path), **state})
                    for name, path in (("import", grades), ("import_titled", titled), ("import_before_fix", before))}
        feedback = tmp / "feedback.zip"
        cli("feedback-archive", "tiny", "--to", "canvas", "--course", str(root), "--out", str(feedback))
        reuploaded = runs.canvas({"action": "reupload", "zip": str(feedback), "students": runs.canvas_students()})
    result = {"download_members": written["members"], "collected": collected, "exported": exported,
              "grades_header": header, "grades_rows": rows, **imported,
              "reupload": sorted(reuploaded["files"], key=lambda f: f["file"]),
              "reupload_ignored": reuploaded["ignored"],
              "sources": [f"{e['folder']}/{e['path']}@{e['commit']}" for e in _sources("canvas-lms")]}
    if os.environ.get("LEARNATHON_UPDATE_GOLDEN") == "1":
        runs.write_golden("canvas", {k: v for k, v in result.items() if k not in ("collected", "exported")})
    return result


def test_canvas_download_written_by_canvas_is_collected_completely(canvas_trip):
    collected = canvas_trip["collected"]
    assert "collected 4 notebook(s) of 4 student(s)" in collected, collected
    assert "an online text entry of user 2004" in collected                  # Dan's entry, listed as such
    assert "okaforben_LATE_2002_9002_tiny.ipynb" in collected                # Ben's earlier upload, not graded


def test_canvas_grade_import_matches_every_row_to_its_student_and_assignment(canvas_trip):
    imported = canvas_trip["import"]
    assert imported["assignments"] == [{"id": 4711, "previous_id": 4711, "title": "Tiny"}]
    assert imported["new_assignments"] == [] and imported["missing_students"] == []
    changes = {s["id"]: [(sub["assignment_id"], sub["grade"], sub["original_grade"]) for sub in s["submissions"]]
               for s in imported["students"]}
    assert changes == {2001: [(4711, "6", None)], 2002: [(4711, "4", "2.0")], 2003: [(4711, "0", None)],
                       2006: [(4711, "6", None)]}                         # Zoë and Dan: not in the file, untouched


def test_canvas_a_title_without_an_id_updates_the_assignment_with_that_exact_title(canvas_trip):
    titled = canvas_trip["import_titled"]
    assert titled["assignments"] == [{"id": 4712, "previous_id": 4712, "title": "tiny"}]
    assert not titled["new_assignments"]


def test_canvas_the_old_empty_grade_row_would_have_cleared_a_score(canvas_trip):
    """An empty cell is a change to Canvas: the score it had for Zoë would have been posted as nothing."""
    before = {s["id"]: s["submissions"] for s in canvas_trip["import_before_fix"]["students"]}
    assert before[2005] == [{"assignment_id": 4711, "grade": None, "original_grade": "5.0", "gradeable": True}]


def test_canvas_reupload_attaches_each_report_to_the_graded_upload(canvas_trip):
    assert sorted((f["user_id"], f["display_name"]) for f in canvas_trip["reupload"]) == [
        (2001, "tiny-1.ipynb"), (2002, "tiny.ipynb"), (2003, "tiny.ipynb"), (2006, "Copy of tiny.ipynb")]
    assert canvas_trip["reupload_ignored"] == []
    assert all("_9003_" in f["file"] for f in canvas_trip["reupload"] if f["user_id"] == 2002)   # the latest upload


def test_the_canvas_golden_file_is_what_this_run_produced(canvas_trip):
    recorded = runs.golden("canvas")
    for key in ("download_members", "grades_header", "grades_rows", "import", "import_titled", "import_before_fix",
                "reupload", "reupload_ignored", "sources"):
        assert recorded[key] == canvas_trip[key], key
