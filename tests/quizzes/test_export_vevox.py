"""Vevox export (UNVERIFIED format): polls.json in a zip with exactly the fields public material names."""
from __future__ import annotations

import json
import zipfile

from quizzes.export import export_quiz


def test_polls_json_fields_math_and_multiple_answers(all_quiz, tmp_path):
    result = export_quiz(all_quiz, "vevox", tmp_path / "v.vevox.zip")
    with zipfile.ZipFile(result.path) as archive:
        assert archive.namelist() == ["polls.json"]
        polls = json.loads(archive.read("polls.json"))
    assert len(polls) == len(all_quiz.questions) == len(result.exported)
    assert all(set(p) == {"@type", "text", "choices", "minNumberSelections", "maxNumberSelections",
                          "correctAnswerExplanation"} for p in polls)
    by_id = dict(zip(result.exported, polls))
    sigmoid = by_id["when-sigmoid"]
    assert [c["isCorrectAnswer"] for c in sigmoid["choices"]] == [False, True, False, True]
    assert (sigmoid["minNumberSelections"], sigmoid["maxNumberSelections"]) == (1, 2)
    step = by_id["learning-rate-too-high"]
    assert step["text"].startswith(r"In the update $$w'_{11} = w_{11} - \alpha \frac{\partial L}{\partial w_{11}}$$")
    assert "Drastic updates jump across the valley" in step["correctAnswerExplanation"]
    assert "That is a too-small learning rate." not in step["correctAnswerExplanation"]  # a wrong option's


def test_the_export_says_it_is_unverified(lecture_quiz, tmp_path):
    result = export_quiz(lecture_quiz, "vevox", tmp_path / "v.zip")
    reasons = [a.reason for a in result.adaptations if a.question_id == "*"]
    assert any("unverified" in r for r in reasons)
    assert any(a.question_id == "rising-learning-curve" and "figure" in a.reason for a in result.adaptations)
    assert export_quiz(lecture_quiz, "vevox", tmp_path / "w.zip").path.read_bytes() == result.path.read_bytes()
