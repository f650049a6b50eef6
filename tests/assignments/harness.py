"""The shared assignment harness: declarations, grading once per session, and the checks.

Every assignment declares what the harness checks in ``tests/assignments/<name>/harness.toml``
(one ``[notebooks.<stem>]`` table per notebook; keys below, in ``Declaration``); its fixture
submissions are package data beside its hidden tests (``autograder/hidden/<name>/fixtures/<stem>/*.py``),
found through discovery. The test functions are
in ``test_harness.py``; adding an assignment adds data here, not test code.

``LEARNATHON_ASSIGNMENT_TESTS_DIR`` points the harness at another folder of declarations (with
``LEARNATHON_ASSIGNMENTS_DIR``/``LEARNATHON_HIDDEN_TESTS_DIR`` for a course's own assignments, or
the throw-away assignment of ``test_authoring.py``).
"""
from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import os
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from autograder.admin.fabricate import FixtureSubmission, read_fixture, with_cells
from autograder.grading import discovery, runner
from tests.support import student_version

DECLARATIONS = Path(os.environ.get("LEARNATHON_ASSIGNMENT_TESTS_DIR") or Path(__file__).parent)
SKIP_TAG = "learnathon:skip-when-grading"


@dataclasses.dataclass(frozen=True)
class Declaration:
    """What one notebook's harness.toml table declares."""
    assignment: str
    notebook: str
    reference: str                              # module with the reference solution (signatures)
    max_score: float
    contract: dict[str, str]                    # function -> its arguments, as the notebook states them
    repeat: str                                 # a fixture graded twice: the same report both times
    blank_messages: tuple[str, ...] = ("notimplementederror",)   # an unanswered cell fails with one of these
    variables: tuple[str, ...] = ()             # assigned by the student, read by the hidden tests
    not_in_student_version: tuple[str, ...] = ()
    grading_seconds: float | None = None        # limit for grading the source notebook
    optional: bool = False                      # the introduction says the notebook is optional
    visible_tests_import_nothing: bool = False
    written: tuple[str, ...] = ()               # manually graded markdown answers (rubric in the solution region)
    demonstration_calls: tuple[str, ...] = ()   # given cells calling these must be skipped when grading
    messages_show_no_number_lists: bool = False
    secrets: dict | None = None                 # {file (in the hidden folder), column, min_length}
    fixtures: dict = dataclasses.field(default_factory=dict)   # min_wrong, min_correct, mistakes
    jupyter: dict = dataclasses.field(default_factory=dict)    # timeout, max_seconds, passed_phrase, prints, ...

    @property
    def id(self) -> str:
        return f"{self.assignment}/{self.notebook}"

    @property
    def spec(self) -> discovery.NotebookSpec:
        return discovery.load(self.assignment).notebook(f"{self.notebook}.ipynb")

    @property
    def source(self) -> Path:
        return self.spec.source

    def reference_module(self):
        return importlib.import_module(self.reference)

    def fixture_submissions(self) -> list[FixtureSubmission]:
        folder = discovery.load(self.assignment).fixture_folder(self.notebook)
        return [read_fixture(p) for p in sorted(folder.glob("*.py"))]


LIST_KEYS = ("blank_messages", "variables", "not_in_student_version", "written", "demonstration_calls")


def declarations(assignment: str) -> list[Declaration]:
    """The notebooks' declarations of one assignment; a clear error when they do not fit the notebooks."""
    path = DECLARATIONS / assignment / "harness.toml"
    if not path.is_file():
        raise LookupError(f"assignment {assignment} has no harness declaration: write {path} (see AUTHORING.md)")
    tables = tomllib.loads(path.read_text()).get("notebooks", {})
    notebooks = [nb.name for nb in discovery.load(assignment).notebooks]
    if sorted(tables) != sorted(notebooks):
        raise LookupError(f"{path} declares notebooks {sorted(tables)}, the assignment has {sorted(notebooks)}")
    fields = {f.name for f in dataclasses.fields(Declaration)}
    found = []
    for notebook in notebooks:
        table = dict(tables[notebook])
        unknown = set(table) - fields
        if unknown:
            raise LookupError(f"{path} [notebooks.{notebook}]: unknown keys {sorted(unknown)}")
        for key in LIST_KEYS:
            if key in table:
                table[key] = tuple(table[key])
        try:
            found.append(Declaration(assignment, notebook, **table))
        except TypeError as exc:    # a required key is missing
            raise LookupError(f"{path} [notebooks.{notebook}]: {exc}") from None
    return found


def all_declarations() -> list[Declaration]:
    return [d for name in discovery.available() for d in declarations(name)]


# --- grading, once per notebook per session ---------------------------------------------------------

def _grade(assignment: str, notebook: str, path: str):
    """In a grading process: the sandbox slot comes from sandbox.process_slot() (machine-wide unique)."""
    spec = discovery.load(assignment).notebook(f"{notebook}.ipynb")
    started = time.monotonic()
    report = runner.grade_notebook(spec, Path(path))
    return report, time.monotonic() - started


@dataclasses.dataclass
class Graded:
    """Reports (and wall seconds) of one notebook's source, student version, fixtures and repeat."""
    reports: dict
    seconds: dict

    def __getitem__(self, name: str):
        return self.reports[name]

    def items(self):
        return self.reports.items()


def grade_all(declaration: Declaration, folder: Path) -> Graded:
    """Grade every submission the checks need, in parallel (LEARNATHON_TEST_JOBS graders)."""
    source = declaration.source
    paths = {"source": source,
             "student": student_version(source, folder / f"student-{declaration.notebook}.ipynb")}
    for fixture in declaration.fixture_submissions():
        paths[fixture.id] = with_cells(source, fixture.cells, folder / f"{fixture.id}.ipynb")
    jobs = {name: str(path) for name, path in paths.items()}
    if declaration.repeat not in jobs:
        raise LookupError(f"{declaration.id}: repeat = {declaration.repeat!r} names no fixture")
    jobs["repeat"] = jobs[declaration.repeat]
    workers = int(os.environ.get("LEARNATHON_TEST_JOBS", min(4, os.cpu_count() or 1)))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {name: pool.submit(_grade, declaration.assignment, declaration.notebook, path)
                   for name, path in jobs.items()}
        results = {name: future.result() for name, future in futures.items()}
    return Graded({n: r for n, (r, _) in results.items()}, {n: s for n, (_, s) in results.items()})


# --- notebooks --------------------------------------------------------------------------------------

def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def failures(report) -> list[str]:
    return [f"{t.name}: {t.message}" for t in report.tests if not t.passed]


def structure_problems(nb, declaration: Declaration) -> list[str]:
    """Ways the source notebook is not a clean nbgrader source (empty when it is)."""
    problems = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("the kernel must be python3")
    introduction = next((c for c in nb.cells if c.cell_type == "markdown"), None)   # after the setup cell
    if declaration.optional and "optional" not in (introduction.source.lower() if introduction else ""):
        problems.append("the introduction (the first markdown cell) must say that the notebook is optional")
    ids = [nbgrader(c).get("grade_id") for c in nb.cells if nbgrader(c)]
    if len(ids) != len(set(ids)):
        problems.append("grade_ids must be unique")
    for index, cell in enumerate(nb.cells):
        meta, where = nbgrader(cell), f"cell {index + 1} ({nbgrader(cell).get('grade_id', cell.cell_type)})"
        code = cell.cell_type == "code"
        if code and (cell.outputs or cell.execution_count is not None):
            problems.append(f"{where}: commit the notebook without outputs")
        if code and not meta:
            problems.append(f"{where}: every code cell is an nbgrader cell (solution, test or read-only)")
        if meta and meta.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader schema_version must be 3")
        if code and meta.get("solution") and not ("### BEGIN SOLUTION" in cell.source
                                                  and "### END SOLUTION" in cell.source):
            problems.append(f"{where}: a solution cell needs ### BEGIN SOLUTION / ### END SOLUTION")
        if not code and meta.get("solution") and not meta.get("grade"):
            problems.append(f"{where}: a markdown answer must be a manually graded cell")
        if code and meta.get("grade"):
            if not (meta.get("locked") and meta.get("points", 0) > 0):
                problems.append(f"{where}: a visible-test cell must be locked and worth points")
            if "learnathon" in cell.source or "solutions" in cell.source:
                problems.append(f"{where}: visible tests must not use the grader or the reference")
            if declaration.visible_tests_import_nothing and "import" in cell.source:
                problems.append(f"{where}: visible tests use only what the setup cell imported")
        if not code and meta.get("grade") and not (meta.get("solution") and meta.get("points", 0) > 0):
            problems.append(f"{where}: a graded markdown cell is a student's answer worth points")
        if SKIP_TAG in cell.metadata.get("tags", []) and not (meta.get("locked") and not meta.get("solution")):
            problems.append(f"{where}: demonstrations (tagged {SKIP_TAG}) are read-only")
    return problems


def visible_points(nb) -> dict[str, float]:
    return {nbgrader(c)["grade_id"]: nbgrader(c)["points"] for c in nb.cells
            if nbgrader(c).get("grade") and not nbgrader(c).get("solution")}
