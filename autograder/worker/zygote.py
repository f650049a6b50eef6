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


def serve(control: socket.socket, names: list[str]) -> None:
    """One request per SOCK_SEQPACKET message; a spawn request carries the child's three fds."""
    control.send(json.dumps({"ready": True, "preloaded": preload(names)}).encode())
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
    serve(socket.socket(fileno=int(sys.argv[1])), json.loads(sys.argv[2]) if len(sys.argv) > 2 else [])
