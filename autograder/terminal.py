"""Text for the instructor's terminal, built from what students control (ids, messages, names).

A student id chosen through the exchange or an exception message can carry escape sequences
that clear the screen, move the cursor or rewrite a line ("ALL 29 TESTS PASSED"). Every line
printed from student-controlled data goes through ``printable``: control characters (C0, DEL,
C1), bidirectional overrides and undecodable bytes are shown as visible escapes (``\\x1b``)
instead of acting on the terminal. HTML feedback escapes on its own (Jinja autoescape).
"""
from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line/paragraph separators,
# and the lone surrogates that undecodable file names turn into (surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:           # a raw byte of an undecodable name
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text, *, multiline: bool = False) -> str:
    """``text`` with every character that could act on a terminal shown as a visible escape.

    ``multiline`` keeps line breaks (for multi-line reports whose layout the grader made);
    otherwise a newline in a student's text is shown as ``\\n`` so it cannot forge a line.
    """
    text = text if isinstance(text, str) else str(text)
    if not multiline:
        return _UNSAFE.sub(_escape, text)
    return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
