"""Record types shared by the grading stages: cells in, cell outcomes and failures out.

Nothing here knows the sandbox: the notebook reader, the results and the class-grading layer
depend on these records only, and the runner turns sandbox failures into ``GraderError``.
"""
from __future__ import annotations

import dataclasses


class GradingFailure(AssertionError):
    """A check failed; the message is meant for the student."""


class StudentCodeError(GradingFailure):
    """The student's code could not deliver a result (missing, raised, hung, crashed)."""


class GraderError(RuntimeError):
    """The grading machine failed (the sandbox did not start, ...): not the student's fault.
    Such a notebook is reported as not graded, never recorded as a zero."""


@dataclasses.dataclass(frozen=True)
class Cell:
    index: int
    source: str
    role: str = "code"          # "code" | "test" (visible tests, run only by `check`)
    grade_id: str | None = None


@dataclasses.dataclass
class CellOutcome:
    index: int
    grade_id: str | None
    role: str
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
