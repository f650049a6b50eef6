"""Kahoot xlsx: the template's layout and limits, read back with openpyxl; adaptations, never truncation."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from quizzes.export import ExportError, export_quiz
from quizzes.export.kahoot import HEADER, HEADER_ROW, TIME_LIMITS, kahoot_row
from quizzes.model import parse_bank

OFFICIAL_HEADER = ["Question - max 120 characters", "Answer 1 - max 75 characters", "Answer 2 - max 75 characters",
                   "Answer 3 - max 75 characters", "Answer 4 - max 75 characters",
                   "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
                   "Correct answer(s) - choose at least one"]


def test_layout_and_limits(all_quiz, tmp_path):
    result = export_quiz(all_quiz, "kahoot", tmp_path / "k.xlsx")
    sheet = load_workbook(result.path).worksheets[0]
    assert [c.value for c in sheet[HEADER_ROW]][1:] == OFFICIAL_HEADER
    assert sheet["B2"].value == "Quiz template"
    rows = [r for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[1]]
    assert [r[0] for r in rows] == list(range(1, len(result.exported) + 1))
    for _number, question, *answers, limit, correct in rows:
        filled = [a for a in answers if a]
        assert len(question) <= 120 and all(len(a) <= 75 for a in filled) and len(filled) >= 2
        assert limit in TIME_LIMITS
        assert all(1 <= int(k) <= len(filled) for k in str(correct).split(","))


def test_too_many_options_or_no_short_version_is_skipped_and_reported():
    text = """
quiz: k
title: K
questions:
  - id: five-options
    section: Neural network basics
    concepts: [forward-pass]
    text: Pick one
    options: [{text: a, correct: true, explanation: x}, {text: b, explanation: x}, {text: c, explanation: x},
              {text: d, explanation: x}, {text: e, explanation: x}]
  - id: long-option
    section: Neural network basics
    concepts: [forward-pass]
    text: Pick one
    options: [{text: "%s", correct: true, explanation: x}, {text: b, explanation: x}]
""" % ("y" * 80)
    quiz = parse_bank(text, "k.yaml")
    for question, reason in zip(quiz.questions, ["5 options; Kahoot allows 4", "option A has 80 characters"]):
        row, notes = kahoot_row(question)
        assert row is None
        assert notes[0].action == "skipped" and reason in notes[0].reason
    with pytest.raises(ExportError, match="every question had to be skipped"):
        export_quiz(quiz, "kahoot", "/nonexistent/never-written.xlsx")


def test_text_starting_with_equals_stays_text(tmp_path):
    quiz = parse_bank("""
quiz: k
title: K
questions:
  - id: formula-like
    section: Neural network basics
    concepts: [forward-pass]
    text: "=SUM(A1:A3) is not a formula here"
    options: [{text: "=1+1", correct: true, explanation: x}, {text: "2", explanation: x}]
""", "k.yaml")
    sheet = load_workbook(export_quiz(quiz, "kahoot", tmp_path / "k.xlsx").path).worksheets[0]
    assert sheet.cell(HEADER_ROW + 1, 2).value == "=SUM(A1:A3) is not a formula here"
    assert sheet.cell(HEADER_ROW + 1, 3).data_type == "s"


def test_header_constant_matches_the_official_template():
    assert list(HEADER[1:]) == OFFICIAL_HEADER


def test_math_arrives_as_readable_plain_text_without_latex_leftovers(all_quiz, tmp_path):
    """Kahoot shows text as typed: no "_(", "^(", braces, backslashes or dollars may reach it."""
    sheet = load_workbook(export_quiz(all_quiz, "kahoot", tmp_path / "k.xlsx").path).worksheets[0]
    cells = [c for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True) for c in row[1:6] if c]
    for cell in cells:
        for leftover in ("_(", "^(", "_{", "^{", "\\", "$"):
            assert leftover not in cell, (leftover, cell)
    assert "Cross-entropy: ℒᵢ = -Σ[c=1…M] y[i,c] log(model_c(xᵢ))" in cells
    assert "Mean squared error: 1/N Σᵢ₌₁ᴺ (yᵢ - model(xᵢ))²" in cells
