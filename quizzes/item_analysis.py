"""Item analysis of poll results, as an LMS quiz report gives it: per question the proportion correct, the
discrimination (where per-participant answers exist) and a distractor analysis.

Definitions (classical test theory; every figure is computed over the participants who answered the
question):

* **proportion correct** p: share of respondents who chose a correct answer. A participant's answer is
  correct when they chose at least one option and only correct ones (for *When is sigmoid used?* both
  B alone and D alone count, as in the vote-count path).
* **point-biserial discrimination** r_pb (corrected item-total correlation): the Pearson correlation
  between "answered this question correctly" (0/1) and the participant's *rest score*, the number of
  the other analysed questions they answered correctly (an unanswered question counts 0). Leaving the
  question itself out of the score keeps it from correlating with itself. None when either side does
  not vary.
* **upper-lower index** D (Kelley's 27 % groups): respondents ranked by their total score (this question
  included); the top and bottom round(27 % of n) form the upper and lower group (at least one each;
  ties at a cut are broken by file order); D = p(upper) - p(lower). None with fewer than
  ``MIN_RESPONDENTS_FOR_GROUPS`` respondents.
* **distractors**: for every wrong option its votes, its share of the respondents, how many of the upper
  and lower group chose it, and the misconception it stands for (the bank's explanation of the option).
  A distractor that fewer than ``FUNCTIONAL_DISTRACTOR_SHARE`` of the class chose is "non-functional".

With vote counts only (the CSV layout) p and the distractors are computed; the discrimination needs
per-participant answers (Vevox's results report has them) and is None otherwise.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quizzes.model import Question

UPPER_LOWER_FRACTION = 0.27
MIN_RESPONDENTS_FOR_GROUPS = 4
FUNCTIONAL_DISTRACTOR_SHARE = 0.05
# Usual reading of the discrimination (Ebel): >= 0.4 very good, 0.3-0.39 good, 0.2-0.29 review, < 0.2 poor.
REVIEW_DISCRIMINATION = 0.2


@dataclass(frozen=True)
class ResponseMatrix:
    """Per-participant answers: for each question id, one entry per participant in ``participants`` order,
    the set of option keys (bank letters) they chose, or None when they did not answer."""
    participants: tuple[str, ...]
    answers: dict[str, tuple[frozenset[str] | None, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {"participants": list(self.participants),
                "answers": {qid: [sorted(a) if a is not None else None for a in column]
                            for qid, column in self.answers.items()}}


@dataclass(frozen=True)
class DistractorStatistics:
    key: str
    text: str
    votes: int
    share: float  # of the respondents, 0..1
    misconception: str  # the bank's explanation of this wrong option
    upper_votes: int | None = None
    lower_votes: int | None = None

    @property
    def functional(self) -> bool:
        return self.share >= FUNCTIONAL_DISTRACTOR_SHARE

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "votes": self.votes, "share": round(self.share, 4),
                "misconception": self.misconception, "functional": self.functional,
                "upper_votes": self.upper_votes, "lower_votes": self.lower_votes}


@dataclass(frozen=True)
class ItemStatistics:
    question_id: str
    respondents: int
    correct: int
    point_biserial: float | None = None
    upper_lower: float | None = None
    group_size: int | None = None  # participants in each of the upper and lower group
    distractors: tuple[DistractorStatistics, ...] = ()
    per_participant: bool = False  # computed from per-participant answers (else from vote counts)

    @property
    def proportion_correct(self) -> float:
        return self.correct / self.respondents if self.respondents else 0.0

    @property
    def top_distractor(self) -> DistractorStatistics | None:
        """The wrong option most respondents chose (None if nobody chose a wrong one)."""
        chosen = [d for d in self.distractors if d.votes > 0]
        return max(chosen, key=lambda d: d.votes) if chosen else None

    @property
    def flags(self) -> tuple[str, ...]:
        """What an instructor should look at, in words."""
        flags = []
        discrimination = self.point_biserial if self.point_biserial is not None else self.upper_lower
        if discrimination is not None and discrimination < 0:
            flags.append("negative discrimination: stronger students got it wrong more often; check the key")
        elif discrimination is not None and discrimination < REVIEW_DISCRIMINATION:
            flags.append(f"low discrimination ({discrimination:.2f} < {REVIEW_DISCRIMINATION})")
        top = self.top_distractor
        if top is not None and top.votes > self.correct:
            flags.append(f"more respondents chose {top.key} than a correct answer")
        if self.upper_lower is not None and top is not None and top.upper_votes is not None \
                and top.upper_votes > (top.lower_votes or 0):
            flags.append(f"distractor {top.key} drew more of the upper group than of the lower")
        return tuple(flags)

    def to_dict(self) -> dict[str, Any]:
        def rounded(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {"question_id": self.question_id, "respondents": self.respondents, "correct": self.correct,
                "proportion_correct": round(self.proportion_correct, 4),
                "point_biserial": rounded(self.point_biserial), "upper_lower": rounded(self.upper_lower),
                "group_size": self.group_size, "distractors": [d.to_dict() for d in self.distractors],
                "per_participant": self.per_participant, "flags": list(self.flags)}


# --- the figures ----------------------------------------------------------------------------------

def is_correct(question: Question, chosen: frozenset[str] | None) -> bool:
    return chosen is not None and bool(chosen) and chosen <= set(question.correct_keys)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; None when either variable is constant (or fewer than two values)."""
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def scores(questions: Sequence[Question], matrix: ResponseMatrix) -> list[int]:
    """Number of correct answers per participant over ``questions`` (unanswered counts 0)."""
    totals = [0] * len(matrix.participants)
    for question in questions:
        for index, chosen in enumerate(matrix.answers[question.id]):
            totals[index] += is_correct(question, chosen)
    return totals


def upper_lower_groups(respondents: Sequence[int], totals: Sequence[int]) -> tuple[list[int], list[int]] | None:
    """Participant indices of the upper and lower 27 % of ``respondents`` by total score, or None if too few."""
    if len(respondents) < MIN_RESPONDENTS_FOR_GROUPS:
        return None
    size = max(1, round(UPPER_LOWER_FRACTION * len(respondents)))
    ranked = sorted(respondents, key=lambda i: -totals[i])  # stable: ties keep file order
    return ranked[:size], ranked[-size:]


def _distractors(question: Question, votes: dict[str, int], respondents: int,
                 chosen_by: dict[str, set[int]] | None,
                 groups: tuple[list[int], list[int]] | None) -> tuple[DistractorStatistics, ...]:
    out = []
    for option in question.options:
        if option.correct:
            continue
        upper = lower = None
        if chosen_by is not None and groups is not None:
            upper = len(chosen_by[option.key] & set(groups[0]))
            lower = len(chosen_by[option.key] & set(groups[1]))
        out.append(DistractorStatistics(option.key, option.text, votes.get(option.key, 0),
                                        votes.get(option.key, 0) / respondents if respondents else 0.0,
                                        option.explanation, upper, lower))
    return tuple(out)


def from_votes(question: Question, votes: dict[str, int]) -> ItemStatistics:
    """Item statistics from vote counts only (one vote per respondent): no discrimination."""
    respondents = sum(votes.values())
    correct = sum(votes.get(k, 0) for k in question.correct_keys)
    return ItemStatistics(question.id, respondents, correct,
                          distractors=_distractors(question, votes, respondents, None, None))


def from_matrix(questions: Sequence[Question], matrix: ResponseMatrix) -> list[ItemStatistics]:
    """Item statistics for every question of ``questions`` (all of them columns of ``matrix``)."""
    totals = scores(questions, matrix)
    items = []
    for question in questions:
        column = matrix.answers[question.id]
        respondents = [i for i, chosen in enumerate(column) if chosen is not None]
        right = [int(is_correct(question, column[i])) for i in respondents]
        rest = [totals[i] - r for i, r in zip(respondents, right)]
        groups = upper_lower_groups(respondents, totals)
        upper_lower = None
        if groups is not None:
            upper, lower = groups
            upper_lower = (sum(is_correct(question, column[i]) for i in upper)
                           - sum(is_correct(question, column[i]) for i in lower)) / len(upper)
        chosen_by = {o.key: {i for i in respondents if o.key in (column[i] or ())} for o in question.options}
        votes = {key: len(who) for key, who in chosen_by.items()}
        items.append(ItemStatistics(
            question.id, len(respondents), sum(right),
            point_biserial=pearson(right, rest) if len(questions) > 1 else None,
            upper_lower=upper_lower, group_size=len(groups[0]) if groups else None,
            distractors=_distractors(question, votes, len(respondents), chosen_by, groups), per_participant=True))
    return items
