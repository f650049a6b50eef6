"""Stage 3: run an assignment part's hidden pytest tests against a live submission.

The hidden tests run here, in the trusted process; they reach the student's code only through
the ``student`` fixture (a ``StudentSession``). Each test carries ``@pytest.mark.points(n)`` and
``@pytest.mark.cell("grade_id")``; a failing test may keep part of its points through the
``credit`` fixture (``credit.award(0.5)``). The outcome is a list of ``TestResult``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import sys
import time
import types
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..errors import GraderError, GradingFailure, StudentCodeError
from ..intake.cells import CellOutcome
from ..intake.notebook import SubmissionError, plan_cells
from ..results.records import NotebookReport, TestResult
from ..sandbox import launcher
from ..sandbox.host import ZygoteError
from ..sandbox.session import GraderClock, Probe, SandboxError, StudentSession
from ..sandbox.timings import Timings
from . import compiled, tags
from .discovery import NotebookSpec

PYTEST_INI = Path(__file__).parent.parent / "hidden" / "pytest.ini"
UNUSED_PLUGINS = ("capture", "warnings", "faulthandler", "doctest", "junitxml", "pastebin", "stepwise", "setuponly",
                  "setupplan", "debugging", "unittest", "legacypath", "tmpdir", "monkeypatch", "recwarn",
                  "threadexception", "subtests")


class Student:
    """The student's notebook as tests see it: ``student.relu(z)``, ``student.get("name")``."""

    def __init__(self, session: GradedSession):
        self._session = session

    # What the student's code returns is arbitrary (decoded values or RemoteObjects): Any, checked by the tests.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._session.call(name, *args, **kwargs)

    def get(self, name: str) -> Any:
        return self._session.get(name)

    def build_probe(self, probe: Probe) -> Any:
        """Build a ``Probe`` inside the sandbox and hand it back, in one round trip: a model the
        test then passes to the student's functions, inspects or calls (a ``RemoteObject``)."""
        return self._session.build_probe(probe)

    def fresh(self) -> Student:
        """The next call runs in a fresh worker that has seen none of the calls before (the notebook's
        cells run again): for checks that compare two calls, which the student's process could
        otherwise answer from memory (``student.fresh().split_indices(n, seed=s)``)."""
        self._session.renew()
        return self

    def grader_work(self, what: str) -> contextlib.AbstractContextManager[GraderClock]:
        """``with student.grader_work("replaying ..."): ... clock.tick()``: the grader's own work on data
        the student's code supplied, under the notebook's clock and call budget (``session.grader_work``)."""
        return self._session.grader_work(what)

    @property
    def cells(self) -> list[CellOutcome]:
        return list(self._session.outcomes.values())


class UnreadableSession:
    """Stands in for a notebook that could not be read: every call fails with the reason."""

    def __init__(self, reason: str):
        self.reason = reason
        self.outcomes: dict[int, CellOutcome] = {}

    def call(self, name: str, *args: object, **kwargs: object) -> Any:  # noqa: ARG002 (a Student's call signature)
        raise StudentCodeError(f"{name}() could not be checked: {self.reason}")

    def get(self, name: str) -> Any:
        raise StudentCodeError(f"{name} could not be checked: {self.reason}")

    def build_probe(self, probe: Probe) -> Any:  # noqa: ARG002 (a Student's build_probe signature)
        raise StudentCodeError(f"this could not be checked: {self.reason}")

    def renew(self) -> None:
        pass

    @contextlib.contextmanager
    def grader_work(self, what: str) -> Iterator[GraderClock]:
        raise StudentCodeError(f"{what} could not be done: {self.reason}")
        yield


# What the hidden tests' ``student`` fixture talks to: the live notebook, or a stand-in that could not be read.
GradedSession = StudentSession | UnreadableSession


class Credit:
    """Partial credit a test keeps even if it fails later on."""

    def __init__(self) -> None:
        self.fraction = 0.0

    def award(self, fraction: float) -> None:
        self.fraction = min(1.0, max(self.fraction, float(fraction)))


def student_message(exc: BaseException) -> str:
    if isinstance(exc, GradingFailure):
        return str(exc) or "this check failed"
    if isinstance(exc, AssertionError):
        return str(exc).split("\n")[0] or "this check failed"
    # An error inside the hidden test itself: never show its code or its inputs.
    return (f"the grader could not check your result ({type(exc).__name__} while checking it); "
            "check that it has the type and shape the notebook asks for")


def mistake_of(exc: BaseException | None) -> str | None:
    """The id of the named mistake a failure recognised (``testing.Mistake``, ``fail(mistake=)``)."""
    mistake = getattr(exc, "mistake", None) if isinstance(exc, GradingFailure) else None
    return mistake if isinstance(mistake, str) else None


def register_marks(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points the test is worth")
    config.addinivalue_line("markers", "cell(grade_id): the nbgrader grade cell the points go to")


def first_doc_line(item: pytest.Item) -> str:
    return (getattr(getattr(item, "function", None), "__doc__", None) or "").strip().split("\n")[0]


def grader_fixtures(session: GradedSession, salt: str) -> types.ModuleType:
    """The fixtures hidden tests ask for (``student``, ``rng``, ``credit``), bound to one notebook's session
    and salt. A module of plain functions, passed to pytest beside ``GradingPlugin``: pytest reads a plugin
    object's fixtures from its class, where a session-scoped fixture would be an instance method, which
    pytest 9.1 deprecates and pytest 10 removes."""
    fixtures = types.ModuleType("learnathon_grader_fixtures")

    @pytest.fixture(scope="session")
    def student() -> Student:
        return Student(session)

    @pytest.fixture
    def rng(request: pytest.FixtureRequest) -> np.random.Generator:
        digest = hashlib.sha256(f"{salt}:{request.node.nodeid}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    @pytest.fixture
    def credit() -> Credit:
        return Credit()

    vars(fixtures).update(student=student, rng=rng, credit=credit)
    return fixtures


class GradingPlugin:
    def __init__(self, concepts: dict[str, tuple[str, ...]] | None = None, timings: Timings | None = None):
        self.concepts = concepts or {}
        self.results: list[TestResult] = []
        self.timings = timings if timings is not None else Timings()

    # New-style wrappers (wrapper=True): an exception raised after the yield is pluggy's way to fail a
    # hook (the old hookwrapper=True style warns, PluggyTeardownRaisedWarning, and is on its way out).
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self) -> Generator[None, None, None]:
        started, cpu = time.monotonic(), time.process_time()
        try:
            return (yield)
        finally:
            self.timings.test_bodies += time.monotonic() - started
            self.timings.test_bodies_cpu += time.process_time() - cpu

    def pytest_configure(self, config: pytest.Config) -> None:
        register_marks(config)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        finished = report.when == "call" or (report.when == "setup" and not report.passed)
        if not finished:
            return report
        marker = item.get_closest_marker("points")
        if marker is None or not marker.args:
            raise pytest.UsageError(f"hidden test {item.nodeid} has no @pytest.mark.points(n)")
        max_points = float(marker.args[0])
        cell = item.get_closest_marker("cell")
        doc = first_doc_line(item)
        mistake = None
        if report.passed:
            points, message = max_points, ""
        else:
            credit = item.funcargs.get("credit") if hasattr(item, "funcargs") else None
            points = round(max_points * (credit.fraction if credit else 0.0), 6)
            message = student_message(call.excinfo.value) if call.excinfo else "this check was skipped"
            mistake = mistake_of(call.excinfo.value) if call.excinfo else None
        self.results.append(TestResult(item.name, points, max_points, report.passed, message,
                                       cell.args[0] if cell else None, doc, mistake,
                                       self.concepts.get(item.name, ())))
        return report


@contextlib.contextmanager
def fresh_module(tests: Path) -> Iterator[None]:
    """Import the hidden test module anew for every notebook.

    pytest's importlib mode reuses ``sys.modules[<file stem>]``: without this, a second assignment
    with a test file of the same name would run the first one's tests, and module-level state
    would carry over from one student to the next.
    """
    sys.modules.pop(tests.stem, None)
    try:
        yield
    finally:
        sys.modules.pop(tests.stem, None)


@contextlib.contextmanager
def no_outer_assertion_rewriting() -> Iterator[None]:
    """When the grader itself runs under pytest, that pytest's import hook would rewrite the hidden
    tests' asserts, and a bare ``assert x == expected`` would show its code and values."""
    hooks = [(i, f) for i, f in enumerate(sys.meta_path) if type(f).__name__ == "AssertionRewritingHook"]
    for _, hook in hooks:
        sys.meta_path.remove(hook)
    try:
        yield
    finally:
        for i, hook in hooks:
            sys.meta_path.insert(i, hook)


def run_hidden_tests(spec: NotebookSpec, session: GradedSession, *, seed: int | None = None,
                     only: tuple[str, ...] = (), timings: Timings | None = None) -> list[TestResult]:
    """``seed``: None grades with the tests' usual inputs; another value draws other hidden inputs
    (``learnathon audit`` regrades correct work under several seeds to find flaky tests).
    ``only``: run just these tests (by name; the audit's null implementations need only a few).
    ``timings``, if given, gets the harness's and the test bodies' time."""
    salt = f"{spec.assignment}/{spec.name}" + ("" if seed is None else f"#seed={int(seed)}")
    plugin = GradingPlugin(concepts=tags.concepts_of(spec.tests), timings=timings)
    started = time.monotonic()
    targets = [f"{spec.tests}::{name}" for name in only] or [str(spec.tests)]
    code, out = _run_pytest(spec, targets, plugin, grader_fixtures(session, salt))
    plugin.timings.tests += time.monotonic() - started
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"hidden tests for {spec.assignment}/{spec.filename} could not run "
                           f"(pytest exit {int(code)}):\n{out[-3000:]}")
    return plugin.results


@dataclasses.dataclass(frozen=True)
class HiddenTest:
    """A hidden test as its marks declare it, before anything runs."""
    name: str
    cell: str | None
    points: float
    description: str = ""


class CollectPlugin:
    def __init__(self) -> None:
        self.tests: list[HiddenTest] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        register_marks(config)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            points, cell = item.get_closest_marker("points"), item.get_closest_marker("cell")
            if points is None or not points.args:
                raise pytest.UsageError(f"hidden test {item.nodeid} has no @pytest.mark.points(n)")
            self.tests.append(HiddenTest(item.name, cell.args[0] if cell and cell.args else None,
                                         float(points.args[0]), first_doc_line(item)))


def hidden_tests(spec: NotebookSpec) -> list[HiddenTest]:
    """The hidden tests of one notebook with their points and grade cells, in file order: what their
    marks declare (collected by pytest, nothing run), for the texts that state points."""
    plugin = CollectPlugin()
    code, out = _run_pytest(spec, [str(spec.tests), "--collect-only"], plugin)
    if code != pytest.ExitCode.OK:
        raise RuntimeError(f"hidden tests for {spec.assignment}/{spec.filename} could not be collected "
                           f"(pytest exit {int(code)}):\n{out[-3000:]}")
    return plugin.tests


def points_by_cell(spec: NotebookSpec) -> dict[str, float]:
    """{grade cell: the points its hidden tests are worth}, from the marks."""
    points: dict[str, float] = {}
    for test in hidden_tests(spec):
        if test.cell is not None:
            points[test.cell] = points.get(test.cell, 0.0) + test.points
    return points


def _run_pytest(spec: NotebookSpec, targets: list[str], *plugins: object) -> tuple[int, str]:
    """pytest on the hidden test module, isolated from the project's configuration and quiet."""
    args = [*targets, "-c", str(PYTEST_INI), "--rootdir", str(spec.tests.parent),
            "-p", "no:cacheprovider", "--assert=plain", "-q", "--import-mode=importlib", "-W", "ignore",
            # Its end-of-run gc.collect() passes cost ~0.7 s per graded notebook; warnings are off anyway.
            "-p", "no:unraisableexception",
            # Only the exception of a failed test is used (GradingPlugin): pytest's own traceback
            # rendering (source, locals) cost ~1.4 s of CPU for a notebook failing every test;
            # log capture is per test phase and nothing reads it.
            "--tb=native", "-p", "no:logging",
            # Plugins the hidden tests never use, each costing set-up or per-test hooks (grader CPU per cs1
            # student 0.345 -> 0.300 s): the student's output is captured in the sandbox, not here.
            *[arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
            # Third-party plugins installed beside the grader (hypothesis, anyio, ...) are neither loaded nor
            # scanned for: hidden tests use none, and the entry-point scan was paid again for every notebook.
            "--disable-plugin-autoload"]
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()), \
            fresh_module(spec.tests), compiled.compiled_once(spec.tests), no_outer_assertion_rewriting():
        code = pytest.main(args, plugins=list(plugins))
    return int(code), out.getvalue()


def grade_notebook(spec: NotebookSpec, submission: Path | bytes | dict[str, Any], *, slot: int | None = None,
                   student: str | None = None, seed: int | None = None,
                   only: tuple[str, ...] = (), preload: tuple[str, ...] | None = None) -> NotebookReport:
    """Grade one submitted notebook: read, run isolated, test. Never raises for student faults;
    raises ``GraderError`` when the grading machine failed (the sandbox could not start).
    ``seed`` and ``only``: see ``run_hidden_tests`` (used by ``learnathon audit``). ``preload``
    narrows the assignment's preload list when one notebook is graded alone
    (``warm.notebook_preload``), so its sandbox imports only what that notebook uses."""
    started, cpu = time.monotonic(), time.process_time()

    def finished(timings: Timings) -> Timings:
        timings.total, timings.grader_cpu = time.monotonic() - started, time.process_time() - cpu
        return timings

    try:
        cells = plan_cells(submission, spec.source)
    except SubmissionError as exc:
        timings = Timings()
        tests = run_hidden_tests(spec, UnreadableSession(str(exc)), seed=seed, only=only, timings=timings)
        return NotebookReport(spec.assignment, spec.name, tests, error=str(exc), student=student,
                              seconds=round(time.monotonic() - started, 3), timings=finished(timings))
    launcher.ensure_reachable(spec.libraries)   # a machine problem is the grader's (GraderError), never the student's
    try:
        config = spec.session_config(slot=slot)
        if preload is not None:
            config = dataclasses.replace(config, preload=preload)
        with StudentSession(cells, config) as session:
            outcomes = session.start()
            tests = run_hidden_tests(spec, session, seed=seed, only=only, timings=session.timings)
            error = session.fatal
            call_seconds = round(session.call_seconds, 3)
    except (SandboxError, ZygoteError) as exc:
        raise GraderError(str(exc)) from exc
    return NotebookReport(spec.assignment, spec.name, tests, error=error, cells=outcomes, student=student,
                          seconds=round(time.monotonic() - started, 3), call_seconds=call_seconds,
                          timings=finished(session.timings))
