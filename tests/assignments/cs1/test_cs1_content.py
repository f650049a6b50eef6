"""cs1's teaching content: what the notebooks state is true (issue 13).

These tests read the source notebooks and check their claims with the reference solutions; they
grade nothing, so they are fast. Demonstrations whose conclusions need training runs are checked in
``test_cs1_demonstrations.py``.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import nbformat
import pytest

import solutions.cs1.model_complexity as ref_b
from autograder.grading import discovery

PART_B = discovery.load("cs1").notebook("part_b_model_complexity.ipynb").source


def markdown(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")


def stated_count(n_in: int, width: int, depth: int, n_out: int) -> int:
    """The count the notebook states: (D-1) W^2 + (n_in + n_out + D) W + n_out."""
    return (depth - 1) * width ** 2 + (n_in + n_out + depth) * width + n_out


# --- parameter count (part B, step 2) ---------------------------------------------------------------

@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 2), (5, 4)])
def test_stated_parameter_count_equals_count_parameters_over_a_grid(n_in, n_out):
    for width, depth in itertools.product((1, 2, 3, 7, 16, 33), (1, 2, 3, 5, 8)):
        model = ref_b.build_mlp(n_in, width, depth, n_outputs=n_out)
        counted = ref_b.count_parameters(model)
        assert stated_count(n_in, width, depth, n_out) == counted, (n_in, width, depth, n_out)
        assert ref_b.expected_parameter_count(n_in, width, depth, n_out) == counted, (n_in, width, depth, n_out)


def test_notebook_states_the_exact_count_and_not_the_wrong_scaling():
    text = markdown(PART_B)
    assert r"N(W, D) = (D-1)\,W^2 + (n_{in} + n_{out} + D)\,W + n_{out}" in text
    for wrong in ("roughly quadruples", "roughly doubles it", "dominant term is the lecture's"):
        assert wrong not in text, f"part B still claims {wrong!r}"
    assert "D \\ge 2" in text and "linear* in $W$" in text


def growth(n_in, width, depth, n_out, *, width_factor=1, depth_factor=1):
    return (stated_count(n_in, width * width_factor, depth * depth_factor, n_out)
            / stated_count(n_in, width, depth, n_out))


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (2, 3)])
def test_growth_factors_the_notebook_states_hold_for_wide_networks(n_in, n_out):
    """"about 4 for doubling a large W at D >= 2, about 2 at D = 1; about 3 from D = 2 to 4, 7/3 from 4 to 8"."""
    for width in (200, 400, 1000):
        assert growth(n_in, width, 1, n_out, width_factor=2) == pytest.approx(2, rel=0.01)
        for depth in (2, 4, 8):
            assert growth(n_in, width, depth, n_out, width_factor=2) == pytest.approx(4, rel=0.03)
        assert growth(n_in, width, 2, n_out, depth_factor=2) == pytest.approx(3, rel=0.04)
        assert growth(n_in, width, 4, n_out, depth_factor=2) == pytest.approx(7 / 3, rel=0.02)
        # O(W^2 D): between W^2 D / 2 and W^2 D for D >= 2 and large W
        for depth in (2, 3, 5, 8):
            assert 0.5 <= stated_count(n_in, width, depth, n_out) / (width ** 2 * depth) <= 1.02
    # ... and the lecture's "doubling the depth roughly doubles it" is wrong for shallow networks
    assert growth(1, 200, 2, 1, depth_factor=2) > 2.9


# --- run times and the contract table ------------------------------------------------------------------

PART_A = discovery.load("cs1").notebook("part_a_forward_backward.ipynb").source


@pytest.mark.parametrize("path", [PART_A, PART_B], ids=["part_a", "part_b"])
def test_no_run_time_is_promised(path):
    """Run times depend on the machine (a run said "about a minute" for 2 s): the text states the work instead."""
    import re

    assert re.findall(r"\b(?:minutes?|seconds|hours?)\b|\b\d+(?:\.\d+)? ?s\b", markdown(path).lower()) == []


def test_part_a_contract_table_lists_every_function_it_grades():
    """The introduction's table names every function of the contract (worked_example was missing, issue 22)."""
    import tomllib

    contract = tomllib.loads((Path(__file__).parent / "harness.toml").read_text())["notebooks"][
        "part_a_forward_backward"]["contract"]
    intro = nbformat.read(PART_A, as_version=4).cells[0].source
    assert [name for name in contract if f"`{name}(" not in intro] == []
