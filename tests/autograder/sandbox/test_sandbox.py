"""What the sandbox promises (``protections()``) and, as root, that each promise holds."""
from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from autograder.grading import discovery
from autograder.intake.cells import Cell
from autograder.sandbox import launcher
from autograder.sandbox.session import SessionConfig, StudentSession
from tests.autograder.tiny_assignment import start_sandboxes
from tests.private_install import sandbox_problems

# a machine-wide slot of its own: no other sandbox (another test run, a grader) shares its uid
SLOT = launcher.process_slot()
UID = launcher.BASE_UID + SLOT
LIMITS = launcher.Limits(memory_mb=1024, cpu_seconds=30, max_processes=16, max_file_mb=4, max_open_files=64)
as_root = pytest.mark.skipif(not launcher.namespaces_available(), reason="needs root with unshare")
# Both sandbox paths confine the student's process with the same code (worker/confine.py): a host
# that serves one child (cold) and a warm zygote that forks many. Every isolation test runs on both.
both_paths = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])


@pytest.fixture(autouse=True)
def warm_means_warm(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)     # it would turn warm=True cold


def test_protections_name_every_mechanism_and_report_them_missing_without_root(monkeypatch):
    names = [p.name for p in launcher.protections()]
    assert names == ["separate process", "resource limits", "wall clock", "clean environment",
                     "no inherited handles", "no network", "allowlist root", "unprivileged user", "process namespace",
                     "bounded disk", "own IPC namespace", "whole-submission limits"]
    assert all(set(p.to_dict()) == {"name", "active", "detail"} for p in launcher.protections())
    monkeypatch.setattr(launcher, "_is_root", lambda: False)
    assert launcher.missing_protections() == ["no network", "allowlist root", "unprivileged user",
                                             "process namespace", "bounded disk", "own IPC namespace",
                                             "whole-submission limits"]
    assert all("needs root" in p.detail for p in launcher.protections() if not p.active)


@as_root
@both_paths
def test_a_run_cannot_fill_the_disk_or_write_outside_its_folder(tmp_path, warm):
    released = tmp_path / "data.txt"
    released.write_text("released")
    fill = ("import os\nwritten = 0\ntry:\n    for i in range(100):\n"
            "        open(f'fill{i}', 'wb').write(b'x' * 2**20 * 32)\n        written += 32\n"
            "except OSError as exc:\n    error = str(exc)\n"
            "outside = []\nfor place in ('/tmp/escape', '/var/tmp/escape', '/dev/shm/big'):\n    try:\n"
            "        open(place, 'wb').write(b'x' * 2**20 * 100)\n        outside.append(place)\n"
            "    except OSError:\n        pass\n")
    cells = [Cell(0, fill), Cell(1, "def report():\n    return [written, error, open('data.txt').read(), outside]")]
    config = SessionConfig(cell_timeout=30, files=(released,), limits=launcher.Limits(disk_mb=96), warm=warm)
    with StudentSession(cells, config) as session:
        session.start()
        written, error, data, outside = session.call("report")
    assert written <= 96 and "No space left" in error
    assert data == "released" and outside == []
    assert not Path("/tmp/escape").exists()


@as_root
def test_a_grader_with_another_temporary_folder_does_not_take_a_held_slot(tmp_path):
    """Slots are machine-wide whatever TMPDIR says: a slot's uid and cgroup belong to one grader only."""
    import subprocess

    code = "from autograder.sandbox import launcher; print(launcher.process_slot())"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) != SLOT, f"the other grader took slot {SLOT}, which this test process holds"


@as_root
def test_as_root_every_protection_is_claimed():
    assert launcher.missing_protections() == []


def uid_processes(uid: int, zombies: bool = False) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
            if fields.get("Uid", "").split()[:1] == [str(uid)] and (zombies or not fields["State"].startswith("Z")):
                found.append(int(entry.name))
    return found


def no_processes_left(uid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while uid_processes(uid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def secret_folders():
    """Two world-readable folders the sandbox is told nothing about (like another course)."""
    base = Path(tempfile.mkdtemp(prefix="learnathon-test-"))
    base.chmod(0o755)
    for name in ("hidden", "visible"):
        (base / name).mkdir(mode=0o755)
        (base / name / "answers.txt").write_text("expected = 42\n")
        (base / name / "answers.txt").chmod(0o644)
    yield base / "hidden", base / "visible"
    import shutil
    shutil.rmtree(base, ignore_errors=True)


PROBES = textwrap.dedent('''
    import os, socket, sys
    RESULTS = {}
    def attempt(key, action):
        try:
            RESULTS[key] = "ok: " + repr(action())[:200]
        except BaseException as exc:
            RESULTS[key] = f"{type(exc).__name__}: {exc}"[:300]
    attempt("uid", lambda: (os.getuid(), os.geteuid(), os.getgid(), os.getgroups()))
    attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))
    attempt("hidden", lambda: open(HIDDEN + "/answers.txt").read())
    attempt("hidden_listing", lambda: os.listdir(HIDDEN))
    attempt("visible", lambda: open(VISIBLE + "/answers.txt").read())
    attempt("project_hidden_tests", lambda: os.listdir(HIDDEN_TESTS))
    attempt("project", lambda: os.listdir(PROJECT))
    for i, folder in enumerate(GIT_DIRS + ["/home", "/srv", "/tmp", "/var", "/sys", "/etc/passwd"]):
        attempt(f"elsewhere{i}", lambda: os.listdir(folder))
    attempt("environment", lambda: sorted(os.environ))
    attempt("cwd_on_path", lambda: os.getcwd() in sys.path[:-1])
    attempt("processes", lambda: sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
''')


def git_dirs() -> list[str]:
    """The checkout's git folder and, in a git worktree (where .git is a file), the repository's."""
    import subprocess

    ask = lambda flag: subprocess.run(["git", "rev-parse", flag], cwd=discovery.PROJECT_ROOT, text=True,  # noqa: E731
                                      capture_output=True, check=True).stdout.strip()
    return sorted({str((discovery.PROJECT_ROOT / ask(flag)).resolve())
                   for flag in ("--absolute-git-dir", "--git-common-dir")})


@pytest.fixture(scope="module", params=[False, True], ids=["cold", "warm"])
def probed(secret_folders, request):
    hidden, visible = secret_folders
    warm_means_warm = pytest.MonkeyPatch()
    start_sandboxes(warm_means_warm, cold=False)
    header = (f"HIDDEN, VISIBLE = {str(hidden)!r}, {str(visible)!r}\n"
              f"HIDDEN_TESTS, PROJECT = {str(discovery.hidden_root())!r}, {str(discovery.PROJECT_ROOT)!r}\n"
              f"GIT_DIRS = {git_dirs()!r}\n")
    config = SessionConfig(cell_timeout=20, call_timeout=10, limits=LIMITS, slot=SLOT, warm=request.param)
    with StudentSession([Cell(0, header + PROBES)], config) as session:
        outcomes = session.start()
        assert outcomes[0].ok, outcomes[0].error
        results = session.get("RESULTS")
    warm_means_warm.undo()
    return results


@as_root
def test_student_code_runs_as_the_slots_unprivileged_uid(probed):
    assert probed["uid"] == f"ok: ({UID}, {UID}, {UID}, [])"


@as_root
def test_there_is_no_network(probed):
    assert probed["network"].startswith("OSError"), probed["network"]


@as_root
def test_folders_outside_the_allowlist_do_not_exist_in_the_sandbox(probed, secret_folders):
    # Readable by everyone on the host (the control: the grader reads them), named to no sandbox.
    assert all((folder / "answers.txt").read_text() == "expected = 42\n" for folder in secret_folders)
    for key in ("hidden", "hidden_listing", "visible", "project_hidden_tests"):
        assert probed[key].startswith("FileNotFoundError"), (key, probed[key])
    # The checkout holds nothing but the way to the venv; its .git (hidden tests and solutions in its
    # objects), /home, /srv, the host's /tmp, /var, /sys and /etc/passwd are not there at all.
    assert probed["project"] in ("ok: ['.venv']", "ok: []") or probed["project"].startswith("FileNotFoundError")
    tried = [value for key, value in probed.items() if key.startswith("elsewhere")]
    assert len(tried) >= 6 and all(value.startswith(("FileNotFoundError", "NotADirectoryError")) for value in tried), \
        tried


@as_root
def test_the_environment_is_clean_and_only_its_own_processes_are_visible(probed):
    names = eval(probed["environment"].removeprefix("ok: "))   # a repr of a sorted list of names
    assert set(names) <= {"PATH", "HOME", "TMPDIR", "LANG", "MPLBACKEND", "MPLCONFIGDIR", "IPYTHONDIR",
                          "OMP_NUM_THREADS",
                          "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                          "PWD"}   # set by the /bin/sh that enters the namespaces
    assert probed["cwd_on_path"] == "ok: False"
    visible = eval(probed["processes"].removeprefix("ok: "))
    assert len(visible) < 10 < len([p for p in os.listdir("/proc") if p.isdigit()])   # its own PID namespace


def session_with(source: str, **config) -> StudentSession:
    settings = dict(cell_timeout=3, call_timeout=3, limits=LIMITS, slot=SLOT, warm=True)
    settings.update(config)
    return StudentSession([Cell(0, textwrap.dedent(source)), Cell(1, "ALIVE = True\n")], SessionConfig(**settings))


@as_root
@pytest.mark.parametrize("source, error", [
    ("import numpy as np\nx = np.ones(int(100e9 / 8))\n", "MemoryError"),
    ("x = bytearray(100 * 2**30)\n", "MemoryError"),
    ("with open('big.bin', 'wb') as f:\n    f.write(b'x' * (5 * 2**20))\n", "OSError: [Errno 27] File too large"),
    ("files = [open(f'f{i}', 'w') for i in range(100_000)]\n", "OSError: [Errno 24] Too many open files"),
    ("import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n", "ValueError"),
], ids=["numpy-100GB", "bytearray-100GB", "file-size", "open-files", "raise-limit"])
@both_paths
def test_resource_limits_fail_the_cell_cleanly(source, error, warm):
    with session_with(source, warm=warm) as session:
        outcomes = session.start()
        assert outcomes[0].error.startswith(error), outcomes[0].error
        assert outcomes[1].ok and session.get("ALIVE") is True and session.restarts == 0


@as_root
@both_paths
def test_the_process_limit_contains_a_fork_bomb_and_nothing_survives(warm):
    bomb = """
    import os
    children = 0
    try:
        while True:
            if os.fork() == 0:
                import time
                time.sleep(60)
                os._exit(0)
            children += 1
    except OSError as exc:
        STOPPED_AT = (children, exc.errno)
    """
    with session_with(bomb, cell_timeout=10, warm=warm) as session:
        outcomes = session.start()
        assert outcomes[0].ok, outcomes[0].error
        children, errno = session.get("STOPPED_AT")
        assert children < LIMITS.max_processes and errno == 11    # EAGAIN
    assert no_processes_left(UID)


@as_root
@both_paths
def test_a_daemon_child_that_ignores_sigterm_does_not_survive_the_session(warm):
    daemon = """
    import os, signal, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            while True:
                time.sleep(0.05)
        os._exit(0)
    time.sleep(0.3)
    """
    with session_with(daemon, warm=warm) as session:
        session.start()
        assert len(uid_processes(UID)) >= 2      # the worker and the daemon
    assert no_processes_left(UID)


@as_root
@both_paths
def test_a_hung_cell_is_killed_with_everything_it_started(warm):
    with session_with("import os, time\nos.fork()\nos.fork()\ntime.sleep(600)\n", cell_timeout=1, warm=warm) as session:
        outcomes = session.start()
        assert outcomes[0].error == "this cell did not finish within 1 s"
        assert session.get("ALIVE") is True
        assert len(uid_processes(UID)) == 1      # only the restarted worker
    assert no_processes_left(UID)


@as_root
@both_paths
def test_after_a_fork_bomb_the_next_submission_on_the_slot_gets_its_whole_process_budget(warm):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    with session_with(bomb, cell_timeout=1, warm=warm) as session:
        session.start()
    # Dead but unreaped children still count against the uid's process limit.
    assert no_processes_left(UID) and uid_processes(UID, zombies=True) == []
    budget = LIMITS.max_processes - 2
    spawn = f"""
    import os, time
    pids = []
    for _ in range({budget}):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        pids.append(pid)
    FORKED = len(pids)
    """
    with session_with(spawn, warm=warm) as session:
        outcomes = session.start()
        assert outcomes[0].ok, outcomes[0].error
        assert session.get("FORKED") == budget


# --- nothing crosses between students: IPC, writable host folders, what outlives a run -----------------------------

def ipc_keys_on_host(keys) -> list[str]:
    """The host's System V objects with one of these keys (the host's IPC namespace is the test's)."""
    found = []
    for kind in ("shm", "msg", "sem"):
        header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        found += [f"{kind} {row.split()[0]}" for row in rows if int(row.split()[0]) in keys]
    return found


@pytest.fixture
def world_writable():
    """A world-writable folder of the host's own (1777, like /tmp) the sandbox is not told about."""
    base = Path(tempfile.mkdtemp(prefix="learnathon-ww-"))
    base.chmod(0o755)
    (base / "drop").mkdir()
    (base / "drop").chmod(0o1777)
    yield base / "drop"
    import shutil
    shutil.rmtree(base, ignore_errors=True)


LEAVE_BEHIND = '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
LEFT = {}
shm = libc.shmget(KEY, 4096, 0o1666)
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    ctypes.memmove(address, b"HIDDEN-INPUT", 12)
    LEFT["shm"] = True
LEFT["msg"] = libc.msgget(KEY + 1, 0o1666) >= 0
LEFT["sem"] = libc.semget(KEY + 2, 1, 0o1666) >= 0
rt = ctypes.CDLL("librt.so.1", use_errno=True)
LEFT["mqueue"] = rt.mq_open(QUEUE, os.O_CREAT | os.O_RDWR, 0o666, None) >= 0
import multiprocessing.shared_memory
segment = multiprocessing.shared_memory.SharedMemory(name=QUEUE[1:].decode(), create=True, size=4096)
LEFT["dev_shm"] = os.path.exists("/dev/shm/" + QUEUE[1:].decode())
WRITTEN = []
for folder in FOLDERS:
    try:
        with open(os.path.join(folder, "left-by-a-student"), "w") as handle:
            handle.write("HIDDEN-INPUT")
        WRITTEN.append(folder)
    except OSError as exc:
        WRITTEN.append(f"{folder}: {exc.strerror}")
'''
LOOK_FOR_LEFTOVERS = '''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
rt = ctypes.CDLL("librt.so.1", use_errno=True)
FOUND = [name for name, found in [
    ("shm", libc.shmget(KEY, 0, 0) >= 0), ("msg", libc.msgget(KEY + 1, 0) >= 0),
    ("sem", libc.semget(KEY + 2, 0, 0) >= 0), ("mqueue", rt.mq_open(QUEUE, os.O_RDONLY) >= 0),
    ("dev_shm", os.path.exists("/dev/shm/" + QUEUE[1:].decode())),
    *[(folder, os.path.exists(os.path.join(folder, "left-by-a-student"))) for folder in FOLDERS],
] if found]
SYSV = {kind: open(f"/proc/sysvipc/{kind}").read().splitlines()[1:] for kind in ("shm", "msg", "sem")}
'''


@as_root
@both_paths
def test_what_a_run_leaves_in_ipc_and_host_folders_reaches_neither_the_next_run_nor_the_host(world_writable, warm):
    key = 0x4C450000 + os.getpid() % 0xFFFF * 4           # keys of this test only
    queue = f"/learnathon-test-{os.getpid()}".encode()
    folders = [str(world_writable), "/tmp", "/var/tmp", "/run/lock", "/var/lock", "/dev/shm", "/dev/mqueue",
               "/var/crash", str(Path(tempfile.gettempdir()))]
    folders = [f for f in dict.fromkeys(folders) if os.path.isdir(f)]
    header = f"KEY, QUEUE, FOLDERS = {key}, {queue!r}, {folders!r}\n"
    with session_with(header + LEAVE_BEHIND, warm=warm, limits=LIMITS) as first:
        assert first.start()[0].ok, first.start()[0].error
        left, written = first.get("LEFT"), first.get("WRITTEN")
        # Inside its own namespace everything works, but the host (here, while it runs) sees none of it.
        assert left == {"shm": True, "msg": True, "sem": True, "mqueue": True, "dev_shm": True}
        assert ipc_keys_on_host({key, key + 1, key + 2}) == []
        assert not Path("/dev/shm", queue[1:].decode()).exists()
    # No writable host folder: each write is refused (read-only file system) but in the run's own
    # /dev/shm (a private tmpfs), and the host has no file anywhere.
    assert [entry for entry in written if ": " not in entry] == ["/dev/shm"], written
    assert [f for f in folders if Path(f, "left-by-a-student").exists()] == []
    with session_with(header + LOOK_FOR_LEFTOVERS, warm=warm) as second:
        assert second.start()[0].ok
        assert second.get("FOUND") == []
        assert second.get("SYSV") == {"shm": [], "msg": [], "sem": []}   # a fresh, empty IPC namespace
    assert ipc_keys_on_host({key, key + 1, key + 2}) == []


MOUNTS_SEEN = '''
import os
def unescape(field):
    return field.encode().decode("unicode_escape").encode("latin-1").decode()
WRITABLE = sorted({unescape(line.split()[4]) for line in open("/proc/self/mountinfo")
                   if "rw" in line.split()[5].split(",") and os.path.exists(unescape(line.split()[4]))
                   and not os.statvfs(unescape(line.split()[4])).f_flag & os.ST_RDONLY})
HERE = os.getcwd()
'''


@as_root
@both_paths
def test_every_mount_the_run_can_reach_is_read_only_but_its_own_scratch_and_shared_memory(warm):
    with session_with(MOUNTS_SEEN, warm=warm) as session:
        assert session.start()[0].ok
        writable, here = session.get("WRITABLE"), session.get("HERE")
    assert set(writable) <= {here, "/dev/shm", "/dev/mqueue"} and here in writable, writable


SHM_LEFT_BEHIND = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
size = ctypes.c_size_t(3 << 30)
shm = libc.shmget(0, size, 0o1600)               # IPC_PRIVATE, never removed by its creator
address = libc.shmat(shm, None, 0)
ctypes.memset(ctypes.c_void_p(address), 1, size) # 3 GiB charged to the slot's memory cgroup
HELD = shm >= 0 and address not in (None, ctypes.c_void_p(-1).value)
'''
NEEDS_ONE_GIB = "import numpy as np\nx = np.ones(1 << 27)\nTOUCHED = float(x.sum())\n"


def slot_memory_in_use(slot: int) -> int | None:
    for name in ("memory/learnathon/slot-{}/memory.usage_in_bytes", "learnathon/slot-{}/memory.current"):
        path = launcher.CGROUPS / name.format(slot)
        if path.is_file():
            return int(path.read_text())
    return None


@as_root
@both_paths
def test_3_gib_of_shared_memory_left_behind_does_not_cost_the_next_run(warm):
    limits = dataclasses.replace(LIMITS, memory_mb=3584)       # 3 GiB left + the next run's 1 GiB would not fit
    with session_with(SHM_LEFT_BEHIND, warm=warm, limits=limits, cell_timeout=60) as hog:
        assert hog.start()[0].ok and hog.get("HELD") is True
    in_use = slot_memory_in_use(SLOT)
    assert in_use is None or in_use < 1 << 30, f"{in_use >> 20} MiB still charged to the slot"
    with session_with(NEEDS_ONE_GIB, warm=warm, limits=limits, cell_timeout=60) as honest:
        outcomes = honest.start()
        assert outcomes[0].ok, outcomes[0].error
        assert honest.get("TOUCHED") == float(1 << 27) and honest.restarts == 0


@as_root
def test_without_mount_setattr_every_mount_is_remounted_read_only_one_by_one():
    """Kernels before 5.12 have no recursive mount_setattr: confine falls back to mountinfo."""
    import ctypes
    import json

    from autograder.sandbox.worker import confine

    class OldKernel:                       # the real libc, but mount_setattr does not exist
        def __init__(self):
            self.libc = ctypes.CDLL(None, use_errno=True)

        def syscall(self, *args):
            ctypes.set_errno(38)           # ENOSYS
            return -1

        def __getattr__(self, name):
            return getattr(self.libc, name)

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                           # in a mount namespace of its own, like a run
        try:
            os.close(read)
            libc = ctypes.CDLL(None, use_errno=True)
            assert libc.unshare(confine.CLONE_NEWNS) == 0
            confine._mount(libc, "none", "/", None, confine.MS_REC | confine.MS_PRIVATE, None)
            confine.read_only_everywhere(OldKernel())
            writable = [target for target, _ in confine.mount_points()
                        if os.path.exists(target) and not os.statvfs(target).f_flag & os.ST_RDONLY]
            refused = []
            for folder in ("/tmp", "/run/lock", "/dev/shm"):
                try:
                    open(os.path.join(folder, "learnathon-fallback-probe"), "w").close()
                except OSError as exc:
                    refused.append(exc.errno)
            options = {target: opts for target, opts in confine.mount_points()}
            os.write(write, json.dumps([writable, refused, options.get("/proc", "")]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        writable, refused, proc_options = json.loads(pipe.read() or "null")
    os.waitpid(pid, 0)
    assert writable == [] and refused == [30, 30, 30]       # EROFS
    assert "ro" in proc_options.split(",")
    assert not Path("/tmp/learnathon-fallback-probe").exists()


# --- install anywhere: a checkout, venv or Python under a folder other users cannot enter -------------------------
# (the allowlist root is built from the needed files only: a closed folder on the way is made anew, open to the
# run; see test_sandbox_view.py. The e2e tests below grade from such an installation.)

def run(argv, **env):
    import subprocess

    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", **env}
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env, timeout=1200)


@pytest.mark.e2e
@as_root
def test_a_checkout_and_venv_in_a_private_folder_grade_with_every_protection(private_install):
    import json

    assert sandbox_problems(private_install) == ""
    notebook = private_install.checkout / "assignments" / "cs1" / "part_a_forward_backward.ipynb"
    for path in ({}, {"LEARNATHON_COLD_START": "1"}):          # warm, then cold
        graded = private_install.run([private_install.learnathon, "grade", notebook, "--assignment", "cs1", "--json"],
                                     **path)
        report = json.loads(graded.stdout) if graded.returncode == 0 else graded.stderr
        assert isinstance(report, dict) and report["max_score"] > 0 and report["score"] == report["max_score"], report


@pytest.mark.e2e
@as_root
def test_installed_non_editably_the_project_is_in_site_packages_and_nowhere_in_any_commands_sandbox(
        site_install, tiny_roots, tmp_path):
    """grade, check, autograde and the Gradescope runner from a venv holding the project (hidden tests,
    sources, solutions) in its site-packages: the walk from inside is exactly the allowlist."""
    import json
    import shutil

    from tests.sandbox_walk import expected_digest, walking_submission

    packages = site_install.packages
    assert (packages / "autograder" / "hidden" / "cs1" / "grading.toml").is_file()
    assert (packages / "solutions" / "cs1").is_dir() and (packages / "assignments" / "cs1").is_dir()
    python = str(site_install.venv / "bin" / "python")
    env = {"LEARNATHON_ASSIGNMENTS_DIR": str(tiny_roots[0]), "LEARNATHON_HIDDEN_TESTS_DIR": str(tiny_roots[1])}
    walker = walking_submission(tmp_path / "tiny.ipynb", expected_digest(("torch", "pandas"), executable=python))
    graded = site_install.run([site_install.learnathon, "grade", walker, "--assignment", "tiny", "--json"], **env)
    assert graded.returncode == 0 and json.loads(graded.stdout)["score"] == 6.0, graded.stdout + graded.stderr
    checked = site_install.run([site_install.learnathon, "check", walker], **env)
    assert "2 of 2 steps pass their visible tests" in checked.stdout, checked.stdout + checked.stderr
    course = site_install.home / "course"
    assert site_install.run([site_install.learnathon, "init", course, "--assignment", "tiny"], **env).returncode == 0
    assert course.stat().st_mode & 0o077 == 0                  # the instructor's alone
    for student in ("ada", "bob"):
        (course / "submitted" / student / "tiny").mkdir(parents=True)
        shutil.copy(walker, course / "submitted" / student / "tiny" / "tiny.ipynb")
    ran = site_install.run([site_install.learnathon, "autograde", "tiny", "--course", course, "--jobs", "2"], **env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    from autograder.results import gradebook

    assert gradebook.class_scores(course, "learnathon", "tiny") == {"ada": 6.0, "bob": 6.0}
    # Gradescope: its run_autograder with this venv (setup.sh installs the project into it just so).
    zipped = site_install.run([site_install.learnathon, "gradescope", "tiny", "--out", tmp_path / "gs.zip"], **env)
    assert zipped.returncode == 0, zipped.stderr
    root = site_install.home / "autograder"
    shutil.unpack_archive(tmp_path / "gs.zip", root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(walker, root / "submission" / "tiny.ipynb")
    done = site_install.run(["bash", root / "source" / "run_autograder"], LEARNATHON_GRADESCOPE_ROOT=str(root),
                            LEARNATHON_PYTHON=python)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 6.0


@pytest.mark.e2e
@as_root
def test_learnathon_sandbox_and_the_grader_name_a_library_its_user_cannot_read(private_install):
    """A closed site-packages folder no longer matters (its entries are bound, the folder on the way is made
    open); a closed library folder itself, as umask 077 leaves it, still would: it is named, nothing graded."""
    import shutil

    learnathon, numpy = private_install.learnathon, private_install.packages / "numpy"
    notebook = private_install.checkout / "assignments" / "cs1" / "part_a_forward_backward.ipynb"
    course = private_install.home / "course-of-a-closed-venv"
    assert private_install.run([learnathon, "init", course, "--assignment", "cs1"]).returncode == 0
    (course / "submitted" / "ada" / "cs1").mkdir(parents=True)
    shutil.copy(course / "release" / "cs1" / notebook.name, course / "submitted" / "ada" / "cs1")
    private_install.packages.chmod(0o700)
    numpy.chmod(0o700)
    try:
        checked = private_install.run([learnathon, "sandbox"])
        # The graders stop too: graded anyway, every import of the student's would fail (a zero that is
        # the machine's fault), on the warm path and on the cold one.
        graded = [private_install.run([learnathon, "grade", notebook, "--assignment", "cs1"], **path)
                  for path in ({}, {"LEARNATHON_COLD_START": "1"})]
        graded.append(private_install.run([learnathon, "autograde", "cs1", "--course", course]))
    finally:
        numpy.chmod(0o755)
        private_install.packages.chmod(0o755)
    assert checked.returncode == 1, checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr
    assert f"{numpy} (mode 700) cannot be read by the sandbox's user" in checked.stdout
    assert f"chmod o+rx {numpy}" in checked.stdout
    assert str(private_install.packages) + " " not in checked.stdout    # the closed site-packages is no problem
    for done in graded:
        assert done.returncode == 1 and "Traceback" not in done.stderr and "PASS" not in done.stdout, done
        assert done.stderr.startswith("Error: the grading sandbox cannot reach what it needs on this machine"), done
        assert f"{numpy} (mode 700) cannot be read by the sandbox's user" in done.stderr
        assert f"chmod o+rx {numpy}" in done.stderr and "learnathon sandbox" in done.stderr
    assert not (course / "feedback").exists() and not (course / "autograded").exists()    # nothing recorded


@as_root
def test_learnathon_sandbox_fails_clearly_when_the_interpreter_is_closed_to_the_sandboxs_user(tmp_path, monkeypatch):
    import site
    import sys

    from click.testing import CliRunner

    from autograder.cli import main

    venv = tmp_path / "venv"
    assert run([sys._base_executable, "-m", "venv", "--without-pip", "--copies", venv]).returncode == 0
    libraries = [p for p in site.getsitepackages() + sys.path if p.endswith("site-packages")]
    (next(venv.glob("lib/python3*/site-packages")) / "libraries.pth").write_text("\n".join(dict.fromkeys(libraries)))
    for python in (venv / "bin").glob("python*"):
        python.chmod(0o700)                             # root may run it; the sandbox's user may not
    monkeypatch.setattr(sys, "executable", str(venv / "bin" / "python3"))
    monkeypatch.setattr(sys, "prefix", str(venv))
    result = CliRunner().invoke(main, ["sandbox"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output   # no traceback
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    interpreter = (venv / "bin" / "python3").resolve()
    assert f"NO reachable the Python interpreter {interpreter} cannot be run by other users (mode 700). " \
           f"Fix: chmod o+rx {interpreter}" in lines
    assert any(line.startswith(f"FAIL interpreter {venv / 'bin' / 'python3'} cannot be run by the sandbox's user")
               for line in lines), lines
    assert "fix: make the interpreter runnable by other users (chmod o+rx on it and its folders)" in lines
    assert lines[-1] == "The sandbox does NOT give every protection here: see NO and FAIL above."


@as_root
def test_a_grader_that_cannot_start_its_sandbox_says_why_without_a_traceback(tmp_path, monkeypatch):
    import sys

    from click.testing import CliRunner

    from autograder.cli import main

    monkeypatch.setattr(sys, "executable",
                        str(tmp_path / "gone" / "bin" / "python3"))   # an interpreter that is not there
    start_sandboxes(monkeypatch, cold=True)
    notebook = discovery.load("cs1").notebooks[0]
    result = CliRunner().invoke(main, ["grade", str(notebook.source), "--assignment", "cs1"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception   # no traceback
    assert result.output.startswith("Error: the grading sandbox did not start"), result.output
    assert "Run `learnathon sandbox` to check what the sandbox can reach on this machine." in result.output
    assert "python3: not found" in result.output or "No such file" in result.output, result.output
