"""Exceptions from student code reach the feedback without the hidden inputs they may echo."""
from __future__ import annotations

import re

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


@pytest.mark.parametrize("message", ["name 'np' is not defined", "KeyError: 'W1'", "float32 and int64 differ",
                                     "axis 1 is out of bounds for array of dimension 1"])
def test_messages_without_sizes_survive(message):
    assert relayed_message(message) == message


def _raised(action) -> str:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - whatever the library raises is the message under test
        return str(exc)
    raise AssertionError("the operation should have failed")


HIDDEN_SHAPES = ((5, 3), (4, 7), (6, 9))      # sizes of 2 or more: what a hidden input's shape looks like


def library_messages():
    """Real exceptions of numpy and torch whose messages name the shapes of their (hidden) inputs."""
    import torch

    a, b, c = (np.ones(shape) for shape in HIDDEN_SHAPES)
    ta, tb = torch.ones(HIDDEN_SHAPES[0]), torch.ones(HIDDEN_SHAPES[1])
    return {
        "matmul": (_raised(lambda: a @ b), "mismatch"),
        "dot": (_raised(lambda: np.dot(a, b)), "aligned"),
        "broadcast": (_raised(lambda: a + c), "broadcast"),
        "reshape": (_raised(lambda: a.reshape(4, 4)), "reshape"),
        "index": (_raised(lambda: a[8]), "out of bounds"),
        "torch-matmul": (_raised(lambda: ta @ tb), "multiplied"),
        "torch-add": (_raised(lambda: ta + torch.ones(6, 9)), "must match"),
        "torch-view": (_raised(lambda: ta.view(4, 4)), "invalid"),
    }


@pytest.mark.parametrize("case", ["matmul", "dot", "broadcast", "reshape", "index", "torch-matmul", "torch-add",
                                  "torch-view"])
def test_a_library_message_keeps_its_kind_of_mistake_but_no_size_of_the_inputs(case):
    raw, kind = library_messages()[case]
    assert any(str(n) in raw for shape in HIDDEN_SHAPES for n in shape), raw   # the raw message does leak them
    message = relayed_message(raw)
    assert kind in message, message
    assert not re.search(r"(?<![\w.])([2-9]|\d{2,})(?![\w.])", message), message
    assert not re.search(r"\d+x\d+", message), message


def test_a_shape_loses_even_its_number_of_axes():
    assert relayed_message("shapes (5,3) and (4,4,2) not aligned") == "shapes (...) and (...) not aligned"
    assert relayed_message("expected [6, 1], got (6,)") == "expected (...), got (...)"


def test_a_relayed_message_is_one_short_line():
    message = relayed_message("line one\nline two\r\n" + "word " * 500)
    assert "\n" not in message and "\r" not in message and len(message) <= MAX_CHARS
