"""What the sandbox promises (``protections()``) and, as root, that each promise holds."""
from __future__ import annotations

import os
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from autograder import discovery, sandbox
from autograder.records import Cell
from autograder.session import SessionConfig, StudentSession

SLOT = sandbox.process_slot()  # a machine-wide slot of its own: no other sandbox (another test run, a grader) shares its uid
UID = sandbox.BASE_UID + SLOT
LIMITS = sandbox.Limits(memory_mb=1024, cpu_seconds=30, max_processes=16, max_file_mb=4, max_open_files=64)
as_root = pytest.mark.skipif(not sandbox.namespaces_available(), reason="needs root with unshare")
# Both sandbox paths confine the student's process with the same code (worker/confine.py): a host
# that serves one child (cold) and a warm zygote that forks many. Every isolation test runs on both.
both_paths = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])


@pytest.fixture(autouse=True)
def warm_means_warm(monkeypatch):
    monkeypatch.delenv("LEARNATHON_COLD_START", raising=False)     # it would turn warm=True cold


def test_protections_name_every_mechanism_and_report_them_missing_without_root(monkeypatch):
    names = [p.name for p in sandbox.protections()]
    assert names == ["separate process", "resource limits", "wall clock", "clean environment", "no network",
                     "hidden files", "unprivileged user", "process namespace", "bounded disk",
                     "whole-submission limits"]
    assert all(set(p.to_dict()) == {"name", "active", "detail"} for p in sandbox.protections())
    monkeypatch.setattr(sandbox, "_is_root", lambda: False)
    assert sandbox.missing_protections() == ["no network", "hidden files", "unprivileged user", "process namespace",
                                             "bounded disk", "whole-submission limits"]
    assert all("needs root" in p.detail for p in sandbox.protections() if not p.active)


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
    config = SessionConfig(cell_timeout=30, files=(released,), limits=sandbox.Limits(disk_mb=96), warm=warm)
    with StudentSession(cells, config) as session:
        session.start()
        written, error, data, outside = session.call("report")
    assert written <= 96 and "No space left" in error
    assert data == "released" and outside == []
    assert not Path("/tmp/escape").exists()


@as_root
def test_as_root_every_protection_is_claimed():
    assert sandbox.missing_protections() == []


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
    """A world-readable folder the sandbox is told to hide, and one it is not."""
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
    for i, folder in enumerate(GIT_DIRS):
        attempt(f"project_git{i}", lambda: os.listdir(folder))
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
    warm_means_warm.delenv("LEARNATHON_COLD_START", raising=False)
    header = (f"HIDDEN, VISIBLE = {str(hidden)!r}, {str(visible)!r}\n"
              f"HIDDEN_TESTS, PROJECT = {str(discovery.HIDDEN_ROOT)!r}, {str(discovery.PROJECT_ROOT)!r}\n"
              f"GIT_DIRS = {git_dirs()!r}\n")
    config = SessionConfig(cell_timeout=20, call_timeout=10, limits=LIMITS, slot=SLOT,
                           hide=discovery.hidden_paths() + (hidden,), warm=request.param)
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
def test_hidden_folders_are_unreadable_while_others_stay_readable(probed):
    assert probed["visible"] == "ok: 'expected = 42\\n'"    # the control: same permissions, not hidden
    assert probed["hidden"].startswith(("PermissionError", "FileNotFoundError")), probed["hidden"]
    assert probed["hidden_listing"].startswith("PermissionError"), probed["hidden_listing"]
    assert probed["project_hidden_tests"].startswith("PermissionError"), probed["project_hidden_tests"]


@as_root
def test_the_projects_git_history_is_hidden_too(probed):
    # Committed hidden tests and solutions can be read back from .git/objects.
    tried = [value for key, value in probed.items() if key.startswith("project_git")]
    assert tried and all(value.startswith("PermissionError") for value in tried), tried


@as_root
def test_the_environment_is_clean_and_only_its_own_processes_are_visible(probed):
    names = eval(probed["environment"].removeprefix("ok: "))   # a repr of a sorted list of names
    assert set(names) <= {"PATH", "HOME", "TMPDIR", "LANG", "MPLBACKEND", "MPLCONFIGDIR", "IPYTHONDIR", "OMP_NUM_THREADS",
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
