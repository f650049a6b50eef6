"""`learnathon sandbox`: what the sandbox really does on this machine, checked from inside one.

``sandbox.protections()`` says what the machine offers (root, util-linux, cgroups). That is not
enough: an installation in a private folder, a venv made with umask 077 or a library the
sandbox's user cannot read only shows when a sandbox starts. So this starts a real one (cold:
everything is imported as the sandbox's unprivileged user, nothing is inherited from a warm
host), runs a probe cell in it and names every protection that does not hold and every needed
file it cannot reach, with the fix.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import textwrap
from collections.abc import Callable

from ..errors import GraderError
from ..grading import discovery
from ..intake.cells import Cell
from . import host as warm
from . import launcher
from . import view as views
from .session import SessionConfig, StudentSession


@dataclasses.dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str


PROBE = textwrap.dedent('''
    import importlib, os, socket, sys
    FINDINGS = []
    def finding(name, ok, detail):
        FINDINGS.append([name, bool(ok), detail])
    uid = os.getuid()
    finding("unprivileged user", uid == EXPECTED_UID and uid != 0 and os.getgroups() == [],
            f"runs as uid {uid} (expected {EXPECTED_UID}), groups {os.getgroups()}")
    runnable = os.access(sys.executable, os.X_OK)
    finding("interpreter", runnable and sys.prefix == EXPECTED_PREFIX,
            f"{sys.executable} " + ("can be run" if runnable else "cannot be run by the sandbox's user")
            + ("" if sys.prefix == EXPECTED_PREFIX else f"; its prefix is {sys.prefix}, not {EXPECTED_PREFIX}"))
    closed = []
    for entry in sys.path:
        if entry and os.path.isabs(entry) and entry != os.getcwd() and not entry.endswith(".zip"):
            try:
                os.listdir(entry)
            except OSError as exc:
                closed.append(f"{entry} ({exc.strerror})")
    finding("installed packages", not closed, "cannot read " + ", ".join(closed) if closed
            else f"{len(sys.path)} import folders readable")
    missing = []
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            missing.append(f"{name} ({type(exc).__name__}: {str(exc)[:120]})")
    finding("libraries", not missing, "cannot import " + ", ".join(missing) if missing
            else "imports " + ", ".join(LIBRARIES))
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2).close()
        finding("no network", False, "reached 1.1.1.1:53")
    except OSError:
        interfaces = [name for _, name in socket.if_nameindex()]
        finding("no network", interfaces == ["lo"], f"network interfaces: {interfaces}")
    TREE = visible_tree()
    def unescape(field):
        return field.encode().decode("unicode_escape").encode("latin-1").decode()
    writable = sorted({unescape(line.split()[4]) for line in open("/proc/self/mountinfo")
                       if os.path.exists(unescape(line.split()[4]))
                       and not os.statvfs(unescape(line.split()[4])).f_flag & os.ST_RDONLY}
                      - {os.getcwd(), "/dev/shm", "/dev/mqueue"})
    finding("read-only host", not writable, "can write to " + ", ".join(writable) if writable
            else "every folder but its own scratch and shared memory is read-only")
    disk = os.statvfs(os.getcwd())
    finding("bounded disk", disk.f_blocks * disk.f_frsize <= (DISK_MB + 1) << 20,
            f"scratch folder of {disk.f_blocks * disk.f_frsize >> 20} MiB")
    own_ipc = os.stat("/proc/self/ns/ipc").st_ino != HOST_IPC
    finding("own IPC namespace", own_ipc, "shared memory and message queues are its own" if own_ipc
            else "shares System V shared memory and message queues with the grading machine")
    visible = [p for p in os.listdir("/proc") if p.isdigit()]
    finding("process namespace", len(visible) < 10, f"sees {len(visible)} processes")
    extra = []
    for fd in os.listdir("/proc/self/fd"):
        if int(fd) in (0, 1, 2, *CHANNEL):
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue                   # the listing's own descriptor, closed by now
        if not target.startswith(os.getcwd() + "/"):    # the run's own files (IPython's history) are its own
            extra.append(f"{fd} -> {target}")
    finding("no inherited handles", not extra, f"open descriptors besides its channel: {extra}" if extra
            else "only its channel, output and own files are open")
''')

FIXES = {
    "sandbox starts": "see the message above; `learnathon sandbox` on the grading machine as root shows it",
    "unprivileged user": "run the grader as root (it drops every run to uid 61000+slot)",
    "interpreter": "make the interpreter runnable by other users (chmod o+rx on it and its folders)",
    "installed packages": "make those folders readable by other users (chmod -R o+rX), or reinstall with umask 022",
    "libraries": "install the missing libraries into the grader's environment, readable by other users",
    "allowlist root": "this is a bug of the grader: report it",
    "no inherited handles": "this is a bug of the grader: report it",
    "read-only host": "this is a bug of the grader: report it",
}


def live_findings(libraries: list[str], *, slot: int | None = None) -> list[Finding]:
    """Start a cold sandbox and look around from inside it."""
    slot = launcher.process_slot() if slot is None else slot
    limits = launcher.Limits()
    header = (f"EXPECTED_UID, EXPECTED_PREFIX = {launcher.BASE_UID + slot}, {sys.prefix!r}\n"
              f"LIBRARIES = {libraries!r}\n"
              f"DISK_MB, HOST_IPC = {limits.disk_mb}, {os.stat('/proc/self/ns/ipc').st_ino}\n")
    config = SessionConfig(cell_timeout=120, call_timeout=30, total_timeout=300, limits=limits, slot=slot,
                           libraries=tuple(libraries), warm=False)
    try:
        with StudentSession([Cell(0, header + views.WALK + CHANNEL_PROBE + PROBE)], config) as session:
            outcome = session.start()[0]
            if not outcome.ok:
                return [Finding("sandbox starts", False, f"the probe failed in the sandbox: {outcome.error}")]
            found = [Finding(*item) for item in session.get("FINDINGS")]
            tree = session.get("TREE") if launcher.namespaces_available() else None
    except GraderError as exc:
        return [Finding("sandbox starts", False, str(exc))]
    found.append(allowlist_finding(tree, tuple(libraries)))
    return [Finding("sandbox starts", True, "the worker runs as the sandbox's user"), *found]


# The worker's channel: the two descriptors the worker reads and writes (main.Worker), found from inside.
CHANNEL_PROBE = textwrap.dedent('''
    import gc as _gc
    CHANNEL = next(((o.fd_in, o.fd_out) for o in _gc.get_objects() if type(o).__name__ == "Worker"), (-1, -1))
''')


def allowlist_finding(tree: list[str] | None, libraries: tuple[str, ...]) -> Finding:
    """The whole tree the run saw against the allowlist root (``view.expected_tree``), exactly."""
    view = launcher.view_for(libraries)
    if tree is None or view is None:
        return Finding("allowlist root", False, "needs root and bubblewrap")
    expected = views.expected_tree(view, [p.split("/")[2] for p in tree if p.startswith("/scratch/")])
    extra, missing = sorted(set(tree) - expected), sorted(expected - set(tree))
    if not extra and not missing:
        return Finding("allowlist root", True, f"exactly the {len(expected)} allowed paths exist "
                                               f"({len(view.distributions)} distributions)")
    return Finding("allowlist root", False, f"sees {len(extra)} paths not on the allowlist (e.g. {extra[:3]}) and "
                                            f"misses {len(missing)} (e.g. {missing[:3]})")


def assignment_libraries() -> list[str]:
    """The libraries every run needs and those each assignment preloads (its grading.toml)."""
    names = list(warm.GENERIC_PRELOAD)
    for name in discovery.available():
        try:
            names += [library for spec in discovery.load(name).notebooks for library in spec.libraries]
        except (discovery.UnknownAssignment, OSError, ValueError):
            continue    # a broken assignment is reported by the commands that use it
    return list(dict.fromkeys(names))


def check(echo: Callable[[str], None]) -> bool:
    """Print what the sandbox offers and what holds from inside it; True if everything does."""
    ok = True
    echo("What this machine offers:")
    for p in launcher.protections():
        echo(f"  {'yes' if p.active else 'NO ':<4} {p.name:<24} {p.detail}")
        ok &= p.active
    if launcher.namespaces_available():
        for problem in launcher.reach_problems(tuple(assignment_libraries())):
            echo(f"  {'NO':<4} {'reachable':<24} {problem}")
            ok = False
    findings = live_findings(assignment_libraries())
    echo("Checked from inside a real sandbox (cold start, as the sandbox's user):")
    for f in findings:
        if not launcher.namespaces_available() and f.name in ("unprivileged user", "no network", "allowlist root",
                                                              "read-only host", "bounded disk", "own IPC namespace",
                                                              "process namespace"):
            continue   # already reported missing above; only what must work everywhere is checked
        echo(f"  {'ok' if f.ok else 'FAIL':<4} {f.name:<24} {f.detail}")
        if not f.ok:
            echo(f"  {'':<4} {'':<24} fix: {FIXES.get(f.name, 'run as root with bubblewrap installed')}")
        ok &= f.ok
    echo("Every protection holds." if ok else "The sandbox does NOT give every protection here: see NO and FAIL above.")
    return ok
