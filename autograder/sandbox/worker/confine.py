"""Confinement of a student's process: each limit and namespace is applied by one function here.

Both sandbox paths use it. The grader starts a sandbox host (``sandbox.launch``: network, IPC and
PID namespaces, the allowlist root of ``sandbox/view.py``) running ``zygote.py``; the host forks
one child per run and ``enter`` turns that child into the student's process. The warm path keeps
the host (with libraries preloaded) for many runs; the cold path starts a host that preloads
nothing and serves exactly one child. The grader imports this module as
``autograder.sandbox.worker.confine`` (to bound the host itself), the zygote as ``confine`` (the
worker folder is on its path), so it uses the standard library only.
"""
from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
from collections.abc import Callable
from typing import Any

PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND = 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 16384, 1 << 18, 1 << 21, 1 << 24
# mount_setattr(2) (Linux >= 5.12; the same number on every architecture we run on)
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 0x1
# What a bind remount must keep of a mount's own flags (so read-only never loosens nosuid, noexec, ...)
PER_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                   "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}

def address_space_in_use() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(limits: dict[str, Any], *, on_top_of: int = 0, count_processes: bool = True) -> None:
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


def join_cgroups(procs_fds: list[int]) -> None:
    """Bound the whole submission (all its processes together): memory and process count. The
    grader opened each slot cgroup's ``cgroup.procs`` and passed it here: no /sys in the sandbox."""
    for fd in procs_fds:
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)


def released_files(names: list[str], fds: list[int]) -> dict[str, bytes]:
    """The released files the grader opened for this run (name -> content); their fds are closed.
    Names are plain file names (the grader's own list), so nothing is written outside the scratch folder."""
    files = {}
    for name, fd in zip(names, fds):
        chunks = []
        try:
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(fd)
        if name and "/" not in name and name not in (".", ".."):
            files[name] = b"".join(chunks)
    return files


def write_files(folder: str, files: dict[str, bytes], uid: int | None) -> None:
    for name, data in files.items():
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(data)
        if uid is not None:
            os.chown(path, uid, uid)


def _mount(libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int,
           options: str | None) -> None:
    def encode(text: str | None) -> bytes | None:
        return text.encode() if text else None

    if libc.mount(encode(source), target.encode(), encode(fstype), flags, encode(options)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def unescape_mount_point(field: str) -> str:
    """A path as /proc/self/mountinfo writes it (\\040 for a space)."""
    return field.encode().decode("unicode_escape").encode("latin-1").decode()


def mount_points() -> list[tuple[str, str]]:
    """(mount point, its per-mount options) of every mount this process sees, parents first."""
    with open("/proc/self/mountinfo") as mountinfo:
        return [(unescape_mount_point(fields[4]), fields[5]) for fields in (line.split() for line in mountinfo)]


def read_only_everywhere(libc: ctypes.CDLL) -> None:
    """Turn every mount of this (private) mount namespace read-only, whatever its permissions say.

    This is what makes *every* world-writable host folder (/tmp, /var/tmp, /run/lock, /dev/shm,
    /var/crash, a course folder left at 1777, ...) unwritable without having to know them: the
    host's own mounts are untouched, the run's copies of them refuse writes. One recursive
    mount_setattr where the kernel has it; otherwise each mount point from /proc/self/mountinfo
    is remounted read-only, keeping its own flags. A mount that cannot be made read-only stops
    the run (fail closed).
    """
    attr = _MountAttr(attr_set=MOUNT_ATTR_RDONLY)
    if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        return
    for target, options in mount_points():
        keep = sum(PER_MOUNT_FLAGS.get(option, 0) for option in options.split(","))
        try:
            _mount(libc, None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, None)
        except OSError:
            # Fine only if what that path reaches now is read-only anyway, or nothing (a mount
            # covered by another cannot be reached at all).
            try:
                if not os.statvfs(target).f_flag & os.ST_RDONLY:
                    raise
            except FileNotFoundError:
                pass


def private_world(scratch: str, uid: int, disk_mb: int, files: dict[str, bytes]) -> None:
    """Make the working folder the run's only writable place, bound in total, gone with the run.

    Already in an IPC namespace of its own (``fork``), the run gets its own mount namespace in
    which every mount is read-only. Then the only writable places are mounted
    fresh: the scratch folder becomes a size-limited tmpfs (with the released files), charged to
    the run's memory cgroup, and /dev/shm a small private tmpfs (/dev/mqueue, where it exists,
    the run's own message queues).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(libc, "none", "/", None, MS_REC | MS_PRIVATE, None)
    read_only_everywhere(libc)
    if os.path.isdir("/dev/shm"):
        _mount(libc, "learnathon-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    if os.path.isdir("/dev/mqueue"):
        _mount(libc, "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    _mount(libc, "learnathon-disk", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={disk_mb}m,mode=700,uid={uid},gid={uid}")
    write_files(scratch, files, uid)

IPC_RMID = 0


def fork(*, own_ipc: bool) -> tuple[int, int | None]:
    """Fork the run's process (``os.fork`` semantics); with ``own_ipc``, into a fresh IPC namespace.

    There System V shared memory, message queues, semaphores and POSIX message queues are the
    run's own: no other run sees them, and nothing it leaves there outlives it. The host creates
    the namespace and stays in its own; it gets a handle on the run's, kept until the run is over
    and the namespace emptied (``empty_ipc_namespace``). Returns (pid, handle); the child gets
    (0, None).
    """
    if not own_ipc:
        return os.fork(), None
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
    pid = None
    try:
        if libc.unshare(CLONE_NEWIPC) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWIPC)")
        runs = os.open("/proc/self/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
        pid = os.fork()
    finally:
        if pid != 0 and libc.setns(home, CLONE_NEWIPC) != 0:    # the host goes home (also if fork failed)
            os._exit(70)                                         # never serve runs from a run's namespace
        os.close(home)
    if pid == 0:
        os.close(runs)
        return 0, None
    return pid, runs


def empty_ipc_namespace(namespace: int) -> None:
    """Remove every System V object of a finished run's IPC namespace (a handle from ``fork``).

    The kernel frees a namespace's objects once nothing uses it, but later, from a work queue;
    removed here, before the next run starts, 3 GiB of shared memory left behind no longer counts
    against the slot's memory cgroup. (POSIX message queues are small, bounded by
    RLIMIT_MSGQUEUE, and go with the namespace.)
    """
    helper = os.fork()
    if helper == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(namespace, CLONE_NEWIPC) == 0:
                remove: dict[str, Callable[[int], object]] = {"shm": lambda ident: libc.shmctl(ident, IPC_RMID, None),
                          "msg": lambda ident: libc.msgctl(ident, IPC_RMID, None),
                          "sem": lambda ident: libc.semctl(ident, 0, IPC_RMID)}
                for kind, remove_one in remove.items():
                    for ident in ipc_ids(kind):         # read after setns: that namespace's objects
                        remove_one(ident)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def ipc_ids(kind: str) -> list[int]:
    """Ids of this IPC namespace's System V objects of one kind ("shm", "msg" or "sem")."""
    try:
        with open(f"/proc/sysvipc/{kind}") as table:
            return [int(line.split()[1]) for line in list(table)[1:] if line.strip()]
    except OSError:
        return []


def own_output(fd_output: int) -> None:
    """Its own session (the grader kills the whole group) and prints into a capped file."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(fd_output, 1)
    os.dup2(fd_output, 2)
    os.close(fd_output)


def switch_environment(scratch: str, env: dict[str, str]) -> None:
    """In the student's process: work in the scratch folder with exactly ``env`` (launcher.student_environment)."""
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update(env)


# keyctl(2) and its operations (linux/keyctl.h); the syscall's number per architecture
KEYCTL = {"x86_64": 250, "aarch64": 219, "i686": 288, "armv7l": 311, "ppc64le": 271, "s390x": 280}
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_GET_PERSISTENT = 1, 7, 22
KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -2, -4, -5


def keyctl(*args: int) -> int:
    number = KEYCTL.get(platform.machine())
    if number is None:
        return -1
    libc = ctypes.CDLL(None, use_errno=True)
    result: int = libc.syscall(number, *[ctypes.c_long(a) for a in args])    # ctypes' default restype: int
    return result


def fresh_session_keyring() -> None:
    """A new, empty session keyring for the run: the host's (inherited from the grader, shared by
    every run) is no longer the run's to read or to link keys into. It goes with the run."""
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0)


def clear_user_keyrings() -> None:
    """As the slot's uid: empty its user, user-session and persistent keyrings, which outlive every
    process of the uid (the janitor's helper runs this after each run, and once before the first)."""
    keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING)
    keyctl(KEYCTL_CLEAR, KEY_SPEC_USER_SESSION_KEYRING)
    persistent = keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING)
    if persistent > 0:
        keyctl(KEYCTL_CLEAR, persistent)


def close_inherited(keep: set[int]) -> None:
    """Close every descriptor but ``keep``: whatever the host held (its control channel, the
    janitor's, other runs' namespace handles, libraries' files) is not the student's."""
    low = 0
    for fd in sorted(keep) + [2**31 - 1]:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1


def enter(request: dict[str, Any], fds: list[int]) -> None:
    """In a child freshly forked by the sandbox host: become the student's process.

    ``request`` is plain data from the grader: scratch, env, limits (a dict), the number of cgroup
    files and the names of the released files (their fds follow the three channel fds in ``fds``),
    uid (None where the grader has no namespaces: then only the limits and the clean environment apply).
    """
    fd_in, fd_out, fd_output, *rest = fds
    cgroups = rest[:int(request.get("cgroups", 0))]
    names = list(request.get("files", []))
    own_output(fd_output)
    uid = request.get("uid")
    join_cgroups(cgroups)
    files = released_files(names, rest[len(cgroups):len(cgroups) + len(names)])
    if uid is not None:
        private_world(request["scratch"], uid, request["limits"]["disk_mb"], files)
    else:
        write_files(request["scratch"], files, None)
    switch_environment(request["scratch"], request["env"])
    fresh_session_keyring()
    apply_limits(request["limits"], on_top_of=address_space_in_use(), count_processes=uid is not None)
    if uid is not None:
        become(uid)
    close_inherited({0, 1, 2, fd_in, fd_out})
