"""Start a process isolated from the grader: limits, clean environment, its own folder.

What it applies depends on the rights the grader has (see ``protections()``):
- always: a scratch folder as working directory, a clean environment, ``python -I`` (no
  PYTHON* variables, no user site, working folder not on the path), resource limits (address
  space, CPU time, file size, open files, processes), its own session so that the whole
  process group can be killed, every inherited descriptor closed, a fresh session keyring, and a
  wall clock kept by the caller;
- as root, with bubblewrap: a root file system that holds only what a run needs (``view.py``: the
  allowlist; nothing else exists there), no network (a fresh network namespace), its own PID and
  IPC namespaces, and an unprivileged uid of its own whose keyrings are emptied after each run.

This module starts the sandbox host and prepares what it needs (slot, cgroups, the view); the
student's process itself is confined by ``worker/confine.py``, the same on both paths.
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from ..config import current as current_config
from ..errors import GraderError
from . import view as views
from .worker import confine

BASE_UID = 61000


@dataclasses.dataclass(frozen=True)
class Limits:
    memory_mb: int = 3072
    cpu_seconds: int = 300
    max_processes: int = 64
    max_file_mb: int = 64
    max_open_files: int = 256
    disk_mb: int = 256          # size of the run's private tmpfs working folder (warm sandboxes)


@dataclasses.dataclass(frozen=True)
class Protection:
    name: str
    active: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_held_slot: tuple[int, int, object] | None = None   # (pid, slot, lock file) of this process


def slot_locks() -> Path:
    """The folder of the slots' lock files. As root, one for the whole machine whatever TMPDIR a grader
    has (graders with different temporary folders must never share a slot's uid and cgroup), and root's
    own: /tmp is writable by every user, who must not plant a symlink there or hold every lock."""
    if not _is_root():
        base = Path(tempfile.gettempdir()) / "learnathon-slots"
        base.mkdir(exist_ok=True)
        return base
    base = Path("/tmp") / "learnathon-slots"
    base.mkdir(mode=0o700, exist_ok=True)
    if base.is_symlink() or base.stat().st_uid != 0 or base.stat().st_mode & 0o022:
        raise SandboxStartError(f"{base} is not a folder of root's that only root can write to (a symlink, "
                                f"another user's, or group/world-writable): remove it")
    return base


def process_slot() -> int:
    """This process's sandbox slot: machine-wide unique while it lives, so uids, cgroups and
    zygotes of concurrent grading processes (another run, --jobs, a cluster worker) never mix."""
    global _held_slot
    if _held_slot is not None and _held_slot[0] == os.getpid():
        return _held_slot[1]
    slot, handle = _free_slot()
    _held_slot = (os.getpid(), slot, handle)
    return slot


def try_lock(path: Path | str) -> IO[str] | None:
    """The open file holding an exclusive lock on ``path`` (closing it, or the process ending, releases
    it), or None at once when another process holds it: slots and offered hosts are claimed this way."""
    import fcntl

    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _free_slot() -> tuple[int, IO[str]]:
    """A slot no living process holds, and the open lock file that holds it (closed: released)."""
    base = slot_locks()
    for slot in range(1, 1000):
        handle = try_lock(base / f"{slot}.lock")
        if handle is not None:
            return slot, handle
    raise RuntimeError("all 999 sandbox slots on this machine are taken")


def reserve_slots(count: int) -> list[tuple[int, IO[str]]]:
    """``count`` more slots for this process to hand to its grading processes (``adopt_slot``);
    each is held until its lock file is closed."""
    return [_free_slot() for _ in range(count)]


def adopt_slot(slot: int) -> None:
    """Make ``slot`` (reserved by the parent run, which holds it) this process's slot."""
    global _held_slot
    _held_slot = (os.getpid(), slot, None)


def _is_root() -> bool:
    return os.geteuid() == 0


def namespaces_available() -> bool:
    return _is_root() and views.bubblewrap_available()


def protections() -> list[Protection]:
    ns = namespaces_available()
    why = "needs root and bubblewrap (Debian package bubblewrap)"
    return [
        Protection("separate process", True, "student code never runs in the grader's process"),
        Protection("resource limits", True, "address space, CPU time, file size, open files, processes"),
        Protection("wall clock", True, "the whole process group is killed when time is up"),
        Protection("clean environment", True, "python -I, minimal environment, scratch working folder"),
        Protection("no inherited handles", True, "every descriptor but its own channel closed; a fresh session "
                   "keyring"),
        Protection("no network", ns, "fresh network namespace" if ns else why),
        Protection("allowlist root", ns, "only the interpreter, the declared libraries, the worker and the released "
                   "files exist" if ns else why + " (otherwise every file the user may read is readable)"),
        Protection("unprivileged user", ns, f"uid {BASE_UID}+slot, its keyrings emptied after each run" if ns
                   else why),
        Protection("process namespace", ns, "nothing started by the submission outlives it" if ns else why),
        Protection("bounded disk", ns, "size-limited private tmpfs working folder; every host folder read-only" if ns
                   else "needs root (otherwise only the per-file size limit applies)"),
        Protection("own IPC namespace", ns, "shared memory, message queues, semaphores: its own, gone with it" if ns
                   else why),
        Protection("whole-submission limits", cgroups_available(),
                   "memory and process count of all its processes together (cgroups)"
                   if cgroups_available() else "needs root and the memory and pids cgroup controllers"),
    ]


def missing_protections() -> list[str]:
    return [p.name for p in protections() if not p.active]


CGROUPS = Path("/sys/fs/cgroup")


def slot_cgroups(slot: int, limits: Limits) -> list[str]:
    """Join-files of the slot's memory and process-count cgroups, set to this run's limits.

    Unlike rlimits, these bound a whole submission (all its processes together). Empty where
    the grader cannot manage cgroups (not root, or no memory/pids controller).
    """
    if not _is_root():
        return []
    if current_config().favor_cgroup_moves:
        favor_cgroup_moves()
    unified = (CGROUPS / "cgroup.controllers").is_file()
    try:
        if unified:
            group = CGROUPS / "learnathon" / f"slot-{slot}"
            group.mkdir(parents=True, exist_ok=True)
            (CGROUPS / "learnathon" / "cgroup.subtree_control").write_text("+memory +pids")
            (group / "memory.max").write_text(str(limits.memory_mb << 20))
            (group / "pids.max").write_text(str(limits.max_processes))
            return [str(group / "cgroup.procs")]
        memory = CGROUPS / "memory" / "learnathon" / f"slot-{slot}"
        pids = CGROUPS / "pids" / "learnathon" / f"slot-{slot}"
        memory.mkdir(parents=True, exist_ok=True)
        pids.mkdir(parents=True, exist_ok=True)
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory_mb << 20))
        (pids / "pids.max").write_text(str(limits.max_processes))
        return [str(memory / "cgroup.procs"), str(pids / "cgroup.procs")]
    except OSError:
        return []


def cgroups_available() -> bool:
    return bool(slot_cgroups(0, Limits()))


FAVOR_MOVES = "favordynmods"
_moves_favored: dict[int, bool] = {}      # pid -> the answer of favor_cgroup_moves (tried once per process)


def cgroup2_mounts(mountinfo: str) -> list[tuple[str, list[str], list[str]]]:
    """(mount point, its own flags, the hierarchy's options) of each cgroup2 mount in the text of
    /proc/self/mountinfo."""
    mounts = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if fields[dash + 1:dash + 2] == ["cgroup2"] and len(fields) >= dash + 4:
            mounts.append((confine.unescape_mount_point(fields[4]), fields[5].split(","), fields[dash + 3].split(",")))
    return mounts


def moves_favored(mountinfo: str) -> bool:
    """Whether a cgroup2 mount of this /proc/self/mountinfo text has ``favordynmods`` on."""
    return any(FAVOR_MOVES in options for _, _, options in cgroup2_mounts(mountinfo))


def favor_moves_remount(mountinfo: str) -> tuple[str, int, str] | None:
    """How to turn on the cgroup2 option ``favordynmods`` (``mount(2)``'s target, flags and data), from
    the text of /proc/self/mountinfo; None if a cgroup2 mount has it already, or there is none. The
    remount keeps the mount's own flags (nosuid, nodev, ...) and the hierarchy's options (nsdelegate,
    memory_recursiveprot, ...): a remount without them would switch them off for the whole machine."""
    mounts = cgroup2_mounts(mountinfo)
    if not mounts or moves_favored(mountinfo):
        return None
    target, mount_flags, options = mounts[0]
    flags = confine.MS_REMOUNT | sum(confine.PER_MOUNT_FLAGS.get(flag, 0) for flag in mount_flags) | \
        (confine.MS_RDONLY if "ro" in mount_flags else 0)
    data = ",".join([option for option in options if option not in ("rw", "ro")] + [FAVOR_MOVES])
    return target, flags, data


def favor_cgroup_moves() -> bool:
    """Make joining a cgroup cheap; whether it is. Each run's first act is to join its slot's cgroups
    (``confine.join_cgroups``), and by default every such move waits for an RCU grace period (11.8 ms
    median on the grading machine, timed inside the confined child: most of a warm run's 16.5 ms from fork
    to ready; benchmarks/README.md). The cgroup2
    option ``favordynmods`` (Linux >= 6.1; since 6.18 it cannot be switched off before a reboot) makes
    moves cheap for the whole machine, forks and exits a little dearer. Set once, as root, on the
    machine's cgroup2 mount (also where the controllers are on cgroup v1, as here: the lock it changes is
    shared). A speed setting, not a protection: where it cannot be set (older kernel, no cgroup2 mount)
    runs start as before. Off with the configuration's ``favor_cgroup_moves`` (LEARNATHON_KEEP_CGROUP_MOUNTS)."""
    if os.getpid() in _moves_favored:
        return _moves_favored[os.getpid()]
    try:
        with open("/proc/self/mountinfo") as mountinfo:
            text = mountinfo.read()
    except OSError:
        text = ""
    remount = favor_moves_remount(text)
    if remount is None:             # on already, or no cgroup2 mount at all
        favored = moves_favored(text)
    else:
        target, flags, data = remount
        libc = ctypes.CDLL(None, use_errno=True)
        favored = libc.mount(None, target.encode(), None, flags, data.encode()) == 0
    _moves_favored[os.getpid()] = favored
    return favored


def student_environment(scratch: Path) -> dict[str, str]:
    """The whole environment student code runs with (nothing of the grader's but two OpenBLAS settings),
    its home and temporary folder the run's scratch folder (``confine.switch_environment`` applies it)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),     # the run's only writable place (see worker/zygote.py)
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch / ".config" / "matplotlib"),
        "IPYTHONDIR": str(scratch / ".ipython"),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        **{k: v for k, v in os.environ.items() if k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }


def run_scratch(folder: Path) -> Path:
    """Where a run works: with namespaces, /scratch inside the view (each run's own tmpfs, nothing of
    the grader's disk); without, a fresh folder of the grader's (``folder``)."""
    if namespaces_available():
        return views.SCRATCH_INSIDE
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class SandboxStartError(GraderError):
    """The sandbox host cannot be set up on this machine (a problem of the machine, with its fix)."""


CHECK_HINT = "Run `learnathon sandbox` to check what the sandbox can reach on this machine."


def view_for(libraries: tuple[str, ...]) -> views.View | None:
    """The allowlist root of a sandbox whose code may import ``libraries``; None without namespaces."""
    if not namespaces_available():
        return None
    try:
        return views.build(tuple(libraries))
    except views.ViewError as exc:
        raise SandboxStartError(f"the grading sandbox did not start: {exc}\n{CHECK_HINT}") from None


def reach_problems(libraries: tuple[str, ...] = ()) -> list[str]:
    """What the sandbox's unprivileged user could not read of the allowlist root, with the fix."""
    view = view_for(libraries)
    return views.reach_problems(view) if view is not None else []


def ensure_reachable(libraries: tuple[str, ...] = ()) -> None:
    """Before grading: stop, naming each problem and its fix, when the sandbox's user cannot reach what
    a run needs (``reach_problems``). Graded anyway, the student's imports would fail in the sandbox
    and the machine's fault would cost the student the points."""
    problems = reach_problems(libraries)
    if problems:
        # The first line stands alone: a class run shows only it for each submission NOT GRADED.
        raise SandboxStartError("the grading sandbox cannot reach what it needs on this machine "
                                "(`learnathon sandbox` names each folder and its fix):\n"
                                + "".join(f"  - {problem}\n" for problem in problems) + CHECK_HINT)


def launch(script: str, args: list[str], *, workdir: Path, limits: Limits, view: views.View | None,
           pass_fds: tuple[int, ...], output: Path) -> subprocess.Popen[bytes]:
    """Start the sandbox host, the worker's ``script`` (zygote.py) with ``args``; its stdout and stderr
    go to ``output``.

    As root (``view`` given) it starts in the allowlist root (bubblewrap), in fresh network, IPC
    and PID namespaces, but keeps its privileges: the host drops them in each child it forks
    (worker/confine.py), on the warm and on the cold path alike. ``limits`` bound the host itself.
    """
    namespaced = view is not None
    if view is not None:
        argv = views.bwrap_argv(view, [view.argv0, "-I", view.worker_script(script), *args])
        environment = student_environment(views.SCRATCH_INSIDE)
    else:
        argv = python_argv(views.WORKER / script, *args)
        environment = student_environment(workdir)
    out = open(output, "wb")
    try:
        return subprocess.Popen(
            argv, cwd=workdir, env=environment, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, pass_fds=pass_fds, start_new_session=True,
            preexec_fn=lambda: _host_process(limits, namespaced),
        )
    finally:
        out.close()


def _host_process(limits: Limits, namespaced: bool) -> None:
    """In the forked host, before exec: its limits, and umask 022, so the folders bubblewrap makes
    on the way to a bound item can be entered by the sandbox's user whatever the grader's umask."""
    os.umask(0o022)
    confine.apply_limits(dataclasses.asdict(limits), count_processes=namespaced)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and its whole group (and, with namespaces, everything it started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def python_argv(script: Path, *args: str) -> list[str]:
    # The interpreter by its folder's real path but its own name: a venv's python finds its pyvenv.cfg next to it.
    interpreter = Path(sys.executable).parent.resolve() / Path(sys.executable).name
    return [str(interpreter), "-I", str(Path(script).resolve()), *args]
