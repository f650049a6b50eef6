"""The sandbox host on the grader's side: a zygote that forks one confined child per run.

Warm (``zygote_for``): one host per grading slot, preloading the assignment's libraries, so
interpreter and library start-up is paid once. Used only where the sandbox has namespaces and
uid separation (as root): there each forked child drops to the slot's uid, so it cannot touch
the host or leave anything behind for the next submission.
Cold (``one_shot``, elsewhere or with LEARNATHON_COLD_START=1): a host that preloads nothing
and serves exactly one child. Either way the child is confined by the same code
(``worker/confine.py``).
"""
from __future__ import annotations

import ast
import atexit
import dataclasses
import json
import os
import socket
from pathlib import Path

from . import sandbox
from .records import GraderError

ZYGOTE = Path(__file__).parent / "worker" / "zygote.py"
# The host itself runs no student code; its limits only bound the grader's own mistakes.
ZYGOTE_LIMITS = sandbox.Limits(memory_mb=8192, cpu_seconds=10**6, max_processes=4096, max_open_files=1024)
# Libraries every worker needs, whatever the assignment declares in its grading.toml.
GENERIC_PRELOAD = ("numpy", "IPython.core.interactiveshell")


class ZygoteError(GraderError):
    """The sandbox host did not start or stopped: a problem of the grading machine."""


def start_failure(log: str) -> str:
    """Why the sandbox host did not start, what to do about it, and its own last words."""
    problems = sandbox.reach_problems() if sandbox.namespaces_available() else []
    lines = ["the grading sandbox did not start."]
    lines += [f"  - {problem}" for problem in problems]
    lines.append(sandbox.CHECK_HINT)
    if log.strip():
        lines.append("Its output:\n" + log.strip())
    return "\n".join(lines)


class Child:
    """A forked worker, as the session sees it: it can be killed, with everything it started."""

    def __init__(self, zygote: "Zygote", pid: int, uid: int | None, *, last: bool = False):
        self.zygote, self.pid, self.uid, self.last = zygote, pid, uid, last

    def kill(self) -> None:
        self.zygote.kill(self)
        if self.last:          # a cold host served its one child
            self.zygote.close()


class Zygote:
    def __init__(self, *, slot: int, hide: tuple[Path, ...], workdir: Path, preload: tuple[str, ...] = ()):
        self.slot, self.hide = slot, tuple(hide)
        self.uid = sandbox.BASE_UID + slot if sandbox.namespaces_available() else None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            self.process = sandbox.launch(
                sandbox.python_argv(ZYGOTE, str(theirs.fileno()), json.dumps(list(preload))), scratch=workdir,
                limits=ZYGOTE_LIMITS, hide=list(self.hide), slot=slot, pass_fds=(theirs.fileno(),),
                output=workdir / "zygote.log")
        except OSError as exc:
            ours.close()
            raise ZygoteError(start_failure(f"{exc}")) from exc
        except GraderError:
            ours.close()
            raise
        finally:
            theirs.close()
        self.workdir, self.preloaded = workdir, None   # None until its hello arrives (ready())

    def ready(self) -> None:
        """Wait for the host's hello: its libraries are loaded. Not in __init__, so the grader
        goes on (reading the notebook, importing pytest) while the host imports torch."""
        if self.preloaded is not None:
            return
        self.control.settimeout(120)
        try:
            hello = json.loads(self.control.recv(65536) or b"{}")
        except (OSError, ValueError):
            hello = {}
        if not hello.get("ready"):
            self.close()
            log = (self.workdir / "zygote.log").read_text(errors="replace")[-2000:]
            raise ZygoteError(start_failure(log))
        self.preloaded = hello.get("preloaded", [])

    def spawn(self, *, scratch: Path, fds: tuple[int, int, int], limits: sandbox.Limits, last: bool = False) -> Child:
        self.ready()
        request = {"op": "spawn", "scratch": str(scratch), "uid": self.uid,
                   "env": sandbox.clean_environment(scratch), "limits": dataclasses.asdict(limits),
                   "cgroups": sandbox.slot_cgroups(self.slot, limits)}
        try:
            socket.send_fds(self.control, [json.dumps(request).encode()], list(fds))
            reply = self.control.recv(65536)
        except OSError:
            reply = b""
        if not reply:
            raise ZygoteError("the grading sandbox stopped")
        return Child(self, json.loads(reply)["pid"], self.uid, last=last)

    def kill(self, child: Child) -> None:
        try:
            self.control.send(json.dumps({"op": "kill", "pid": child.pid, "uid": child.uid}).encode())
            self.control.recv(65536)
        except OSError:
            pass

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        try:
            self.control.close()
        finally:
            sandbox.kill(self.process)


_zygotes: dict[tuple, Zygote] = {}


def zygote_for(slot: int, hide: tuple[Path, ...], workdir: Path, preload: tuple[str, ...] = ()) -> Zygote | None:
    """The warm zygote for this slot and preload list (started on first use), or None where it
    would be unsafe (no namespaces) or is switched off (LEARNATHON_COLD_START)."""
    if not sandbox.namespaces_available() or os.environ.get("LEARNATHON_COLD_START"):
        return None
    libraries = tuple(dict.fromkeys(GENERIC_PRELOAD + tuple(preload)))
    key = (os.getpid(), slot, tuple(hide), libraries)
    zygote = _zygotes.get(key)
    if zygote is None or not zygote.alive:
        index = list(_zygotes).index(key) if key in _zygotes else len(_zygotes)
        zygote = _zygotes[key] = Zygote(slot=slot, hide=hide, preload=libraries,
                                        workdir=workdir / f"zygote-{os.getpid()}-{slot}-{index}")
    return zygote


def imported_modules(sources) -> set[str]:
    """The modules code cells import, with their parent packages (``import matplotlib.pyplot``:
    matplotlib.pyplot and matplotlib); cells that do not parse are skipped."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                       [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for module in modules:
                parts = module.split(".")
                names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


def preload_for(candidates, sources) -> tuple[str, ...]:
    """The trusted preload entries (an assignment's grading.toml) that the notebook's cells use:
    for grading one notebook, the host need not import what only another part imports. The
    notebook only selects among ``candidates``; it never names what the root-owned host imports.
    Submodules it does not import itself (torch._dynamo) are left to be imported when used."""
    used = imported_modules(sources)
    return tuple(name for name in candidates if name in used)


def notebook_preload(candidates, notebook: Path) -> tuple[str, ...]:
    """``preload_for`` the notebook file's code cells; nothing if it cannot be read (it will not
    run: the grader reports why)."""
    try:
        cells = json.loads(notebook.read_text(errors="replace")).get("cells", [])
        sources = ["".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
                   for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return ()
    return preload_for(candidates, sources)


def one_shot(slot: int, hide: tuple[Path, ...], workdir: Path, *, scratch: Path, fds: tuple[int, int, int],
             limits: sandbox.Limits) -> Child:
    """A cold run: a host that preloads nothing, forks this one child and goes when it is killed."""
    zygote = Zygote(slot=slot, hide=hide, workdir=workdir)
    try:
        return zygote.spawn(scratch=scratch, fds=fds, limits=limits, last=True)
    except ZygoteError:
        zygote.close()
        raise


@atexit.register
def _close_all() -> None:
    for key, zygote in list(_zygotes.items()):
        if key[0] == os.getpid():
            zygote.close()
    _zygotes.clear()
