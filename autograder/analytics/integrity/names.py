"""What the names in a notebook's code stand for, read from the code (never run): the static view the
scans share.

A notebook's cells are parsed once (``parse``); imports of every cell, the instructor's included, say
which module a name is (``import numpy as np``: ``np`` is ``numpy``; ``from os import system as s``:
``s`` is ``os.system``), so ``qualify`` writes an expression as the dotted name it reaches, whatever the
aliases: ``s``, ``np.mean``, ``getattr(os, "system")``, ``__import__("os").system`` and
``importlib.import_module("os").system`` all become what they are. Builtins are ``builtins.NAME``.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses

from .answers import Answers, CodeCell

BUILTINS = frozenset(dir(builtins))
# Calls whose result is a module named by their first argument (a string literal).
IMPORTERS = ("builtins.__import__", "importlib.import_module", "importlib.__import__")


@dataclasses.dataclass(frozen=True)
class Parsed:
    cell: CodeCell
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]  # node -> its parent node


@dataclasses.dataclass
class Names:
    """What the notebook's imports, definitions and constant strings bind at its top level."""
    imports: dict[str, str] = dataclasses.field(default_factory=dict)       # name -> dotted module or object
    functions: set[str] = dataclasses.field(default_factory=set)            # every def's name, anywhere
    classes: set[str] = dataclasses.field(default_factory=set)
    methods: set[str] = dataclasses.field(default_factory=set)              # names of methods of its classes
    constants: dict[str, str] = dataclasses.field(default_factory=dict)     # NAME = "string" at the top level
    string_lists: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)   # NAME = ("a", "b", ...)

    def qualify(self, node: ast.AST | None) -> str | None:
        """The dotted name an expression reaches (``numpy.linalg.norm``, ``builtins.open``), or None."""
        if isinstance(node, ast.Name):
            if node.id in self.imports:
                return self.imports[node.id]
            if node.id == "__builtins__":
                return "builtins"
            if node.id == "get_ipython":
                return "IPython.get_ipython"
            if node.id in BUILTINS and node.id not in self.functions and node.id not in self.classes:
                return f"builtins.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = self.qualify(node.func)
            if func == "IPython.get_ipython":
                return "IPython.shell"
            if func == "builtins.getattr" and len(node.args) >= 2 and literal(node.args[1]) is not None:
                base = self.qualify(node.args[0])
                return f"{base}.{literal(node.args[1])}" if base else None
            if func in IMPORTERS and node.args and literal(node.args[0]) is not None:
                return literal(node.args[0])
        return None

    def strings_of(self, node: ast.AST, parents: dict[ast.AST, ast.AST]) -> tuple[str, ...] | None:
        """The strings a loop variable takes when it runs over a top-level list of string literals
        (``for name in NAMES``, ``[... for name in NAMES]``), or None."""
        if not isinstance(node, ast.Name):
            return None
        scope = parents.get(node)
        while scope is not None:
            loops = scope.generators if isinstance(scope, (ast.ListComp, ast.SetComp, ast.GeneratorExp,
                                                           ast.DictComp)) else [scope] if isinstance(
                scope, (ast.For, ast.comprehension)) else []
            for loop in loops:
                source = loop.iter.value if isinstance(loop.iter, ast.Subscript) else loop.iter   # NAMES[1:] too
                if isinstance(loop.target, ast.Name) and loop.target.id == node.id and isinstance(source, ast.Name):
                    return self.string_lists.get(source.id)
            scope = parents.get(scope)
        return None

    def string(self, node: ast.AST | None) -> str | None:
        """A string literal, a top-level constant holding one, or the literal start of an f-string."""
        value = literal(node)
        if value is not None:
            return value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            first = node.values[0].value
            return first if isinstance(first, str) else None
        return None


def literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def parse(answers: Answers) -> tuple[list[Parsed], list[tuple[CodeCell, str]]]:
    """Every code cell parsed (with a parent map), and the cells that could not be, with why."""
    parsed, unreadable = [], []
    for cell in answers.cells:
        try:
            tree = ast.parse(cell.python)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None)
            unreadable.append((cell, f"{type(exc).__name__}" + (f" on line {line}" if line else "")))
            continue
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        parsed.append(Parsed(cell, tree, parents))
    return parsed, unreadable


def collect(parsed: list[Parsed], names: Names | None = None) -> Names:
    """What the cells bind; assignments of a module or one of its objects are aliases too
    (``run = os.popen``, ``s = __import__("subprocess")``), wherever they are (read flow-insensitively)."""
    names = names or Names()
    for item in parsed:
        for node in ast.walk(item.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        names.imports[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        names.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.functions.add(node.name)
            elif isinstance(node, ast.ClassDef):
                names.classes.add(node.name)
                names.methods.update(n.name for n in node.body
                                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        for node in item.tree.body:
            if not isinstance(node, ast.Assign):
                continue
            for target in (t for t in node.targets if isinstance(t, ast.Name)):
                if literal(node.value) is not None:
                    names.constants[target.id] = literal(node.value) or ""
                elif isinstance(node.value, (ast.Tuple, ast.List)) and node.value.elts and all(
                        literal(e) is not None for e in node.value.elts):
                    names.string_lists[target.id] = tuple(literal(e) or "" for e in node.value.elts)
    assignments = [(t.id, node.value) for item in parsed for node in ast.walk(item.tree) if isinstance(node, ast.Assign)
                   for t in node.targets if isinstance(t, ast.Name)]
    for _ in range(3):                  # aliases of aliases
        for name, value in assignments:
            if name not in names.imports and isinstance(value, (ast.Name, ast.Attribute, ast.Call)):
                reached = names.qualify(value)
                if reached and not reached.startswith("builtins."):
                    names.imports[name] = reached
    return names
