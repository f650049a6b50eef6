"""Warm sandboxes: one zygote per grading slot, so interpreter and library start-up is paid once.

Used only where the sandbox has namespaces and uid separation (as root): there each forked
child drops to the slot's uid, so it cannot touch the zygote or leave anything behind for the
next submission. Elsewhere every run starts a fresh sandboxed interpreter instead.
"""
from __future__ import annotations

import atexit
import json
import os
import socket
from pathlib import Path

from . import sandbox

ZYGOTE = Path(__file__).parent / "worker" / "zygote.py"
# The zygote itself runs no student code; its limits only bound the grader's own mistakes.
ZYGOTE_LIMITS = sandbox.Limits(memory_mb=8192, cpu_seconds=10**6, max_processes=4096, max_open_files=1024)


class ZygoteError(RuntimeError):
    pass


class Child:
    """A forked worker, as the session sees it: it can be killed, with everything it started."""

    def __init__(self, zygote: "Zygote", pid: int, uid: int | None):
        self.zygote, self.pid, self.uid = zygote, pid, uid

    def kill(self) -> None:
        self.zygote.kill(self)


class Zygote:
    def __init__(self, *, slot: int, hide: tuple[Path, ...], workdir: Path):
        self.slot, self.hide = slot, tuple(hide)
        self.uid = sandbox.BASE_UID + slot if sandbox.namespaces_available() else None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = sandbox.launch(
            sandbox.python_argv(ZYGOTE, str(theirs.fileno())), scratch=workdir, limits=ZYGOTE_LIMITS,
            hide=list(self.hide), slot=slot, pass_fds=(theirs.fileno(),), output=workdir / "zygote.log",
            drop_privileges=False)
        theirs.close()
        self.control.settimeout(120)
        try:
            hello = json.loads(self.control.recv(65536) or b"{}")
        except (OSError, ValueError):
            hello = {}
        if not hello.get("ready"):
            self.close()
            log = (workdir / "zygote.log").read_text(errors="replace")[-2000:]
            raise ZygoteError(f"the warm sandbox did not start:\n{log}")
        self.preloaded = hello.get("preloaded", [])

    def spawn(self, *, scratch: Path, fds: tuple[int, int, int], limits: sandbox.Limits) -> Child:
        request = {"op": "spawn", "scratch": str(scratch), "uid": self.uid,
                   "env": sandbox.clean_environment(scratch), "limits": limits.__dict__,
                   "cgroups": sandbox.slot_cgroups(self.slot, limits)}
        socket.send_fds(self.control, [json.dumps(request).encode()], list(fds))
        reply = self.control.recv(65536)
        if not reply:
            raise ZygoteError("the warm sandbox stopped")
        return Child(self, json.loads(reply)["pid"], self.uid)

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


def zygote_for(slot: int, hide: tuple[Path, ...], workdir: Path) -> Zygote | None:
    """The warm zygote for this slot (started on first use), or None where it would be unsafe."""
    if not sandbox.namespaces_available() or os.environ.get("LEARNATHON_COLD_START"):
        return None
    key = (os.getpid(), slot, tuple(hide))
    zygote = _zygotes.get(key)
    if zygote is None or not zygote.alive:
        zygote = _zygotes[key] = Zygote(slot=slot, hide=hide, workdir=workdir / f"zygote-{os.getpid()}-{slot}")
    return zygote


@atexit.register
def _close_all() -> None:
    for key, zygote in list(_zygotes.items()):
        if key[0] == os.getpid():
            zygote.close()
    _zygotes.clear()
