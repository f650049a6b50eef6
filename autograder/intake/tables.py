"""Tables from outside (poll results, rosters, mapping files: CSV or xlsx), read as hostile input.

Bounded whatever the file declares: at most ``MAX_ROWS`` rows and ``MAX_COLUMNS`` columns, cells of
at most ``MAX_CELL_CHARS`` characters (Excel's own limit), files of at most ``MAX_TABLE_BYTES``.
A CSV is decoded as UTF-8 (a BOM allowed) and split by Python's csv module; its delimiter is the
one of ``,``, ``;`` or a tab its header line uses (Excel writes ``;`` in many locales).

An xlsx is a zip of XML parts. Before openpyxl sees it: every member's declared size is checked (the
zip reader never returns more than that), and every XML part is parsed once, streaming, by
defusedxml with DTDs and entities forbidden, so no entity is ever expanded or fetched whatever
openpyxl's own configuration; the worksheets' rows and cells are counted on that pass, each cell's
position checked against the bounds. The workbook's ``<dimension>`` is never used: openpyxl is asked
for exactly the rows and columns the scan found, so a 2 kB file that declares a million rows of
16,384 columns is read as what it holds. Anything openpyxl still fails on (a damaged part, a
string index out of range) is the file's fault and becomes one ``InputError`` line.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
import warnings
import zipfile
from pathlib import Path

from ..terminal import excerpt, printable
from .inputs import InputError, open_input_file, read_input_file
from .zips import open_zip, read_member

MAX_ROWS = 20_000
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767
MAX_TABLE_BYTES = 64 * 1024 * 1024
MAX_XLSX_MEMBERS = 1_000
MAX_XML_MEMBER_BYTES = 32 * 1024 * 1024
MAX_XML_TOTAL_BYTES = 96 * 1024 * 1024
MAX_CELLS = 2_000_000
XLSX_MAGIC = b"PK\x03\x04"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


@dataclasses.dataclass(frozen=True)
class Table:
    """One sheet (or a CSV file): rows of text cells, trailing empty cells and rows dropped."""
    source: str                           # for messages: "results.xlsx, sheet 'votes'" or the CSV's path
    rows: tuple[tuple[str, ...], ...]


def _bounded(source: str, rows: list[list[str]]) -> Table:
    for number, row in enumerate(rows, start=1):
        while row and row[-1] == "":
            row.pop()
        for column, cell in enumerate(row, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise InputError(f"{source}: row {number}, column {column} holds {len(cell)} characters, more than "
                                 f"the {MAX_CELL_CHARS} a spreadsheet cell can")
    while rows and not rows[-1]:
        rows.pop()
    return Table(source, tuple(tuple(row) for row in rows))


# --- CSV ----------------------------------------------------------------------------------------------

def csv_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(raw: bytes, source: str) -> Table:
    """The table of a CSV file's bytes, or ``InputError`` (not UTF-8, too many rows or columns, a NUL ...)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (bad byte at position {exc.start}); save it as \"CSV UTF-8\" "
                         "or as an xlsx workbook") from None
    if "\x00" in text:
        raise InputError(f"{source}: holds NUL characters, so it is not a CSV text file")
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text)):
            if len(rows) >= MAX_ROWS:
                raise InputError(f"{source}: more than the {MAX_ROWS} rows accepted")
            if len(row) > MAX_COLUMNS:
                raise InputError(f"{source}: row {len(rows) + 1} has {len(row)} columns, more than the "
                                 f"{MAX_COLUMNS} accepted")
            rows.append(row)
    except csv.Error as exc:      # a field over the csv module's limit (131,072 characters), ...
        raise InputError(f"{source}: not a readable CSV file (row {len(rows) + 1}: {exc})") from None
    return _bounded(source, rows)


# --- xlsx ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class _SheetScan:
    rows: int = 0          # the highest row index holding a cell
    columns: int = 0       # the highest column index holding a cell


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def _scan_xml(data: bytes, source: str, sheet: _SheetScan | None) -> None:
    """Parse one XML part with DTDs and entities forbidden; for a worksheet, find where its cells are."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    row, column, cells = 0, 0, 0
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True,
                                        forbid_entities=True, forbid_external=True):
            if sheet is None:
                if event == "end":
                    element.clear()
                continue
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                given = element.get("r")
                row = int(given) if given is not None and given.isdigit() and len(given) <= 7 else (
                    row + 1 if given is None else MAX_ROWS + 1)
                column = 0
                if row > MAX_ROWS:
                    raise InputError(f"{source}: a row numbered {excerpt(given or row, 20)}, beyond the {MAX_ROWS} "
                                     "rows accepted")
            elif event == "start" and tag == "c":
                cells += 1
                if cells > MAX_CELLS:
                    raise InputError(f"{source}: more than {MAX_CELLS} cells")
                ref = element.get("r")
                match = _CELL_REF.fullmatch(ref) if ref is not None else None
                if ref is None:
                    column += 1
                elif match is None:
                    raise InputError(f"{source}: a cell with the position {excerpt(ref, 20)}, which is not a cell")
                else:
                    column = _column_index(match[1])
                    row = max(row, int(match[2]))
                if column > MAX_COLUMNS or row > MAX_ROWS:
                    raise InputError(f"{source}: a cell at {excerpt(ref or column, 20)}, beyond the {MAX_ROWS} rows "
                                     f"and {MAX_COLUMNS} columns accepted")
                sheet.rows, sheet.columns = max(sheet.rows, row), max(sheet.columns, column)
            elif event == "end" and tag == "row":
                element.clear()
    except InputError:
        raise
    except DefusedXmlException as exc:
        raise InputError(f"{source}: declares a DTD or XML entities ({type(exc).__name__}), which no spreadsheet "
                         "writes; refused") from None
    except Exception as exc:          # expat's ParseError and whatever a damaged part raises
        raise InputError(f"{source}: not readable XML ({type(exc).__name__}: {str(exc)[:100]})") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


class Workbook:
    """An xlsx workbook that passed the gate; ``table(name)`` reads one sheet, bounded. The file is read
    once: openpyxl reads the same bytes the gate checked."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.scans: dict[str, _SheetScan] = {}
        raw = read_input_file(self.path, max_bytes=MAX_TABLE_BYTES)
        with open_zip(raw, max_members=MAX_XLSX_MEMBERS, what="xlsx workbook", label=str(self.path)) as archive:
            self._gate(archive)
        try:
            from openpyxl import load_workbook

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")         # "no default style" and the like: not the user's concern
                self._book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            self.sheet_names = list(self._book.sheetnames)
        except Exception as exc:      # openpyxl raises many types for a damaged workbook
            raise InputError(f"{self.path}: not a readable xlsx workbook ({type(exc).__name__}: "
                             f"{str(exc)[:120]})") from None

    def _gate(self, archive: zipfile.ZipFile) -> None:
        total = 0
        for info in archive.infolist():
            name = info.filename
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            total += info.file_size
            if total > MAX_XML_TOTAL_BYTES:
                raise InputError(f"{self.path}: its XML unpacks to more than {MAX_XML_TOTAL_BYTES >> 20} MB")
            try:
                data = read_member(archive, info, MAX_XML_MEMBER_BYTES)
            except InputError as exc:
                raise InputError(f"{self.path}: {printable(name[:80])}: {exc}") from None
            sheet = _SheetScan() if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
            _scan_xml(data, f"{self.path}: {printable(name[:80])}", sheet)
            if sheet is not None:
                self.scans["/" + name] = sheet

    def table(self, name: str) -> Table:
        source = f"{self.path}, sheet {name!r}"
        try:
            sheet = self._book[name]
            part = "/" + str(getattr(sheet, "_worksheet_path", "")).lstrip("/")
            if part not in self.scans:
                raise InputError(f"{source}: stored outside xl/worksheets/ ({part[:60]}), where no spreadsheet "
                                 "puts a sheet; refused")
            scan = self.scans[part]
            if scan.rows == 0:
                return Table(source, ())
            if scan.rows * scan.columns > MAX_CELLS:
                raise InputError(f"{source}: its cells span {scan.rows} rows and {scan.columns} columns, more than "
                                 f"the {MAX_CELLS} cells accepted")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = [[_cell_text(value) for value in row]
                        for row in sheet.iter_rows(min_row=1, max_row=scan.rows, min_col=1, max_col=scan.columns,
                                                   values_only=True)]
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{source}: not readable ({type(exc).__name__}: {str(exc)[:120]})") from None
        return _bounded(source, rows[:MAX_ROWS])

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_xlsx(path: Path) -> bool:
    """Whether ``path`` looks like a workbook (an .xlsx name, or a zip's first bytes); a file that cannot
    be opened is left to the reader, which says why."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        return True
    try:
        fd = open_input_file(path, max_bytes=MAX_TABLE_BYTES)
    except InputError:
        return False
    try:
        return os.read(fd, 4) == XLSX_MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def read_csv_file(path: Path) -> Table:
    return parse_csv(read_input_file(path, max_bytes=MAX_TABLE_BYTES), str(path))


def first_table(path: Path) -> Table:
    """The table of a CSV file, or of an xlsx workbook's first sheet."""
    if not is_xlsx(path):
        return read_csv_file(path)
    with Workbook(path) as book:
        if not book.sheet_names:
            raise InputError(f"{path}: the workbook has no sheet")
        return book.table(book.sheet_names[0])
