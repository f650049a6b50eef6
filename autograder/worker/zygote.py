"""A warm parent for sandboxed workers: imports the heavy libraries once, forks one child per run.

Started by ``autograder.pool`` inside the sandbox's namespaces (no network, hidden folders),
but *not* with dropped privileges: each child drops to the slot's unprivileged uid right after
the fork, so student code can neither signal nor trace this parent, and every run starts from
the same clean copy of it. Control messages arrive on a Unix socket, with the child's pipe ends
passed as file descriptors (SCM_RIGHTS).
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import sys
from pathlib import Path
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PRELOAD = ("numpy", "IPython.core.interactiveshell", "torch", "torch.optim", "torch._dynamo", "pandas",
           "matplotlib.pyplot", "scipy.optimize", "scipy.stats", "sklearn.model_selection", "sklearn.preprocessing",
           "sklearn.linear_model", "rdkit.Chem")
PR_SET_NO_NEW_PRIVS = 38


def preload() -> list[str]:
    loaded = []
    for name in PRELOAD:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a missing optional library only costs speed
            pass
    return loaded


def address_space_in_use() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(limits: dict) -> None:
    mb = 1 << 20
    # The preloaded libraries already map a lot of (mostly shared, untouched) address space;
    # memory_mb is what the run may add to that. Its real memory is bounded by the cgroup.
    address_space = address_space_in_use() + limits["memory_mb"] * mb
    resource.setrlimit(resource.RLIMIT_AS, (address_space,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["max_file_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["max_open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


CLONE_NEWNS, MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 1, 32, 4096, 16384, 1 << 18


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


def run_child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the student's process, then serve as a worker."""
    fd_in, fd_out, fd_output = fds
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(fd_output, 1)
    os.dup2(fd_output, 2)
    os.close(fd_output)
    if request.get("uid") is not None:
        private_disk(request["scratch"], request["uid"], request["limits"]["disk_mb"])
    os.chdir(request["scratch"])
    os.environ.clear()
    os.environ.update(request["env"])
    for procs in request.get("cgroups", []):
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    apply_limits(request["limits"])
    if request.get("uid") is not None:
        become(request["uid"])
    import main

    main.Worker(fd_in, fd_out).serve()


def kill_all(pid: int, uid: int | None) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if uid is not None:
        # Whatever the run started (daemons that left its process group too) runs as uid. Repeat
        # until none is left, reaped included: a process forked while kill(-1) ran escapes one
        # round, and an unreaped one still counts against the next run's process limit.
        for _ in range(300):
            helper = os.fork()
            if helper == 0:
                try:
                    os.setuid(uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(helper, 0)
            reap()
            if not processes_of(uid):
                break
            time.sleep(0.01)
    reap()


def processes_of(uid: int) -> list[int]:
    """Processes (zombies included) of ``uid`` in this PID namespace: the zygote is its init."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as status:
                    owner = next((line.split()[1] for line in status if line.startswith("Uid:")), None)
            except OSError:
                continue
            if owner == str(uid):
                found.append(int(name))
    return found


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(control: socket.socket) -> None:
    """One request per SOCK_SEQPACKET message; a spawn request carries the child's three fds."""
    control.send(json.dumps({"ready": True, "preloaded": preload()}).encode())
    while True:
        reap()
        message, fds, _, _ = socket.recv_fds(control, 65536, 3)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                try:
                    control.close()
                    run_child(request, fds)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "kill":
            kill_all(request["pid"], request.get("uid"))
            control.send(b'{"killed": true}')


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
