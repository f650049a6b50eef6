"""`learnathon check`: what a student runs before submitting — the visible tests only.

It reports one line per step (per visible-test cell), named and counted as ``learnathon grade`` and the
feedback name and count them (``grading.steps``), from the student's own notebook."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..intake.cells import CellOutcome
from ..intake.notebook import plan_cells, read_json_notebook, validated_notebook
from ..sandbox.host import notebook_preload
from ..sandbox.session import SessionConfig, StudentSession, prestart
from ..terminal import printable
from .discovery import available, known_libraries, known_preload, load
from .steps import outline_of


@dataclasses.dataclass
class CheckReport:
    notebook: str
    tests: list[CellOutcome]             # the visible-test cells
    broken: list[CellOutcome]            # other cells that raised
    error: str | None = None
    titles: dict[str, str] = dataclasses.field(default_factory=dict)   # grade_id -> the step's name

    def title(self, outcome: CellOutcome) -> str:
        if outcome.grade_id and outcome.grade_id in self.titles:
            return self.titles[outcome.grade_id]
        return outcome.grade_id or f"cell {outcome.index + 1}"

    @property
    def passed(self) -> int:
        return sum(t.ok for t in self.tests)

    @property
    def all_passed(self) -> bool:
        return self.error is None and self.passed == len(self.tests)

    def to_dict(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "passed": self.passed, "total": len(self.tests),
                "tests": [t.to_dict() | {"step": self.title(t)} for t in self.tests],
                "broken": [c.to_dict() for c in self.broken], "error": self.error}

    def render(self) -> str:
        # Every field may hold text from the notebook (errors, grade ids): escaped, one line each.
        lines = [f"{printable(self.notebook)}: {self.passed} of {len(self.tests)} steps pass their visible tests"]
        if self.error:
            lines.append(f"  ! {printable(self.error)}")
        for t in self.tests:
            lines.append(f"  {'PASS' if t.ok else 'FAIL'}  {printable(self.title(t))}"
                         + ("" if t.ok else f": {printable(t.error)}"))
        for c in self.broken:
            gid = f" ({printable(c.grade_id)})" if c.grade_id else ""
            lines.append(f"  note: code cell {c.index + 1}{gid} raised {printable(c.error)}")
        lines.append("Hidden tests check more than these; passing them is a good sign, not a guarantee.")
        return "\n".join(lines)


def check_notebook(path: Path, *, cell_timeout: float = 120.0) -> CheckReport:
    """Run the notebook as it is, in the sandbox, and report its visible-test cells."""
    # The sandbox starts loading what the notebook imports (among the libraries the assignments
    # declare) while the notebook is read and checked.
    config = SessionConfig(cell_timeout=cell_timeout, total_timeout=cell_timeout * 5, libraries=known_libraries(),
                           preload=notebook_preload(known_preload(), path), files=released_files_beside(path))
    prestart(config)
    notebook = validated_notebook(read_json_notebook(path))
    cells = plan_cells(notebook, path)   # its own metadata says which cells are tests
    with StudentSession(cells, config, run_tests=True) as session:
        outcomes = session.start()
        fatal = session.fatal
    tests = [o for o in outcomes if o.role == "test"]
    broken = [o for o in outcomes if o.role != "test" and not o.ok]
    return CheckReport(path.name, tests, broken, fatal, outline_of(notebook["cells"]).titles())


def released_files_beside(path: Path) -> tuple[Path, ...]:
    """The files next to the notebook that an assignment releases with its notebooks (a simulator, a data
    file): the notebook reads them from its own folder, as in Jupyter. Nothing else of the folder is copied."""
    released = {f.name for name in available() for f in load(name).files}
    return tuple(sorted(p for p in path.parent.iterdir() if p.name in released and p.is_file() and not p.is_symlink()))
