from __future__ import annotations

import csv

from quizzes.export import export_quiz
from quizzes.export.base import markdown_escape

COLUMNS = ["format", "body", "additionalText", "options", "correctOptions", "multiple", "abstentionsAllowed",
           "duration"]


def test_columns_multiple_flag_and_explanations(all_quiz, tmp_path):
    path = export_quiz(all_quiz, "particify", tmp_path / "p.csv").path
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    assert len(rows) == len(all_quiz.questions)
    for row, question in zip(rows, all_quiz.questions):
        assert row["format"] == "CHOICE"
        assert row["multiple"] == ("true" if question.multiple_correct else "false")
        assert len(row["correctOptions"].split("\n")) == len(question.correct_keys)
        assert all(markdown_escape(o.explanation) in row["additionalText"] for o in question.options)


def test_time_limit_travels_in_the_duration_column(all_quiz, tmp_path):
    """Particify's importer (arsnova-server's CsvService) reads a ``duration`` column: the bank's time limit."""
    path = export_quiz(all_quiz, "particify", tmp_path / "p.csv").path
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["duration"]) for row in rows] == [q.time_limit for q in all_quiz.questions]
    assert {int(row["duration"]) for row in rows} >= {30, 60, 90}


def test_markdown_syntax_in_the_bank_shows_as_typed_where_particify_renders_markdown(tmp_path):
    """Bank text is plain text; Particify renders Markdown, so a backtick must not make code (issue 23)."""
    import html
    import re

    import mistune

    from quizzes.model import parse_bank

    quiz = parse_bank(r'''
quiz: p
title: P
questions:
  - id: markup
    section: Neural network basics
    concepts: [forward-pass]
    text: "Is `nn.Linear(1, 10)` a *layer* of w_1 and [this](x)?"
    explanation: "Yes: `nn.Linear` holds **W** and b, $z = Wx + b$."
    options:
      - {text: "`yes`", correct: true, explanation: "*right*"}
      - {text: "no_1 and no_2", explanation: "see `nn.Linear`"}
''', "p.yaml")
    path = export_quiz(quiz, "particify", tmp_path / "p.csv").path
    with path.open(newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    cells = [row["body"], row["additionalText"], *row["options"].split("\n"), *row["correctOptions"].split("\n")]
    for cell in cells:
        rendered = mistune.html(cell)
        assert not re.search(r"<(code|em|strong|a)\b", rendered), (cell, rendered)
    shown = html.unescape(re.sub(r"<[^>]+>", "", mistune.html(row["body"]))).strip()
    assert shown == "Is `nn.Linear(1, 10)` a *layer* of w_1 and [this](x)?"
    assert row["correctOptions"] in row["options"].split("\n")     # matched by text by Particify's importer
    assert "$z = Wx + b$" in row["additionalText"]                   # math is left for KaTeX
