"""Hostile students in a class run: the honest student graded alongside still gets full marks."""
from __future__ import annotations

import pytest

from autograder.admin import course
from autograder.classrun.autograde import autograde
from autograder.results import gradebook
from tests.autograder import tiny_assignment as tiny
from tests.redteam import hostile

REPRESENTATIVES = ["os-exit-at-import", "fork-bomb", "allocate-100GB", "daemon-ignoring-sigterm",
                   "shadow-files-in-working-folder", "patched-numpy-comparisons", "segfault", "truncated-file"]
VANDAL = """
import os, shutil, glob
for target in glob.glob({root!r} + "/*") + [{root!r} + "/gradebook.db"]:
    try:
        os.remove(target)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
"""


@pytest.mark.e2e
@pytest.mark.usefixtures("registered_tiny")
def test_hostile_classmates_change_nothing_for_an_honest_student(tmp_path):
    tiny_course = course.init(tmp_path / "course", course_id="redteam")
    cases = {c.id: c for c in hostile.CASES}
    expected = {"honest": hostile.HONEST, "vandal": 3.0}

    def submit(student, build):
        folder = tiny_course.submission_dir(student, "tiny")
        folder.mkdir(parents=True)
        build(folder / "tiny.ipynb")

    submit("honest", lambda p: tiny.submission(p))
    submit("vandal", lambda p: hostile.notebook(first=[VANDAL.format(root=str(tiny_course.root))])(p, {}))
    for case_id in REPRESENTATIVES:
        submit(case_id, lambda p, c=cases[case_id]: c.build(p, {"secrets": []}))
        expected[case_id] = cases[case_id].score

    results = autograde(course_dir=tiny_course.root, assignment="tiny", jobs=2)
    assert {r.student: r.score for r in results} == expected
    assert gradebook.class_scores(tiny_course.root, "redteam", "tiny") == pytest.approx(expected)
    assert tiny_course.feedback_html("honest", "tiny", "tiny").is_file()
