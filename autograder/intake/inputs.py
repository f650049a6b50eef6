"""Every file the tools read from outside the project, read as hostile input: one layer, one set of caps.

What comes in: notebooks (submission folders, platform downloads, Gradescope uploads), platform
downloads and workbooks (zip: ``zips``), poll results and rosters (CSV, xlsx: ``tables``), JSON
files (manifests, class reports). Whatever a file claims (a zip header's size, an xlsx's
``<dimension>``, a JSON number's digits), the reader decides on what it actually reads, within the
caps stated here, and a file that breaks one raises ``InputError``: one line that names the file and
what is wrong with it. Callers turn that into a line for the user and go on with the next input.

JSON is parsed by ``parse_json`` only: integers of at most 100 digits, number literals of at most
100 characters, no ``NaN``/``Infinity``, and at most 100 levels of nesting, counted on the parsed
value (a deeper file is refused the same way whatever the interpreter's stack would allow).
"""
from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, NoReturn

MAX_JSON_DEPTH = 100            # a notebook nests about 8 levels; widget state a few more
MAX_INT_DIGITS = 100
MAX_NUMBER_CHARS = 100          # any JSON writer spells a float in fewer than 30
MAX_JSON_BYTES = 64 * 1024 * 1024


class InputError(ValueError):
    """A file from outside cannot be used; the message says which file and why, in one line."""


class JsonRefused(InputError):
    """Bytes that are not JSON within the caps; ``reason`` says what (the caller names the file) and
    ``kind`` which cap: "encoding", "syntax", "depth" or "number"."""

    def __init__(self, reason: str, kind: str = "number"):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRefused(f"a number with {len(digits)} digits")
    return int(digits)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number written with {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:20]} is out of range")
    return value


def _constant(name: str) -> NoReturn:
    raise JsonRefused(f"{name} is not a JSON value")


def depth_within(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether no list or object in ``value`` is nested more than ``limit`` levels deep (iterative)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        for child in (node.values() if isinstance(node, dict) else node):
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return True


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of ``raw`` (UTF-8 bytes, a BOM allowed, or text), or ``JsonRefused`` with the reason."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonRefused(f"not UTF-8 text (bad byte at position {exc.start})", "encoding") from None
    else:
        text = raw
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        # An unterminated string runs to the end of the text: cut off inside a string.
        truncated = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        where = "it ends too early (truncated?)" if truncated else f"line {exc.lineno}, column {exc.colno}"
        raise JsonRefused(f"invalid JSON ({exc.msg}; {where})", "syntax") from None
    except RecursionError:
        raise JsonRefused(f"nested more than {MAX_JSON_DEPTH} levels deep", "depth") from None
    except JsonRefused:
        raise
    except ValueError as exc:     # the interpreter's own digit limit on int(), should parse_int change
        raise JsonRefused(f"a value out of range ({str(exc)[:80]})") from None
    if not depth_within(value):
        raise JsonRefused(f"nested more than {MAX_JSON_DEPTH} levels deep", "depth")
    return value


def _open_flags() -> int:
    # O_NONBLOCK: a FIFO given as the file must not block the command (it is refused right after).
    return os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


def open_input_file(path: str | Path, *, max_bytes: int) -> int:
    """A descriptor of ``path`` if it is a regular file of at most ``max_bytes`` (links are followed:
    the instructor names these files); ``InputError`` otherwise. The caller closes it."""
    try:
        fd = os.open(os.fspath(path), _open_flags())
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file (a folder, pipe or device); give the file itself")
        if info.st_size > max_bytes:
            raise InputError(f"{path}: {_size(info.st_size)}, more than the {_size(max_bytes)} accepted")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_input_file(path: str | Path, *, max_bytes: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``max_bytes`` (never more is read, whatever it grows to)."""
    fd = open_input_file(path, max_bytes=max_bytes)
    try:
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if total > max_bytes:
        raise InputError(f"{path}: grew past the {_size(max_bytes)} accepted while it was read")
    return b"".join(chunks)


def read_json_file(path: str | Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON value of the file at ``path``; ``InputError`` naming the file otherwise."""
    raw = read_input_file(path, max_bytes=max_bytes)
    try:
        return parse_json(raw)
    except JsonRefused as exc:
        raise InputError(f"{path}: {exc.reason}") from None


def _size(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 else f"{n} bytes"
