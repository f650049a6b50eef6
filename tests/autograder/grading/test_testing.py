"""What hidden tests import (autograder/grading/testing.py): failures that teach without telling the hidden inputs."""
from __future__ import annotations

import re

import numpy as np
import pytest

from autograder.errors import GradingFailure
from autograder.grading.testing import as_float, expect_array, shape_mismatch

SIZES = re.compile(r"(?<![\w.])([2-9]|\d{2,})(?![\w.])")     # any number of 2 or more that is not part of a name


@pytest.mark.parametrize(("got", "expected", "says"), [
    ((6, 1), (6, 4), "size along axis 1"),
    ((7, 5), (5, 7), "another order (a transpose?)"),
    ((6,), (6, 1), "fewer axes"),
    ((3, 5, 2), (3, 5), "more axes"),
    ((), (6, 4), "a single number"),
    ((4, 6), (3, 8), "axes 0, 1 are not"),
    ((2, 12), (4, 6), "same number of values"),
])
def test_a_shape_mismatch_is_described_without_the_sizes(got, expected, says):
    text = shape_mismatch(got, expected)
    assert says in text, text
    assert not SIZES.search(text), text


@pytest.mark.parametrize(("value", "expected"), [(np.ones((6, 1)), np.ones((6, 4))), (np.ones(24), np.ones((6, 4))),
                                                 (np.ones((4, 6)), np.ones((6, 4)))])
def test_expect_array_names_no_size_of_a_hidden_input(value, expected):
    with pytest.raises(GradingFailure) as failure:
        expect_array(value, expected, name="relu(z)")
    assert "wrong shape" in str(failure.value)
    assert not SIZES.search(str(failure.value).replace("relu(z)", "")), str(failure.value)


def test_a_number_expected_but_an_array_returned_names_no_size():
    with pytest.raises(GradingFailure) as failure:
        as_float(np.ones((6, 4)), name="loss")
    assert "several values" in str(failure.value) and not SIZES.search(str(failure.value)), str(failure.value)


def test_values_that_differ_are_counted_but_the_array_size_is_not_told():
    expected = np.zeros((6, 4))
    got = expected.copy()
    got[0, :3] = 1.0
    with pytest.raises(GradingFailure) as failure:
        expect_array(got, expected, name="relu(z)")
    assert "3 values differ" in str(failure.value) and "24" not in str(failure.value), str(failure.value)


def _candidates(z):
    return {"reference": np.maximum(z, 0.0), "relu.negatives_kept": z, "relu.min_instead_of_max": np.minimum(z, 0.0)}


def _close(value, candidate):
    return value.shape == candidate.shape and bool(np.allclose(value, candidate))


CASES = [np.random.default_rng(k).normal(size=shape) for k, shape in enumerate([(7, 5), (9, 8), (3, 4, 2)])]


def test_a_helper_is_identified_when_every_case_agrees():
    from autograder.grading.testing import REFERENCE, identify

    assert identify(lambda z: np.maximum(z, 0.0), _candidates, CASES, _close) == REFERENCE
    assert identify(lambda z: z.copy(), _candidates, CASES, _close) == "relu.negatives_kept"   # a mistake everywhere


def test_a_helper_right_only_where_it_is_tested_is_not_believed_where_it_is_used():
    from autograder.grading.testing import identify

    def shaped(z):          # identity at the shape of the later test's inputs, ReLU at every other shape
        return z.copy() if z.shape == (7, 5) else np.maximum(z, 0.0)

    assert identify(shaped, _candidates, CASES, _close) is None
    assert identify(lambda z: z * 2.0, _candidates, CASES, _close) is None       # nothing known


def test_seeded_runs_repeats_in_a_fresh_worker_after_the_other_seed():
    from autograder.grading.testing import seeded_runs

    events = []

    class Student:
        def fresh(self):
            events.append("fresh")
            return self

    first, again, other = seeded_runs(Student(), lambda seed: events.append(seed) or seed * 10, 3, 4)
    assert (first, again, other) == (30, 30, 40)
    assert events == [3, "fresh", 4, 3]
