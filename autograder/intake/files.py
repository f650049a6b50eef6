"""Stage 0: take files out of a submission folder without trusting what is there.

Everything in ``submitted/<student>/<assignment>/`` is the student's (it may also have come through
the exchange, where the student chose the names and the kind of file). A file is read only if
the *opened* file is a regular file with a single name, not larger than its cap: the decision is
made with ``fstat`` on the descriptor that is then read, so a link swapped in after a check, a
symbolic link (``O_NOFOLLOW``), a hard link to a file elsewhere, a FIFO that would block the
grader, a device or a folder named like a notebook are all refused with a message that says so.
The folder itself is opened the same way, one component at a time, from the course's
``submitted/`` down.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from pathlib import Path

MAX_TIMESTAMP_BYTES = 1024
MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024    # outputs (plots) can be large; only code is sent to the sandbox


class SubmissionError(ValueError):
    """The file cannot be graded at all; the message says why, for the student."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def _open_flags() -> int:
    # O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it is refused right after).
    return os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


def read_regular_file(path: str | Path, *, max_bytes: int, what: str, dir_fd: int | None = None) -> bytes:
    """The bytes of ``path`` (relative to ``dir_fd`` if given), if it is one regular file of at most
    ``max_bytes``; otherwise ``SubmissionError`` naming ``what`` and the reason."""
    name = os.fspath(path)
    try:
        fd = os.open(name, _open_flags(), dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (40, 20) and _is_symlink(name, dir_fd):    # ELOOP (O_NOFOLLOW), ENOTDIR
            raise SubmissionError(f"{what} is a symbolic link, not a file: submit the notebook itself "
                                  "(links are not followed, so a link to someone else's file earns nothing)") from None
        kind = _lstat_kind(name, dir_fd)         # a socket cannot even be opened (ENXIO)
        if kind:
            raise SubmissionError(f"{what} is {kind}, not a regular file: submit the file itself") from None
        raise SubmissionError(f"{what} could not be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{what} is {_kind(info.st_mode)}, not a regular file: submit the file itself")
        if info.st_nlink != 1:
            raise SubmissionError(f"{what} is a hard link (the same file has {info.st_nlink} names, so it may "
                                  "belong to someone else): submit a copy of your own file")
        if info.st_size > max_bytes:
            raise SubmissionError(f"{what} is {info.st_size >> 20} MB, more than the {max_bytes >> 20} MB limit")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= max_bytes:                     # the file may grow after fstat: never read past the cap
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise SubmissionError(f"{what} grew past the {max_bytes >> 20} MB limit while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _lstat_kind(name: str, dir_fd: int | None) -> str | None:
    try:
        mode = os.lstat(name, dir_fd=dir_fd).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def _is_symlink(name: str, dir_fd: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode) if dir_fd is not None else os.path.islink(name)
    except OSError:
        return False


class Folder:
    """A submission folder opened without following links; files are read relative to it."""

    def __init__(self, fd: int, label: str):
        self.fd, self.label = fd, label

    @classmethod
    def open(cls, base: Path, *parts: str) -> Folder:
        """Open ``base/parts...``; every component below ``base`` must be a real folder, not a link."""
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        try:
            for part in parts:
                if part in ("", ".", "..") or "/" in part:
                    raise SubmissionError(f"the folder name {part!r} is not allowed")
                try:
                    child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                                    dir_fd=fd)
                except OSError as exc:
                    if _is_symlink(part, fd):
                        raise SubmissionError(f"the submission folder {part!r} is a symbolic link, not a folder: "
                                              "links are not followed (it could point at someone else's "
                                              "work)") from None
                    raise SubmissionError(f"the submission folder {part!r} could not be opened "
                                          f"({exc.strerror})") from None
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, "/".join(parts))

    def read(self, name: str, *, max_bytes: int, what: str | None = None) -> bytes:
        return read_regular_file(name, max_bytes=max_bytes, what=what or name, dir_fd=self.fd)

    def names(self) -> list[str]:
        return sorted(os.listdir(self.fd))

    def has(self, name: str) -> bool:
        """Whether an entry of that name exists (of any kind: reading it decides whether it is usable)."""
        try:
            os.lstat(name, dir_fd=self.fd)
            return True
        except OSError:
            return False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_submission(folder: Path, filenames: list[str]) -> dict[str, bytes | str]:
    """Per notebook file name: its bytes, or why it cannot be graded (a link, a FIFO, too large, not
    submitted). ``folder`` is ``.../submitted/<student>/<assignment>``, opened from ``submitted/`` down
    without following links; every file is judged on the descriptor it is read from."""
    from ..terminal import printable

    try:
        opened = Folder.open(folder.parent.parent, folder.parent.name, folder.name)
    except SubmissionError as exc:
        return {name: str(exc) for name in filenames}
    with opened:
        found: dict[str, bytes | str] = {}
        for name in filenames:
            if not opened.has(name):
                others = [n for n in opened.names() if n.endswith(".ipynb")]
                found[name] = f"{name} was not submitted" + (f" (found: {printable(', '.join(others))})"
                                                             if others else "")
                continue
            try:
                found[name] = opened.read(name, max_bytes=MAX_NOTEBOOK_BYTES, what="the notebook file")
            except SubmissionError as exc:
                found[name] = str(exc)
        return found


# What nbgrader keeps beside a submission's notebooks (written by `nbgrader submit`, copied by collect) and
# carries to autograded/ and feedback/: `nbgrader release_feedback` reads both from the feedback folder.
NBGRADER_RECORDS = ("timestamp.txt", "submission_secret.txt")


def read_nbgrader_records(folder: Folder) -> tuple[dict[str, bytes], dict[str, str]]:
    """The NBGRADER_RECORDS an opened submission folder holds, read like its notebooks (no links, regular
    files only, at most MAX_TIMESTAMP_BYTES each): ({file name: bytes}, {file name: why it was refused})."""
    found, refused = {}, {}
    for name in NBGRADER_RECORDS:
        if folder.has(name):
            try:
                found[name] = folder.read(name, max_bytes=MAX_TIMESTAMP_BYTES)
            except SubmissionError as exc:
                refused[name] = str(exc)
    return found, refused


def parse_timestamp(data: bytes) -> tuple[dt.datetime | None, str | None]:
    """nbgrader's ``timestamp.txt``: (the time, None) or (None, why it was not usable)."""
    from nbgrader.utils import parse_utc

    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, "timestamp.txt is not text; the submission is recorded without a submission time"
    if not text:
        return None, "timestamp.txt is empty; the submission is recorded without a submission time"
    try:
        when = parse_utc(text)
    except (ValueError, OverflowError, TypeError, ArithmeticError):     # dateutil: garbage, years past 9999, ...
        return None, (f"timestamp.txt does not hold a date ({printable_excerpt(text)}); "
                      "the submission is recorded without a submission time")
    if not isinstance(when, dt.datetime):
        return None, "timestamp.txt does not hold a date; the submission is recorded without a submission time"
    return when, None


def read_timestamp(folder: Folder) -> tuple[dt.datetime | None, str | None]:
    return submission_time(*read_nbgrader_records(folder))


def submission_time(records: dict[str, bytes], refused: dict[str, str]) -> tuple[dt.datetime | None, str | None]:
    """The time in ``read_nbgrader_records``'s timestamp.txt, or (None, why it is not usable; None if absent)."""
    if "timestamp.txt" in refused:
        return None, f"{refused['timestamp.txt']}; the submission is recorded without a submission time"
    return parse_timestamp(records["timestamp.txt"]) if "timestamp.txt" in records else (None, None)


def printable_excerpt(text: str, limit: int = 40) -> str:
    from ..terminal import printable

    return printable(text[:limit] + ("..." if len(text) > limit else ""))


SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def safe_file_stem(name: str) -> str:
    """A file name for per-student bookkeeping: the id itself when it is short and plain, otherwise a
    plain prefix and a hash (a 250-byte id, control characters or '..' never reach a file name)."""
    if SAFE_NAME.fullmatch(name) and not name.startswith("."):
        return name
    plain = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:40]
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return f"{plain}-{digest}"


def student_id_problem(name: str) -> str | None:
    """Why a folder name in ``submitted/`` cannot be recorded as a student id, or None.

    Ids come from folder names, which a student can choose through the exchange. A name with
    control characters (an escape sequence, a newline) or text-direction overrides would act on
    every terminal and CSV export that shows it; one that is not UTF-8 cannot be stored in the
    gradebook. Neither is graded: the instructor renames the folder and reruns.
    """
    from ..terminal import printable

    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return (f"the folder name {printable(name)} is not UTF-8 text, so it cannot be a student id in the "
                "gradebook: rename the folder to the student's id and rerun")
    if printable(name) != name:
        return (f"the folder name {printable(name)} contains control characters or text-direction overrides, "
                "so it cannot be a student id: rename the folder to the student's id and rerun")
    return None


MAX_UPLOAD_FILES = 1000
MAX_UPLOAD_DEPTH = 16


def upload_files(root: Path, *, max_files: int = MAX_UPLOAD_FILES, max_depth: int = MAX_UPLOAD_DEPTH
                 ) -> tuple[list[tuple[str, Path]], list[str]]:
    """(name relative to ``root``, path) of the files of an upload folder (a Gradescope submission, in
    name order), and a note (names escaped for the terminal) for everything left out: symbolic links,
    folders nested more than ``max_depth`` deep, entries past ``max_files``, folders that cannot be
    listed. Walked without recursion and without following links; the files are read later with
    ``read_regular_file``, which judges each on its opened descriptor."""
    from ..terminal import printable

    files: list[tuple[str, Path]] = []
    notes: list[str] = []
    pending: list[tuple[Path, str, int]] = [(root, "", 0)] if root.is_dir() and not root.is_symlink() else []
    seen = 0
    while pending:
        folder, prefix, depth = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = []
                for entry in listing:
                    seen += 1
                    if seen > max_files:
                        notes.append(f"more than {max_files} files and folders in the upload; the rest was not read")
                        pending.clear()
                        break
                    entries.append(entry)
        except OSError as exc:
            notes.append(f"{printable(prefix or '.')}: cannot be listed ({exc.strerror})")
            continue
        for entry in sorted(entries, key=lambda e: e.name, reverse=True):
            name = prefix + entry.name
            if entry.is_symlink():
                notes.append(f"{printable(name)}: a symbolic link, not read")
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 > max_depth:
                    notes.append(f"{printable(name)}/: folders nested more than {max_depth} deep, not read")
                else:
                    pending.append((Path(entry.path), name + "/", depth + 1))
            else:
                files.append((name, Path(entry.path)))
    return sorted(files), notes
