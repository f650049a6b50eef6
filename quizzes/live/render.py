"""A question as the live pages show it, and the snapshots the server pushes to them.

Text is escaped and math pre-rendered to MathML on the server (``quizzes.mathtext``, as the slide deck
does), so the pages load no math library; a figure is an SVG the server draws and serves itself. A
participant's snapshot carries the key and the explanations only once the lecturer reveals them, and
never a vote count; the lecturer's adds the counts and the participant count.
"""
from __future__ import annotations

from typing import Any

from quizzes import mathtext
from quizzes.figures import FIGURE_DESCRIPTIONS
from quizzes.live.rules import LiveState, max_selections
from quizzes.model import Question, Quiz


def question_payload(question: Question, index: int, total: int, revealed: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "index": index, "total": total, "id": question.id, "section": question.section,
        "html": mathtext.to_mathml_html(question.text), "max_selections": max_selections(question),
        "figure": f"/figure/{question.figure}.svg" if question.figure else None,
        "figure_alt": FIGURE_DESCRIPTIONS.get(question.figure or "", ""),
        "options": [{"key": o.key, "html": mathtext.to_mathml_html(o.text)} for o in question.options],
    }
    if revealed:
        payload["correct"] = list(question.correct_keys)
        payload["explanation_html"] = mathtext.to_mathml_html(question.explanation)
        for option, shown in zip(question.options, payload["options"]):
            shown["explanation_html"] = mathtext.to_mathml_html(option.explanation)
    return payload


def public_snapshot(quiz: Quiz, code: str, state: LiveState) -> dict[str, Any]:
    """What every participant sees: the shown question, whether voting is open, the key once revealed."""
    question = quiz.questions[state.current]
    return {"code": code, "title": quiz.title, "state": state.to_dict(),
            "question": question_payload(question, state.current, len(quiz.questions), state.revealed)}


def lecturer_snapshot(quiz: Quiz, code: str, state: LiveState, counts: dict[str, int], respondents: int,
                      participants: int, seq: int) -> dict[str, Any]:
    """The public snapshot with the key (always), the votes on the shown question and the participant count."""
    snapshot = public_snapshot(quiz, code, state)
    question = quiz.questions[state.current]
    snapshot["question"] = question_payload(question, state.current, len(quiz.questions), True)
    snapshot.update(counts={o.key: counts.get(o.key, 0) for o in question.options}, respondents=respondents,
                    participants=participants, seq=seq,
                    questions=[{"index": i, "id": q.id} for i, q in enumerate(quiz.questions)])
    return snapshot
