from __future__ import annotations

import csv

from quizzes.export import export_quiz

COLUMNS = ["format", "body", "additionalText", "options", "correctOptions", "multiple", "abstentionsAllowed"]


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
