"""Assignment discovery: where each assignment's parts live and what it declares.

The only engine module that knows the layout of an assignment: its source notebooks and released
files (``assignments/NAME/``), its hidden tests and ``grading.toml`` (``autograder/hidden/NAME/``).
Everything per-assignment (limits, demo class, ...) is declared there and read here, so the rest
of the engine never names an assignment.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import tomllib
from pathlib import Path

import assignments as assignments_package

from ..sandbox import launcher, session

PROJECT_ROOT = Path(assignments_package.__file__).parent.parent
# Where assignments live; the environment can point elsewhere (a course's own assignments, tests).
# Read at import, so grading processes for --jobs see the same folders (``read_environment``).
SOURCE_ROOT = HIDDEN_ROOT = Path()


def read_environment() -> None:
    """Set SOURCE_ROOT and HIDDEN_ROOT from LEARNATHON_ASSIGNMENTS_DIR / LEARNATHON_HIDDEN_TESTS_DIR."""
    global SOURCE_ROOT, HIDDEN_ROOT
    SOURCE_ROOT = Path(os.environ.get("LEARNATHON_ASSIGNMENTS_DIR") or Path(assignments_package.__file__).parent)
    HIDDEN_ROOT = Path(os.environ.get("LEARNATHON_HIDDEN_TESTS_DIR") or Path(__file__).parent.parent / "hidden")


read_environment()
LIMIT_KEYS = {f.name for f in dataclasses.fields(launcher.Limits)}
SESSION_KEYS = {"cell_timeout", "call_timeout", "total_timeout", "max_restarts", "call_budget"}


class UnknownAssignment(LookupError):
    pass


@dataclasses.dataclass(frozen=True)
class NotebookSpec:
    assignment: str
    name: str                      # file stem; a submission is matched by file name
    source: Path                   # instructor's notebook, with solutions
    tests: Path                    # hidden pytest module
    files: tuple[Path, ...]        # released alongside, copied into the sandbox
    settings: dict
    preload: tuple[str, ...] = ()  # [sandbox] preload: libraries the warm sandbox imports once

    @property
    def filename(self) -> str:
        return f"{self.name}.ipynb"

    def tests_module(self):
        """The hidden test module imported afresh in this (trusted) process, for its constants and
        case generators (benchmarks, project tests); grading runs it through pytest instead."""
        loader = importlib.util.spec_from_file_location(f"_hidden_{self.assignment}_{self.name}", self.tests)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module

    def session_config(self, *, slot: int | None = None, hide: tuple[Path, ...] = ()) -> session.SessionConfig:
        limits = launcher.Limits(**{k: v for k, v in self.settings.items() if k in LIMIT_KEYS})
        probes = self.tests.parent / "probes.py"
        return session.SessionConfig(
            **{k: v for k, v in self.settings.items() if k in SESSION_KEYS},
            limits=limits, files=self.files, slot=launcher.process_slot() if slot is None else slot,
            hide=hidden_paths() + tuple(hide), preload=self.preload, probes=probes if probes.is_file() else None)


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    source_dir: Path
    notebooks: tuple[NotebookSpec, ...]
    files: tuple[Path, ...] = ()
    demo: dict = dataclasses.field(default_factory=dict)   # grading.toml's [demo] table (autograder/admin/demo.py)

    def notebook(self, filename: str) -> NotebookSpec:
        stem = Path(filename).name.removesuffix(".ipynb")
        for spec in self.notebooks:
            if spec.name == stem:
                return spec
        names = ", ".join(s.filename for s in self.notebooks)
        raise UnknownAssignment(f"{Path(filename).name} is not a notebook of assignment {self.name} "
                                f"(its notebooks: {names}); keep the released file name")


def hidden_paths() -> tuple[Path, ...]:
    """Folders the sandbox must never see: sources with solutions, references, hidden tests."""
    root = PROJECT_ROOT
    # .git too: committed hidden tests and solutions can be read back from its objects.
    candidates = [SOURCE_ROOT, HIDDEN_ROOT, root / "assignments", root / "autograder" / "hidden", root / "solutions",
                  root / "tests", root / "benchmarks", *git_dirs(root)]
    try:
        import solutions

        candidates.extend(Path(p) for p in solutions.__path__)   # references kept elsewhere, too
    except ImportError:
        pass
    folders = list(dict.fromkeys(p for p in candidates if p.is_dir()))
    # A folder inside another hidden one is hidden with it (and could not be mounted over once its parent is).
    return tuple(p for p in folders if not any(p != q and p.is_relative_to(q) for q in folders))


def git_dirs(root: Path) -> list[Path]:
    """The checkout's git folders. In a git worktree ``.git`` is a file (``gitdir: <path>``):
    then that folder and the repository's common folder (its ``commondir``) hold the objects."""
    dot_git = root / ".git"
    if not dot_git.is_file():
        return [dot_git]
    text = dot_git.read_text(errors="replace").strip()
    if not text.startswith("gitdir:"):
        return []
    gitdir = (root / text.removeprefix("gitdir:").strip()).resolve()
    common = gitdir / "commondir"
    found = [gitdir]
    if common.is_file():
        found.append((gitdir / common.read_text().strip()).resolve())
    return found


def available() -> list[str]:
    """Assignments with a source notebook and hidden tests."""
    return sorted(p.name for p in HIDDEN_ROOT.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
                  and any((SOURCE_ROOT / p.name).glob("*.ipynb")))


def known_preload() -> tuple[str, ...]:
    """Every library some assignment's grading.toml preloads: the trusted list a notebook graded
    or checked on its own may select from (``warm.notebook_preload``)."""
    names = []
    for name in available():
        toml = HIDDEN_ROOT / name / "grading.toml"
        if toml.is_file():
            names += [str(n) for n in tomllib.loads(toml.read_text()).get("sandbox", {}).get("preload", [])]
    return tuple(dict.fromkeys(names))


def load(name: str) -> Assignment:
    source_dir, hidden_dir = SOURCE_ROOT / name, HIDDEN_ROOT / name
    if not name or "/" in name or not source_dir.is_dir() or not hidden_dir.is_dir():
        raise UnknownAssignment(f"unknown assignment {name!r} (available: {', '.join(available())})")
    config = tomllib.loads((hidden_dir / "grading.toml").read_text()) if (hidden_dir / "grading.toml").exists() else {}
    defaults = config.get("defaults", {})
    preload = tuple(str(name) for name in config.get("sandbox", {}).get("preload", []))
    files = tuple(sorted(p for p in source_dir.iterdir() if p.is_file() and p.suffix != ".ipynb"
                         and p.name != "__init__.py" and not p.name.startswith(".")))
    specs = []
    for notebook in sorted(source_dir.glob("*.ipynb")):
        tests = hidden_dir / f"test_{notebook.stem}.py"
        if not tests.exists():
            raise UnknownAssignment(f"{notebook.name} has no hidden tests ({tests} is missing)")
        settings = {**defaults, **config.get("notebooks", {}).get(notebook.stem, {})}
        specs.append(NotebookSpec(name, notebook.stem, notebook, tests, files, settings, preload))
    if not specs:
        raise UnknownAssignment(f"assignment {name!r} has no notebooks in {source_dir}")
    return Assignment(name, source_dir, tuple(specs), files, config.get("demo", {}))
