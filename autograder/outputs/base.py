"""What every output shares: the ``Output`` interface, its ``Stage``, the ``ClassRun`` it is told about,
``OutputError``, and ``Outputs``, which calls the enabled outputs of one run in stage order."""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ..results.records import StudentResult

if TYPE_CHECKING:
    from ..admin.course import Course
    from ..grading.discovery import Assignment


@dataclasses.dataclass(frozen=True)
class ClassRun:
    """What an output may need besides a student's result: the course, the assignment, who is in the run."""
    course: Course
    assignment: Assignment
    students: tuple[str, ...]      # every selected student, in class order (skipped ones too)


class Stage(enum.IntEnum):
    """When an output is called for a student, and which results it sees."""
    RECORD = 1   # stores a graded result (gradebook, feedback files); sees graded results only
    MARK = 2     # the resume marker: written only once every RECORD output has the student
    SHOW = 3     # tells the instructor (progress line, JSON, table); sees every result


class Output:
    """One destination of a class run's results. Override any of the three hooks; each does nothing by default.

    ``write`` is called once per student as results arrive (in completion order, not class order);
    RECORD and MARK outputs only ever receive graded results (``result.graded``), so a grader failure
    can never become a zero in them; SHOW outputs also receive skipped and NOT GRADED results.
    ``end`` receives every result of the run in class order. Constructors take keyword arguments
    with defaults only, so that ``autograder.outputs.create(name)`` can build every registered output.
    """
    name: ClassVar[str] = ""
    stage: ClassVar[Stage] = Stage.RECORD

    def begin(self, run: ClassRun) -> None:
        """Before the first result (also before skipped ones)."""

    def write(self, result: StudentResult, run: ClassRun) -> None:
        """One student's result."""

    def end(self, results: list[StudentResult], run: ClassRun) -> None:
        """After the last result, with all of them in class order."""


class OutputError(RuntimeError):
    """An output could not write; the run stopped there (message: which output, which student, why)."""


class Outputs:
    """The enabled outputs of one class run, called in stage order (stable within a stage)."""

    def __init__(self, outputs: Iterable[Output], run: ClassRun):
        self.outputs = sorted(outputs, key=lambda output: output.stage)
        self.run = run

    def begin(self) -> None:
        for output in self.outputs:
            self._call(output, "at the start of the run", output.begin, self.run)

    def write(self, result: StudentResult) -> None:
        for output in self.outputs:
            if result.graded or output.stage is Stage.SHOW:
                self._call(output, f"for student {result.student!r}", output.write, result, self.run)

    def end(self, results: list[StudentResult]) -> None:
        for output in self.outputs:
            self._call(output, "at the end of the run", output.end, results, self.run)

    @staticmethod
    def _call(output: Output, where: str, hook: Callable[..., object], *args: object) -> None:
        try:
            hook(*args)
        except Exception as exc:
            # Stopping is the safe choice: the resume marker is written only after every RECORD output
            # succeeded, so whatever this output missed is regraded by the rerun.
            raise OutputError(
                f"output {output.name or type(output).__name__!r} failed {where}: {type(exc).__name__}: {exc}. "
                "The run stopped; fix the cause and rerun: students already marked as graded are skipped, "
                "the others are graded again.") from exc


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write via a temporary file and rename, so a killed run never leaves half a file (text as UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    tmp.replace(path)
