"""Plain-data encoding shared by the grader and the sandboxed worker (never pickle).

Primitives (None, bool, int, float, str) travel as JSON; everything else is a JSON object with
a type tag "t": arrays as raw bytes in base64 with dtype and shape, lists, tuples and dicts
explicitly, and objects that are not data as opaque handles the grader can pass back.
Decoding is strict: unknown tags, dtypes or inconsistent sizes raise ``CodecError``.
"""
from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# A message as JSON carries it between the processes: from the other side, so its fields are arbitrary
# until checked where they are used.
Message = dict[str, Any]
# What the grader (a RemoteObject) or the worker (the object itself) makes of a handle: (id, type, real).
ResolveHandle = Callable[[int, str, bool], Any]

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# A reply is student-controlled: Python refuses ints of more than 4,300 digits with a ValueError
# (and spends quadratic time below that), so longer ones are refused here, as a CodecError.
MAX_INT_DIGITS = 100
MAX_DEPTH = 32
ALLOWED_DTYPES = {
    "|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
    "<f2", "<f4", "<f8", "<c8", "<c16",
}


class CodecError(ValueError):
    pass


# --- framing: 4-byte big-endian length + UTF-8 JSON -----------------------------------------

def frame(message: Message) -> bytes:
    body = json.dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        raise CodecError(f"message of {len(body)} bytes exceeds the {MAX_MESSAGE_BYTES} byte limit")
    return struct.pack(">I", len(body)) + body


def parse_header(header: bytes) -> int:
    length: int
    (length,) = struct.unpack(">I", header)
    if length > MAX_MESSAGE_BYTES:
        raise CodecError(f"announced message of {length} bytes exceeds the limit")
    return length


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise CodecError(f"a number with {len(digits)} digits (at most {MAX_INT_DIGITS})")
    return int(digits)


def parse_body(body: bytes) -> Message:
    try:
        message = json.loads(body.decode("utf-8"), parse_int=_bounded_int)
    except CodecError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError,
            ValueError) as exc:   # "[[[[..." nests past the stack
        raise CodecError(f"unreadable message: {str(exc)[:200]}") from None
    if not isinstance(message, dict):
        raise CodecError("message is not a JSON object")
    return message


# --- values ----------------------------------------------------------------------------------

def encode_array(array: np.ndarray, origin: str) -> Message:
    import numpy as np

    shape = np.shape(array)
    array = np.ascontiguousarray(array).reshape(shape)   # ascontiguousarray makes 0-d arrays (1,)
    if array.dtype.kind not in "biufc":
        raise CodecError(f"an array of dtype {array.dtype} (only numbers and booleans can be graded)")
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "t": "nd",
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
        "origin": origin,
    }


def decode_array(obj: Message) -> np.ndarray:
    import numpy as np

    dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj.get("data")
    if dtype not in ALLOWED_DTYPES:
        raise CodecError(f"array dtype {dtype!r} is not allowed")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
        raise CodecError("array shape is malformed")
    if not isinstance(data, str):
        raise CodecError("array data is malformed")
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    count = 1
    for n in shape:
        count *= n
    if count * np.dtype(dtype).itemsize != len(raw):
        raise CodecError("array data does not match its shape and dtype")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def encode(value: object, make_handle: Callable[[object], int] | None = None, depth: int = 0) -> object:
    """Encode a value for the wire. ``make_handle(obj) -> int`` turns non-data objects into handles."""
    if depth > MAX_DEPTH:
        raise CodecError("value is nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value
    if kind in (list, tuple) and isinstance(value, list | tuple):     # exactly these: the isinstance narrows
        return {"t": kind.__name__, "items": [encode(v, make_handle, depth + 1) for v in value]}
    if isinstance(value, dict):
        # Subclasses too (an OrderedDict from state_dict()), read with dict's own methods.
        items = list(dict.items(value))
        if not all(type(k) is str for k, _ in items):
            raise CodecError("a dict whose keys are not all strings")
        return {"t": "dict", "items": [[k, encode(v, make_handle, depth + 1)] for k, v in items]}
    # A subclass of a primitive (np.str_, np.float64, or something hostile): keep only the
    # primitive value, taken with the base type's own method so no override can run.
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int) and kind is not bool:
        return int.__int__(value)
    module = getattr(kind, "__module__", "") or ""
    if module.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.ndarray):
            return encode_array(np.asarray(value), "ndarray")
        if isinstance(value, np.generic):
            return encode_array(np.asarray(value), "numpy-scalar")
    if module.startswith("torch"):
        import torch

        if isinstance(value, torch.Tensor):
            return encode_array(value.detach().cpu().numpy(), "torch")
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, (pd.Series, pd.DataFrame)):
            return encode_array(value.to_numpy(), "pandas")
    if make_handle is None:
        raise CodecError(f"a value of type {kind.__name__} cannot be sent")
    name, real = type_identity(kind)
    return {"t": "handle", "id": make_handle(value), "type": name, "real": real}


def type_identity(kind: type) -> tuple[str, bool]:
    """A class's qualified name, and whether the module it names holds that very class under that name:
    a class of the notebook that calls itself ``torch.nn.modules.activation.Tanh`` is not torch's Tanh.
    (Read in the student's process: a hint for messages and contract checks, never a verdict.)"""
    import sys

    module = type.__getattribute__(kind, "__module__")
    qualname = type.__getattribute__(kind, "__qualname__")
    module, qualname = (module if isinstance(module, str) else "?"), (qualname if isinstance(qualname, str) else "?")
    found: object = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None) if found is not None else None
    return f"{module}.{qualname}"[:200], found is kind


def decode(obj: object, resolve_handle: ResolveHandle | None = None,
           make_probe: Callable[[str, Any], Any] | None = None, tensors: bool = False, depth: int = 0) -> Any:
    """Decode a wire value.

    The grader passes ``resolve_handle(id, type, real) -> RemoteObject``; the worker passes
    ``resolve_handle(id, type, real) -> the object`` and ``make_probe(name, params)``, and sets
    ``tensors`` so that arrays sent as torch tensors arrive as tensors.
    """
    if depth > MAX_DEPTH:
        raise CodecError("value is nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is not dict:
        raise CodecError(f"unexpected JSON value of type {type(obj).__name__}")
    tag = obj.get("t")

    def again(v: object) -> Any:
        return decode(v, resolve_handle, make_probe, tensors, depth + 1)

    if tag == "nd":
        array = decode_array(obj)
        if tensors and obj.get("origin") == "torch":
            import torch

            return torch.from_numpy(array)
        return array
    if tag in ("list", "tuple"):
        items = obj.get("items")
        if type(items) is not list:
            raise CodecError("malformed list")
        values = [again(v) for v in items]
        return values if tag == "list" else tuple(values)
    if tag == "dict":
        items = obj.get("items")
        if type(items) is not list or not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in items):
            raise CodecError("malformed dict")
        return {k: again(v) for k, v in items}
    if tag == "handle" and resolve_handle is not None:
        if type(obj.get("id")) is not int or type(obj.get("type")) is not str:
            raise CodecError("malformed handle")
        return resolve_handle(obj["id"], obj["type"][:200], obj.get("real") is True)
    if tag == "probe" and make_probe is not None:
        if type(obj.get("name")) is not str:
            raise CodecError("malformed probe")
        return make_probe(obj["name"], again(obj.get("params")))
    raise CodecError(f"unknown value tag {tag!r}")


def origin_of(obj: object) -> str | None:
    """The Python type a wire array came from (ndarray, numpy-scalar, torch, pandas), if any."""
    return obj.get("origin") if isinstance(obj, dict) and obj.get("t") == "nd" else None
