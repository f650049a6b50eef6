"""What of an exception raised by student code reaches the student's feedback.

When the grader calls a student's function, the arguments are hidden inputs. An exception that
echoes them (``raise ValueError(repr(z))``, ``assert False, z``, a library quoting its input)
would hand them back in the feedback. The grader therefore relays the exception's type, the line
of the student's cell, and a message reduced to what explains the mistake without the data: one
line, at most ``MAX_CHARS`` characters, with every number written with a decimal point or an
exponent, every integer of five or more digits, every run of four or more integers and every
long hex/base64-like run replaced by "...". Shapes, small counts, names and words survive
("shapes (5,3) and (4,4) not aligned").
The message comes from the student's process, so this is done here, in the grader.
"""
from __future__ import annotations

import re

MAX_CHARS = 200
HIDDEN = "..."
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|\d{5,}"
                     r"|\b(?:nan|inf|NaN|Inf|Infinity)\b")
_ENCODED = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_INTEGER_RUN = re.compile(r"[-+]?\d+(?:[\s,;\[\]()]+[-+]?\d+){3,}")     # 4+ integers in a row: data, not a shape
_SPACE = re.compile(r"\s+")


def _encoded(match: re.Match) -> str:
    text = match.group()
    return HIDDEN if any(c.isdigit() for c in text) else text


def relayed_message(text: str, *, limit: int = MAX_CHARS) -> str:
    """``text`` (from student code) as it may appear in feedback: one line, numbers hidden, cut."""
    text = text if isinstance(text, str) else ""
    text = _SPACE.sub(" ", text[: limit * 20]).strip()
    text = _INTEGER_RUN.sub(HIDDEN, _NUMBER.sub(HIDDEN, _ENCODED.sub(_encoded, text)))
    text = re.sub(r"(?:[-+]?\.\.\.[\s,;\[\]()]*){2,}", "... ", text).strip()    # a whole array becomes one "..."
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
