"""Contract variants: the released notebook's own answers, written in another way its text allows.

A mutant is a slip that must lose points; a variant is a *correct* answer that must keep them, in the
hidden tests, in the visible tests and in the demonstrations. Each one is generated from the source
notebook's solutions, for the graded functions and kinds an assignment declares in its ``audit.toml``
together with the released sentence that allows them (``declarations``):

- ``tensor`` / ``list`` / ``0-d``: the function returns its NumPy arrays as torch tensors / nested lists,
  or its result as a 0-d torch tensor when it is a single number, to every caller outside the notebook's
  own answers (visible tests, demonstrations, given helpers, the grader), as a student who returns them
  would (and whose other answers take them back: ``HELPER``);
- ``float32``: the function returns its floating-point results in float32 (to every caller);
- ``chunked``: in a training loop, each batch's gradient is accumulated over two chunks of the batch
  (``loss = f(batch)`` + ``loss.backward()`` become a loop over the chunks, each chunk's loss weighted
  by its share of the rows), still one optimiser step per batch;
- ``reordered``: two adjacent statements that do not depend on each other swapped (one variant per
  pair; calls that may touch shared state, such as random generators, are never swapped with each other).

The return-type kinds wrap the reference in the sandbox (``HELPER``); ``chunked`` and ``reordered``
rewrite its source, like a mutant.
"""
from __future__ import annotations

import ast
import dataclasses
import fnmatch
import re
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

from .mutants import solution_lines
from .nulls import GradedFunction

RETURN_KINDS = ("tensor", "list", "0-d", "float32")
KINDS = (*RETURN_KINDS, "chunked", "reordered")
REFERENCE = "_learnathon_variant_reference_"

# Runs inside the sandbox, at the top of every solution cell of a variant notebook (defined once). The
# student modelled by a return-type variant writes the rest of their notebook for their own types: the
# notebook's other answers get the original results of the varied function, directly (its calls from
# their code) or when a converted result is handed back to them (a visible test passing one function's
# result to the next); everyone else (visible tests, demonstrations, given helpers, the grader) gets the
# converted result.
HELPER = '''
if "_learnathon_variant_answers" not in globals():
    _learnathon_variant_answers = set()     # code of the notebook's own answers
    _learnathon_variant_made = {}           # id(converted value) -> (converted value, original value)

    def _learnathon_variant_convert(value, kind, top=True):
        import numpy as _np
        import torch as _torch
        again = lambda v: _learnathon_variant_convert(v, kind, False)
        new = value
        if isinstance(value, dict):
            items = {k: again(v) for k, v in value.items()}
            if any(items[k] is not value[k] for k in value):
                new = type(value)(items)
        elif isinstance(value, (list, tuple)):
            items = [again(v) for v in value]
            if any(a is not b for a, b in zip(items, value)):
                new = type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        elif isinstance(value, (bool, _np.bool_)) or value is None:
            pass
        elif kind == "tensor" and isinstance(value, _np.ndarray) and value.ndim > 0:
            new = _torch.as_tensor(value)
        elif kind == "list" and isinstance(value, _np.ndarray) and value.ndim > 0:
            new = value.tolist()
        elif kind == "0-d" and top and isinstance(value, (int, float, _np.number, _np.ndarray)) \\
                and _np.ndim(value) == 0:
            # as_tensor keeps NumPy's dtype; a Python float becomes float64, like the number it was
            new = _torch.as_tensor(value) if isinstance(value, (_np.generic, _np.ndarray)) else \\
                _torch.tensor(value, dtype=_torch.float64 if isinstance(value, float) else None)
        elif kind == "float32" and isinstance(value, _np.ndarray) and value.dtype.kind == "f":
            new = value.astype(_np.float32)
        elif kind == "float32" and isinstance(value, (float, _np.floating)):
            new = _np.float32(value)
        elif kind == "float32" and isinstance(value, _torch.Tensor) and value.is_floating_point():
            new = value.float()
        if new is not value and kind != "float32":
            _learnathon_variant_made[id(new)] = (new, value)
        return new

    def _learnathon_variant_back(value):
        made = _learnathon_variant_made.get(id(value))
        if made is not None and made[0] is value:
            return made[1]
        if isinstance(value, dict):
            items = {k: _learnathon_variant_back(v) for k, v in value.items()}
            return type(value)(items) if any(items[k] is not value[k] for k in value) else value
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            items = [_learnathon_variant_back(v) for v in value]
            return type(value)(items) if any(a is not b for a, b in zip(items, value)) else value
        return value

    def _learnathon_variant_wrap(reference, kind=None):
        import functools
        import sys

        @functools.wraps(reference)
        def answer(*args, **kwargs):
            args = [_learnathon_variant_back(a) for a in args]
            kwargs = {k: _learnathon_variant_back(v) for k, v in kwargs.items()}
            result = reference(*args, **kwargs)
            if kind is None or (kind != "float32" and sys._getframe(1).f_code in _learnathon_variant_answers):
                return result
            return _learnathon_variant_convert(result, kind)
        answer._learnathon_variant = True
        return answer

    def _learnathon_variant_register(namespace, names):
        """The cell's functions become the notebook's answers: their code is remembered, and each takes
        back the results converted for others."""
        def codes(code):
            yield code
            for const in code.co_consts:
                if hasattr(const, "co_code"):
                    yield from codes(const)
        for name in names:
            function = namespace.get(name)
            if not callable(function) or not hasattr(function, "__code__") and not hasattr(function, "__wrapped__"):
                continue
            _learnathon_variant_answers.update(codes(getattr(function, "__wrapped__", function).__code__))
            if not getattr(function, "_learnathon_variant", False):
                namespace[name] = _learnathon_variant_wrap(function)
'''


@dataclasses.dataclass(frozen=True)
class Declaration:
    """One ``[[variant]]`` entry of ``audit.toml``: kinds the released text allows for some functions."""
    notebook: str
    kind: str
    functions: tuple[str, ...]      # fnmatch patterns over the graded functions
    text: str                       # the released sentence that allows it (checked to be there)
    exclude: tuple[str, ...] = ()   # functions the sentence does not cover

    def covers(self, notebook: str, function: str) -> bool:
        return (notebook == self.notebook and any(fnmatch.fnmatchcase(function, p) for p in self.functions)
                and not any(fnmatch.fnmatchcase(function, p) for p in self.exclude))


@dataclasses.dataclass(frozen=True)
class Variant:
    function: str
    kind: str
    cell: str           # grade_id of the solution cell it changes
    description: str    # what changed, e.g. "returns torch tensors" or "swapped `a = 1` and `b = 2`"

    @property
    def label(self) -> str:
        return f"{self.function}: {self.description}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def normalised(text: str) -> str:
    """Text compared as a reader sees it: markdown emphasis and code marks dropped, spaces collapsed."""
    return " ".join(re.sub(r"[*_`]", "", text).split()).casefold()


def stated(declaration: Declaration, released_text: str) -> bool:
    return normalised(declaration.text) in normalised(released_text)


# --- source transformations ------------------------------------------------------------------------

def _function_node(source: str, function: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function), None)


def _span(lines: list[str], first: ast.stmt, last: ast.stmt) -> tuple[int, int]:
    """Character offsets of the statements ``first``..``last`` (whole lines' code, not their comments)."""
    def offset(lineno: int, col: int) -> int:
        return sum(len(line) for line in lines[:lineno - 1]) + len(lines[lineno - 1].encode()[:col].decode())
    assert last.end_lineno is not None and last.end_col_offset is not None
    return offset(first.lineno, first.col_offset), offset(last.end_lineno, last.end_col_offset)


def _indented(code: str, indent: str) -> str:
    return textwrap.indent(code, indent).lstrip()


def _inside(node: ast.stmt, allowed: set[int]) -> bool:
    assert node.end_lineno is not None
    return set(range(node.lineno, node.end_lineno + 1)) <= allowed


def _blocks(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for child in ast.walk(node):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(child, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _loop_targets(function: ast.FunctionDef) -> dict[int, tuple[str, ...]]:
    """For each statement inside a ``for`` loop's body: the names the innermost loop binds."""
    found: dict[int, tuple[str, ...]] = {}
    for loop in ast.walk(function):
        if isinstance(loop, ast.For):
            names = tuple(n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name))
            for statement in loop.body:
                found[id(statement)] = names
    return found


class _Chunk(ast.NodeTransformer):
    """Every read of a batch name ``b`` becomes ``b[lo:lo + k]``."""

    def __init__(self, names: set[str]):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.names and isinstance(node.ctx, ast.Load):
            chunk = ast.Slice(ast.Name("_lav_lo", ast.Load()),
                              ast.BinOp(ast.Name("_lav_lo", ast.Load()), ast.Add(), ast.Name("_lav_k", ast.Load())))
            return ast.Subscript(ast.Name(node.id, ast.Load()), chunk, ast.Load())
        return node


def chunked(source: str, function: str) -> Iterator[tuple[str, str]]:
    """(cell source, description) with each ``loss = ...; loss.backward()`` of a training loop over a batch
    accumulated over two chunks of the batch."""
    node = _function_node(source, function)
    if node is None:
        return
    inside, lines = solution_lines(source), source.splitlines(keepends=True)
    targets = _loop_targets(node)
    for block in _blocks(node):
        for first, second in zip(block, block[1:]):
            if not (isinstance(first, ast.Assign) and len(first.targets) == 1 and isinstance(first.targets[0], ast.Name)
                    and isinstance(second, ast.Expr) and isinstance(second.value, ast.Call)
                    and isinstance(second.value.func, ast.Attribute) and second.value.func.attr == "backward"
                    and isinstance(second.value.func.value, ast.Name)
                    and second.value.func.value.id == first.targets[0].id and not second.value.args):
                continue
            batch = [n for n in targets.get(id(first), ()) if any(isinstance(x, ast.Name) and x.id == n
                                                                  for x in ast.walk(first.value))]
            if not batch or not (_inside(first, inside) and _inside(second, inside)):
                continue
            loss = first.targets[0].id
            expression = ast.unparse(_Chunk(set(batch)).visit(ast.parse(ast.unparse(first.value), mode="eval")).body)
            code = (f"{loss} = 0.0\n"
                    f"_lav_n = len({batch[0]})\n"
                    f"_lav_k = max(1, (_lav_n + 1) // 2)\n"
                    f"for _lav_lo in range(0, _lav_n, _lav_k):\n"
                    f"    _lav_part = ({expression}) * (len({batch[0]}[_lav_lo:_lav_lo + _lav_k]) / _lav_n)\n"
                    f"    _lav_part.backward()\n"
                    f"    {loss} = {loss} + _lav_part.detach()\n")
            start, end = _span(lines, first, second)
            indent = " " * first.col_offset
            text = "".join(lines)
            yield (text[:start] + _indented(code, indent).rstrip("\n") + text[end:],
                   f"gradients of `{loss}` accumulated over two chunks of each batch, one step per batch")


# Calls that change nothing but their result: statements made only of these may move past each other.
PURE_CALLS = {"asarray", "array", "as_tensor", "tensor", "float", "int", "len", "reshape", "astype", "copy",
              "sum", "mean", "std", "var", "max", "min", "abs", "exp", "log", "sqrt", "zeros", "ones", "zeros_like",
              "ones_like", "full", "full_like", "arange", "linspace", "maximum", "minimum", "where", "clip", "dot",
              "matmul", "transpose", "squeeze", "unsqueeze", "view", "item", "tolist", "isfinite", "all", "any",
              "concatenate", "stack", "vstack", "hstack", "sort", "argsort", "argmax", "argmin", "round", "isclose",
              "sign", "tanh", "list", "tuple", "dict", "set", "range", "enumerate", "zip", "sorted", "str",
              "ndim", "shape", "size", "numel", "detach", "clone", "outer", "diag", "eye", "ravel", "flatten",
              "MSELoss", "deepcopy", "isnan", "nan_to_num", "cumsum", "mean_squared_error"}


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def module_names(sources: list[str]) -> set[str]:
    """The names modules are imported under in a notebook (``np``, ``torch``, ``nn``): calling a function of
    a module does not change the module."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.update(a.asname or a.name for a in node.names if a.name[:1].islower())
    return names


def effects(statement: ast.stmt, modules: frozenset[str] = frozenset()) -> tuple[set[str], set[str], bool]:
    """(names read, names written, touches shared state) of a simple statement; conservative."""
    reads: set[str] = set()
    writes: set[str] = set()
    shared = False
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            (writes if isinstance(node.ctx, (ast.Store, ast.Del)) else reads).add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if root:
                writes.add(root)
        elif isinstance(node, ast.Call):
            if _call_name(node) not in PURE_CALLS:
                shared = True
                # a call may change what it is called on and every name handed to it
                root = _root(node.func.value) if isinstance(node.func, ast.Attribute) else None
                writes.update(n for n in [root] if n and n not in modules)
                writes.update(n.id for arg in [*node.args, *(k.value for k in node.keywords)]
                              for n in ast.walk(arg) if isinstance(n, ast.Name))
    if isinstance(statement, ast.AugAssign):
        root = _root(statement.target)
        if root:
            reads.add(root)
    return reads, writes, shared


def independent(first: ast.stmt, second: ast.stmt, modules: frozenset[str] = frozenset()) -> bool:
    simple = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)
    if not (isinstance(first, simple) and isinstance(second, simple)):
        return False
    if any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) for s in (first, second)):
        return False   # a docstring stays first
    r1, w1, shared1 = effects(first, modules)
    r2, w2, shared2 = effects(second, modules)
    if shared1 and shared2:
        return False
    return not (w1 & (r2 | w2) or w2 & r1)


def reordered(source: str, function: str, modules: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """(cell source, description) for every pair of adjacent independent statements swapped (``modules``:
    the notebook's imported module names)."""
    node = _function_node(source, function)
    if node is None:
        return
    inside, lines = solution_lines(source), source.splitlines(keepends=True)
    text = "".join(lines)
    for block in _blocks(node):
        for first, second in zip(block, block[1:]):
            if first.lineno == second.lineno or not (_inside(first, inside) and _inside(second, inside)):
                continue
            if not independent(first, second, modules):
                continue
            (a_start, a_end), (b_start, b_end) = _span(lines, first, first), _span(lines, second, second)
            a, b = text[a_start:a_end], text[b_start:b_end]
            if "\n" in a or "\n" in b:
                continue   # statements over several lines keep their place
            swapped = text[:a_start] + b + text[a_end:b_start] + a + text[b_end:]
            yield swapped, f"swapped `{a.strip()}` and `{b.strip()}`"


# --- a variant notebook ---------------------------------------------------------------------------

def wrapped(source: str, function: str, kind: str) -> str:
    """The cell with ``function`` renamed to its reference and defined again as the ``kind`` wrapper."""
    node = _function_node(source, function)
    assert node is not None and node.end_lineno is not None
    lines = source.splitlines(keepends=True)
    lines[node.lineno - 1] = lines[node.lineno - 1].replace(f"def {function}(", f"def {REFERENCE}{function}(", 1)
    end = node.end_lineno
    if not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    wrapper = f"\n{function} = _learnathon_variant_wrap({REFERENCE}{function}, {kind!r})\n"
    return "".join(lines[:end]) + wrapper + "".join(lines[end:])


def registered(source: str) -> str:
    """A solution cell with the helper before it and its functions registered as the notebook's answers."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    names = [n.name.removeprefix(REFERENCE) for n in tree.body if isinstance(n, ast.FunctionDef)]
    return f"{HELPER}\n{source.rstrip()}\n\n_learnathon_variant_register(globals(), {names!r})\n"


def variants_of(source_nb: NotebookNode, functions: list[GradedFunction], notebook: str,
                declarations: list[Declaration]) -> list[tuple[Variant, NotebookNode]]:
    """Every declared variant of the graded functions: (variant, its notebook)."""
    import copy

    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in source_nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    modules = frozenset(module_names([c.source for c in source_nb.cells if c.cell_type == "code"]))
    found = []
    for fn in functions:
        kinds = [k for k in KINDS if any(d.kind == k and d.covers(notebook, fn.name) for d in declarations)]
        source = cells[fn.cell].source
        changed: list[tuple[str, str, str]] = []     # (kind, new cell source, description)
        for kind in kinds:
            if kind in RETURN_KINDS:
                what = {"tensor": "returns torch tensors", "list": "returns lists", "0-d": "returns 0-d tensors",
                        "float32": "returns float32"}[kind]
                changed.append((kind, wrapped(source, fn.name, kind), what))
            elif kind == "chunked":
                changed += [(kind, text, what) for text, what in chunked(source, fn.name)]
            elif kind == "reordered":
                changed += [(kind, text, what) for text, what in reordered(source, fn.name, modules)]
        for kind, text, description in changed:
            nb = copy.deepcopy(source_nb)
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type == "code" and meta.get("solution"):
                    cell.source = registered(text if meta.get("grade_id") == fn.cell else cell.source)
            found.append((Variant(fn.name, kind, fn.cell, description), nb))
    return found


def referenced(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def shown_in(nb: NotebookNode, function: str) -> tuple[bool, bool]:
    """Whether (a visible test or given cell, a demonstration) of ``nb`` calls ``function``, directly or
    through the notebook's functions: then a run top to bottom can show what a variant of it does."""
    from ..intake.notebook import SKIP_TAG

    defined: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def reaches(names: set[str], seen: set[str]) -> bool:
        if function in names:
            return True
        todo = {n for n in names if n in defined and n not in seen}
        return any(reaches(defined[n], seen | todo) for n in todo)

    shown = {False: False, True: False}    # demonstration? -> reached
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("solution"):
            demo = SKIP_TAG in cell.metadata.get("tags", [])
            shown[demo] = shown[demo] or reaches(referenced(cell.source), set())
    return shown[False], shown[True]
