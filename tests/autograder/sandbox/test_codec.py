"""The wire format between grader and sandbox: plain data only, decoded strictly."""
from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pandas as pd
import pytest
import torch

from autograder.sandbox.worker import codec


def roundtrip(value, **decode_options):
    body = codec.frame({"v": codec.encode(value, make_handle=lambda obj: 7)})
    message = codec.parse_body(body[4:])
    assert codec.parse_header(body[:4]) == len(body) - 4
    return codec.decode(message["v"], **decode_options)


@pytest.mark.parametrize("value", [None, True, False, 0, -3, 2**62, 1.5, -0.0, "", "grüße ∑", [1, "a", None],
                                   (1, 2.5), {"a": 1, "b": [True, None]}, {"nested": {"t": "not a tag"}}])
def test_primitives_and_containers_round_trip_with_their_types(value):
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)


def test_nan_and_infinities_round_trip():
    back = roundtrip([float("nan"), float("inf"), float("-inf")])
    assert np.isnan(back[0]) and back[1] == float("inf") and back[2] == float("-inf")


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
                                   "uint64", "float16", "float32", "float64", "complex64", "complex128"])
def test_arrays_of_every_allowed_dtype_round_trip(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == (2, 3, 4)
    assert np.array_equal(back, array)
    assert back.flags.writeable


def test_big_endian_non_contiguous_and_empty_arrays_round_trip():
    big = np.arange(6, dtype=">f8").reshape(2, 3)
    assert np.array_equal(roundtrip(big), big)
    strided = np.arange(20.0).reshape(4, 5)[::2, ::-1].T
    assert np.array_equal(roundtrip(strided), strided)
    empty = np.zeros((0, 3))
    assert roundtrip(empty).shape == (0, 3)
    assert roundtrip(np.float32(2.5)).shape == ()


def test_torch_and_pandas_values_travel_as_arrays_and_tensors_come_back_as_tensors_if_asked():
    tensor = torch.arange(6, dtype=torch.float32, requires_grad=True).reshape(2, 3) * 1
    assert isinstance(roundtrip(tensor), np.ndarray)
    as_tensor = roundtrip(tensor, tensors=True)
    assert isinstance(as_tensor, torch.Tensor) and torch.equal(as_tensor, tensor.detach())
    assert np.array_equal(roundtrip(pd.Series([1.0, 2.0])), [1.0, 2.0])
    assert roundtrip(pd.DataFrame({"a": [1, 2], "b": [3, 4]})).shape == (2, 2)


def test_wire_arrays_record_the_python_type_they_came_from():
    assert codec.origin_of(codec.encode(torch.zeros(2))) == "torch"
    assert codec.origin_of(codec.encode(np.float32(1.0))) == "numpy-scalar"
    assert codec.encode(np.float64(1.0)) == 1.0 and type(codec.encode(np.float64(1.0))) is float
    assert codec.origin_of(codec.encode(pd.Series([1.0]))) == "pandas"
    assert codec.origin_of(codec.encode(np.zeros(2))) == "ndarray"


def test_subclasses_of_primitives_travel_as_the_plain_primitive():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    class Mixin:
        pass

    class FloatWithMixin(float, Mixin):
        pass

    class Name(str):
        pass

    assert type(roundtrip(Sneaky(2.5))) is float and roundtrip(Sneaky(2.5)) == 2.5
    assert type(roundtrip(FloatWithMixin(2.5))) is float and roundtrip(FloatWithMixin(2.5)) == 2.5
    assert type(roundtrip(Name("x"))) is str


def test_objects_that_are_not_data_become_handles_and_need_a_handle_maker():
    class Model:
        pass

    wire = codec.encode(Model(), make_handle=lambda obj: 42)
    assert wire["t"] == "handle" and wire["id"] == 42 and wire["type"].endswith("Model")
    assert codec.decode(wire, resolve_handle=lambda i, t, r: ("remote", i)) == ("remote", 42)
    with pytest.raises(codec.CodecError, match="cannot be sent"):
        codec.encode(Model())
    with pytest.raises(codec.CodecError, match="unknown value tag"):
        codec.decode(wire)   # a grader-side decode without a resolver refuses handles


def test_object_and_string_arrays_are_refused():
    with pytest.raises(codec.CodecError, match="only numbers and booleans"):
        codec.encode(np.array([object(), 1], dtype=object))
    with pytest.raises(codec.CodecError, match="only numbers and booleans"):
        codec.encode(np.array(["a", "b"]))
    wire = codec.encode(np.zeros(2))
    for dtype in ("|O", "<U1", "|V8", "<M8[s]", "float64", None):
        with pytest.raises(codec.CodecError, match="dtype"):
            codec.decode({**wire, "dtype": dtype})


@pytest.mark.parametrize("bad", [
    {"t": "pickle", "data": "gASV"},
    {"t": "set", "items": [1]},
    {"items": [1]},
    {"t": "list", "items": "abc"},
    {"t": "dict", "items": [["k"]]},
    {"t": "dict", "items": [[1, 2]]},
    {"t": "handle", "id": "1", "type": "x"},
    [1, 2],
])
def test_malformed_or_unknown_values_are_rejected(bad):
    with pytest.raises(codec.CodecError):
        codec.decode(bad, resolve_handle=lambda i, t, r: i)


@pytest.mark.parametrize("change", [
    {"shape": [2, 2]},                      # 4 values announced, 3 sent
    {"shape": [-3]},
    {"shape": "3"},
    {"shape": [1] * 33},
    {"data": 123},
    {"data": "not base64!"},
])
def test_arrays_with_inconsistent_shape_or_data_are_rejected(change):
    wire = codec.encode(np.arange(3.0))
    with pytest.raises((codec.CodecError, ValueError)):
        codec.decode({**wire, **change})


def test_nesting_deeper_than_the_limit_is_rejected_both_ways():
    deep = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(codec.CodecError, match="nested too deeply"):
        codec.encode(deep)
    wire = {"t": "list", "items": []}
    for _ in range(codec.MAX_DEPTH + 5):
        wire = {"t": "list", "items": [wire]}
    with pytest.raises(codec.CodecError, match="nested too deeply"):
        codec.decode(wire)


def test_huge_messages_are_refused_when_framed_and_when_announced():
    with pytest.raises(codec.CodecError, match="exceeds"):
        codec.frame({"x": "a" * (codec.MAX_MESSAGE_BYTES + 1)})
    with pytest.raises(codec.CodecError, match="exceeds"):
        codec.parse_header(struct.pack(">I", codec.MAX_MESSAGE_BYTES + 1))


@pytest.mark.parametrize("body", [b"\xff\xfe", b"{not json", b"[1, 2]", b'"text"', b"[" * 100_000])
def test_unreadable_message_bodies_raise_codec_error(body):
    with pytest.raises(codec.CodecError):
        codec.parse_body(body)


def test_dict_keys_must_be_strings():
    with pytest.raises(codec.CodecError, match="keys"):
        codec.encode({1: "a"})


def test_arrays_travel_as_base64_bytes_not_as_json_numbers():
    wire = codec.encode(np.array([1.0, 2.0]))
    assert base64.b64decode(wire["data"]) == np.array([1.0, 2.0]).tobytes()
    assert "1.0" not in json.dumps(wire)


@pytest.mark.parametrize("body", [
    b'{"ok": true, "value": ' + b"9" * 5000 + b"}",           # Python itself would raise ValueError here
    b'{"ok": true, "value": -' + b"1" * 101 + b"}",
    b'{"ok": true, "value": ' + b"[" * 200000 + b"]" * 200000 + b"}",
    b'{"ok": tru',
    b"\xff\xfe",
    b"[1, 2]",
])
def test_a_message_the_grader_cannot_read_is_a_codec_error(body):
    with pytest.raises(codec.CodecError):
        codec.parse_body(body)


def test_numbers_a_reply_really_carries_are_read():
    assert codec.parse_body(b'{"ok": true, "value": [12345678901234567890, NaN, '
                            b'-1.5e300]}')["value"][0] == 12345678901234567890


def test_a_handle_says_whether_its_class_is_the_one_its_name_points_to():
    import torch

    real = codec.encode(torch.nn.Tanh(), make_handle=lambda obj: 1)
    assert real["type"] == "torch.nn.modules.activation.Tanh" and real["real"] is True

    class Tanh(torch.nn.Module):          # a class of the notebook named like torch's
        def forward(self, x):
            return x

    Tanh.__module__, Tanh.__qualname__ = "torch.nn.modules.activation", "Tanh"
    fake = codec.encode(Tanh(), make_handle=lambda obj: 2)
    assert fake["type"] == "torch.nn.modules.activation.Tanh" and fake["real"] is False
    assert codec.decode(fake, resolve_handle=lambda i, t, r: (t, r)) == ("torch.nn.modules.activation.Tanh", False)
