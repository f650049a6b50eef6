"""The first cell of every released notebook: it lets the notebook run wherever students work.

In Google Colab, on a plain JupyterHub or on a laptop, a released notebook may lack packages (Colab
has no RDKit) or the files released next to it (a notebook opened alone from a link has no
``vandevusse.py``, no CSV). The cell installs what is missing (``%pip install`` only for imports
that fail) and downloads missing files from the course's web address, where the instructor puts
the contents of nbgrader's ``release/`` folder (``COURSE_URL/<assignment>/<file>``). Where
everything is present (Jupyter next to the released files, the grader's sandbox) it does nothing.

One template for every notebook: ``render`` writes the cell, ``with_setup_cell`` puts it right after
the title and introduction, before every other code cell (replacing an older one), with its code
collapsed (JupyterLab's ``source_hidden``, Colab's form view with an ``@title``): the first screen of a
notebook is its title, and the setup is still the first cell to run. The source notebooks carry it with
an empty address, and ``learnathon init --course-url URL`` writes the course's address into the copies
nbgrader releases. The grader never runs it (it is tagged ``learnathon:skip-when-grading``): the
sandbox has the packages and the files, and no network.

``python -m autograder.admin.setup_cell`` refreshes every generated part of the source notebooks: this
cell and the points and markers of ``step_labels`` (project tests check both are current).
"""
from __future__ import annotations

import ast
import copy
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from ..intake.notebook import SKIP_TAG

GRADE_ID = "learnathon_setup"
# Import names whose package on PyPI has another name.
PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml"}
# Modules a notebook may import that come with Jupyter itself, never to be installed by the cell.
PROVIDED_BY_JUPYTER = {"IPython", "ipykernel", "ipywidgets"}

TEMPLATE = '''\
# @title Setup: run me first (do not change me)
# Where everything is installed and the course files lie next to this notebook (your course's
# JupyterHub, a laptop set up for the course) this cell does nothing.
# Elsewhere (e.g. Google Colab) it installs the missing packages and downloads the course files.
import importlib.util
import pathlib
import urllib.request

# Where the course's files are published (the instructor sets it: learnathon init --course-url URL).
COURSE_URL = {course_url!r}
# What this notebook needs: packages (import name: pip name) and the files released next to it.
PACKAGES = {packages!r}
FILES = {files!r}

missing = [package for module, package in PACKAGES.items() if importlib.util.find_spec(module) is None]
if missing:
    %pip install --quiet {{" ".join(missing)}}
for name in FILES:
    if not pathlib.Path(name).exists():
        if not COURSE_URL:
            raise FileNotFoundError(f"{{name}} is missing: download it from your course page and put it next to "
                                    "this notebook (in Colab: the folder icon on the left, then upload)")
        urllib.request.urlretrieve(f"{{COURSE_URL.rstrip('/')}}/{assignment}/{{name}}", name)
        print(f"downloaded {{name}}")
'''


def render(assignment: str, packages: dict[str, str], files: list[str], course_url: str = "") -> str:
    """The setup cell's source for one notebook."""
    return TEMPLATE.format(assignment=assignment, packages=dict(packages), files=list(files), course_url=course_url)


def top_level_imports(code: str) -> list[str]:
    """Top-level module names imported by ``code`` (in order of first appearance; magics ignored)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(code))
    except SyntaxError:
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


def third_party_packages(codes: list[str], local_modules: set[str]) -> dict[str, str]:
    """{import name: pip name} for the modules ``codes`` import that neither Python nor the released
    files provide."""
    skip = set(sys.stdlib_module_names) | PROVIDED_BY_JUPYTER | local_modules | {"__future__"}
    modules = [m for code in codes for m in top_level_imports(code) if m not in skip]
    return {m: PIP_NAMES.get(m, m) for m in dict.fromkeys(modules)}


def packages_of(codes: list[str]) -> set[str]:
    return {m for code in codes for m in top_level_imports(code)}


def is_setup_cell(cell: Mapping[str, Any]) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == GRADE_ID)


def setup_cell_for(nb: nbformat.NotebookNode, assignment: str, files: list[Path],
                   course_url: str = "") -> nbformat.NotebookNode:
    """The setup cell (an nbformat cell) for notebook ``nb`` of ``assignment``, released with ``files``."""
    codes = [c.source for c in nb.cells if c.cell_type == "code" and not is_setup_cell(c)]
    codes += [f.read_text() for f in files if f.suffix == ".py"]
    packages = third_party_packages(codes, {f.stem for f in files if f.suffix == ".py"})
    text = "\n".join(codes)
    # Only the files the notebook reads or imports (a data card, say, is for reading on the course page).
    needed = [f.name for f in files if f.name in text or (f.suffix == ".py" and f.stem in packages_of(codes))]
    cell: nbformat.NotebookNode = nbformat.v4.new_code_cell(render(assignment, packages, needed, course_url))
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": GRADE_ID, "locked": True, "schema_version": 3,
                                 "solution": False, "task": False}
    cell.metadata["tags"] = [SKIP_TAG]
    # Collapsed where students work: JupyterLab/Notebook 7 hide the source, Colab shows the @title form.
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata["cellView"] = "form"
    return cell


def with_setup_cell(nb: nbformat.NotebookNode, assignment: str, files: list[Path],
                    course_url: str = "") -> nbformat.NotebookNode:
    """A copy of ``nb`` with its setup cell right before its first other code cell, i.e. after the title
    and introduction (an existing setup cell is replaced, keeping its id)."""
    nb = copy.deepcopy(nb)
    cell = setup_cell_for(nb, assignment, files, course_url)
    old = [c for c in nb.cells if is_setup_cell(c)]
    if old:
        cell["id"] = old[0].get("id", cell.get("id"))
    nb.cells = [c for c in nb.cells if not is_setup_cell(c)]
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, cell)
    return nb


def setup_index(nb: nbformat.NotebookNode) -> int:
    """Where a notebook's setup cell is (``ValueError`` if it has none)."""
    for index, cell in enumerate(nb.cells):
        if is_setup_cell(cell):
            return index
    raise ValueError("the notebook has no setup cell")


def refresh_sources() -> list[Path]:
    """Rewrite the generated parts (setup cell, step labels) of every registered assignment's source
    notebook; return those changed."""
    from ..grading import discovery as registry
    from ..grading.runner import points_by_cell
    from . import step_labels

    changed = []
    for name in registry.available():
        spec = registry.load(name)
        for part in spec.notebooks:
            nb = nbformat.read(part.source, as_version=4)
            updated = with_setup_cell(nb, name, list(spec.files))
            updated = step_labels.labelled(updated, points_by_cell(part))
            if updated != nb:
                nbformat.write(updated, part.source)
                changed.append(part.source)
    return changed


if __name__ == "__main__":
    from ..terminal import say

    for path in refresh_sources():
        say(f"updated {path}")
