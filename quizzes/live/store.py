"""A live session in SQLite (WAL mode, one file, nothing to install): the quiz as it was asked, the state,
the participants (anonymous numbers; only a hash of their token is kept) and every ballot.

Every accepted vote is one append-only row in ``ballots`` (so a changed vote leaves its history) and the
participant's current answer in ``votes`` (one row per participant and question, the database enforces
it), committed with ``synchronous=FULL`` before the participant is told that the vote counted: a vote
acknowledged is on disk, and a restarted server resumes the session with every vote, the same code, the
same secret and the question it was on.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quizzes.live.rules import LiveState
from quizzes.model import ClassResults, Option, Question, Quiz

SCHEMA_VERSION = 1
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 6
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, secret TEXT NOT NULL, quiz_name TEXT NOT NULL,
    quiz_json TEXT NOT NULL, created TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 0, voting_open INTEGER NOT NULL DEFAULT 0, revealed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS participants (
    session INTEGER NOT NULL REFERENCES sessions(id), number INTEGER NOT NULL, token_hash TEXT NOT NULL,
    joined TEXT NOT NULL, PRIMARY KEY (session, number), UNIQUE (session, token_hash));
CREATE TABLE IF NOT EXISTS ballots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, session INTEGER NOT NULL, question_id TEXT NOT NULL,
    participant INTEGER NOT NULL, options TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    session INTEGER NOT NULL, question_id TEXT NOT NULL, participant INTEGER NOT NULL, options TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (session, question_id, participant));
"""


Write = Callable[[sqlite3.Connection], object]


class StoreError(ValueError):
    """The file is not a live session this version can read; the message names the file and the problem."""


@dataclass(frozen=True)
class SessionRecord:
    id: int
    code: str
    secret: str
    quiz: Quiz
    state: LiveState
    created: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def participant_label(number: int) -> str:
    return f"P{number:04d}"


# --- the quiz as it was asked -----------------------------------------------------------------------

def quiz_from_dict(data: dict[str, Any]) -> Quiz:
    """Inverse of ``Quiz.to_dict`` (the session keeps the quiz it asked, so the bank may change later)."""
    questions = []
    for q in data["questions"]:
        options = tuple(Option(key=str(o["key"]), text=str(o["text"]), correct=bool(o["correct"]),
                               explanation=str(o.get("explanation") or ""), short=o.get("short"))
                        for o in q["options"])
        results = q.get("class_results")
        questions.append(Question(
            id=str(q["id"]), section=str(q.get("section") or ""), text=str(q["text"]), options=options,
            explanation=str(q.get("explanation") or ""), short_text=q.get("short_text"),
            class_results=ClassResults(dict(results["percentages"]), str(results["source"])) if results else None,
            results_note=q.get("results_note"), figure=q.get("figure"), time_limit=int(q.get("time_limit", 30)),
            origin=str(q.get("origin") or "bank"), concepts=tuple(q.get("concepts") or ())))
    return Quiz(name=str(data["name"]), title=str(data["title"]), questions=tuple(questions),
                sources=tuple(data.get("sources") or ()))


# --- the store --------------------------------------------------------------------------------------

class LiveStore:
    """The server's one connection (used from the event loop only; every write is its own transaction)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("PRAGMA busy_timeout=5000")
        self.connection.executescript(SCHEMA)
        version = self.connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if version is None:
            self.connection.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif version[0] != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path}: a live-session file of schema {version[0]}, this version reads "
                             f"{SCHEMA_VERSION}")
        self.path.chmod(0o600)  # it holds the lecturer's secret

    def close(self) -> None:
        self.connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self.connection)

    def create_session(self, quiz: Quiz) -> SessionRecord:
        codes = {row[0] for row in self.connection.execute("SELECT code FROM sessions")}
        code = new_code()
        while code in codes:
            code = new_code()
        secret, created = secrets.token_urlsafe(18), now()
        with self._transaction():
            cursor = self.connection.execute(
                "INSERT INTO sessions (code, secret, quiz_name, quiz_json, created) VALUES (?, ?, ?, ?, ?)",
                (code, secret, quiz.name, json.dumps(quiz.to_dict(), ensure_ascii=False), created))
        return SessionRecord(int(cursor.lastrowid or 0), code, secret, quiz, LiveState(), created)

    def latest_session(self, quiz_name: str) -> SessionRecord | None:
        row = self.connection.execute(
            "SELECT id FROM sessions WHERE quiz_name = ? ORDER BY id DESC LIMIT 1", (quiz_name,)).fetchone()
        return self.session(row[0]) if row else None

    def session(self, session_id: int) -> SessionRecord:
        row = self.connection.execute(
            "SELECT id, code, secret, quiz_json, created, current, voting_open, revealed FROM sessions WHERE id = ?",
            (session_id,)).fetchone()
        quiz = quiz_from_dict(json.loads(row[3]))
        return SessionRecord(row[0], row[1], row[2], quiz, LiveState(row[5], bool(row[6]), bool(row[7])), row[4])

    # Writes are functions of the connection, applied in one transaction by ``apply``: the server
    # commits every write that arrived while the previous commit ran together (``writer.GroupCommit``).

    @staticmethod
    def state_write(session_id: int, state: LiveState) -> Write:
        return lambda c: c.execute("UPDATE sessions SET current = ?, voting_open = ?, revealed = ? WHERE id = ?",
                                   (state.current, int(state.voting_open), int(state.revealed), session_id))

    @staticmethod
    def participant_write(session_id: int, number: int, hashed_token: str) -> Write:
        joined = now()
        return lambda c: c.execute("INSERT INTO participants VALUES (?, ?, ?, ?)",
                                   (session_id, number, hashed_token, joined))

    @staticmethod
    def vote_write(session_id: int, seq: int, question_id: str, participant: int, keys: tuple[str, ...]) -> Write:
        """Append the ballot (number ``seq``) and make it the participant's answer."""
        options, at = ",".join(keys), now()

        def write(c: sqlite3.Connection) -> None:
            c.execute("INSERT INTO ballots (seq, session, question_id, participant, options, at) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (seq, session_id, question_id, participant, options, at))
            c.execute("INSERT INTO votes VALUES (?, ?, ?, ?, ?) ON CONFLICT (session, question_id, participant) "
                      "DO UPDATE SET options = excluded.options, seq = excluded.seq",
                      (session_id, question_id, participant, options, seq))
        return write

    def apply(self, writes: list[Write]) -> None:
        with self._transaction():
            for write in writes:
                write(self.connection)

    def participants(self, session_id: int) -> dict[str, int]:
        """token hash -> participant number."""
        return {row[0]: row[1] for row in self.connection.execute(
            "SELECT token_hash, number FROM participants WHERE session = ?", (session_id,))}

    def votes(self, session_id: int) -> dict[tuple[str, int], tuple[str, ...]]:
        """(question id, participant) -> the options of the participant's current answer."""
        return {(row[0], row[1]): tuple(row[2].split(",")) for row in self.connection.execute(
            "SELECT question_id, participant, options FROM votes WHERE session = ?", (session_id,))}

    def last_seq(self) -> int:
        """Ballot numbers run across the file's sessions (the table's key)."""
        return int(self.connection.execute("SELECT COALESCE(MAX(seq), 0) FROM ballots").fetchone()[0])


class _Transaction:
    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, value: object, traceback: object) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")
