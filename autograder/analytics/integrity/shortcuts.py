"""Shortcut flags: a function of the notebook that reaches what it is meant to replace.

An assignment declares, in ``autograder/hidden/NAME/integrity.toml``, which of its functions must not
reach which others (a backward pass must not evaluate the network again; a surrogate must not call the
simulator):

    [[shortcut]]
    kind = "backward_calls_forward"         # a shortcut kind of records.KINDS
    notebook = "part_a_forward_backward"
    functions = ["backward"]
    must_not_reach = ["forward", "numerical_gradient"]   # functions or classes of the notebook, or modules

*Reach* is read from the code: a function reaches every function or class of the notebook it names
(called or passed on, in its body or in functions nested in it), what those reach in turn, and every
module an expression in them resolves to (``names.Names.qualify``: aliases included).
"""
from __future__ import annotations

import ast
import collections
import dataclasses
import tomllib
from pathlib import Path

from .names import Names, Parsed
from .records import KINDS
from .scan import Finding


@dataclasses.dataclass(frozen=True)
class Shortcut:
    kind: str
    notebook: str
    functions: tuple[str, ...]
    must_not_reach: tuple[str, ...]


def load_shortcuts(hidden_dir: Path) -> list[Shortcut]:
    """The assignment's declared shortcuts (none when it declares none)."""
    path = Path(hidden_dir) / "integrity.toml"
    if not path.is_file():
        return []
    found = []
    for table in tomllib.loads(path.read_text(encoding="utf-8")).get("shortcut", []):
        shortcut = Shortcut(str(table["kind"]), str(table["notebook"]), tuple(map(str, table["functions"])),
                            tuple(map(str, table["must_not_reach"])))
        if shortcut.kind not in KINDS or KINDS[shortcut.kind].group != "shortcut":
            raise ValueError(f"{path}: {shortcut.kind!r} is not a shortcut kind "
                             f"({', '.join(k for k, v in KINDS.items() if v.group == 'shortcut')})")
        found.append(shortcut)
    return found


@dataclasses.dataclass(frozen=True)
class Definition:
    name: str
    node: ast.AST
    item: Parsed


def definitions(parsed: list[Parsed]) -> dict[str, list[Definition]]:
    """Every top-level function and class of the notebook by name (a name defined twice keeps both)."""
    found: dict[str, list[Definition]] = collections.defaultdict(list)
    for item in parsed:
        for node in item.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name].append(Definition(node.name, node, item))
    return found


def references(definition: Definition, names: Names) -> list[tuple[str, ast.AST]]:
    """(what, where) for every name this one uses and every dotted name it reaches."""
    found: list[tuple[str, ast.AST]] = []
    for node in ast.walk(definition.node):
        if node is definition.node:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in names.imports:
            found.append((node.id, node))
        if isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(definition.item.parents.get(node),
                                                                            ast.Attribute):
            qualified = names.qualify(node)
            if qualified:
                found.append((qualified, node))
    return found


def _reaches(name: str, target: str) -> bool:
    return name == target or name.startswith(target + ".")


def find_shortcuts(parsed: list[Parsed], names: Names, rules: list[Shortcut], notebook: str) -> list[Finding]:
    """A finding per declared start function (in a student cell) that reaches a forbidden target."""
    defined = definitions(parsed)
    findings = []
    for rule in (r for r in rules if r.notebook == notebook):
        for start in rule.functions:
            for definition in (d for d in defined.get(start, []) if not d.item.cell.given):
                path = _first_path(definition, rule.must_not_reach, defined, names)
                if path:
                    chain, target, first_hop = path
                    findings.append(Finding(
                        rule.kind, f"{start}() reaches {target}" + (f" ({' -> '.join(chain)})" if len(chain) > 2
                                                                     else ""),
                        definition.item.cell, _line(first_hop),
                        getattr(first_hop, "end_lineno", None) or _line(first_hop)))
    return findings


def _line(node: ast.AST) -> int:
    return int(getattr(node, "lineno", 1))


def _first_path(start: Definition, targets: tuple[str, ...], defined: dict[str, list[Definition]],
                names: Names) -> tuple[list[str], str, ast.AST] | None:
    """Breadth first from ``start``: the chain of names to the first target reached, the target, and where
    ``start`` takes the first step."""
    queue: collections.deque[tuple[Definition, list[str], ast.AST | None]] = collections.deque(
        [(start, [start.name], None)])
    seen = {start.name}
    while queue:
        definition, chain, first_hop = queue.popleft()
        for name, node in references(definition, names):
            hop = first_hop or node
            hit = next((t for t in targets if _reaches(name, t)), None)
            if hit:
                return [*chain, name], name, hop
            if name in defined and name not in seen:
                seen.add(name)
                queue.extend((d, [*chain, name], hop) for d in defined[name])
    return None
