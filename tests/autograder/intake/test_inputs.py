"""The hostile-input layer's caps, at their edges: JSON (depth, digits, number length), files (kind, size),
tables (rows, columns, cells; CSV and xlsx alike)."""
from __future__ import annotations

import io
import os
import re
import sys
import threading
import zipfile

import pytest

from autograder.intake import inputs, tables
from autograder.intake.inputs import InputError, JsonRefused, parse_json


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_depth_is_counted_on_the_value_not_the_stack():
    assert parse_json(nested(inputs.MAX_JSON_DEPTH)) is not None
    with pytest.raises(JsonRefused, match="nested more than 100 levels deep") as caught:
        parse_json(nested(inputs.MAX_JSON_DEPTH + 1))
    assert caught.value.kind == "depth"
    with pytest.raises(JsonRefused, match="nested more than 100"):      # past the interpreter's stack as well
        parse_json(nested(100_000))


def test_json_depth_does_not_depend_on_where_it_is_parsed():
    """In a thread with a small stack and deep in recursion, the same file gets the same answer."""
    answers = []

    def deep(levels: int) -> None:
        if levels:
            return deep(levels - 1)
        for depth in (inputs.MAX_JSON_DEPTH, inputs.MAX_JSON_DEPTH + 1):
            try:
                parse_json(nested(depth))
                answers.append("ok")
            except JsonRefused as exc:
                answers.append(exc.kind)

    limit = sys.getrecursionlimit()
    thread = threading.Thread(target=deep, args=(limit - 400,))
    thread.start()
    thread.join()
    assert answers == ["ok", "depth"]


@pytest.mark.parametrize("text, kind, message", [
    (b"1" * 100, None, None), (b"1" * 101, "number", "a number with 101 digits"),
    (b"-" + b"1" * 5000, "number", "a number with 5001 digits"),
    (b"1." + b"0" * 200, "number", "written with 202 characters"), (b"1e999", "number", "out of range"),
    (b"NaN", "number", "NaN is not a JSON value"), (b'{"a": 1', "syntax", "ends too early"),
    (b"\xff", "encoding", "not UTF-8"), (b"\xef\xbb\xbf{}", None, None),
])
def test_json_numbers_and_text(text, kind, message):
    if kind is None:
        parse_json(text)
        return
    with pytest.raises(JsonRefused, match=message) as caught:
        parse_json(text)
    assert caught.value.kind == kind


def test_input_files_are_regular_and_capped(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    assert inputs.read_input_file(big, max_bytes=2048) == b" " * 2048
    with pytest.raises(InputError, match="2048 bytes, more than the 1024 bytes accepted"):
        inputs.read_input_file(big, max_bytes=1024)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="not a regular file"):
        inputs.read_input_file(tmp_path / "pipe", max_bytes=1024)       # and it does not block
    with pytest.raises(InputError, match="no such file"):
        inputs.read_json_file(tmp_path / "absent.json")


def test_a_csv_at_its_bounds(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["x"] * tables.MAX_COLUMNS) + "\n")
    assert len(tables.read_csv_file(wide).rows[0]) == tables.MAX_COLUMNS
    wide.write_text(",".join(["x"] * (tables.MAX_COLUMNS + 1)) + "\n")
    with pytest.raises(InputError, match="1001 columns"):
        tables.read_csv_file(wide)
    semicolons = tmp_path / "excel.csv"
    semicolons.write_bytes("\ufeffa;b\r\n1;=x\r\n".encode())
    assert tables.read_csv_file(semicolons).rows == (("a", "b"), ("1", "=x"))


def test_an_xlsx_is_read_within_its_cells_whatever_it_declares(tmp_path):
    from tests.redteam.hostile_inputs import honest_xlsx, rewrite_parts

    honest = honest_xlsx([["a", "b"], [1, None, None], [None], ["x"]])
    lying = rewrite_parts(honest, lambda name, data: re.sub(rb'<dimension ref="[^"]*"/>',
                                                            b'<dimension ref="A1:XFD1048576"/>', data))
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert b"A1:XFD1048576" in archive.read("xl/worksheets/sheet1.xml")
    path = tmp_path / "lying.xlsx"
    path.write_bytes(lying)
    assert tables.first_table(path).rows == (("a", "b"), ("1",), (), ("x",))
