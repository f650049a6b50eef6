"""The one configuration of a run: where the assignments and their hidden tests live, and how sandboxes start.

Built once, at the edge: the ``learnathon`` command reads it from the environment when it starts
(``from_environment``, then ``configure``); a test or a benchmark builds one itself and configures it.
Grading processes receive it explicitly (``classrun.processes.start``): they never re-read the
environment. The engine asks ``current()`` for it (discovery for the roots, ``sandbox/host.py`` for the
cold-start switch); an engine imported as a library, never configured, starts from
``from_environment()`` on first use.

The environment variables, read only by ``from_environment``:

- ``LEARNATHON_ASSIGNMENTS_DIR``: the source notebooks and released files, ``NAME/*.ipynb``
  (default: the ``assignments`` package);
- ``LEARNATHON_HIDDEN_TESTS_DIR``: hidden tests, grading settings and fixtures, ``NAME/`` (default:
  ``autograder/hidden``);
- ``LEARNATHON_COLD_START`` (any non-empty value): start every sandbox afresh instead of forking it
  from a warm zygote (``sandbox/host.py``);
- ``LEARNATHON_KEEP_CGROUP_MOUNTS`` (any non-empty value): as root, leave the machine's cgroup2 mount as
  it is instead of turning on ``favordynmods``, which makes each run's start ~12 ms cheaper
  (``sandbox/launcher.favor_cgroup_moves``).

Not here, on purpose: the course folder (every command takes it as ``--course`` and passes it down as
an argument: one run may touch two courses, e.g. a test's), and the limits of grading (each assignment's
``grading.toml``, read by discovery; the input caps are constants beside their readers in ``intake/``,
the limits of running a whole notebook beside ``audit.run_notebook``: none is set per run).
The environment is still read where a child process's environment is built on purpose: the grading
processes get the run's (``classrun/autograde.py``, ``audit``), the sandbox a cleaned one
(``sandbox/launcher.py``, ``sandbox/worker/confine.py``), nbgrader's migrations find the venv's
``alembic`` on ``PATH`` (``results/gradebook.py``).
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

import assignments as assignments_package

DEFAULT_ASSIGNMENTS = Path(assignments_package.__file__).parent
DEFAULT_HIDDEN = Path(__file__).parent / "hidden"


@dataclasses.dataclass(frozen=True)
class Config:
    assignments_root: Path = DEFAULT_ASSIGNMENTS
    hidden_root: Path = DEFAULT_HIDDEN
    cold_start: bool = False
    favor_cgroup_moves: bool = True

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        environ = os.environ if environ is None else environ
        return cls(assignments_root=Path(environ.get("LEARNATHON_ASSIGNMENTS_DIR") or DEFAULT_ASSIGNMENTS),
                   hidden_root=Path(environ.get("LEARNATHON_HIDDEN_TESTS_DIR") or DEFAULT_HIDDEN),
                   cold_start=bool(environ.get("LEARNATHON_COLD_START")),
                   favor_cgroup_moves=not environ.get("LEARNATHON_KEEP_CGROUP_MOUNTS"))


_current: Config | None = None


def current() -> Config:
    """The run's configuration (from the environment if nothing configured one)."""
    global _current
    if _current is None:
        _current = Config.from_environment()
    return _current


def configure(config: Config) -> None:
    """Make ``config`` the run's configuration: at the edge, and first thing in each grading process."""
    global _current
    _current = config
