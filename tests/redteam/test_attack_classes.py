"""Round two of the red team: each attack class in ONE class run between two honest students.

For every class of attack on the tiny assignment (attacks.py), graded and checked as classrun.py
says: the run completes, the honest students before and after the attacks keep full marks, every
attack gets at most its ceiling with the note that explains it, no secret reaches its feedback,
nothing raw reaches the terminal, and, for the confinement class, nothing is left behind.
"""
from __future__ import annotations

import json

import pytest

from autograder.admin import course
from tests.autograder import tiny_assignment as tiny
from tests.redteam import attacks, classrun


@pytest.fixture(scope="module")
def attack_course(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
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


def params():
    for attack_class in attacks.CLASSES:
        marks = [pytest.mark.e2e] if attack_class.heavy else []
        if attack_class.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=attack_class.xfail))
        yield pytest.param(attack_class, id=attack_class.name, marks=marks)


@pytest.mark.parametrize("attack_class", list(params()))
def test_an_attack_class_costs_only_the_attackers(attack_course, attack_class):
    the_course, context = attack_course
    classrun.fresh_class(the_course, context, attack_class)
    try:
        classrun.run_attack_class(the_course, context, attack_class, "redteam")
    finally:
        if attack_class.name == "leftovers":
            attacks.remove_leftovers()


@pytest.mark.usefixtures("module_registered_tiny")
def test_learnathon_grade_prints_no_control_characters(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    path = tmp_path / f"{tiny.PART}.ipynb"
    attacks.notebook(relu=f"def relu(z):\n    raise ValueError({attacks.FAKE!r})\n")(tmp_path, None)
    for args in (["grade", str(path), "--assignment", tiny.NAME], ["check", str(path)]):
        result = CliRunner().invoke(main, args)
        assert "relu" in result.output
        assert not classrun.RAW_CONTROL.search(result.output), repr(result.output)
