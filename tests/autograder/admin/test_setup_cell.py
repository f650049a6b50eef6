"""The setup cell that lets released notebooks run anywhere (Colab, a plain JupyterHub, a laptop).

The cell is executed here in a real IPython shell, with the ``%pip`` magic recorded instead of run and
the course files served by a local HTTP server on 127.0.0.1. The whole round trip (a fresh virtual
environment, every released notebook) is the e2e test tests/e2e/test_run_anywhere.py.
"""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import nbformat
import pytest

import autograder.grading.discovery as registry
from autograder.admin import course, setup_cell


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):
        pass


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell working in an empty folder, whose %pip only records its arguments."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(tmp_path)
    ipython = InteractiveShell.instance()
    calls: list[str] = []
    ipython.register_magic_function(lambda line="": calls.append(line), "line", "pip")
    yield ipython, calls
    InteractiveShell.clear_instance()


@pytest.fixture
def course_server(tmp_path_factory):
    """A course's published release/ folder on http://127.0.0.1:PORT, with cs9/data.csv in it."""
    root = tmp_path_factory.mktemp("published")
    (root / "cs9").mkdir()
    (root / "cs9" / "data.csv").write_text("x,y\n1,2\n")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run(shell, source: str):
    result = shell.run_cell(source)
    return result.error_in_exec or result.error_before_exec


def test_the_cell_does_nothing_where_packages_and_files_are_present(shell, tmp_path):
    ipython, pip_calls = shell
    (tmp_path / "data.csv").write_text("mine")
    source = setup_cell.render("cs9", {"numpy": "numpy", "json": "json"}, ["data.csv"], "http://127.0.0.1:9/nowhere")
    assert run(ipython, source) is None
    assert pip_calls == []
    assert (tmp_path / "data.csv").read_text() == "mine"


def test_the_cell_installs_only_missing_packages_and_downloads_missing_files(shell, tmp_path, course_server):
    ipython, pip_calls = shell
    packages = {"numpy": "numpy", "surely_not_installed_here": "some-package", "sklearn_nowhere": "scikit-nowhere"}
    assert run(ipython, setup_cell.render("cs9", packages, ["data.csv"], course_server + "/")) is None
    assert pip_calls == ["install --quiet some-package scikit-nowhere"]
    assert (tmp_path / "data.csv").read_text() == "x,y\n1,2\n"


def test_without_a_course_url_a_missing_file_says_what_to_do(shell):
    ipython, _ = shell
    error = run(ipython, setup_cell.render("cs9", {}, ["data.csv"], ""))
    assert isinstance(error, FileNotFoundError) and "data.csv is missing" in str(error)


def test_packages_are_what_the_notebook_and_its_helper_modules_import():
    cs2 = registry.load("cs2")
    cell = setup_cell.setup_cell_for(nbformat.read(cs2.notebooks[0].source, 4), "cs2", list(cs2.files))
    namespace: dict = {}
    exec(cell.source.split("missing = ")[0], namespace)   # the settings part only
    assert namespace["FILES"] == ["vandevusse.py"]
    assert {"numpy", "torch", "sklearn", "scipy", "pandas", "matplotlib"} <= set(namespace["PACKAGES"])
    assert namespace["PACKAGES"]["sklearn"] == "scikit-learn"
    assert "vandevusse" not in namespace["PACKAGES"] and "copy" not in namespace["PACKAGES"]
    cs3 = registry.load("cs3")
    cell = setup_cell.setup_cell_for(nbformat.read(cs3.notebooks[0].source, 4), "cs3", list(cs3.files))
    exec(cell.source.split("missing = ")[0], namespace)
    assert namespace["FILES"] == ["boiling_points.csv"] and namespace["PACKAGES"]["rdkit"] == "rdkit"


@pytest.mark.parametrize("name", registry.available())
def test_every_source_notebook_has_its_current_setup_cell_after_its_title(name):
    """One template for all notebooks: refresh them with `python -m autograder.admin.setup_cell`.
    The first screen is the title and introduction; the setup cell, collapsed, is the first code cell."""
    spec = registry.load(name)
    for part in spec.notebooks:
        nb = nbformat.read(part.source, 4)
        expected = setup_cell.setup_cell_for(nb, name, list(spec.files))
        index = setup_cell.setup_index(nb)
        cell = nb.cells[index]
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), part.source.name
        assert all(c.cell_type == "markdown" for c in nb.cells[:index]), \
            f"{part.source.name}: the setup cell must run first; run `python -m autograder.admin.setup_cell`"
        assert cell.source == expected.source and cell.metadata == expected.metadata, \
            f"{part.source.name}: the setup cell is out of date; run `python -m autograder.admin.setup_cell`"
        assert cell.metadata["jupyter"]["source_hidden"] and cell.metadata["cellView"] == "form"
        assert cell.source.startswith("# @title ")


def test_the_setup_cell_moves_below_the_title_and_replaces_an_old_one():
    nb = nbformat.v4.new_notebook()
    old = setup_cell.setup_cell_for(nb, "cs9", [])
    old.source, old["id"] = "# an outdated setup cell", "keepme"
    nb.cells = [old, nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell("intro"),
                nbformat.v4.new_code_cell("import numpy as np")]
    updated = setup_cell.with_setup_cell(nb, "cs9", [])
    assert [c.cell_type for c in updated.cells] == ["markdown", "markdown", "code", "code"]
    assert setup_cell.setup_index(updated) == 2 and updated.cells[2]["id"] == "keepme"
    assert updated.cells[2].source.startswith("# @title Setup") and updated.cells[3].source == "import numpy as np"
    assert setup_cell.with_setup_cell(updated, "cs9", []) == updated
    with pytest.raises(ValueError, match="no setup cell"):
        setup_cell.setup_index(nbformat.v4.new_notebook())


def test_the_grader_never_runs_the_setup_cell():
    from autograder.intake.notebook import plan_cells

    source = registry.load("cs2").notebooks[0].source
    planned = plan_cells(source, source)
    assert setup_cell.GRADE_ID not in [cell.grade_id for cell in planned]


@pytest.mark.usefixtures("module_registered_tiny")
def test_init_carries_the_course_url_into_the_released_notebooks(tmp_path):
    root = tmp_path / "course"
    created = course.init(root, course_id="tinycourse", course_url="https://example.org/nn-course/")
    assert created.course_url == "https://example.org/nn-course"
    assert "c.Learnathon.course_url = 'https://example.org/nn-course'" in (root / "nbgrader_config.py").read_text()

    def first_cell():
        nb = nbformat.read(root / "release" / "tiny" / "tiny.ipynb", 4)
        return nb.cells[setup_cell.setup_index(nb)].source

    assert "COURSE_URL = 'https://example.org/nn-course'" in first_cell()
    assert "/tiny/{name}" in first_cell()
    course.init(root)                                       # a refresh keeps the address
    assert "COURSE_URL = 'https://example.org/nn-course'" in first_cell()
    course.init(root, course_url="http://127.0.0.1:8000")    # and a new one replaces it
    assert "COURSE_URL = 'http://127.0.0.1:8000'" in first_cell()
    assert (root / "nbgrader_config.py").read_text().count("c.Learnathon.course_url") == 1


@pytest.mark.parametrize("url", ["ftp://example.org/x", "example.org/course", "file:///srv/course"])
@pytest.mark.usefixtures("module_registered_tiny")
def test_init_refuses_a_course_url_that_is_not_http(tmp_path, url):
    with pytest.raises(course.CourseError, match="http"):
        course.init(tmp_path / "course", course_url=url)


@pytest.mark.usefixtures("module_registered_tiny")
def test_release_notebooks_without_a_course_url_still_get_the_cell(tmp_path):
    root = tmp_path / "course"
    course.init(root)
    nb = nbformat.read(root / "release" / "tiny" / "tiny.ipynb", 4)
    cell = nb.cells[setup_cell.setup_index(nb)]
    assert setup_cell.is_setup_cell(cell) and "COURSE_URL = ''" in cell.source
    assert Path(root / "release" / "tiny" / "tiny.ipynb").is_file()
