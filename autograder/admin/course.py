"""An nbgrader course directory that stock nbgrader commands work in unchanged."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from ..grading import discovery
from ..results.gradebook import ensure_tools_on_path

if TYPE_CHECKING:
    import traitlets.config
    from nbgrader.apps import NbGraderAPI

CONFIG_TEMPLATE = '''\
# nbgrader configuration written by `learnathon init`; stock nbgrader reads it unchanged.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# A course-local exchange, so release_assignment/collect work without /srv/nbgrader.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
# Student code runs only in learnathon's sandbox: autograde with `learnathon autograde`.
# Where the contents of release/ are published on the web (<url>/<assignment>/<file>): the first cell of
# every released notebook downloads missing files from there (Colab). Change it with
# `learnathon init . --course-url URL`, which also regenerates the student versions.
c.Learnathon.course_url = {course_url!r}
'''


class CourseError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Course:
    root: Path
    course_id: str
    course_url: str = ""

    def submitted(self, assignment: str) -> list[str]:
        base = self.root / "submitted"
        return sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir()) if base.is_dir() else []

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment

    def release_notebook(self, assignment: str, filename: str) -> Path:
        return self.root / "release" / assignment / filename

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment

    def feedback_html(self, student: str, assignment: str, notebook: str) -> Path:
        return self.feedback_dir(student, assignment) / f"{notebook}.html"

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment

    def autograded_notebook(self, student: str, assignment: str, notebook: str) -> Path:
        return self.autograded_dir(student, assignment) / f"{notebook}.ipynb"


def nbgrader_config(root: Path) -> traitlets.config.Config:
    from traitlets.config.loader import PyFileConfigLoader

    if not (root / "nbgrader_config.py").is_file():
        raise CourseError(f"{root} is not an nbgrader course directory (no nbgrader_config.py); "
                          "create one with `learnathon init DIR`")
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def open_course(root: Path) -> Course:
    root = Path(root).resolve()
    config = nbgrader_config(root)
    course_id = config.CourseDirectory.get("course_id", "") if "CourseDirectory" in config else ""
    course_url = config.Learnathon.get("course_url", "") if "Learnathon" in config else ""
    return Course(root, str(course_id or ""), str(course_url or ""))


def nbgrader_api(course: Course) -> NbGraderAPI:
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    ensure_tools_on_path()
    config = Config(nbgrader_config(course.root))
    config.CourseDirectory.root = str(course.root)
    config.Application.log_level = "WARN"
    return NbGraderAPI(config=config)


def check_course_url(url: str) -> str:
    """The course URL as the notebooks will use it; a usage error for anything but an http(s) address."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise CourseError(f"--course-url must be an http:// or https:// address (where release/ is published), "
                          f"not {url!r}")
    return url.rstrip("/")


def set_course_url(root: Path, url: str) -> None:
    """Write (or replace) the course URL line of the course's nbgrader_config.py."""
    import re

    config = root / "nbgrader_config.py"
    text = config.read_text()
    line = f"c.Learnathon.course_url = {url!r}"
    text, found = re.subn(r"^c\.Learnathon\.course_url = .*$", line, text, flags=re.M)
    config.write_text(text if found else text.rstrip("\n") + "\n" + line + "\n")


def init(root: Path, *, assignment_names: list[str] | None = None, course_id: str = "learnathon",
         course_url: str | None = None) -> Course:
    """Create (or refresh) a course: config, source/ with the assignments, gradebook, release/. A new
    course folder is made mode 700 (the instructor's only; an existing one keeps its mode).

    ``course_url``: where the instructor publishes release/ (kept in nbgrader_config.py; given once, later
    refreshes reuse it); the released notebooks' first cell downloads missing files from there.
    """
    from . import setup_cell

    url = check_course_url(course_url) if course_url else None
    root = Path(root).resolve()
    names = assignment_names or discovery.available()
    if root.exists() and any(root.iterdir()) and not (root / "nbgrader_config.py").exists():
        raise CourseError(f"{root} exists and is not empty; choose a new folder for the course")
    if not (root / "nbgrader_config.py").exists():
        # The instructor's alone (sources with solutions, submissions, the gradebook): no other user of
        # the machine reads it. Student code never could (the sandbox's root holds no course at all).
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)
    if not (root / "nbgrader_config.py").exists():
        (root / "nbgrader_config.py").write_text(CONFIG_TEMPLATE.format(course_id=course_id, course_url=url or ""))
    elif url is not None:
        set_course_url(root, url)
    course = open_course(root)
    for name in names:
        assignment = discovery.load(name)
        target = root / "source" / name
        target.mkdir(parents=True, exist_ok=True)
        for path in assignment.files:
            shutil.copy2(path, target / path.name)
        for part in assignment.notebooks:   # the setup cell gets the course's address
            nb = setup_cell.with_setup_cell(nbformat.read(part.source, as_version=4), name, list(assignment.files),
                                            course.course_url)
            nbformat.write(nb, target / part.source.name)
        result = nbgrader_api(course).generate_assignment(name, force=True)
        if not result["success"]:
            raise CourseError(f"nbgrader could not generate {name}: {result.get('error') or result.get('log')}")
    return course
