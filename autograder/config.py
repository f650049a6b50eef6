"""The one configuration of a run: where the assignments and their hidden tests live.

Built once, at the edge: the ``learnathon`` command reads it from the environment when it starts
(``from_environment``, then ``configure``), a test or a benchmark builds one itself; grading processes
receive it explicitly (``classrun.processes.start``), they never re-read the environment. Discovery
holds the two roots (``discovery.SOURCE_ROOT``, ``HIDDEN_ROOT``, where a test registers an assignment)
and hands them back as the Config to pass on (``discovery.configured``). An engine imported as a
library starts from ``from_environment()``.

The environment variables, read only by ``from_environment``:

- ``LEARNATHON_ASSIGNMENTS_DIR``: the source notebooks and released files, ``NAME/*.ipynb``
  (default: the ``assignments`` package);
- ``LEARNATHON_HIDDEN_TESTS_DIR``: hidden tests, grading settings and fixtures, ``NAME/`` (default:
  ``autograder/hidden``).

Not yet here: ``LEARNATHON_COLD_START`` (sandbox/host.py reads it when it starts a sandbox; grading
processes get it with the run's environment) and the limits (each assignment's grading.toml).
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

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        environ = os.environ if environ is None else environ
        return cls(assignments_root=Path(environ.get("LEARNATHON_ASSIGNMENTS_DIR") or DEFAULT_ASSIGNMENTS),
                   hidden_root=Path(environ.get("LEARNATHON_HIDDEN_TESTS_DIR") or DEFAULT_HIDDEN))


def configure(config: Config) -> None:
    """Make ``config`` the run's configuration: at the edge, and first thing in each grading process."""
    from .grading import discovery

    discovery.SOURCE_ROOT, discovery.HIDDEN_ROOT = config.assignments_root, config.hidden_root
