"""Assignment discovery: where each assignment's parts live and what it declares.

The only engine module that knows the layout of an assignment: its source notebooks and released
files (``assignments/NAME/``), its hidden tests and ``grading.toml`` (``autograder/hidden/NAME/``).
Everything per-assignment (limits, demo class, ...) is declared there and read here, so the rest
of the engine never names an assignment.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import assignments as assignments_package

from ..config import current as current_config
from ..sandbox import launcher, session

PROJECT_ROOT = Path(assignments_package.__file__).parent.parent


def hidden_root() -> Path:
    """Where the hidden tests of every assignment live: the run's configuration (autograder/config.py)."""
    return current_config().hidden_root


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
    settings: dict[str, Any]
    preload: tuple[str, ...] = ()  # [sandbox] preload: libraries the warm sandbox imports once
    libraries: tuple[str, ...] = ()  # what student code may import: preload + [sandbox] libraries (sandbox/view.py)

    @property
    def filename(self) -> str:
        return f"{self.name}.ipynb"

    def tests_module(self) -> ModuleType:
        """The hidden test module imported afresh in this (trusted) process, for its constants and
        case generators (benchmarks, project tests); grading runs it through pytest instead."""
        loader = importlib.util.spec_from_file_location(f"_hidden_{self.assignment}_{self.name}", self.tests)
        if loader is None or loader.loader is None:
            raise ImportError(f"{self.tests} cannot be imported as a module")
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module

    def session_config(self, *, slot: int | None = None) -> session.SessionConfig:
        limits = launcher.Limits(**{k: v for k, v in self.settings.items() if k in LIMIT_KEYS})
        probes = self.tests.parent / "probes.py"
        return session.SessionConfig(
            **{k: v for k, v in self.settings.items() if k in SESSION_KEYS},
            limits=limits, files=self.files, slot=launcher.process_slot() if slot is None else slot,
            libraries=self.libraries, preload=self.preload, probes=probes if probes.is_file() else None)


@dataclasses.dataclass(frozen=True)
class Assignment:
    name: str
    source_dir: Path
    notebooks: tuple[NotebookSpec, ...]
    files: tuple[Path, ...] = ()
    # grading.toml's [demo] table (autograder/admin/demo.py)
    demo: dict[str, Any] = dataclasses.field(default_factory=dict)
    hidden_dir: Path = Path()      # hidden tests, settings and the assignment's fixture submissions

    def fixture_folder(self, notebook: str) -> Path:
        """The notebook's fixture submissions, typical mistakes and correct alternatives (format:
        admin/fabricate.py): package data beside the hidden tests, so the demo and the audit find them in
        an installed copy too, and the sandbox never shows them."""
        return self.hidden_dir / "fixtures" / notebook

    def integrity_fixture_folder(self, notebook: str) -> Path:
        """The notebook's submissions made to raise one integrity flag each (``KIND.py``; AUTHORING.md)."""
        return self.hidden_dir / "integrity_fixtures" / notebook

    def notebook(self, filename: str) -> NotebookSpec:
        stem = Path(filename).name.removesuffix(".ipynb")
        for spec in self.notebooks:
            if spec.name == stem:
                return spec
        names = ", ".join(s.filename for s in self.notebooks)
        raise UnknownAssignment(f"{Path(filename).name} is not a notebook of assignment {self.name} "
                                f"(its notebooks: {names}); keep the released file name")


def available() -> list[str]:
    """Assignments with a source notebook and hidden tests."""
    roots = current_config()
    return sorted(p.name for p in roots.hidden_root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
                  and any((roots.assignments_root / p.name).glob("*.ipynb")))


def sandbox_libraries(config: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A grading.toml's [sandbox] table: (preload, libraries student code may import). ``libraries``
    adds to ``preload`` what is imported but not worth preloading; together they decide which installed
    distributions exist in the sandbox (sandbox/view.py)."""
    table = config.get("sandbox", {})
    preload = tuple(str(n) for n in table.get("preload", []))
    return preload, tuple(dict.fromkeys(preload + tuple(str(n) for n in table.get("libraries", []))))


def known_preload() -> tuple[str, ...]:
    """Every library some assignment's grading.toml preloads: the trusted list a notebook graded
    or checked on its own may select from (``warm.notebook_preload``)."""
    return _known(0)


def known_libraries() -> tuple[str, ...]:
    """Every library some assignment lets its student code import: the view of `learnathon check`,
    which does not know which assignment a notebook belongs to."""
    return _known(1)


def _known(which: int) -> tuple[str, ...]:
    names: list[str] = []
    for name in available():
        toml = hidden_root() / name / "grading.toml"
        if toml.is_file():
            names += sandbox_libraries(tomllib.loads(toml.read_text()))[which]
    return tuple(dict.fromkeys(names))


def load(name: str) -> Assignment:
    roots = current_config()
    source_dir, hidden_dir = roots.assignments_root / name, roots.hidden_root / name
    if not name or "/" in name or not source_dir.is_dir() or not hidden_dir.is_dir():
        raise UnknownAssignment(f"unknown assignment {name!r} (available: {', '.join(available())})")
    config = tomllib.loads((hidden_dir / "grading.toml").read_text()) if (hidden_dir / "grading.toml").exists() else {}
    defaults = config.get("defaults", {})
    preload, libraries = sandbox_libraries(config)
    files = tuple(sorted(p for p in source_dir.iterdir() if p.is_file() and p.suffix != ".ipynb"
                         and p.name != "__init__.py" and not p.name.startswith(".")))
    specs = []
    for notebook in sorted(source_dir.glob("*.ipynb")):
        tests = hidden_dir / f"test_{notebook.stem}.py"
        if not tests.exists():
            raise UnknownAssignment(f"{notebook.name} has no hidden tests ({tests} is missing)")
        settings = {**defaults, **config.get("notebooks", {}).get(notebook.stem, {})}
        specs.append(NotebookSpec(name, notebook.stem, notebook, tests, files, settings, preload, libraries))
    if not specs:
        raise UnknownAssignment(f"assignment {name!r} has no notebooks in {source_dir}")
    return Assignment(name, source_dir, tuple(specs), files, config.get("demo", {}), hidden_dir)
