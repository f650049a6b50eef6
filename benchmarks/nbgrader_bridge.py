"""Benchmark only: run learnathon's hidden checks as *stock nbgrader test cells*, in the kernel.

Each test cell of the benchmark's source notebook becomes
``import nbgrader_bridge; nbgrader_bridge.check("NOTEBOOK", "GRADE_ID", globals())``: the same
hidden pytest tests run once per kernel against the notebook's own globals (no sandbox, as
nbgrader does), and the cell fails if any check of its grade cell failed. Never use this to
grade for real: student code shares the kernel with the checks.
"""
from __future__ import annotations

from autograder.sandbox.worker import codec, probes

_results: dict[str, list] = {}
_probes: dict = {}       # the assignment's probes (its hidden probes.py), set by check()


class InKernelObject:
    """RemoteObject's interface for an object in this same kernel."""

    def __init__(self, obj):
        self.obj, self.type_name = obj, f"{type(obj).__module__}.{type(obj).__qualname__}"

    def __call__(self, *args, **kwargs):
        return _call(self.obj, args, kwargs)

    def call_method(self, method, *args, **kwargs):
        return _call(getattr(self.obj, method), args, kwargs)

    def getattr(self, attr):
        return _convert(getattr(self.obj, attr))


def _unwrap(value):
    from autograder.sandbox.session import Probe

    if isinstance(value, InKernelObject):
        return value.obj
    if isinstance(value, Probe):
        return probes.make(_probes, value.name, value.params)
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v) for v in value)
    if type(value) is dict:
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _convert(value):
    """The same conversions as the sandbox's wire format (tensors, lists -> arrays)."""
    objects = {}

    def keep(obj):
        objects[len(objects) + 1] = obj
        return len(objects)

    return codec.decode(codec.encode(value, keep), lambda key, _t: InKernelObject(objects[key]))


def _call(function, args, kwargs):
    from autograder.errors import StudentCodeError

    try:
        value = function(*_unwrap(args), **_unwrap(kwargs))
    except BaseException as exc:  # noqa: B902
        raise StudentCodeError(f"raised {type(exc).__name__}: {exc}") from None
    return _convert(value)


class InKernelSession:
    def __init__(self, namespace: dict):
        self.namespace, self.outcomes = namespace, {}

    def call(self, name, *args, **kwargs):
        from autograder.errors import StudentCodeError

        if name not in self.namespace:
            raise StudentCodeError(f"{name}() is not defined")
        return _call(self.namespace[name], args, kwargs)

    def get(self, name):
        return _convert(self.namespace[name])

    def build_probe(self, probe):
        return _convert(_unwrap(probe))


def check(notebook: str, grade_id: str, namespace: dict, assignment: str = "cs1") -> None:
    if notebook not in _results:
        from autograder.grading.discovery import load
        from autograder.grading.runner import run_hidden_tests

        spec = load(assignment).notebook(notebook)
        source = spec.tests.parent / "probes.py"
        _probes.clear()
        _probes.update(probes.define(source.read_text()) if source.is_file() else {})
        _results[notebook] = run_hidden_tests(spec, InKernelSession(namespace))
    failed = [t for t in _results[notebook] if t.cell == grade_id and not t.passed]
    assert not failed, "; ".join(f"{t.name}: {t.message}" for t in failed)
