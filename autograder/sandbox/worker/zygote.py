"""The sandbox host: forks one child per run, which confine.py turns into the student's process.

Warm, it imports the assignment's libraries once (the list arrives as JSON in argv) and serves
many runs; cold, it preloads nothing and serves exactly one. Started by ``autograder.sandbox.host``
inside the sandbox's namespaces (no network, the allowlist root), but *not* with dropped privileges:
each child drops to the slot's unprivileged uid right after the fork, so student code can
neither signal nor trace this parent, and every run starts from the same clean copy of it.
Control messages arrive on a Unix socket, with the child's pipe ends, the slot's cgroup files and
the released files passed as file descriptors (SCM_RIGHTS). Each host serves one slot: the uid its
runs drop to and its janitor cleans up after is fixed at its start (argv), never taken from a request.
"""
from __future__ import annotations

import ctypes
import gc
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import confine  # noqa: E402
from confine import CLONE_NEWIPC, CLONE_NEWNS  # noqa: E402

CLONE_NEWNET, CLONE_NEWPID = 0x40000000, 0x20000000
# A spawn request's descriptors: 3 for the channel and output, the slot's cgroup files, the released files.
MAX_FDS = 64


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


def warm_worker(loaded: list[str]) -> None:
    """In a warm host, after its preload: the worker's modules and its IPython shell, made once here
    before any fork, so each run starts from an untouched copy of both (no run's code ever runs in the
    host) instead of compiling the worker's modules and building a shell again (~20 ms of CPU per run,
    a few runs per notebook). The shell opens no file and starts no thread (its history is off:
    ``main.make_shell``); the cold host, which serves one run, leaves both to its child."""
    if "IPython.core.interactiveshell" in loaded:
        import main

        main.make_shell()


def run_child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the student's process (confine.py), then serve as a worker."""
    confine.enter(request, fds)
    import main

    main.Worker(fds[0], fds[1]).serve()


def kill_all(pid: int, uid: int | None, namespace: int | None = None, janitor: Janitor | None = None) -> None:
    """Kill the run and everything it started, then empty its IPC namespace (``namespace``, held
    since the fork) and any the run made for itself (an unprivileged user namespace can)."""
    namespaces = ([namespace] if namespace is not None else []) + \
        own_ipc_namespaces(processes_of(uid) if uid is not None else [], but=namespace)
    try:
        kill_processes(pid, uid, janitor)
    finally:
        for handle in namespaces:
            if janitor is None or not janitor.empty_ipc(handle):
                confine.empty_ipc_namespace(handle)
            os.close(handle)


def kill_processes(pid: int, uid: int | None, janitor: Janitor | None = None) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    await_exit(pid, seconds=2.0)
    if uid is not None:
        # Whatever the run started (daemons that left its process group too) runs as uid. Repeat
        # until none is left, reaped included: a process forked while kill(-1) ran escapes one
        # round, and an unreaped one still counts against the next run's process limit.
        deadline = time.monotonic() + 3.0
        while True:
            if janitor is None or not janitor.kill_uid():
                kill_as(uid)
            reap()
            if not processes_of(uid) or time.monotonic() > deadline:
                break
            time.sleep(0.002)
    reap()


def await_exit(pid: int, seconds: float) -> None:
    """Reap the killed run's first process as soon as it is gone (a process with a large memory
    takes a few milliseconds to die); give up after ``seconds`` (the loop above goes on)."""
    try:
        handle = os.pidfd_open(pid)
    except OSError:
        return                                  # already reaped, or no pidfd: the loop handles it
    try:
        poller = select.poll()
        poller.register(handle, select.POLLIN)
        if poller.poll(seconds * 1000):
            os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    finally:
        os.close(handle)


def kill_as(uid: int) -> None:
    """As ``uid``, from a fork: kill(-1, SIGKILL), every process of that uid (in this PID namespace),
    then empty the uid's keyrings (they outlive its processes)."""
    if uid <= 0:
        return                                  # never root's processes, whoever asks
    helper = os.fork()
    if helper == 0:
        try:
            confine.become(uid)
            os.kill(-1, signal.SIGKILL)
            confine.clear_user_keyrings()
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


class Janitor:
    """A small process, forked before the preload, that makes the clean-up forks after each run.

    Killing as the run's uid and emptying its IPC namespace each need a forked helper; forked
    from the host, every such fork copies the page tables of all preloaded libraries (tens of
    milliseconds each, twice per run). Forked from this process, which never imports them, it
    costs about a millisecond. It runs as root in the host's namespaces and serves only the host:
    the uid it kills and cleans up is its slot's, fixed when it is forked (no request names one),
    and every request must carry root's credentials, checked by the kernel (SCM_CREDENTIALS: a
    socketpair's SO_PEERCRED names only who created the pair, not who holds an end now). Student
    code never holds its channel anyway (``confine.close_inherited``). If it is gone, the host makes
    those forks itself (the same clean-up, slower).
    """

    def __init__(self, uid: int | None, inherited: Sequence[socket.socket | Janitor]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Before anything can be sent: the kernel attaches a message's credentials only while this is set.
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                for other in inherited:    # the grader must see the host's end close when the host goes
                    other.close()
                if uid is not None:
                    kill_as(uid)           # what an earlier grader of this slot may have left (keyrings)
                self._serve(theirs, uid)
            finally:
                os._exit(0)
        theirs.close()
        self.channel, self.pid = ours, pid

    def close(self) -> None:
        self.channel.close()

    @staticmethod
    def _serve(channel: socket.socket, uid: int | None) -> None:
        space = socket.CMSG_SPACE(struct.calcsize("3i")) + socket.CMSG_SPACE(4 * 1)
        while True:
            message, ancillary, _, _ = channel.recvmsg(4096, space)
            if not message:
                return
            fds, sender = [], None
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds += list(struct.unpack(f"{len(data) // 4}i", data[:len(data) - len(data) % 4]))
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    sender = struct.unpack("3i", data[:12])          # pid, uid, gid
            try:
                if sender is None or sender[1] != 0 or sender[2] != 0:
                    channel.send(b"refused")                         # not root: not the host
                    continue
                request = json.loads(message)
                if request.get("op") == "kill" and uid is not None:
                    kill_as(uid)
                elif request.get("op") == "empty_ipc" and fds:
                    confine.empty_ipc_namespace(fds[0])
                channel.send(b"done")
            finally:
                for fd in fds:
                    os.close(fd)

    def _ask(self, request: dict[str, Any], fds: tuple[int, ...] = ()) -> bool:
        try:
            socket.send_fds(self.channel, [json.dumps(request).encode()], list(fds))
            return self.channel.recv(16) == b"done"
        except OSError:
            return False

    def kill_uid(self) -> bool:
        return self._ask({"op": "kill"})

    def empty_ipc(self, handle: int) -> bool:
        return self._ask({"op": "empty_ipc"}, (handle,))


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


def serve(controls: list[socket.socket], uids: list[int | None], names: list[str]) -> None:
    """Serve runs on ``controls[0]`` for the slot of ``uids[0]``: one SOCK_SEQPACKET message per
    request, a spawn request carries the child's descriptors. Listening sockets instead (from
    ``warm.HostsForJobs``, one per grading process and slot): after the preload this host clones
    itself once per socket (``clone``), each clone in namespaces of its own serving one, and only
    waits for them."""
    janitors: list[Janitor] = []
    for uid in uids:                        # before the preload: they stay small
        janitors.append(Janitor(uid, [*controls, *janitors]))
    loaded = preload(names)
    warm_worker(loaded)
    # Objects that exist before the fork are never collected by a run: its collector then leaves
    # them (and the pages they are on, shared with this host) untouched.
    gc.collect()
    gc.freeze()
    if not controls[0].getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        return run_host(controls[0], uids[0], janitors[0], loaded)      # one grading process started this host
    # Started by a class run for its grading processes: every one gets a clone, so that no run sits in
    # a PID namespace that contains another's (this process would see the clones' runs in its /proc).
    for index in range(len(controls)):
        if clone() == 0:
            keep(controls[index], janitors[index], [*controls, *janitors])
            return run_host(controls[index], uids[index], janitors[index], loaded)
    keep(None, None, [*controls, *janitors])
    while True:                             # the clones and janitors are this process's children
        try:
            os.wait()
        except ChildProcessError:
            return


def keep(control: socket.socket | None, janitor: Janitor | None,
         everything: Sequence[socket.socket | Janitor]) -> None:
    """Close every control and janitor channel of the other hosts."""
    for other in everything:
        if other is not control and other is not janitor:
            other.close()


def clone() -> int:
    """Fork a copy of this host (libraries loaded) with network, IPC, mount and PID namespaces of its
    own, as if ``sandbox.launch`` had started it: its runs can reach neither this host's runs nor
    another clone's. Returns 0 in the copy (PID 1 of its namespace), its pid here. A clone dies
    with this host (it is in this host's PID namespace too)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)              # the intermediate process exits once the copy is forked
        return pid
    try:
        if libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        if os.fork():
            os._exit(0)                 # the copy is reparented to this host, which reaps it
        # The copy: PID 1 of the new namespace; its own /proc shows only its own runs.
        confine._mount(libc, "none", "/", None, confine.MS_REC | confine.MS_PRIVATE, None)
        confine._mount(libc, "proc", "/proc", "proc", confine.MS_NOSUID | confine.MS_NODEV | confine.MS_NOEXEC, None)
        return 0
    except BaseException:
        os._exit(70)


def run_host(control: socket.socket, uid: int | None, janitor: Janitor, loaded: list[str]) -> None:
    if control.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        # Started by a class run for one of its grading processes (warm.HostsForJobs): serve the
        # first that connects with this host's own credentials (a grader, as root), and nobody else.
        listener = control
        while True:
            control, _ = listener.accept()
            peer = struct.unpack("3i", control.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            if peer[1] == os.getuid():
                break
            control.close()
        listener.close()
    control.send(json.dumps({"ready": True, "preloaded": loaded}).encode())
    namespaces: dict[int, int] = {}        # child pid -> handle on its IPC namespace
    while True:
        reap()
        message, fds, _, _ = socket.recv_fds(control, 65536, MAX_FDS)
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            request["uid"] = uid                # this host's slot, whatever the request says
            # As root, each run is born in an IPC namespace of its own, which this host keeps a
            # handle on until it has emptied it (kill_all).
            pid, namespace = confine.fork(own_ipc=uid is not None)
            if pid == 0:
                try:
                    control.close()
                    run_child(request, fds)
                except BaseException:  # noqa: B902 - the confinement failed: say why (in the run's output), never run
                    import traceback

                    traceback.print_exc()
                    sys.stderr.flush()
                    os._exit(70)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            if namespace is not None:
                namespaces[pid] = namespace
            control.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "kill":
            kill_all(request["pid"], uid, namespaces.pop(request["pid"], None), janitor)
            control.send(b'{"killed": true}')


if __name__ == "__main__":
    # argv: JSON {"controls": [fd, ...] (one host per grading process), "uids": [the slot's uid or null, ...],
    # "preload": [module, ...]}
    config = json.loads(sys.argv[1])
    serve([socket.socket(fileno=int(fd)) for fd in config["controls"]], list(config["uids"]), config["preload"])
