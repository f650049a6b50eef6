"""Reading a submission defensively, and planning its cells against the instructor's source."""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder.intake.notebook import SubmissionError, plan_cells, read_json_notebook
from tests.autograder import tiny_assignment as tiny


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.ipynb"
    nbformat.write(tiny.source_notebook(), path)
    return path


def write(tmp_path, content) -> Path:  # noqa: F821
    path = tmp_path / "tiny.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


@pytest.mark.parametrize("content, reason", [
    (b"", "empty (0 bytes)"),
    (b"{\"cells\": [", "truncated"),
    (b"{\"cells\": [] oops}", "not valid JSON"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8"),
    (b"[1, 2, 3]", "not a notebook"),
    (json.dumps({"nbformat": 5, "cells": []}).encode(), "unsupported notebook format version 5"),
    (json.dumps({"nbformat": 4, "cells": {"a": 1}}).encode(), "no list of cells"),
])
def test_unreadable_files_give_a_specific_reason(tmp_path, source, content, reason):
    with pytest.raises(SubmissionError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        plan_cells(write(tmp_path, content), source)


def test_a_missing_file_is_a_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="could not be opened"):
        read_json_notebook(tmp_path / "absent.ipynb")


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.77, 0.99])
def test_a_truncated_real_notebook_says_it_ends_too_early(tmp_path, source, fraction):
    data = source.read_bytes()
    with pytest.raises(SubmissionError, match="ends too early"):
        plan_cells(write(tmp_path, data[: int(len(data) * fraction)]), source)


def test_zero_cells_still_runs_the_locked_setup_and_nothing_else(tmp_path, source):
    cells = plan_cells(write(tmp_path, {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}), source)
    assert [c.grade_id for c in cells] == ["setup"]
    assert cells[0].source == tiny.SETUP


def test_nbformat_3_notebooks_are_read(tmp_path, source):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "hello"},
        {"cell_type": "code", "input": ["def relu(z):\n", "    return z\n"], "metadata": {}},
    ]}]}
    cells = plan_cells(write(tmp_path, v3), source)
    assert [c.source for c in cells] == [tiny.SETUP, "def relu(z):\n    return z\n"]


def answer_sources(cells):
    return [c.source for c in cells if c.grade_id not in ("setup",)]


def test_answers_are_taken_from_the_submission_and_markdown_is_ignored(tmp_path, source):
    path = tiny.submission(tmp_path / "tiny.ipynb", relu="def relu(z):\n    return z * 0\n")
    cells = plan_cells(path, source)
    assert [c.grade_id for c in cells] == ["setup", "relu", "relu_tests", "forward", "forward_tests"]
    assert cells[1].source == "def relu(z):\n    return z * 0\n"
    assert [c.index for c in cells] == list(range(len(cells)))


def test_locked_cells_get_the_source_text_back(tmp_path, source):
    def tamper(nb):
        tiny.cell_by_id(nb, "setup").source = "import numpy as np\nSCALE = 1000.0\n"
        tiny.cell_by_id(nb, "relu_tests").source = "pass  # tests removed\n"
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", edit=tamper), source)
    by_id = {c.grade_id: c for c in cells}
    assert by_id["setup"].source == tiny.SETUP
    assert by_id["relu_tests"].source == tiny.RELU_TESTS


def test_deleted_locked_cells_are_reinserted_in_the_sources_order(tmp_path, source):
    def delete_setup(nb):
        nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "setup"]
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", edit=delete_setup), source)
    assert cells[0].grade_id == "setup" and cells[0].source == tiny.SETUP
    assert cells[1].grade_id == "relu"


def test_roles_come_from_the_source_not_the_submissions_metadata(tmp_path, source):
    def relabel(nb):
        # The student claims its answer is a test cell, and tags its forward answer to be skipped...
        tiny.cell_by_id(nb, "relu").metadata["nbgrader"].update(grade=True, solution=False, points=100)
        tiny.cell_by_id(nb, "forward").metadata["tags"] = [tiny.SKIP_TAG]
        # ...and unmarks the visible tests and the slow demonstration.
        tiny.cell_by_id(nb, "forward_tests").metadata["nbgrader"].update(grade=False, solution=True)
        tiny.cell_by_id(nb, "demo").metadata.pop("tags")
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", edit=relabel), source)
    roles = {c.grade_id: c.role for c in cells}
    assert roles == {"setup": "code", "relu": "code", "relu_tests": "test", "forward": "code",
                     "forward_tests": "test"}
    assert "demo" not in roles   # skip-when-grading, as the source says


def test_skip_when_grading_is_only_honoured_from_the_source(tmp_path, source):
    skip_me = tiny.code_cell("SKIPPED = True\n", tags=(tiny.SKIP_TAG,))
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", extra_cells=[skip_me]), source)
    assert cells[-1].source == "SKIPPED = True\n" and cells[-1].role == "code"


def test_a_duplicated_cell_keeps_its_role_only_once(tmp_path, source):
    def duplicate(nb):
        import copy
        tests = tiny.cell_by_id(nb, "relu_tests")
        twin = copy.deepcopy(tests)
        twin.source = "print('my own code under a test id')\n"
        twin.id = "twin"
        nb.cells.insert(nb.cells.index(tests) + 1, twin)
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", edit=duplicate), source)
    assert [c.role for c in cells if c.grade_id == "relu_tests"] == ["test"]
    twin = [c for c in cells if "my own code" in c.source]
    assert len(twin) == 1 and twin[0].role == "code" and twin[0].grade_id is None


def test_a_test_cell_turned_into_markdown_is_not_run_and_changes_nothing(tmp_path, source):
    def to_markdown(nb):
        cell = tiny.cell_by_id(nb, "forward_tests")
        nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    cells = plan_cells(tiny.submission(tmp_path / "tiny.ipynb", edit=to_markdown), source)
    assert [c.grade_id for c in cells] == ["setup", "relu", "relu_tests", "forward"]


def test_garbage_inside_a_notebook_is_tolerated(tmp_path, source):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": "not a dict", "cells": [
        "a string instead of a cell",
        {"cell_type": "code", "source": 42, "metadata": []},
        {"cell_type": "code", "source": ["x = 1\n", 7, "y = 2\n"], "metadata": {"nbgrader": "oops"}},
    ]}
    cells = plan_cells(write(tmp_path, nb), source)
    assert [c.source for c in cells] == [tiny.SETUP, "", "x = 1\ny = 2\n"]


def test_a_copy_of_the_instructor_s_source_is_recognised_and_a_solved_copy_is_not(tmp_path, source):
    from autograder.admin.fabricate import solved
    from autograder.intake.notebook import instructor_copy_reason, parse_notebook, validated_notebook

    def reason(path):
        return instructor_copy_reason(validated_notebook(parse_notebook(path.read_bytes())))

    assert "instructor's source notebook" in reason(source)
    assert reason(solved(source, tmp_path / "solved.ipynb")) is None


@pytest.mark.parametrize("text, reason", [
    ('{"nbformat": 4, "cells": [], "x": ' + "9" * 5000 + "}", "digits"),
    ('{"nbformat": 4, "cells": [], "x": NaN}', "NaN"),
    ('{"nbformat": 4, "cells": [], "x": 1e999}', "out of range"),
    ('{"nbformat": 4, "cells": [], "x": ' + "[" * 100000 + "]" * 100000 + "}", "nested too deeply"),
    ('{"nbformat": "4", "cells": []}', "format version '4'"),
    ('{"nbformat": 3, "worksheets": {"cells": []}}', "worksheets"),
])
def test_json_a_notebook_writer_never_produces_is_refused_with_the_reason(tmp_path, source, text, reason):
    with pytest.raises(SubmissionError, match=reason):
        plan_cells(write(tmp_path, text.encode()), source)


def test_oversized_code_is_refused_before_it_reaches_the_channel(tmp_path, source):
    from autograder.intake.notebook import MAX_CELL_CODE_CHARS

    nb = {"nbformat": 4, "cells": [{"cell_type": "code", "source": "#" * (MAX_CELL_CODE_CHARS + 1), "metadata": {}}]}
    with pytest.raises(SubmissionError, match="MB of code"):
        plan_cells(write(tmp_path, nb), source)


@pytest.mark.parametrize("metadata", [[], "nbgrader", None, 7, {"nbgrader": [1]}, {"nbgrader": {"grade_id": 3}},
                                      {"tags": "learnathon:skip-when-grading"}, {"tags": 5}])
def test_metadata_of_the_wrong_type_makes_a_cell_the_student_s_own_code(tmp_path, source, metadata):
    path = tiny.submission(tmp_path / "tiny.ipynb")
    data = json.loads(path.read_text())
    for cell in data["cells"]:
        if "".join(cell["source"]) == tiny.RELU:
            cell["metadata"] = metadata
    path.write_text(json.dumps(data))
    cells = plan_cells(path, source)
    relu = [c for c in cells if c.source == tiny.RELU]
    assert len(relu) == 1 and relu[0].role == "code" and relu[0].grade_id is None
