"""The failures every stage can raise: a check failed, the student's code failed, the grader failed.

Nothing here knows the sandbox: the runner turns sandbox failures into ``GraderError``.
"""
from __future__ import annotations


class GradingFailure(AssertionError):
    """A check failed; the message is meant for the student."""
    mistake: str | None = None      # the id of the named mistake it recognised (testing.fail sets it)


class StudentCodeError(GradingFailure):
    """The student's code could not deliver a result (missing, raised, hung, crashed)."""


class GraderError(RuntimeError):
    """The grading machine failed (the sandbox did not start, ...): not the student's fault.
    Such a notebook is reported as not graded, never recorded as a zero."""
