"""cs2 beyond the shared harness: the data cell and the released files (test_harness.py checks
grading, fixtures, points and the contract from harness.toml)."""
from __future__ import annotations

import nbformat
import numpy as np

import solutions.cs2.surrogate as ref
from autograder.grading import discovery

ASSIGNMENT, PART = "cs2", "surrogate"
SOURCE = discovery.load(ASSIGNMENT).notebook(f"{PART}.ipynb").source


def notebook():
    return nbformat.read(SOURCE, as_version=4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_data_cell_builds_the_documented_data_set():
    """The read-only data cell: 1,000 Latin-hypercube points of the simulator with 1 % noise, seed 2024."""
    cells = {nbgrader(c).get("grade_id"): c.source for c in notebook().cells}
    namespace = {"vdv": ref.vandevusse, "INPUTS": list(ref.INPUTS), "OUTPUTS": list(ref.OUTPUTS)}
    exec(cells["data"], namespace)
    expected = ref.vandevusse.make_dataset(1000, seed=2024, noise=0.01)
    assert namespace["X"].shape == (1000, 4) and np.array_equal(namespace["X"], expected[list(ref.INPUTS)].to_numpy())
    assert np.array_equal(namespace["Y"], expected[list(ref.OUTPUTS)].to_numpy())


def test_released_files_are_the_simulator_only():
    """The sandbox and the students get vandevusse.py (importable next to the notebook), nothing hidden."""
    assignment = discovery.load(ASSIGNMENT)
    assert [p.name for p in assignment.notebook(f"{PART}.ipynb").files] == ["vandevusse.py"]


def test_check_gives_the_notebook_the_released_files_beside_it(tmp_path):
    """`learnathon check` runs the notebook with the released files of its folder (the simulator it imports),
    and with nothing else of that folder."""
    from autograder.grading.visible import released_files_beside

    for name in ("surrogate.ipynb", "vandevusse.py", "notes.txt", "boiling_points.csv.bak"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in released_files_beside(tmp_path / "surrogate.ipynb")] == ["vandevusse.py"]
