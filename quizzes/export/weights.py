"""Answer weights for multiple-answer questions in Moodle (GIFT and XML)."""
from __future__ import annotations

from quizzes.model import Question

# Moodle accepts only these grades (percent); 100/n is among them for n = 1..10 except 7 (14.28571).
MOODLE_GRADES = ("100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
                 "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5")


def moodle_grade(percent: float) -> str:
    """The allowed grade string for a share of 100 (sign kept); ValueError if Moodle has none."""
    for grade in MOODLE_GRADES:
        if abs(float(grade) - abs(percent)) < 1e-4:
            return grade if percent >= 0 else "-" + grade
    raise ValueError(f"{percent:g}% is not a grade Moodle accepts")


def answer_weights(question: Question) -> dict[str, str]:
    """Right options share 100%; a wrong tick costs as much as a right one earns (Moodle floors at 0)."""
    share = 100.0 / len(question.correct_keys)
    right, wrong = moodle_grade(share), moodle_grade(-share)
    return {o.key: right if o.correct else wrong for o in question.options}
