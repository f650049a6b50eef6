"""Read a platform's "download all submissions" zip as hostile input.

Nothing in an archive decides where anything is written: member names are only *parsed*
(for the platform's ids and the student's file name), and the bytes are read with a bound.
Every member that cannot be used comes back with the reason, so nothing is dropped silently.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

MAX_MEMBER_BYTES = 64 * 1024 * 1024      # a notebook bigger than this is not a homework answer
MAX_MEMBERS = 20_000
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024  # what one archive may unpack to in total


class ArchiveError(ValueError):
    """The archive as a whole cannot be read (not a zip, too many members, ...)."""


@dataclasses.dataclass(frozen=True)
class Member:
    name: str                      # the member's path in the archive, decoded
    data: bytes | None             # None when refused (``refused`` says why)
    modified: dt.datetime | None   # the time stamp stored in the archive (naive, as the platform wrote it)
    refused: str | None = None     # why the bytes were not read
    note: str | None = None        # something odd that did not stop it (a name that is not UTF-8)


def decoded_name(info: zipfile.ZipInfo) -> tuple[str, str | None]:
    """The member's name; zip names without the UTF-8 flag are cp437 by the standard, but platforms
    and desktop zippers write UTF-8 or their locale there: try UTF-8 first, say when it was neither."""
    if info.flag_bits & 0x800:
        return info.filename, None
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return info.filename, "its name is not UTF-8 (read as cp437)"


def unsafe_path(name: str) -> str | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path in the archive (refused)"
    if ".." in path.parts:
        return "path leaves the archive's folder ('..', refused)"
    if "\x00" in name:
        return "NUL byte in the name (refused)"
    return None


def read_members(archive: Path, *, max_member_bytes: int = MAX_MEMBER_BYTES,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> Iterator[Member]:
    """Every file member of ``archive``, one at a time (a class's download need not fit in memory),
    with its bytes or the reason it was refused (``refused``)."""
    try:
        handle = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise ArchiveError(f"{archive} does not exist") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{archive} is not a readable zip archive ({exc}); download the submissions "
                           "again with the platform's \"Download all submissions\"") from None
    seen: set[str] = set()
    total = 0
    with handle:
        infos = handle.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(f"{archive} has {len(infos)} members, more than the {MAX_MEMBERS} accepted")
        for info in infos:
            name, naming = decoded_name(info)
            if info.is_dir():
                continue
            stamp = _stamp(info)

            def refuse(reason: str) -> Member:
                return Member(name, None, stamp, refused=reason, note=naming)

            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                yield refuse("symbolic link (refused)")
                continue
            problem = unsafe_path(name)
            if problem:
                yield refuse(problem)
                continue
            if name in seen:
                yield refuse("the archive holds this name twice; only the first copy was used")
                continue
            seen.add(name)
            if info.flag_bits & 0x1:
                yield refuse("encrypted member (cannot be read)")
                continue
            if info.file_size > max_member_bytes:
                yield refuse(f"{info.file_size >> 20} MB, more than the {max_member_bytes >> 20} MB accepted per file")
                continue
            try:
                with handle.open(info) as stream:
                    data = stream.read(max_member_bytes + 1)   # the header's size may lie
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
                yield refuse(f"damaged member ({exc})")
                continue
            if len(data) > max_member_bytes:
                yield refuse(f"unpacks to more than the {max_member_bytes >> 20} MB accepted per file")
                continue
            total += len(data)
            if total > max_total_bytes:
                raise ArchiveError(f"{archive} unpacks to more than {max_total_bytes >> 30} GB; refused")
            yield Member(name, data, stamp, note=naming)


def _stamp(info: zipfile.ZipInfo) -> dt.datetime | None:
    try:
        return dt.datetime(*info.date_time)
    except (TypeError, ValueError):
        return None
