"""What of an exception raised by student code reaches the student's feedback.

When the grader calls a student's function, the arguments are hidden inputs. An exception that
echoes them (``raise ValueError(repr(z))``, ``assert False, z``, a library quoting its input)
would hand them back in the feedback, and so would one that names their shape
(``shapes (5,3) and (4,4) not aligned``): a shape is enough to write code that is right only
where it is tested. The grader therefore relays the exception's type, the line of the student's
cell, and a message reduced to what explains the mistake without the data: one line, at most
``MAX_CHARS`` characters, in which every number written with a decimal point or an exponent,
every long integer, every run of four or more integers and every long hex/base64-like run becomes
"...", every other integer but 0 and 1 becomes "N" (sizes, counts, indices), and a shape made only
of those becomes "(...)". Names and words survive, and with them the kind of mistake: "shapes
(...) and (...) not aligned", "index N is out of bounds for axis 0 with size N".
The message comes from the student's process, so this is done here, in the grader.
"""
from __future__ import annotations

import re

MAX_CHARS = 200
HIDDEN = "..."
SIZE = "N"
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|\d{5,}"
                     r"|\b(?:nan|inf|NaN|Inf|Infinity)\b")
_ENCODED = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_INTEGER_RUN = re.compile(r"[-+]?\d+(?:[\s,;\[\]()]+[-+]?\d+){3,}")     # 4+ integers in a row: data, not a shape
_DIMENSIONS = re.compile(r"(?<![\w.])\d+(?:[x\u00d7]\d+)+(?![\w.])")       # torch's "5x3", "5\u00d73"
_INTEGER = re.compile(r"(?<![\w.])[-+]?\d+(?![\w.])")                     # not inside a name (float32, W1, x2)
_SHAPE = re.compile(rf"[(\[](?:\s*(?:{SIZE}|[01])?\s*[,x\u00d7]?)*\s*[)\]]")
_SPACE = re.compile(r"\s+")


def _encoded(match: re.Match[str]) -> str:
    text = match.group()
    return HIDDEN if any(c.isdigit() for c in text) else text


def _size(match: re.Match[str]) -> str:
    return match.group() if match.group().lstrip("+-") in ("0", "1") else SIZE


def _dimensions(match: re.Match[str]) -> str:
    return re.sub(r"\d+", SIZE, match.group())


def _shape(match: re.Match[str]) -> str:
    """A parenthesised group of sizes only ("(N,N)", "[N, 1]", "(N,)"): the shape as a whole goes,
    so not even the number of axes is told. Empty parentheses and "(0)" stay."""
    return "(...)" if SIZE in match.group() else match.group()


def relayed_message(text: str, *, limit: int = MAX_CHARS) -> str:
    """``text`` (from student code) as it may appear in feedback: one line, numbers and shapes hidden, cut."""
    text = text if isinstance(text, str) else ""
    text = _SPACE.sub(" ", text[: limit * 20]).strip()
    text = _INTEGER_RUN.sub(HIDDEN, _NUMBER.sub(HIDDEN, _ENCODED.sub(_encoded, text)))
    text = re.sub(r"(?:[-+]?\.\.\.[\s,;\[\]()]*){2,}", "... ", text).strip()    # a whole array becomes one "..."
    text = _SHAPE.sub(_shape, _INTEGER.sub(_size, _DIMENSIONS.sub(_dimensions, text)))
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
