"""Unit tests of the cs1 part B reference solution (the hidden tests trust it)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import solutions.cs1.model_complexity as ref
from autograder.grading.testing import assignment_probes

probes = assignment_probes(Path(__file__).parents[3] / "autograder" / "hidden" / "cs1")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread is fastest and does not fight other test processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_problem(seed=0, n_train=20, n_val=8):
    x, y = ref.make_data(n_train + n_val, seed=seed)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


# --- data ------------------------------------------------------------------------------------------

def test_make_data_is_the_lecture_example():
    x, y = ref.make_data(500, seed=3)
    assert x.shape == y.shape == (500, 1)
    assert 0 <= x.min() and x.max() <= 1
    residual = y - ref.true_function(x)
    assert abs(residual.std() - ref.NOISE) < 0.01 and abs(residual.mean()) < 0.02
    assert np.array_equal(ref.make_data(500, seed=3)[1], y) and not np.array_equal(ref.make_data(500, seed=4)[1], y)
    assert np.isclose(ref.true_function(0.125), 0.5 * np.sin(np.pi / 2) + 0.2 * np.sin(1.5 * np.pi))


# --- architecture ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n_in, width, depth, n_out", [(1, 5, 1, 1), (1, 50, 2, 1), (3, 7, 4, 2), (2, 200, 3, 5)])
def test_parameter_count_formula_matches_torch(n_in, width, depth, n_out):
    model = ref.build_mlp(n_in, width, depth, n_outputs=n_out)
    assert ref.count_parameters(model) == ref.expected_parameter_count(n_in, width, depth, n_out)
    assert ref.count_parameters(model) == sum(p.numel() for p in model.parameters())


def test_parameter_count_grows_like_w_squared_d():
    big = ref.expected_parameter_count(1, 1000, 4)
    assert 0.7 < big / (1000 ** 2 * 3) < 1.01   # (D - 1) hidden-to-hidden layers dominate


@pytest.mark.parametrize("activation, module", [("tanh", nn.Tanh), ("relu", nn.ReLU), ("sigmoid", nn.Sigmoid)])
def test_build_mlp_structure(activation, module):
    model = ref.build_mlp(2, 6, 3, activation=activation, n_outputs=2)
    kinds = [type(layer) for layer in model]
    assert kinds == [nn.Linear, module] * 3 + [nn.Linear]        # no activation after the output
    assert [tuple(m.weight.shape) for m in model if isinstance(m, nn.Linear)] == [(6, 2), (6, 6), (6, 6), (2, 6)]
    with pytest.raises(ValueError):
        ref.build_mlp(1, 3, 1, activation="softsign")


# --- training --------------------------------------------------------------------------------------

def test_train_full_batch_learns_and_records_both_curves():
    x_tr = np.linspace(0, 1, 20).reshape(-1, 1)
    y_tr, x_va = np.sin(3 * x_tr), x_tr[::4] + 0.02
    y_va = np.sin(3 * x_va)
    torch.manual_seed(0)
    model = ref.build_mlp(1, 10, 1)
    history = ref.train(model, x_tr, y_tr, x_va, y_va, epochs=150, lr=0.02)
    assert len(history["train"]) == len(history["val"]) == 150
    assert history["train"][-1] < 0.5 * history["train"][0]
    xt, yt = ref.as_tensor(x_tr), ref.as_tensor(y_tr)
    assert np.isclose(history["train"][-1], ref.mse(model, xt, yt))          # measured after the update


def test_train_never_lets_validation_data_change_the_weights():
    x_tr, y_tr, x_va, y_va = tiny_problem()
    weights = []
    for shift in (0.0, 100.0):
        torch.manual_seed(1)
        model = ref.build_mlp(1, 8, 2)
        ref.train(model, x_tr, y_tr, x_va + shift, y_va - shift, epochs=20, lr=0.01, batch_size=6, seed=2)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])


def test_train_mini_batches_reshuffle_and_cover_every_row():
    x_tr, y_tr, x_va, y_va = tiny_problem(n_train=22)
    rng = np.random.default_rng(0)
    model = probes.recording_mlp([rng.normal(size=(4, 1)), rng.normal(size=(1, 4))], [np.zeros(4), np.zeros(1)])
    ref.train(model, x_tr, y_tr, x_va, y_va, epochs=3, lr=0.01, batch_size=8, seed=5)
    steps = [c for c in model.calls if c["backward"]]
    assert [len(c["rows"]) for c in steps] == [8, 8, 6] * 3
    assert not any(c["stale"] for c in steps)                        # zero_grad before every backward
    epochs = [np.sort(np.concatenate([c["rows"] for c in steps[i:i + 3]])) for i in (0, 3, 6)]
    assert all(np.array_equal(e, np.sort(x_tr[:, 0].astype(np.float32))) for e in epochs)
    assert not np.array_equal(steps[0]["rows"], steps[3]["rows"])       # reshuffled each epoch


def test_train_is_reproducible_under_a_seed():
    x_tr, y_tr, x_va, y_va = tiny_problem()
    runs = []
    for seed in (3, 3, 4):
        torch.manual_seed(0)
        runs.append(ref.train(ref.build_mlp(1, 6, 1), x_tr, y_tr, x_va, y_va, epochs=5, batch_size=4, seed=seed))
    assert runs[0] == runs[1] and runs[0] != runs[2]


# --- splitting and scaling -------------------------------------------------------------------------

@pytest.mark.parametrize("n", [7, 20, 99, 100, 101, 333])
@pytest.mark.parametrize("fractions", [(0.7, 0.15, 0.15), (0.6, 0.2, 0.2), (0.5, 0.25, 0.25)])
def test_split_is_a_complete_disjoint_partition_with_the_right_sizes(n, fractions):
    parts = ref.split_indices(n, fractions, seed=n)
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))
    for part, fraction in zip(parts, fractions):
        assert part.dtype.kind == "i" and abs(len(part) - fraction * n) <= 1
    assert all(np.array_equal(a, b) for a, b in zip(parts, ref.split_indices(n, fractions, seed=n)))


def test_split_depends_on_the_seed_and_shuffles():
    first, other = ref.split_indices(100, seed=0), ref.split_indices(100, seed=1)
    assert not np.array_equal(first[0], other[0])
    assert set(first[0].tolist()) != set(range(70))


def test_train_test_split_needs_integer_sizes_as_the_notebook_says():
    """With fractions, two train_test_split calls round up twice (the notebook warns about it);
    with the sizes as integers they give exactly the contract's sizes."""
    from sklearn.model_selection import train_test_split

    rest, test = train_test_split(np.arange(15), test_size=0.15, random_state=0)
    train_part, val = train_test_split(rest, test_size=0.15 / 0.85, random_state=0)
    assert abs(len(train_part) - 0.7 * 15) > 1
    for n in range(10, 400):
        sizes = ref.split_sizes(n)
        rest, test = train_test_split(np.arange(n), test_size=sizes[2], random_state=0)
        train_part, val = train_test_split(rest, test_size=sizes[1], random_state=0)
        assert (len(train_part), len(val), len(test)) == sizes


def test_split_rejects_fractions_that_do_not_add_up():
    with pytest.raises(ValueError):
        ref.split_indices(10, (0.5, 0.2, 0.2))


def test_scaling_uses_the_training_rows_only():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    x[20:] += 50.0                      # far-away rows outside the training part
    before = x.copy()
    scaled, scaler = ref.scale_inputs(x, np.arange(20))
    assert np.allclose(scaled[:20].mean(axis=0), 0) and np.allclose(scaled[:20].std(axis=0), 1)
    assert scaled[20:].mean() > 10
    assert np.allclose(scaler.mean_, x[:20].mean(axis=0))
    assert np.array_equal(x, before)


# --- cross-validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("n, k", [(10, 3), (6, 6), (101, 10), (50, 2)])
def test_kfold_validation_folds_partition_the_rows(n, k):
    folds = ref.kfold_indices(n, k, seed=1)
    assert len(folds) == k
    validated = np.concatenate([va for _, va in folds])
    assert sorted(validated.tolist()) == list(range(n))
    assert max(map(len, (va for _, va in folds))) - min(map(len, (va for _, va in folds))) <= 1
    for tr, va in folds:
        assert sorted(np.concatenate([tr, va]).tolist()) == list(range(n))
    with pytest.raises(ValueError):
        ref.kfold_indices(3, 4)


def test_cross_val_score_averages_validation_scores():
    x = np.arange(6.0).reshape(-1, 1)
    y = np.arange(1.0, 7.0).reshape(-1, 1)
    folds = [(np.array([0, 1, 2, 3]), np.array([4, 5])), (np.array([1, 2, 3, 4, 5]), np.array([0]))]
    score = ref.cross_val_score(lambda xt, yt, xv, yv: float(np.mean((yv - yt.mean()) ** 2)), x, y, folds)
    assert np.isclose(score, (9.25 + 9.0) / 2)
    line = probes.linear_fit_score()
    assert np.isclose(ref.cross_val_score(line, x, 2 * x + 1, ref.kfold_indices(6, 3)), 0.0, atol=1e-20)


# --- sweep and selection -----------------------------------------------------------------------------

def test_sweep_records_every_model_in_order():
    x_tr, y_tr, x_va, y_va = tiny_problem()
    records = ref.sweep_complexity(x_tr, y_tr, x_va, y_va, widths=[2, 3], depths=[1, 2], epochs=3)
    assert [(r["width"], r["depth"]) for r in records] == [(2, 1), (2, 2), (3, 1), (3, 2)]
    for r in records:
        assert r["n_params"] == ref.expected_parameter_count(1, r["width"], r["depth"])
        assert r["val_loss"] == r["history"]["val"][-1] and r["train_loss"] == r["history"]["train"][-1]


def row(width, depth, val, n_params=None, **extra):
    return {"width": width, "depth": depth, "n_params": n_params or ref.expected_parameter_count(1, width, depth),
            "train_loss": 0.001, "val_loss": val, **extra}


def test_select_complexity_takes_the_smallest_model_near_the_best():
    table = [row(5, 1, 0.06), row(50, 1, 0.0205), row(50, 2, 0.02), row(200, 4, 0.019)]
    assert ref.select_complexity(table) == (50, 1)                    # 0.0205 <= 1.1 * 0.019
    assert ref.select_complexity(table, rel_tol=0.0) == (200, 4)
    assert ref.select_complexity(table, rel_tol=0.06) == (50, 2)                   # 0.02 <= 1.06 * 0.019
    assert ref.select_complexity(table, rel_tol=10.0) == (5, 1)


def test_select_complexity_ignores_other_columns_and_breaks_ties():
    table = [row(50, 2, 0.02, test_loss=0.5), row(5, 1, 0.1, test_loss=0.001)]
    assert ref.select_complexity(table) == (50, 2)
    tied = [row(10, 2, 0.021, n_params=100), row(20, 1, 0.020, n_params=100), row(30, 1, 0.0205, n_params=100)]
    assert ref.select_complexity(tied) == (20, 1)                     # same size: lower validation loss
    tied = [row(10, 2, 0.02, n_params=100), row(20, 1, 0.02, n_params=100)]
    assert ref.select_complexity(tied) == (20, 1)                     # then the smaller depth


# --- diagnosis ---------------------------------------------------------------------------------------

DECAY = np.exp(-np.arange(100) / 10)


@pytest.mark.parametrize("train, val, label", [
    (0.01 + DECAY, 1.2 * (0.01 + DECAY), "good fit"),
    (0.05 + DECAY, 1.2 * (0.05 + DECAY), "underfitting"),
    (0.01 + DECAY, 3.0 * (0.01 + DECAY), "overfitting"),                                   # rule 2
    (0.05 + DECAY, np.r_[1.2 * (0.05 + DECAY[:50]), np.linspace(0.06, 0.2, 50)], "overfitting"),  # rule 1 first
])
def test_diagnosis_rules(train, val, label):
    got, why = ref.diagnose_learning_curves(train, val, target_loss=0.02)
    assert got == label
    assert ("validation" if label == "overfitting" else "training") in why


def test_diagnosis_thresholds_are_strict_and_use_the_arguments():
    train = np.full(10, 0.01)
    rising = np.r_[np.full(9, 0.02), 0.02 * 1.2]
    assert ref.diagnose_learning_curves(train, rising, 0.02, rise_tol=0.25, gap_ratio=5)[0] == "good fit"
    assert ref.diagnose_learning_curves(train, rising, 0.02, rise_tol=0.15, gap_ratio=5)[0] == "overfitting"
    assert ref.diagnose_learning_curves(train, np.full(10, 0.029), 0.02, gap_ratio=3.0)[0] == "good fit"
    assert ref.diagnose_learning_curves(train, np.full(10, 0.031), 0.02, gap_ratio=3.0)[0] == "overfitting"
    assert ref.diagnose_learning_curves(train, train, 0.0099)[0] == "underfitting"
    assert ref.diagnose_learning_curves(train, train, 0.01)[0] == "good fit"


# --- extrapolation -----------------------------------------------------------------------------------

def test_extrapolation_errors_include_the_bounds():
    x = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    errors = ref.extrapolation_errors(x[:, None], np.zeros((5, 1)), np.array([2.0, 1.0, 0.0, 1.0, 4.0])[:, None])
    assert errors == {"inside": 2 / 3, "outside": 10.0}
    assert ref.extrapolation_errors(x, np.zeros(5), np.ones(5), low=0.4, high=0.6)["inside"] == 1.0
    with pytest.raises(ValueError):
        ref.extrapolation_errors(x, x, x, low=-1, high=2)
