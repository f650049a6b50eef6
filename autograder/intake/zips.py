"""Zip archives as hostile input: platform downloads (``read_members``) and the zip an xlsx workbook is
(``open_zip`` and ``check_members``, used by ``tables``).

Nothing in an archive decides where anything is written: member names are only *parsed* (for the
platform's ids and the student's file name), and the bytes are read with a bound. A member's size
is bounded by what the central directory declares (Python's zip reader never returns more than
that), which is checked before anything is unpacked. Every member of a download that cannot be used
comes back with the reason, so nothing is dropped silently.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import lzma
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from .inputs import InputError, open_input_file

MAX_MEMBER_BYTES = 64 * 1024 * 1024      # a notebook bigger than this is not a homework answer
MAX_MEMBERS = 20_000
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024  # what one archive may unpack to in total
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024 * 1024


class ArchiveError(InputError):
    """The archive as a whole cannot be read (not a zip, too many members, ...)."""


class _OwnedZip(zipfile.ZipFile):
    """A zip over a stream it closes with itself (zipfile leaves a passed-in stream open)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        super().__init__(stream)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._stream.close()


def open_zip(source: Path | bytes, *, max_bytes: int = MAX_ARCHIVE_BYTES, max_members: int = MAX_MEMBERS,
             what: str = "zip archive", advice: str = "", label: str | None = None) -> zipfile.ZipFile:
    """``source`` (a file: regular, at most ``max_bytes``; or bytes already read) opened as a zip of at
    most ``max_members`` members, or ``ArchiveError`` saying why not."""
    label = label or str(source if isinstance(source, Path) else "the file")
    if isinstance(source, (bytes, bytearray)):
        stream: BinaryIO = io.BytesIO(source)
    else:
        stream = os.fdopen(open_input_file(source, max_bytes=max_bytes), "rb")
    try:
        handle = _OwnedZip(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        stream.close()
        raise ArchiveError(f"{label} is not a readable {what} ({type(exc).__name__}: {str(exc)[:120]}){advice}") \
            from None
    count = len(handle.infolist())
    if count > max_members:
        handle.close()
        raise ArchiveError(f"{label} has {count} members, more than the {max_members} accepted")
    return handle


def read_member(handle: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """The bytes of one member, at most ``max_bytes`` whatever its header says; ``InputError`` if damaged."""
    if info.flag_bits & 0x1:
        raise InputError("encrypted member (cannot be read)")
    if info.file_size > max_bytes:
        raise InputError(f"{info.file_size >> 20} MB, more than the {max_bytes >> 20} MB accepted per file")
    try:
        with handle.open(info) as stream:
            data = stream.read(max_bytes + 1)   # the header's size may lie
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError, zlib.error,
            lzma.LZMAError) as exc:     # what the zip, zlib, bz2 and lzma readers raise on damaged data
        raise InputError(f"damaged member ({type(exc).__name__}: {str(exc)[:120]})") from None
    if len(data) > max_bytes:
        raise InputError(f"unpacks to more than the {max_bytes >> 20} MB accepted per file")
    return data


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
    handle = open_zip(Path(archive), what="zip archive",
                      advice="; download the submissions again with the platform's \"Download all submissions\"")
    seen: set[str] = set()
    total = 0
    with handle:
        for info in handle.infolist():
            name, naming = decoded_name(info)
            stamp = _stamp(info)

            def refuse(reason: str) -> Member:
                return Member(name, None, stamp, refused=reason, note=naming)

            if not name:                # a name that was only a NUL byte (zipfile cuts names there)
                yield refuse("a member without a name (refused)")
                continue
            if info.is_dir():
                continue

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
            try:
                data = read_member(handle, info, max_member_bytes)
            except InputError as exc:
                yield refuse(str(exc))
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
