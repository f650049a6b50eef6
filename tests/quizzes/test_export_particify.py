from __future__ import annotations

import csv

from quizzes.export import export_quiz

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
        assert all(o.explanation in row["additionalText"] for o in question.options)


def test_time_limit_travels_in_the_duration_column(all_quiz, tmp_path):
    """Particify's importer (arsnova-server's CsvService) reads a ``duration`` column: the bank's time limit."""
    path = export_quiz(all_quiz, "particify", tmp_path / "p.csv").path
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["duration"]) for row in rows] == [q.time_limit for q in all_quiz.questions]
    assert {int(row["duration"]) for row in rows} >= {30, 60, 90}
