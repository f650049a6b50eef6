"""What exists for student code: an allowlist root, built by bubblewrap, and nothing else.

The sandbox host starts in a root file system of its own (``bwrap``: an empty tmpfs, pivot_root)
that holds only what a run needs, each item bound read-only at its own path:

- the interpreter (by the path it is started with, the host's symlinks on the way reproduced, its
  ``pyvenv.cfg``), the shared libraries it and the standard library's extension modules link (the
  system library folder whole, anything else file by file) and ``/etc/ld.so.cache``;
- the standard library, with an empty folder over its own ``site-packages``;
- of every other folder on the sandbox's import path, only the files of the *distributions* that
  provide the libraries the assignment declares (``[sandbox] preload`` and ``libraries`` in its
  grading.toml) and the worker needs (numpy, IPython), with everything they require (``Requires-Dist``),
  as each one's ``RECORD`` lists them;
- the worker's own modules (``worker/``) at ``/learnathon/worker``: nothing else of this project;
- a fresh ``/proc`` (the host's own PID namespace), bubblewrap's minimal ``/dev`` and two empty
  mount points, ``/scratch`` (each run's private tmpfs, with the released files) and ``/dev/mqueue``.

So no course (this one or another, wherever it lies), no project package with hidden tests, sources
or solutions (editable, or installed into site-packages: this project's distribution is never one of
those bound), no /home, /srv, /root, no host /tmp, no /sys. New course folders or install layouts
change nothing: what is not on the list does not exist. The folders leading to a bound item exist
(empty, made by bubblewrap), so their names are visible, not their contents.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "worker"
WORKER_INSIDE = Path("/learnathon/worker")
SCRATCH_INSIDE = Path("/scratch")
LD_CACHE = Path("/etc/ld.so.cache")
# The worker imports these whatever the assignment declares (worker/main.py, codec.py).
WORKER_LIBRARIES = ("numpy", "IPython")


class ViewError(RuntimeError):
    """The allowlist cannot be built on this machine (a problem of the installation, with its fix)."""


@dataclasses.dataclass(frozen=True)
class Interpreter:
    """The sandbox's interpreter as it reports itself in isolated mode (``-I``, as the host runs)."""
    argv0: str                  # the path the host is started with (symlinks kept: a venv's python finds pyvenv.cfg)
    prefix: str
    stdlib: tuple[str, ...]     # the standard library's folder, lib-dynload and zip where they lie elsewhere
    path: tuple[str, ...]       # sys.path


def interpreter(executable: str | None = None) -> Interpreter:
    return _interpreter(executable or sys.executable)


@functools.lru_cache(maxsize=4)
def _interpreter(executable: str) -> Interpreter:
    argv0 = str(Path(executable).parent.resolve() / Path(executable).name)
    # The standard library is where os.py is, and lib-dynload (a venv's platstdlib points into the venv).
    code = ("import json, os, sys; print(json.dumps([sys.prefix, [os.path.dirname(os.__file__)] + [p for p in sys.path "
            "if os.path.basename(p) == 'lib-dynload' or p.endswith('.zip')], sys.path]))")
    try:
        asked = subprocess.run([argv0, "-I", "-c", code], capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
        prefix, stdlib, path = json.loads(asked.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise ViewError(f"its interpreter {argv0} cannot be run ({exc})") from None
    return Interpreter(argv0, prefix, tuple(dict.fromkeys(stdlib)), tuple(path))


# --- shared libraries: three fields of an ELF file ----------------------------------------------------------------
# (pyelftools would read them too, at ~0.5 s for the ~80 files of a start; these 40 lines take milliseconds)

@dataclasses.dataclass(frozen=True)
class ElfLinks:
    machine: int
    needed: tuple[str, ...]
    search: tuple[str, ...]     # DT_RPATH / DT_RUNPATH folders, $ORIGIN resolved
    loader: str | None          # PT_INTERP


@functools.lru_cache(maxsize=4096)
def elf_links(path: str) -> ElfLinks | None:
    """DT_NEEDED, the run path and the program interpreter of an ELF file; None if it is not one."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            if len(head) < 52 or head[:4] != b"\x7fELF":
                return None
            wide, end = head[4] == 2, "<" if head[5] == 1 else ">"
            machine = struct.unpack_from(end + "H", head, 18)[0]
            phoff = struct.unpack_from(end + ("Q" if wide else "I"), head, 32 if wide else 28)[0]
            entsize, count = struct.unpack_from(end + "HH", head, 54 if wide else 42)
            handle.seek(phoff)
            table = handle.read(entsize * count)
            loads, dynamic, loader = [], None, None
            for i in range(count):
                if wide:
                    kind, _, offset, vaddr, _, size = struct.unpack_from(end + "IIQQQQ", table, i * entsize)
                else:
                    kind, offset, vaddr, _, size = struct.unpack_from(end + "IIIII", table, i * entsize)
                if kind == 1:
                    loads.append((vaddr, offset, size))
                elif kind == 2:
                    dynamic = (offset, size)
                elif kind == 3:
                    handle.seek(offset)
                    loader = handle.read(size).split(b"\0")[0].decode(errors="replace")
            if dynamic is None:
                return ElfLinks(machine, (), (), loader)
            handle.seek(dynamic[0])
            data = handle.read(dynamic[1])
            form = end + ("qQ" if wide else "iI")
            step = struct.calcsize(form)
            tags = []
            for at in range(0, len(data) - step + 1, step):
                tag, value = struct.unpack_from(form, data, at)
                if tag == 0:
                    break
                tags.append((tag, value))
            strtab = next((value for tag, value in tags if tag == 5), None)
            base = next((offset + strtab - vaddr for vaddr, offset, size in loads
                         if strtab is not None and vaddr <= strtab < vaddr + size), None)
            if base is None:
                return ElfLinks(machine, (), (), loader)

            def text(index: int) -> str:
                handle.seek(base + index)
                return handle.read(4096).split(b"\0")[0].decode(errors="replace")

            origin = os.path.dirname(os.path.realpath(path))
            search = tuple(folder.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
                           for tag, value in tags if tag in (15, 29) for folder in text(value).split(":") if folder)
            return ElfLinks(machine, tuple(text(value) for tag, value in tags if tag == 1), search, loader)
    except (OSError, struct.error):
        return None


@functools.lru_cache(maxsize=1)
def linker_cache() -> dict[str, tuple[str, ...]]:
    """The dynamic linker's cache (``ldconfig -p``): soname -> the files it names, in its order."""
    ldconfig = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig")
                                                 if os.path.exists(p)), None)
    if ldconfig is None:
        return {}
    try:
        listed = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[str, list[str]] = {}
    for line in listed.splitlines():
        match = re.match(r"\s+(\S+) \(.*\) => (\S+)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return {name: tuple(paths) for name, paths in found.items()}


def default_library_folders() -> list[str]:
    import sysconfig

    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    return [folder for folder in (f"/lib/{multiarch}", f"/usr/lib/{multiarch}", "/lib64", "/usr/lib64", "/lib",
                                  "/usr/lib") if multiarch or not folder.endswith("/")]


def linked_libraries(files: list[str]) -> tuple[list[str], str | None]:
    """Every shared library these ELF files load, transitively, as the dynamic linker would find
    it (run path, then its cache, then the default folders); and their program interpreter."""
    first = next((links for links in map(elf_links, files) if links is not None), None)
    if first is None:
        return [], None
    found: dict[str, None] = {}
    todo = list(files)
    seen = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        links = elf_links(current)
        if links is None:
            continue
        for name in links.needed:
            candidates = ([os.path.join(folder, name) for folder in links.search] + list(linker_cache().get(name, ()))
                          + [os.path.join(folder, name) for folder in default_library_folders()])
            for candidate in candidates:
                other = elf_links(candidate) if os.path.isfile(candidate) else None
                if other is not None and other.machine == first.machine:
                    found.setdefault(candidate)
                    todo.append(candidate)
                    break
    return list(found), first.loader


# --- distributions: what the declared libraries are, and what they require -------------------------------------------

def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclasses.dataclass(frozen=True)
class Distribution:
    name: str                   # canonical
    site: str                   # the folder on the import path it is installed in
    info: str                   # its .dist-info (or .egg-info) folder

    def metadata_headers(self) -> list[tuple[str, str]]:
        for name in ("METADATA", "PKG-INFO"):
            path = os.path.join(self.info, name)
            if os.path.isfile(path):
                headers = []
                with open(path, encoding="utf-8", errors="replace") as handle:
                    for line in handle:
                        if line in ("\n", "\r\n"):      # the end of the headers (a continuation may be blank)
                            break
                        key, _, value = line.partition(":")
                        if value and not line[0].isspace():
                            headers.append((key.strip(), value.strip()))
                return headers
        return []

    def requires(self) -> list[str]:
        """The distributions it requires in this environment (markers evaluated, no extras)."""
        names = []
        for key, value in self.metadata_headers():
            name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", value) if key == "Requires-Dist" else None
            marker = value.partition(";")[2].strip()
            if name and (not marker or marker_holds(marker)):
                names.append(canonical(name.group(1)))
        return names

    def files(self) -> tuple[str, ...]:
        """Its installed files, relative to ``site`` (RECORD; top_level.txt where there is none)."""
        return installed_files(self.site, self.info)

    def provides(self, module: str) -> bool:
        """It installs the top-level module ``module`` (a package folder, module.py or an extension)."""
        text = "\n" + record_text(self.site, self.info)
        return any(f"\n{module}{tail}" in text for tail in ("/", ".py,", ".py\n")) or \
            re.search(rf"\n{re.escape(module)}\.[^/,\n]*\.so[,\n]", text) is not None


@functools.lru_cache(maxsize=256)
def marker_holds(marker: str) -> bool:
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(marker).evaluate({"extra": ""})
    except InvalidMarker:
        return False


@functools.cache
def record_text(site: str, info: str) -> str:
    """RECORD's text, one installed file per line (path first); from top_level.txt where there is none."""
    for name in ("RECORD", "top_level.txt"):
        try:
            with open(os.path.join(info, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        if name == "RECORD":
            return text
        names = text.split()
        return "\n".join([os.path.relpath(info, site) + "/", *names, *[f"{n}.py" for n in names]])
    return ""


@functools.cache
def installed_files(site: str, info: str) -> tuple[str, ...]:
    import csv

    rows = (row[0] for row in csv.reader(record_text(site, info).splitlines()) if row)
    paths = (os.path.normpath(row) for row in rows)
    return tuple(path for path in paths if not path.startswith(("..", "/")))


def installed(site_folders: list[str]) -> dict[str, Distribution]:
    """Every distribution in these folders (the first of a name wins, as imports would)."""
    found: dict[str, Distribution] = {}
    for site in site_folders:
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in names:
            if entry.endswith((".dist-info", ".egg-info")) and os.path.isdir(os.path.join(site, entry)):
                name = canonical(entry.split("-")[0])
                found.setdefault(name, Distribution(name, site, os.path.join(site, entry)))
    return found


def closure(modules: list[str], available: dict[str, Distribution]) -> tuple[list[Distribution], list[str]]:
    """The distributions that provide ``modules`` and all they require; and the modules none provides."""
    roots, missing = [], []
    for module in dict.fromkeys(m.split(".")[0] for m in modules):
        owner = available.get(canonical(module))
        if owner is None or not owner.provides(module):
            owner = next((d for d in available.values() if d.provides(module)), None)
        if owner is None:
            missing.append(module)
        else:
            roots.append(owner.name)
    chosen: dict[str, Distribution] = {}
    while roots:
        name = roots.pop()
        if name in chosen or name not in available or name == "learnathon":
            continue
        chosen[name] = available[name]
        roots += chosen[name].requires()
    return sorted(chosen.values(), key=lambda d: d.name), missing


def distribution_entries(distribution: Distribution) -> list[str]:
    """What of ``site`` to bind for it: its top-level folders and files; of a shared ``__pycache__``, its own files."""
    entries: dict[str, None] = {}
    for path in distribution.files():
        parts = path.split("/")
        entries.setdefault("/".join(parts[:2]) if parts[0] == "__pycache__" and len(parts) > 1 else parts[0])
    found = (os.path.join(distribution.site, entry) for entry in entries)
    return [path for path in found if os.path.lexists(path)]     # RECORD may list what has since gone


# --- the view ---------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class View:
    """The sandbox's root, as bubblewrap builds it (every path absolute)."""
    binds: tuple[tuple[str, str], ...]      # (host source, path inside), read-only, a folder before what is in it
    symlinks: tuple[tuple[str, str], ...]   # (path inside, link text): the host's symlinks on the way to a bind
    emptied: tuple[str, ...]                # folders inside a bound one covered by an empty tmpfs
    distributions: tuple[str, ...]          # whose files are bound (for messages and tests)
    missing: tuple[str, ...]                # declared libraries no installed distribution provides
    argv0: str                              # the interpreter, by the path the host starts it with

    def worker_script(self, name: str) -> str:
        return str(WORKER_INSIDE / name)


class _Builder:
    def __init__(self) -> None:
        self.binds: dict[str, str] = {}         # inside -> source
        self.symlinks: dict[str, str] = {}

    def expose(self, path: str, target: str | None = None) -> None:
        """``path`` (a host path) inside at the same place: the symlinks on its way as links, the file or
        folder it resolves to bound at its real path (or at ``target``)."""
        if target is not None:
            self.binds.setdefault(target, os.path.realpath(path))
            return
        current = "/"
        parts = [p for p in os.path.normpath(path).split("/") if p]
        hops = 0
        while parts:
            step = os.path.join(current, parts.pop(0))
            if os.path.islink(step) and hops < 40:
                hops += 1
                link = os.readlink(step)
                self.symlinks.setdefault(step, link)
                resolved = os.path.normpath(os.path.join(current, link))
                parts = [p for p in resolved.split("/") if p] + parts
                current = "/"
                continue
            current = step
        if os.path.exists(current):
            self.binds.setdefault(current, current)

    def covered(self, inside: str) -> bool:
        """Already inside a bound folder (binding it again would add nothing)."""
        parent = os.path.dirname(inside)
        while parent != "/":
            if self.binds.get(parent) == parent and os.path.isdir(parent):
                return True
            parent = os.path.dirname(parent)
        return False


def build(libraries: tuple[str, ...] = (), executable: str | None = None) -> View:
    """The allowlist root for a sandbox whose student code may import ``libraries`` (module names)."""
    return _build(tuple(libraries), executable or sys.executable)


@functools.lru_cache(maxsize=16)
def _build(libraries: tuple[str, ...], executable: str) -> View:
    python = interpreter(executable)
    builder = _Builder()
    stdlib = [folder for folder in python.stdlib if os.path.isdir(folder)]
    # The interpreter, its venv's pyvenv.cfg, what it and the standard library's extension modules link.
    builder.expose(python.argv0)
    if os.path.isfile(os.path.join(python.prefix, "pyvenv.cfg")):
        builder.expose(os.path.join(python.prefix, "pyvenv.cfg"))
    native = [os.path.realpath(python.argv0)] + sorted(
        str(p) for folder in stdlib for p in Path(folder, "lib-dynload").glob("*.so"))
    libraries_found, loader = linked_libraries(native)
    system = next((os.path.dirname(os.path.realpath(p)) for p in libraries_found
                   if os.path.basename(p).startswith("libc.so")), None)
    if system is not None:
        builder.expose(system)
    for path in [*libraries_found, *([loader] if loader else []), str(LD_CACHE)]:
        if os.path.exists(path):
            builder.expose(path)
    # The standard library, without its own site-packages (another installation's packages).
    emptied = []
    for folder in stdlib:
        builder.expose(folder)
        emptied += [os.path.join(folder, name) for name in ("site-packages", "dist-packages")
                    if os.path.isdir(os.path.join(folder, name))]
    # The declared libraries' distributions, file by file from their RECORD.
    def within(path: str, folders: list[str]) -> bool:
        return any(path == folder or path.startswith(folder + "/") for folder in folders)

    stdlib_real, emptied_real = [os.path.realpath(f) for f in stdlib], [os.path.realpath(f) for f in emptied]
    sites = [entry for entry in python.path if entry and os.path.isabs(entry) and os.path.isdir(entry)
             and (not within(os.path.realpath(entry), stdlib_real) or within(os.path.realpath(entry), emptied_real))]
    chosen, missing = closure([*WORKER_LIBRARIES, *libraries], installed(sites))
    for distribution in chosen:
        for entry in distribution_entries(distribution):
            builder.expose(entry)
    # The worker, away from the rest of the project.
    builder.expose(str(WORKER), str(WORKER_INSIDE))
    binds = [(source, inside) for inside, source in builder.binds.items()
             if not (source == inside and builder.covered(inside))]
    symlinks = {inside: link for inside, link in builder.symlinks.items() if not builder.covered(inside)}

    def depth(inside: str) -> int:
        return inside.rstrip("/").count("/")

    return View(tuple(sorted(binds, key=lambda pair: (depth(pair[1]), pair[1]))),
                tuple(sorted(symlinks.items())), tuple(emptied), tuple(d.name for d in chosen),
                tuple(missing), python.argv0)


def bwrap_argv(view: View, command: list[str]) -> list[str]:
    """bubblewrap's command line that starts ``command`` in ``view``, in fresh network, IPC and PID
    namespaces (``command`` is PID 1 there), as root with its capabilities (the host forks each run
    and drops them there), killed with its parent. Its root is read-only; /scratch is the host's
    own tmpfs (its HOME and TMPDIR while it preloads), covered in each run by the run's own."""
    argv = ["bwrap", "--unshare-net", "--unshare-ipc", "--unshare-pid", "--as-pid-1", "--die-with-parent",
            "--cap-add", "ALL", "--proc", "/proc", "--dev", "/dev", "--dir", "/dev/mqueue",
            "--tmpfs", str(SCRATCH_INSIDE)]      # the host's own; each run mounts its own over it
    operations: list[tuple[int, str, list[str]]] = []
    # The folders on the way, made explicitly: bubblewrap makes implicit ones mode 700 (closed to the run's user).
    bound = {inside for source, inside in view.binds if os.path.isdir(source)}
    ways = {str(parent) for inside in [*(i for _, i in view.binds), *view.emptied, *(i for i, _ in view.symlinks)]
            for parent in Path(inside).parents if str(parent) != "/"}
    for folder in ways:
        if not any(folder == b or folder.startswith(b + "/") for b in bound):
            operations.append((folder.count("/"), folder, ["--dir", folder]))
    for source, inside in view.binds:
        operations.append((inside.count("/"), inside, ["--ro-bind", source, inside]))
    for folder in view.emptied:
        operations.append((folder.count("/"), folder, ["--tmpfs", folder]))
    for inside, link in view.symlinks:
        operations.append((inside.count("/"), inside, ["--symlink", link, inside]))
    for _, _, args in sorted(operations, key=lambda op: (op[0], op[1])):
        argv += args
    return [*argv, "--remount-ro", "/", "--chdir", "/", "--", *command]


def bubblewrap_available() -> bool:
    return shutil.which("bwrap") is not None


def reach_problems(view: View) -> list[str]:
    """What of the allowlist the sandbox's unprivileged user cannot read (binds keep permissions), with the fix."""
    problems = []
    interpreter_path = os.path.realpath(view.argv0)     # once: resolving it per bind cost ~0.05 s per notebook
    for source, inside in view.binds:
        try:
            mode = os.stat(source).st_mode
        except OSError:
            continue
        interpreter = source == interpreter_path
        wanted = 0o001 if interpreter else 0o005 if os.path.isdir(source) else 0o004
        if mode & wanted != wanted and interpreter:
            problems.append(f"the Python interpreter {source} cannot be run by other users (mode {mode & 0o777:o}). "
                            f"Fix: chmod o+rx {source}")
        elif mode & wanted != wanted:
            fix = "o+rx" if wanted != 0o004 else "o+r"
            problems.append(f"{source} (mode {mode & 0o777:o}) cannot be read by the sandbox's user, and it is "
                            f"needed inside (at {inside}). Fix: chmod {fix} {source}, or reinstall with umask 022")
    return problems


# --- checking it from inside: the whole visible tree against the allowlist ----------------------------------------

# What ``bwrap --dev`` makes, and the mount point of the run's message queues.
DEV = frozenset({"core", "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty",
                 "urandom", "zero", "mqueue"})
# Not walked into: the PID namespace's procfs, and the run's own writable places (its shared memory,
# message queues, terminals); of the scratch folder only the names at its top are compared.
OPAQUE = ("/proc", "/dev/pts", "/dev/shm", "/dev/mqueue")

# Runs inside a sandbox (a notebook cell or ``learnathon sandbox``): every path it can see, as the
# run's user, without following symbolic links.
WALK = '''
def visible_tree():
    import os
    seen = []
    def walk(folder):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, name)
            seen.append(path)
            if path in OPAQUE or path.startswith("/scratch/"):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                walk(path)
    walk("/")
    return seen
'''.replace("OPAQUE", repr(OPAQUE))


def expected_tree(view: View, scratch: list[str]) -> set[str]:
    """Every path a run's user can see in ``view`` (``WALK``), computed from the host: the folders on
    the way, the symlinks, each bound item with what it holds (folders others cannot read or enter
    are listed, not walked into, as inside), the emptied folders, ``/dev``, ``/proc`` and the names
    ``scratch`` at the top of the scratch folder."""
    paths = {"/proc", "/dev", str(SCRATCH_INSIDE), *(f"/dev/{name}" for name in DEV)}
    paths |= {f"{SCRATCH_INSIDE}/{name}" for name in scratch}
    emptied = set(view.emptied)

    def add_tree(source: str, inside: str) -> None:
        paths.add(inside)
        if os.path.islink(source) or not os.path.isdir(source) or inside in emptied:
            return
        if os.stat(source).st_mode & 0o005 != 0o005:
            return
        for name in os.listdir(source):
            add_tree(os.path.join(source, name), os.path.join(inside, name))

    for source, inside in view.binds:
        add_tree(source, inside)
    paths |= {inside for inside, _ in view.symlinks} | emptied
    for path in list(paths):
        paths |= {str(parent) for parent in Path(path).parents if str(parent) != "/"}
    return paths
