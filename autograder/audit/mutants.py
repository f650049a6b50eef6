"""Mutants of the code inside a source notebook's solution regions: the slips students make.

Why our own AST operators and not a mutation library: mutmut, cosmic-ray, MutPy and mutatest
mutate *files* and drive their own test runner (and the last two are unmaintained); none gives
its operators as a function on a source fragment, none confines mutation to nbgrader's
``### BEGIN/END SOLUTION`` lines inside a cell, and none has the slips this lecture is about
(``transform`` for ``fit_transform``, ``train()``/``eval()``, ``[-1]`` for ``[-2]``, ``.T``,
``mean``/``sum``). Each operator here is a small pure function from one AST node to its
variants; a mutant is the cell's text with that node's span replaced, so comments and the rest
of the cell stay as the instructor wrote them.
"""
from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from nbformat import NotebookNode

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclasses.dataclass(frozen=True)
class Mutant:
    cell: str          # grade_id of the mutated cell
    line: str          # the original source line (stripped): stable while the notebook is edited elsewhere
    mutation: str      # what changed, e.g. "`+` -> `-`"
    operator: str      # the operator's name, e.g. "arithmetic"
    source: str        # the whole mutated cell

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.cell, self.line, self.mutation)

    def to_dict(self) -> dict[str, str]:
        return {"cell": self.cell, "line": self.line, "mutation": self.mutation, "operator": self.operator}


def solution_lines(source: str) -> set[int]:
    """1-based line numbers strictly inside solution regions."""
    inside, lines = False, set()
    for number, text in enumerate(source.splitlines(), start=1):
        if BEGIN in text:
            inside = True
        elif END in text:
            inside = False
        elif inside:
            lines.add(number)
    return lines


# --- operators: node -> [(replacement node or source text, description)] -------------------------

ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
              ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.Mod: ast.FloorDiv}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**",
          ast.MatMult: "@", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
          ast.Eq: "==", ast.NotEq: "!=", ast.And: "and", ast.Or: "or", ast.BitAnd: "&", ast.BitOr: "|"}
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
FLIPPED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
# Method / function names students confuse; both directions.
SWAPPED_NAMES = [("mean", "sum"), ("min", "max"), ("argmin", "argmax"), ("transform", "fit_transform"),
                 ("train", "eval"), ("minimum", "maximum"), ("any", "all"), ("std", "var"),
                 ("floor", "ceil"), ("vstack", "hstack"), ("nanmin", "nanmax")]
RENAMES = {a: b for a, b in SWAPPED_NAMES} | {b: a for a, b in SWAPPED_NAMES}
# Calls whose removal is not a slip worth grading (output only).
OUTPUT_CALLS = {"print", "display", "show", "plot", "savefig", "set_title", "set_xlabel", "set_ylabel",
                "legend", "figure", "subplots", "warn", "info", "debug", "tight_layout"}


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


Node = TypeVar("Node", bound=ast.AST)
# A mutation operator: for one node, each (replacement node or statement text, description).
Mutation = Iterator[tuple[ast.AST | str, str]]


def _copy(node: Node) -> Node:
    copied = ast.parse(ast.unparse(node), mode="eval").body if isinstance(node, ast.expr) else \
        ast.parse(ast.unparse(node)).body[0]
    if not isinstance(copied, type(node)):     # re-parsing a node's own text gives a node of its kind
        raise TypeError(f"{ast.unparse(node)!r} re-parsed as a {type(copied).__name__}")
    return copied


def arithmetic(node: ast.AST) -> Mutation:
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        new = _copy(node)
        new.op = ARITHMETIC[type(node.op)]()
        yield new, f"`{SYMBOL[type(node.op)]}` -> `{SYMBOL[type(new.op)]}`"


def dropped_term(node: ast.AST) -> Mutation:
    """``a + b`` -> ``a`` / ``b``: a forgotten term, bias, factor or offset."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        yield node.left, f"`{ast.unparse(node)}` -> `{ast.unparse(node.left)}` (right operand dropped)"
        if not isinstance(node.op, (ast.Sub, ast.Div)):
            yield node.right, f"`{ast.unparse(node)}` -> `{ast.unparse(node.right)}` (left operand dropped)"


def comparison(node: ast.AST) -> Mutation:
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        for table, kind in ((BOUNDARY, "boundary"), (FLIPPED, "direction")):
            if op in table:
                new = _copy(node)
                new.ops = [table[op]()]
                yield new, f"`{SYMBOL[op]}` -> `{SYMBOL[table[op]]}` ({kind})"


def boolean(node: ast.AST) -> Mutation:
    if isinstance(node, ast.BoolOp):
        new = _copy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield new, f"`{SYMBOL[type(node.op)]}` -> `{SYMBOL[type(new.op)]}`"
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        bitwise = _copy(node)
        bitwise.op = ast.BitOr() if isinstance(node.op, ast.BitAnd) else ast.BitAnd()
        yield bitwise, f"`{SYMBOL[type(node.op)]}` -> `{SYMBOL[type(bitwise.op)]}`"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        yield node.operand, f"`{ast.unparse(node)}` -> `{ast.unparse(node.operand)}` (negation dropped)"


def negation(node: ast.AST) -> Mutation:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant):
        yield node.operand, f"`{ast.unparse(node)}` -> `{ast.unparse(node.operand)}` (sign dropped)"


def constant(node: ast.AST) -> Mutation:
    """Numbers one off (counters, indices, sizes), doubled/halved (rates, tolerances), True/False."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, (str, bytes)) or node.value is None:
        return
    value = node.value
    if isinstance(value, bool):
        yield ast.Constant(not value), f"`{value}` -> `{not value}`"
    elif isinstance(value, int):
        for new in (value + 1, value - 1):
            if new >= 0:
                yield ast.Constant(new), f"`{value}` -> `{new}` (off by one)"
    elif isinstance(value, float):
        for scaled in ((value * 2, value / 2) if value else (1.0,)):
            yield ast.Constant(scaled), f"`{value!r}` -> `{scaled!r}`"


def index(node: ast.AST) -> Mutation:
    """``a[-1]`` -> ``a[-2]``, ``a[0]`` -> ``a[1]``, ``a[i]`` -> ``a[i - 1]``."""
    if not isinstance(node, ast.Subscript):
        return
    key = node.slice
    literal = None
    if isinstance(key, ast.Constant) and isinstance(key.value, int) and not isinstance(key.value, bool):
        literal = key.value
    elif isinstance(key, ast.UnaryOp) and isinstance(key.op, ast.USub) and isinstance(key.operand, ast.Constant) \
            and isinstance(key.operand.value, int):
        literal = -key.operand.value
    if literal is not None:
        new = _copy(node)
        new.slice = ast.Constant(literal - 1 if literal < 0 else literal + 1)
        yield new, f"index `[{literal}]` -> `[{ast.unparse(new.slice)}]`"
    elif isinstance(key, ast.Name):
        new = _copy(node)
        new.slice = ast.BinOp(ast.Name(key.id), ast.Sub(), ast.Constant(1))
        yield new, f"index `[{key.id}]` -> `[{key.id} - 1]`"


# Calls whose value does not depend on the order of their first two arguments: ``max(0.0, z)`` for
# ``max(z, 0.0)`` is another way to write the answer, not a slip, so it is never a mutant (else every
# such line is a survivor to review by hand). Built-ins by name; NumPy, torch and math by module.
SYMMETRIC_BUILTINS = {"max", "min"}
SYMMETRIC_FUNCTIONS = {"maximum", "minimum", "fmax", "fmin", "hypot", "add", "multiply", "logical_and",
                       "logical_or", "logical_xor"}
NUMERIC_MODULES = {"np", "numpy", "torch", "math"}


def is_symmetric(node: ast.Call) -> bool:
    func = node.func
    if node.keywords:                   # torch.add(a, b, alpha=2), max(a, b, key=f): order may matter
        return False
    if isinstance(func, ast.Name):
        return func.id in SYMMETRIC_BUILTINS
    return isinstance(func, ast.Attribute) and func.attr in SYMMETRIC_FUNCTIONS \
        and isinstance(func.value, ast.Name) and func.value.id in NUMERIC_MODULES


def swapped_arguments(node: ast.AST) -> Mutation:
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not is_symmetric(node) \
            and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        if ast.unparse(node.args[0]) != ast.unparse(node.args[1]):
            new = _copy(node)
            new.args[0], new.args[1] = new.args[1], new.args[0]
            first, second = ast.unparse(node.args[0]), ast.unparse(node.args[1])
            yield new, f"arguments swapped in `{_call_name(node)}({first}, {second}, ...)`"


def renamed_call(node: ast.AST) -> Mutation:
    """``.mean`` <-> ``.sum``, ``transform`` <-> ``fit_transform``, ``train()`` <-> ``eval()``, ..."""
    if isinstance(node, ast.Attribute) and node.attr in RENAMES:
        new = _copy(node)
        new.attr = RENAMES[node.attr]
        yield new, f"`.{node.attr}` -> `.{new.attr}`"
    if isinstance(node, ast.Name) and node.id in RENAMES and node.id in {"min", "max"}:
        yield ast.Name(RENAMES[node.id]), f"`{node.id}` -> `{RENAMES[node.id]}`"


def transpose(node: ast.AST) -> Mutation:
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield node.value, f"`{ast.unparse(node)}` -> `{ast.unparse(node.value)}` (.T dropped)"


def range_bound(node: ast.AST) -> Mutation:
    """``range(n)`` -> ``range(n + 1)`` / ``range(n - 1)``: a loop that runs once too often or too rarely."""
    if isinstance(node, ast.Call) and _call_name(node) == "range" and node.args:
        for op, _sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
            new = _copy(node)
            stop = len(new.args) > 1
            new.args[1 if stop else 0] = ast.BinOp(new.args[1 if stop else 0], op, ast.Constant(1))
            yield new, f"`{ast.unparse(node)}` -> `{ast.unparse(new)}` (off by one)"


def dropped_statement(node: ast.AST) -> Mutation:
    """A call made for its effect (``optimizer.zero_grad()``, ``model.eval()``) or an update (``x += d``) left out."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _call_name(node.value) not in OUTPUT_CALLS:
        yield "pass", f"statement `{ast.unparse(node)}` dropped"
    if isinstance(node, ast.AugAssign):
        yield "pass", f"update `{ast.unparse(node)}` dropped"
    if isinstance(node, (ast.Break, ast.Continue)):
        yield "pass", f"`{ast.unparse(node)}` dropped"


OPERATORS: dict[str, Callable[[ast.AST], Mutation]] = {
    "arithmetic": arithmetic, "dropped-term": dropped_term, "comparison": comparison, "boolean": boolean,
    "negation": negation, "constant": constant, "index": index, "swapped-arguments": swapped_arguments,
    "renamed-call": renamed_call, "transpose": transpose, "range-bound": range_bound,
    "dropped-statement": dropped_statement,
}


# --- applying them ------------------------------------------------------------------------------

def _inside_fstring(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            ids.update(id(n) for n in ast.walk(node))
    return ids


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value,
                                                                                                    str):
                ids.add(id(first))
    return ids


def _literal_indices(tree: ast.AST) -> set[int]:
    """Constants used as an index: the ``index`` operator already mutates them (once, not twice)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.UnaryOp) and isinstance(key.operand, ast.Constant):
                ids.add(id(key.operand))
            elif isinstance(key, ast.Constant):
                ids.add(id(key))
    return ids


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of (1-based line, UTF-8 byte column) in the joined text."""
    prefix = sum(len(line) for line in lines[:lineno - 1])
    return prefix + len(lines[lineno - 1].encode()[:col].decode(errors="ignore"))


def _replace(source: str, node: ast.expr | ast.stmt, replacement: str) -> str:
    lines = source.splitlines(keepends=True)
    start = _offset(lines, node.lineno, node.col_offset)
    assert node.end_lineno is not None and node.end_col_offset is not None
    end = _offset(lines, node.end_lineno, node.end_col_offset)
    return source[:start] + replacement + source[end:]


def mutants_of_cell(grade_id: str, source: str) -> Iterator[Mutant]:
    """Every mutant of one cell's solution regions, each once (by resulting text)."""
    inside = solution_lines(source)
    if not inside:
        return
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # IPython syntax (magics) in a solution cell: nothing to mutate safely
    skip = _inside_fstring(tree) | _docstrings(tree) | _literal_indices(tree)
    lines = source.splitlines()
    seen, count = {source}, dict[tuple[str, str], int]()
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.expr | ast.stmt) or node.end_lineno is None:
            continue
        if not set(range(node.lineno, node.end_lineno + 1)) <= inside:
            continue
        for name, operator in OPERATORS.items():
            for replacement, description in operator(node):
                text = replacement if isinstance(replacement, str) else ast.unparse(replacement)
                if isinstance(node, ast.expr) and not isinstance(replacement, str):
                    text = f"({text})" if "\n" not in text else text
                mutated = _replace(source, node, text)
                if mutated in seen:
                    continue
                try:
                    compile(mutated, grade_id, "exec")
                except SyntaxError:
                    continue
                seen.add(mutated)
                line = lines[node.lineno - 1].strip()
                # The same change twice on one line (two `+`): numbered, so each has its own key.
                count[line, description] = count.get((line, description), 0) + 1
                if count[line, description] > 1:
                    description = f"{description} #{count[line, description]}"
                yield Mutant(grade_id, line, description, name, mutated)


def mutants_of_notebook(nb: NotebookNode) -> list[Mutant]:
    """Mutants of every solution code cell of a source notebook (nbformat node)."""
    found: list[Mutant] = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            found.extend(mutants_of_cell(meta["grade_id"], cell.source))
    return found
