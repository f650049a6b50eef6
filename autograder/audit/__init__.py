"""`learnathon audit`: how far an assignment's hidden tests can be trusted, measured.

Three experiments, graded as one class through the normal grading path (``grade_notebook``,
sandbox and all), in ``jobs`` parallel grading processes:

1. null implementations (``nulls``): do-nothing stand-ins for every graded function must get 0
   points on every test that depends on that function;
2. mutants (``mutants``): slips in the solution regions must lose points somewhere;
3. alternative correct solutions: the full-marks fixtures and the source, regraded under other
   grader seeds (other hidden inputs), must keep full marks, and the same seed twice must give
   the same grade.

Anything a test cannot tell apart, and every mutant that cannot change behaviour, is listed
with a reason in ``autograder/hidden/<assignment>/audit.toml`` (``review``).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

from ..admin.fabricate import read_fixture, with_cells
from ..classrun import processes
from ..grading import discovery as registry
from . import mutants as mutation
from . import nulls, review
from .report import TARGET_KILL_RATE, NotebookAudit, last_line, table  # noqa: F401 - the public API


@dataclasses.dataclass(frozen=True)
class Job:
    notebook: str          # spec name
    kind: str              # baseline | released | null | mutant | alternative
    label: str
    path: str
    seed: int | None = None
    detail: tuple = ()     # (function, variant) for nulls, the Mutant for mutants, (fixture, repeat) for alternatives
    only: tuple[str, ...] = ()   # just these tests (a null variant needs only the tests that depend on its function)


@dataclasses.dataclass(frozen=True)
class Graded:
    job: Job
    points: dict[str, tuple[float, float]]   # test name -> (points, max points)
    error: str | None

    @property
    def score(self) -> float:
        return round(sum(p for p, _ in self.points.values()), 6)

    @property
    def max_score(self) -> float:
        return round(sum(m for _, m in self.points.values()), 6)


def fixture_folders(assignment: str, notebook: str) -> list[Path]:
    """Where an assignment's fixture submissions live: tests/assignments/NAME/fixtures/PART/."""
    folder = registry.PROJECT_ROOT / "tests" / "assignments" / assignment / "fixtures" / notebook
    return [folder] if folder.is_dir() else []


def full_marks_fixtures(assignment: str, notebook: str):
    found = []
    for folder in fixture_folders(assignment, notebook):
        found += [f for f in (read_fixture(p) for p in sorted(folder.glob("*.py"))) if f.full_marks]
    return found


def sample(items: list, size: int | None, salt: str) -> list:
    if not size or size >= len(items):
        return list(items)
    return random.Random(salt).sample(items, size)


def plan(assignment: registry.Assignment, folder: Path, *, seeds: int, mutants_per_notebook: int | None,
         only: tuple[str, ...] = ()) -> tuple[list[Job], dict]:
    """Every notebook to grade, written to ``folder``; and what each notebook's audit needs to know."""
    jobs: list[Job] = []
    context: dict = {}
    for spec in assignment.notebooks:
        if only and spec.name not in only:
            continue
        source_nb = nbformat.read(spec.source, as_version=4)
        released = nulls.released_notebook(source_nb)
        work = folder / spec.name
        work.mkdir(parents=True, exist_ok=True)

        def add(kind, label, nb, seed=None, detail=()):
            path = work / f"{len(jobs):05d}" / spec.filename
            path.parent.mkdir()
            nbformat.write(nb, str(path))
            jobs.append(Job(spec.name, kind, label, str(path), seed, detail))

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
        context[spec.name] = {"functions": functions, "mutants_total": len(everything), "mutants_sampled": len(chosen),
                              "source": source_nb, "work": work}
    return jobs, context


def plan_variants(graded: list[Graded], context: dict, start: int) -> list[Job]:
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
    report = grade_notebook(spec, Path(job.path), seed=job.seed, only=job.only)
    return Graded(job, {t.name: (t.points, t.max_points) for t in report.tests}, report.error)


def grade_all(assignment: str, jobs: list[Job], workers: int, progress: Callable | None = None) -> list[Graded]:
    done: list[Graded] = []

    def finished(graded):
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
                initializer=processes.start, initargs=(dict(os.environ),)) as pool:
            for future in concurrent.futures.as_completed([pool.submit(_grade, assignment, job) for job in jobs]):
                finished(future.result())
    order = {job.path: i for i, job in enumerate(jobs)}
    return sorted(done, key=lambda g: order[g.job.path])


def audit(name: str, *, seeds: int = 3, mutants_per_notebook: int | None = None, jobs: int = 1,
          only: tuple[str, ...] = (), progress: Callable | None = None) -> list[NotebookAudit]:
    """Audit assignment ``name``; one ``NotebookAudit`` per notebook (``only``: these notebooks)."""
    assignment = registry.load(name)
    reviewed = review.load(registry.HIDDEN_ROOT / name / "audit.toml")
    with tempfile.TemporaryDirectory(prefix="learnathon-audit-") as tmp:
        planned, context = plan(assignment, Path(tmp), seeds=seeds, mutants_per_notebook=mutants_per_notebook,
                                only=only)
        graded = grade_all(name, planned, jobs, progress)
        graded += grade_all(name, plan_variants(graded, context, len(planned)), jobs, progress)
    audits = []
    for notebook, facts in context.items():
        mine = [g for g in graded if g.job.notebook == notebook]
        audits.append(NotebookAudit.judge(name, notebook, mine, facts, reviewed))
    return audits
