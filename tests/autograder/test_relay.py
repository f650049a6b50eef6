"""Exceptions from student code reach the feedback without the hidden inputs they may echo."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.sandbox.relay import MAX_CHARS, relayed_message

Z = np.random.default_rng(7).normal(size=(6, 4))


@pytest.mark.parametrize("echo", [
    repr(Z), str(Z.tolist()), " ".join(f"{v:.17g}" for v in Z.ravel()), str((Z * 1e6).astype(int).tolist()),
    str((Z * 1000).astype(int).tolist()), Z.tobytes().hex(), f"could not convert string to float: '{Z.ravel()[:3]}'",
    f"bad value {Z[0, 0]!r} at row 0",
])
def test_echoed_inputs_are_hidden(echo):
    message = relayed_message(echo)
    assert "..." in message
    for value in Z.ravel():
        assert f"{abs(value):.3f}"[:-1] not in message, message
        assert str(int(abs(value) * 1000)) not in message or int(abs(value) * 1000) < 10, message


@pytest.mark.parametrize("message", [
    "shapes (5,3) and (4,4) not aligned: 3 (dim 1) != 4 (dim 0)", "name 'np' is not defined",
    "index 7 is out of bounds for axis 0 with size "
    "6", "operands could not be broadcast together with shapes (6,4) (3,)",
])
def test_messages_that_explain_a_mistake_survive(message):
    assert relayed_message(message) == message


def test_a_relayed_message_is_one_short_line():
    message = relayed_message("line one\nline two\r\n" + "word " * 500)
    assert "\n" not in message and "\r" not in message and len(message) <= MAX_CHARS
