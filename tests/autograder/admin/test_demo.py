"""The demo's class is built from the assignments' own package data, never from the test tree."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.admin import demo
from autograder.grading import discovery

PROJECT = discovery.PROJECT_ROOT
PACKAGES = ("autograder", "assignments", "solutions", "quizzes")

# Run in a copy of the project without tests/: every demo student of every assignment, written into a
# course whose release folder holds the student versions; prints what each student handed in.
BUILD_CLASS = """
import json, sys
from pathlib import Path
import nbformat
import autograder
from autograder.admin import demo, fabricate
from autograder.grading import discovery

root = Path(sys.argv[1])
assert Path(autograder.__file__).is_relative_to(root), autograder.__file__   # the copy, not this checkout
built = {}
for name in discovery.available():
    release = root / "course" / "release" / name
    release.mkdir(parents=True)
    for nb in discovery.load(name).notebooks:
        nbformat.write(fabricate.student_version(nbformat.read(nb.source, as_version=4)), release / nb.filename)
    built[name] = demo.fabricate_class(root / "course", name)
print(json.dumps(built))
"""


def answers(folder: Path) -> dict[str, list[str]]:
    """The code of every notebook handed in, by file name."""
    return {path.name: [c["source"] for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
            for path in sorted(folder.glob("*.ipynb"))}


def test_a_checkout_without_tests_builds_every_demo_student_from_package_data(tmp_path):
    for package in PACKAGES:
        shutil.copytree(PROJECT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert not (tmp_path / "tests").exists()
    run = subprocess.run([sys.executable, "-c", BUILD_CLASS, str(tmp_path)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    built = json.loads(run.stdout.splitlines()[-1])
    assert sorted(built) == discovery.available()
    for name, kinds in built.items():
        submitted = tmp_path / "course" / "submitted"
        solved = answers(submitted / "ada" / name) if "ada" in kinds else None
        for student in ("cleo", "dev"):          # typical mistakes, named, and never the solution
            if student in kinds:
                assert kinds[student].startswith("mistakes: "), (name, student, kinds[student])
                assert solved is None or answers(submitted / student / name) != solved, (name, student)
        for student in ("gus", "hana"):          # a correct alternative: not the untouched student version
            if student in kinds:
                released = answers(tmp_path / "course" / "release" / name)
                assert answers(submitted / student / name) != released, (name, student)


@pytest.mark.usefixtures("registered_tiny")
def test_a_notebook_without_typical_mistakes_is_refused_not_handed_in_solved(tmp_path):
    assignment = discovery.load("tiny")
    assert not assignment.fixture_folder(assignment.notebooks[0].name).exists()
    build = demo.STUDENTS["cleo"][1]
    with pytest.raises(demo.DemoError, match="typical-mistake fixtures"):
        build(assignment.notebooks[0], tmp_path, tmp_path / "cleo.ipynb")
    assert not (tmp_path / "cleo.ipynb").exists()
    with pytest.raises(demo.DemoError, match="correct-alternative fixture"):
        demo.STUDENTS["gus"][1](assignment.notebooks[0], tmp_path, tmp_path / "gus.ipynb")
