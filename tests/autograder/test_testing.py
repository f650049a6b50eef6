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
