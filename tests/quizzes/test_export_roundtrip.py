"""bank -> every format -> parsed back by an independent reader gives the same texts, options and keys."""
from __future__ import annotations

from pathlib import Path

import pytest

from quizzes import mathtext
from quizzes.export import FORMATS, default_filename, export_quiz
from quizzes.export.base import prepare
from quizzes.export.kahoot import MAX_ANSWER, MAX_QUESTION
from tests.quizzes import quiz_readers as readers

READERS = {
    "gift": lambda path: readers.read_gift(path.read_text(encoding="utf-8")),
    "moodle-xml": readers.read_moodle_xml,
    "qti": readers.read_qti,
    "kahoot": readers.read_kahoot,
    "particify": readers.read_particify,
    "vevox": readers.read_vevox_zip,
    "html": readers.read_deck,
    "markdown": readers.read_markdown,
    "handout": readers.read_handout,
}
# Formats whose files name each question; the others are matched by position.
CARRIES_IDS = {"gift", "moodle-xml", "qti", "html", "markdown", "handout"}
CARRIES_EXPLANATIONS = {"gift", "moodle-xml", "qti", "html"}


def test_every_format_has_a_reader():
    assert set(READERS) == set(FORMATS)


def _kahoot_expected(text: str, short: str | None, limit: int) -> str:
    """Kahoot's contract: plain text within the limit, else the bank's short version (else skipped)."""
    plain = mathtext.to_plain(text)
    return plain if len(plain) <= limit else mathtext.to_plain(short)


def expected(format_name: str, question) -> tuple[str, list[tuple[str, bool]]]:
    if format_name == "kahoot":
        return (_kahoot_expected(question.text, question.short_text, MAX_QUESTION),
                [(_kahoot_expected(o.text, o.short, MAX_ANSWER), o.correct) for o in question.options])
    return question.text, [(o.text, o.correct) for o in question.options]


def roundtrip(quiz, format_name: str, tmp_path: Path, shuffle: bool):
    result = export_quiz(quiz, format_name, tmp_path / default_filename(quiz.name, format_name),
                         shuffle=shuffle, seed=11)
    parsed = READERS[format_name](result.path)
    questions = {q.id: q for q in prepare(quiz.questions, shuffle, 11)}
    return result, parsed, questions


@pytest.mark.parametrize("shuffle", [False, True], ids=["bank-order", "shuffled"])
@pytest.mark.parametrize("format_name", list(FORMATS))
@pytest.mark.parametrize("quiz_fixture", ["all_quiz", "nasty_quiz", "followup_quiz"])
def test_roundtrip_gives_same_texts_options_and_keys(quiz_fixture, format_name, shuffle, tmp_path, request):
    quiz = request.getfixturevalue(quiz_fixture)
    result, parsed, questions = roundtrip(quiz, format_name, tmp_path, shuffle)

    skipped = set(result.skipped)
    assert list(result.exported) == [q.id for q in quiz.questions if q.id not in skipped]
    assert len(parsed) == len(result.exported)
    for position, exported_id in enumerate(result.exported):
        got = parsed[position]
        if format_name in CARRIES_IDS:
            assert got.id == exported_id
        text, options = expected(format_name, questions[exported_id])
        assert got.text == text, exported_id
        assert got.options == options, exported_id
        if format_name in CARRIES_EXPLANATIONS:
            assert got.explanations == [o.explanation for o in questions[exported_id].options]


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_multiple_correct_answers_survive_every_format(format_name, lecture_quiz, tmp_path):
    result, parsed, _ = roundtrip(lecture_quiz, format_name, tmp_path, shuffle=False)
    when_sigmoid = parsed[list(result.exported).index("when-sigmoid")]
    assert [text for text, correct in when_sigmoid.options if correct] == [
        "In Binary Classification", "In Multilabel Classification"]


def test_shuffle_permutes_options_and_keeps_keys_with_their_text(all_quiz):
    shuffled = prepare(all_quiz.questions, True, 5)
    moved = 0
    for original, new in zip(all_quiz.questions, shuffled):
        assert sorted((o.text, o.correct, o.explanation) for o in new.options) == \
            sorted((o.text, o.correct, o.explanation) for o in original.options)
        assert [o.key for o in new.options] == [o.key for o in original.options]
        moved += [o.text for o in new.options] != [o.text for o in original.options]
        if original.class_results:
            by_text = {o.text: original.class_results.percentages[o.key] for o in original.options}
            assert {o.text: new.class_results.percentages[o.key] for o in new.options} == by_text
    assert moved > len(shuffled) // 2
    assert [q.options for q in prepare(all_quiz.questions, True, 5)] == [q.options for q in shuffled]


def test_kahoot_reports_every_adaptation_it_makes(all_quiz, tmp_path):
    result = export_quiz(all_quiz, "kahoot", tmp_path / "k.xlsx")
    reasons = {(a.question_id, a.action): a.reason for a in result.adaptations}
    assert "short version" in reasons[("overfitting-meaning", "adapted")]
    assert "figure" in reasons[("rising-learning-curve", "adapted")]
    assert "LaTeX" in reasons[("tanh-saturation", "adapted")]
    assert ("*", "adapted") in reasons  # explanations are dropped for every question
    for question in all_quiz.questions:
        too_long = len(mathtext.to_plain(question.text)) > MAX_QUESTION
        reported = any(a.question_id == question.id and "question text has" in a.reason for a in result.adaptations)
        assert reported == too_long, question.id
