"""A live session as data: the per-participant answers the item analysis needs, and two CSV files.

``read_session`` reads a session file as hostile input (it may come from anywhere): opened read-only
with SQLite's untrusted-schema protections, and every row checked against the quiz the session stored,
so a bad file is one clear error naming the file and the row, never a wrong chart.

* ``answers.csv``: one row per participant and question (participant, question_id, options, correct);
* ``votes.csv``: counts per option in the results layout that ``learnathon quiz results`` imports.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from autograder.csvfiles import write_csv
from autograder.intake.inputs import InputError, open_input_file, parse_json
from quizzes.item_analysis import ResponseMatrix, is_correct
from quizzes.live.store import SCHEMA_VERSION, participant_label, quiz_from_dict
from quizzes.model import Quiz

SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_SESSION_BYTES = 4 << 30         # SQLite reads the file in pages; this only bounds what is taken for one
ANSWER_COLUMNS = ("participant", "question_id", "options", "correct")


class SessionFileError(ValueError):
    """The file is not a readable live session; the message names the file and the problem."""


@dataclass(frozen=True)
class LiveResults:
    code: str
    created: str
    quiz: Quiz  # the quiz as it was asked
    matrix: ResponseMatrix  # every participant; the questions that got at least one vote, in quiz order
    not_polled: tuple[str, ...]  # question ids nobody voted on
    ballots: int  # votes cast, changes included


def is_session_file(path: Path) -> bool:
    """Whether ``path`` starts like an SQLite file (opened as the input layer opens files: a FIFO is not
    waited on)."""
    try:
        fd = open_input_file(path, max_bytes=MAX_SESSION_BYTES)
    except InputError:
        return False
    try:
        return os.read(fd, len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def _open_read_only(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    # A database file can carry triggers and views; none of its schema may run our functions.
    connection.execute("PRAGMA trusted_schema=OFF")
    connection.execute("PRAGMA cell_size_check=ON")
    connection.execute("PRAGMA query_only=ON")
    return connection


def read_session(path: Path, code: str | None = None) -> LiveResults:
    """The session ``code`` of the file (default: its latest session)."""
    path = Path(path)
    try:
        connection = _open_read_only(path)
        try:
            return _read(connection, path, code)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise SessionFileError(f"{path}: not a readable live-session file ({exc})") from exc


def _read(connection: sqlite3.Connection, path: Path, code: str | None) -> LiveResults:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"meta", "sessions", "participants", "ballots", "votes"} <= tables:
        raise SessionFileError(f"{path}: an SQLite file, but not a live session of `learnathon live`")
    version = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version is None or str(version[0]) != str(SCHEMA_VERSION):
        raise SessionFileError(f"{path}: live-session schema {version and version[0]!r}, this version reads "
                               f"{SCHEMA_VERSION}")
    query = "SELECT id, code, created, quiz_json FROM sessions"
    row = (connection.execute(query + " WHERE code = ?", (code,)).fetchone() if code
           else connection.execute(query + " ORDER BY id DESC LIMIT 1").fetchone())
    if row is None:
        codes = [r[0] for r in connection.execute("SELECT code FROM sessions ORDER BY id")]
        raise SessionFileError(f"{path}: no session {code!r}; the file holds {', '.join(map(str, codes)) or 'none'}"
                               if code else f"{path}: the file holds no session")
    session_id, session_code, created = row[0], str(row[1]), str(row[2])
    try:
        quiz = quiz_from_dict(parse_json(row[3]))       # the capped reader: the file is from outside
    except (TypeError, ValueError, KeyError) as exc:
        raise SessionFileError(f"{path}: session {session_code}: the stored quiz cannot be read ({exc!r})") from exc
    numbers = [int(r[0]) for r in connection.execute(
        "SELECT number FROM participants WHERE session = ? ORDER BY number", (session_id,))]
    position = {number: index for index, number in enumerate(numbers)}
    columns: dict[str, list[frozenset[str] | None]] = {q.id: [None] * len(numbers) for q in quiz.questions}
    for question_id, participant, options in connection.execute(
            "SELECT question_id, participant, options FROM votes WHERE session = ? ORDER BY seq", (session_id,)):
        where = f"{path}: session {session_code}: vote of participant {participant!r} on {question_id!r}"
        if question_id not in columns:
            raise SessionFileError(f"{where}: the session's quiz has no such question")
        if participant not in position:
            raise SessionFileError(f"{where}: no such participant")
        keys = frozenset(str(options).split(","))
        known = {o.key for o in quiz.question(question_id).options}
        if not keys or not keys <= known:
            raise SessionFileError(f"{where}: options {options!r} are not among {', '.join(sorted(known))}")
        columns[question_id][position[participant]] = keys
    ballots = int(connection.execute("SELECT COUNT(*) FROM ballots WHERE session = ?", (session_id,)).fetchone()[0])
    polled = {qid: tuple(column) for qid, column in columns.items() if any(a is not None for a in column)}
    matrix = ResponseMatrix(tuple(participant_label(n) for n in numbers), polled)
    return LiveResults(session_code, created, quiz, matrix,
                       tuple(q.id for q in quiz.questions if q.id not in polled), ballots)


def vote_rows(results: LiveResults) -> list[list[object]]:
    """Counts per option of every polled question, in the results layout (question_id, option, option_text, votes)."""
    rows: list[list[object]] = []
    for question_id, column in results.matrix.answers.items():
        question = results.quiz.question(question_id)
        rows += [[question_id, o.key, o.text, sum(1 for a in column if a is not None and o.key in a)]
                 for o in question.options]
    return rows


def write_answers(results: LiveResults, path: Path) -> Path:
    """One row per participant and answered question, participants in joining order."""
    rows = []
    for index, participant in enumerate(results.matrix.participants):
        for question_id, column in results.matrix.answers.items():
            chosen = column[index]
            if chosen is not None:
                question = results.quiz.question(question_id)
                rows.append([participant, question_id, ",".join(sorted(chosen)), int(is_correct(question, chosen))])
    # Participants name themselves on their phones: the one CSV writer neutralises a name like "=cmd|...".
    return write_csv(Path(path), ANSWER_COLUMNS, rows)


def export_session(path: Path, out_dir: Path, code: str | None = None) -> tuple[Path, Path]:
    """``answers.csv`` and ``votes.csv`` (results layout) of a session file into ``out_dir``."""
    from quizzes.results import write_rows

    results = read_session(path, code)
    out_dir = Path(out_dir)
    return write_answers(results, out_dir / "answers.csv"), write_rows(out_dir / "votes.csv", vote_rows(results))
