"""Taking files out of a submission folder: one regular file, decided on the opened descriptor."""
from __future__ import annotations

import os
import stat

import pytest

from autograder.intake.files import (
    Folder,
    SubmissionError,
    parse_timestamp,
    read_regular_file,
    read_timestamp,
    safe_file_stem,
)
from autograder.terminal import printable


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "sub").mkdir()
    return tmp_path / "sub"


def test_a_regular_file_is_read(folder):
    (folder / "a.ipynb").write_bytes(b"{}")
    assert read_regular_file(folder / "a.ipynb", max_bytes=10, what="it") == b"{}"


@pytest.mark.parametrize("make, reason", [
    (lambda p, t: os.symlink(t / "target", p), "symbolic link"),
    (lambda p, t: os.link(t / "target", p), "hard link"),
    (lambda p, t: os.mkfifo(p), "named pipe"),
    (lambda p, t: p.mkdir(), "a folder"),
    (lambda p, t: os.mknod(p, stat.S_IFCHR | 0o600, os.makedev(1, 5)), "character device"),
    (lambda p, t: None, "could not be opened"),
])
def test_anything_but_one_regular_file_is_refused_with_its_kind(folder, tmp_path, make, reason):
    (tmp_path / "target").write_text("secret")
    make(folder / "a.ipynb", tmp_path)
    with pytest.raises(SubmissionError, match=reason):
        read_regular_file(folder / "a.ipynb", max_bytes=100, what="the notebook file")


def test_a_file_over_the_cap_is_refused_before_it_is_read(folder):
    with open(folder / "big", "wb") as handle:
        handle.truncate(3 << 20)
    with pytest.raises(SubmissionError, match="3 MB, more than the 1 MB limit"):
        read_regular_file(folder / "big", max_bytes=1 << 20, what="the notebook file")


def test_a_folder_is_opened_without_following_links(tmp_path):
    (tmp_path / "real" / "tiny").mkdir(parents=True)
    (tmp_path / "real" / "tiny" / "x").write_text("mine")
    os.symlink(tmp_path / "real", tmp_path / "linked")
    with Folder.open(tmp_path, "real", "tiny") as opened:
        assert opened.read("x", max_bytes=10) == b"mine"
    with pytest.raises(SubmissionError, match="symbolic link"):
        Folder.open(tmp_path, "linked", "tiny")
    with pytest.raises(SubmissionError, match="not allowed"):
        Folder.open(tmp_path, "..")


@pytest.mark.parametrize("data", [b"9" * 5000, b"99999999999999999999", b"\xff\xfe\x00", b"", b"garbage",
                                  b"99999-01-01 00:00:00"])
def test_an_unusable_timestamp_is_no_timestamp_with_a_note(data):
    when, note = parse_timestamp(data)
    assert when is None and "timestamp.txt" in note


def test_a_good_timestamp_is_parsed():
    when, note = parse_timestamp(b"2026-01-01 12:00:00.000000 UTC\n")
    assert when.year == 2026 and note is None


def test_a_fifo_timestamp_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "timestamp.txt")
    with Folder.open(tmp_path) as opened:
        when, note = read_timestamp(opened)
    assert when is None and "named pipe" in note


@pytest.mark.parametrize("student", ["m" * 250, "a\nb", "..", "x/../y", "\x1b[2J", "é" * 100])
def test_bookkeeping_file_names_are_short_plain_and_distinct(student):
    stem = safe_file_stem(student)
    assert len(stem.encode()) <= 80 and stem.isascii() and "/" not in stem and not stem.startswith(".")
    assert stem != safe_file_stem(student + "x")


def test_plain_ids_keep_their_name():
    assert safe_file_stem("ada-lovelace_1") == "ada-lovelace_1"


@pytest.mark.parametrize("text, shown", [
    ("\x1b[2Jok", "\\x1b[2Jok"), ("a\nb", "a\\nb"), ("\r", "\\r"), ("\u202e", "\\u202e"),
    ("\x9b31m", "\\x9b31m"), (os.fsdecode(b"\xff"), "\\xff"), ("plain é ü 😀", "plain é ü 😀"),
])
def test_terminal_text_shows_control_characters_as_escapes(text, shown):
    assert printable(text) == shown


def test_multiline_terminal_text_keeps_only_the_line_breaks():
    assert printable("a\x1b[1m\nb\r", multiline=True) == "a\\x1b[1m\nb\\r"


@pytest.mark.parametrize("student, reason", [
    ("a\nb", "control characters"), ("\x1b[2Jx", "control characters"), ("x\u202ey", "text-direction"),
    (os.fsdecode(b"m\xff"), "not UTF-8"),
])
def test_a_folder_name_that_cannot_be_a_student_id_says_why(student, reason):
    from autograder.intake.files import student_id_problem

    problem = student_id_problem(student)
    assert reason in problem and not any(ord(c) < 32 for c in problem)


@pytest.mark.parametrize("student", ["ada", "m" * 250, "José Núñez", "a+b", "x..y", "o'brien"])
def test_ordinary_ids_are_fine(student):
    from autograder.intake.files import student_id_problem

    assert student_id_problem(student) is None
