"""A notebook's code cells as the grader runs them (in), and what running each one did (out)."""
from __future__ import annotations

import dataclasses
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
