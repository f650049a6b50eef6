"""Confinement of a student's process: each limit and namespace is applied by one function here.

Both sandbox paths use it. The grader starts a sandbox host (``sandbox.launch``: network, PID
and mount namespaces, hidden folders) running ``zygote.py``; the host forks one child per run
and ``enter`` turns that child into the student's process. The warm path keeps the host (with
libraries preloaded) for many runs; the cold path starts a host that preloads nothing and
serves exactly one child. The grader imports this module as ``autograder.worker.confine``
(to bound the host itself), the zygote as ``confine`` (the worker folder is on its path), so
it uses the standard library only.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
from pathlib import Path

PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS, MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 1, 32, 4096, 16384, 1 << 18


def address_space_in_use() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(limits: dict, *, on_top_of: int = 0, count_processes: bool = True) -> None:
    """Resource limits of this process (``limits`` holds the fields of ``sandbox.Limits``).

    The address space may grow by memory_mb beyond ``on_top_of``: a forked child passes what its
    parent had already mapped (preloaded libraries, mostly shared and untouched); its real memory
    is bounded by the cgroup. The process count is per uid, so only meaningful for a uid of the
    sandbox's own (``count_processes``).
    """
    mb = 1 << 20
    resource.setrlimit(resource.RLIMIT_AS, (on_top_of + limits["memory_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["max_file_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["max_open_files"],) * 2)
    if count_processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def become(uid: int) -> None:
    """Drop to the slot's unprivileged uid for good: no groups, no way back (no_new_privs)."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def join_cgroups(procs_files: list[str]) -> None:
    """Bound the whole submission (all its processes together): memory and process count."""
    for procs in procs_files:
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))


def _mount(libc, source: str | None, target: str, fstype: str | None, flags: int, options: str | None) -> None:
    encode = lambda text: text.encode() if text else None  # noqa: E731
    if libc.mount(encode(source), target.encode(), encode(fstype), flags, encode(options)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def private_disk(scratch: str, uid: int, disk_mb: int) -> None:
    """Make the working folder the run's only writable place, and bound it in total.

    In a mount namespace of the run's own: the scratch folder becomes a size-limited tmpfs (with
    the released files), charged to the run's memory cgroup and gone when it ends; /tmp and
    /var/tmp turn read-only (still readable: the interpreter may live there), /dev/shm is a
    small private tmpfs.
    """
    files = {p.name: p.read_bytes() for p in Path(scratch).iterdir() if p.is_file()}
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(libc, "none", "/", None, MS_REC | MS_PRIVATE, None)
    for shared in ("/tmp", "/var/tmp"):
        if os.path.isdir(shared):
            _mount(libc, shared, shared, None, MS_BIND | MS_REC, None)
            _mount(libc, None, shared, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    if os.path.isdir("/dev/shm"):
        _mount(libc, "learnathon-shm", "/dev/shm", "tmpfs", 0, "size=64m,mode=1777")
    _mount(libc, "learnathon-disk", scratch, "tmpfs", 0, f"size={disk_mb}m,mode=700,uid={uid},gid={uid}")
    for name, data in files.items():
        with open(os.path.join(scratch, name), "wb") as handle:
            handle.write(data)
        os.chown(os.path.join(scratch, name), uid, uid)


def own_output(fd_output: int) -> None:
    """Its own session (the grader kills the whole group) and prints into a capped file."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(fd_output, 1)
    os.dup2(fd_output, 2)
    os.close(fd_output)


def clean_environment(scratch: str, env: dict) -> None:
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update(env)


def enter(request: dict, fd_output: int) -> None:
    """In a child freshly forked by the sandbox host: become the student's process.

    ``request`` is plain data from the grader: scratch, env, limits (a dict), cgroups, uid (None
    where the grader has no namespaces: then only the limits and the clean environment apply).
    """
    own_output(fd_output)
    uid = request.get("uid")
    if uid is not None:
        private_disk(request["scratch"], uid, request["limits"]["disk_mb"])
    clean_environment(request["scratch"], request["env"])
    join_cgroups(request.get("cgroups", []))
    apply_limits(request["limits"], on_top_of=address_space_in_use(), count_processes=uid is not None)
    if uid is not None:
        become(uid)
