"""Summary table: one line per student and the class totals (what `autograde` prints without --json)."""
from __future__ import annotations

from collections.abc import Callable

from ..results.records import StudentResult
from ..results.summary import summary_table
from ..terminal import say
from .base import ClassRun, Output, Stage


class SummaryTable(Output):
    name = "summary"
    stage = Stage.SHOW

    def __init__(self, echo: Callable[[str], None] = say):
        self.echo = echo

    def end(self, results: list[StudentResult], run: ClassRun) -> None:
        self.echo(summary_table(results, run.assignment.name))
