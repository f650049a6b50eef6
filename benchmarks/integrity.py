"""The similarity thresholds of `learnathon integrity`, measured: recall on disguised copies, false
positives on independently written correct solutions.

Copies: every fixture notebook of every assignment (``autograder/hidden/*/fixtures/``: the solution
with the fixture's cells), every correct alternative alone (its own cells, the released stubs
elsewhere) and the instructor's solution, each disguised five ways (seeded):

* ``rename``   every variable and parameter renamed (function names kept: the notebook's contract);
* ``reorder``  adjacent independent one-line statements swapped, in every function;
* ``format``   comments dropped and code re-laid out (``ast.unparse``), new comments written;
* ``cells``    cells split after their first function and neighbouring cells merged;
* ``all``      the four together.

A copy is *found* when the pair (original, copy) is reported. Independent work: every pair of the
instructor's solution and the correct alternatives (``ok_*``/``correct_*``), each with its own cells
only and the released stubs elsewhere, so that two of them share nothing but the template unless
their own code is alike. A reported pair there is a false positive. The script prints both for the
thresholds in ``similarity.py`` and for a grid around them, and checks the done-criterion
(>= 95 % of copies found, no independent pair reported).

    .venv/bin/python benchmarks/integrity.py [--grid]
"""
from __future__ import annotations

import argparse
import ast
import builtins
import dataclasses
import io
import itertools
import json
import random
import sys
import tempfile
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
FIXTURES = ROOT / "autograder" / "hidden"   # NAME/fixtures/PART/
DISGUISES = ("rename", "reorder", "format", "cells", "all")


# --- disguises (on the list of answer-cell sources of one notebook) ------------------------------------

def _parses(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _renamable(cells: list[str], given: set[str]) -> set[str]:
    """Variables and parameters the student chose: not the functions and classes (the contract), not
    names of the given cells, builtins, imports, parameters with defaults or keyword names in calls."""
    chosen, fixed = set(), set(given) | set(dir(builtins))
    for source in cells:
        tree = _parses(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                chosen.add(node.id)
            elif isinstance(node, ast.arg):
                chosen.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                fixed.add(node.name)
                if not isinstance(node, ast.ClassDef):
                    args = node.args
                    with_defaults = args.args[len(args.args) - len(args.defaults):] + [
                        a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
                    fixed.update(a.arg for a in with_defaults)
            elif isinstance(node, ast.keyword) and node.arg:
                fixed.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                fixed.update((a.asname or a.name).split(".")[0] for a in node.names)
    return {n for n in chosen - fixed if n != "_" and not n.startswith("__")}


def rename(cells: list[str], given: set[str], rng: random.Random) -> list[str]:
    names = sorted(_renamable(cells, given))
    words = ["alpha", "beta", "tmp", "val", "res", "arr", "buf", "acc", "itm", "q", "w", "zz", "foo", "bar"]
    mapping = {n: f"{rng.choice(words)}_{i}" for i, n in enumerate(names)}
    out = []
    for source in cells:
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            out.append(source)
            continue
        result, previous = [], None
        for tok in tokens:
            if tok.type == tokenize.NAME and tok.string in mapping and not (previous and previous.string == "."):
                tok = tok._replace(string=mapping[tok.string])
            result.append(tok)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                previous = tok
        out.append(tokenize.untokenize(result))
    return out


def _names(node: ast.AST, store: bool) -> set[str]:
    kinds = (ast.Store, ast.Del) if store else (ast.Load,)
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, kinds)}


def reorder(cells: list[str], given: set[str], rng: random.Random) -> list[str]:  # noqa: ARG001 (every disguise takes (cells, given names, rng))
    """Swap adjacent one-line statements that neither read nor write what the other writes."""
    out = []
    for source in cells:
        tree = _parses(source)
        if tree is None:
            out.append(source)
            continue
        lines = source.split("\n")
        for body in (n.body for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.For, ast.If, ast.With))):
            i = 0
            while i + 1 < len(body):
                a, b = body[i], body[i + 1]
                simple = all(isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr))
                             and s.lineno == s.end_lineno and lines[s.lineno - 1].strip() for s in (a, b))
                independent = simple and not (_names(a, True) & (_names(b, True) | _names(b, False))
                                              or _names(b, True) & _names(a, False))
                if independent and rng.random() < 0.8:
                    indent_a = lines[a.lineno - 1][:len(lines[a.lineno - 1]) - len(lines[a.lineno - 1].lstrip())]
                    indent_b = lines[b.lineno - 1][:len(lines[b.lineno - 1]) - len(lines[b.lineno - 1].lstrip())]
                    lines[a.lineno - 1], lines[b.lineno - 1] = (indent_a + lines[b.lineno - 1].lstrip(),
                                                                indent_b + lines[a.lineno - 1].lstrip())
                    i += 2
                else:
                    i += 1
        out.append("\n".join(lines))
    return out


def reformat(cells: list[str], given: set[str], rng: random.Random) -> list[str]:  # noqa: ARG001 (every disguise takes (cells, given names, rng))
    remarks = ["# my solution", "# compute it", "# helper", "# see lecture", "# done", "# step"]
    out = []
    for source in cells:
        tree = _parses(source)
        if tree is None:
            out.append(source)
            continue
        lines = []
        for line in ast.unparse(tree).split("\n"):
            if line.lstrip().startswith(("def ", "for ", "return ")) and rng.random() < 0.7:
                lines.append(line[:len(line) - len(line.lstrip())] + rng.choice(remarks))
            lines.append(line)
        out.append("\n\n".join(lines) if rng.random() < 0.3 else "\n".join(lines))
    return out


def split_merge(cells: list[str], given: set[str], rng: random.Random) -> list[str]:  # noqa: ARG001 (every disguise takes (cells, given names, rng))
    """Cells split after their first function; then every other pair of neighbours merged."""
    split = []
    for source in cells:
        tree = _parses(source)
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)] if tree else []
        if len(tree.body if tree else []) > 1 and defs:
            cut = defs[0].end_lineno
            lines = source.split("\n")
            split += ["\n".join(lines[:cut]), "\n".join(lines[cut:])]
        else:
            split.append(source)
    merged, i = [], 0
    while i < len(split):
        if i + 1 < len(split) and rng.random() < 0.5:
            merged.append(split[i] + "\n\n" + split[i + 1])
            i += 2
        else:
            merged.append(split[i])
            i += 1
    return merged


def disguise(kind: str, cells: list[str], given: set[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    steps = {"rename": [rename], "reorder": [reorder], "format": [reformat], "cells": [split_merge],
             "all": [reorder, rename, reformat, split_merge]}[kind]
    for step in steps:
        cells = step(cells, given, rng)
    return cells


# --- the population ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Work:
    name: str
    answers: object         # integrity.answers.Answers
    independent: bool       # written independently: its own cells only, stubs elsewhere


def given_names(answers) -> set[str]:
    names = set()
    for cell in answers.cells:
        if cell.given and (tree := _parses(cell.python)):
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            names |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            names |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                      if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    return names


def copy_of(work: Work, kind: str, seed: int):
    """``work``'s answers with its answer cells disguised (cells may change in number)."""
    from autograder.analytics.integrity.answers import Answers, CodeCell, as_python

    given = given_names(work.answers)
    own = [c for c in work.answers.cells if not c.given]
    disguised = disguise(kind, [c.source for c in own], given, seed)
    cells = [c for c in work.answers.cells if c.given]
    if len(disguised) == len(own):      # the same cells, reworded: they keep their grade ids
        cells += [CodeCell(c.number, c.grade_id, text, as_python(text), False) for c, text in zip(own, disguised)]
    else:                               # split or merged: new cells, as a student adds them
        cells += [CodeCell(1000 + i, None, text, as_python(text), False) for i, text in enumerate(disguised)]
    return Answers(work.answers.notebook, tuple(cells))


def population(tmp: Path) -> dict:
    """{(assignment, notebook spec): [Work, ...]} from the fixtures."""
    from autograder.admin.fabricate import read_fixture, with_cells
    from autograder.analytics.integrity.answers import read_answers, solution_answers
    from autograder.grading import discovery
    from autograder.intake.notebook import parse_notebook, validated_notebook
    from tests.support import student_version

    found = {}
    for name in discovery.available():
        for spec in discovery.load(name).notebooks:
            def load(path: Path, spec=spec):
                return read_answers(validated_notebook(parse_notebook(path.read_bytes())), spec.source, spec.name)

            released = student_version(spec.source, tmp / f"released-{name}-{spec.name}.ipynb")
            works = [Work("solution", solution_answers(spec.source, spec.name), True)]
            for path in sorted((FIXTURES / name / "fixtures" / spec.name).glob("*.py")):
                fixture = read_fixture(path)
                works.append(Work(fixture.id, load(with_cells(spec.source, fixture.cells, tmp / f"{fixture.id}.ipynb")),
                                  False))
                if fixture.full_marks:
                    works.append(Work(f"{fixture.id}:alone", load(with_cells(
                        released, fixture.cells, tmp / f"{fixture.id}-alone.ipynb")), True))
            found[(name, spec.name)] = (spec, works)
    return found


# --- measuring -----------------------------------------------------------------------------------------

def compared(pop: dict, k: int, seed: int) -> dict:
    """Every (original, disguised copy) pair and every independent pair, compared with K = ``k``."""
    from autograder.analytics.integrity import similarity

    thresholds = similarity.Thresholds(k=k)
    copies, independent = [], []
    for (name, _), (spec, works) in pop.items():
        known = similarity.known_fingerprints(spec.source, thresholds)

        def prints(doc):
            return similarity.fingerprint(doc, thresholds, known)

        docs = {w.name: similarity.document(w.name, w.answers, spec.source) for w in works}
        fps = {n: prints(d) for n, d in docs.items()}
        for index, work in enumerate(works):
            for number, kind in enumerate(DISGUISES):
                copy = similarity.document(f"{work.name}~{kind}", copy_of(work, kind, seed + 7919 * index + number),
                                           spec.source)
                pair = similarity.compare(docs[work.name], fps[work.name], copy, prints(copy), spec.name)
                copies.append({"notebook": f"{name}/{spec.name}", "original": work.name, "disguise": kind,
                               "score": pair.score, "shared": pair.shared})
        for a, b in itertools.combinations([w for w in works if w.independent], 2):
            pair = similarity.compare(docs[a.name], fps[a.name], docs[b.name], fps[b.name], spec.name)
            independent.append({"notebook": f"{name}/{spec.name}", "a": a.name, "b": b.name, "score": pair.score,
                                "shared": pair.shared})
    return {"copies": copies, "independent": independent}


def evaluate(pairs: dict, thresholds) -> dict:
    """Recall on the copies and false positives on the independent pairs under ``thresholds``."""
    from autograder.analytics.integrity import similarity

    def reported(row: dict) -> bool:
        return similarity.reported(similarity.Pair("", "", "", row["score"], 0, 0, row["shared"], ()), thresholds)

    found = [c for c in pairs["copies"] if reported(c)]
    by_kind = {kind: [c for c in pairs["copies"] if c["disguise"] == kind] for kind in DISGUISES}
    false_positives = [p for p in pairs["independent"] if reported(p)]
    total = len(pairs["copies"])
    return {"thresholds": dataclasses.asdict(thresholds), "copies": total, "found": len(found),
            "recall": round(len(found) / total, 4) if total else None,
            "recall_by_disguise": {k: round(sum(map(reported, v)) / len(v), 4) for k, v in by_kind.items() if v},
            "independent_pairs": len(pairs["independent"]), "false_positives": len(false_positives),
            "false_positive_pairs": false_positives, "misses": [c for c in pairs["copies"] if not reported(c)],
            "closest_independent": sorted(pairs["independent"], key=lambda c: (-c["score"], -c["shared"]))[:5],
            "weakest_found_copies": sorted(found, key=lambda c: (c["score"], c["shared"]))[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", action="store_true", help="also measure a grid of thresholds around the chosen")
    args = parser.parse_args()

    from autograder.analytics.integrity import similarity

    chosen = similarity.Thresholds()
    grid = {chosen.k: [chosen]}
    if args.grid:
        for k in (20, 25, 30):
            grid.setdefault(k, []).extend(similarity.Thresholds(k=k, min_shared=s, min_share=r)
                                          for s in (60, 120, 200) for r in (0.3, 0.4, 0.5, 0.6))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pop = population(Path(tmp))
        for k, settings in grid.items():
            pairs = compared(pop, k, args.seed)
            for thresholds in settings:
                result = evaluate(pairs, thresholds)
                rows.append(result)
                print(f"K={thresholds.k:>3} shared>={thresholds.min_shared:>4} share>={thresholds.min_share:.2f}: "
                      f"copies found {result['found']}/{result['copies']} ({100 * result['recall']:.1f} %; "
                      + ", ".join(f"{d} {100 * v:.0f} %" for d, v in result["recall_by_disguise"].items())
                      + f"), independent pairs reported {result['false_positives']}/{result['independent_pairs']}",
                      flush=True)
    main_result = rows[0]
    print("closest independent pairs:", json.dumps(main_result["closest_independent"][:3], indent=1))
    print("weakest copies found:", json.dumps(main_result["weakest_found_copies"][:3], indent=1))
    if main_result["misses"]:
        print(f"missed copies ({len(main_result['misses'])}):", json.dumps(main_result["misses"][:20], indent=1))
    done = main_result["recall"] >= 0.95 and main_result["false_positives"] == 0
    print(f"done-criterion (>= 95 % of copies found, no independent pair reported): {'met' if done else 'NOT met'}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "integrity.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
