"""Round three of the red team: attacks on the hidden tests' verdicts (verdicts.py), on the real
assignments, each class graded in ONE class run between two honest students and checked as
classrun.py says: the honest students keep full marks, every attack at most what its honest work
earns, with the message that names what it did."""
from __future__ import annotations

import pytest

from autograder.admin import course
from autograder.analytics.integrity.answers import read_answers
from autograder.analytics.integrity.review import notebook_flags
from autograder.grading import discovery
from autograder.intake.notebook import parse_notebook, validated_notebook
from tests.redteam import attacks, classrun, verdicts

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


# Where deception stays possible in principle (code that inspects its callers, walks sys.modules or the
# garbage collector, swaps methods, names a class like torch's), the verdicts above do not depend on
# it; the instructor still sees it, flagged by the integrity review with the lines concerned.
FLAGGED = {
    "rebuild-recognised-by-caller-module": {"frames"},
    "probe-factory-wrapped": {"modules", "gc_walk"},
    "forward-replaced-by-a-lookup": {"method_swap"},
    "activations-named-like-torchs": {"lookalike_class"},
}


@pytest.mark.parametrize("attack_id", sorted(FLAGGED))
def test_a_deception_the_grader_does_not_depend_on_is_flagged_for_the_instructor(attack_id, tmp_path):
    attack_class, attack = next((c, a) for c in verdicts.CLASSES for a in c.attacks if a.id == attack_id)
    folder = tmp_path / attack.folder_name
    folder.mkdir()
    context = attacks.Context(tmp_path, verdicts.source_of("cs1", "part_a_forward_backward"), tmp_path, "SECRET")
    attack.plant(folder, context)
    spec = discovery.load(attack_class.target.assignment).notebook(f"{attack_class.target.part}.ipynb")
    notebook = validated_notebook(parse_notebook((folder / f"{spec.name}.ipynb").read_bytes()))
    flags, _ = notebook_flags(attack.folder_name, read_answers(notebook, spec.source, spec.name), [])
    assert FLAGGED[attack_id] <= {f.kind for f in flags}, [(f.kind, f.found) for f in flags]
    for flag in flags:
        if flag.kind in FLAGGED[attack_id]:      # the cell and the lines, as the class report shows them
            assert flag.cell and flag.first_line and flag.code.strip()
