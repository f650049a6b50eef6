"""GIFT: escaping per Moodle's importer, multiple-answer weights, a golden file, and pygiftparser."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import quiz_readers as readers
from pygiftparser import parser as pygift

from quizzes.export import export_quiz
from quizzes.export.base import gift_escape, gift_html
from quizzes.export.weights import MOODLE_GRADES

GOLDEN = Path(__file__).parent / "golden" / "lecture.gift.txt"


def test_special_characters_and_backslashes_are_escaped():
    assert gift_escape(r"~ = # { } : \ ") == r"\~ \= \# \{ \} \: \\ "
    assert gift_escape("two\nlines") == r"two\nlines"
    # LaTeX \nabla must not become a newline: its backslash is doubled before "\n" could match.
    assert gift_html(r"$\nabla L$") == r"\\(\\nabla L\\)"
    assert readers.read_gift("::q::[html]" + gift_html(r"a $\nabla L$ b") + "{=x ~y}")[0].text == r"a $\nabla L$ b"


def test_lecture_export_matches_golden_file(lecture_quiz, tmp_path):
    """Regenerate with LEARNATHON_UPDATE_GOLDEN=1 after a deliberate change."""
    text = export_quiz(lecture_quiz, "gift", tmp_path / "lecture.gift.txt").path.read_text(encoding="utf-8")
    if os.environ.get("LEARNATHON_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_multiple_answer_weights_are_moodle_grades_summing_to_100(all_quiz, nasty_quiz, tmp_path):
    for quiz in (all_quiz, nasty_quiz):
        parsed = readers.read_gift(export_quiz(quiz, "gift", tmp_path / f"{quiz.name}.gift").path.read_text())
        for question in parsed:
            if sum(correct for _, correct in question.options) > 1:
                assert all(f"{abs(w):.5f}".rstrip("0").rstrip(".") in MOODLE_GRADES for w in question.weights)
                assert sum(w for w in question.weights if w > 0) == pytest.approx(100, abs=0.01)
            else:
                assert sorted(question.weights) == [0.0] * (len(question.weights) - 1) + [100.0]


def test_reader_rejects_broken_gift():
    with pytest.raises(ValueError, match="unbalanced"):
        readers.read_gift("::q::text {=a ~b")
    with pytest.raises(ValueError, match="text after its answers"):
        readers.read_gift("::q::a } stray {=a ~b}")


def test_pygiftparser_reads_the_same_questions_and_keys(all_quiz, tmp_path):
    """pygiftparser cannot read answers containing an escaped "}" (its answer regex ends there), so those
    questions are checked by our Moodle-faithful reader only; the test asserts that this is the only gap."""
    path = export_quiz(all_quiz, "gift", tmp_path / "all.gift").path
    logging.disable(logging.CRITICAL)
    try:
        with path.open(encoding="utf-8") as handle:
            parsed = {q.title: q for q in pygift.parseFile(handle) if q.title}
    finally:
        logging.disable(logging.NOTSET)
    assert set(parsed) == {q.id for q in all_quiz.questions}
    checked = 0
    for question in all_quiz.questions:
        answers = getattr(parsed[question.id].answers, "answers", [])
        has_escaped_brace = any("}" in o.text or "}" in o.explanation for o in question.options)
        if has_escaped_brace:
            continue
        assert [(a.fraction > 0) for a in answers] == [o.correct for o in question.options], question.id
        texts = [pygift.transformSpecials(a.answer).replace("\\\\", "\\") for a in answers]
        assert [readers.lms_html_to_bank(t) for t in texts] == [o.text for o in question.options], question.id
        checked += 1
    with_braces = [q for q in all_quiz.questions if any("}" in o.text or "}" in o.explanation for o in q.options)]
    assert checked == len(all_quiz.questions) - len(with_braces) and checked >= 30   # LaTeX like \frac{a}{b}


LOOKALIKES_BANK = """
quiz: lookalikes
title: Text that looks like GIFT syntax to Moodle
questions:
  - id: leading-percent
    section: Architecture and hyperparameters
    concepts: [data-splits]
    text: "[markdown] is how the question starts"
    options:
      - text: "%20% of the data go to the test set"
        explanation: "[plain] feedback that starts with a format name"
      - text: "%15% of the data, as in the lecture"
        correct: true
        explanation: "%15% is the lecture's share"
      - text: "[html] <b> is not markup here"
        explanation: "[moodle] also stays"
      - text: "[note] an unknown bracket stays anyway"
        explanation: "x"
    explanation: "[markdown] general feedback"
  - id: leading-percent-multi
    section: Architecture and hyperparameters
    concepts: [data-splits]
    text: Several
    options:
      - text: "%50% dropout"
        correct: true
        explanation: "a"
      - text: "[markdown] twice"
        correct: true
        explanation: "b"
      - text: "neither"
        explanation: "c"
"""


def test_options_starting_like_a_weight_or_a_format_marker_arrive_unchanged(tmp_path):
    """Moodle's importer reads a leading %n% as a partial-credit weight and a leading [html], [markdown],
    [plain] or [moodle] as a text format (then drops it); the export writes those first characters as
    HTML entities, which the [html] text shows as the characters themselves."""
    from quizzes.model import parse_bank

    quiz = parse_bank(LOOKALIKES_BANK, "lookalikes.yaml")
    text = export_quiz(quiz, "gift", tmp_path / "l.gift").path.read_text(encoding="utf-8")
    assert "&\\#37;20% of the data" in text and "&\\#91;markdown]" in text
    parsed = {q.id: q for q in readers.read_gift(text)}
    for question in quiz.questions:
        back = parsed[question.id]
        assert back.options == [(o.text, o.correct) for o in question.options]
        assert back.explanations == [o.explanation for o in question.options]
        assert back.text == question.text and back.general == question.explanation
    assert parsed["leading-percent"].weights == [0.0, 100.0, 0.0, 0.0]
    assert parsed["leading-percent-multi"].weights == [50.0, 50.0, -50.0]
