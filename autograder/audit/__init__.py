"""`learnathon audit`: how far an assignment's hidden tests can be trusted, measured.

Three experiments, graded as one class through the normal grading path (``grade_notebook``,
sandbox and all), in ``jobs`` parallel grading processes:

1. null implementations (``nulls``): do-nothing stand-ins for every graded function must get 0
   points on every test that depends on that function;
2. mutants (``mutants``): slips in the solution regions must lose points somewhere;
3. alternative correct solutions: the full-marks fixtures and the source, regraded under other
   grader seeds (other hidden inputs), must keep full marks, and the same seed twice must give
   the same grade;
4. contract variants (``variants``): the source's answers written another way the released text
   allows (tensor, list or float32 results, chunked gradient accumulation, independent statements in
   another order) must keep full marks, and the notebook run top to bottom with such a variant (its
   visible tests and demonstrations) must not fail where the source notebook does not.

Anything a test cannot tell apart, and every mutant that cannot change behaviour, is listed
with a reason in ``autograder/hidden/<assignment>/audit.toml`` (``review``), with the variants the
text allows. Every mutant is graded: a sample (``mutants_per_notebook``, for a quick look while
writing tests) prints no figures and misses the targets.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import nbformat

from ..admin.fabricate import FixtureSubmission, read_fixture, student_version, with_cells
from ..classrun import processes
from ..config import current as current_config
from ..grading import discovery as registry
from ..intake.cells import Cell
from . import mutants as mutation
from . import nulls, review
from . import variants as contract
from .report import TARGET_KILL_RATE, NotebookAudit, last_line, table  # noqa: F401 - the public API

Item = TypeVar("Item")
# What each notebook's audit needs to know (its functions, mutants, work folder, source...), by notebook name.
Context = dict[str, dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Job:
    notebook: str          # spec name
    kind: str              # baseline | released | null | mutant | alternative | variant | run
    label: str
    path: str
    seed: int | None = None
    # What the job grades, by kind (a tagged union, narrowed where the kind is known): typed Any.
    detail: Any = ()       # (function, variant) for nulls, the Mutant for mutants, (fixture, repeat) for
    #                        alternatives, (Variant,) for variants and their runs, () for the source's run
    only: tuple[str, ...] = ()   # just these tests (a null variant needs only the tests that depend on its function)
    demos: bool = True     # a run: with the demonstration cells (else the visible tests and given cells only)


@dataclasses.dataclass(frozen=True)
class FailedCell:
    """A cell that raised when a notebook was run top to bottom (a ``run`` job)."""
    label: str             # its grade_id, or "cell N"
    role: str              # "visible test" | "demonstration" | "cell"
    error: str


@dataclasses.dataclass(frozen=True)
class Graded:
    job: Job
    points: dict[str, tuple[float, float]]   # test name -> (points, max points)
    error: str | None
    failed_cells: tuple[FailedCell, ...] = ()   # run jobs only

    @property
    def score(self) -> float:
        return round(sum(p for p, _ in self.points.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(m for _, m in self.points.values()), 6)


# Called after each graded notebook: (done, total, what was graded).
Progress = Callable[[int, int, Graded], None]


def fixture_folders(assignment: str, notebook: str) -> list[Path]:
    """Where an assignment's fixture submissions live (package data beside its hidden tests)."""
    folder = registry.load(assignment).fixture_folder(notebook)
    return [folder] if folder.is_dir() else []


def full_marks_fixtures(assignment: str, notebook: str) -> list[FixtureSubmission]:
    found = []
    for folder in fixture_folders(assignment, notebook):
        found += [f for f in (read_fixture(p) for p in sorted(folder.glob("*.py"))) if f.full_marks]
    return found


def sample(items: list[Item], size: int | None, salt: str) -> list[Item]:
    if not size or size >= len(items):
        return list(items)
    return random.Random(salt).sample(items, size)


def plan(assignment: registry.Assignment, folder: Path, *, seeds: int, mutants_per_notebook: int | None,
         only: tuple[str, ...] = (), reviewed: review.Review | None = None,
         demos: bool = True, variants: bool = True) -> tuple[list[Job], Context]:
    """Every notebook to grade, written to ``folder``; and what each notebook's audit needs to know."""
    jobs: list[Job] = []
    context: Context = {}
    declared = list(reviewed.variants) if reviewed else []
    for spec in assignment.notebooks:
        if only and spec.name not in only:
            continue
        source_nb = nbformat.read(spec.source, as_version=4)
        released = student_version(source_nb)
        work = folder / spec.name
        work.mkdir(parents=True, exist_ok=True)

        def add(kind: str, label: str, nb: nbformat.NotebookNode, seed: int | None = None,
                detail: Any = (), demos: bool = demos) -> None:
            path = work / f"{len(jobs):05d}" / spec.filename
            path.parent.mkdir()
            nbformat.write(nb, str(path))
            jobs.append(Job(spec.name, kind, label, str(path), seed, detail, demos=demos))

        add("baseline", "source notebook", source_nb)
        add("released", "released notebook, untouched", released)
        functions = nulls.graded_functions(source_nb, released)
        for fn in functions:
            add("null", f"{fn.name}: released stub", nulls.null_notebook(source_nb, fn, "released"),
                detail=(fn.name, "released"))
        everything = mutation.mutants_of_notebook(source_nb)
        chosen = sample(everything, mutants_per_notebook, f"{assignment.name}/{spec.name}")
        for m in chosen:
            nb = nbformat.read(spec.source, as_version=4)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == m.cell:
                    cell.source = m.source
            add("mutant", f"{m.cell}: {m.mutation}", nb, detail=m)
        alternatives = [("source", None)] + [(f.id, f) for f in full_marks_fixtures(assignment.name, spec.name)]
        for name, fixture in alternatives:
            nb_path = spec.source if fixture is None else with_cells(spec.source, fixture.cells,
                                                                     work / f"fixture-{name}.ipynb")
            nb = nbformat.read(nb_path, as_version=4)
            for seed in range(1, seeds + 1):
                add("alternative", f"{name} (seed {seed})", nb, seed=seed, detail=(name, 0))
            add("alternative", f"{name} (seed 1 again)", nb, seed=1, detail=(name, 1))
        mine = [d for d in declared if d.notebook == spec.name]
        text = "\n".join(cell.source for cell in released.cells)
        found = contract.variants_of(source_nb, functions, spec.name,
                                     [d for d in mine if contract.stated(d, text)]) if variants else []
        runs = set()
        for variant, nb in found:
            add("variant", variant.label, nb, detail=(variant,))
            in_tests, in_demos = contract.shown_in(source_nb, variant.function)
            if in_tests or (in_demos and demos):
                runs.add(demos and in_demos)
                add("run", f"{variant.label} (run top to bottom)", nb, detail=(variant,), demos=demos and in_demos)
        for with_demos in sorted(runs):     # what the variants' runs are compared with
            add("run", "source notebook, run top to bottom" + ("" if with_demos else " (no demonstrations)"),
                source_nb, demos=with_demos)
        context[spec.name] = {"functions": functions, "mutants_total": len(everything), "mutants_sampled": len(chosen),
                              "source": source_nb, "work": work, "variants_total": len(found),
                              "variants_graded": variants,
                              "unstated": [d for d in mine if not contract.stated(d, text)]}
    return jobs, context


def plan_variants(graded: list[Graded], context: Context, start: int) -> list[Job]:
    """Second round: every null variant of a function, graded on the tests that depend on it (those
    its released stub loses points on); a function no test depends on is reported, not varied."""
    jobs: list[Job] = []
    for g in graded:
        if g.job.kind != "null" or g.job.detail[1] != "released":
            continue
        facts = context[g.job.notebook]
        dependent = tuple(sorted(t for t, (p, m) in g.points.items() if p < m))
        fn = next(f for f in facts["functions"] if f.name == g.job.detail[0])
        if not dependent:
            continue
        for variant in fn.variants():
            path = facts["work"] / f"{start + len(jobs):05d}" / Path(g.job.path).name
            path.parent.mkdir()
            nbformat.write(nulls.null_notebook(facts["source"], fn, variant), str(path))
            jobs.append(Job(g.job.notebook, "null", f"{fn.name}: {variant}", str(path), None, (fn.name, variant),
                            dependent))
    return jobs


def _grade(assignment: str, job: Job) -> Graded:
    from ..grading.runner import grade_notebook

    spec = registry.load(assignment).notebook(Path(job.path).name)
    if job.kind == "run":
        return run_notebook(spec, job)
    report = grade_notebook(spec, Path(job.path), seed=job.seed, only=job.only)
    return Graded(job, {t.name: (t.points, t.max_points) for t in report.tests}, report.error)


def grade_all(assignment: str, jobs: list[Job], workers: int, progress: Progress | None = None) -> list[Graded]:
    done: list[Graded] = []

    def finished(graded: Graded) -> None:
        done.append(graded)
        if progress:
            progress(len(done), len(jobs), graded)

    if workers <= 1:
        for job in jobs:
            finished(_grade(assignment, job))
    else:
        # The grading processes of `autograde --jobs` (autograder/classrun/processes.py).
        spec = registry.load(assignment)
        with concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=processes.context(spec.notebooks[0].preload if spec.notebooks else ()),
                initializer=processes.start, initargs=(dict(os.environ), current_config())) as pool:
            for future in concurrent.futures.as_completed([pool.submit(_grade, assignment, job) for job in jobs]):
                finished(future.result())
    order = {job.path: i for i, job in enumerate(jobs)}
    return sorted(done, key=lambda g: order[g.job.path])


# A run top to bottom trains the demonstrations' realistic models: limits of a student's own session.
RUN_CELL_SECONDS = 1800
RUN_TOTAL_SECONDS = 4 * 3600
RUN_CPU_SECONDS = 4 * 3600


def run_cells(nb: nbformat.NotebookNode, *, demos: bool) -> list[Cell]:
    """The code cells of a (trusted, generated) notebook as a student runs them: visible tests included,
    demonstrations too if ``demos``; never the setup cell, which installs packages."""
    from ..admin.setup_cell import is_setup_cell
    from ..intake.cells import Cell
    from ..intake.notebook import SKIP_TAG

    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_setup_cell(cell):
            continue
        meta = cell.metadata.get("nbgrader", {})
        demo = SKIP_TAG in cell.metadata.get("tags", [])
        if demo and not demos:
            continue
        role = "test" if meta.get("grade") and not meta.get("solution") else "demo" if demo else "code"
        cells.append(Cell(index, cell.source, role, meta.get("grade_id")))
    return cells


def run_notebook(spec: registry.NotebookSpec, job: Job) -> Graded:
    """Run a notebook top to bottom in the sandbox, visible tests (and demonstrations) included: the
    cells that raise. It is generated from the source, so its locked cells are the source's."""
    from ..sandbox.session import StudentSession

    cells = run_cells(nbformat.read(job.path, as_version=4), demos=job.demos)
    config = spec.session_config()
    config = dataclasses.replace(config, cell_timeout=RUN_CELL_SECONDS, total_timeout=RUN_TOTAL_SECONDS,
                                 call_budget=None, max_restarts=0,
                                 limits=dataclasses.replace(config.limits, cpu_seconds=RUN_CPU_SECONDS))
    with StudentSession(cells, config, run_tests=True) as session:
        outcomes = session.start()
        fatal = session.fatal
    roles = {"test": "visible test", "demo": "demonstration"}
    failed = tuple(FailedCell(o.grade_id or f"cell {o.index + 1}", roles.get(o.role, "cell"), o.error or "")
                   for o in outcomes if not o.ok)
    return Graded(job, {}, fatal, failed)


def audit(name: str, *, seeds: int = 3, mutants_per_notebook: int | None = None, jobs: int = 1,
          only: tuple[str, ...] = (), progress: Progress | None = None, demos: bool = True,
          variants: bool = True) -> list[NotebookAudit]:
    """Audit assignment ``name``; one ``NotebookAudit`` per notebook (``only``: these notebooks;
    ``demos``: run the demonstrations too with every contract variant that reaches them; ``variants``:
    grade the contract variants at all)."""
    assignment = registry.load(name)
    reviewed = review.load(registry.hidden_root() / name / "audit.toml")
    with tempfile.TemporaryDirectory(prefix="learnathon-audit-") as tmp:
        planned, context = plan(assignment, Path(tmp), seeds=seeds, mutants_per_notebook=mutants_per_notebook,
                                only=only, reviewed=reviewed, demos=demos, variants=variants)
        graded = grade_all(name, planned, jobs, progress)
        graded += grade_all(name, plan_variants(graded, context, len(planned)), jobs, progress)
    audits = []
    for notebook, facts in context.items():
        mine = [g for g in graded if g.job.notebook == notebook]
        audits.append(NotebookAudit.judge(name, notebook, mine, facts, reviewed))
    return audits
