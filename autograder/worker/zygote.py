"""The sandbox host: forks one child per run, which confine.py turns into the student's process.

Warm, it imports the assignment's libraries once (the list arrives as JSON in argv) and serves
many runs; cold, it preloads nothing and serves exactly one. Started by ``autograder.warm``
inside the sandbox's namespaces (no network, hidden folders), but *not* with dropped privileges:
each child drops to the slot's unprivileged uid right after the fork, so student code can
neither signal nor trace this parent, and every run starts from the same clean copy of it. Control messages arrive on a Unix socket, with the child's pipe ends
passed as file descriptors (SCM_RIGHTS).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import confine  # noqa: E402


def preload(names: list[str]) -> list[str]:
    """Import the libraries the assignment declared (its grading.toml), so each run starts warm."""
    loaded = []
    for name in names:
        try:
            __import__(name)
            loaded.append(name)
        except Exception:  # noqa: BLE001 - a missing optional library only costs speed
            pass
    return loaded


def run_child(request: dict, fds: list[int]) -> None:
    """In the forked child: become the student's process (confine.py), then serve as a worker."""
    fd_in, fd_out, fd_output = fds
    confine.enter(request, fd_output)
    import main

    main.Worker(fd_in, fd_out).serve()


def kill_all(pid: int, uid: int | None, namespace: int | None = None) -> None:
    """Kill the run and everything it started, then empty its IPC namespace (``namespace``, held
    since the fork) and any the run made for itself (an unprivileged user namespace can)."""
    namespaces = ([namespace] if namespace is not None else []) + \
        own_ipc_namespaces(processes_of(uid) if uid is not None else [], but=namespace)
    try:
        kill_processes(pid, uid)
    finally:
        for handle in namespaces:
            confine.empty_ipc_namespace(handle)
            os.close(handle)


def kill_processes(pid: int, uid: int | None) -> None:
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


def own_ipc_namespaces(pids: list[int], but: int | None) -> list[int]:
    """Handles on the IPC namespaces these processes are in, other than this host's and ``but``."""
    known = {os.stat("/proc/self/ns/ipc").st_ino} | ({os.fstat(but).st_ino} if but is not None else set())
    handles = []
    for pid in pids:
        try:
            handle = os.open(f"/proc/{pid}/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        if os.fstat(handle).st_ino in known:
            os.close(handle)
        else:
            known.add(os.fstat(handle).st_ino)
            handles.append(handle)
    return handles


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


def serve(control: socket.socket, names: list[str]) -> None:
    """One request per SOCK_SEQPACKET message; a spawn request carries the child's three fds."""
    control.send(json.dumps({"ready": True, "preloaded": preload(names)}).encode())
    namespaces: dict[int, int] = {}        # child pid -> handle on its IPC namespace
    while True:
        reap()
        message, fds, _, _ = socket.recv_fds(control, 65536, 3)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            # As root, each run is born in an IPC namespace of its own, which this host keeps a
            # handle on until it has emptied it (kill_all).
            pid, namespace = confine.fork(own_ipc=request.get("uid") is not None)
            if pid == 0:
                try:
                    control.close()
                    run_child(request, fds)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            if namespace is not None:
                namespaces[pid] = namespace
            control.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "kill":
            kill_all(request["pid"], request.get("uid"), namespaces.pop(request["pid"], None))
            control.send(b'{"killed": true}')


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), json.loads(sys.argv[2]) if len(sys.argv) > 2 else [])
