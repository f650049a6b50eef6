"""Learning platforms (Moodle, Canvas): collect their submission downloads into an nbgrader course,
export grades in their import format, pack feedback in the layout their upload accepts.

One module per platform (a ``base.Platform`` subclass) in ``PLATFORMS``; the stages are
``collect`` (download -> submitted/), ``grades`` (gradebook -> import file) and ``feedback``
(feedback/ -> upload zip).
"""
from __future__ import annotations

from .base import GradeRow, Platform, Upload
from .canvas import Canvas
from .moodle import Moodle

PLATFORMS: dict[str, type[Platform]] = {p.name: p for p in (Moodle, Canvas)}


def platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]()
    except KeyError:
        raise ValueError(f"unknown platform {name!r}; choose from {', '.join(PLATFORMS)}") from None


__all__ = ["PLATFORMS", "GradeRow", "Platform", "Upload", "platform"]
