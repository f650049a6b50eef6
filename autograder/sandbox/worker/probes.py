"""Known functions the grader can hand to student code that takes a function as argument.

A hidden test cannot send a callable across the sandbox boundary, so it names a probe with its
parameters (``Probe("name", **params)``) and the worker builds it here. The probes themselves
belong to an assignment (``autograder/hidden/<name>/probes.py``, which the sandbox cannot
read): the grader sends that module's source over the channel when a test first uses a probe,
and every public top-level function in it is a probe that returns the object to hand over.
"""
from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

# The assignment's probe builders by name; what they build is arbitrary (handed to student code).
Registry = dict[str, Callable[..., Any]]

MODULE = "learnathon_probes"


def define(source: str, filename: str = "probes.py") -> Registry:
    """The probes of one assignment: its probes.py run in a private module of its own."""
    module = types.ModuleType(MODULE)
    exec(compile(source, f"<{filename}>", "exec"), module.__dict__)
    return {name: value for name, value in vars(module).items()
            if not name.startswith("_") and isinstance(value, types.FunctionType) and value.__module__ == MODULE}


def make(registry: Registry, name: str, params: object) -> Any:
    if name not in registry or type(params) is not dict:
        raise ValueError(f"unknown probe {name!r}")
    return registry[name](**params)
