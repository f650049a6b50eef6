"""Submission times that cannot be true: before the assignment was released, after it was collected.

``timestamp.txt`` is written on the student's side (``nbgrader submit`` runs as the student), so it is
the student's account. It is held against what the instructor's machine observed:

* the release: when nbgrader's exchange received the assignment (``release_assignment`` creates
  ``EXCHANGE/COURSE/outbound/ASSIGNMENT`` and sets its permissions: the folder's change time), or the
  time the instructor gives (``--released``);
* the collection: when the submission's ``timestamp.txt`` arrived in ``submitted/`` (its change time:
  a copy sets it, and a student cannot), or the time the instructor gives (``--collected``).

Submissions collected from a learning platform (``learnathon collect``) are left out: there the time
is the platform's upload time, written by ``collect``, not the student's.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

from ...intake.files import Folder, SubmissionError, read_timestamp

# Clocks of the exchange and the grading machine may differ a little; an honest time is never flagged for that.
TOLERANCE = dt.timedelta(minutes=5)


@dataclasses.dataclass(frozen=True)
class Moment:
    when: dt.datetime
    source: str                  # where the time comes from, for the flag and the report

    def to_dict(self) -> dict[str, Any]:
        return {"when": _show(self.when), "source": self.source}


def _show(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def changed_at(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(os.lstat(path).st_ctime, dt.UTC)
    except OSError:
        return None


def exchange_release(course_id: str, assignment: str, exchange_root: str | None) -> Moment | None:
    """When nbgrader's exchange received the release of ``assignment``, if it did."""
    if not exchange_root:
        return None
    outbound = Path(exchange_root) / course_id / "outbound" / assignment
    when = changed_at(outbound)
    return Moment(when, f"nbgrader's exchange received the release ({outbound.name} in outbound/)") if when else None


def submission_time(folder: Path) -> tuple[dt.datetime | None, str | None, dt.datetime | None]:
    """(the time timestamp.txt claims, why it has none, when the file arrived in ``submitted/``)."""
    try:
        with Folder.open(folder.parent.parent, folder.parent.name, folder.name) as opened:
            claimed, note = read_timestamp(opened)
            arrived = None
            if opened.has("timestamp.txt"):
                try:
                    arrived = dt.datetime.fromtimestamp(os.stat("timestamp.txt", dir_fd=opened.fd,
                                                                follow_symlinks=False).st_ctime, dt.UTC)
                except OSError:
                    arrived = None
            return claimed, note, arrived
    except SubmissionError as exc:
        return None, str(exc), None


def time_problem(claimed: dt.datetime | None, released: Moment | None, collected: Moment | None) -> str | None:
    """What is impossible about the claimed submission time, or None."""
    if claimed is None:
        return None
    claimed = _utc(claimed)
    if released is not None and claimed < _utc(released.when) - TOLERANCE:
        return (f"timestamp.txt says {_show(claimed)}, {_span(_utc(released.when) - claimed)} before the release "
                f"({_show(released.when)}: {released.source})")
    if collected is not None and claimed > _utc(collected.when) + TOLERANCE:
        return (f"timestamp.txt says {_show(claimed)}, {_span(claimed - _utc(collected.when))} after the collection "
                f"({_show(collected.when)}: {collected.source})")
    return None


def _span(delta: dt.timedelta) -> str:
    seconds = abs(delta.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} seconds"
