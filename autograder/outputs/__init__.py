"""Where a class run's results go: one module per output behind one interface (see base.py).

``autograde()`` selects the students, grades each, and hands every ``results.StudentResult`` to each
enabled output. An output is a subclass of ``base.Output`` with a registry ``name``, a ``stage`` and
up to three hooks, each optional:

    begin(run: ClassRun)                              before the first result
    write(result: StudentResult, run: ClassRun)       once per student, as results arrive
    end(results: list[StudentResult], run: ClassRun)  after the last one, all results in class order

``ClassRun`` carries the course (paths: ``course.root``, ``course.feedback_html(...)``, ...), the
assignment (``.name``, ``.notebooks``) and the selected students. The stage decides the order and
what ``write`` sees: RECORD outputs (gradebook, feedback) receive only results graded in this run
(``result.graded``), never skipped or NOT GRADED ones, so a grader failure cannot become a zero;
the MARK output (resume marker) runs after every RECORD output has the student; SHOW outputs
(progress, JSON, table) run last and receive every result. An exception in any hook stops the run
as an ``OutputError`` naming the output and the student; since that student is not marked, a rerun
grades them again.

A new output (a report store, Gradescope's results.json, an LMS grade CSV) is one module here with
one ``Output`` subclass, added to ``REGISTERED`` below, and to ``STANDARD`` if every class run
(``learnathon autograde``, ``demo``) should write it. Its constructor takes keyword arguments with
defaults only, so that ``create(name)`` builds it.
"""
from __future__ import annotations

from collections.abc import Iterable

from .base import ClassRun, Output, OutputError, Outputs, Stage
from .feedback import Feedback
from .gradebook import NbgraderGradebook
from .gradescope import GradescopeResults
from .json_results import JsonResults
from .marker import ResumeMarker
from .progress import Progress
from .results_store import ResultsStore
from .table import SummaryTable

REGISTERED: tuple[type[Output], ...] = (NbgraderGradebook, Feedback, ResultsStore, ResumeMarker, Progress, JsonResults,
                                        SummaryTable, GradescopeResults)
OUTPUTS: dict[str, type[Output]] = {output.name: output for output in REGISTERED}
# What every class run writes, whoever starts it; the instructor's displays are chosen by the caller.
STANDARD: tuple[str, ...] = ("gradebook", "feedback", "results-store", "marker")


def create(names: Iterable[str]) -> list[Output]:
    """New instances of the named outputs (each run needs its own: outputs may count or collect)."""
    names = list(names)
    unknown = [name for name in names if name not in OUTPUTS]
    if unknown:
        raise ValueError(f"unknown output {', '.join(map(repr, unknown))}; choose from {', '.join(OUTPUTS)}")
    return [OUTPUTS[name]() for name in names]


def standard_outputs() -> list[Output]:
    return create(STANDARD)


__all__ = ["OUTPUTS", "REGISTERED", "STANDARD", "ClassRun", "Feedback", "GradescopeResults", "JsonResults",
           "NbgraderGradebook", "Output", "OutputError", "Outputs", "Progress", "ResultsStore", "ResumeMarker", "Stage",
           "SummaryTable", "create", "standard_outputs"]
