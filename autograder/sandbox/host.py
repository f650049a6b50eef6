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
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from ..config import current as current_config
from ..errors import GraderError
from . import launcher

ZYGOTE = "zygote.py"        # in the worker's folder (sandbox/view.py binds it into the sandbox)
# The host itself runs no student code; its limits only bound the grader's own mistakes.
ZYGOTE_LIMITS = launcher.Limits(memory_mb=8192, cpu_seconds=10**6, max_processes=4096, max_open_files=1024)
# Libraries every worker needs, whatever the assignment declares in its grading.toml.
GENERIC_PRELOAD = ("numpy", "IPython.core.interactiveshell")


class ZygoteError(GraderError):
    """The sandbox host did not start or stopped: a problem of the grading machine."""


def start_failure(log: str, libraries: tuple[str, ...] = ()) -> str:
    """Why the sandbox host did not start, what to do about it, and its own last words."""
    try:
        problems = launcher.reach_problems(libraries)
    except GraderError as exc:
        problems = [str(exc)]
    lines = ["the grading sandbox did not start."]
    lines += [f"  - {problem}" for problem in problems]
    lines.append(launcher.CHECK_HINT)
    if log.strip():
        lines.append("Its output:\n" + log.strip())
    return "\n".join(lines)


class Child:
    """A forked worker, as the session sees it: it can be killed, with everything it started."""

    def __init__(self, zygote: Zygote, pid: int, uid: int | None, *, last: bool = False):
        self.zygote, self.pid, self.uid, self.last = zygote, pid, uid, last

    def kill(self) -> None:
        self.zygote.kill(self)
        if self.last:          # a cold host served its one child
            self.zygote.close()


class Zygote:
    """A sandbox host and this process's channel to it.

    With ``addresses``, the host is started here for other processes, the grading processes of this
    class run: it listens at each address and serves the first process that connects (``connect``);
    beyond the first address it clones itself after its preload, one copy per address, each in
    namespaces of its own (``worker/zygote.py``), so the libraries load once, while the grading
    processes start.
    """

    def __init__(self, *, slot: int, libraries: tuple[str, ...], workdir: Path, preload: tuple[str, ...] = (),
                 addresses: tuple[Path, ...] = (), slots: tuple[int, ...] = ()):
        self.slot, self.libraries = slot, tuple(libraries)
        self.uid = launcher.BASE_UID + slot if launcher.namespaces_available() else None
        self.stopped = False
        if not addresses:
            ours, pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            theirs = [pair]
        else:
            ours, theirs = None, [socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in addresses]
        self.control: socket.socket | None = ours
        self.process: subprocess.Popen[bytes] | None = None
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            for listener, address in zip(theirs, addresses):
                listener.bind(str(address))
                listener.listen(1)
            fds = tuple(t.fileno() for t in theirs)
            uids = [launcher.BASE_UID + s if self.uid is not None else None for s in (slots or (slot,))]
            config = json.dumps({"controls": list(fds), "uids": uids, "preload": list(preload)})
            self.process = launcher.launch(ZYGOTE, [config], workdir=workdir, limits=ZYGOTE_LIMITS,
                                           view=launcher.view_for(self.libraries), pass_fds=fds,
                                           output=workdir / "zygote.log")
        except OSError as exc:
            if ours is not None:
                ours.close()
            raise ZygoteError(start_failure(f"{exc}", self.libraries)) from exc
        except GraderError:
            if ours is not None:
                ours.close()
            raise
        finally:
            for end in theirs:
                end.close()
        self.workdir, self.preloaded = workdir, None   # None until its hello arrives (ready())

    @classmethod
    def connect(cls, *, slot: int, libraries: tuple[str, ...], workdir: Path, address: Path) -> Zygote:
        """The host another process started for this slot (``HostsForJobs``), reached at ``address``."""
        zygote = cls.__new__(cls)
        zygote.slot, zygote.libraries, zygote.workdir, zygote.preloaded = slot, tuple(libraries), workdir, None
        zygote.uid = launcher.BASE_UID + slot if launcher.namespaces_available() else None
        zygote.stopped, zygote.process = False, None
        zygote.control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            zygote.control.connect(str(address))
        except OSError as exc:
            zygote.control.close()
            raise ZygoteError(start_failure(f"cannot reach the sandbox host at {address}: {exc}",
                                            zygote.libraries)) from exc
        return zygote

    def _channel(self) -> socket.socket:
        if self.control is None:
            raise ZygoteError("this sandbox host serves the grading processes of a class run, not this one")
        return self.control

    def ready(self) -> None:
        """Wait for the host's hello: its libraries are loaded. Not in __init__, so the grader
        goes on (reading the notebook, importing pytest) while the host imports torch."""
        if self.preloaded is not None:
            return
        self._channel().settimeout(120)
        try:
            hello = json.loads(self._channel().recv(65536) or b"{}")
        except (OSError, ValueError):
            hello = {}
        if not hello.get("ready"):
            self.close()
            log = (self.workdir / "zygote.log").read_text(errors="replace")[-2000:]
            raise ZygoteError(start_failure(log, self.libraries))
        self.preloaded = hello.get("preloaded", [])

    def spawn(self, *, scratch: Path, fds: tuple[int, int, int], limits: launcher.Limits,
              files: tuple[Path, ...] = (), last: bool = False) -> Child:
        """Fork a run: ``fds`` its channel and output, ``scratch`` its working folder as it sees it
        (``launcher.run_scratch``), ``files`` the released files put there (passed open: the sandbox
        cannot reach them by path)."""
        self.ready()
        if len(files) > MAX_RELEASED_FILES:
            raise ZygoteError(f"an assignment may release at most {MAX_RELEASED_FILES} files beside its notebooks")
        opened: list[int] = []
        try:
            cgroups = [os.open(path, os.O_WRONLY | os.O_CLOEXEC) for path in launcher.slot_cgroups(self.slot, limits)]
            opened += cgroups
            opened += [os.open(path, os.O_RDONLY | os.O_CLOEXEC) for path in files]
            request = {"op": "spawn", "scratch": str(scratch), "env": launcher.student_environment(scratch),
                       "limits": dataclasses.asdict(limits), "cgroups": len(cgroups),
                       "files": [path.name for path in files]}
            socket.send_fds(self._channel(), [json.dumps(request).encode()], [*fds, *opened])
            reply = self._channel().recv(65536)
        except OSError:
            reply = b""
        finally:
            for fd in opened:
                os.close(fd)
        if not reply:
            self.stopped = True
            raise ZygoteError("the grading sandbox stopped")
        return Child(self, json.loads(reply)["pid"], self.uid, last=last)

    def kill(self, child: Child) -> None:
        try:
            self._channel().send(json.dumps({"op": "kill", "pid": child.pid}).encode())
            self._channel().recv(65536)
        except OSError:
            pass

    @property
    def alive(self) -> bool:
        return not self.stopped and (self.process is None or self.process.poll() is None)

    def close(self) -> None:
        try:
            if self.control is not None:
                self.control.close()
        finally:
            if self.process is not None:       # a host started elsewhere is closed there
                launcher.kill(self.process)


# (grading process, slot, libraries, preloaded) -> its warm host
_zygotes: dict[tuple[int, int, tuple[str, ...], tuple[str, ...]], Zygote] = {}
MAX_RELEASED_FILES = 48     # within the host's MAX_FDS per request (worker/zygote.py)


def host_libraries(preload: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(GENERIC_PRELOAD + tuple(preload)))


def warm_available() -> bool:
    return launcher.namespaces_available() and not current_config().cold_start


def zygote_for(slot: int, libraries: tuple[str, ...], workdir: Path,
               preload: tuple[str, ...] = ()) -> Zygote | None:
    """The warm zygote for this slot, view (``libraries``: what its code may import) and preload
    list (started on first use), or None where it would be unsafe (no namespaces) or is switched
    off (the configuration's ``cold_start``, LEARNATHON_COLD_START)."""
    if not warm_available():
        return None
    preloaded = host_libraries(preload)
    key = (os.getpid(), slot, tuple(libraries), preloaded)
    zygote = _zygotes.get(key)
    if zygote is None or not zygote.alive:
        if zygote is not None:
            zygote.close()
        index = list(_zygotes).index(key) if key in _zygotes else len(_zygotes)
        zygote = _zygotes[key] = Zygote(slot=slot, libraries=libraries, preload=preloaded,
                                        workdir=workdir / f"zygote-{os.getpid()}-{slot}-{index}")
    return zygote


@dataclasses.dataclass(frozen=True)
class HostOffer:
    """Plain data a grading process needs to take over a host started for it (``adopt``)."""
    slot: int
    address: str
    libraries: tuple[str, ...]      # what its code may import (its view)
    preloaded: tuple[str, ...]
    workdir: str


class HostsForJobs:
    """The sandbox hosts of a class run's grading processes, started by the run itself, first thing.

    One host is launched; it imports the assignment's libraries while the grading processes start
    (side by side on two cores instead of one after the other), then clones itself into one host per
    grading process, each in namespaces of its own: the libraries are imported once per run, not
    once per process. Each grading process takes one over with ``adopt`` (its slot with it); this
    process holds the slots and stops the hosts (the clones die with the first). A process that
    finds no host left starts its own, as without this.
    """

    def __init__(self, count: int, *, libraries: tuple[str, ...], preload: tuple[str, ...], workdir: Path):
        self.offers: list[HostOffer] = []
        self._host: Zygote | None = None
        self._slots: list[IO[str]] = []
        self._folder: Path | None = None
        if not warm_available() or count < 1:
            return
        preloaded = host_libraries(preload)
        workdir.mkdir(parents=True, exist_ok=True)
        self._folder = folder = Path(tempfile.mkdtemp(prefix="hosts-", dir=workdir))   # mode 700: root's only
        reserved = launcher.reserve_slots(count)
        self._slots = [lock for _, lock in reserved]
        addresses = tuple(folder / f"slot-{slot}" for slot, _ in reserved)
        if any(len(str(address)) > 100 for address in addresses):     # beyond what a Unix socket address holds
            return
        try:
            self._host = Zygote(slot=reserved[0][0], libraries=libraries, preload=preloaded, workdir=folder / "host",
                                addresses=addresses, slots=tuple(slot for slot, _ in reserved))
        except GraderError:
            return                                 # the grading processes start their own (and report why)
        self.offers = [HostOffer(slot, str(address), tuple(libraries), preloaded, str(folder / "host"))
                       for (slot, _), address in zip(reserved, addresses)]

    def __enter__(self) -> HostsForJobs:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._host is not None:
            self._host.close()
        for lock in self._slots:
            lock.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def adopt(offers: list[HostOffer]) -> None:
    """In a grading process: take over the first host no other process has taken (a lock next
    to its address), with its slot. Without one, the process starts its own host when needed."""
    for offer in offers:
        claim = launcher.try_lock(f"{offer.address}.claim")
        if claim is None:
            continue
        _claims.append(claim)                      # held while this process lives
        try:
            zygote = Zygote.connect(slot=offer.slot, libraries=offer.libraries, workdir=Path(offer.workdir),
                                    address=Path(offer.address))
        except ZygoteError:
            return
        launcher.adopt_slot(offer.slot)
        _zygotes[(os.getpid(), offer.slot, offer.libraries, offer.preloaded)] = zygote
        return


_claims: list[IO[str]] = []


def imported_modules_with_parents(sources: Iterable[str]) -> set[str]:
    """The modules code cells import, with their parent packages (``import matplotlib.pyplot``:
    matplotlib.pyplot and matplotlib); cells that do not parse are skipped."""
    names: set[str] = set()
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


def preload_for(candidates: Iterable[str], sources: Iterable[str]) -> tuple[str, ...]:
    """The trusted preload entries (an assignment's grading.toml) that the notebook's cells use:
    for grading one notebook, the host need not import what only another part imports. The
    notebook only selects among ``candidates``; it never names what the root-owned host imports.
    Submodules it does not import itself (torch._dynamo) are left to be imported when used."""
    used = imported_modules_with_parents(sources)
    return tuple(name for name in candidates if name in used)


def notebook_preload(candidates: Iterable[str], notebook: Path) -> tuple[str, ...]:
    """``preload_for`` the notebook file's code cells; nothing if it cannot be read (it will not
    run: the grader reports why). Read by the intake layer, as the grader reads it."""
    from ..intake.notebook import SubmissionError, raw_cells, read_json_notebook

    try:
        cells = raw_cells(read_json_notebook(notebook))
    except SubmissionError:
        return ()
    return preload_for(candidates, [c["source"] for c in cells if c["cell_type"] == "code"])


def one_shot(slot: int, libraries: tuple[str, ...], workdir: Path, *, scratch: Path, fds: tuple[int, int, int],
             limits: launcher.Limits, files: tuple[Path, ...] = ()) -> Child:
    """A cold run: a host that preloads nothing, forks this one child and goes when it is killed."""
    zygote = Zygote(slot=slot, libraries=libraries, workdir=workdir)
    try:
        return zygote.spawn(scratch=scratch, fds=fds, limits=limits, files=files, last=True)
    except ZygoteError:
        zygote.close()
        raise


@atexit.register
def _close_all() -> None:
    for key, zygote in list(_zygotes.items()):
        if key[0] == os.getpid():
            zygote.close()
    _zygotes.clear()
