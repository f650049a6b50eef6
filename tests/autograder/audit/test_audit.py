"""`learnathon audit`: its parts on small inputs, and one bounded audit of the cheapest real notebook."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.admin.fabricate import student_version
from autograder.audit import Graded, Job, mutants, nulls, review
from autograder.audit.report import NotebookAudit, last_line, table

ROOT = Path(__file__).resolve().parents[3]

CELL = '''def relu(z):
    """max(0, z)."""
    scale = 2.0
    ### BEGIN SOLUTION
    out = np.maximum(z, 0.0)
    return out[-1] if z.ndim > 1 and z.shape[0] > 1 else out
    ### END SOLUTION


def untouched_helper(x):
    return x + 1
'''


# --- mutants --------------------------------------------------------------------------------------

def test_mutants_change_only_the_solution_region():
    found = list(mutants.mutants_of_cell("relu", CELL))
    assert found, "no mutant of a solution region"
    for m in found:
        assert m.source != CELL
        assert "scale = 2.0" in m.source and "return x + 1" in m.source, f"mutated outside the region: {m.mutation}"
        compile(m.source, "mutant", "exec")
    kinds = {m.operator for m in found}
    assert {"index", "comparison", "renamed-call", "constant"} <= kinds, kinds
    assert any(m.mutation == "index `[-1]` -> `[-2]`" for m in found)
    assert len({m.key
                for m in found}) == len(found), "two mutants share a key: the reviewed file could not tell them apart"


def test_a_cell_without_solution_region_has_no_mutants():
    assert list(mutants.mutants_of_cell("given", "def f(x):\n    return x + 1\n")) == []


def test_domain_operators():
    cell = ("def fit(model, scaler, x):\n    ### BEGIN SOLUTION\n    model.train()\n"
            "    z = scaler.transform(x).T.mean()\n    for i in range(3):\n        z += 1\n    return z\n"
            "    ### END SOLUTION\n")
    described = {m.mutation for m in mutants.mutants_of_cell("fit", cell)}
    for expected in ("`.train` -> `.eval`", "`.transform` -> `.fit_transform`", "`.mean` -> `.sum`",
                     "`range(3)` -> `range(3 + 1)` (off by one)", "update `z += 1` dropped"):
        assert expected in described, (expected, sorted(described))
    assert any(".T dropped" in d for d in described)


def test_arguments_of_a_symmetric_call_are_not_swapped_other_calls_are():
    cell = ("def f(z, a, b):\n    ### BEGIN SOLUTION\n    top = max(0.0, z) + np.maximum(z, 1.0) + torch.add(a, b)\n"
            "    return top + np.subtract(a, b) + torch.add(a, b, alpha=2) + loss_fn(a, b)\n"
            "    ### END SOLUTION\n")
    swapped = {m.mutation for m in mutants.mutants_of_cell("f", cell) if m.operator == "swapped-arguments"}
    assert swapped == {"arguments swapped in `subtract(a, b, ...)`", "arguments swapped in `add(a, b, ...)`",
                       "arguments swapped in `loss_fn(a, b, ...)`"}, sorted(swapped)


# --- null implementations --------------------------------------------------------------------------

def run_cell(source: str) -> dict:
    namespace = {"np": np}
    exec(compile(source, "cell", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("variant, expected", [
    ("none", None), ("zeros", np.zeros((3, 2))), ("ones", np.ones((3, 2))), ("constant", np.full((3, 2), 0.5))])
def test_null_variants_return_the_references_shape(variant, expected):
    cell = "def scaled(x, factor):\n    ### BEGIN SOLUTION\n    return x * factor\n    ### END SOLUTION\n"
    f = run_cell(nulls.null_cell(cell, "scaled", variant))["scaled"]
    got = f(np.arange(6.0).reshape(3, 2), 3.0)
    assert (got is None) if expected is None else np.array_equal(got, expected)


def test_untouched_null_returns_the_answer_but_leaves_the_argument_alone():
    cell = ("def train(params, steps):\n    ### BEGIN SOLUTION\n    for _ in range(steps):\n"
            "        params['w'] -= 0.5 * params['w']\n    return [float(params['w'])]\n    ### END SOLUTION\n")
    source = nbformat_notebook(cell)
    fn = nulls.graded_functions(source, student_version(source))[0]
    assert fn.acts_on == ("params",) and "untouched" in fn.variants()
    train = run_cell(nulls.null_cell(cell, "train", "untouched"))["train"]
    params = {"w": np.array(4.0)}
    assert train(params, 2) == [1.0] and float(params["w"]) == 4.0


def test_released_stub_raises_like_the_students_copy():
    cell = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    with pytest.raises(NotImplementedError):
        run_cell(nulls.null_cell(cell, "f", "released"))["f"](1)


def nbformat_notebook(cell_source: str):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(cell_source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "answer",
                                 "schema_version": 3, "task": False}
    nb.cells.append(cell)
    return nb


# --- the reviewed file -------------------------------------------------------------------------------

def test_review_entries_need_a_reason(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text('[[null]]\nnotebook = "a"\nfunction = "f"\nvariant = "*"\ntest = "test_f"\n')
    with pytest.raises(review.ReviewError, match="reason"):
        review.load(path)
    path.write_text('[[equivalent]]\nnotebook = "a"\ncell = "c"\nline = "x"\nmutation = "m"\nreason = "why"\n')
    assert len(review.load(path).equivalents) == 1
    assert review.load(tmp_path / "missing.toml").path is None


def test_every_reviewed_entry_of_our_assignments_has_a_reason():
    for path in sorted((ROOT / "autograder" / "hidden").glob("*/audit.toml")):
        reviewed = review.load(path)
        assert all(len(e.reason) > 20 for e in reviewed.nulls + reviewed.equivalents), path


# --- judging -------------------------------------------------------------------------------------------

def graded(kind, points, *, detail=(), seed=None, only=(), path=None):
    job = Job("nb", kind, kind, path or f"/tmp/{kind}-{id(points)}", seed, detail, only)
    return Graded(job, points, None)


def test_judging_counts_nulls_mutants_and_correct_solutions():
    full = {"test_a": (1.0, 1.0), "test_b": (2.0, 2.0)}
    m_killed = mutants.Mutant("c", "x = 1", "`1` -> `2` (off by one)", "constant", "x = 2")
    m_survivor = mutants.Mutant("c", "y = 1", "`1` -> `0` (off by one)", "constant", "y = 0")
    m_equivalent = mutants.Mutant("c", "z = a * b", "arguments swapped", "swapped-arguments", "z = b * a")
    results = [
        graded("baseline", full),
        graded("released", {"test_a": (0.0, 1.0), "test_b": (0.0, 2.0)}),
        graded("null", {"test_a": (0.0, 1.0), "test_b": (2.0, 2.0)}, detail=("f", "released")),
        graded("null", {"test_a": (1.0, 1.0)}, detail=("f", "zeros"), only=("test_a",)),     # earns: a finding
        graded("null", {"test_a": (0.0, 1.0)}, detail=("f", "none"), only=("test_a",)),
        graded("null", {"test_a": (1.0, 1.0), "test_b": (2.0, 2.0)}, detail=("g", "released")),  # untested
        graded("mutant", {"test_a": (0.0, 1.0), "test_b": (2.0, 2.0)}, detail=m_killed),
        graded("mutant", full, detail=m_survivor),
        graded("mutant", full, detail=m_equivalent),
        graded("alternative", full, seed=1, detail=("source", 0)),
        graded("alternative", {"test_a": (0.0, 1.0), "test_b": (2.0, 2.0)}, seed=2, detail=("source", 0)),
        graded("alternative", full, seed=1, detail=("source", 1)),
    ]
    reviewed = review.Review(None, (), (review.Equivalent("nb", "c", "z = a * b", "arguments swapped", "a * b == b * "
                                                                                                       "a"),))
    facts = {"mutants_total": 3, "mutants_sampled": 3}
    audit = NotebookAudit.judge("x", "nb", results, facts, reviewed)
    assert (audit.nulls_total, audit.nulls_zero) == (3, 2)
    assert audit.null_findings == [{"function": "f", "variant": "zeros", "test": "test_a", "points": 1.0}]
    assert audit.untested_functions == ["g"]
    assert (audit.mutants_killed, audit.mutants_equivalent, len(audit.survivors)) == (1, 1, 1)
    assert audit.kill_rate == 0.5
    assert len(audit.false_failures) == 1 and audit.flaky == []
    missed = audit.missed()
    assert any("null" in m for m in missed) and any("kill rate" in m for m in missed)
    assert "TARGETS MISSED" in last_line([audit]) and "survivor  c | y = 1" in table([audit])


def test_an_excused_null_and_a_flaky_grade():
    results = [
        graded("baseline", {"test_a": (1.0, 1.0)}),
        graded("released", {"test_a": (0.0, 1.0)}),
        graded("null", {"test_a": (0.0, 1.0)}, detail=("f", "released")),
        graded("null", {"test_a": (1.0, 1.0)}, detail=("f", "ones"), only=("test_a",)),
        graded("alternative", {"test_a": (1.0, 1.0)}, seed=1, detail=("source", 0)),
        graded("alternative", {"test_a": (0.5, 1.0)}, seed=1, detail=("source", 1)),
    ]
    reviewed = review.Review(None, (review.NullExcuse("nb", "f", "o*", "test_*", "ones is the right answer here"),))
    audit = NotebookAudit.judge("x", "nb", results, {"mutants_total": 0, "mutants_sampled": 0}, reviewed)
    assert audit.nulls_documented == 1 and audit.null_findings == []
    assert audit.flaky == ["source (seed 1)"]


# --- the real thing, bounded: cs1 part A is the cheapest notebook we ship ---------------------------

def test_a_quick_look_at_cs1_part_a_finds_nothing_but_prints_no_figures(tmp_path):
    """`learnathon audit` on cs1 part A (every null implementation, a sample of 25 mutants, one extra seed,
    no contract variants): nothing found, and no kill rate or verdict from a sample."""
    report = tmp_path / "audit.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", "from autograder.cli import main; main()", "audit", "cs1",
                          "--notebook", "part_a_forward_backward", "--mutants-per-notebook", "25", "--seeds", "1",
                          "--no-variants", "--jobs", "2", "--json", str(report)], capture_output=True, text=True,
                         env=env, timeout=1200)
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1].endswith("-> TARGETS MISSED")
    assert "= not measured (a sample)" in run.stdout
    (notebook,) = json.loads(report.read_text())["notebooks"]
    assert notebook["mutants_sampled"] == 25 and notebook["kill_rate"] is None
    assert [m for m in notebook["targets_missed"] if "a sample" not in m and "not graded" not in m] == []
    assert notebook["survivors"] == [] and notebook["null_findings"] == [] and notebook["false_failures"] == []
    assert notebook["nulls_total"] > 50 and notebook["nulls_ok"] == notebook["nulls_total"]


def test_a_sample_of_mutants_is_never_a_figure():
    full = {"test_a": (1.0, 1.0)}
    results = [graded("baseline", full), graded("released", {"test_a": (0.0, 1.0)}),
               graded("mutant", {"test_a": (0.0, 1.0)},
                      detail=mutants.Mutant("c", "x = 1", "`1` -> `2` (off by one)", "constant", "x = 2"))]
    sampled = NotebookAudit.judge("x", "nb", results, {"mutants_total": 40, "mutants_sampled": 1}, review.Review(None))
    assert sampled.kill_rate_text() == "not measured (a sample)" and "100" not in sampled.figures()
    assert any("a sample gives no kill rate" in m for m in sampled.missed())
    assert sampled.to_dict()["kill_rate"] is None
    every = NotebookAudit.judge("x", "nb", results, {"mutants_total": 1, "mutants_sampled": 1}, review.Review(None))
    assert every.kill_rate_text() == "100.0%" and every.missed() == []
