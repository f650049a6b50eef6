"""The stock nbgrader course that runs learnathon's checks, and how it is graded and read.

The course is learnathon's own (``learnathon init``), with each test cell's source replaced by a
call of ``in_kernel_checks.cell_points`` (the hidden tests of its notebook, run once per kernel;
the cell's last expression is its points, which nbgrader scores as partial credit). The test cells
sit after every other cell, in the source and in each submission (the student's cells stay in their
order), so that the checks find every function defined, as learnathon's do: it runs all of a
notebook's cells before its tests. The demonstration cells that learnathon skips are blanked
on both sides. Each grade cell's points are read from nbgrader's gradebook.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat

from autograder.admin.course import init
from autograder.grading import discovery
from autograder.intake.notebook import SKIP_TAG
from autograder.results.gradebook import ensure_tools_on_path

CHECKS = Path(__file__).parent / "in_kernel_checks.py"
SKIPPED = "# demonstration: not run when grading (learnathon skips it too)"


def grade_ids(source: Path) -> tuple[set[str], set[str]]:
    """(test cells, skipped demonstration cells) of a source notebook, by grade_id."""
    tests, skipped = set(), set()
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if SKIP_TAG in cell.metadata.get("tags", []):
            skipped.add(meta.get("grade_id"))
        elif cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            tests.add(meta.get("grade_id"))
    return tests, skipped - {None}


def rearranged(nb, tests: set[str], skipped: set[str]):
    """The notebook with its demonstrations blanked and its test cells after all other cells."""
    def gid(cell) -> str | None:
        return cell.metadata.get("nbgrader", {}).get("grade_id")

    for cell in nb.cells:
        if gid(cell) in skipped:
            cell.source = SKIPPED
    nb.cells = [c for c in nb.cells if gid(c) not in tests] + [c for c in nb.cells if gid(c) in tests]
    return nb


def build(root: Path, assignment: str, submissions: Path, students: list[str]) -> Path:
    """A stock course at ``root`` with the given students' submissions (copied from ``submissions``)."""
    course = init(root, assignment_names=[assignment]).root
    spec = discovery.load(assignment)
    for part in spec.notebooks:
        path = course / "source" / assignment / part.filename
        tests, skipped = grade_ids(path)

        def checked(nb, notebook=part.name, tests=tests, skipped=skipped):
            """Test cells that call the checks (the source, and the release the students worked on)."""
            nb = rearranged(nb, tests, skipped)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") in tests:
                    cell.source = (f"__import__('in_kernel_checks').cell_points({notebook!r}, "
                                   f"{cell.metadata['nbgrader']['grade_id']!r}, globals())")
            return nb

        nbformat.write(checked(nbformat.read(path, as_version=4)), path)
        for student in students:
            submitted = submissions / student / assignment / part.filename
            target = course / "submitted" / student / assignment / part.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                nbformat.write(checked(nbformat.read(submitted, as_version=4)), target)
            except Exception:  # noqa: BLE001 - a deliberately broken file is submitted as it is
                if submitted.exists():
                    shutil.copy2(submitted, target)
    for student in students:         # nbgrader's timestamp and any other submitted file, as they are
        for other in (submissions / student / assignment).iterdir():
            if other.suffix != ".ipynb":
                shutil.copy2(other, course / "submitted" / student / assignment / other.name)
    shutil.copy2(CHECKS, course / "source" / assignment / CHECKS.name)
    # The gradebook takes the new source (test cells, their points, locked cells): autograde restores
    # locked and test cells from it.
    ensure_tools_on_path()
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course, check=True,
                   capture_output=True)
    return course


def commands(assignment: str, students: list[str], processes: int) -> list[list[str]]:
    """``processes`` `nbgrader autograde` commands on disjoint sets of students (taken in turn, so each
    gets a like mix), or one command for the whole class."""
    if processes <= 1:
        return [["nbgrader", "autograde", assignment]]
    shares = [students[i::processes] for i in range(processes)]
    return [["nbgrader", "autograde", assignment,
             f"--CourseDirectory.student_id_exclude={','.join(s for s in students if s not in share)}"]
            for share in shares if share]


def scores(course: Path, assignment: str, course_id: str = "learnathon") -> dict[str, dict[str, float]]:
    """{student: {"notebook/grade cell": auto_score}} from nbgrader's gradebook (None: not scored)."""
    from autograder.results.gradebook import open_gradebook

    table: dict[str, dict[str, float]] = {}
    with open_gradebook(course, course_id) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            row = table.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":
                        row[f"{notebook.name}/{grade.name}"] = grade.auto_score
    return table


def check_costs(course: Path, assignment: str) -> list[dict]:
    """What the checks cost inside each kernel (written by in_kernel_checks)."""
    found = []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{Path(CHECKS.stem).name}.json")):
        found += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return found
