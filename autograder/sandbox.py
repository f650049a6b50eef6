"""Start a process isolated from the grader: limits, clean environment, its own folder.

What it applies depends on the rights the grader has (see ``protections()``):
- always: a scratch folder as working directory, a clean environment, ``python -I`` (no
  PYTHON* variables, no user site, working folder not on the path), resource limits (address
  space, CPU time, file size, open files, processes), its own session so that the whole
  process group can be killed, and a wall clock kept by the caller;
- as root, with ``unshare``: no network (a fresh network namespace), its own PID namespace
  (nothing it starts outlives it), its own mount namespace with empty tmpfs over the folders it
  must not read (hidden tests, solutions, the course), and an unprivileged uid of its own.

This module starts the sandbox host and prepares what it needs (slot, cgroups, scratch folder);
the student's process itself is confined by ``worker/confine.py``, the same on both paths.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

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

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


_held_slot: tuple[int, int, object] | None = None   # (pid, slot, lock file) of this process


def process_slot() -> int:
    """This process's sandbox slot: machine-wide unique while it lives, so uids, cgroups and
    zygotes of concurrent grading processes (another run, --jobs, a cluster worker) never mix."""
    global _held_slot
    if _held_slot is not None and _held_slot[0] == os.getpid():
        return _held_slot[1]
    import fcntl

    base = Path(tempfile.gettempdir()) / "learnathon-slots"
    base.mkdir(exist_ok=True)
    for slot in range(1, 1000):
        handle = open(base / f"{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held_slot = (os.getpid(), slot, handle)
        return slot
    raise RuntimeError("all 999 sandbox slots on this machine are taken")


def _is_root() -> bool:
    return os.geteuid() == 0


def namespaces_available() -> bool:
    return _is_root() and shutil.which("unshare") is not None


def protections() -> list[Protection]:
    ns = namespaces_available()
    why = "needs root and util-linux unshare"
    return [
        Protection("separate process", True, "student code never runs in the grader's process"),
        Protection("resource limits", True, "address space, CPU time, file size, open files, processes"),
        Protection("wall clock", True, "the whole process group is killed when time is up"),
        Protection("clean environment", True, "python -I, minimal environment, scratch working folder"),
        Protection("no network", ns, "fresh network namespace" if ns else why),
        Protection("hidden files", ns, "tmpfs over hidden tests, solutions and the course" if ns else why),
        Protection("unprivileged user", ns, f"uid {BASE_UID}+slot" if ns else why),
        Protection("process namespace", ns, "nothing started by the submission outlives it" if ns else why),
        Protection("bounded disk", ns, "size-limited private tmpfs working folder; /tmp read-only" if ns
                   else "needs root (otherwise only the per-file size limit applies)"),
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


def clean_environment(scratch: Path) -> dict[str, str]:
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


def prepare_scratch(scratch: Path, slot: int) -> None:
    """Make the scratch folder (and only it) writable by the sandbox's user."""
    scratch.mkdir(parents=True, exist_ok=True)
    if namespaces_available():
        uid = BASE_UID + slot
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
        scratch.chmod(0o700)


def _blocking_ancestor(path: Path) -> Path | None:
    """The outermost folder above ``path`` that other users cannot enter (e.g. /root, mode 700)."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not parent.stat().st_mode & 0o001:
            return parent
    return None


def _interpreter_mounts() -> list[str]:
    """Shell steps that let the unprivileged uid reach the interpreter's standard library.

    When Python is installed under a private folder (pyenv in /root), that folder is replaced by
    an empty tmpfs in the sandbox's mount namespace with only the installation bound back in,
    which also hides the rest of it.
    """
    prefix = Path(sys.base_prefix).resolve()
    blocked = _blocking_ancestor(prefix)
    if blocked is None:
        return []
    stage = Path(tempfile.gettempdir()) / "learnathon-stage"
    stage.mkdir(mode=0o700, exist_ok=True)
    q = shlex_quote
    return [f"mount --bind {q(prefix)} {q(stage)}", f"mount -t tmpfs -o mode=755 learnathon-private {q(blocked)}",
            f"mkdir -p {q(prefix)}", f"mount --bind {q(stage)} {q(prefix)}", f"umount {q(stage)}"]


def launch(argv: list[str], *, scratch: Path, limits: Limits, hide: list[Path], slot: int,
           pass_fds: tuple[int, ...], output: Path) -> subprocess.Popen:
    """Start the sandbox host ``argv`` (worker/zygote.py); its stdout and stderr go to ``output``.

    As root it enters fresh network, PID and mount namespaces, with the hidden folders covered,
    but keeps its privileges: the host drops them in each child it forks (worker/confine.py), on
    the warm and on the cold path alike. ``limits`` bound the host itself.
    """
    namespaced = namespaces_available()
    if namespaced:
        mounts = " && ".join(_interpreter_mounts() + [
            f"mount -t tmpfs -o size=1k,mode=000 learnathon-hidden {shlex_quote(p)}" for p in hide if p.exists()
        ]) or "true"
        inner = f"{mounts} && exec " + " ".join(shlex_quote(a) for a in argv)
        argv = ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
                "--", "/bin/sh", "-c", inner]
    out = open(output, "wb")
    try:
        return subprocess.Popen(
            argv, cwd=scratch, env=clean_environment(scratch), stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, pass_fds=pass_fds, start_new_session=True,
            preexec_fn=lambda: confine.apply_limits(dataclasses.asdict(limits), count_processes=namespaced),
        )
    finally:
        out.close()


def kill(process: subprocess.Popen) -> None:
    """Kill the process and its whole group (and, with namespaces, everything it started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def shlex_quote(value) -> str:
    import shlex

    return shlex.quote(str(value))


def python_argv(script: Path, *args: str) -> list[str]:
    return [sys.executable, "-I", str(script), *args]
