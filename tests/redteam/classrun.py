"""Grading one attack class in ONE class run between two honest students, and what must hold after it.

Shared by test_attack_classes.py (the tiny assignment) and test_verdict_attacks.py (real assignments):
the run completes; ``a-honest`` (graded before the attacks) and ``z-honest`` (after them) keep full
marks in the result and in nbgrader's gradebook; every attack gets at most its ceiling (exactly its
score where that is deterministic) with the note that explains it, or a clear NOT GRADED and nothing
recorded; no secret reaches its feedback; no line printed for the instructor carries a control
character; and, where the class says so, nothing is left behind on the machine.
"""
from __future__ import annotations

import hashlib
import re
import shutil

import nbformat
import numpy as np

from autograder.classrun.autograde import autograde
from autograder.results import gradebook
from autograder.results.summary import progress_line, summary_table
from tests.redteam import attacks

# What must never reach the instructor's terminal raw: C0 (but the newline between lines), DEL, C1,
# bidi overrides, lone surrogates of undecodable names.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def fresh_class(the_course, context, attack_class) -> None:
    target = attack_class.target or attacks.TINY
    for name in ("submitted", "autograded", "feedback", ".learnathon", "exchange"):
        shutil.rmtree(the_course.root / name, ignore_errors=True)
    for student in (attacks.FIRST, *(a.folder_name for a in attack_class.attacks), attacks.LAST):
        folder = the_course.submission_dir(student, target.assignment)
        folder.mkdir(parents=True)
    target.honest(the_course.submission_dir(attacks.FIRST, target.assignment), context)
    target.honest(the_course.submission_dir(attacks.LAST, target.assignment), context)
    for attack in attack_class.attacks:
        attack.plant(the_course.submission_dir(attack.folder_name, target.assignment), context)


def submission_timestamp(root, course_id, assignment, student):
    with gradebook.open_gradebook(root, course_id) as gb:
        return gb.find_submission(assignment, student).timestamp


def feedback_texts(the_course, student, target) -> str:
    texts = []
    for path in (the_course.feedback_html(student, target.assignment, target.part),
                 the_course.autograded_notebook(student, target.assignment, target.part)):
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def hidden_input() -> np.ndarray:
    """The random input the tiny hidden test_relu gives relu (seeded as runner.grader_fixtures seeds it)."""
    digest = hashlib.sha256(b"tiny/tiny:test_tiny.py::test_relu").digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little")).normal(size=(6, 4))


def leaked_numbers(text: str) -> list[str]:
    """Numbers in ``text`` that are values of the hidden input (to 3 decimals or more, or scaled by 1e6)."""
    values = hidden_input().ravel()
    leaked = []
    for token in re.findall(r"-?\d+\.\d{3,}(?:e[-+]?\d+)?|-?\d{5,}", text):
        number = float(token)
        for scale in (1.0, 1e6):
            if np.any(np.abs(number / scale - values) <= 1e-6 * np.maximum(1.0, np.abs(values))):
                leaked.append(token)
    return leaked


def run_attack_class(the_course, context, attack_class, course_id: str) -> None:
    """Grade the class in one run (``fresh_class`` first) and assert everything the module docstring says."""
    target = attack_class.target or attacks.TINY
    lines: list[str] = []
    results = autograde(course_dir=the_course.root, assignment=target.assignment, force=True,
                        progress=lambda r, i, n: lines.append(progress_line(r, i, n)))
    lines += summary_table(results, target.assignment).splitlines()
    by_student = {r.student: r for r in results}
    recorded = gradebook.class_scores(the_course.root, course_id, target.assignment)

    for student in (attacks.FIRST, attacks.LAST):
        assert by_student[student].score == target.full, (student, by_student[student].reports)
        assert recorded[student] == target.full
    problems = []
    for attack in attack_class.attacks:
        result = by_student.get(attack.folder_name)
        if result is None:
            problems.append(f"{attack.id}: no result at all")
            continue
        messages = [t.message for r in result.reports for t in r.tests]
        notes = "; ".join(result.errors + list(getattr(result, "notes", [])) + messages)
        summary = f"{attack.id}: {result.score}/{result.max_score} not_graded={result.not_graded!r} notes={notes!r}"
        if attack.not_graded is not None:
            if not result.not_graded or attack.not_graded not in result.not_graded:
                problems.append(f"{summary}: expected NOT GRADED ({attack.not_graded})")
            if attack.folder_name in recorded:
                problems.append(f"{summary}: recorded although NOT GRADED")
            continue
        if result.not_graded:
            problems.append(f"{summary}: NOT GRADED, expected a recorded result")
            continue
        if result.score > attack.ceiling:
            problems.append(f"{summary}: more than its ceiling {attack.ceiling}")
        if attack.score is not None and result.score != attack.score:
            problems.append(f"{summary}: expected exactly {attack.score}")
        if recorded.get(attack.folder_name) != result.score:
            problems.append(f"{summary}: gradebook has {recorded.get(attack.folder_name)}")
        if attack.note and attack.note not in notes:
            problems.append(f"{summary}: its notes should mention {attack.note!r}")
        texts = feedback_texts(the_course, attack.folder_name, target)
        problems += [f"{attack.id}: its feedback contains {leak!r}" for leak in attack.leaks if leak in texts]
        if attack_class.name == "echo":
            messages_and_texts = " ".join(messages) + texts
            if leaked_numbers(messages_and_texts):
                problems.append(f"{attack.id}: hidden inputs in its feedback: {leaked_numbers(messages_and_texts)[:5]}")
        graded_nb = the_course.autograded_notebook(attack.folder_name, target.assignment, target.part)
        if graded_nb.is_file():
            try:      # what is handed back opens in Jupyter, whatever was submitted
                nbformat.validate(nbformat.reads(graded_nb.read_text(), as_version=4))
            except Exception as exc:  # noqa: BLE001 - any failure to read or validate is the finding
                problems.append(f"{attack.id}: its graded notebook is not a valid notebook: {str(exc)[:200]}")
        else:
            problems.append(f"{attack.id}: no graded notebook was handed back")
        if attack_class.name == "timestamp" and submission_timestamp(the_course.root, course_id, target.assignment,
                                                                     attack.folder_name):
            problems.append(f"{attack.id}: a timestamp was recorded from a bad timestamp.txt")
    assert not problems, "\n".join(problems)
    assert submission_timestamp(the_course.root, course_id, target.assignment, attacks.FIRST) is not None
    raw = [line for line in lines if RAW_CONTROL.search(line)]
    assert not raw, f"control characters reach the terminal: {raw[:3]!r}"
    if attack_class.after:
        attack_class.after(context)
