"""Run a cs1 source notebook's cells in this process, as "Restart & Run All" would: for the project tests
that need the visible tests and the demonstrations, not the hidden grader.

Why not the sandbox (``learnathon check``): these tests run a notebook once per planted mistake and per
correct variant, a few hundred times; in this process a run of part A takes a fraction of a second. What
they check is the notebook's own text and code (which cell fails for which mistake, which demonstration
crashes), not the grader's isolation, which the harness and the e2e tests cover.

Cells run in order in one namespace and the run goes on after a cell raises, like the grader's sandbox
run; the setup cell (it installs packages in Colab) is skipped. Demonstrations (tagged
``learnathon:skip-when-grading``) run only when asked for. Matplotlib draws on the Agg backend and
``plt.show()`` keeps the figure, so tests can read what a plot shows.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import warnings
from pathlib import Path

import nbformat

SKIP_TAG = "learnathon:skip-when-grading"
SETUP_CELL = "learnathon_setup"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclasses.dataclass(frozen=True)
class Plant:
    """One change to one solution cell: ``old`` (which must occur in the cell) becomes ``new``."""
    cell: str
    old: str
    new: str

    def apply(self, source: str) -> str:
        """The first occurrence of ``old`` inside a solution region (what a student writes) becomes ``new``."""
        start = 0
        while (begin := source.find(BEGIN, start)) >= 0:
            end = source.find(END, begin)
            region = source[begin:end]
            if self.old in region:
                return source[:begin] + region.replace(self.old, self.new, 1) + source[end:]
            start = end
        raise LookupError(f"no solution region of cell {self.cell!r} contains {self.old!r}: update the plant")


@dataclasses.dataclass
class CellRun:
    grade_id: str
    role: str                 # "test" (a visible-test cell), "demo", "answer" (a solution cell) or "given"
    error: str | None         # "ExceptionType: message" when the cell raised
    output: str               # what it printed

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass
class NotebookRun:
    cells: dict[str, CellRun]
    namespace: dict

    def failed(self, role: str = "test") -> list[str]:
        return [c.grade_id for c in self.cells.values() if c.role == role and not c.ok]

    def output(self, grade_id: str) -> str:
        return self.cells[grade_id].output


def role(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if SKIP_TAG in cell.metadata.get("tags", []):
        return "demo"
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    return "answer" if meta.get("solution") else "given"


def code_cells(source: Path) -> list:
    return [c for c in nbformat.read(source, as_version=4).cells if c.cell_type == "code"]


_PREFIXES: dict[tuple[Path, bool], tuple[dict, dict[str, dict], dict[str, CellRun]]] = {}


def run_notebook(source: Path, replacements: dict[str, str] | None = None, plants: tuple[Plant, ...] = (), *,
                 demos: bool = False, resume: bool = False) -> NotebookRun:
    """Run ``source`` with some cells replaced (whole cells by grade_id, or ``plants`` inside them).

    ``resume``: the cells before the first replaced one are not run again; the run continues from the state
    the unchanged notebook had there (its first run in this process keeps it). Its functions keep the same
    namespace (their globals), which is reset to that state; data are copied, so a run cannot change them for
    the next one."""
    replacements = dict(replacements or {})
    cells = code_cells(source)
    sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in cells}
    for plant in plants:
        replacements[plant.cell] = plant.apply(replacements.get(plant.cell, sources[plant.cell]))
    unknown = set(replacements) - set(sources)
    if unknown:
        raise KeyError(f"{source.name} has no cells {sorted(unknown)}")
    if not (resume and replacements):
        return _run(cells, replacements, demos=demos)
    if (source, demos) not in _PREFIXES:
        snapshots: dict[str, dict] = {}
        plain = _run(cells, {}, demos=demos, snapshots=snapshots)
        _PREFIXES[(source, demos)] = (plain.namespace, snapshots, plain.cells)
    namespace, snapshots, plain_cells = _PREFIXES[(source, demos)]
    first = next(c.metadata.get("nbgrader", {}).get("grade_id") for c in cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") in replacements)
    namespace.clear()
    namespace.update({k: v if k.startswith("__") else _copied(v) for k, v in snapshots[first].items()})
    before = {}
    for grade_id, cell_run in plain_cells.items():
        if grade_id == first:
            break
        before[grade_id] = cell_run
    resumed = _run(cells, replacements, demos=demos, start=first, namespace=namespace)
    return NotebookRun({**before, **resumed.cells}, namespace)


def _copied(value):
    try:
        return copy.deepcopy(value)
    except Exception:       # modules, generators and the like: the object itself
        return value


def _run(cells, replacements: dict[str, str], *, demos: bool, start: str | None = None, namespace: dict | None = None,
         snapshots: dict[str, dict] | None = None) -> NotebookRun:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"} if namespace is None else namespace
    runs: dict[str, CellRun] = {}
    plt.close("all")
    started = start is None
    for cell in cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        started = started or grade_id == start
        kind = role(cell)
        if not started or grade_id == SETUP_CELL or (kind == "demo" and not demos):
            continue
        if snapshots is not None:
            snapshots[grade_id] = dict(namespace)
        printed = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(printed), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(replacements.get(grade_id, cell.source), f"<cell {grade_id}>", "exec"), namespace)
        except Exception as exc:   # a failing cell is a result, like in the notebook
            error = f"{type(exc).__name__}: {exc}"
        runs[grade_id] = CellRun(grade_id, kind, error, printed.getvalue())
    return NotebookRun(runs, namespace)
