"""Random malformed submission folders, for the class-run survival property (hypothesis strategies).

A ``Malformed`` is plain data (so hypothesis can print it): the student's folder name, what the
notebook file is (random bytes, truncated JSON, the honest notebook with one node anywhere in
its JSON tree replaced by a value of another type, textual poison such as 5,000-digit numbers,
NaN or deep nesting, a huge sparse file, a link, a FIFO, a folder, nothing), what timestamp.txt
is, and extra files. ``plant`` writes it into a course's ``submitted/``; ``survives`` grades a
batch between two honest students and returns the violated properties.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
from hypothesis import strategies as st

from tests.autograder import tiny_assignment as tiny

FIRST, LAST = "a-honest", "z-honest"
HONEST = 6.0
TIMESTAMP = "2026-01-01 12:00:00.000000 UTC"
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def honest_json() -> dict:
    """The honest submission without the demonstration cell: a retyped tag must not turn the fuzz
    into thousands of 3-second sleeps (that a retyped tag runs it is tested in attacks.py)."""
    nb = tiny.source_notebook(nbgrader_markers=False)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "demo"]
    return json.loads(nbformat.writes(nb))


HONEST_JSON = honest_json()


def json_paths(node, prefix=()):
    """Every position in the notebook's JSON tree (the root, every key, every list item)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from json_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from json_paths(value, prefix + (i,))


PATHS = list(json_paths(HONEST_JSON))

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                         st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False), st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=4)),
                           max_leaves=12)
POISON = ["9" * 5000, "-" + "1" * 4400, "NaN", "Infinity", "-Infinity", "1e99999", "[" * 50000 + "]" * 50000,
          '"' + "\\u0000" * 1000 + '"', '"\\ud800"', '{"a": ' * 3000 + "1" + "}" * 3000, "true", "[]", "{}", '""']


@dataclasses.dataclass(frozen=True)
class Malformed:
    name: str                               # the student's folder name
    notebook: tuple                         # (kind, *details); see notebook_kinds
    timestamp: tuple = ("text", TIMESTAMP)  # (kind, *details)
    extras: tuple = ()                      # (file name, bytes)


def _names():
    plain = st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=0, max_size=60)
    odd = st.sampled_from(["\n", "\r", "\x1b[2J", "\u202e", "..", ".", " ", "+", "\\", "$(id)", "%s", "\t", "\x7f"])
    raw_bytes = st.binary(min_size=1, max_size=20).map(
        lambda b: os.fsdecode(bytes(c for c in b if c not in (0, 0x2F)) or b"x"))
    long_ = st.integers(200, 250).map(lambda n: "m" * n)
    ids = st.from_regex(r"[a-z0-9_.@-]{1,24}", fullmatch=True)
    # one_of draws its first alternatives most often: mostly ids that get graded, then odd ones.
    body = st.one_of(ids, plain, st.lists(odd, min_size=1, max_size=4).map("".join), raw_bytes, long_)
    # "m" first: every malformed student sorts between the two honest ones.
    return body.map(lambda s: ("m" + s).encode("utf-8", "surrogateescape")[:250].decode("utf-8", "surrogateescape"))


def _retype():
    return st.tuples(st.just("retype"), st.sampled_from(PATHS), json_values)


def notebook_kinds():
    return st.one_of(
        _retype(),
        st.tuples(st.just("poison"), st.sampled_from(PATHS), st.sampled_from(POISON)),
        st.tuples(st.just("delete"), st.sampled_from([p for p in PATHS if p])),
        st.tuples(st.just("truncated"), st.floats(0.0, 1.0, allow_subnormal=False)),
        st.tuples(st.just("bytes"), st.binary(max_size=3000)),
        st.tuples(st.just("sparse"), st.sampled_from([600 << 20, 2 << 30])),
        st.tuples(st.just("symlink"), st.sampled_from(["source", "classmate", "/etc/passwd", "dangling", "self"])),
        st.tuples(st.just("hardlink"), st.sampled_from(["source", "outside"])),
        st.tuples(st.just("special"), st.sampled_from(["fifo", "folder", "missing"])),
        st.tuples(st.just("honest")),
    )


def timestamp_kinds():
    return st.one_of(
        st.tuples(st.just("text"), st.sampled_from(["9" * 5000, "99999999999999999999", "0", "-1", "10000-01-01",
                                                    "2026-13-45 99:99:99", "\x1b[2J", TIMESTAMP])),
        st.tuples(st.just("text"), st.text(max_size=60)),
        st.tuples(st.just("bytes"), st.binary(max_size=200)),
        st.tuples(st.just("special"), st.sampled_from(["fifo", "symlink", "folder", "missing", "huge"])),
    )


def extras():
    names = st.sampled_from(["tiny.ipynb.bak", "other.ipynb", " tiny.ipynb", "tiny.IPYNB", "conftest.py", ".hidden"])
    return st.lists(st.tuples(names, st.binary(max_size=200)), max_size=2, unique_by=lambda e: e[0]).map(tuple)


malformed = st.builds(Malformed, name=_names(), notebook=notebook_kinds(), timestamp=timestamp_kinds(), extras=extras())


# --- writing a malformed folder -------------------------------------------------------------------

def _replace(node, path, value):
    if not path:
        return value
    node = json.loads(json.dumps(node))
    target = node
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return node


def _delete(node, path):
    node = json.loads(json.dumps(node))
    target = node
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return node


MARKER = "\u2603POISON\u2603"


def notebook_bytes(kind: tuple) -> bytes:
    honest_text = json.dumps(HONEST_JSON)
    if kind[0] == "bytes":
        return kind[1]
    if kind[0] == "truncated":
        return honest_text.encode()[: int(len(honest_text) * kind[1])]
    if kind[0] == "retype":
        return json.dumps(_replace(HONEST_JSON, kind[1], kind[2])).encode()
    if kind[0] == "delete":
        return json.dumps(_delete(HONEST_JSON, kind[1])).encode()
    if kind[0] == "poison":
        return json.dumps(_replace(HONEST_JSON, kind[1], MARKER)).replace(json.dumps(MARKER), kind[2]).encode()
    return honest_text.encode()


def plant(case: Malformed, submitted: Path, *, source: Path, outside: Path) -> Path:
    folder = submitted / case.name / tiny.NAME
    folder.mkdir(parents=True)
    path = folder / f"{tiny.PART}.ipynb"
    kind = case.notebook
    if kind[0] == "sparse":
        with open(path, "wb") as handle:
            handle.write(b'{"cells": [')
            handle.truncate(kind[1])
    elif kind[0] == "symlink":
        target = {"source": str(source), "classmate": f"../../{FIRST}/{tiny.NAME}/{tiny.PART}.ipynb",
                  "dangling": "/nonexistent/x.ipynb", "self": path.name}.get(kind[1], kind[1])
        os.symlink(target, path)
    elif kind[0] == "hardlink":
        os.link(source if kind[1] == "source" else outside / "secret.ipynb", path)
    elif kind[0] == "special":
        if kind[1] == "fifo":
            os.mkfifo(path)
        elif kind[1] == "folder":
            path.mkdir()
    else:
        path.write_bytes(notebook_bytes(kind))
    stamp = folder / "timestamp.txt"
    if case.timestamp[0] == "text":
        stamp.write_text(case.timestamp[1], errors="surrogateescape")
    elif case.timestamp[0] == "bytes":
        stamp.write_bytes(case.timestamp[1])
    elif case.timestamp[1] == "fifo":
        os.mkfifo(stamp)
    elif case.timestamp[1] == "symlink":
        os.symlink("/etc/shadow", stamp)
    elif case.timestamp[1] == "folder":
        stamp.mkdir()
    elif case.timestamp[1] == "huge":
        with open(stamp, "wb") as handle:
            handle.truncate(64 << 20)
    for name, data in case.extras:
        if not (folder / name).exists():
            (folder / name).write_bytes(data)
    return folder


def unique(cases: list[Malformed]) -> list[Malformed]:
    """One case per folder name (hypothesis may draw a name twice in a batch)."""
    seen, kept = set(), []
    for case in cases:
        if case.name not in seen and case.name not in (FIRST, LAST):
            seen.add(case.name)
            kept.append(case)
    return kept


def reset(course_root: Path) -> None:
    for name in ("submitted", "autograded", "feedback", ".learnathon"):
        shutil.rmtree(course_root / name, ignore_errors=True)


def survives(the_course, cases: list[Malformed], *, source: Path, outside: Path, jobs: int = 1) -> list[str]:
    """Grade ``cases`` between two honest students in one class run; the properties it violated."""
    from autograder.classrun.autograde import autograde
    from autograder.results import gradebook
    from autograder.results.summary import progress_line, summary_table

    reset(the_course.root)
    submitted = the_course.root / "submitted"
    for student in (FIRST, LAST):
        folder = submitted / student / tiny.NAME
        folder.mkdir(parents=True)
        tiny.submission(folder / f"{tiny.PART}.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    for case in cases:
        plant(case, submitted, source=source, outside=outside)
    lines: list[str] = []
    try:
        results = autograde(course_dir=the_course.root, assignment=tiny.NAME, force=True, jobs=jobs,
                            progress=lambda r, i, n: lines.append(progress_line(r, i, n)))
    except BaseException as exc:  # noqa: B902 - an aborted run is the failure this looks for
        return [f"the class run aborted: {type(exc).__name__}: {str(exc)[:300]}"]
    lines += summary_table(results, tiny.NAME).splitlines()
    failures = []
    by_student = {r.student: r for r in results}
    recorded = gradebook.class_scores(the_course.root, the_course.course_id, tiny.NAME)
    for student in (FIRST, LAST):
        got = by_student.get(student)
        if got is None or got.score != HONEST or recorded.get(student) != HONEST:
            failures.append(f"honest {student} got {got and got.score} (gradebook {recorded.get(student)})")
    for case in cases:
        result = by_student.get(case.name)
        if result is None:
            failures.append(f"no result for {case!r:.300}")
        elif not result.not_graded and case.name not in recorded:
            failures.append(f"graded but not recorded: {case!r:.300}")
        elif result.not_graded and "grader" in result.not_graded and "sandbox did not start" in result.not_graded:
            failures.append(f"the grading machine failed on {case!r:.300}: {result.not_graded}")
    raw = [line for line in lines if RAW_CONTROL.search(line)]
    if raw:
        failures.append(f"control characters reach the terminal: {raw[0]!r:.200}")
    return failures
