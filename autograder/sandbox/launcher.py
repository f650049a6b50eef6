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
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import GraderError
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


def slot_locks() -> Path:
    """The folder of the slots' lock files. As root, one for the whole machine whatever TMPDIR a grader
    has (graders with different temporary folders must never share a slot's uid and cgroup), and root's
    own: /tmp is writable by every user, who must not plant a symlink there or hold every lock."""
    if not _is_root():
        base = Path(tempfile.gettempdir()) / "learnathon-slots"
        base.mkdir(exist_ok=True)
        return base
    base = Path("/tmp") / "learnathon-slots"
    base.mkdir(mode=0o700, exist_ok=True)
    if base.is_symlink() or base.stat().st_uid != 0 or base.stat().st_mode & 0o022:
        raise SandboxStartError(f"{base} is not a folder of root's that only root can write to (a symlink, "
                                f"another user's, or group/world-writable): remove it")
    return base


def process_slot() -> int:
    """This process's sandbox slot: machine-wide unique while it lives, so uids, cgroups and
    zygotes of concurrent grading processes (another run, --jobs, a cluster worker) never mix."""
    global _held_slot
    if _held_slot is not None and _held_slot[0] == os.getpid():
        return _held_slot[1]
    slot, handle = _free_slot()
    _held_slot = (os.getpid(), slot, handle)
    return slot


def _free_slot() -> tuple[int, object]:
    """A slot no living process holds, and the open lock file that holds it (closed: released)."""
    import fcntl

    base = slot_locks()
    for slot in range(1, 1000):
        handle = open(base / f"{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return slot, handle
    raise RuntimeError("all 999 sandbox slots on this machine are taken")


def reserve_slots(count: int) -> list[tuple[int, object]]:
    """``count`` more slots for this process to hand to its grading processes (``adopt_slot``);
    each is held until its lock file is closed."""
    return [_free_slot() for _ in range(count)]


def adopt_slot(slot: int) -> None:
    """Make ``slot`` (reserved by the parent run, which holds it) this process's slot."""
    global _held_slot
    _held_slot = (os.getpid(), slot, None)


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
        Protection("bounded disk", ns, "size-limited private tmpfs working folder; every host folder read-only" if ns
                   else "needs root (otherwise only the per-file size limit applies)"),
        Protection("own IPC namespace", ns, "shared memory, message queues, semaphores: its own, gone with it" if ns
                   else why),
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
        try:
            if parent != Path("/") and not parent.stat().st_mode & 0o001:
                return parent
        except OSError:
            return None
    return None


@functools.lru_cache(maxsize=8)
def sandbox_import_path(executable: str) -> tuple[str, ...]:
    """The folders the sandbox's interpreter imports from: its own sys.path in isolated mode (``-I``, as
    ``python_argv`` starts it), not the grader's, which also holds PYTHONPATH and a test run's folders
    that no sandbox sees. The grader's sys.path if the interpreter cannot be asked (its start fails anyway)."""
    try:
        asked = subprocess.run([executable, "-I", "-c", "import sys; print('\\n'.join(sys.path))"],
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return tuple(sys.path)
    return tuple(asked.stdout.splitlines()) if asked.returncode == 0 else tuple(sys.path)


def needed_folders() -> dict[Path, str]:
    """Every folder the sandbox legitimately needs, with what it holds (for messages).

    The Python installation, the virtual environment, every folder the interpreter imports from
    (site-packages, folders added by .pth files), the grader's package (the worker runs from
    it; its hidden/ stays hidden) and the temporary folder (scratch folders live there).
    """
    folders = {Path(sys.base_prefix): "the Python installation", Path(sys.prefix): "the virtual environment",
               Path(sys.executable).parent: "the Python interpreter"}
    for entry in sandbox_import_path(sys.executable):
        if entry and os.path.isabs(entry) and os.path.isdir(entry):
            folders.setdefault(Path(entry), "installed packages")
    folders[Path(__file__).resolve().parent.parent] = "the grader's package (its worker)"
    folders.setdefault(Path(tempfile.gettempdir()), "the temporary folder")
    return folders


@dataclasses.dataclass(frozen=True)
class Bind:
    """A needed folder under a private one (``root``), bound back at ``target`` in the sandbox."""
    source: Path        # the real folder
    target: Path        # where the sandbox looks for it
    root: Path          # the private folder, replaced in the sandbox by an empty tmpfs


def private_binds(folders) -> list[Bind]:
    """What the sandbox host must bind back of the needed ``folders`` that lie under a folder
    other users cannot enter (a project, venv or Python in /root, or in a home folder of mode
    750): such a folder is replaced by an empty tmpfs (which hides the rest of it) with only the
    needed folders in it, at their own path and, where a symlink leads there, at the resolved one."""
    binds: dict[Path, Bind] = {}
    for folder in folders:
        source = Path(folder).resolve()
        for target in (Path(os.path.abspath(folder)), source):
            root = _blocking_ancestor(target)
            if root is not None and source.is_dir():
                binds.setdefault(target, Bind(source, target, root))
    # A folder inside another bound one is seen through it.
    kept = [b for b in binds.values() if not any(b.target != o.target and b.target.is_relative_to(o.target)
                                                 for o in binds.values())]
    return sorted(kept, key=lambda b: str(b.target))


def _stage() -> Path:
    """An empty mount point outside every private folder, where the binds wait while those are replaced."""
    for base in (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")):
        stage = base / "learnathon-stage"
        if base.is_dir() and _blocking_ancestor(stage) is None:
            stage.mkdir(mode=0o700, exist_ok=True)
            if stage.is_symlink() or stage.stat().st_uid != 0:
                raise SandboxStartError(f"{stage} is not a folder of root's (a symlink or another user's): remove it")
            return stage
    raise SandboxStartError("no folder outside the private ones for the sandbox's mount set-up: is /tmp missing?")


def mount_steps(hide: list[Path], folders=None) -> list[str]:
    """Shell steps that build the sandbox host's view of the file system (in its own mount namespace).

    First the private folders (see ``private_binds``), then the hidden folders, each covered by an
    empty tmpfs of mode 000 wherever it can still be reached (also inside a folder bound back).
    """
    q = shlex_quote
    binds = private_binds(needed_folders() if folders is None else folders)
    steps = ["umask 022"]
    if binds:
        stage = _stage()
        steps += [f"mount -t tmpfs -o size=16k,mode=700 learnathon-stage {q(stage)}"]
        for i, bind in enumerate(binds):
            steps += [f"mkdir {q(stage / str(i))}", f"mount --rbind {q(bind.source)} {q(stage / str(i))}"]
        for root in dict.fromkeys(b.root for b in binds):
            steps.append(f"mount -t tmpfs -o size=1m,mode=755 learnathon-private {q(root)}")
        for i, bind in enumerate(binds):
            steps += [f"mkdir -p {q(bind.target)}", f"mount --move {q(stage / str(i))} {q(bind.target)}"]
        steps.append(f"umount {q(stage)}")
    steps += [f"if [ -e {q(p)} ]; then mount -t tmpfs -o size=1k,mode=000 learnathon-hidden {q(p)}; fi" for p in hide]
    return steps


def reach_problems(folders=None) -> list[str]:
    """What the sandbox's unprivileged user could still not reach after the mount set-up, with the fix.

    Folders under a private one are bound back (``private_binds``), but a needed folder that is
    itself closed to other users (mode 700, e.g. a venv made with umask 077), or a closed folder
    between a bound folder and a needed one, cannot be opened that way.
    """
    folders = needed_folders() if folders is None else folders
    targets = [b.target for b in private_binds(folders)]
    roots = [b.root for b in private_binds(folders)]
    problems: dict[Path, str] = {}
    for folder, what in folders.items():
        real = Path(folder).resolve()
        if not real.is_dir():
            continue        # nothing to reach (a missing interpreter fails the start, which says so)
        for step in [*reversed(real.parents), real]:
            inside_tmpfs = any(step.is_relative_to(r) for r in roots) and not any(step.is_relative_to(t)
                                                                                  for t in targets)
            if step == Path("/") or inside_tmpfs:
                continue
            mode = step.stat().st_mode
            wanted = 0o005 if step == real else 0o001
            if mode & wanted != wanted:
                problems.setdefault(step, f"{step} (mode {mode & 0o777:o}) cannot be "
                                          f"{'read' if step == real else 'entered'} "
                                          f"by the sandbox's user, and it holds {what} ({folder}). Fix: "
                                          f"chmod o+{'rx' if step == real else 'x'} {step}, or install it elsewhere")
                break
    interpreter = Path(sys.executable).resolve()
    if interpreter.exists() and not interpreter.stat().st_mode & 0o001:
        problems.setdefault(interpreter, f"the Python interpreter {interpreter} cannot be run by other users "
                                         f"(mode {interpreter.stat().st_mode & 0o777:o}). Fix: chmod o+rx "
                                         f"{interpreter}")
    return list(problems.values())


class SandboxStartError(GraderError):
    """The sandbox host cannot be set up on this machine (a problem of the machine, with its fix)."""


CHECK_HINT = "Run `learnathon sandbox` to check what the sandbox can reach on this machine."


def ensure_reachable() -> None:
    """Before grading: stop, naming each problem and its fix, when the sandbox's user cannot reach what
    a run needs (``reach_problems``). Graded anyway, the student's imports would fail in the sandbox
    and the machine's fault would cost the student the points. About 3 ms."""
    problems = reach_problems() if namespaces_available() else []
    if problems:
        # The first line stands alone: a class run shows only it for each submission NOT GRADED.
        raise SandboxStartError("the grading sandbox cannot reach what it needs on this machine "
                                "(`learnathon sandbox` names each folder and its fix):\n"
                                + "".join(f"  - {problem}\n" for problem in problems) + CHECK_HINT)


def launch(argv: list[str], *, scratch: Path, limits: Limits, hide: list[Path], slot: int,
           pass_fds: tuple[int, ...], output: Path) -> subprocess.Popen:
    """Start the sandbox host ``argv`` (worker/zygote.py); its stdout and stderr go to ``output``.

    As root it enters fresh network, IPC, PID and mount namespaces, with the hidden folders
    covered and what it needs from private folders bound back (``mount_steps``), but keeps its
    privileges: the host drops them in each child it forks (worker/confine.py), on the warm and
    on the cold path alike. ``limits`` bound the host itself.
    """
    namespaced = namespaces_available()
    if namespaced:
        mounts = " && ".join(mount_steps(hide))
        inner = f"{mounts} && exec " + " ".join(shlex_quote(a) for a in argv)
        argv = ["unshare", "--net", "--ipc", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
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
    # The interpreter by its folder's real path (a private folder's symlinks are gone in the
    # sandbox) but its own name: a venv's python finds its pyvenv.cfg next to it.
    interpreter = Path(sys.executable).parent.resolve() / Path(sys.executable).name
    return [str(interpreter), "-I", str(Path(script).resolve()), *args]
