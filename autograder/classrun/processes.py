"""Where the grading processes of ``--jobs N`` come from: a fork server that has imported the heavy
libraries once.

Each grading process needs pytest, nbformat and what the hidden tests import (torch, scikit-learn,
...): seconds of CPU per process on a 2-core machine, paid again by every process when they are
spawned fresh. Forked from a server that imported them once, a process starts warm. The server
is never this process (a fork of a process whose torch/OpenMP threads already ran deadlocks): it
is started fresh, imports with one math thread (so no library thread pool exists when it forks)
and runs no library code. Its environment is the one of its start, so each grading process takes
the run's current environment and its configuration (``autograder.config``) first thing (``start``).

This module imports nothing heavy: unpickling its initializer in a fresh process must not import
the engine before the run's environment is in place.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Config
    from ..sandbox.host import HostOffer

# One BLAS/OpenMP/torch thread per grading process, so N jobs use N cores.
ONE_MATH_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
# What every grading process imports, whatever the assignment.
GRADER_LIBRARIES = ("numpy", "pytest", "nbformat")


def context(libraries: tuple[str, ...] = ()) -> multiprocessing.context.BaseContext:
    """The multiprocessing context for a pool of grading processes, its fork server running.

    ``libraries``: what this assignment's grading imports besides ``GRADER_LIBRARIES`` (its
    grading.toml preload: trusted names). A library that fails to import is skipped by the server
    (the grading process imports it itself). The server is started once per process: a later run
    for another assignment shares it, only less warm.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(dict.fromkeys(GRADER_LIBRARIES + tuple(libraries))))
    saved = {name: os.environ.get(name) for name in ONE_MATH_THREAD}
    os.environ.update(ONE_MATH_THREAD)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def start(environment: dict[str, str], config: Config, hosts: Sequence[HostOffer] = ()) -> None:
    """First thing in each grading process: the run's environment and configuration (given, never
    re-read from the environment), one math thread each, and one of the sandbox hosts the run started
    for its grading processes (``warm.HostsForJobs``)."""
    from ..config import configure

    os.environ.clear()
    os.environ.update(environment)
    os.environ.update(ONE_MATH_THREAD)
    tempfile.tempdir = None                  # the server's cached temporary folder may be another
    configure(config)
    if hosts:
        from ..sandbox import host

        host.adopt(list(hosts))
