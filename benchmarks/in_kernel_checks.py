"""Benchmark only: learnathon's hidden checks inside a stock grader's kernel (nbgrader, otter).

A stock grader runs a submitted notebook in one Jupyter kernel and its own checks in that same
kernel. ``results(notebook, namespace)`` runs one notebook's hidden pytest tests exactly as
``learnathon autograde`` does -- the same test module and runner, the same seeded inputs, the
sandbox worker's own code for every call (argument and result conversions, handles for objects
that are not data, probes built from the assignment's probes.py, arrays changed in place
reported), learnathon's call timeout and call budget -- against the kernel's globals instead of
a sandboxed worker, once per kernel. ``cell_points`` turns them into what nbgrader's test cell and
otter's cases score (stock_nbgrader.py, stock_otter.py). There is no sandbox here: student code
shares the kernel with the checks, as in stock nbgrader and otter. Never grade with this.
"""
# ruff: noqa: E402  (the clock starts before the imports it measures)
from __future__ import annotations

import time

_IMPORT_STARTED = time.monotonic(), time.process_time()   # what loading this harness costs the kernel

import contextlib
import io
import json
import os
import signal
import threading

from autograder.grading.discovery import load
from autograder.grading.runner import run_hidden_tests
from autograder.sandbox import session
from autograder.sandbox.timings import Timings
from autograder.sandbox.worker import codec
from autograder.sandbox.worker import main as worker_code

ASSIGNMENT = os.environ.get("LEARNATHON_BENCH_ASSIGNMENT", "cs1")
IMPORT_SECONDS = time.monotonic() - _IMPORT_STARTED[0], time.process_time() - _IMPORT_STARTED[1]
TIMINGS_FILE = "in_kernel_checks.json"     # what the checks cost in this kernel, for the benchmark
_results: dict[str, list] = {}
_results_recorded: list[str] = []


class _Running:
    """Stands for the worker process: the worker is this kernel, and a restart only forgets its objects."""

    def kill(self) -> None:
        pass


class _CallTimedOut(BaseException):
    pass


class InKernelSession(session.StudentSession):
    """A ``StudentSession`` whose requests the sandbox worker's code answers in this kernel.

    Requests and replies go through the wire's JSON (``codec.frame``) as in the sandbox, so a value
    the grader cannot read there cannot be read here either. A call that runs past its timeout is
    stopped with an alarm and reported as learnathon reports it; what learnathon does next (restart
    the worker and run the cells again) cannot be done in a kernel: the namespace stays as it is.
    The same holds for ``renew()`` (``student.fresh()``, ``testing.seeded_runs``): the 'fresh worker'
    forgets the objects handed out, but the notebook's globals are those of its one run, as in a stock
    grader's kernel (a submission that answers a repeat from memory can fare better here than in
    learnathon; the benchmark's class has none). ``inspect`` (``testing.reject_altered``) and the
    verified type names (``RemoteObject.type_is``) are the worker's own code, as every other request.
    """

    def __init__(self, namespace: dict, config: session.SessionConfig):   # no sandbox, no scratch folder
        self.cells, self.config = [], config
        self.outcomes, self.skip = {}, set()
        self.restarts, self.generation, self.fatal = 0, 1, None
        self.deadline = time.monotonic() + config.total_timeout
        self.process = _Running()
        self._fds = ()                      # no channel: renew() and a restart close nothing
        self.call_seconds = 0.0
        self._uses_probes, self._probes_defined = False, 0
        self.timings, self._worker_cpu = Timings(), {}
        self._worker = worker_code.Worker.__new__(worker_code.Worker)
        self._worker.handles, self._worker.probes, self._worker.shell = {}, {}, None
        self._worker.namespace = namespace
        self._request_sent: dict | None = None

    def start(self):
        """After a timeout or ``renew()``: a 'new worker', which forgets the objects it handed out."""
        if self.restarts > self.config.max_restarts:
            self.fatal = "your notebook crashed or hung too many times; the remaining checks were not run"
            return []
        self.process, self.generation = _Running(), self.generation + 1
        self._worker.handles, self._worker.probes = {}, {}
        return []

    def close(self) -> None:
        pass

    def _send(self, message: dict) -> None:
        self._request_sent = codec.parse_body(codec.frame(message)[4:])

    def _receive(self, timeout: float) -> dict:
        request, self._request_sent = self._request_sent, None
        if request is None:
            raise EOFError
        handler = {"call": self._worker.call, "get": self._worker.get, "inspect": self._worker.inspect,
                   "build_probe": self._worker.build_probe,
                   "define_probes": self._worker.define_probes}.get(request.get("op"))
        if handler is None:
            raise EOFError
        with _alarm(timeout) as fired:
            reply = handler(request)
        if fired:
            raise TimeoutError
        return codec.parse_body(codec.frame(reply)[4:])


@contextlib.contextmanager
def _alarm(seconds: float):
    """Interrupt the student's function after ``seconds`` (only the kernel's main thread can)."""
    fired: list[bool] = []
    if threading.current_thread() is not threading.main_thread() or seconds <= 0 or seconds == float("inf"):
        yield fired
        return

    def ring(*_):
        fired.append(True)
        raise _CallTimedOut

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield fired
    except _CallTimedOut:
        fired.append(True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _quiet_descriptors():
    """Whatever the student's functions write while checked (to fd 1 and 2, or to the kernel's
    sys.stdout and sys.stderr, as warnings do) goes nowhere: a stock grader's kernel would show it in
    the test cell, and nbgrader scores a cell with stderr 0. learnathon's worker keeps it apart too."""
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def results(notebook: str, namespace: dict) -> list:
    """The hidden tests' results for this kernel's notebook (run on the first call)."""
    if notebook not in _results:
        started, cpu = time.monotonic(), time.process_time()
        spec = load(ASSIGNMENT).notebook(notebook)
        checks = InKernelSession(namespace, spec.session_config(slot=0))
        with _quiet_descriptors():
            _results[notebook] = run_hidden_tests(spec, checks, timings=checks.timings)
        timings = checks.timings
        record = {"notebook": notebook, "seconds": time.monotonic() - started, "cpu": time.process_time() - cpu,
                  "test_bodies": timings.test_bodies, "test_bodies_cpu": timings.test_bodies_cpu,
                  "student_functions": timings.worker_calls, "student_functions_cpu": timings.worker_calls_cpu,
                  "harness": timings.tests - timings.test_bodies,
                  # the harness's import (pytest, learnathon's runner), paid by the kernel's first notebook
                  "import_seconds": IMPORT_SECONDS[0] if not _results_recorded else 0.0,
                  "import_cpu": IMPORT_SECONDS[1] if not _results_recorded else 0.0}
        _results_recorded.append(notebook)
        with open(TIMINGS_FILE, "a") as out:
            out.write(json.dumps(record) + "\n")
    return _results[notebook]


def cell_points(notebook: str, grade_id: str, namespace: dict) -> float:
    """An nbgrader test cell's last expression: its points (nbgrader scores a number as partial credit)."""
    return round(sum(t.points for t in results(notebook, namespace) if t.cell == grade_id), 6)
