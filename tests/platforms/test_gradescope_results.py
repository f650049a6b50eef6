"""Gradescope's results.json (autograder/outputs/gradescope.py) against the JSON schema we wrote from
Gradescope's published specification: every results.json the grader can make validates, shows each
failure as failed (Gradescope's default marks a 0-of-0 test passed) and passes every text as text."""
from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.outputs import gradescope
from autograder.results.records import NotebookReport, StudentResult, TestResult

SCHEMA = gradescope.results_schema()
TEXT = st.text(max_size=40)     # any characters: names and messages come from notebooks and hidden tests
POINTS = st.floats(min_value=0, max_value=100, allow_nan=False, allow_subnormal=False)


@st.composite
def check_results(draw) -> TestResult:
    most = draw(POINTS)
    passed = draw(st.booleans())
    got = most if passed else draw(st.floats(min_value=0, max_value=most, allow_subnormal=False))
    return TestResult(draw(TEXT), got, most, passed, message=draw(TEXT), description=draw(TEXT))


@st.composite
def student_results(draw) -> StudentResult:
    reports = [NotebookReport("a", draw(TEXT), draw(st.lists(check_results(), max_size=5)),
                              error=draw(st.none() | TEXT)) for _ in range(draw(st.integers(0, 3)))]
    return StudentResult(draw(TEXT), reports)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(result=student_results(), notes=st.lists(TEXT, max_size=3))
def test_every_results_json_validates_and_shows_failures_as_failed(result, notes):
    written = gradescope.results_json(result, tuple(notes))
    jsonschema.validate(written, SCHEMA)
    assert json.loads(json.dumps(written)) == written
    assert {written[key] for key in ("output_format", "test_output_format", "test_name_format")} == {"text"}
    expected = []
    for report in result.reports:
        for t in report.tests:
            status = "passed" if t.passed else "failed"
            expected.append((f"{report.notebook}: {t.name}", status, "visible"))
            if not t.passed and t.message:
                expected.append((f"{report.notebook}: {t.name} (details)", "failed", "after_published"))
    assert [(t["name"], t["status"], t["visibility"]) for t in written["tests"]] == expected
    assert written["score"] == result.score


def test_the_specifications_own_example_validates_and_departures_from_it_do_not():
    example = {"score": 44.0, "execution_time": 136, "output": "Text relevant to the entire submission",
               "output_format": "simple_format", "test_output_format": "text", "test_name_format": "text",
               "visibility": "after_due_date", "stdout_visibility": "visible", "extra_data": {},
               "tests": [{"score": 2.0, "max_score": 2.0, "status": "passed", "name": "Your name here",
                          "name_format": "text", "number": "1.1", "output": "Giant multiline string",
                          "output_format": "text", "tags": ["tag1", "tag2", "tag3"], "visibility": "visible",
                          "extra_data": {}}],
               "leaderboard": [{"name": "Accuracy", "value": .926}, {"name": "Time", "value": 15.1, "order": "asc"},
                               {"name": "Stars", "value": "*****"}]}
    jsonschema.validate(example, SCHEMA)
    jsonschema.validate({"tests": [{"name": "Compilation check", "status": "passed", "score": 0}]}, SCHEMA)
    for broken in ({"tests": [{"name": "no score anywhere"}]},
                   {"score": 1, "tests": [{"score": 1, "status": "ok"}]},
                   {"score": 1, "visibility": "later"},
                   {"score": 1, "tests": [{"score": 1, "points": 1}]},
                   {"score": "1"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_a_results_json_that_breaks_the_specification_is_never_written(tmp_path, monkeypatch):
    good = gradescope.results_json
    monkeypatch.setattr(gradescope, "results_json", lambda *a: {**good(*a), "visibility": "sometimes"})
    path = tmp_path / "results.json"
    with pytest.raises(jsonschema.ValidationError):
        gradescope.write_results_json(StudentResult("s", []), path)
    assert not path.exists()
