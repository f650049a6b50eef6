"""The second anchor: otter-grader's local `otter run` with learnathon's checks, and how it is read.

One otter autograder zip per notebook of the assignment: one OK-format test file per nbgrader grade cell,
whose cases call ``in_kernel_checks.cell_points`` (the notebook's hidden tests, run once per kernel after
all of the student's cells, as otter runs its tests) and together score the points the cell earned, to a
thousandth: case k is worth 2**k thousandths and passes when bit k of the earned thousandths is set (otter
adds the points of the passing cases; the comparison with learnathon says whether they agree). The submissions are the
student's notebooks with the demonstration cells blanked and the nbgrader test cells removed (otter
runs its tests after the notebook). otter has no cell timeout (nbclient's default): a notebook that
never ends never ends, so the benchmark leaves the endless-loop students out of otter's run and says so.
`otter run` grades one notebook per command; the benchmark runs them on N processes.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import stock_nbgrader

from autograder.grading import discovery

QUANTUM = 0.001   # learnathon's partial credit is a fraction of a cell's points (e.g. 1.2 of 2)


def test_file(notebook: str, grade_id: str, points: float, quantum: float = QUANTUM) -> str:
    """An OK-format test whose passing cases add up to the cell's points in units of ``quantum``: case k is
    worth 2**k units and passes when bit k of the earned units is set (a dozen cases, however fine the unit)."""
    units = round(points / quantum)
    earned = f"round(__import__('in_kernel_checks').cell_points({notebook!r}, {grade_id!r}, globals()) / {quantum!r})"
    cases = [{"code": f">>> ({earned} >> {k}) & 1\n1\n", "hidden": False, "locked": False,
              "points": quantum * 2 ** k} for k in range(units.bit_length())]
    spec = {"name": grade_id, "points": None, "all_or_nothing": False,
            "suites": [{"cases": cases, "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
    return f"OK_FORMAT = True\n\ntest = {spec!r}\n"


def cell_points(source: Path) -> dict[str, float]:
    points = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            points[meta["grade_id"]] = float(meta.get("points", 0))
    return points


def build(root: Path, assignment: str, submissions: Path, students: list[str]) -> dict[str, Path]:
    """Autograder zips (root/<notebook>.zip) and the submissions (root/submitted/<student>/<notebook>.ipynb);
    returns {notebook: zip}."""
    zips = {}
    for part in discovery.load(assignment).notebooks:
        tests, skipped = stock_nbgrader.grade_ids(part.source)
        archive = root / f"{part.name}.zip"
        archive.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive, "w") as out:
            for grade_id, points in cell_points(part.source).items():
                out.writestr(f"tests/{grade_id}.py", test_file(part.name, grade_id, points))
            out.write(stock_nbgrader.CHECKS, f"files/{stock_nbgrader.CHECKS.name}")
            out.writestr("otter_config.json", json.dumps({"lang": "python", "print_summary": False}))
        zips[part.name] = archive
        for student in students:
            submitted = submissions / student / assignment / part.filename
            target = root / "submitted" / student / part.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                nb = stock_nbgrader.rearranged(nbformat.read(submitted, as_version=4), tests, skipped)
                nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in tests]
                nbformat.write(nb, target)
            except Exception:  # noqa: BLE001 - a deliberately broken file is submitted as it is
                shutil.copy2(submitted, target)
    return zips


def commands(root: Path, zips: dict[str, Path], students: list[str], otter: Path) -> list[list[str]]:
    """One `otter run` per submitted notebook; its results.json goes to root/results/<student>/<notebook>/."""
    found = []
    for student in students:
        for notebook, archive in zips.items():
            out = root / "results" / student / notebook
            out.mkdir(parents=True, exist_ok=True)
            found.append([str(otter), "run", "-a", str(archive), "-o", str(out), "--no-logo",
                          str(root / "submitted" / student / f"{notebook}.ipynb")])
    return found


def scores(root: Path, zips: dict[str, Path], students: list[str]) -> dict[str, dict[str, float | None]]:
    """{student: {"notebook/grade cell": points}} from otter's results.json files (None: no result)."""
    table: dict[str, dict[str, float | None]] = {}
    for student in students:
        row = table.setdefault(student, {})
        for notebook, archive in zips.items():
            with zipfile.ZipFile(archive) as z:
                cells = [Path(n).stem for n in z.namelist() if n.startswith("tests/")]
            results = root / "results" / student / notebook / "results.json"
            found = {}
            if results.is_file():
                data = json.loads(results.read_text())
                for test in data.get("tests", []):
                    found[str(test.get("name", "")).split(" ")[0]] = test.get("score")
            for cell in cells:
                row[f"{notebook}/{cell}"] = found.get(cell)
    return table
