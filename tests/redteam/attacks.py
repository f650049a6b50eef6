"""The red-team corpus, round two: attacks on the *class run*, grouped by attack class.

Round one (hostile.py) attacks one graded notebook; these attack what surrounds it in
`learnathon autograde`: the submission folder (links, FIFOs, devices, odd names, timestamps),
the notebook's structure and size, the worker channel, the instructor's terminal, the feedback
handed back, what outlives a run, and the class's total grading time.

Each ``Attack`` plants one student's submission folder and states what it may get at most
(``ceiling``: the points its honest work earns), what it must get exactly where that is
deterministic, and the note or NOT GRADED reason that must explain it. Each attack class is
graded in ONE class run between two honest students (``a-honest`` before, ``z-honest`` after,
both with full marks expected), see classrun.py. A class attacks the tiny assignment unless its
``target`` names one notebook of a real one (verdicts.py: attacks on the hidden tests' verdicts).
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import stat
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

from tests.autograder import tiny_assignment as tiny

HONEST = 6.0
FIRST, LAST = "a-honest", "z-honest"
WRONG_RELU = "def relu(z):\n    return z\n"
OWN_FORWARD = "def forward(X, params):\n    return np.maximum(X @ params['W'] + params['b'], 0.0)\n"
TIMESTAMP = "2026-01-01 12:00:00.000000 UTC"


@dataclasses.dataclass
class Context:
    """What an attack may aim at: the course, its instructor's files, classmates, files outside it."""
    course: Path
    source: Path            # the instructor's source notebook inside the course (with solutions)
    outside: Path           # a folder outside the course with a secret file
    secret: str             # text that must never reach a student's feedback

    def classmate(self, student: str = FIRST) -> Path:
        return self.course / "submitted" / student / tiny.NAME


@dataclasses.dataclass
class Attack:
    id: str
    plant: Callable[[Path, Context], None]   # (its submission folder, context); the folder exists, empty
    ceiling: float                           # never more than this
    score: float | None = None               # exactly this, where it is deterministic
    note: str | None = None                  # part of its notes (StudentResult.errors / notes)
    not_graded: str | None = None            # part of its NOT GRADED reason (then nothing is recorded)
    student: str | None = None               # a folder name of its own (default "m-<id>")
    leaks: tuple[str, ...] = ()              # texts that must not appear in its feedback or graded notebook

    @property
    def folder_name(self) -> str:
        return self.student if self.student is not None else f"m-{self.id}"


@dataclasses.dataclass(frozen=True)
class Target:
    """What an attack class is graded on: one notebook of an assignment, and its honest submission."""
    assignment: str
    part: str                                        # the notebook's file stem
    full: float                                      # what the honest submission scores
    honest: Callable[[Path, Context], None]          # plants it (notebook and timestamp.txt)


@dataclasses.dataclass
class AttackClass:
    name: str
    attacks: list[Attack]
    target: Target | None = None              # None: the tiny assignment (TINY, below)
    xfail: str | None = None
    # extra checks on the machine after the run (nothing left behind); raise AssertionError
    after: Callable[[Context], None] | None = None
    heavy: bool = False


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def honest_notebook(path: Path, **answers) -> Path:
    return tiny.submission(path, **answers)


def notebook(*, relu: str = WRONG_RELU, forward: str = OWN_FORWARD, first: tuple[str, ...] = (),
             timestamp: str | bytes | None = TIMESTAMP):
    """A planter writing tiny.ipynb (answers, extra code cells after the setup) and timestamp.txt."""
    def plant(folder: Path, _context: Context) -> None:
        def insert(nb):
            for i, source in enumerate(first):
                nb.cells.insert(2 + i, nbformat.v4.new_code_cell(code(source)))
        tiny.submission(folder / f"{tiny.PART}.ipynb", relu=code(relu), forward=code(forward), edit=insert)
        if timestamp is not None:
            (folder / "timestamp.txt").write_bytes(timestamp if isinstance(timestamp, bytes) else timestamp.encode())
    return plant


def honest(timestamp: str | bytes | None = TIMESTAMP):
    return notebook(relu=tiny.RELU, forward=tiny.FORWARD, timestamp=timestamp)


TINY = Target(tiny.NAME, tiny.PART, HONEST, honest())


def json_notebook(change: Callable[[dict], object], *, raw: Callable[[str], str] | None = None):
    """An honest notebook whose JSON is changed by ``change(nb_dict)`` (may return a replacement)."""
    def plant(folder: Path, _context: Context) -> None:
        nb = json.loads(nbformat.writes(tiny.source_notebook(nbgrader_markers=False)))
        replaced = change(nb)
        text = json.dumps(nb if replaced is None else replaced)
        (folder / f"{tiny.PART}.ipynb").write_text(raw(text) if raw else text)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


def cells_with(nb: dict, grade_id: str) -> list[dict]:
    return [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]


def set_everywhere(key_path: tuple[str, ...], value):
    """Set metadata[key_path...] of every cell to ``value``."""
    def change(nb):
        for cell in nb["cells"]:
            target = cell
            for key in key_path[:-1]:
                target = target.setdefault(key, {})
            target[key_path[-1]] = value
    return change


def each_cell(change_one):
    def change(nb):
        for cell in nb["cells"]:
            change_one(cell)
    return change


def set_on(grade_id: str, key: str, value):
    def change(nb):
        for cell in cells_with(nb, grade_id):
            cell[key] = value
    return change


# --- 1. links, FIFOs, devices in the submission folder ------------------------------------------

def symlink(target: Callable[[Context], Path | str], name: str = f"{tiny.PART}.ipynb"):
    def plant(folder: Path, context: Context) -> None:
        os.symlink(target(context), folder / name)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


def hardlink(target: Callable[[Context], Path]):
    def plant(folder: Path, context: Context) -> None:
        os.link(target(context), folder / f"{tiny.PART}.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


def special(kind: str):
    def plant(folder: Path, _context: Context) -> None:
        path = folder / f"{tiny.PART}.ipynb"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "device":
            os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))       # a /dev/zero
        elif kind == "folder":
            path.mkdir()
            (path / "tiny.ipynb").write_text("{}")
        elif kind == "socket":
            os.mknod(path, stat.S_IFSOCK | 0o644)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


def linked_folder(level: str):
    """The submission folder (or the student's whole folder) is a symbolic link to a classmate's."""
    def plant(folder: Path, context: Context) -> None:
        if level == "assignment":
            folder.rmdir()
            os.symlink(context.classmate(), folder)
        else:
            folder.rmdir()
            folder.parent.rmdir()
            os.symlink(context.classmate().parent, folder.parent)
    return plant


def through_collect(target: Callable[[Context], Path]):
    """A link in the exchange, collected by stock ``nbgrader collect``: it arrives as a copy of its target."""
    def plant(folder: Path, context: Context) -> None:
        from autograder.admin.course import nbgrader_api, open_course

        student = folder.parent.name
        folder.rmdir()
        folder.parent.rmdir()
        inbound = context.course / "exchange" / "redteam" / "inbound"
        inbound.mkdir(parents=True, exist_ok=True)
        submission = inbound / f"{student}+{tiny.NAME}+{TIMESTAMP}+rt"
        submission.mkdir()
        os.symlink(target(context), submission / f"{tiny.PART}.ipynb")
        (submission / "timestamp.txt").write_text(TIMESTAMP)
        result = nbgrader_api(open_course(context.course)).collect(tiny.NAME)
        assert result["success"], result
    return plant


NOT_A_FILE = "not a regular file"
SOLUTIONS = ("BEGIN SOLUTION",)

LINKS = AttackClass("links", [
    Attack("symlink-to-instructor-source", symlink(lambda c: c.source), 0, 0, note="symbolic link", leaks=SOLUTIONS),
    Attack("symlink-to-classmate", symlink(lambda c: f"../../{FIRST}/{tiny.NAME}/{tiny.PART}.ipynb"), 0, 0,
           note="symbolic link"),
    Attack("symlink-to-etc-passwd", symlink(lambda c: "/etc/passwd"), 0, 0, note="symbolic link",
           leaks=("root:x:0:0",)),
    Attack("symlink-to-secret-outside", symlink(lambda c: c.outside / "secret.ipynb"), 0, 0, note="symbolic link",
           leaks=("OUTSIDE-SECRET",)),
    Attack("hardlink-to-instructor-source", hardlink(lambda c: c.source), 0, 0, note="hard link", leaks=SOLUTIONS),
    Attack("hardlink-to-file-outside", hardlink(lambda c: c.outside / "secret.ipynb"), 0, 0, note="hard link",
           leaks=("OUTSIDE-SECRET",)),
    Attack("fifo-named-like-the-notebook", special("fifo"), 0, 0, note="named pipe"),
    Attack("device-named-like-the-notebook", special("device"), 0, 0, note="character device"),
    Attack("folder-named-like-the-notebook", special("folder"), 0, 0, note="a folder"),
    Attack("socket-named-like-the-notebook", special("socket"), 0, 0, note="socket"),
    Attack("submission-folder-links-to-classmate", linked_folder("assignment"), 0, 0, note="symbolic link"),
    Attack("student-folder-links-to-classmate", linked_folder("student"), 0, 0, note="symbolic link"),
    Attack("collected-link-to-instructor-source", through_collect(lambda c: c.source), 0, 0,
           note="instructor's source notebook", leaks=SOLUTIONS),
])


# --- 2. notebooks larger than the worker channel can carry ----------------------------------------

def big_code(cells: int, chars: int, *, filler: str = "#", relu: str = tiny.RELU):
    def change(nb):
        for i in range(cells):
            nb["cells"].insert(2 + i, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                       "source": "x = 1  " + filler * chars + "\n"})
        for cell in cells_with(nb, "relu"):
            cell["source"] = relu
    return json_notebook(change)


def sparse_notebook(size: int):
    def plant(folder: Path, _context: Context) -> None:
        with open(folder / f"{tiny.PART}.ipynb", "wb") as handle:
            handle.write(b'{"cells": [')
            handle.truncate(size)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return plant


OVERSIZE = AttackClass("oversize", [
    Attack("one-70MB-code-cell", big_code(1, 70 << 20), 0, 0, note="MB of code"),
    Attack("forty-1.9MB-code-cells", big_code(40, 1900 << 10), 0, 0, note="MB of code"),
    Attack("600MB-sparse-notebook-file", sparse_notebook(600 << 20), 0, 0, note="limit"),
    # Emoji are 12 bytes each on the channel (\ud83d\ude00): the code limit must still fit in a frame.
    Attack("code-just-under-the-limit-in-emoji", big_code(2, 1900 << 10, filler="\U0001F600"), HONEST, HONEST),
], heavy=True)


# --- 3. forged messages on the worker channel ------------------------------------------------------
# A frame the grader cannot read restarts the student's worker (its honest forward keeps 3 points);
# a readable forged reply desynchronises only the student's own session (at most 3: its honest work).

FORGE = """
import os, struct
def forge(body):
    for fd in range(3, 64):
        try:
            os.write(fd, body)
        except OSError:
            pass
"""


def forging_relu(body: str) -> str:
    return FORGE + f"def relu(z):\n    forge({body})\n    return z\n"


CHANNEL = AttackClass("channel", [
    Attack("reply-with-5000-digit-int", notebook(relu=forging_relu(
        "(lambda b: struct.pack('>I', len(b)) + b)(b'{\"ok\": true, \"value\": ' + b'9' * 5000 + b'}')")), 3, 3),
    Attack("reply-nested-200000-deep", notebook(relu=forging_relu(
        "(lambda b: struct.pack('>I', len(b)) + b)(b'{\"ok\": true, \"value\": ' + b'[' * 200000 + b']' * 200000 + "
        "b'}')")),
        3, 3),
    Attack("reply-with-nan-and-infinity", notebook(relu=forging_relu(
        "(lambda b: struct.pack('>I', len(b)) + b)(b'{\"ok\": true, \"value\": NaN, \"mutated\": [Infinity]}')")), 3),
    Attack("reply-with-50MB-strings", notebook(relu=forging_relu(
        "(lambda b: struct.pack('>I', len(b)) + b)(b'{\"ok\": false, \"error\": {\"type\": \"' + b'T' * (1 << 20)"
        " + b'\", \"message\": \"' + b'M' * (50 << 20) + b'\", \"line\": 1e400}}')")), 3),
    Attack("reply-with-huge-mutated-list", notebook(relu=forging_relu(
        "(lambda b: struct.pack('>I', len(b)) + b)(b'{\"ok\": true, \"value\": 1, \"mutated\": [\"' + b'x' * (8 << 20)"
        " + b'\"]}')")), 3),
    Attack("header-announcing-4GB", notebook(relu=forging_relu("struct.pack('>I', 0xFFFFFFFF) + b'{'")), 3, 3),
    Attack("cell-event-with-text-seconds", notebook(first=(FORGE + """
        import json
        for index in range(0, 8):
            body = json.dumps({"event": "cell", "index": index, "error": None, "seconds": "soon"}).encode()
            forge(struct.pack('>I', len(body)) + body)
        """,)), 3),
    Attack("cell-event-with-infinite-seconds-and-dict-error", notebook(first=(FORGE + """
        for index in range(0, 8):
            body = ('{"event": "cell", "index": %d, "error": {"x": [1, 2]}, "seconds": Infinity}' % index).encode()
            forge(struct.pack('>I', len(body)) + body)
        """,)), 3),
])


# --- 4. notebook structure of the wrong types, at every level ----------------------------------------

def replace_top(value):
    return lambda nb: value


METADATA = AttackClass("metadata", [
    Attack("cell-metadata-is-a-list", json_notebook(set_everywhere(("metadata",), [])), HONEST, HONEST),
    Attack("cell-metadata-is-a-string", json_notebook(set_everywhere(("metadata",), "nbgrader")), HONEST, HONEST),
    Attack("cell-metadata-is-null", json_notebook(set_everywhere(("metadata",), None)), HONEST, HONEST),
    Attack("nbgrader-metadata-is-a-list", json_notebook(set_everywhere(("metadata", "nbgrader"), [1, 2])),
           HONEST, HONEST),
    Attack("grade-ids-are-numbers-and-points-strings", json_notebook(each_cell(
        lambda c: c["metadata"].get("nbgrader", {}).update(grade_id=7, points="1000", grade="yes"))), HONEST, HONEST),
    Attack("tags-are-a-string-an-int-and-dicts", json_notebook(each_cell(
        lambda c, tags=iter(["learnathon:skip-when-grading", 5, {"a": 1}] * 9): c["metadata"].update(tags=next(tags)))),  # noqa: B008
        HONEST, HONEST),
    Attack("outputs-and-execution-count-of-wrong-types", json_notebook(each_cell(
        lambda c: c.update(outputs="x", execution_count=[1]) if c["cell_type"] == "code" else None)), HONEST, HONEST),
    # Without its relu cell, the honest forward (which calls relu) earns nothing either.
    Attack("relu-cell-type-is-null", json_notebook(set_on("relu", "cell_type", None)), 0, 0),
    Attack("relu-source-is-a-number", json_notebook(set_on("relu", "source", 42)), 0, 0),
    Attack("execution-count-with-5000-digits", json_notebook(
        lambda nb: None, raw=lambda t: t.replace('"execution_count": null', '"execution_count": ' + "9" * 5000, 1)),
        0, 0, note="digits"),
    Attack("nan-token-in-metadata",
           json_notebook(lambda nb: None, raw=lambda t: t.replace('"metadata": {', '"metadata": {"x": NaN, ', 1)),
           0, 0, note="NaN"),
    Attack("metadata-nested-100000-deep", json_notebook(
        lambda nb: None, raw=lambda t: t.replace('"metadata": '
                                                 '{', '"metadata": {"x": ' + "[" * 100000 + "]" * 100000 + ", ", 1)),
        0, 0, note="nested"),
    Attack("notebook-metadata-is-a-list", json_notebook(lambda nb: nb.update(metadata=[1])), HONEST, HONEST),
    Attack("nbformat-is-a-string", json_notebook(lambda nb: nb.update(nbformat="4")), 0, 0, note="format version"),
    Attack("nbformat-is-a-list", json_notebook(lambda nb: nb.update(nbformat=[4])), 0, 0, note="format version"),
    Attack("nbformat-minor-is-a-dict", json_notebook(lambda nb: nb.update(nbformat_minor={"a": 1})), HONEST, HONEST),
    Attack("cells-is-a-dict", json_notebook(lambda nb: nb.update(cells={"0": nb["cells"][0]})), 0, 0,
           note="no list of cells"),
    Attack("nbformat-3-worksheets-is-a-dict", json_notebook(lambda nb: {"nbformat": 3, "worksheets": {"cells": []}}),
           0, 0, note="worksheets"),
    Attack("nbformat-3-worksheet-is-a-string", json_notebook(lambda nb: {"nbformat": 3, "worksheets": ["cells"]}),
           0, 0),
    Attack("top-level-is-a-list", json_notebook(replace_top([1, 2])), 0, 0, note="not a notebook"),
])


# --- 5. timestamp.txt ----------------------------------------------------------------------------------

def timestamp_special(kind: str):
    def plant(folder: Path, context: Context) -> None:
        honest(timestamp=None)(folder, context)
        path = folder / "timestamp.txt"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            os.symlink("/etc/shadow", path)
        elif kind == "folder":
            path.mkdir()
        elif kind == "huge":
            with open(path, "wb") as handle:
                handle.write(b"2026-01-01 12:00:00 UTC" + b" " * (8 << 20))
    return plant


NO_TIME = "timestamp.txt"
TIMESTAMPS = AttackClass("timestamp", [
    Attack("timestamp-5000-digits", honest(timestamp="9" * 5000), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-20-digit-number", honest(timestamp="99999999999999999999"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-year-99999", honest(timestamp="99999-01-01 00:00:00 UTC"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-garbage", honest(timestamp="next tuesday-ish, probably"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-binary", honest(timestamp=bytes(range(256))), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-empty", honest(timestamp=b""), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-8MB", timestamp_special("huge"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-fifo", timestamp_special("fifo"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-symlink-to-etc-shadow", timestamp_special("symlink"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-folder", timestamp_special("folder"), HONEST, HONEST, note=NO_TIME),
    Attack("timestamp-escape-sequence", honest(timestamp="\x1b[2J\x1b[H2026-01-01"), HONEST, HONEST, note=NO_TIME),
])


# --- 6. student folder names ---------------------------------------------------------------------------

ODD_ID = "control characters"
NAMES = AttackClass("names", [
    Attack("250-byte-name", honest(), HONEST, HONEST, student="m" * 250),
    Attack("250-byte-utf8-name", honest(), HONEST, HONEST, student="m" + "\u00fc" * 124 + "x"),
    Attack("dots-name", honest(), HONEST, HONEST, student="m...json..tmp."),
    Attack("backslash-and-quotes-name", honest(), HONEST, HONEST, student="m\\'\"`$(x)"),
    Attack("spaces-and-plus-name", honest(), HONEST, HONEST, student="m a+tiny+2026"),
    Attack("newline-name", honest(), 0, not_graded=ODD_ID, student="m\nALL 29 TESTS PASSED"),
    Attack("escape-sequence-name", honest(), 0, not_graded=ODD_ID, student="m\x1b[2J\x1b[HALL 29 TESTS PASSED"),
    Attack("bidi-override-name", honest(), 0, not_graded=ODD_ID, student="m\u202edessap"),
    Attack("non-utf8-name", honest(), 0, not_graded="not UTF-8",
           student=os.fsdecode(b"m\xff\xfe-latin1-\xe9")),
])


# --- 7. the instructor's terminal ------------------------------------------------------------------------

FAKE = "\x1b[2J\x1b[H\x1b[32mALL 29 TESTS PASSED\x1b[0m\r\n\x07\x9b31m\u202e"
TERMINAL = AttackClass("terminal", [
    Attack("escape-in-exception", notebook(relu=f"def relu(z):\n    raise ValueError({FAKE!r})\n"), 3, 3),
    Attack("escape-in-exception-type-name", notebook(relu=code(f"""
        def relu(z):
            raise type({FAKE!r}, (Exception,), {{}})()
        """)), 3, 3),
    Attack("escape-in-format-version", json_notebook(lambda nb: nb.update(nbformat=FAKE)), 0, 0,
           note="format version"),
    Attack("escape-in-forged-missing-error", notebook(relu=forging_relu(
        f"(lambda b: struct.pack('>I', len(b)) + b)(__import__('json').dumps({{'ok': False, 'error': "
        f"{{'type': 'Missing', 'message': {FAKE!r}}}}}).encode())")), 3),
])


# --- 8. exceptions that echo the hidden inputs -------------------------------------------------------------

def echoing(raise_line: str) -> str:
    return f"def relu(z):\n    {raise_line}\n"


ECHO = AttackClass("echo", [
    Attack("raise-repr-of-input", notebook(relu=echoing("raise ValueError(repr(z))")), 3, 3),
    Attack("raise-list-of-input", notebook(relu=echoing("raise ValueError(str(z.tolist()))")), 3, 3),
    Attack("raise-full-precision", notebook(relu=echoing("raise ValueError(' '.join(f'{v:.17g}' for v in z.ravel()))")),
           3, 3),
    Attack("assert-with-input", notebook(relu=echoing("assert False, z")), 3, 3),
    Attack("library-echoes-argument", notebook(relu=echoing("return float(str(z.ravel()[:4]))")), 3, 3),
    Attack("keyerror-with-input", notebook(relu=echoing("return {}[tuple(z.ravel()[:6])]")), 3, 3),
    Attack("systemexit-with-input", notebook(relu=echoing("raise SystemExit(str(z))")), 3, 3),
    Attack("integers-scaled-from-input", notebook(relu=echoing("raise ValueError(str((z * "
                                                               "1e6).astype(int).tolist()))")),
           3, 3),
    # The shape of a hidden input is enough to write a helper that is right only where it is tested.
    Attack("raise-shape-of-input", notebook(relu=echoing("raise ValueError(f'shapes {z.shape} and {z.T.shape} "
                                                         "not aligned: {z.shape[1]} != {len(z)}')")),
           3, 3, leaks=("6, 4", "4, 6", "(6,4)", "(4,6)", "4 != 6")),
    Attack("library-names-the-shape", notebook(relu=echoing("return z @ z")), 3, 3, leaks=("size 6", "from 4")),
])


# --- 9. what outlives a run: System V / POSIX IPC and world-writable host folders ----------------------------

IPC_KEY = 0x4C52544D           # "LRTM": keys only the red team uses (cleaned up after the run)
DROP = "/run/lock/learnathon-redteam-drop"
IPC_WRITER = f"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget({IPC_KEY}, 4096, 0o1600)
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memmove(address, b"HIDDEN-INPUT", 12)
libc.msgget({IPC_KEY + 1}, 0o1600)
libc.semget({IPC_KEY + 2}, 1, 0o1600)
try:
    rt = ctypes.CDLL("librt.so.1", use_errno=True)
    rt.mq_open(b"/learnathon-redteam", os.O_CREAT | os.O_RDWR, 0o600, None)
except OSError:
    pass
try:
    with open({DROP!r}, "w") as handle:
        handle.write("HIDDEN-INPUT" * 1000)
except OSError:
    pass
"""
IPC_READER = f"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
FOUND = [name for name, found in [
    ("shm", libc.shmget({IPC_KEY}, 0, 0) >= 0),
    ("msg", libc.msgget({IPC_KEY + 1}, 0) >= 0),
    ("sem", libc.semget({IPC_KEY + 2}, 0, 0) >= 0),
    ("file", os.path.exists({DROP!r})),
] if found]
try:
    rt = ctypes.CDLL("librt.so.1", use_errno=True)
    if rt.mq_open(b"/learnathon-redteam", os.O_RDONLY) >= 0:
        FOUND.append("mq")
except OSError:
    pass
"""
SHM_HOG = """
import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
size = 900 << 20
shm = libc.shmget(0, size, 0o1600)           # IPC_PRIVATE: never removed by its creator
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, size)        # charged to the slot's memory cgroup, and it stays
"""


def _sandbox_uid(uid: int) -> bool:
    return uid >= 61000


def nothing_left_behind(_context: Context) -> None:
    """After the run: no IPC object and no file in /run/lock belongs to a sandbox uid."""
    left = []
    for kind in ("shm", "msg", "sem"):
        path = Path(f"/proc/sysvipc/{kind}")
        if path.exists():
            lines = path.read_text().splitlines()[1:]
            header = path.read_text().splitlines()[0].split()
            for line in lines:
                fields = dict(zip(header, line.split()))
                if _sandbox_uid(int(fields.get("uid", 0))):
                    left.append(f"{kind} {fields.get('key')}")
    for folder in ("/run/lock", "/dev/mqueue"):
        if os.path.isdir(folder):
            left += [str(p) for p in Path(folder).iterdir() if _sandbox_uid(p.lstat().st_uid)]
    assert not left, f"left behind by sandboxed runs: {left}"


def remove_leftovers() -> None:
    """Clean up what the red team's own IPC attacks left, should the confinement ever regress."""
    import subprocess

    for kind, flag in (("shm", "-m"), ("msg", "-q"), ("sem", "-s")):
        path = Path(f"/proc/sysvipc/{kind}")
        if not path.exists():
            continue
        header, *lines = path.read_text().splitlines()
        columns = header.split()
        for line in lines:
            fields = dict(zip(columns, line.split()))
            if _sandbox_uid(int(fields.get("uid", 0))):
                ident = fields.get("shmid") or fields.get("msqid") or fields.get("semid")
                subprocess.run(["ipcrm", flag, ident], check=False, capture_output=True)
    for path in Path("/run/lock").glob("learnathon-redteam*"):
        path.unlink(missing_ok=True)
    try:
        ctypes.CDLL("librt.so.1").mq_unlink(b"/learnathon-redteam")
    except OSError:
        pass


LEFTOVERS = AttackClass("leftovers", [
    Attack("1-ipc-and-run-lock-writer", notebook(relu=tiny.RELU, first=(IPC_WRITER,)), HONEST, HONEST),
    Attack("2-reader-right-only-with-leftovers", notebook(first=(IPC_READER,), relu=code("""
        def relu(z):
            return np.maximum(z, 0.0) if FOUND else z
        """)), 3, 3),
    Attack("3-900MB-shared-memory-left-behind", notebook(relu=tiny.RELU, first=(SHM_HOG,)), HONEST, HONEST),
], after=nothing_left_behind)


# --- 10. slow but legal -----------------------------------------------------------------------------------------
# The tiny assignment's call budget is 6.5 s (tiny_assignment.FAST_SETTINGS): two calls of 2.8 s pass,
# the third is stopped when the budget runs out, and nothing after it runs.

SLOW = AttackClass("slow", [
    Attack("every-call-sleeps-just-under-the-limit", notebook(relu=code("""
        import time
        def relu(z):
            time.sleep(2.8)
            return np.maximum(z, 0.0)
        """), forward=code("""
        import time
        def forward(X, params):
            time.sleep(2.8)
            return np.maximum(X @ params['W'] + params['b'], 0.0)
        """)), 3, 3, note="time budget for calls"),
    Attack("every-call-spins-just-under-the-limit", notebook(relu=code("""
        import time
        def relu(z):
            end = time.monotonic() + 2.8
            while time.monotonic() < end:
                pass
            return np.maximum(z, 0.0)
        """), forward=code("""
        import time
        def forward(X, params):
            end = time.monotonic() + 2.8
            while time.monotonic() < end:
                pass
            return np.maximum(X @ params['W'] + params['b'], 0.0)
        """)), 3, 3, note="time budget for calls"),
])

# --- 11. sealed by construction: what the sandbox holds (issue 21) ---------------------------------------------------
# Each attack computes FOUND inside its run; its relu is right only if the sandbox let it find something.
# So its score says whether the surface is open: 3 (its own forward) when sealed, 6 when not.

RIGHT_ONLY_IF_FOUND = code("""
    def relu(z):
        return np.maximum(z, 0.0) if FOUND else z
    """)


def sealed(probe: Callable[[Context], str]):
    """A planter: ``probe(context)`` is a cell that sets FOUND; the relu is right only if it found anything."""
    def plant(folder: Path, context: Context) -> None:
        notebook(relu=RIGHT_ONLY_IF_FOUND, first=(probe(context),))(folder, context)
    return plant


def other_courses(context: Context) -> str:
    # The strongest attacker knows where the instructor's files are; a weaker one walks the whole tree.
    return code(f"""
        import os
        FOUND = []
        for place in {[str(context.source), str(context.outside / "secret.ipynb"), str(context.course)]!r}:
            try:
                FOUND.append(open(place).read()[:100]) if os.path.isfile(place) else FOUND.append(os.listdir(place))
            except OSError:
                pass
        for folder, dirs, files in os.walk("/"):
            if folder.startswith(("/proc", "/scratch")):
                dirs[:] = []
                continue
            FOUND += [os.path.join(folder, f) for f in files if f.endswith(".ipynb") or f == "grading.toml"]
        """)


def installed_project(_context: Context) -> str:
    return code("""
        import importlib, os, sys
        FOUND = []
        for name in ("autograder", "autograder.hidden", "solutions", "assignments", "quizzes"):
            try:
                FOUND.append(importlib.import_module(name).__name__)
            except Exception:
                pass
        for folder in sys.path + [os.path.dirname(os.path.dirname(sys.executable))]:
            for parent, dirs, files in os.walk(folder):
                FOUND += [parent for d in dirs if d in ("hidden", "solutions", "assignments")]
        """)


KEYRING = code("""
    import ctypes, platform
    libc = ctypes.CDLL(None, use_errno=True)
    ADD, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(platform.machine(), (-1, -1))
    def keyctl(*args):
        return libc.syscall(KEYCTL, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    RINGS = [-4, -5, -3, keyctl(22, -1, -2)]          # user, user-session, session, persistent
    """)


def keyring_writer(_context: Context) -> str:
    return KEYRING + code("""
        for ring in RINGS:
            libc.syscall(ADD, b"user", b"learnathon-redteam", b"HIDDEN-INPUT", 12, ctypes.c_long(ring))
        FOUND = []
        """)


def keyring_reader(_context: Context) -> str:
    return KEYRING + code("""
        FOUND = [ring for ring in RINGS if ring != -1 and keyctl(10, ring, b"user", b"learnathon-redteam", 0) >= 0]
        """)


def privileged_handles(_context: Context) -> str:
    # Every descriptor it holds, used as the root janitor's channel: kill uid 0 (every host) and the other
    # slots' uids (the honest neighbours); and signals to every process it can see, the host included.
    return code("""
        import json, os, signal, socket
        FOUND = []
        for fd in range(3, 1024):
            try:
                held = socket.socket(fileno=os.dup(fd))
            except OSError:
                continue
            for uid in [0, *range(61000, 61064)]:
                try:
                    held.send(json.dumps({"op": "kill", "uid": uid}).encode())
                    FOUND.append(fd)
                except OSError:
                    break
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    os.kill(int(entry), signal.SIGKILL if int(entry) == 1 else 0)
                    FOUND.append(entry) if os.stat(f"/proc/{entry}").st_uid != os.getuid() else None
                except OSError:
                    pass
        """)


def open_descriptors(_context: Context) -> str:
    return code("""
        import os
        FOUND = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if int(fd) > 2 and not target.startswith(("pipe:", os.getcwd() + "/")):
                FOUND.append(target)
        """)


SEALED = AttackClass("sealed", [
    Attack("other-course-and-outside-files", sealed(other_courses), 3, 3, leaks=("OUTSIDE-SECRET",) + SOLUTIONS),
    Attack("installed-project", sealed(installed_project), 3, 3),
    Attack("keyring-1-writer", sealed(keyring_writer), 3, 3),
    Attack("keyring-2-reader", sealed(keyring_reader), 3, 3),
    Attack("janitor-channel-and-signals", sealed(privileged_handles), 3, 3),
    Attack("descriptors-left-open", sealed(open_descriptors), 3, 3),
])

CLASSES = [LINKS, OVERSIZE, CHANNEL, METADATA, TIMESTAMPS, NAMES, TERMINAL, ECHO, LEFTOVERS, SLOW, SEALED]
