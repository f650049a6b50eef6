"""Class-run survival: random malformed submissions between two honest students (hypothesis).

One class run grades a batch of randomly malformed submission folders (random bytes, truncated
and type-confused JSON at every level of the notebook, odd names, odd timestamps, links, FIFOs,
huge files) between ``a-honest`` and ``z-honest``. The run must finish, both honest students
keep full marks, every malformed one gets a recorded result or a clear NOT GRADED, and nothing
printed for the instructor carries a control character. The long run (10,000+ submissions) is
benchmarks/fuzz_class_run.py.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from autograder.admin import course
from tests.autograder import tiny_assignment as tiny
from tests.redteam import fuzz

BATCH = 30


@pytest.fixture(scope="module")
def fuzz_course(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    base = tmp_path_factory.mktemp("fuzz")
    base.chmod(0o755)
    the_course = course.init(base / "course", course_id="fuzz")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    return the_course, the_course.root / "source" / tiny.NAME / f"{tiny.PART}.ipynb", outside


# One example = one class run of BATCH malformed folders: shrinking would regrade whole classes,
# so only the generate phase runs; hypothesis prints the failing batch. Two examples: hypothesis
# starts with its simplest one (a single repeated case), the second is random.
@settings(max_examples=2, phases=[Phase.generate], deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(fuzz.malformed, min_size=BATCH, max_size=BATCH))
def test_a_class_run_survives_malformed_submissions(fuzz_course, batch):
    the_course, source, outside = fuzz_course
    failures = fuzz.survives(the_course, fuzz.unique(batch), source=source, outside=outside)
    assert not failures, "\n".join(failures)
