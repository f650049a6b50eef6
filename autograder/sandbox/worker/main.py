"""The sandboxed worker: runs a notebook's code cells, then answers the grader's calls.

Started as ``python -I main.py FD_IN FD_OUT`` by ``autograder.sandbox.session`` inside the sandbox.
Requests and replies are framed JSON (see codec.py); the student's prints go to fds 1 and 2,
which the sandbox points at a capped file, never at the grader's channel.
"""
from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codec  # noqa: E402
import probes  # noqa: E402

# The worker keeps its own references; the names leave sys.modules and sys.path so that student code
# does not stumble on them. Not a protection (gc finds them): nothing the worker reports is trusted.
del sys.path[0]
for _name in ("codec", "probes"):
    sys.modules.pop(_name, None)


def read_exactly(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Worker:
    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        # Released files (data, helper modules) are importable, but never ahead of installed packages.
        sys.path.append(os.getcwd())
        for name in ("main", "zygote", "confine"):      # the worker's own modules, as codec and probes above
            module = sys.modules.get(name)
            if os.path.dirname(getattr(module, "__file__", "") or "") == os.path.dirname(os.path.abspath(__file__)):
                sys.modules.pop(name, None)
        self.handles: dict[int, object] = {}
        self.probes: probes.Registry = {}          # filled by define_probes (see probes.py)
        self.shell = make_shell()
        self.namespace: dict[str, Any] = self.shell.user_ns if self.shell is not None else {"__name__": "__main__"}

    # --- channel ---
    def receive(self) -> codec.Message:
        return codec.parse_body(read_exactly(self.fd_in, codec.parse_header(read_exactly(self.fd_in, 4))))

    def send(self, message: codec.Message) -> None:
        try:
            data = codec.frame(message)
        except (codec.CodecError, TypeError, ValueError) as exc:
            data = codec.frame({"ok": False, "error": {"type": "ResultTooLarge", "message": str(exc)}})
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd_out, view):]

    # --- operations ---
    def run_cells(self, cells: list[dict[str, Any]]) -> None:
        for cell in cells:
            started, cpu = time.monotonic(), time.process_time()
            error = run_source(self.shell, self.namespace, cell["source"])
            self.send({"event": "cell", "index": cell["index"], "error": error,
                       "seconds": round(time.monotonic() - started, 4),
                       "cpu": round(time.process_time() - cpu, 4)})
        self.send({"event": "cells_done"})

    def make_handle(self, obj: object) -> int:
        key = len(self.handles) + 1
        self.handles[key] = obj
        return key

    def resolve_handle(self, key: object, _type: str | None = None, _real: bool = False) -> object:
        if key not in self.handles:
            raise codec.CodecError(f"unknown object handle {key}")
        return self.handles[key]

    def decode(self, value: object) -> Any:
        return codec.decode(value, self.resolve_handle, self.make_probe, tensors=True)

    def make_probe(self, name: str, params: object) -> Any:
        return probes.make(self.probes, name, params)

    def define_probes(self, request: codec.Message) -> codec.Message:
        try:
            self.probes = probes.define(str(request["source"]), str(request.get("filename", "probes.py")))
        except BaseException as exc:  # noqa: B902 - a broken probes module must not take the worker down
            return {"ok": False, "error": describe_exception(exc)}
        return {"ok": True, "value": None}

    def target(self, request: codec.Message) -> Any:
        if "handle" in request:
            obj = self.resolve_handle(request["handle"], None)
        else:
            name = request["name"]
            if name not in self.namespace:
                raise LookupError(f"no variable or function named {name!r} is defined in the notebook")
            obj = self.namespace[name]
        for attr in request.get("path", []):
            obj = getattr(obj, attr)
        return obj

    def call(self, request: codec.Message) -> codec.Message:
        try:
            function = self.target(request)
            args = [self.decode(a) for a in request.get("args", [])]
            kwargs = {k: self.decode(v) for k, v in request.get("kwargs", {}).items()}
        except LookupError as exc:
            return {"ok": False, "error": {"type": "Missing", "message": str(exc)}}
        except Exception as exc:  # an unknown probe or handle must not take the worker down
            return {"ok": False, "error": {"type": "BadArguments", "message": safe_str(exc)[:600]}}
        if not callable(function):
            return {"ok": False, "error": {"type": "NotCallable",
                                           "message": f"{describe_type(function)} object is not callable"}}
        before = snapshot(args, kwargs)
        started, cpu = time.monotonic(), time.process_time()
        try:
            value = function(*args, **kwargs)
        except BaseException as exc:  # noqa: B902 - SystemExit from student code is an ordinary error here
            return {"ok": False, "error": describe_exception(exc), **timed(started, cpu)}
        timing = timed(started, cpu)
        return {**self.reply_value(value, mutated=changed(before, args, kwargs)), **timing}

    def build_probe(self, request: codec.Message) -> codec.Message:
        """A probe built here and handed back (data as data, objects as handles): one round trip
        for what a test gets from ``student.build_probe(Probe(...))``."""
        try:
            value = self.decode((request.get("args") or [None])[0])
        except BaseException as exc:  # noqa: B902 - an unknown or failing probe must not take the worker down
            return {"ok": False, "error": {"type": "BadArguments", "message": safe_str(exc)[:600]}}
        return self.reply_value(value)

    def inspect(self, request: codec.Message) -> codec.Message:
        """Methods set on the object itself that shadow its class's (a forward swapped on the instance),
        and forward hooks: the grader rejects a model so changed (see session.RemoteObject.inspect)."""
        try:
            obj = self.resolve_handle(request.get("handle"))
            return self.reply_value({"replaced": replaced_methods(obj), "hooks": forward_hooks(obj)})
        except BaseException as exc:  # noqa: B902 - a hostile object must not take the worker down
            return {"ok": False, "error": describe_exception(exc)}

    def get(self, request: codec.Message) -> codec.Message:
        try:
            value = self.target(request)
        except LookupError as exc:
            return {"ok": False, "error": {"type": "Missing", "message": str(exc)}}
        except BaseException as exc:  # noqa: B902
            return {"ok": False, "error": describe_exception(exc)}
        return self.reply_value(value)

    def reply_value(self, value: object, mutated: Sequence[str] = ()) -> codec.Message:
        try:
            return {"ok": True, "value": codec.encode(value, self.make_handle), "mutated": list(mutated)}
        except BaseException as exc:  # noqa: B902 - hostile __array__, __len__, ...
            return {"ok": False, "error": {"type": "Unsendable",
                                           "message": f"the result could not be read: {safe_str(exc)}"}}

    def serve(self) -> None:
        self.send({"event": "ready", "cpu": round(time.process_time(), 4)})
        while True:
            try:
                request = self.receive()
            except EOFError:
                return
            op = request.get("op")
            if op == "run_cells":
                self.run_cells(request["cells"])
            elif op == "call":
                self.send(self.call(request))
            elif op == "get":
                self.send(self.get(request))
            elif op == "inspect":
                self.send(self.inspect(request))
            elif op == "build_probe":
                self.send(self.build_probe(request))
            elif op == "define_probes":
                self.send(self.define_probes(request))
            elif op == "exit":
                return
            else:
                self.send({"ok": False, "error": {"type": "Protocol", "message": f"unknown op {op!r}"}})


def timed(started: float, cpu: float) -> dict[str, float]:
    """How long the student's function ran (for the grader's timing counters), and this process's
    CPU time so far."""
    now = time.process_time()
    return {"seconds": round(time.monotonic() - started, 4), "cpu": round(now - cpu, 4), "worker_cpu": round(now, 4)}


# --- executing cells ---------------------------------------------------------------------------

def _does_nothing(*_args: object) -> None:
    """Plot and install magics (``%matplotlib``, ``%pip``) and shell commands have no meaning here."""


def make_shell() -> InteractiveShell | None:
    """The IPython shell cells run in (``InteractiveShell.instance()``: in a warm host it was made before the
    fork, ``zygote.warm_worker``), or None without IPython. Its history is off: cells run with
    ``store_history=False``, and the history database and its writer thread are one file and one thread
    less per run (and, made in the host, no handle a run could share with the next)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config
    except ImportError:
        return None
    if InteractiveShell.initialized():
        shell = InteractiveShell.instance()
        profile = shell.profile_dir
        try:        # the profile folder it made is the host's: each run gets its own, as when it builds the shell
            if profile is not None:
                os.makedirs(profile.location, exist_ok=True)
                profile.check_dirs()
        except OSError:
            pass
    else:
        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
    # Plot and install magics have no meaning here; they must not break the cell they are in.
    for magic in ("matplotlib", "pip", "conda"):
        # IPython's decorator-wrapped signature types self as its first argument.
        shell.register_magic_function(_does_nothing, "line", magic)  # type: ignore[arg-type]
    shell.system = _does_nothing  # type: ignore[method-assign]  # on this instance: shell commands do nothing
    return shell


def run_source(shell: InteractiveShell | None, namespace: dict[str, Any], source: str) -> str | None:
    """Run one cell; return None or a one-line description of its error."""
    if shell is None:
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
            return None
        except BaseException as exc:  # noqa: B902
            return format_error(exc)
    try:
        result = shell.run_cell(source, store_history=False, silent=True)
    except BaseException as exc:  # noqa: B902
        return format_error(exc)
    error = result.error_before_exec or result.error_in_exec
    return format_error(error) if error is not None else None


def format_error(exc: BaseException) -> str:
    info = describe_exception(exc)
    return f"{info['type']}: {info['message']}" if info["message"] else info["type"]


def safe_str(obj: object) -> str:
    try:
        text = str(obj)
    except BaseException:  # noqa: B902
        text = "<unprintable>"
    return text if isinstance(text, str) else "<unprintable>"


def describe_type(obj: object) -> str:
    try:
        return type(obj).__name__
    except BaseException:  # noqa: B902
        return "an unknown"


def describe_exception(exc: BaseException) -> dict[str, Any]:
    message = safe_str(exc)[:600]
    line = None
    try:
        frames = traceback.extract_tb(exc.__traceback__)
        cells = [f for f in frames if f.filename.startswith("<")]
        if cells:
            line = cells[-1].lineno
    except BaseException:  # noqa: B902
        pass
    return {"type": describe_type(exc)[:80], "message": message, "line": line}


# --- objects changed on the instance ---------------------------------------------------------------

def _own_attributes(obj: object) -> dict[object, object]:
    try:
        own = object.__getattribute__(obj, "__dict__")
    except BaseException:  # noqa: B902
        return {}
    return dict(dict.items(own)) if isinstance(own, dict) else {}


def _submodules(obj: object) -> list[tuple[str, object]]:
    modules = _own_attributes(obj).get("_modules")
    return [(str(k), v) for k, v in dict.items(modules)] if isinstance(modules, dict) else []


def replaced_methods(obj: object, prefix: str = "", depth: int = 0) -> list[str]:
    """Names of callables stored on the object (or a torch submodule) under a name its class defines."""
    found = []
    cls = type(obj)
    for name, value in _own_attributes(obj).items():
        if isinstance(name, str) and not name.startswith("__") and callable(value) and not isinstance(value, type):
            try:
                shadows = any(name in vars(base) for base in type.__getattribute__(cls, "__mro__"))
            except BaseException:  # noqa: B902
                shadows = True
            if shadows:
                found.append(prefix + name)
    if depth < 8:
        for key, sub in _submodules(obj):
            found += replaced_methods(sub, f"{prefix}{key}.", depth + 1)
    return found[:50]


def forward_hooks(obj: object, prefix: str = "", depth: int = 0) -> list[str]:
    """Forward hooks on the object, its submodules, and torch's global ones: each can rewrite an output."""
    found = []
    own = _own_attributes(obj)
    for key in ("_forward_hooks", "_forward_pre_hooks"):
        if isinstance(own.get(key), dict) and own[key]:
            found.append(f"{prefix}{key.strip('_')}")
    if depth < 8:
        for name, sub in _submodules(obj):
            found += forward_hooks(sub, f"{prefix}{name}.", depth + 1)
    module = sys.modules.get("torch.nn.modules.module")
    if depth == 0 and module is not None:
        for key in ("_global_forward_hooks", "_global_forward_pre_hooks"):
            if getattr(module, key, None):
                found.append(f"torch's {key.strip('_')}")
    return found[:50]


# --- detecting changes to the caller's arrays ------------------------------------------------------

def walk_arrays(value: object, path: str) -> Iterator[tuple[str, Any]]:
    """(path, array) of the arrays in the arguments: recognised by their type's name (numpy is not imported for
    this), so what comes out is numpy's array as decoded here, or an object of a handle that names itself so."""
    if type(value) in (list, tuple) and isinstance(value, list | tuple):   # exactly these: the isinstance narrows
        for i, v in enumerate(value):
            yield from walk_arrays(v, f"{path}[{i}]")
    elif type(value) is dict:
        for k, v in value.items():
            yield from walk_arrays(v, f"{path}[{k!r}]")
    elif type(value).__name__ == "ndarray":
        yield path, value


def snapshot(args: Sequence[object], kwargs: Mapping[str, object]) -> dict[str, Any]:
    return {path: array.copy() for path, array in walk_arrays({"args": list(args), "kwargs": kwargs}, "")}


def changed(before: Mapping[str, Any], args: Sequence[object], kwargs: Mapping[str, object]) -> list[str]:
    import numpy as np

    now = dict(walk_arrays({"args": list(args), "kwargs": kwargs}, ""))
    return [path.replace("['args']", "args").replace("['kwargs']", "kwargs")
            for path, old in before.items()
            if path in now and (now[path].shape != old.shape or not np.array_equal(now[path], old, equal_nan=True))]


if __name__ == "__main__":
    Worker(int(sys.argv[1]), int(sys.argv[2])).serve()
    sys.stdout.flush()
    os._exit(0)
