"""Every kind of kernel object a run can create is either the run's own (namespaced) or emptied after it,
and the run holds no privileged or shared handle: one test per kind (the README's threat model lists them).

System V / POSIX IPC, /dev/shm and writable host folders: test_sandbox.py (``what a run leaves ...``);
the memory it leaves charged to the slot's cgroup: test_sandbox.py (``3 GiB of shared memory ...``);
processes that outlive it (daemons, fork bombs): test_sandbox.py; runs of two grading processes:
test_grading_processes.py.
"""
from __future__ import annotations

import ctypes
import importlib
import os
import platform
import signal
import socket
import struct
import sys
import textwrap
import time

import pytest

from autograder.intake.cells import Cell
from autograder.sandbox import launcher
from autograder.sandbox import view as views
from autograder.sandbox.session import SessionConfig, StudentSession
from tests.autograder.tiny_assignment import start_sandboxes

SLOT = launcher.process_slot()
UID = launcher.BASE_UID + SLOT
LIMITS = launcher.Limits(memory_mb=1024, cpu_seconds=30, max_processes=16, max_file_mb=4, max_open_files=64)
as_root = pytest.mark.skipif(not launcher.namespaces_available(), reason="needs root and bubblewrap")
both_paths = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219)}        # add_key, keyctl
needs_keyctl = pytest.mark.skipif(platform.machine() not in SYSCALLS, reason="keyctl numbers known for x86_64/aarch64")


@pytest.fixture(autouse=True)
def warm_means_warm(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)


def run(source: str, *, warm: bool) -> dict:
    """Run ``source`` as a notebook cell in a sandbox of this test's slot; its RESULT."""
    config = SessionConfig(cell_timeout=20, call_timeout=20, limits=LIMITS, slot=SLOT, warm=warm)
    with StudentSession([Cell(0, textwrap.dedent(source))], config) as session:
        outcome = session.start()[0]
        assert outcome.ok, outcome.error
        return session.get("RESULT")


KEYS = f'''
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
ADD, KEYCTL = {SYSCALLS!r}[platform.machine()]
def keyctl(*args):
    return libc.syscall(KEYCTL, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
PERSISTENT = keyctl(22, -1, -2)        # the uid's persistent keyring, linked into the process keyring
RINGS = {{"user": -4, "user-session": -5, "session": -3, "persistent": PERSISTENT}}
'''
LEAVE_KEYS = KEYS + '''
RESULT = {name: libc.syscall(ADD, b"user", f"learnathon-{name}".encode(), b"HIDDEN-INPUT", 12, ctypes.c_long(ring))
          for name, ring in RINGS.items() if ring != -1}
'''
FIND_KEYS = KEYS + '''
RESULT = [name for name, ring in RINGS.items()
          if ring != -1 and keyctl(10, ring, b"user", f"learnathon-{name}".encode(), 0) >= 0]
'''


@as_root
@needs_keyctl
@both_paths
def test_keyrings_a_run_fills_are_empty_for_the_next_run_and_never_reach_the_grader(warm):
    left = run(LEAVE_KEYS, warm=warm)
    # Inside the run every keyring takes the key (the persistent one where the kernel has it).
    assert {"user", "user-session", "session"} <= set(left) and all(serial > 0 for serial in left.values()), left
    assert run(FIND_KEYS, warm=warm) == []
    add, keyctl = SYSCALLS[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    found = libc.syscall(keyctl, ctypes.c_long(10), ctypes.c_long(-3), b"user", b"learnathon-session", ctypes.c_long(0))
    assert found < 0                       # the grader's own session keyring never held the run's key


ABSTRACT = '''
import os, socket, time
name = b"\\0learnathon-abstract-" + str(os.getuid()).encode()
if MODE == "leave":
    if os.fork() == 0:                     # a daemon that keeps the socket bound after the run
        os.setsid()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(name)
        server.listen(1)
        time.sleep(120)
        os._exit(0)
    time.sleep(0.5)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    client.connect(name)
    RESULT = "connected"
except OSError as exc:
    RESULT = type(exc).__name__
'''


@as_root
@both_paths
def test_an_abstract_socket_a_run_binds_is_gone_for_the_next_run_and_never_in_the_graders_network(warm):
    assert run("MODE = 'leave'\n" + ABSTRACT, warm=warm) == "connected"          # it works inside its run
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(OSError):
        client.connect(f"\0learnathon-abstract-{UID}".encode())               # another network namespace
    assert run("MODE = 'find'\n" + ABSTRACT, warm=warm) == "ConnectionRefusedError"


LOCK = '''
import fcntl, os, time
target = os.path.join(os.path.dirname(__import__("numpy").__file__), "__init__.py")   # read-only, shared by runs
if MODE == "leave":
    if os.fork() == 0:
        os.setsid()
        held = open(target)
        fcntl.flock(held, fcntl.LOCK_EX)
        time.sleep(120)
        os._exit(0)
    time.sleep(0.5)
try:
    mine = open(target)                    # an open file description of its own
    fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)
    RESULT = "locked"
except OSError:
    RESULT = "held by another"
'''


@as_root
@both_paths
def test_a_lock_a_run_holds_on_a_shared_file_goes_with_its_processes(warm):
    assert run("MODE = 'leave'\n" + LOCK, warm=warm) == "held by another"       # its daemon holds it
    assert run("MODE = 'find'\n" + LOCK, warm=warm) == "locked"


PROCESS_OBJECTS = '''
import ctypes, os, select, signal, time
libc = ctypes.CDLL(None, use_errno=True)
if os.fork() == 0:                 # a daemon holding every per-process object it can make
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    held = [os.memfd_create("learnathon"), os.eventfd(0), select.epoll(), libc.inotify_init(),
            libc.timerfd_create(1, 0), os.pidfd_open(os.getpid())]
    time.sleep(120)
    os._exit(0)
time.sleep(0.3)
RESULT = True
'''


def uid_processes(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as status:
                    if next(line for line in status if line.startswith("Uid:")).split()[1] == str(uid):
                        found.append(int(entry))
            except (OSError, StopIteration):
                continue
    return found


@as_root
@both_paths
def test_objects_that_live_in_a_process_memfd_eventfd_epoll_inotify_timerfd_pidfd_die_with_the_run(warm):
    assert run(PROCESS_OBJECTS, warm=warm) is True
    deadline = time.monotonic() + 5
    while uid_processes(UID) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert uid_processes(UID) == []       # the daemon (and every object it held) is gone with the run


SIGNALS = '''
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
mine = {os.getpid()}
others = {}
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) not in mine:
        pid = int(entry)
        try:
            os.kill(pid, 0)
            others[entry] = "may signal"
        except PermissionError:
            others[entry] = "refused"
        except ProcessLookupError:
            continue
        if libc.ptrace(16, pid, None, None) == 0:      # PTRACE_ATTACH
            others[entry] += ", may trace"
RESULT = {"others": others, "host_is_1": os.path.exists("/proc/1")}
'''


@as_root
@both_paths
def test_the_run_can_neither_signal_nor_trace_the_host_its_janitor_or_anything_not_its_own(warm):
    seen = run(SIGNALS, warm=warm)
    assert seen["host_is_1"] and seen["others"], seen              # the host (pid 1) and its janitor are there
    assert set(seen["others"].values()) == {"refused"}, seen


DESCRIPTORS = '''
import os
RESULT = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        RESULT[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass                               # the listing's own
'''


@as_root
@both_paths
def test_student_code_holds_no_descriptor_but_its_channel_output_and_own_files(warm):
    held = {int(fd): target for fd, target in run(DESCRIPTORS, warm=warm).items()}
    pipes = [fd for fd, target in held.items() if target.startswith("pipe:")]
    own = [fd for fd, target in held.items() if target.startswith(str(views.SCRATCH_INSIDE) + "/")]
    assert held[0] == "/dev/null" and held[1] == held[2] and len(pipes) == 2, held     # stdin, output, channel
    assert set(held) == {0, 1, 2, *pipes, *own}, held          # no socket: not the host's, not the janitor's


# --- the root janitor: only root's requests, only for its own slot's uid ----------------------------------------

def worker_module(name: str):
    """A module of the sandbox worker (not a package: its folder goes on the path while it is imported)."""
    sys.path.insert(0, str(views.WORKER))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(views.WORKER))


def start_janitor(uid: int):
    return worker_module("zygote").Janitor(uid, [])


def sleeper(uid: int) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            worker_module("confine").become(uid)
            time.sleep(60)
        finally:
            os._exit(0)
    return pid


def alive(pid: int) -> bool:
    done, _ = os.waitpid(pid, os.WNOHANG)
    return done == 0


def ask_as(uid: int, channel: socket.socket, request: bytes) -> bytes:
    """Send ``request`` on an inherited end of the janitor's channel from a process of ``uid``."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            worker_module("confine").become(uid)
            channel.send(request)
            os.write(write, channel.recv(16))
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as answer:
        return answer.read()


@as_root
def test_the_janitor_refuses_a_student_holding_its_channel_and_kills_only_its_own_slots_uid():
    own, neighbour = launcher.BASE_UID + 990, launcher.BASE_UID + 991
    janitor = start_janitor(own)
    assert janitor.kill_uid()              # answered once its own start-up clean-up of the uid is done
    victims = {own: sleeper(own), neighbour: sleeper(neighbour), 0: sleeper(0)}
    try:
        for forged in (b'{"op": "kill", "uid": 0}', b'{"op": "kill", "uid": %d}' % neighbour, b'{"op": "kill"}'):
            assert ask_as(own, janitor.channel, forged) == b"refused"
        time.sleep(0.2)
        assert all(alive(pid) for pid in victims.values())
        # The host (root) asks: the janitor kills its slot's uid, whatever uid a request names.
        janitor.channel.send(b'{"op": "kill", "uid": 0}')
        assert janitor.channel.recv(16) == b"done"
        time.sleep(0.2)
        assert not alive(victims[own]) and alive(victims[neighbour]) and alive(victims[0])
    finally:
        janitor.close()
        for pid in victims.values():
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.waitpid(janitor.pid, 0)


def test_a_socketpairs_peer_credentials_name_its_creator_not_its_holder():
    """Why the janitor checks each message's credentials (SCM_CREDENTIALS), not SO_PEERCRED: an end
    inherited by another process still reports the process that made the pair."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            os._exit(0 if struct.unpack("3i", theirs.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
                     == os.getppid() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    ours.close()
    theirs.close()
