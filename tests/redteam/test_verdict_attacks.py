"""Round three of the red team: attacks on the hidden tests' verdicts (verdicts.py), on the real
assignments, each class graded in ONE class run between two honest students and checked as
classrun.py says: the honest students keep full marks, every attack at most what its honest work
earns, with the message that names what it did."""
from __future__ import annotations

import attacks
import classrun
import pytest
import verdicts

from autograder.admin import course

COURSE_ID = "redteam-verdicts"


@pytest.fixture(scope="module")
def verdict_course(tmp_path_factory):
    base = tmp_path_factory.mktemp("verdict-attacks")
    base.chmod(0o755)
    the_course = course.init(base / "course", assignment_names=["cs1", "cs2"], course_id=COURSE_ID)
    outside = base / "outside"
    outside.mkdir()
    context = attacks.Context(the_course.root, verdicts.source_of("cs1", "part_a_forward_backward"), outside,
                              "OUTSIDE-SECRET")
    return the_course, context


@pytest.mark.e2e
@pytest.mark.parametrize("attack_class", verdicts.CLASSES, ids=lambda c: c.name)
def test_an_attack_on_the_verdicts_costs_only_the_attacker(verdict_course, attack_class):
    the_course, context = verdict_course
    classrun.fresh_class(the_course, context, attack_class)
    classrun.run_attack_class(the_course, context, attack_class, COURSE_ID)
