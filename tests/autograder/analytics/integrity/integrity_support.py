"""Notebooks for the integrity tests: fixture submissions of the real assignments, read as the review reads them."""
from __future__ import annotations

from pathlib import Path

from autograder.admin.fabricate import SECTION, read_fixture, with_cells
from autograder.analytics.integrity.answers import Answers, CodeCell, as_python, read_answers
from autograder.grading import discovery
from autograder.intake.notebook import parse_notebook, validated_notebook


def integrity_fixtures() -> list[Path]:
    """Every assignment's integrity fixtures (``KIND.py`` in its integrity_fixtures/NOTEBOOK/, AUTHORING.md)."""
    return [path for name in discovery.available() for spec in discovery.load(name).notebooks
            for path in sorted(discovery.load(name).integrity_fixture_folder(spec.name).glob("*.py"))]


def integrity_fixture(path: Path) -> tuple[str, dict[str, str]]:
    """(the flag kind it is made for, {grade_id: cell}) of an integrity fixture."""
    text = path.read_text()
    head, *sections = SECTION.split(text)
    kind = next(line.split(":", 1)[1].strip() for line in head.splitlines() if line.startswith("# flag:"))
    return kind, {sections[i]: sections[i + 1].strip("\n") + "\n" for i in range(0, len(sections), 2)}


def notebook_answers(spec: discovery.NotebookSpec, cells: dict[str, str], folder: Path,
                     base: Path | None = None) -> Answers:
    """The source notebook (or ``base``: the released one) with ``cells`` replaced, written as a student hands
    it in and read back."""
    path = with_cells(base or spec.source, cells, folder / f"{spec.name}-{len(list(folder.iterdir()))}.ipynb")
    return read_answers(validated_notebook(parse_notebook(path.read_bytes())), spec.source, spec.name)


def correct_fixtures() -> list[tuple[str, str, Path]]:
    """(assignment, notebook, path) of every correct alternative of the assignments' own fixtures."""
    return [(name, spec.name, path) for name in discovery.available() for spec in discovery.load(name).notebooks
            for path in sorted(discovery.load(name).fixture_folder(spec.name).glob("*.py"))
            if read_fixture(path).full_marks]


def cells_of(*sources: str, given: tuple[str, ...] = ()) -> Answers:
    """Answers made of plain code cells (the student's), after ``given`` cells (the instructor's)."""
    cells = [CodeCell(i + 1, None, text, as_python(text), True) for i, text in enumerate(given)]
    cells += [CodeCell(len(given) + i + 1, f"answer{i}", text, as_python(text), False)
              for i, text in enumerate(sources)]
    return Answers("nb", tuple(cells))
