"""cs3 beyond the shared harness: the setup cell and the solution cells against the reference module,
and the families against the data (test_harness.py checks grading, fixtures, points and the contract)."""
from __future__ import annotations

import nbformat
import numpy as np

import solutions.cs3.qspr as ref
from autograder.grading import discovery

ASSIGNMENT, PART = "cs3", "qspr_boiling_points"
SOURCE = discovery.load(ASSIGNMENT).notebook(f"{PART}.ipynb").source


def notebook():
    return nbformat.read(SOURCE, as_version=4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def run_setup(namespace: dict) -> dict:
    """The setup cell without its data loading; it sets torch's thread count, which is restored."""
    import torch

    setup = next(c.source for c in notebook().cells if nbgrader(c).get("grade_id") == "setup")
    threads = torch.get_num_threads()
    try:
        exec(setup.split("data = pd.read_csv")[0], namespace)
    finally:
        torch.set_num_threads(threads)
    return namespace


def test_given_setup_matches_the_reference():
    """The read-only setup cell defines the same constants the hidden tests use."""
    namespace = run_setup({})
    assert namespace["DESCRIPTOR_NAMES"] == ref.DESCRIPTOR_NAMES
    assert namespace["FUNCTIONAL_GROUPS"] == ref.FUNCTIONAL_GROUPS
    assert namespace["FAMILIES"] == ref.FAMILIES
    net = namespace["BoilingPointNet"](3, 400.0, 50.0)
    reference = ref.make_network(3, 400.0, 50.0)
    assert [p.shape for p in net.parameters()] == [p.shape for p in reference.parameters()]


def test_notebook_solution_agrees_with_the_reference_module():
    """The solution cells and solutions/cs3/qspr.py compute the same things (spot checks)."""
    namespace = run_setup({})
    for cell in notebook().cells:
        if cell.cell_type == "code" and nbgrader(cell).get("solution"):
            exec(cell.source, namespace)
    smiles = ["CCO", "OC(=O)c1ccccc1", "not a molecule", "CC(C)=O", "c1ccncc1", "", "CCOC(C)=O", "ClCCl"]
    assert np.array_equal(namespace["compute_descriptors"](smiles), ref.compute_descriptors(smiles), equal_nan=True)
    assert [namespace["chemical_family"](s) for s in smiles] == [ref.chemical_family(s) for s in smiles]
    assert [namespace["murcko_scaffold"](s) for s in smiles] == [ref.murcko_scaffold(s) for s in smiles]
    groups = list("abcabcddeeffgghhiijj")
    assert [list(a) for a in namespace["split_by_group"](groups, 0.3, 4)] == \
           [list(a) for a in ref.split_by_group(groups, 0.3, 4)]
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(120, 6)), rng.normal(size=120)
    X[:, 2] += 0.7 * y
    data = (X[:80], y[:80], X[80:], y[80:])
    chosen, errors = namespace["forward_selection"](ref.least_squares_fit, *data, start=1, n_steps=3)
    expected_chosen, expected_errors = ref.forward_selection(ref.least_squares_fit, *data, start=1, n_steps=3)
    assert list(chosen) == expected_chosen and np.allclose(errors, expected_errors)
    assert np.allclose(namespace["drop_column_importance"](ref.least_squares_fit, *data),
                       ref.drop_column_importance(ref.least_squares_fit, *data))


def test_reference_families_cover_the_data():
    import csv

    with open(SOURCE.parent / "boiling_points.csv") as handle:
        smiles = [row["smiles"] for row in csv.DictReader(handle)][::10]
    families = {ref.chemical_family(s) for s in smiles}
    assert families <= set(ref.FAMILIES) and len(families) >= 12
