"""cs3's hidden inputs leave margins for every correct solution and none for the mistakes they catch.

The hidden test module's own input generators are used (NotebookSpec.tests_module()), over many draws of
the grader's rng, with the reference and with other correct orders and key spellings the text allows.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

import solutions.cs3.qspr as ref
from autograder.grading import discovery

SPEC = discovery.load("cs3").notebook("qspr_boiling_points.ipynb")
DRAWS = 30
scaffold = functools.lru_cache(maxsize=None)(ref.murcko_scaffold)
canonical = functools.lru_cache(maxsize=None)(ref.canonical_smiles)


@pytest.fixture(scope="module")
def hidden():
    return SPEC.tests_module()


def first_appearance_split(groups, test_fraction=0.2, seed=0):
    """split_by_group as the text allows it too: distinct groups in order of first appearance, then shuffled."""
    keys = list(groups)
    distinct = list(dict.fromkeys(keys))
    test = []
    for j in np.random.default_rng(seed).permutation(len(distinct)):
        if len(test) >= test_fraction * len(keys):
            break
        test += [i for i, key in enumerate(keys) if key == distinct[j]]
    return np.setdiff1d(np.arange(len(keys)), test), np.array(sorted(test))


def scaffold_keys(smiles, ring_key):
    return [ring_key(scaffold(s)) if scaffold(s) else f"mol {canonical(s)}" for s in smiles]


def rings_on_one_side(smiles, train, test) -> bool:
    ring = {i for i, s in enumerate(smiles) if scaffold(s)}
    return ring <= set(np.asarray(train).tolist()) or ring <= set(np.asarray(test).tolist())


def test_a_scaffold_split_puts_ring_molecules_on_both_sides_for_every_draw(hidden):
    """Correct scaffold splits (two group orders, two key spellings, seed 2 as in the test) never put every
    ring molecule on one side; the key that drops the scaffold itself always does."""
    rng = np.random.default_rng(20260101)
    for _ in range(DRAWS):
        smiles = hidden.scaffold_split_inputs(rng)
        for split in (ref.split_by_group, first_appearance_split):
            for ring_key in (lambda key: f"scaffold:{key}", lambda key: key):
                train, test = split(scaffold_keys(smiles, ring_key), 0.2, 2)
                assert not rings_on_one_side(smiles, train, test)
        train, test = ref.split_by_group(scaffold_keys(smiles, lambda key: "scaffold: "), 0.2, 2)
        assert rings_on_one_side(smiles, train, test)
