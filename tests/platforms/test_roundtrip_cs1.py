"""The real cs1 round-trips through each platform: a Moodle and a Canvas download of the same three
students (the reference solution, the untouched release, a typical mistake from the fixtures), with
renamed files and a non-ASCII name -> collect -> autograde -> export-grades -> feedback-archive, with
the grades and files expected of them. One course holds both downloads, so the sandbox starts once."""
from __future__ import annotations

import fnmatch
import json
import zipfile
from pathlib import Path

import pytest
from archives import Entry, canvas_name, cli, moodle_folder, read_csv, write_zip

from autograder.admin import course
from autograder.admin.fabricate import read_fixture, solved, with_cells
from autograder.grading import discovery

pytestmark = pytest.mark.e2e

CS1 = discovery.load("cs1")
PART_A, PART_B = (nb.filename for nb in CS1.notebooks)
MISTAKE = read_fixture(Path(__file__).parents[1] / "assignments" / "cs1" / "fixtures" / "part_a_forward_backward"
                       / "mse_sum.py")
# Course ids collect gives them: (Moodle, Canvas).
STUDENTS = {"solution": ("jose-muller-101", "mullerjose-2001"), "untouched": ("ben-okafor-102", "okaforben-2002"),
            "mistake": ("cleo-park-103", "parkcleo-2003")}


def nbgrader_points(notebook: Path) -> tuple[float, float]:
    """(autograded, manually graded) points of a released notebook, from its nbgrader metadata."""
    import nbformat

    cells = [c.metadata.get("nbgrader", {}) for c in nbformat.read(notebook, as_version=4).cells]
    graded = [(m.get("points", 0), bool(m.get("solution"))) for m in cells if m.get("grade")]
    return sum(p for p, manual in graded if not manual), sum(p for p, manual in graded if manual)


def cs1_submissions(release: Path, work: Path) -> dict[str, dict[str, bytes]]:
    """{kind: {released notebook: content}}: the solution, the untouched release, MISTAKE in part A."""
    sources = {nb.filename: nb.source for nb in CS1.notebooks}

    def written(kind: str, name: str, build) -> bytes:
        return build(sources[name], work / f"{kind}-{name}").read_bytes()

    return {
        "solution": {name: written("solution", name, solved) for name in sources},
        "untouched": {name: (release / name).read_bytes() for name in sources},
        "mistake": {PART_A: written("mistake", PART_A, lambda source, out: with_cells(source, MISTAKE.cells, out)),
                    PART_B: written("mistake", PART_B, solved)},
    }


def cs1_downloads(notebooks: dict[str, dict[str, bytes]]) -> dict[str, list[Entry]]:
    """Both platforms' downloads of one class; the solution's and the mistake's files renamed."""
    solution, untouched, mistake = notebooks["solution"], notebooks["untouched"], notebooks["mistake"]
    jose, ben, cleo = (moodle_folder(n, i) for n, i in [("José Müller", 101), ("Ben Okafor", 102), ("Cleo Park", 103)])
    return {
        "moodle": [
            Entry(f"{jose}/homework.ipynb", solution[PART_A]),
            Entry(f"{jose}/part_b_model_complexity (1).ipynb", solution[PART_B]),
            Entry(f"{ben}/{PART_A}", untouched[PART_A]),
            Entry(f"{ben}/{PART_B}", untouched[PART_B]),
            Entry(f"{cleo}/Copy of {PART_A}", mistake[PART_A]),
            Entry(f"{cleo}/part B.ipynb", mistake[PART_B]),
        ],
        "canvas": [
            Entry(canvas_name("Müller, José", 2001, 9001, "homework.ipynb"), solution[PART_A]),
            Entry(canvas_name("Müller, José", 2001, 9002, "part_b_model_complexity-1.ipynb"), solution[PART_B]),
            Entry(canvas_name("Okafor, Ben", 2002, 9003, PART_A), untouched[PART_A]),
            Entry(canvas_name("Okafor, Ben", 2002, 9004, PART_B), untouched[PART_B]),
            Entry(canvas_name("Park, Cleo", 2003, 9005, f"Copy of {PART_A}", late=True), mistake[PART_A]),
            Entry(canvas_name("Park, Cleo", 2003, 9006, "part B.ipynb", late=True), mistake[PART_B]),
        ],
    }


@pytest.fixture(scope="module")
def cs1_round_trip(tmp_path_factory):
    """One course, both downloads collected into it, one autograde run (its sandbox starts once), then
    each platform's export and feedback archive."""
    tmp = tmp_path_factory.mktemp("cs1-platforms")
    root = course.init(tmp / "course", assignment_names=["cs1"]).root
    (tmp / "work").mkdir()
    notebooks = cs1_submissions(root / "release" / "cs1", tmp / "work")
    downloads = cs1_downloads(notebooks)
    collected = {platform: cli("collect", "cs1", "--from", platform, str(write_zip(tmp / f"{platform}.zip", entries)),
                               "--course", str(root))
                 for platform, entries in downloads.items()}
    # One grading process (the default): six submissions do not pay for starting a second sandbox.
    graded = json.loads(cli("autograde", "cs1", "--course", str(root), "--json", stream="stdout"))
    exported = {}
    for platform in ("moodle", "canvas"):
        grades, feedback = tmp / f"{platform}-grades.csv", tmp / f"{platform}-feedback.zip"
        cli("export-grades", "cs1", "--to", platform, "--course", str(root), "--out", str(grades),
            *(["--platform-assignment", "cs1 (4712)"] if platform == "canvas" else []))
        cli("feedback-archive", "cs1", "--to", platform, "--course", str(root), "--out", str(feedback))
        with zipfile.ZipFile(feedback) as archive:
            exported[platform] = (read_csv(grades), {name: archive.read(name).decode() for name in archive.namelist()})
    plain = tmp / "plain.csv"
    cli("export-grades", "cs1", "--to", "csv", "--course", str(root), "--out", str(plain))
    return notebooks, root, collected, {r["student"]: r for r in graded}, exported, read_csv(plain)


def expected_cs1_grades(graded: dict) -> dict[str, float]:
    """{kind: score}: the solution every autograded point of the released notebooks (the written answers
    wait for formgrader), the untouched notebooks none, the mistake all but its fixture's failing tests."""
    automatic = sum(nbgrader_points(nb.source)[0] for nb in CS1.notebooks)
    tests = [t for nb in graded[STUDENTS["mistake"][0]]["notebooks"] for t in nb["tests"]]
    named = [t for t in tests if any(fnmatch.fnmatch(t["name"], pattern) for pattern, _ in MISTAKE.must_fail)]
    assert named and [t["name"] for t in tests if not t["passed"]] == [t["name"] for t in named], tests
    return {"solution": automatic, "untouched": 0.0, "mistake": automatic - sum(t["max_points"] for t in named)}


def test_cs1_downloads_land_under_the_released_names(cs1_round_trip):
    notebooks, root, collected, *_ = cs1_round_trip
    for platform, at in (("moodle", 0), ("canvas", 1)):
        assert "collected 6 notebook(s) of 3 student(s)" in collected[platform], collected[platform]
        assert "not placed" not in collected[platform], collected[platform]
        for kind, ids in STUDENTS.items():
            folder = root / "submitted" / ids[at] / "cs1"
            assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == notebooks[kind], (platform, kind)


def test_cs1_grades_go_back_in_each_platforms_import_format(cs1_round_trip):
    _, _, _, graded, exported, plain = cs1_round_trip
    expected = expected_cs1_grades(graded)
    most = sum(sum(nbgrader_points(nb.source)) for nb in CS1.notebooks)     # with the written answers
    moodle, canvas = exported["moodle"][0], exported["canvas"][0]
    assert [row[:5] for row in moodle[1:]] == [
        ["Participant 102", "Ben Okafor", "Submitted for grading", f"{expected['untouched']:g}", f"{most:g}"],
        ["Participant 103", "Cleo Park", "Submitted for grading", f"{expected['mistake']:g}", f"{most:g}"],
        ["Participant 101", "José Müller", "Submitted for grading", f"{expected['solution']:g}", f"{most:g}"]]
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "cs1 (4712)"]
    assert canvas[1:] == [["müllerjosé", "2001", "", "", "", f"{expected['solution']:g}"],
                          ["okaforben", "2002", "", "", "", f"{expected['untouched']:g}"],
                          ["parkcleo", "2003", "", "", "", f"{expected['mistake']:g}"]]
    assert [row[:6] for row in plain[1:]] == [
        ["ben-okafor-102", "Ben Okafor", "moodle", "102", f"{expected['untouched']:g}", f"{most:g}"],
        ["cleo-park-103", "Cleo Park", "moodle", "103", f"{expected['mistake']:g}", f"{most:g}"],
        ["jose-muller-101", "José Müller", "moodle", "101", f"{expected['solution']:g}", f"{most:g}"],
        ["mullerjose-2001", "müllerjosé", "canvas", "2001", f"{expected['solution']:g}", f"{most:g}"],
        ["okaforben-2002", "okaforben", "canvas", "2002", f"{expected['untouched']:g}", f"{most:g}"],
        ["parkcleo-2003", "parkcleo", "canvas", "2003", f"{expected['mistake']:g}", f"{most:g}"]]
    waiting = {row[0] for row in plain[1:] if row[6] == "yes"}
    assert set(STUDENTS["solution"] + STUDENTS["mistake"]) <= waiting      # written answers wait for formgrader


def test_cs1_feedback_goes_back_in_each_platforms_upload_layout(cs1_round_trip):
    *_, exported, _ = cs1_round_trip
    stems = [Path(PART_A).stem, Path(PART_B).stem]
    moodle, canvas = exported["moodle"][1], exported["canvas"][1]
    assert sorted(moodle) == sorted(f"{folder}_assignsubmission_file_/{stem}.feedback.html"
                                    for folder in ("José Müller_101", "Ben Okafor_102", "Cleo Park_103")
                                    for stem in stems)
    # Each report is named after the upload it grades (Canvas attaches it to that file's submission comment).
    assert sorted(canvas) == sorted(f"{prefix}_{stem}.feedback.html" for prefix, stem in [
        ("müllerjosé_2001_9001", stems[0]), ("müllerjosé_2001_9002", stems[1]), ("okaforben_2002_9003", stems[0]),
        ("okaforben_2002_9004", stems[1]), ("parkcleo_LATE_2003_9005", stems[0]),
        ("parkcleo_LATE_2003_9006", stems[1])])
    (_, message), = MISTAKE.must_fail
    assert message in moodle[f"Cleo Park_103_assignsubmission_file_/{stems[0]}.feedback.html"]
    assert message in canvas[f"parkcleo_LATE_2003_9005_{stems[0]}.feedback.html"]
    assert message not in moodle[f"José Müller_101_assignsubmission_file_/{stems[0]}.feedback.html"]
