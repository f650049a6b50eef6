"""Progress: each result as it arrives, with how many of the run are done ("[3/40] ada: ...")."""
from __future__ import annotations

from collections.abc import Callable

from ..results.records import StudentResult
from ..results.summary import progress_line
from ..terminal import warn
from .base import ClassRun, Output, Stage

Notify = Callable[[StudentResult, int, int], None]   # (result, how many done, how many in the run)


def print_line(result: StudentResult, index: int, total: int) -> None:
    warn(progress_line(result, index, total))


class Progress(Output):
    name = "progress"
    stage = Stage.SHOW

    def __init__(self, notify: Notify | None = None):
        self.notify = notify or print_line
        self.done = 0

    def begin(self, run: ClassRun) -> None:  # noqa: ARG002 (the Output plug-in interface)
        self.done = 0

    def write(self, result: StudentResult, run: ClassRun) -> None:
        self.done += 1
        self.notify(result, self.done, len(run.students))
