"""Grader-detection and tampering flags: a static reading of the student's cells (never run).

Each rule looks at what an expression *reaches* (``names.Names.qualify``: aliases, ``getattr`` with a
literal name and ``__import__`` see through), not at how it is spelled, so ``s = os.system`` or
``getattr(__import__("sys"), "_getframe")`` are found like ``sys._getframe()``. What a static
reading cannot see through is a finding of its own (``dynamic_code``: exec, eval, compile,
``__import__`` or attributes looked up by computed names); string literals passed to exec, eval or
compile are read as code too. A cell that is not Python is not scanned: it cannot run either.
"""
from __future__ import annotations

import ast
import dataclasses
import re

from .answers import CodeCell
from .names import Names, Parsed, collect, literal

# Dotted names (and what is under them) whose mere use is a finding: (prefix, kind, what it does).
REACHES: tuple[tuple[str, str, str], ...] = (
    *((f"inspect.{n}", "frames", "reads the call stack") for n in (
        "stack", "currentframe", "getouterframes", "getinnerframes", "trace", "getframeinfo")),
    *((f"sys.{n}", "frames", "reads or traces the call stack") for n in (
        "_getframe", "_getframemodulename", "_current_frames", "settrace", "setprofile", "gettrace", "getprofile",
        "monitoring")),
    *((f"threading.{n}", "frames", "traces the call stack") for n in ("settrace", "setprofile",
                                                                       "settrace_all_threads")),
    *((f"traceback.{n}", "frames", "reads the call stack") for n in (
        "extract_stack", "format_stack", "print_stack", "walk_stack", "StackSummary")),
    *((f"gc.{n}", "gc_walk", "walks the objects the garbage collector tracks") for n in (
        "get_objects", "get_referrers", "get_referents")),
    *((f"sys.{n}", "modules", "reaches the loaded modules or the import system") for n in (
        "modules", "meta_path", "path_hooks", "path_importer_cache")),
    ("importlib.reload", "modules", "reloads a module"),
    ("importlib.util.module_from_spec", "modules", "builds a module by hand"),
    ("imp", "modules", "uses the old import machinery"),
    *((m, "patching", "can change any object in memory (native code)") for m in ("ctypes", "_ctypes", "cffi")),
    *((m, "patching", "patches objects (unittest.mock)") for m in ("unittest.mock", "mock")),
    *((m, "processes", "starts processes") for m in (
        "subprocess", "_posixsubprocess", "pty", "multiprocessing", "concurrent.futures.ProcessPoolExecutor",
        "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell", "os.system", "os.popen", "os.fork",
        "os.forkpty", "os.posix_spawn", "os.posix_spawnp", "os.startfile", "os.kill", "os.killpg",
        "signal.pthread_kill", "IPython.shell.system", "IPython.shell.system_raw", "IPython.shell.system_piped",
        "IPython.shell.getoutput")),
    *((f"os.{n}", "processes", "replaces the process with another program") for n in (
        "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe")),
    *((f"os.{n}", "processes", "starts processes") for n in ("spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv",
                                                             "spawnve", "spawnvp", "spawnvpe")),
    *((m, "network", "opens network connections") for m in (
        "socket", "_socket", "ssl", "socketserver", "urllib.request", "urllib3", "http.client", "http.server",
        "requests", "httpx", "aiohttp", "ftplib", "smtplib", "poplib", "imaplib", "telnetlib", "xmlrpc",
        "websocket", "websockets", "paramiko", "asyncio.open_connection", "asyncio.open_unix_connection",
        "asyncio.start_server", "asyncio.start_unix_server", "multiprocessing.connection")),
    *((m, "dynamic_code", "builds code at run time") for m in (
        "marshal", "types.CodeType", "types.FunctionType", "runpy", "code.InteractiveInterpreter",
        "code.InteractiveConsole", "IPython.shell.run_cell", "IPython.shell.ex", "IPython.shell.ev")),
    ("builtins.breakpoint", "dynamic_code", "opens a debugger"),
    *((n, "files_outside", "reaches the home folder or the environment's paths") for n in (
        "os.path.expanduser", "os.path.expandvars", "pathlib.Path.home", "os.pardir")),
)
# Attributes that lead to frames, globals or classes of other code, on any object.
FRAME_ATTRIBUTES = frozenset({"f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame",
                              "tb_next", "gi_frame", "cr_frame", "ag_frame", "__traceback__", "__globals__"})
WALK_ATTRIBUTES = frozenset({"__subclasses__"})
CODE_RUNNERS = ("builtins.exec", "builtins.eval", "builtins.compile")
IMPORTERS = ("builtins.__import__", "importlib.import_module", "importlib.__import__")
# Calls whose first argument is a path to read or list, and those that list folders.
FILE_CALLS = ("builtins.open", "io.open", "os.open", "os.stat", "os.lstat", "os.readlink", "os.chdir", "os.path",
              "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "shutil", "numpy.load", "numpy.loadtxt",
              "numpy.genfromtxt", "numpy.fromfile", "numpy.memmap", "pandas.read_", "torch.load", "PIL.Image.open",
              "sqlite3.connect", "h5py.File", "zipfile.ZipFile", "tarfile.open", "glob", "os.listdir", "os.scandir",
              "os.walk", "os.fwalk")
LISTINGS = ("os.listdir", "os.scandir", "os.walk", "os.fwalk", "glob.glob", "glob.iglob")
PATH_KEYWORDS = ("file", "path", "fname", "filename", "filepath_or_buffer", "name", "top", "pathname")
OUTSIDE = re.compile(r"^(/|~|\.\.(/|$))|/\.\.(/|$)")
# Shell magics (IPython's run_line_magic / run_cell_magic) that run other programs.
SHELL_MAGICS = frozenset({"system", "sx", "bash", "sh", "script", "perl", "ruby", "python", "python2", "python3",
                          "pypy"})
CODE_MAGICS = frozenset({"run", "load", "load_ext", "debug"})
# Special attributes that are data, not behaviour: setting them swaps nothing.
PLAIN_DUNDERS = frozenset({"__doc__", "__all__", "__annotations__", "__dict__", "__slots__"})
RENAMING_DUNDERS = frozenset({"__name__", "__qualname__", "__module__"})
# Method names of the libraries' objects a submission returns (models, optimisers, scalers).
LIBRARY_METHODS = frozenset({"forward", "parameters", "named_parameters", "state_dict", "load_state_dict", "train",
                             "eval", "zero_grad", "step", "backward", "predict", "fit", "transform",
                             "inverse_transform", "fit_transform", "score", "modules", "children", "apply", "to",
                             "double", "float", "detach", "numpy", "item", "tolist"})
# torch.nn classes a lookalike would borrow the name of (a class of that name deriving from torch).
TORCH_CLASSES = frozenset({"Linear", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "SiLU", "GELU", "ELU", "SELU", "Softplus",
                           "Softmax", "LogSoftmax", "Hardtanh", "Mish", "Identity", "Sequential", "ModuleList",
                           "ModuleDict", "Dropout", "BatchNorm1d", "LayerNorm", "Flatten", "MSELoss", "L1Loss",
                           "CrossEntropyLoss", "Module", "Parameter", "Adam", "SGD", "AdamW", "Tensor"})
MAX_CODE_LINES = 12
MAX_CODE_CHARS = 1200


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: str
    found: str
    cell: CodeCell
    first_line: int
    last_line: int

    @property
    def code(self) -> str:
        text = self.cell.lines(self.first_line, min(self.last_line, self.first_line + MAX_CODE_LINES - 1))
        return text if len(text) <= MAX_CODE_CHARS else text[:MAX_CODE_CHARS] + " ..."


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".") or (prefix.endswith("_") and name.startswith(prefix))


_BY_ROOT: dict[str, list[tuple[str, str, str]]] = {}
for _rule_entry in REACHES:
    _BY_ROOT.setdefault(_rule_entry[0].split(".")[0], []).append(_rule_entry)


# Modules other modules import and so hand on as attributes (``torch.os``, ``numpy.sys``).
HANDED_ON = frozenset({"os", "sys", "subprocess", "socket", "gc", "inspect", "builtins", "importlib", "ctypes",
                       "traceback", "threading", "signal", "pty", "multiprocessing", "marshal"})


def _rule(name: str | None) -> tuple[str, str] | None:
    """The kind and description of the first rule a dotted name falls under, also when it reaches a
    module through another one (``torch.os.system`` is ``os.system``)."""
    if not name:
        return None
    parts = name.split(".")
    for start, part in enumerate(parts):
        if start and part not in HANDED_ON:
            continue
        suffix = ".".join(parts[start:])
        for prefix, kind, what in _BY_ROOT.get(part, ()):
            if _matches(suffix, prefix):
                return kind, what
    return None


def _function_like(node: ast.AST, names: Names) -> bool:
    """A value that is (or makes) a function: a lambda, a def, an imported object, a partial or bound method."""
    if isinstance(node, ast.Lambda):
        return True
    if isinstance(node, ast.Name):
        return node.id in names.functions or node.id in names.classes or names.qualify(node) is not None
    if isinstance(node, ast.Attribute):
        return names.qualify(node) is not None or node.attr in names.functions
    if isinstance(node, ast.Call):
        made_by = names.qualify(node.func) or ""
        return made_by.split(".")[-1] in ("partial", "MethodType", "wraps", "classmethod", "staticmethod",
                                         "property", "partialmethod")
    return False


def _constant(node: ast.AST | None) -> bool:
    """A plain value (a setting), not behaviour: literals and containers of them."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_constant(k) and _constant(v) for k, v in zip(node.keys, node.values))
    return False


class Scanner:
    """The findings of one notebook's student cells, given what its names stand for."""

    def __init__(self, names: Names):
        self.names = names
        self.findings: list[Finding] = []

    def add(self, kind: str, found: str, cell: CodeCell, node: ast.AST) -> None:
        first = getattr(node, "lineno", 1)
        self.findings.append(Finding(kind, found, cell, first, getattr(node, "end_lineno", None) or first))

    def scan(self, item: Parsed, offset: ast.AST | None = None, depth: int = 0) -> None:
        """Every finding in one parsed cell (``offset``: the exec call whose literal code this is)."""
        cell = item.cell
        names = self.names
        where = (lambda _node: offset) if offset is not None else (lambda node: node)
        for node in ast.walk(item.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports(node, cell, where(node))
            elif isinstance(node, (ast.Name, ast.Attribute)) and not isinstance(item.parents.get(node), ast.Attribute):
                qualified = names.qualify(node)
                found = _rule(qualified)
                if found:
                    self.add(found[0], f"{found[1]}: {qualified}", cell, where(node))
                if isinstance(node, ast.Attribute):
                    self.attribute_chain(node, cell, where(node))
            if isinstance(node, ast.Call):
                reached = names.qualify(node)       # getattr(m, "x"), __import__("m"), import_module("m")
                found = _rule(reached) if reached else None
                if found:
                    self.add(found[0], f"{found[1]}: {reached}", cell, where(node))
                self.call(node, item, where(node), depth)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                self.assignment(node, cell, where(node))
            elif isinstance(node, ast.ClassDef):
                self.class_def(node, cell, where(node))

    def imports(self, node: ast.Import | ast.ImportFrom, cell: CodeCell, at: ast.AST) -> None:
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [f"{node.module}.{a.name}" if a.name != "*" else node.module for a in node.names]
            if node.module and not node.level else [])
        for module in modules:
            found = _rule(module)
            if found:
                self.add(found[0], f"{found[1]}: imports {module}", cell, at)

    def attribute_chain(self, node: ast.Attribute, cell: CodeCell, at: ast.AST) -> None:
        for part in (n for n in ast.walk(node) if isinstance(n, ast.Attribute)):
            if part.attr in FRAME_ATTRIBUTES:
                self.add("frames", f"reads the frame or globals of other code: .{part.attr}", cell, at)
            elif part.attr in WALK_ATTRIBUTES:
                self.add("gc_walk", f"lists every subclass of a class: .{part.attr}", cell, at)
            elif part.attr in ("parent", "parents") and self._is_working_folder(part.value):
                self.add("files_outside", "goes up from the notebook's folder (.parent)", cell, at)

    def _is_working_folder(self, node: ast.AST) -> bool:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and (self.names.qualify(inner.func) or "") in (
                    "pathlib.Path.cwd", "os.getcwd", "pathlib.Path", "pathlib.Path.resolve"):
                return True
            if isinstance(inner, ast.Name) and inner.id == "__file__":
                return True
        return False

    def call(self, node: ast.Call, item: Parsed, at: ast.AST, depth: int) -> None:
        names, cell = self.names, item.cell
        func = names.qualify(node.func) or ""
        first = node.args[0] if node.args else None
        if func in CODE_RUNNERS:
            code = literal(first)
            if code is None:
                self.add("dynamic_code", f"runs code built at run time: {func.split('.')[-1]}(...)", cell, at)
            elif depth < 3:
                self._scan_literal(code, item, at, depth)
        elif func in IMPORTERS and literal(first) is None:
            self.add("dynamic_code", f"imports a module named at run time: {func.split('.')[-1]}(...)", cell, at)
        elif func in ("IPython.shell.run_line_magic", "IPython.shell.run_cell_magic"):
            magic = (literal(first) or "").lstrip("%")
            if magic in SHELL_MAGICS:
                self.add("processes", f"runs a shell command (%{magic})", cell, at)
            elif magic in CODE_MAGICS:
                self.add("dynamic_code", f"runs code from elsewhere (%{magic})", cell, at)
        elif func in ("builtins.getattr", "builtins.setattr", "builtins.delattr", "builtins.hasattr"):
            self.attribute_call(func.split(".")[-1], node, item, at)
        elif func in ("builtins.object.__setattr__", "builtins.type.__setattr__", "builtins.object.__delattr__"):
            self.add("method_swap", f"sets attributes behind a class's back: {func.removeprefix('builtins.')}",
                     cell, at)
        elif func == "builtins.type" and len(node.args) == 3 and literal(first) in TORCH_CLASSES:
            self.add("lookalike_class", f"makes a class named {literal(first)} with type()", cell, at)
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "update" and self._attributes_of(
                node.func.value):
            self.add("method_swap", "rewrites an object's attributes through its __dict__", cell, at)
        if any(_matches(func, p) for p in FILE_CALLS):
            self.file_call(func, node, cell, at)

    def _scan_literal(self, code: str, item: Parsed, at: ast.AST, depth: int) -> None:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        parents = {child: n for n in ast.walk(tree) for child in ast.iter_child_nodes(n)}
        inner = Parsed(item.cell, tree, parents)
        collect([inner], self.names)                # what the literal code imports, it names
        self.scan(inner, offset=at, depth=depth + 1)

    def attribute_call(self, which: str, node: ast.Call, item: Parsed, at: ast.AST) -> None:
        if len(node.args) < 2:
            return
        cell = item.cell
        target, attr = node.args[0], literal(node.args[1])
        owner = self.names.qualify(target)
        if attr is None and owner:
            known = self.names.strings_of(node.args[1], item.parents)
            if known is None:
                self.add("dynamic_code" if which in ("getattr", "hasattr") else "patching",
                         f"{which}() on {owner} with a name computed at run time", cell, at)
            for name in known or ():        # a loop over a list of names: each one is read as written
                found = _rule(f"{owner}.{name}")
                if found:
                    self.add(found[0], f"{found[1]}: {owner}.{name}", cell, at)
            return
        if attr is None:
            return
        if which in ("setattr", "delattr"):
            value = node.args[2] if len(node.args) > 2 else None
            self.attribute_write(target, str(attr), value, cell, at, how=which)

    def _attributes_of(self, node: ast.AST) -> bool:
        """``x.__dict__`` or ``vars(x)``: an object's attribute table."""
        return (isinstance(node, ast.Attribute) and node.attr == "__dict__") or (
            isinstance(node, ast.Call) and self.names.qualify(node.func) == "builtins.vars" and bool(node.args))

    def assignment(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete, cell: CodeCell,
                   at: ast.AST) -> None:
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        value = getattr(node, "value", None)
        for target in targets:
            for part in ast.walk(target) if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                if isinstance(part, ast.Attribute):
                    self.attribute_write(part.value, part.attr, value, cell, at,
                                         how="del" if isinstance(node, ast.Delete) else "=")
                elif isinstance(part, ast.Subscript):
                    owner = self.names.qualify(part.value)
                    if owner in ("builtins", "builtins.__dict__"):
                        self.add("patching", "replaces a builtin through __builtins__", cell, at)
                    elif self._attributes_of(part.value):
                        self.add("method_swap", "rewrites an object's attributes through its __dict__", cell, at)

    def attribute_write(self, target: ast.AST, attr: str, value: ast.AST | None, cell: CodeCell, at: ast.AST,
                        how: str) -> None:
        owner = self.names.qualify(target)
        if owner is not None:
            if not _constant(value) or attr.startswith("__") or owner.startswith("builtins"):
                self.add("patching", f"replaces {owner}.{attr}" if how != "del" else f"deletes {owner}.{attr}",
                         cell, at)
            return
        if attr in RENAMING_DUNDERS and isinstance(target, ast.Name) and target.id in self.names.classes:
            self.add("lookalike_class", f"renames the class {target.id} ({attr})", cell, at)
        elif attr.startswith("__") and attr.endswith("__") and attr not in PLAIN_DUNDERS | RENAMING_DUNDERS:
            self.add("method_swap", f"replaces {attr} of an object or class", cell, at)
        elif value is not None and _function_like(value, self.names) and (
                attr in LIBRARY_METHODS or attr in self.names.methods):
            self.add("method_swap", f"replaces the method {attr} of an object or class", cell, at)

    def class_def(self, node: ast.ClassDef, cell: CodeCell, at: ast.AST) -> None:
        if node.name in TORCH_CLASSES and any((self.names.qualify(b) or "").startswith("torch") for b in node.bases):
            self.add("lookalike_class", f"defines a torch class of its own named {node.name}", cell, at)

    def file_call(self, func: str, node: ast.Call, cell: CodeCell, at: ast.AST) -> None:
        arguments = list(node.args[:1]) + [k.value for k in node.keywords if k.arg in PATH_KEYWORDS]
        for argument in arguments:
            path = self.names.string(argument)
            if path is not None and OUTSIDE.search(path):
                self.add("files_outside", f"uses a path outside its folder: {path[:80]!r}", cell, at)
                return
        if func in LISTINGS and arguments and all(self.names.string(a) is None for a in arguments):
            self.add("files_outside", f"lists a folder computed at run time: {func}(...)", cell, at)


def scan(parsed: list[Parsed], names: Names) -> list[Finding]:
    """The findings of the student's cells (the instructor's given cells are not the student's)."""
    scanner = Scanner(names)
    for item in parsed:
        if not item.cell.given:
            scanner.scan(item)
    unique = {(f.kind, f.found, f.cell.number, f.first_line): f for f in scanner.findings}
    return sorted(unique.values(), key=lambda f: (f.cell.number, f.first_line, f.kind))
