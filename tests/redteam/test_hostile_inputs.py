"""The red-team corpus for every input the tools read besides a submission folder (issue 21, class 6).

Per surface, the hostile input sits between an honest student before it and one after it in the same
run, and must cost only itself with one clear line: a platform download through `collect`, then
`export-grades` and `autograde` on what it placed; a Gradescope upload through the runner's file
placement (the whole runner: tests/platforms/test_gradescope.py); poll results through `quiz results`
(Vevox participants, and damaged or lying files between two runs on an honest file). Nothing printed
carries a raw control character, no CSV cell is a formula, no traceback reaches the user.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from autograder.admin import course
from autograder.cli import main
from autograder.csvfiles import FORMULA_START, NUMBER
from autograder.platforms import roster
from tests.autograder import tiny_assignment as tiny
from tests.autograder.tiny_assignment import start_sandboxes
from tests.platforms.archives import Entry, moodle_folder, write_zip
from tests.redteam.hostile_inputs import (
    ESCAPES,
    FORMULAS,
    POISON_JSON,
    RAW_CONTROL,
    honest_xlsx,
    hostile_csv,
    hostile_xlsx,
)

HONEST = 6.0


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"a traceback reached the user: {result.exception!r}\n{result.output[-2000:]}")
    return result


def no_raw_control(text: str) -> None:
    found = RAW_CONTROL.search(text)
    assert found is None, f"raw {found.group()!r} in: {text[max(0, found.start() - 80):found.end() + 80]!r}"


def cells(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            first = cell.lstrip(" \u00a0")[:1]
            assert not (first in FORMULA_START and not NUMBER.fullmatch(cell)), f"formula cell {cell!r} in {row}"


# --- a platform download: collect, export-grades, autograde -------------------------------------------------

@pytest.fixture(scope="module")
def collected(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    """A Moodle download: Ada first, Zed last, and between them every hostile name and notebook."""
    tmp = tmp_path_factory.mktemp("hostile-download")
    tmp.chmod(0o755)
    root = course.init(tmp / "course", course_id="hostile").root
    honest = tiny.submission(tmp / "honest.ipynb").read_bytes()
    entries = [Entry(f"{moodle_folder('Ada Alpha', 101)}/tiny.ipynb", honest)]
    for number, (label, data) in enumerate(POISON_JSON.items(), start=200):
        entries.append(Entry(f"{moodle_folder(f'Poison {number}', number)}/{label}.ipynb", data))
    for number, name in enumerate(ESCAPES + FORMULAS, start=300):
        entries.append(Entry(f"{moodle_folder(name.replace('_', ' ').replace('/', ' '), number)}/tiny.ipynb",
                             honest))
    for number, name in enumerate(ESCAPES, start=400):
        entries.append(Entry(f"{moodle_folder(f'Files {number}', number)}/{name.replace('/', ' ')}.ipynb",
                             b"not a notebook"))
    entries += [Entry(f"{moodle_folder('Deep Dan', 500)}/" + "d/" * 200 + "tiny.ipynb", honest),
                Entry(f"{moodle_folder('Bomb Bo', 501)}/tiny.ipynb", b"{" + b" " * (70 << 20) + b"}"),
                Entry(f"{moodle_folder('Zed Zulu', 199)}/tiny.ipynb", honest)]
    archive = write_zip(tmp / "download.zip", entries)
    collect = run("collect", "tiny", "--from", "moodle", str(archive), "--course", str(root))
    # The class run grades Ada, Zed and two of the students with hostile names (one escape, one formula):
    # the others hand in the same notebook and would only lengthen the run.
    kept = ("ada-alpha-101", "zed-zulu-199", "-300", f"-{300 + len(ESCAPES)}")
    for folder in (root / "submitted").iterdir():
        if not folder.name.endswith(kept):
            shutil.rmtree(folder)
    assert len(list((root / "submitted").iterdir())) == 4
    with pytest.MonkeyPatch.context() as patch:
        start_sandboxes(patch, cold=True)
        graded = run("autograde", "tiny", "--course", str(root), "--json")
    # Exported after grading: the worksheet leaves out students without a grade (Moodle reads an empty cell as
    # a new value), so the graded hostile names are the ones that must reach it neutralised.
    grades = tmp / "grades.csv"
    export = run("export-grades", "tiny", "--to", "moodle", "--course", str(root), "--out", str(grades))
    run("report", "tiny", "--course", str(root))
    return root, honest, collect, export, grades, graded


def test_collect_places_the_honest_students_and_lists_every_hostile_file(collected):
    root, honest, collect, *_ = collected
    assert collect.exit_code == 0, collect.output
    for student in ("ada-alpha-101", "zed-zulu-199"):
        assert (root / "submitted" / student / "tiny" / "tiny.ipynb").read_bytes() == honest
    out = collect.output
    for label in POISON_JSON:
        assert f"/{label}.ipynb: Poison" in out, label
    assert "nested more than 100 levels deep" in out and "a number with 5000 digits" in out
    assert "NaN is not a JSON value" in out and "not a notebook (binary or not UTF-8 text)" in out
    assert "Bomb Bo_501_assignsubmission_file_/tiny.ipynb: 70 MB, more than the 64 MB" in out
    no_raw_control(out)


def test_names_that_are_formulas_or_escapes_reach_no_spreadsheet_and_no_terminal(collected):
    root, _, collect, export, grades, _ = collected
    assert export.exit_code == 0, export.output
    no_raw_control(export.output)
    mapping = root / "moodle_students.csv"
    no_formula(cells(mapping))
    no_formula(cells(grades))
    names = {e.name for e in roster.read(mapping, "moodle").values()}
    assert {n.replace("_", " ").replace("/", " ").strip() for n in FORMULAS} <= names   # read back exactly
    assert any(row[1] == "Zed Zulu" for row in cells(grades)) and any(row[1] == "Ada Alpha" for row in cells(grades))


def test_the_honest_students_keep_full_marks_after_the_hostile_download(collected):
    root, *_, graded = collected
    assert graded.exit_code == 0, graded.output[-3000:]
    results = {r["student"]: r for r in json.loads(graded.stdout)}
    assert results["ada-alpha-101"]["score"] == HONEST and results["zed-zulu-199"]["score"] == HONEST
    no_raw_control(graded.output)
    reports = sorted((root / "reports" / "tiny").glob("*.csv"))
    assert len(reports) >= 6
    for path in reports:
        no_formula(cells(path))


@pytest.mark.parametrize("content, message", [
    ("platform,platform_id,student,name\r\n" + "moodle,1,s1,x\r\n" * 30_000, "more than the 20000 rows"),
    ("platform,platform_id,student,name\r\nmoodle,101,=cmd,x\r\n", "is not a safe folder name"),
    ("platform,platform_id,student,name\r\nmoodle,101,s1,\x00\r\n", "NUL"),
    ("platform;platform_id;student;name\r\nmoodle;101;s\x1b[2J;x\r\n", "is not a safe folder name"),
])
def test_a_hostile_mapping_file_is_one_line_and_writes_nothing(tmp_path, content, message):
    from tests.platforms.hw_course import ASSIGNMENT, make_course, part

    root = make_course(tmp_path)
    mapping = tmp_path / "students.csv"
    mapping.write_text(content, encoding="utf-8")
    archive = write_zip(tmp_path / "d.zip", [Entry(f"{moodle_folder('Ada Alpha', 101)}/x.ipynb", part("one"))])
    result = run("collect", ASSIGNMENT, "--from", "moodle", str(archive), "--course", str(root), "--students",
                 str(mapping))
    assert result.exit_code == 2 and message in result.output, result.output
    no_raw_control(result.output)
    assert not (root / "submitted").exists()


# --- a Gradescope upload ----------------------------------------------------------------------------------------

@pytest.mark.usefixtures("registered_tiny")
def test_a_gradescope_upload_places_the_honest_notebook_beside_hostile_files(tmp_path):
    from autograder.grading import discovery
    from autograder.platforms.gradescope import place_submission

    upload = tmp_path / "submission"
    upload.mkdir()
    honest = tiny.submission(upload / "a honest.ipynb").read_bytes()
    for label, data in POISON_JSON.items():
        (upload / f"{label}.ipynb").write_bytes(data)
    deep = upload
    for _ in range(40):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "tiny.ipynb").write_bytes(honest)
    (upload / "\x1b[2Jevil\u202e.ipynb").write_bytes(b"{")
    os.symlink("/etc/passwd", upload / "link.ipynb")
    os.mkfifo(upload / "pipe.ipynb")
    (upload / "z honest copy.ipynb").write_bytes(honest)
    into = tmp_path / "placed"
    into.mkdir()
    notes = place_submission(discovery.load("tiny"), upload, into)
    assert (into / "tiny.ipynb").read_bytes() == honest
    text = "\n".join(notes)
    no_raw_control(text)
    assert "nested more than 100 levels deep" in text and "a number with 5000 digits" in text
    assert "link.ipynb: a symbolic link, not read" in text and "pipe.ipynb: the notebook" not in text
    assert "pipe.ipynb: pipe.ipynb is a named pipe (FIFO)" in text
    assert "folders nested more than 16 deep, not read" in text
    assert "\\x1b[2Jevil\\u202e.ipynb: not a readable notebook" in text


# --- poll results -----------------------------------------------------------------------------------------------

VOTES = [["question_id", "option", "option_text", "votes"], ["sigmoid-binary", "A", "", 1],
         ["sigmoid-binary", "B", "", 30], ["sigmoid-binary", "C", "", 2], ["sigmoid-binary", "D", "", 0]]


@pytest.fixture(scope="module")
def honest_votes(tmp_path_factory):
    path = tmp_path_factory.mktemp("votes") / "votes.xlsx"
    path.write_bytes(honest_xlsx(VOTES))
    return path


def summary_of(out) -> dict:
    return json.loads((out / "summary.json").read_text())["summaries"]


def test_each_hostile_results_file_costs_one_line_between_two_honest_runs(honest_votes, tmp_path):
    """An honest run, every hostile file, the honest run again, in one process: each hostile file gets one
    line naming it (exit 1, no traceback), and the honest summary comes out the same after them all."""
    before = run("quiz", "results", str(honest_votes), "--out", str(tmp_path / "before"))
    files = {label: ("results.xlsx", data) for label, data in hostile_xlsx(honest_xlsx(VOTES)).items()}
    files |= {label: ("results.csv", data) for label, data in hostile_csv().items()}
    problems = []
    for number, (label, (name, data)) in enumerate(files.items()):
        hostile = tmp_path / str(number) / name
        hostile.parent.mkdir()
        hostile.write_bytes(data)
        result = run("quiz", "results", str(hostile), "--out", str(tmp_path / str(number) / "out"))
        lines = result.output.strip().splitlines()
        if result.exit_code != 1 or len(lines) != 1 or not lines[0].startswith(f"Error: {hostile}"):
            problems.append(f"{label}: exit {result.exit_code}: {result.output[:300]!r}")
        if RAW_CONTROL.search(result.output):
            problems.append(f"{label}: a raw control character: {result.output[:300]!r}")
    after = run("quiz", "results", str(honest_votes), "--out", str(tmp_path / "after"))
    assert not problems, "\n".join(problems)
    assert before.exit_code == after.exit_code == 0
    assert summary_of(tmp_path / "before") == summary_of(tmp_path / "after")


def test_hostile_participants_between_honest_ones_are_counted_and_escaped(tmp_path):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from quizzes.catalog import get_quiz
    from tests.quizzes.vevox_fixture import write_vevox_report

    question = get_quiz("all", 0).question("sigmoid-binary")
    right = next(o.text for o in question.options if o.correct)
    wrong = next(o.text for o in question.options if not o.correct)
    # An xlsx cannot hold the C0 controls but tab, CR and LF (XML 1.0); C1 controls and bidi overrides it can.
    hostile = [(ILLEGAL_CHARACTERS_RE.sub("", name), "x") for name in ESCAPES + FORMULAS]
    participants = [("Ada", "Alpha"), *hostile, ("Zed", "Zulu")]
    answers = [right, *[wrong] * len(hostile), right]
    report = write_vevox_report(tmp_path / "vevox.xlsx", participants,
                                [(question.text, answers), ("\u202e\x9b2J=cmd|' /C calc'!A0", ["x"] * len(answers))])
    result = run("quiz", "results", str(report), "--out", str(tmp_path / "out"), "--quiz", "all")
    assert result.exit_code == 0, result.output
    summary = {s["question_id"]: s for s in summary_of(tmp_path / "out")}
    assert summary["sigmoid-binary"]["responses"] == len(participants)
    assert summary["sigmoid-binary"]["correct_votes"] == 2          # Ada and Zed, whatever came between
    assert f"{len(participants)} participant(s)" in result.output
    assert "\\u202e\\x9b2J=cmd" in result.output            # the poll Vevox could not match, shown escaped
    no_raw_control(result.output)
    no_formula(cells(tmp_path / "out" / "summary.csv"))
