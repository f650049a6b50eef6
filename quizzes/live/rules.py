"""What a vote and a lecturer's action may do: pure functions of the session's state, decided on the server.

The state of a live session is which question is shown, whether voting on it is open, and whether its
key is revealed. A participant votes for the *shown* question while voting is *open*; a vote may be
changed (the last one counts) until voting closes. Revealing the key closes voting, and moving to
another question closes voting and hides the key, so no vote is ever cast with the answer on screen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from quizzes.model import Question, Quiz

CONTROL_ACTIONS = ("next", "previous", "goto", "open", "close", "reveal", "hide")


class Refused(ValueError):
    """A request the session refuses; ``status`` is the HTTP status, the message says why and what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LiveState:
    current: int = 0          # index of the shown question
    voting_open: bool = False
    revealed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"current": self.current, "voting_open": self.voting_open, "revealed": self.revealed}


def max_selections(question: Question) -> int:
    """How many options a participant may tick: one, or as many as the question has correct options
    (Vevox's ``maxNumberSelections`` for the same question)."""
    return max(1, len(question.correct_keys))


def check_vote(quiz: Quiz, state: LiveState, question_id: Any, keys: Any) -> tuple[str, ...]:
    """The option keys of a valid vote, in bank order; Refused (with the reason) otherwise."""
    if not isinstance(question_id, str) or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise Refused(400, 'a vote is {"question": "<question id>", "options": ["A", ...]}')
    shown = quiz.questions[state.current]
    if question_id != shown.id:
        raise Refused(409, "voting on this question is closed (the lecturer has moved on); reload to see the "
                           "current question")
    if not state.voting_open:
        raise Refused(409, "voting on this question is closed")
    known = [o.key for o in shown.options]
    if not keys:
        raise Refused(400, "choose at least one option")
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise Refused(400, f"no option {unknown[0][:8]!r}; the options are {', '.join(known)}")
    if len(set(keys)) != len(keys):
        raise Refused(400, "an option is chosen twice")
    if len(keys) > max_selections(shown):
        raise Refused(400, f"choose at most {max_selections(shown)} option(s)")
    return tuple(k for k in known if k in keys)


def apply_action(quiz: Quiz, state: LiveState, action: Any, index: Any = None) -> LiveState:
    """The state after a lecturer's action; Refused for an unknown action or an index outside the quiz."""
    last = len(quiz.questions) - 1
    if action in ("next", "previous", "goto"):
        if action == "goto":
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= last:
                raise Refused(400, f"goto needs an index from 0 to {last}")
            target = index
        else:
            target = min(last, state.current + 1) if action == "next" else max(0, state.current - 1)
        if target == state.current:
            return state
        return LiveState(current=target)
    if action == "open":
        return replace(state, voting_open=True, revealed=False)
    if action == "close":
        return replace(state, voting_open=False)
    if action == "reveal":
        return replace(state, voting_open=False, revealed=True)
    if action == "hide":
        return replace(state, revealed=False)
    raise Refused(400, f"unknown action; the actions are {', '.join(CONTROL_ACTIONS)}")
