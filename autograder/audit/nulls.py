"""Null implementations: answers that do no work, which no test may reward.

The graded functions are found in the *released* student notebook (nbgrader's ClearSolutions of
the source: every function whose body a student has to write). For each one, the source
notebook gets that single function replaced by a do-nothing variant, everything else stays the
instructor's solution, so a test that rewards the variant is a test that cannot tell "nothing"
from the answer:

- ``released``: the stub the student receives (``raise NotImplementedError``). The tests that
  lose points to it are the tests that *depend* on the function; only those are judged below.
- ``none``: returns None.  ``first-argument``: returns its first argument unchanged.
- ``zeros`` / ``ones``: the structure the reference returns (learnt by calling the reference on
  copies of the arguments, in the same call), every number 0 / 1, models with weights 0 / 1.
- ``constant``: every number 0.5, every label the first label it ever gave (whatever the input).
- ``untouched`` (only for functions that act on an argument, e.g. train a model in place): the
  reference's return value computed on *copies*, the arguments left exactly as they were, i.e. a
  function that forges its own record of the work without doing it.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbformat import NotebookNode

VARIANTS = ("none", "first-argument", "zeros", "ones", "constant", "untouched")
PREFIX = "_learnathon_audit_reference_"

# Runs inside the sandbox, in the student's notebook: plain Python, numpy and (if present) torch.
HELPER = '''
_learnathon_audit_first = {}

def _learnathon_audit_fill(value, fill, memo=None):
    import numpy as _np
    try:
        import torch as _torch
    except ImportError:
        _torch = None
    if value is None:
        return None
    if isinstance(value, str):
        # a constant label: the first one this function ever gave, whatever the input
        return _learnathon_audit_first.setdefault(memo, value) if memo is not None else ""
    if isinstance(value, bool) or isinstance(value, _np.bool_):
        return bool(fill)
    if isinstance(value, (int, _np.integer)):
        return type(value)(int(fill))
    if isinstance(value, (float, _np.floating)):
        return type(value)(fill)
    if isinstance(value, _np.ndarray):
        return _np.full(value.shape, fill, dtype=value.dtype if value.dtype.kind == "f" else float)
    if _torch is not None and isinstance(value, _torch.Tensor):
        return _torch.full_like(value, fill) if value.is_floating_point() else _torch.full(value.shape, fill)
    if _torch is not None and isinstance(value, _torch.nn.Module):
        model = _learnathon_audit_copy(value)
        with _torch.no_grad():
            for p in model.parameters():
                p.fill_(fill)
        return model
    if isinstance(value, dict):
        return type(value)((k, _learnathon_audit_fill(v, fill, memo and memo + (k,))) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        items = [_learnathon_audit_fill(v, fill, memo and memo + (i,)) for i, v in enumerate(value)]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            return value * 0 + fill
        except Exception:
            return value
    fitted = [k for k, v in getattr(value, "__dict__", {}).items()
              if k.endswith("_") and not k.startswith("_") and isinstance(v, (_np.ndarray, float, _np.floating))]
    if fitted:
        # A fitted estimator (sklearn's mean_, scale_, coef_, ...): the same object with filled statistics.
        value = _learnathon_audit_copy(value)
        for k in fitted:
            setattr(value, k, _learnathon_audit_fill(getattr(value, k), fill))
    return value


def _learnathon_audit_copy(value):
    import copy as _copy
    try:
        return _copy.deepcopy(value)
    except Exception:
        return value


def _learnathon_audit_state(value):
    import pickle as _pickle
    import numpy as _np
    try:
        import torch as _torch
    except ImportError:
        _torch = None
    if isinstance(value, _np.ndarray):
        return (value.shape, str(value.dtype), value.tobytes())
    if _torch is not None and isinstance(value, _torch.Tensor):
        return _learnathon_audit_state(value.detach().cpu().numpy())
    if _torch is not None and isinstance(value, _torch.nn.Module):
        return _learnathon_audit_state(dict(value.state_dict()))
    if isinstance(value, dict):
        return {k: _learnathon_audit_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_learnathon_audit_state(v) for v in value]
    try:
        return _pickle.dumps(value)
    except Exception:
        return repr(type(value))



def _learnathon_audit_null(kind, name, reference, args, kwargs):
    if kind == "none":
        return None
    if kind == "first-argument":
        return args[0] if args else next(iter(kwargs.values()), None)
    copies = (_learnathon_audit_copy(args), _learnathon_audit_copy(kwargs))
    try:
        result = reference(*copies[0], **copies[1])
    except Exception:
        return None  # a null answer does not raise the right error either
    if kind == "untouched":
        # Only a null if the work would have changed an argument (a model trained in place);
        # otherwise the copies' result is simply the right answer: fall back to doing nothing.
        changed = _learnathon_audit_state(copies) != _learnathon_audit_state((args, kwargs))
        return result if changed else None
    if kind == "constant":
        return _learnathon_audit_fill(result, 0.5, memo=(name,))
    return _learnathon_audit_fill(result, {"zeros": 0.0, "ones": 1.0}[kind])
'''


@dataclasses.dataclass(frozen=True)
class GradedFunction:
    name: str
    cell: str                 # grade_id of the solution cell that defines it
    params: tuple[str, ...]
    acts_on: tuple[str, ...]  # parameters the reference changes in place (a model it trains, a dict it updates)

    def variants(self) -> tuple[str, ...]:
        found = [v for v in VARIANTS if v != "untouched" or self.acts_on]
        return tuple(v for v in found if v != "first-argument" or self.params)


def _solution_cells(nb: NotebookNode) -> Iterator[tuple[str, NotebookNode]]:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            yield meta["grade_id"], cell


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def acted_on(function: ast.FunctionDef) -> tuple[str, ...]:
    """Parameters the function changes: ``p.step()`` as a statement, ``p[k] = ...``, ``p.x -= ...``,
    ``p.parameters()`` handed to an optimiser, ``p.fit(...)``, or ``helper(p, ...)`` as a statement."""
    params = {a.arg for a in function.args.args + function.args.kwonlyargs}
    found = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Attribute) and _root_name(call.func.value) in params:
                found.add(_root_name(call.func.value))
            if isinstance(call.func, ast.Name):  # train(model, ...) as a statement: a helper that changes it
                found.update(a.id for a in call.args if isinstance(a, ast.Name) and a.id in params)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Subscript, ast.Attribute)) and _root_name(target) in params:
                    found.add(_root_name(target))
        elif isinstance(node, ast.Call):
            # model.parameters() handed to an optimiser; scaler.fit(...) anywhere
            for arg in node.args:
                if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
                        arg.func.attr in {"parameters", "named_parameters"} and _root_name(arg.func.value) in params:
                    found.add(_root_name(arg.func.value))
            if isinstance(node.func, ast.Attribute) and node.func.attr in {"fit", "partial_fit"} and \
                    _root_name(node.func.value) in params:
                found.add(_root_name(node.func.value))
    return tuple(sorted(name for name in found if name is not None))


def graded_functions(source_nb: NotebookNode, released_nb: NotebookNode) -> list[GradedFunction]:
    """Functions a student writes: defined in a solution cell of the released notebook."""
    solutions = dict(_solution_cells(source_nb))
    found = []
    for grade_id, cell in _solution_cells(released_nb):
        reference = _functions(solutions[grade_id].source) if grade_id in solutions else {}
        for name, stub in _functions(cell.source).items():
            if name.startswith("_") or name not in reference:
                continue
            params = tuple(a.arg for a in stub.args.args)
            found.append(GradedFunction(name, grade_id, params, acted_on(reference[name])))
    return found


def null_cell(source: str, function: str, variant: str) -> str:
    """The solution cell with ``function`` renamed away and a ``variant`` stand-in defined in its place."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    lines = source.splitlines(keepends=True)
    def_line = node.lineno - 1
    lines[def_line] = lines[def_line].replace(f"def {function}(", f"def {PREFIX}{function}(", 1)
    if variant == "released":
        body = "    raise NotImplementedError()\n"
    else:
        body = (f"    return _learnathon_audit_null({variant!r}, {function!r}, {PREFIX}{function}, "
                "args, kwargs)\n")
    stand_in = f"\n\ndef {function}(*args, **kwargs):\n{body}\n"
    end = node.end_lineno
    assert end is not None
    if lines[end - 1] and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return HELPER + "\n" + "".join(lines[:end]) + stand_in + "".join(lines[end:])


def null_notebook(source_nb: NotebookNode, fn: GradedFunction, variant: str) -> NotebookNode:
    nb = copy.deepcopy(source_nb)
    for grade_id, cell in _solution_cells(nb):
        if grade_id == fn.cell:
            cell.source = null_cell(cell.source, fn.name, variant)
    return nb


def write(nb: NotebookNode, path: Path | str) -> None:
    nbformat.write(nb, str(path))
