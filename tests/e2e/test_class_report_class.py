"""The class report on fabricated cs1 classes graded for real: each named mistake's count in the
report equals the number of fabricated students whose fixtures declare it, exactly.

A class of 100 (marked e2e: it grades 200 notebooks) and a class of 3 (fast enough for every run:
one course, three submissions of part A only).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.admin.course import init
from autograder.admin.fabricate import class_with_mistakes, expected_mistake_counts, read_fixture, with_cells
from autograder.analytics.report_files import make_report
from autograder.classrun.autograde import autograde
from autograder.grading import discovery

FIXTURES = discovery.load("cs1").hidden_dir / "fixtures"


def reported_counts(report_json: Path) -> dict[str, int]:
    data = json.loads(report_json.read_text())
    return dict(sorted((m["id"], m["count"]) for m in data["mistakes"]))


@pytest.mark.e2e
def test_the_report_of_100_fabricated_cs1_submissions_counts_every_named_mistake_exactly(tmp_path):
    course = init(tmp_path / "course", assignment_names=["cs1"])
    roster = class_with_mistakes(course.root, discovery.load("cs1"), FIXTURES, 100,
                                 release=course.root / "release" / "cs1")
    expected = expected_mistake_counts(roster)
    assert len(roster) == 100 and len(expected) >= 30 and sum(expected.values()) >= 90    # a real mix (98 pairs today)
    results = autograde(course_dir=course.root, assignment="cs1", jobs=2)
    assert not [r.student for r in results if r.not_graded]
    files = make_report(course_dir=course.root, assignment="cs1", out=tmp_path / "report")
    assert reported_counts(files.json) == expected
    data = json.loads(files.json.read_text())
    for mistake in data["mistakes"]:                 # and who made it
        assert mistake["students"] == sorted(s.student for s in roster if mistake["id"] in s.mistakes)
    kinds = {i["kind"] for i in data["incidents"]}
    assert "unreadable" in kinds                     # the truncated files
    assert data["summary"]["students"] == 100


def test_the_report_of_a_small_graded_class_counts_its_named_mistakes(tmp_path):
    course = init(tmp_path / "course", assignment_names=["cs1"])
    spec = discovery.load("cs1")
    part_a = spec.notebook("part_a_forward_backward.ipynb")
    folder = FIXTURES / "part_a_forward_backward"
    chosen = {"ada": [], "ben": ["forward_missing_b2", "mse_sum"], "cleo": ["forward_missing_b2"]}
    expected: dict[str, int] = {}
    for student, names in chosen.items():
        cells = {}
        for name in names:
            fixture = read_fixture(folder / f"{name}.py")
            cells.update(fixture.cells)
            for _, mistake in fixture.mistakes:
                expected[mistake] = expected.get(mistake, 0) + 1
        with_cells(part_a.source, cells, course.submission_dir(student, "cs1") / part_a.filename)
    autograde(course_dir=course.root, assignment="cs1")
    files = make_report(course_dir=course.root, assignment="cs1", out=tmp_path / "report")
    assert reported_counts(files.json) == dict(sorted(expected.items())) == {
        "forward.missing_output_bias": 2, "mse.sum_not_mean": 1}
    data = json.loads(files.json.read_text())
    missing = [i for i in data["incidents"] if i["kind"] == "missing"]
    assert sorted(i["student"] for i in missing) == ["ada", "ben", "cleo"]      # nobody handed in part B
