"""Round two of the red team: each attack class in ONE class run between two honest students.

For every class of attack (attacks.py): the run completes; ``a-honest`` (graded before the
attacks) and ``z-honest`` (after them) keep full marks in the result and in nbgrader's
gradebook; every attack gets at most its ceiling (exactly its score where that is
deterministic) with the note that explains it, or a clear NOT GRADED and nothing recorded;
no secret reaches its feedback; no line printed for the instructor carries a control
character; and, for the confinement class, nothing is left behind on the machine.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil

import nbformat
import numpy as np
import pytest

from autograder.admin import course
from autograder.classrun.autograde import autograde
from autograder.results import gradebook
from autograder.results.summary import progress_line, summary_table
from tests.autograder import tiny_assignment as tiny
from tests.redteam import attacks

# What must never reach the instructor's terminal raw: C0 (but the newline between lines), DEL, C1,
# bidi overrides, lone surrogates of undecodable names.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.fixture(scope="module")
def attack_course(module_registered_tiny, tmp_path_factory):
    base = tmp_path_factory.mktemp("attack-classes")
    base.chmod(0o755)
    the_course = course.init(base / "course", course_id="redteam")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(json.dumps({"nbformat": 4, "cells": [
        {"cell_type": "code", "source": "# OUTSIDE-SECRET\n" + tiny.RELU + tiny.FORWARD, "metadata": {}}]}))
    context = attacks.Context(the_course.root, the_course.root / "source" / tiny.NAME / f"{tiny.PART}.ipynb",
                              outside, "OUTSIDE-SECRET")
    assert "BEGIN SOLUTION" in context.source.read_text()
    return the_course, context


def fresh_class(the_course, context, attack_class) -> None:
    for name in ("submitted", "autograded", "feedback", ".learnathon", "exchange"):
        shutil.rmtree(the_course.root / name, ignore_errors=True)
    for student in (attacks.FIRST, *(a.folder_name for a in attack_class.attacks), attacks.LAST):
        folder = the_course.submission_dir(student, tiny.NAME)
        folder.mkdir(parents=True)
    attacks.honest()(the_course.submission_dir(attacks.FIRST, tiny.NAME), context)
    attacks.honest()(the_course.submission_dir(attacks.LAST, tiny.NAME), context)
    for attack in attack_class.attacks:
        attack.plant(the_course.submission_dir(attack.folder_name, tiny.NAME), context)


def submission_timestamp(root, student):
    with gradebook.open_gradebook(root, "redteam") as gb:
        return gb.find_submission(tiny.NAME, student).timestamp


def feedback_texts(the_course, student) -> str:
    texts = []
    for path in (the_course.feedback_html(student, tiny.NAME, tiny.PART),
                 the_course.autograded_notebook(student, tiny.NAME, tiny.PART)):
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def hidden_input() -> np.ndarray:
    """The random input the tiny hidden test_relu gives relu (seeded as runner.GradingPlugin seeds it)."""
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


def params():
    for attack_class in attacks.CLASSES:
        marks = [pytest.mark.e2e] if attack_class.heavy else []
        if attack_class.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=attack_class.xfail))
        yield pytest.param(attack_class, id=attack_class.name, marks=marks)


@pytest.mark.parametrize("attack_class", list(params()))
def test_an_attack_class_costs_only_the_attackers(attack_course, attack_class):
    the_course, context = attack_course
    fresh_class(the_course, context, attack_class)
    lines = []
    try:
        results = autograde(course_dir=the_course.root, assignment=tiny.NAME, force=True,
                            progress=lambda r, i, n: lines.append(progress_line(r, i, n)))
        lines += summary_table(results, tiny.NAME).splitlines()
        by_student = {r.student: r for r in results}
        recorded = gradebook.class_scores(the_course.root, "redteam", tiny.NAME)

        for student in (attacks.FIRST, attacks.LAST):
            assert by_student[student].score == attacks.HONEST, (student, by_student[student].reports)
            assert recorded[student] == attacks.HONEST
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
            texts = feedback_texts(the_course, attack.folder_name)
            problems += [f"{attack.id}: its feedback contains {leak!r}" for leak in attack.leaks if leak in texts]
            if attack_class.name == "echo":
                messages = " ".join(t.message for r in result.reports for t in r.tests) + texts
                if leaked_numbers(messages):
                    problems.append(f"{attack.id}: hidden inputs in its feedback: {leaked_numbers(messages)[:5]}")
            graded_nb = the_course.autograded_notebook(attack.folder_name, tiny.NAME, tiny.PART)
            if graded_nb.is_file():
                try:      # what is handed back opens in Jupyter, whatever was submitted
                    nbformat.validate(nbformat.reads(graded_nb.read_text(), as_version=4))
                except Exception as exc:  # noqa: BLE001 - any failure to read or validate is the finding
                    problems.append(f"{attack.id}: its graded notebook is not a valid notebook: {str(exc)[:200]}")
            elif attack.not_graded is None:
                problems.append(f"{attack.id}: no graded notebook was handed back")
            if attack_class.name == "timestamp" and submission_timestamp(the_course.root, attack.folder_name):
                problems.append(f"{attack.id}: a timestamp was recorded from a bad timestamp.txt")
        assert not problems, "\n".join(problems)
        assert submission_timestamp(the_course.root, attacks.FIRST) is not None
        raw = [line for line in lines if RAW_CONTROL.search(line)]
        assert not raw, f"control characters reach the terminal: {raw[:3]!r}"
        if attack_class.after:
            attack_class.after(context)
    finally:
        if attack_class.name == "leftovers":
            attacks.remove_leftovers()


def test_learnathon_grade_prints_no_control_characters(module_registered_tiny, tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    path = tmp_path / f"{tiny.PART}.ipynb"
    attacks.notebook(relu=f"def relu(z):\n    raise ValueError({attacks.FAKE!r})\n")(tmp_path, None)
    for args in (["grade", str(path), "--assignment", tiny.NAME], ["check", str(path)]):
        result = CliRunner().invoke(main, args)
        assert "relu" in result.output
        assert not RAW_CONTROL.search(result.output), repr(result.output)
