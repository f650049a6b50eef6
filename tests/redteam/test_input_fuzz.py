"""Hypothesis fuzzers for `collect` and `quiz results` (input_fuzz.py): a few examples in the fast suite;
the long run of 10,000 inputs is benchmarks/fuzz_inputs.py."""
from __future__ import annotations

import input_fuzz
import pytest
from hypothesis import HealthCheck, given, settings

from quizzes.catalog import get_quiz

FAST = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def hw(tmp_path_factory):
    from hw_course import make_course

    base = tmp_path_factory.mktemp("fuzz-collect")
    return make_course(base), base


@FAST
@given(download=input_fuzz.downloads)
def test_collect_places_the_honest_students_whatever_comes_between(hw, download):
    course, work = hw
    failures = input_fuzz.collect_survives(course, download, work)
    assert not failures, "\n".join(failures)


@FAST
@given(case=input_fuzz.results_files)
def test_quiz_results_reads_or_refuses_in_one_line(tmp_path_factory, case):
    failures = input_fuzz.results_survive(case, get_quiz("all", 0), tmp_path_factory.getbasetemp() / "fuzz-results")
    assert not failures, "\n".join(failures)
