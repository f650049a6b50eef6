"""`learnathon feedback-archive`: each student's HTML feedback (feedback/<student>/<assignment>/)
packed in the layout the platform's feedback upload accepts (see each platform module)."""
from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

from ..admin.course import open_course
from .base import Platform
from .collect import read_manifest


@dataclasses.dataclass
class FeedbackArchive:
    path: Path
    members: list[str]
    missing: list[str]          # students collected but without feedback (not graded yet?)


def feedback_archive(*, course_dir: Path, assignment: str, platform: Platform, out: Path) -> FeedbackArchive:
    course = open_course(course_dir)
    manifest = read_manifest(course, assignment, platform.name)
    members, missing = [], []
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for student, record in manifest["students"].items():
            found = False
            for notebook, upload in sorted(record["files"].items()):
                html = course.feedback_html(student, assignment, Path(notebook).stem)
                if not html.is_file():
                    continue
                found = True
                name = platform.feedback_member(upload["keys"], f"{Path(notebook).stem}.feedback.html")
                archive.write(html, name)
                members.append(name)
            if not found:
                missing.append(student)
    tmp.replace(out)
    return FeedbackArchive(out, members, missing)
