"""Every released notebook runs where students work: a bare Python with only a Jupyter kernel (like Colab
without its preinstalled packages), opened alone, without the files nbgrader releases next to it.

The course is created with ``learnathon init --course-url http://127.0.0.1:PORT``, its release/ folder is
served by a local HTTP server on that port, and each released notebook, with the reference solutions
filled into its answer cells, runs top to bottom in a fresh virtual environment that holds only
ipykernel. The notebook's first cell must install the rest (``%pip``, from this machine's package
registries; torch pinned to the project's torch==2.13.0) and download its files. Run times are printed
(``pytest -s``) and recorded in the report of issue 13.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import venv

import nbformat
import pytest

import autograder.grading.discovery as registry
from autograder.admin import course, setup_cell

pytestmark = pytest.mark.e2e
TORCH_PIN = "torch==2.13.0"
NOTEBOOK_TIMEOUT = 1800          # seconds per cell: the first one installs torch, RDKit and the rest



class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def served_course(tmp_path_factory):
    """A course whose release/ is published on http://127.0.0.1:PORT (PORT chosen by the OS)."""
    root = tmp_path_factory.mktemp("anywhere") / "course"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root / "release"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    yield course.init(root, course_url=url)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def bare_kernel(tmp_path_factory):
    """A kernel named 'bare' running in a new virtual environment that holds only ipykernel."""
    base = tmp_path_factory.mktemp("bare")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "ipykernel"], check=True, timeout=1200)
    constraints = base / "constraints.txt"
    constraints.write_text(TORCH_PIN + "\n")
    spec_dir = base / "jupyter" / "kernels" / "bare"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bare Python", "language": "python",
        # %pip in the first cell resolves torch to the project's version (the wheel on this machine).
        "env": {"PIP_CONSTRAINT": str(constraints)},
    }))
    before = subprocess.run([str(python), "-c", "import importlib.util as u; "
                             "print([m for m in ('numpy', 'torch', 'rdkit', 'sklearn') if u.find_spec(m)])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert before == "[]", f"the bare environment already has {before}"
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(base / "jupyter") + (os.pathsep + old if old else "")
    yield "bare"
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


def with_reference_solutions(released, source):
    """The released notebook with each answer cell replaced by the instructor's solution (by grade_id)."""
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    filled = 0
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and cell.cell_type == "code":
            cell.source = solutions[grade_id]
            filled += 1
    assert filled, "no answer cell was filled in"
    return released


NOTEBOOKS = [(name, part.name) for name in ("cs1", "cs2", "cs3") for part in registry.load(name).notebooks]


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=[f"{a}-{n}" for a, n in NOTEBOOKS])
def test_released_notebook_runs_in_a_bare_python_without_its_files(served_course, bare_kernel, tmp_path,
                                                                   assignment, notebook):
    from nbclient import NotebookClient

    released_path = served_course.root / "release" / assignment / f"{notebook}.ipynb"
    released = nbformat.read(released_path, 4)
    first = released.cells[setup_cell.setup_index(released)]
    assert served_course.course_url in first.source
    spec = registry.load(assignment).notebook(f"{notebook}.ipynb")
    nb = with_reference_solutions(released, nbformat.read(spec.source, 4))
    folder = tmp_path / "student"          # the notebook alone, as when opened from a link
    folder.mkdir()
    started = time.monotonic()
    NotebookClient(nb, timeout=NOTEBOOK_TIMEOUT, kernel_name=bare_kernel,
                   resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.monotonic() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == [], [f"{e.ename}: {e.evalue}" for e in errors]
    printed = "".join(o.get("text", "") for o in first.outputs)
    for name in (f.name for f in spec.files if f.name in first.source):
        assert (folder / name).is_file() and f"downloaded {name}" in printed, name
    print(f"\n{assignment}/{notebook}: {seconds:.0f} s in a bare Python (setup cell "
          f"{setup_seconds(first):.0f} s)", file=sys.__stdout__)


def setup_seconds(cell) -> float:
    """How long the setup cell ran, from nbclient's execution timestamps."""
    from datetime import datetime

    timing = cell.metadata.get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return float("nan")
    return (end - start).total_seconds()
