"""The one result record that flows from grader to gradebook, JSON output and feedback."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class TestResult:
    name: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    cell: str | None = None          # the nbgrader grade cell these points belong to
    description: str = ""            # what the test checks, in the student's words

    __test__ = False  # not a pytest test class

    def to_dict(self) -> dict:
        return {"name": self.name, "points": self.points, "max_points": self.max_points,
                "passed": self.passed, "message": self.message}


@dataclasses.dataclass
class NotebookReport:
    """The grade of one submitted notebook (one part of an assignment)."""
    assignment: str
    notebook: str
    tests: list[TestResult]
    error: str | None = None          # why (part of) the notebook could not be graded
    cells: list = dataclasses.field(default_factory=list)   # records.CellOutcome, for feedback
    student: str | None = None
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests), 6)

    def cell_scores(self) -> dict[str, tuple[float, float]]:
        """Points and max points per nbgrader grade cell."""
        scores: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            if t.cell is not None:
                got, most = scores.get(t.cell, (0.0, 0.0))
                scores[t.cell] = (round(got + t.points, 6), round(most + t.max_points, 6))
        return scores

    def to_dict(self) -> dict:
        return {"assignment": self.assignment, "score": self.score, "max_score": self.max_score,
                "tests": [t.to_dict() for t in self.tests], "error": self.error}
