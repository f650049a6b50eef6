"""Hostile submissions never earn more than their honest work, and never take the grader down.

The whole corpus (hostile.py) is graded once, two submissions at a time in separate grading
processes with their own sandbox slots, as a class run would; each test then checks one case.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.grading import discovery
from autograder.grading.runner import grade_notebook
from tests.autograder import tiny_assignment as tiny
from tests.redteam import hostile

FIRST_SLOT = 20
_slot = None


def _init(counter):
    global _slot
    with counter.get_lock():
        _slot = FIRST_SLOT + counter.value
        counter.value += 1


def _grade(spec, path: str) -> dict:
    try:
        report = grade_notebook(spec, Path(path), slot=_slot)
    except BaseException as exc:  # noqa: B902 - the point is to notice it
        return {"crashed": f"{type(exc).__name__}: {exc}"}
    return {"report": report}


@pytest.fixture(scope="module")
def corpus_root():
    """World-readable on purpose: only the sandbox's allowlist root may keep these files from the student."""
    root = Path(tempfile.mkdtemp(prefix="learnathon-redteam-"))
    root.chmod(0o755)
    spec = tiny.make_spec(root / "assignment")
    for path in [root / "assignment", *(root / "assignment").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (root / "course").mkdir(mode=0o755)
    (root / "course" / "gradebook.db").write_text("grades")
    (root / "course" / "gradebook.db").chmod(0o644)
    yield root, spec
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(request, corpus_root):
    """{case id: {"report": NotebookReport} or {"crashed": reason}} for the cases selected in this run."""
    root, spec = corpus_root
    wanted = {item.callspec.params["case"].id for item in request.session.items
              if getattr(item, "callspec", None) and isinstance(item.callspec.params.get("case"), hostile.Case)}
    context = {"secrets": [str(spec.tests), str(spec.source), str(root / "course" / "gradebook.db"),
                           str(discovery.PROJECT_ROOT / ".git" / "HEAD"),
                           str(discovery.PROJECT_ROOT / "solutions" / "__init__.py")]}
    jobs = {}
    counter = multiprocessing.get_context("fork").Value("i", 0)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"),
                                                initializer=_init, initargs=(counter,)) as pool:
        for case in hostile.CASES:
            if case.id in wanted:
                path = case.build(root / "submissions" / case.id / f"{tiny.PART}.ipynb", context)
                jobs[case.id] = pool.submit(_grade, spec, str(path))
        results = {case_id: future.result() for case_id, future in jobs.items()}
    results["_spec"] = spec
    return results


def params():
    for case in hostile.CASES:
        marks = [pytest.mark.e2e] if case.heavy else []
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(params()))
def test_hostile_submission_gets_what_its_honest_work_earns(graded, case):
    outcome = graded[case.id]
    assert "crashed" not in outcome, f"the grader failed on this submission: {outcome.get('crashed')}"
    report = outcome["report"]
    tests = {t.name: t for t in report.tests}
    summary = "\n".join(f"{t.name}: {t.points}/{t.max_points} {t.message}" for t in report.tests)
    assert report.max_score == hostile.HONEST, summary
    assert report.score <= case.score, f"more than its honest work earns:\n{summary}"
    assert report.score == case.score, summary
    for name, message in case.messages.items():
        alternatives = message if isinstance(message, tuple) else (message,)
        assert not tests[name].passed and any(m in tests[name].message for m in alternatives), summary
    if case.error:
        assert report.error and case.error in report.error, report.error
    else:
        assert report.error is None, report.error
    if case.cell_error:
        errors = [c.error for c in report.cells if c.error]
        assert any(case.cell_error in e for e in errors), errors


@pytest.mark.parametrize("case", [c for c in hostile.CASES if c.id == "unseeded-randomness-in-the-answer"],
                         ids=lambda c: c.id)
@pytest.mark.usefixtures("cold_start")
def test_a_random_answer_gets_the_same_points_when_regraded(graded, case, tmp_path):
    first = graded[case.id]["report"]
    path = case.build(tmp_path / f"{tiny.PART}.ipynb", {})
    again = grade_notebook(graded["_spec"], path, slot=FIRST_SLOT + 5)
    assert [(t.name, t.points) for t in again.tests] == [(t.name, t.points) for t in first.tests]

