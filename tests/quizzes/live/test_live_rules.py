"""The session's rules: which votes count and what the lecturer's actions do (pure functions)."""
from __future__ import annotations

import pytest

from quizzes.live.rules import LiveState, Refused, apply_action, check_vote, max_selections


def test_a_vote_counts_only_for_the_shown_question_while_voting_is_open(lecture_quiz):
    shown = lecture_quiz.questions[1]
    with pytest.raises(Refused, match="closed") as closed:
        check_vote(lecture_quiz, LiveState(current=1), shown.id, ["B"])
    assert closed.value.status == 409
    open_state = LiveState(current=1, voting_open=True)
    assert check_vote(lecture_quiz, open_state, shown.id, ["B"]) == ("B",)
    with pytest.raises(Refused, match="moved on"):
        check_vote(lecture_quiz, open_state, lecture_quiz.questions[0].id, ["C"])


@pytest.mark.parametrize("keys, message", [
    ([], "at least one"), (["Z"], "no option 'Z'"), (["B", "B"], "twice"), (["A", "B"], "at most 1"),
    ("B", "a vote is"), ([1], "a vote is"), (["B" * 5000], "no option 'BBBBBBBB'"),
])
def test_a_malformed_vote_is_refused_with_the_reason(lecture_quiz, keys, message):
    state = LiveState(current=1, voting_open=True)
    with pytest.raises(Refused, match=message) as refused:
        check_vote(lecture_quiz, state, lecture_quiz.questions[1].id, keys)
    assert refused.value.status == 400
    assert len(str(refused.value)) < 200  # a huge key is not echoed back


def test_a_question_with_several_correct_options_takes_that_many(lecture_quiz):
    several = next(i for i, q in enumerate(lecture_quiz.questions) if q.multiple_correct)
    question = lecture_quiz.questions[several]
    assert max_selections(question) == len(question.correct_keys) == 2
    state = LiveState(current=several, voting_open=True)
    assert check_vote(lecture_quiz, state, question.id, ["D", "B"]) == ("B", "D")  # bank order
    with pytest.raises(Refused, match="at most 2"):
        check_vote(lecture_quiz, state, question.id, ["A", "B", "D"])


def test_moving_closes_voting_and_hides_the_key_and_revealing_closes_voting(lecture_quiz):
    state = apply_action(lecture_quiz, LiveState(), "open")
    assert state == LiveState(0, True, False)
    revealed = apply_action(lecture_quiz, state, "reveal")
    assert revealed == LiveState(0, False, True)
    assert apply_action(lecture_quiz, revealed, "next") == LiveState(1, False, False)
    assert apply_action(lecture_quiz, LiveState(), "previous") == LiveState()
    last = len(lecture_quiz.questions) - 1
    assert apply_action(lecture_quiz, LiveState(), "goto", last) == LiveState(last)
    assert apply_action(lecture_quiz, LiveState(last), "next") == LiveState(last)
    for action, index in [("goto", last + 1), ("goto", True), ("goto", "3"), ("explode", None), (None, None)]:
        with pytest.raises(Refused):
            apply_action(lecture_quiz, LiveState(), action, index)
