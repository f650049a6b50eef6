"""Each platform's download round-trips: collect -> autograde -> (a manual grade in the gradebook) ->
export-grades in the platform's import format -> feedback-archive in its upload layout (on the tiny
assignment; test_roundtrip_cs1.py does it on the real cs1, test_upstream_importers.py feeds these files
to the platforms' own importers)."""
from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from autograder.admin import course
from autograder.cli import main
from autograder.results import gradebook
from tests.autograder import tiny_assignment as tiny
from tests.autograder.tiny_assignment import start_sandboxes
from tests.platforms.archives import Entry, canvas_name, cli, moodle_folder, read_csv, write_zip

WRONG_FORWARD = "def forward(X, params):\n    return relu(X @ params['W'])\n"   # forgets the bias: 4 of 6


def notebook_bytes(tmp_path, name: str, **answers) -> bytes:
    return tiny.submission(tmp_path / f"{name}.ipynb", **answers).read_bytes()


@pytest.fixture(scope="module")
def cold_module():
    with pytest.MonkeyPatch.context() as patch:
        start_sandboxes(patch, cold=True)
        yield


def downloads(tmp_path) -> dict[str, list[Entry]]:
    full = notebook_bytes(tmp_path, "full")
    wrong = notebook_bytes(tmp_path, "wrong", forward=WRONG_FORWARD)
    untouched = notebook_bytes(tmp_path, "untouched", relu="", forward="")
    return {
        "moodle": [
            Entry(f"{moodle_folder('José Müller', 101)}/tiny (1).ipynb", full),
            Entry(f"{moodle_folder('Ben Okafor', 102)}/tiny.ipynb", untouched, when=(2026, 11, 20, 8, 0, 0)),
            Entry(f"{moodle_folder('Ben Okafor', 102)}/my homework.ipynb", wrong, when=(2026, 11, 20, 9, 0, 0)),
            Entry(f"{moodle_folder('Ben Okafor', 102)}/scratch.txt", b"notes"),
            Entry(f"{moodle_folder('Cleo Park', 103)}/tiny.ipynb", untouched),
        ],
        "canvas": [
            Entry(canvas_name("Müller, José", 2001, 9001, "tiny-1.ipynb"), full),
            Entry(canvas_name("Okafor, Ben", 2002, 9002, "tiny.ipynb", late=True), untouched),
            Entry(canvas_name("Okafor, Ben", 2002, 9003, "tiny-1.ipynb", late=True), wrong),
            Entry(canvas_name("Okafor, Ben", 2002, 9004, "notes.txt", late=True), b"notes"),
            Entry(canvas_name("Park, Cleo", 2003, 9005, "tiny.ipynb"), untouched),
        ],
    }


@pytest.fixture(scope="module", params=["moodle", "canvas"])
def round_trip(request, module_registered_tiny, cold_module, tmp_path_factory):  # noqa: ARG001 (requested for their effect)
    platform = request.param
    tmp = tmp_path_factory.mktemp(platform)
    root = course.init(tmp / "course", course_id="tinycourse").root
    archive = write_zip(tmp / f"{platform}.zip", downloads(tmp)[platform])
    collected = cli("collect", "tiny", "--from", platform, str(archive), "--course", str(root))
    cli("autograde", "tiny", "--course", str(root))
    ben = "ben-okafor-102" if platform == "moodle" else "okaforben-2002"
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.db_url(root), "tinycourse") as gb:   # the instructor's manual grade in formgrader
        gb.find_grade("forward_tests", "tiny", "tiny", ben).manual_score = 2.5
        gb.db.commit()
    mapping = root / f"{platform}_students.csv"     # a student the platform lists who uploaded nothing
    mapping.write_text(mapping.read_text() + f"{platform},104,dan-lee-104,Dan Lee\r\n")
    grades = tmp / "grades.csv"
    exported = cli("export-grades", "tiny", "--to", platform, "--course", str(root), "--out", str(grades),
                   *(["--platform-assignment", "Tiny (4711)"] if platform == "canvas" else []))
    plain = tmp / "plain.csv"
    cli("export-grades", "tiny", "--to", "csv", "--course", str(root), "--out", str(plain))
    feedback = tmp / "feedback.zip"
    packed = cli("feedback-archive", "tiny", "--to", platform, "--course", str(root), "--out", str(feedback))
    return platform, root, collected, read_csv(grades), read_csv(plain), feedback, packed, exported


def test_collect_reports_the_unplaced_file(round_trip):
    platform, _, collected, *_ = round_trip
    assert "collected 3 notebook(s) of 3 student(s)" in collected
    assert "2 file(s) not placed" in collected       # Ben's earlier upload and his text file
    assert ("scratch.txt: Ben Okafor: not a notebook" if platform == "moodle"
            else "notes.txt: okaforben: not a notebook") in collected


def test_grades_in_the_platform_import_format_include_manual_grades(round_trip):
    platform, _, _, grades, *_ = round_trip
    header, *rows = grades
    if platform == "moodle":
        # No "Feedback comments" column: Moodle's importer would write its empty cells over teachers' comments.
        assert header == ["Identifier", "Full name", "Status", "Grade", "Maximum Grade", "Grade can be changed",
                          "Last modified (grade)"]
        assert [r[:6] for r in rows] == [
            ["Participant 102", "Ben Okafor", "Submitted for grading", "5.5", "6", "Yes"],  # 3 + manual 2.5
            ["Participant 103", "Cleo Park", "Submitted for grading", "0", "6", "Yes"],
            ["Participant 101", "José Müller", "Submitted for grading", "6", "6", "Yes"]]
        assert all(r[6] for r in rows)     # Moodle skips rows without "Last modified (grade)"
    else:
        assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny (4711)"]
        assert rows == [["müllerjosé", "2001", "", "", "", "6"], ["okaforben", "2002", "", "", "", "5.5"],
                        ["parkcleo", "2003", "", "", "", "0"]]


def test_a_student_without_a_graded_submission_gets_no_row_and_is_listed(round_trip):
    """An empty grade cell is a value to both importers (Canvas's clears the grade it has): no row, a line."""
    platform, _, _, grades, *_, exported = round_trip
    assert not any("104" in cell for row in grades for cell in row)
    assert "3 grade(s) of 4 student(s) written" in exported
    assert "not in the file: 1 student(s) without a graded submission" in exported and "Dan Lee" in exported


def test_moodle_zero_grades_are_named_in_the_summary(round_trip):
    platform, *_, exported = round_trip
    if platform == "moodle":
        assert "1 grade(s) of 0 (Cleo Park): Moodle's importer does not write a 0" in exported
    else:
        assert "grade(s) of 0" not in exported


def test_plain_csv_has_every_graded_student(round_trip):
    platform, _, _, _, plain, *_ = round_trip
    header, *rows = plain
    assert header == ["student", "name", "platform", "platform_id", "score", "max_score", "needs_manual_grade"]
    if platform == "moodle":
        ben, jose = ("ben-okafor-102", "Ben Okafor", "102"), ("jose-muller-101", "José Müller", "101")
        cleo = ("cleo-park-103", "Cleo Park", "103")
    else:
        ben, jose = ("okaforben-2002", "okaforben", "2002"), ("mullerjose-2001", "müllerjosé", "2001")
        cleo = ("parkcleo-2003", "parkcleo", "2003")
    assert sorted(rows) == sorted([[ben[0], ben[1], platform, ben[2], "5.5", "6", "no"],
                                   [jose[0], jose[1], platform, jose[2], "6", "6", "no"],
                                   [cleo[0], cleo[1], platform, cleo[2], "0", "6", "no"]])


def test_feedback_archive_uses_the_platform_upload_layout(round_trip):
    platform, root, _, _, _, feedback, packed, _ = round_trip
    assert "3 feedback file(s) packed" in packed
    with zipfile.ZipFile(feedback) as archive:
        names = sorted(archive.namelist())
        if platform == "moodle":
            assert names == ["Ben Okafor_102_assignsubmission_file_/tiny.feedback.html",
                             "Cleo Park_103_assignsubmission_file_/tiny.feedback.html",
                             "José Müller_101_assignsubmission_file_/tiny.feedback.html"]
        else:
            # Canvas re-upload: <name>[_LATE]_<user id>_<attachment id of the graded upload>_...
            assert names == ["müllerjosé_2001_9001_tiny.feedback.html",
                             "okaforben_LATE_2002_9003_tiny.feedback.html",
                             "parkcleo_2003_9005_tiny.feedback.html"]
        ben_html = archive.read(names[0] if platform == "moodle" else names[1]).decode()
    assert "the bias b is missing" in ben_html and "4 / 6" in ben_html


def test_the_other_platform_was_not_collected_so_its_export_is_a_usage_error(round_trip, tmp_path):
    platform, root, *_ = round_trip
    other = "canvas" if platform == "moodle" else "moodle"
    for command in (["export-grades", "tiny", "--to", other], ["feedback-archive", "tiny", "--to", other]):
        result = CliRunner().invoke(main, command + ["--course", str(root), "--out", str(tmp_path / "x")])
        assert result.exit_code == 2
        assert f"was not collected from {other}" in result.output and "learnathon collect tiny" in result.output
