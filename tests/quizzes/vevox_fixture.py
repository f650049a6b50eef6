"""Builds Vevox poll-results workbooks for tests (nothing binary is committed).

The layout follows what third-party code working with Vevox shows (UNVERIFIED; see quizzes/vevox.py):
an "Attendance" sheet, and a "Polling Results" sheet with First Name, Last Name, Total answers correct,
then one column per poll headed by the poll's text, each cell the participant's answer or "Not Polled".
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook


def write_vevox_report(path: Path, participants: list[tuple[str, str]], polls: list[tuple[str, list[str]]],
                       totals: list[int] | None = None, preamble: list[list[str]] = ()) -> Path:
    """``polls``: (poll text, one answer cell per participant); ``preamble``: rows above the header."""
    workbook = Workbook()
    attendance = workbook.active
    attendance.title = "Attendance"
    attendance.append(["First Name", "Last Name", "Joined"])
    for first, last in participants:
        attendance.append([first, last, "15/01/2026 10:02"])
    sheet = workbook.create_sheet("Polling Results")
    for row in preamble:
        sheet.append(row)
    sheet.append(["First Name", "Last Name", "Total answers correct", *[text for text, _ in polls]])
    for index, (first, last) in enumerate(participants):
        total = totals[index] if totals is not None else None
        sheet.append([first, last, total, *[answers[index] for _, answers in polls]])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


# A class of ten whose item statistics are worked out by hand in test_vevox_results.py.
# Answers by bank letter to sigmoid-binary (key B), why-softmax (key C), overfitting-meaning (key C).
CLASS_LETTERS = {
    ("Ada", "Lovelace"): "BCC", ("Alan", "Turing"): "BCC", ("Grace", "Hopper"): "BCC",
    ("Emmy", "Noether"): "BCD", ("Kurt", "Goedel"): "BBC", ("Lise", "Meitner"): "CCC",
    ("Rosalind", "Franklin"): "BBC", ("Niels", "Bohr"): "BAB", ("", ""): "CBD", ("Paul", "Dirac"): "ADA",
}
CLASS_QUESTIONS = ("sigmoid-binary", "why-softmax", "overfitting-meaning")
# The same polls as Vevox shows them: other case, spacing, punctuation and a number in front.
CLASS_POLL_TEXTS = (
    "  what is the PRIMARY advantage of using the sigmoid/logistic activation function in binary classification ",
    "Why is the Softmax activation function preferred for Multiclass Classification?",
    "3. If your neural network has overfit the training set in modelling a product quality based on "
    "historical data, what does it mean ?",
)
NOT_POLLED_TEXT = "Which activation function is typically used for Regression tasks?"
UNMATCHED_TEXT = "How was the pace of today's lecture?"


def write_class_report(path: Path, quiz) -> Path:
    participants = list(CLASS_LETTERS)
    polls = []
    for column, (qid, poll_text) in enumerate(zip(CLASS_QUESTIONS, CLASS_POLL_TEXTS)):
        question = quiz.question(qid)
        answers = [question.option(letters[column]).text for letters in CLASS_LETTERS.values()]
        answers[1] = "  " + answers[1].upper() + " "  # Vevox keeps what was typed; matching must not care
        polls.append((poll_text, answers))
    polls.insert(1, (NOT_POLLED_TEXT, ["Not Polled"] * len(participants)))
    polls.append((UNMATCHED_TEXT, ["Too fast", "Just right", "", "Just right", "Too slow", "Just right",
                                   "Too fast", "Just right", "Just right", "Too fast"]))
    totals = [sum(quiz.question(qid).option(letters[i]).correct for i, qid in enumerate(CLASS_QUESTIONS))
              for letters in CLASS_LETTERS.values()]
    return write_vevox_report(path, participants, polls, totals)
