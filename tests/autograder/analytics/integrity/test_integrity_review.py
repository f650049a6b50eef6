"""The integrity review of a class (analytics/integrity/review.py, times.py), stored in the class record
(analytics/store.py), shown by the class report and `learnathon integrity`: a copied pair is found and
independent work is not, hostile names, code and files cost only themselves, and the honest students
before and after them come out clean."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import sqlite3

import pytest
from click.testing import CliRunner

from autograder.admin.course import CONFIG_TEMPLATE
from autograder.admin.fabricate import read_fixture, with_cells
from autograder.analytics import class_report, store
from autograder.analytics.integrity.records import SOLUTION
from autograder.analytics.integrity.review import IntegrityError, review_and_record, review_class
from autograder.analytics.integrity.times import Moment, time_problem
from autograder.analytics.report_files import write_report
from autograder.cli import main
from autograder.grading import discovery
from tests.autograder.analytics.test_class_report import student_result
from tests.support import student_version

NOTEBOOK = "part_a_forward_backward"
FIXTURES = discovery.load("cs1").fixture_folder(NOTEBOOK)
HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPES = "\x1b[2Jmallory"
NOW = dt.datetime.now(dt.UTC)


def disguised(cells: dict[str, str]) -> dict[str, str]:
    """A classmate's copy: other variable names, other comments, other spacing."""
    names = {"out": "result", "index": "position", "total": "acc", "exps": "expos", "row": "line", "top": "peak"}
    copied = {}
    for cell, text in cells.items():
        for old, new in names.items():
            text = re.sub(rf"\b{old}\b", new, text)
        copied[cell] = "# my own work\n" + text.replace(" = ", "=").replace("    ", "  ")
    return copied


def hand_in(course, student: str, notebook, *, stamp: str | None = None) -> None:
    folder = course / "submitted" / student / "cs1"
    folder.mkdir(parents=True)
    notebook(folder / f"{NOTEBOOK}.ipynb")
    (folder / "timestamp.txt").write_text(stamp or NOW.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(course_id="integrity", course_url=""))
    spec = discovery.load("cs1").notebook(f"{NOTEBOOK}.ipynb")
    released = student_version(spec.source, root / "released.ipynb")
    loops = read_fixture(FIXTURES / "ok_loops.py").cells
    torch_inside = read_fixture(FIXTURES / "ok_torch_inside.py").cells
    float32 = read_fixture(FIXTURES / "ok_float32.py").cells
    hostile_code = {"relu": "import os\n\n\ndef relu(z):\n    os.system('</pre><script>alert(1)</script>')\n"
                            "    return np.maximum(z, 0.0)\n"}
    hand_in(root, "ada", lambda out: with_cells(released, loops, out))                      # honest, first
    hand_in(root, "bob", lambda out: with_cells(released, disguised(loops), out))           # copies ada
    hand_in(root, HOSTILE, lambda out: with_cells(released, hostile_code, out))
    hand_in(root, ESCAPES, lambda out: with_cells(released, loops, out))                     # an id no one can hold
    hand_in(root, "eve", lambda out: out.write_text('{"cells": [], "n": ' + "7" * 5000 + "}"))
    hand_in(root, "fay", lambda out: os.symlink(spec.source, out))                           # the solution, by link
    hand_in(root, "ivy", lambda out: with_cells(released, torch_inside, out), stamp="2020-01-01 00:00:00 UTC")
    hand_in(root, "zed", lambda out: with_cells(released, float32, out))                    # honest, last
    return root


@pytest.fixture(scope="module")
def review(course):
    return review_and_record(course_dir=course, assignment="cs1", released=NOW - dt.timedelta(days=1))


def test_the_copied_pair_is_found_with_its_lines_side_by_side_and_nothing_else(review):
    assert [(p.a, p.b, p.notebook) for p in review.pairs] == [("ada", "bob", NOTEBOOK)]
    pair = review.pairs[0]
    assert pair.score > 0.8 and pair.shared >= 120
    left = {e.grade_id: e for passage in pair.passages for e in passage.a}
    right = {e.grade_id: e for passage in pair.passages for e in passage.b}
    assert {"forward", "backward", "softmax"} <= left.keys() & right.keys()
    assert "Z1[i, j] = sum(" in left["forward"].code and "Z1[i, j]=sum(" in right["forward"].code
    assert left["forward"].cell == right["forward"].cell and right["forward"].first_line >= 1
    # ivy and zed wrote independent solutions in other styles (ok_torch_inside, ok_float32); nobody's answers
    # meet ada's or the instructor's: only the pair above is a copy of a classmate.
    assert all(SOLUTION not in (p.a, p.b) for p in review.pairs)


def test_flags_name_the_hostile_code_and_the_impossible_time_and_no_honest_student(review):
    flagged = {(f.student, f.kind) for f in review.flags}
    assert flagged == {(HOSTILE, "processes"), ("ivy", "submission_time")}
    time_flag = next(f for f in review.flags if f.kind == "submission_time")
    assert "timestamp.txt says 2020-01-01 00:00:00 UTC" in time_flag.found and "before the release" in time_flag.found
    assert "given with --released" in time_flag.found
    shell = next(f for f in review.flags if f.kind == "processes")
    assert shell.where == "code cell 3 (relu), line 5" and "os.system" in shell.code


def test_hostile_files_and_ids_cost_only_themselves_with_a_clear_note(review):
    assert "ada" in review.fingerprints and "zed" in review.fingerprints
    notes = "\n".join(review.notes)
    assert "\\x1b[2Jmallory: not reviewed (the folder name" in notes and "\x1b" not in notes
    assert "eve" not in notes and "fay" not in notes          # unreadable or refused: grading says why, once
    assert set(review.students) >= {"ada", "bob", "eve", "fay", "ivy", "zed", HOSTILE}


def test_the_review_is_stored_beside_the_grades_and_read_back(course, review):
    stored = store.load_review(course, "cs1")
    assert stored.flags == review.flags and stored.pairs == review.pairs and stored.notes == review.notes
    assert stored.fingerprints[HOSTILE] == review.fingerprints[HOSTILE]       # which files the flags are about
    assert store.load_review(course, "cs2") is None


@pytest.mark.usefixtures("review")
def test_the_report_section_shows_the_evidence_escaped(course, tmp_path):
    with store.open_store(course) as db:
        run = store.start_run(db, "cs1", 2)
        for student in ("ada", HOSTILE):
            store.record_student(db, run, "cs1", student_result(student))
    stored = store.load_review(course, "cs1")
    later = class_report.build("integrity", "cs1", store.load_submissions(course), discovery.hidden_root(),
                               dataclasses.replace(stored, started="2999-01-01T00:00:00+00:00"))
    assert not later.main.integrity_stale
    report = class_report.build("integrity", "cs1", store.load_submissions(course), discovery.hidden_root(),
                                dataclasses.replace(stored, started="2000-01-01T00:00:00+00:00"))
    files = write_report(report, tmp_path)
    html = files.html.read_text()
    section = html[html.index('id="integrity"'):html.index('id="students"')]
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "ada ↔ bob" in section and "code cell 3 (relu), line 5" in section and "before the release" in section
    assert 'id="integrity-stale"' in section                 # graded after the review: the report says so
    data = json.loads(files.json.read_text())
    assert data["integrity"]["graded_since"] is True
    assert data["summary"]["integrity"] == {"similar_pairs": 1, "groups": 1, "flags": 2, "flagged_students": 2}
    assert {k["id"] for k in data["integrity"]["kinds"]} == {"processes", "submission_time"}
    assert files.csv["integrity_pairs"].read_text().splitlines()[1].startswith(f"{NOTEBOOK},ada,bob,")


@pytest.mark.usefixtures("review")
def test_the_command_prints_the_findings_escaped_and_refuses_what_it_cannot_review(course):
    result = CliRunner().invoke(main, ["integrity", "cs1", "--course", str(course), "--released",
                                       (NOW - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")])
    assert result.exit_code == 0, result.output
    assert f"ada ~ bob  {NOTEBOOK}" in result.output and "ivy : submission_time" not in result.output
    assert "ivy the submission: submission_time: timestamp.txt says 2020-01-01" in result.output
    assert "\x1b" not in result.output and "\\x1b[2Jmallory" in result.output
    result = CliRunner().invoke(main, ["integrity", "nope", "--course", str(course)])
    assert result.exit_code == 2 and "unknown assignment 'nope'" in result.output
    with pytest.raises(IntegrityError, match="not an nbgrader course directory"):
        review_class(course_dir=course / "submitted", assignment="cs1")


def test_without_a_release_time_only_the_collection_is_checked_and_that_is_said(course):
    review = review_class(course_dir=course, assignment="cs1")
    assert not [f for f in review.flags if f.kind == "submission_time"]        # 2020 is before, never after
    assert any("release time is unknown" in n for n in review.notes)
    later = review_class(course_dir=course, assignment="cs1", collected=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    assert {f.student for f in later.flags if f.kind == "submission_time"} >= {"ada", "ivy", "zed"}


def test_submission_times_within_the_window_and_the_tolerance_are_not_flagged():
    release = Moment(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "r")
    collection = Moment(dt.datetime(2026, 11, 20, tzinfo=dt.UTC), "c")
    assert time_problem(dt.datetime(2026, 11, 10), release, collection) is None
    assert time_problem(dt.datetime(2026, 10, 31, 23, 58), release, collection) is None      # clocks differ a little
    assert "3.0 days before the release" in time_problem(dt.datetime(2026, 10, 29), release, collection)
    assert "2.0 hours after the collection" in time_problem(dt.datetime(2026, 11, 20, 2), release, collection)
    assert time_problem(None, release, collection) is None


def test_a_record_from_before_integrity_reviews_is_migrated_when_next_written(tmp_path):
    with store.open_store(tmp_path) as db:
        store.record_student(db, store.start_run(db, "cs1", 1), "cs1", student_result("ada"))
    db = sqlite3.connect(store.store_path(tmp_path))
    db.executescript("DROP TABLE integrity_flags; DROP TABLE integrity_pairs; DROP TABLE integrity_reviews; "
                     "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    db.close()
    assert store.load_review(tmp_path, "cs1") is None                 # read-only: an old record has no reviews
    with store.open_store(tmp_path) as opened:
        version = opened.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert version == str(store.SCHEMA_VERSION) and [r.student for r in store.load_submissions(tmp_path)] == ["ada"]
    db = sqlite3.connect(store.store_path(tmp_path))
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(store.StoreError, match="schema version 99"):
        with store.open_store(tmp_path):
            pass
