"""The quizzes the CLI can export, by name."""
from __future__ import annotations

from quizzes.model import BANK_DIR, Quiz, combine, load_bank
from quizzes.parametric import parametric_quiz

QUIZ_NAMES = ("lecture", "extra", "parametric", "all")
DESCRIPTIONS = {
    "lecture": "the lecture's eight in-class questions, verbatim, with the class results it shows",
    "extra": "further questions on the lecture's content",
    "parametric": "seeded computation questions (z1, ReLU output, MSE, one gradient step); --seed picks the variant",
    "all": "lecture + extra + parametric",
}


def get_quiz(name: str, seed: int = 0) -> Quiz:
    if name == "lecture":
        return load_bank(BANK_DIR / "lecture.yaml")
    if name == "extra":
        return load_bank(BANK_DIR / "extra.yaml")
    if name == "parametric":
        return parametric_quiz(seed)
    if name == "all":
        parts = [get_quiz("lecture"), get_quiz("extra"), parametric_quiz(seed)]
        return combine("all", "Neural Networks micro-lecture: all questions", parts)
    raise KeyError(f"unknown quiz {name!r}; choose one of {', '.join(QUIZ_NAMES)}")
