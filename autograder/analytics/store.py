"""The class record: every graded submission's tests, named mistakes, concepts and incidents, per run.

nbgrader's gradebook keeps points per grade cell and has no place for which mistake a failure
recognised or which lecture concepts a test exercises. This store keeps them beside it, in
``COURSE/.learnathon/results.sqlite``: one row per class run, one per graded submission in it (a
rerun or a resubmission adds rows, nothing is overwritten), one per test and one per incident
(unreadable or missing notebook, cell that hung or crashed, call that timed out). It survives
reruns and concurrent runs as the gradebook does: SQLite in WAL mode, each student's rows written
in one transaction under the course's lock file.

    with open_store(course_root) as db:
        run_id = start_run(db, "hw1", students=3)
        record_student(db, run_id, "hw1", result)
    rows = load_submissions(course_root, "hw1")         # the report's input
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .. import __version__
from ..results.gradebook import locked
from ..results.records import NotebookReport, StudentResult
from .integrity.records import Excerpt, Flag, Pair, Passage, Review

SCHEMA_VERSION = 2
# Version 2 added the integrity tables (learnathon integrity): an older record gets them when it is next
# opened for writing, and nothing else changes.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, assignment TEXT NOT NULL, started TEXT NOT NULL, grader_version TEXT NOT NULL,
    students INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), assignment TEXT NOT NULL,
    student TEXT NOT NULL, graded_at TEXT NOT NULL, fingerprint TEXT, score REAL NOT NULL,
    max_score REAL NOT NULL, seconds REAL NOT NULL);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions (assignment, student, id);
CREATE TABLE IF NOT EXISTS tests (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), notebook TEXT NOT NULL, name TEXT NOT NULL,
    cell TEXT, points REAL NOT NULL, max_points REAL NOT NULL, passed INTEGER NOT NULL, message TEXT NOT NULL,
    mistake TEXT, concepts TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tests_by_submission ON tests (submission_id);
CREATE TABLE IF NOT EXISTS incidents (
    submission_id INTEGER NOT NULL REFERENCES submissions(id), notebook TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_by_submission ON incidents (submission_id);
CREATE TABLE IF NOT EXISTS integrity_reviews (
    id INTEGER PRIMARY KEY, assignment TEXT NOT NULL, started TEXT NOT NULL, grader_version TEXT NOT NULL,
    students TEXT NOT NULL, settings TEXT NOT NULL, notes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS integrity_flags (
    review_id INTEGER NOT NULL REFERENCES integrity_reviews(id), student TEXT NOT NULL, fingerprint TEXT,
    notebook TEXT NOT NULL, kind TEXT NOT NULL, found TEXT NOT NULL, cell INTEGER, grade_id TEXT, first_line INTEGER,
    last_line INTEGER, code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS integrity_flags_by_review ON integrity_flags (review_id);
CREATE TABLE IF NOT EXISTS integrity_pairs (
    review_id INTEGER NOT NULL REFERENCES integrity_reviews(id), notebook TEXT NOT NULL, a TEXT NOT NULL,
    b TEXT NOT NULL, score REAL NOT NULL, share_a REAL NOT NULL, share_b REAL NOT NULL, shared INTEGER NOT NULL,
    passages TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS integrity_pairs_by_review ON integrity_pairs (review_id);
"""
MIGRATIONS = {1: "the integrity tables"}     # from version -> what the step to the next one adds (in SCHEMA)
# What went wrong with a notebook as a whole, as the report counts it.
INCIDENT_KINDS = ("missing", "unreadable", "timeout", "crash", "exception")


def store_path(course_root: Path) -> Path:
    return Path(course_root) / ".learnathon" / "results.sqlite"


class StoreError(RuntimeError):
    """The class record cannot be read (not there, or written by an incompatible version)."""


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=60000")
    db.execute("PRAGMA foreign_keys=ON")
    return db


@dataclasses.dataclass(frozen=True)
class Store:
    """An open class record: the connection and the course whose lock guards its writes."""
    db: sqlite3.Connection
    course_root: Path


@contextlib.contextmanager
def open_store(course_root: Path) -> Iterator[Store]:
    """The course's class record for writing, created if needed; each ``transaction`` runs under the lock."""
    path = store_path(course_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _connect(path)
    try:
        with transaction(Store(db, Path(course_root))):
            for statement in filter(str.strip, SCHEMA.split(";")):   # executescript would commit on its own
                db.execute(statement)
            found = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if found is None:
                db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(found[0]) in MIGRATIONS:         # its new tables were just created by SCHEMA
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            elif int(found[0]) != SCHEMA_VERSION:
                raise StoreError(f"{path} has schema version {found[0]}, this grader writes {SCHEMA_VERSION}")
        yield Store(db, Path(course_root))
    finally:
        db.close()


@contextlib.contextmanager
def transaction(store: Store) -> Iterator[sqlite3.Connection]:
    db = store.db
    with locked(store.course_root, "results"):
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def start_run(store: Store, assignment: str, students: int) -> int:
    with transaction(store) as db:
        cursor = db.execute("INSERT INTO runs (assignment, started, grader_version, students) VALUES (?, ?, ?, ?)",
                            (assignment, _now(), __version__, students))
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def incidents_of(report: NotebookReport) -> list[tuple[str, str]]:
    """(kind, detail) of what went wrong with a notebook as a whole: missing or unreadable file, a cell
    that hung, crashed or raised, the notebook's time running out, a call that timed out."""
    found: list[tuple[str, str]] = []
    if report.error and not report.cells:
        found.append(("missing" if "was not submitted" in report.error else "unreadable", report.error))
    elif report.error and "ran out" in report.error:
        found.append(("timeout", report.error))
    for cell in report.cells:
        error = cell.error or ""
        if error.startswith("this cell did not finish"):
            found.append(("timeout", f"code cell {cell.index + 1} {error.removeprefix('this cell ')}"))
        elif error.startswith("this cell"):
            found.append(("crash", f"code cell {cell.index + 1} {error.removeprefix('this cell ')}"))
        elif error:
            found.append(("exception", f"code cell {cell.index + 1}: {error.splitlines()[-1][:200]}"))
    for test in report.tests:
        if "did not return within" in test.message:
            found.append(("timeout", f"{test.name}: {test.message[:200]}"))
    return found


def record_student(store: Store, run_id: int, assignment: str, result: StudentResult) -> int:
    """One graded student's submission, its tests and incidents, in one transaction."""
    with transaction(store) as db:
        cursor = db.execute(
            "INSERT INTO submissions (run_id, assignment, student, graded_at, fingerprint, score, max_score, seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, assignment, result.student, _now(), result.fingerprint, result.score, result.max_score,
             result.seconds))
        assert cursor.lastrowid is not None
        submission = cursor.lastrowid
        for report in result.reports:
            db.executemany(
                "INSERT INTO tests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(submission, report.notebook, t.name, t.cell, t.points, t.max_points, int(t.passed), t.message,
                  t.mistake, json.dumps(list(t.concepts))) for t in report.tests])
            db.executemany("INSERT INTO incidents VALUES (?, ?, ?, ?)",
                           [(submission, report.notebook, kind, detail) for kind, detail in incidents_of(report)])
        return submission


# --- reading, for the class report ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TestRow:
    notebook: str
    name: str
    cell: str | None
    points: float
    max_points: float
    passed: bool
    message: str
    mistake: str | None
    concepts: tuple[str, ...]

    __test__ = False


@dataclasses.dataclass(frozen=True)
class SubmissionRow:
    """One graded submission of one student, as stored (``attempt`` counts from 1 per student)."""
    id: int
    run_id: int
    assignment: str
    student: str
    graded_at: str
    fingerprint: str | None
    score: float
    max_score: float
    seconds: float
    tests: tuple[TestRow, ...]
    incidents: tuple[tuple[str, str, str], ...]     # (notebook, kind, detail)


def load_submissions(course_root: Path, assignment: str | None = None) -> list[SubmissionRow]:
    """Every stored submission (of one assignment, or all), oldest first."""
    path = store_path(course_root)
    if not path.is_file():
        raise StoreError(f"no class record at {path}: grade the class first (learnathon autograde ... --course "
                         f"{course_root})")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)
    try:
        where, args = ("WHERE assignment = ?", (assignment,)) if assignment else ("", ())
        subs = db.execute(f"SELECT id, run_id, assignment, student, graded_at, fingerprint, score, max_score, seconds "
                          f"FROM submissions {where} ORDER BY id", args).fetchall()
        tests: dict[int, list[TestRow]] = {}
        for row in db.execute("SELECT submission_id, notebook, name, cell, points, max_points, passed, message, "
                              "mistake, concepts FROM tests ORDER BY rowid"):
            tests.setdefault(row[0], []).append(TestRow(row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7],
                                                        row[8], tuple(json.loads(row[9]))))
        incidents: dict[int, list[tuple[str, str, str]]] = {}
        for row in db.execute("SELECT submission_id, notebook, kind, detail FROM incidents ORDER BY rowid"):
            incidents.setdefault(row[0], []).append((row[1], row[2], row[3]))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} cannot be read: {exc}") from exc
    finally:
        db.close()
    return [SubmissionRow(sub_id, run_id, name, student, graded_at, fingerprint, score, max_score, seconds,
                          tuple(tests.get(sub_id, ())), tuple(incidents.get(sub_id, ())))
            for sub_id, run_id, name, student, graded_at, fingerprint, score, max_score, seconds in subs]



# --- integrity reviews (learnathon integrity), beside the grades ---------------------------------------

def record_review(store: Store, review: Review) -> int:
    """One integrity review with its flags (each with the fingerprint of the files it read, as the graded
    submissions have theirs) and its similar pairs, in one transaction."""
    with transaction(store) as db:
        cursor = db.execute(
            "INSERT INTO integrity_reviews (assignment, started, grader_version, students, settings, notes) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (review.assignment, review.started, __version__, json.dumps(list(review.students)),
             json.dumps(review.settings), json.dumps(list(review.notes))))
        assert cursor.lastrowid is not None
        review_id = cursor.lastrowid
        db.executemany("INSERT INTO integrity_flags VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(review_id, f.student, review.fingerprints.get(f.student), f.notebook, f.kind, f.found, f.cell,
                         f.grade_id, f.first_line, f.last_line, f.code) for f in review.flags])
        db.executemany("INSERT INTO integrity_pairs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(review_id, p.notebook, p.a, p.b, p.score, p.share_a, p.share_b, p.shared,
                         json.dumps([dataclasses.asdict(x) for x in p.passages])) for p in review.pairs])
        return review_id


def _passages(text: str) -> tuple[Passage, ...]:
    return tuple(Passage(tuple(Excerpt(**e) for e in p["a"]), tuple(Excerpt(**e) for e in p["b"]))
                 for p in json.loads(text))


def load_review(course_root: Path, assignment: str) -> Review | None:
    """The latest integrity review of ``assignment``, or None (none made, or a record from before them)."""
    path = store_path(course_root)
    if not path.is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)
    try:
        row = db.execute("SELECT id, assignment, started, students, settings, notes FROM integrity_reviews "
                         "WHERE assignment = ? ORDER BY id DESC LIMIT 1", (assignment,)).fetchone()
        if row is None:
            return None
        flags = db.execute("SELECT student, fingerprint, notebook, kind, found, cell, grade_id, first_line, last_line, "
                           "code FROM integrity_flags WHERE review_id = ? ORDER BY rowid", (row[0],)).fetchall()
        pairs = db.execute("SELECT notebook, a, b, score, share_a, share_b, shared, passages FROM integrity_pairs "
                           "WHERE review_id = ? ORDER BY rowid", (row[0],)).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise StoreError(f"{path} cannot be read: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} cannot be read: {exc}") from exc
    finally:
        db.close()
    fingerprints = {f[0]: f[1] for f in flags if f[1]}
    return Review(row[1], row[2], tuple(json.loads(row[3])), fingerprints,
                  tuple(Flag(f[0], *f[2:]) for f in flags),
                  tuple(Pair(p[0], p[1], p[2], p[3], p[4], p[5], p[6], _passages(p[7])) for p in pairs),
                  json.loads(row[4]), tuple(json.loads(row[5])))
