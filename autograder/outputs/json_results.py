"""JSON: every result of the run, in class order, as one JSON list (what `autograde --json` prints)."""
from __future__ import annotations

import json
from collections.abc import Callable

from ..results.records import StudentResult
from ..terminal import say
from .base import ClassRun, Output, Stage


class JsonResults(Output):
    name = "json"
    stage = Stage.SHOW

    def __init__(self, echo: Callable[[str], None] = say):
        self.echo = echo

    def end(self, results: list[StudentResult], run: ClassRun) -> None:  # noqa: ARG002 (the Output plug-in interface)
        self.echo(json.dumps([r.to_dict() for r in results], indent=1))
