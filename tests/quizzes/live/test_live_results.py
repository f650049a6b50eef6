"""A live session comes back: `quiz results` reads the session file (per participant, so the item analysis
has its discrimination), the CSV exports import, and a hostile session file costs only itself."""
from __future__ import annotations

import csv
import json
import shutil
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from autograder.cli import main
from quizzes.live.export import export_session, read_session
from quizzes.live.session import LiveSession
from quizzes.live.store import LiveStore
from quizzes.results import ResultsError, report_results

# Six participants on the lecture's first three questions (keys C, B, C); one changes a vote.
ANSWERS = {"P0001": "CBC", "P0002": "CBA", "P0003": "CAC", "P0004": "ABB", "P0005": "BAD", "P0006": "ACC"}


def run_session(quiz, db, answers=ANSWERS):
    """Votes cast through the session's rules and store, as the server casts them."""
    store = LiveStore(db)
    record = store.create_session(quiz)
    session = LiveSession(store, record)
    people = {label: session.participant(session.join(record.code)[0]) for label in answers}
    for index in range(3):
        session.control("goto", index)
        session.control("open")
        for label, keys in answers.items():
            if label == "P0002" and index == 0:
                session.vote(people[label], quiz.questions[0].id, ["D"])  # changed below
            session.vote(people[label], quiz.questions[index].id, [keys[index]])
        session.control("reveal")
    store.close()
    return record


def test_quiz_results_on_a_session_gives_the_discrimination_of_its_answers(lecture_quiz, all_quiz, tmp_path):
    db = tmp_path / "lecture.sqlite"
    record = run_session(lecture_quiz, db)
    report = report_results(db, all_quiz, tmp_path / "out")
    assert report.source == "live" and report.participants == 6
    ids = [q.id for q in lecture_quiz.questions[:3]]
    assert [s.question_id for s in report.summaries] == ids
    assert set(report.not_polled) == {q.id for q in lecture_quiz.questions[3:]}
    # Independently: right/wrong per participant from the designed answers, rest score, Pearson (numpy).
    keys = [q.correct_keys[0] for q in lecture_quiz.questions[:3]]
    right = np.array([[answer[i] == keys[i] for i in range(3)] for answer in ANSWERS.values()], dtype=float)
    for column, (summary, item) in enumerate(zip(report.summaries, report.items)):
        assert summary.correct_votes == right[:, column].sum() and summary.responses == 6
        rest = right.sum(axis=1) - right[:, column]
        assert item.point_biserial == pytest.approx(np.corrcoef(right[:, column], rest)[0, 1])
        assert item.upper_lower is not None and item.per_participant
    assert report.items[0].distractors[0].votes == 2  # A: P0004 and P0006; P0002's first vote D was changed
    assert report.items[0].distractors[-1].votes == 0
    assert all(chart.exists() for chart in report.charts) and report.item_chart.exists()
    assert json.loads(report.summary_json.read_text())["source"] == "live"
    assert read_session(db).code == record.code and read_session(db).ballots == 19


def test_the_exports_import_and_agree_with_the_session(lecture_quiz, tmp_path):
    db = tmp_path / "lecture.sqlite"
    run_session(lecture_quiz, db)
    answers, votes = export_session(db, tmp_path / "export")
    with answers.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 18 and {r["participant"] for r in rows} == set(ANSWERS)
    assert [r["options"] for r in rows if r["participant"] == "P0002"] == ["C", "B", "A"]
    assert [r["correct"] for r in rows if r["participant"] == "P0005"] == ["0", "0", "0"]
    from_counts = report_results(votes, lecture_quiz, tmp_path / "counts")
    from_session = report_results(db, lecture_quiz, tmp_path / "session")
    assert [s.to_dict() for s in from_counts.summaries] == [s.to_dict() for s in from_session.summaries]
    assert from_counts.items[0].point_biserial is None  # counts alone carry no discrimination


def test_the_cli_reads_a_session_file(lecture_quiz, tmp_path):
    db = tmp_path / "lecture.sqlite"
    run_session(lecture_quiz, db)
    result = CliRunner().invoke(main, ["quiz", "results", str(db), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "6 participant(s) in the live session" in result.output and "r_pb" in result.output


def _tamper(db, statement, *parameters):
    with sqlite3.connect(db) as connection:
        connection.execute(statement, parameters)


HOSTILE_FILES = [
    (lambda db: _tamper(db, "UPDATE votes SET options = 'Z' WHERE participant = 1"), "options 'Z' are not among"),
    (lambda db: _tamper(db, "UPDATE votes SET options = '' WHERE participant = 2"), "options '' are not among"),
    (lambda db: _tamper(db, "UPDATE votes SET question_id = 'nope' WHERE seq = (SELECT MIN(seq) FROM votes)"),
     "no such question"),
    (lambda db: _tamper(db, "UPDATE votes SET participant = 99 WHERE seq = (SELECT MAX(seq) FROM votes)"),
     "no such participant"),
    (lambda db: _tamper(db, "UPDATE sessions SET quiz_json = '{\"name\": 1}'"), "stored quiz cannot be read"),
    (lambda db: _tamper(db, "UPDATE meta SET value = '99'"), "schema '99'"),
    (lambda db: _tamper(db, "DROP TABLE ballots"), "not a live session"),
    (lambda db: db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000), "not a readable live-session file"),
]


def test_a_hostile_session_file_is_one_clear_error_and_the_next_file_imports(lecture_quiz, tmp_path):
    honest = tmp_path / "honest.sqlite"
    run_session(lecture_quiz, honest)
    for number, (tampering, message) in enumerate(HOSTILE_FILES):
        hostile = tmp_path / f"hostile-{number}.sqlite"
        shutil.copyfile(honest, hostile)
        tampering(hostile)
        with pytest.raises(ResultsError, match=message) as error:
            report_results(hostile, lecture_quiz, tmp_path / "hostile-out")
        assert str(hostile) in str(error.value)
    report = report_results(honest, lecture_quiz, tmp_path / "honest-out")
    assert report.participants == 6 and report.summaries[0].correct_votes == 3


def test_a_session_file_cannot_run_code_through_its_schema(lecture_quiz, tmp_path):
    """A view that calls a function is refused under trusted_schema=OFF; the reader never writes."""
    db = tmp_path / "s.sqlite"
    run_session(lecture_quiz, db)
    _tamper(db, "DROP TABLE votes")
    _tamper(db, "CREATE VIEW votes AS SELECT question_id, participant, options, seq, load_extension('x') AS e "
                "FROM ballots")
    before = db.read_bytes()
    with pytest.raises(ResultsError, match=str(db)):
        report_results(db, lecture_quiz, tmp_path / "out")
    assert db.read_bytes() == before
