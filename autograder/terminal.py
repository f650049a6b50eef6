"""The one terminal writer: every line the tools print goes through ``say``, and nothing else prints.

Student ids, file names in an upload, exception messages, cells of a results file and names on a
platform can carry escape sequences that clear the screen, move the cursor, rewrite a line ("ALL 29
TESTS PASSED") or hide text behind bidirectional overrides. Two layers keep them off the terminal:

* ``say(text)`` prints text the grader laid out: every control character (C0, DEL, C1), every
  bidirectional embedding, override or isolate, the line and paragraph separators and the
  undecodable bytes of a file name are shown as visible escapes (``\\x1b``); only the line breaks of
  the layout remain. A field from outside is put into the text with ``printable`` (or ``excerpt``),
  which escapes line breaks too, so it cannot forge a line.
* While a command runs (``guarded_streams``, entered by the ``learnathon`` command group and the
  Gradescope runner), ``sys.stdout`` and ``sys.stderr`` are replaced by writers that apply the same
  escaping to whatever reaches them: click's own error messages, a library's warning, a print that
  slipped past review. So no byte that acts on a terminal leaves the process, by construction.

``tests/autograder/test_one_writer.py`` fails when a module outside this one calls ``print``, ``click.echo`` or
writes to ``sys.stdout``/``sys.stderr``. HTML feedback escapes on its own (Jinja autoescape).
"""
from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import click

# C0 controls, DEL, C1 controls, bidi marks/embeddings/overrides/isolates, line/paragraph separators,
# and the lone surrogates that undecodable file names turn into (surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
_UNSAFE_KEEP_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028"
                                  "\u2029\ud800-\udfff]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:           # a raw byte of an undecodable name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: object, *, multiline: bool = False) -> str:
    """``text`` with every character that could act on a terminal shown as a visible escape.

    ``multiline`` keeps line breaks (for multi-line reports whose layout the grader made);
    otherwise a newline in a student's text is shown as ``\\n`` so it cannot forge a line.
    """
    text = text if isinstance(text, str) else str(text)
    return (_UNSAFE_KEEP_NEWLINE if multiline else _UNSAFE).sub(_escape, text)


def excerpt(text: object, limit: int = 60) -> str:
    """A field from outside for a one-line message: quoted, escaped, cut to ``limit`` characters."""
    text = text if isinstance(text, str) else str(text)
    cut = printable(text[:limit] + ("..." if len(text) > limit else ""))
    if "'" in cut and '"' not in cut:          # quoted as repr() quotes
        return f'"{cut}"'
    return "'" + cut.replace("'", "\\'") + "'"


def say(text: object = "", *, err: bool = False) -> None:
    """Print ``text`` (laid out by the grader; its line breaks kept, every other control escaped)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(printable(text, multiline=True) + "\n")
    stream.flush()


def warn(text: object) -> None:
    """``say`` on standard error."""
    say(text, err=True)


class _Guard:
    """A text stream that escapes, as ``printable(multiline=True)`` does, whatever is written to it."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        self.errors = "backslashreplace"

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")   # click probes with b""
        self._stream.write(printable(text, multiline=True))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(getattr(self._stream, "closed", False))


@contextlib.contextmanager
def guarded_streams() -> Iterator[None]:
    """Standard output and error escaped as ``say`` escapes them, until the block ends."""
    saved = sys.stdout, sys.stderr
    if isinstance(sys.stdout, _Guard):          # nested: already guarded
        yield
        return
    sys.stdout, sys.stderr = _Guard(sys.stdout), _Guard(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def guarded_group() -> type[click.Group]:
    """A click group class whose commands run inside ``guarded_streams`` (the ``learnathon`` group and
    the ``quiz`` group, which also runs on its own)."""
    import click

    class GuardedGroup(click.Group):
        def main(self, *args: Any, **kwargs: Any) -> Any:   # click's own signature and result
            with guarded_streams():
                return super().main(*args, **kwargs)

    return GuardedGroup
