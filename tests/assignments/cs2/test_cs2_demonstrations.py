"""cs2's demonstrations and the rubric of its written answers state what the runs show, robustly (over 10 data
sets or splits, not for one lucky seed).

The demonstrations' own code (the read-only cells ``demo_small_data``, ``demo_projection``, ``demo_train``,
``demo_linear`` and ``demo_extrapolation`` of the source notebook) runs with the reference solution's functions;
each test is one claim, quoted in its docstring. The small-data demonstration shows 5 of its 10 data sets in the
notebook. Measured figures: ``benchmarks/cs2_small_data.py``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import nbformat
import numpy as np
import pytest

import solutions.cs2.surrogate as ref

ROOT = Path(__file__).resolve().parents[3]

SOURCE = ROOT / "assignments" / "cs2" / "surrogate.ipynb"
SEEDS = range(10)
NOTEBOOK_SEEDS = range(5)          # the data sets the notebook's demonstration shows


def demonstration(grade_id: str) -> dict:
    """The namespace after running the demonstration cell ``grade_id`` with the reference functions."""
    import pandas as pd
    import torch
    from sklearn.linear_model import LinearRegression

    torch.set_num_threads(1)
    cell = next(c for c in nbformat.read(SOURCE, 4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    functions = ("split_indices", "fit_scalers", "build_surrogate", "train_with_early_stopping",
                 "predict_original_units", "r2_per_output")
    namespace = {"np": np, "pd": pd, "vdv": ref.vandevusse, "INPUTS": list(ref.INPUTS), "OUTPUTS": list(ref.OUTPUTS),
                 "LinearRegression": LinearRegression, **{name: getattr(ref, name) for name in functions}}
    exec(cell.source, namespace)
    return namespace


def small_data_scores(seeds) -> dict[str, np.ndarray]:
    demo = demonstration("demo_small_data")
    runs = [demo["small_data_experiment"](seed, **demo["SMALL_DATA"])[0] for seed in seeds]
    return {label: np.array([run[label] for run in runs]) for label in runs[0]}


@pytest.mark.e2e
def test_small_data_early_stopping_beats_a_long_run_without_validation():
    """The text: early stopping gives a clearly better R^2 than 2,000 epochs without validation, on average
    and on most single data sets (and on the notebook's own 5)."""
    scores = small_data_scores(SEEDS)
    early = scores["early stopping"]
    long = next(value for label, value in scores.items() if "no validation" in label)
    summary = f"early stopping {np.round(early, 3)}, long run {np.round(long, 3)}"
    assert early.mean() - long.mean() >= 0.05, summary
    assert np.sum(early > long) >= 8, summary
    assert early[list(NOTEBOOK_SEEDS)].mean() > long[list(NOTEBOOK_SEEDS)].mean() + 0.05, summary


@functools.cache
def data_set(seed: int) -> dict:
    """What the notebook's data and demo_train cells leave behind, for the data set and split of ``seed``."""
    data = ref.vandevusse.make_dataset(1000, seed=2024 + seed, noise=0.01)
    X, Y = data[list(ref.INPUTS)].to_numpy(), data[list(ref.OUTPUTS)].to_numpy()
    train_idx, val_idx, test_idx = ref.split_indices(len(X), seed=seed)
    x_scaler, y_scaler = ref.fit_scalers(X, Y, train_idx)
    return dict(X=X, Y=Y, train_idx=train_idx, val_idx=val_idx, test_idx=test_idx, x_scaler=x_scaler,
                y_scaler=y_scaler)


def projection(seed: int) -> dict:
    """The namespace after demo_projection on the data set of ``seed``."""
    cell = next(c for c in nbformat.read(SOURCE, 4).cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "demo_projection")
    namespace = {"np": np, "OUTPUTS": list(ref.OUTPUTS), "r2_per_output": ref.r2_per_output, "print": lambda *a: None,
                 **data_set(seed)}
    exec(cell.source, namespace)
    return namespace


@pytest.mark.e2e
def test_one_mode_explains_most_of_the_outputs_and_three_rebuild_them():
    """POD passage: the first mode alone explains close to 90 % of the variance of the four scaled outputs and
    moves cA against the other three; three modes rebuild every output with R^2 >= 0.99."""
    for seed in SEEDS:
        demo = projection(seed)
        share = demo["singular"] ** 2 / np.sum(demo["singular"] ** 2)
        first = demo["modes"][0]
        assert 0.85 <= share[0] <= 0.92, share
        assert np.all(np.sign(first[1:]) == -np.sign(first[0])), first
        assert np.all(ref.r2_per_output(demo["Z"], demo["Z_r"]) >= 0.99)    # Z_r: the last rebuild, 3 modes


@pytest.mark.e2e
def test_a_linear_model_is_worst_for_cB():
    """Rubric, question 1: linear regression (demo_linear's model) reaches R^2 of about 0.6-0.8 for cB, its worst
    output, and about 0.8-0.93 for the other outputs (here over splits; over data sets below)."""
    from sklearn.linear_model import LinearRegression

    for seed in SEEDS:
        d = data_set(seed)
        X, Y, xs, ys = d["X"], d["Y"], d["x_scaler"], d["y_scaler"]
        linear = LinearRegression().fit(xs.transform(X[d["train_idx"]]), ys.transform(Y[d["train_idx"]]))
        r2 = ref.r2_per_output(Y[d["test_idx"]], ys.inverse_transform(linear.predict(xs.transform(X[d["test_idx"]]))))
        assert linear_r2_as_the_rubric_says(r2), (seed, r2)


def linear_r2_as_the_rubric_says(r2: np.ndarray) -> bool:
    others = r2[[0, 2, 3]]
    return bool(0.55 <= r2[1] <= 0.85 and r2[1] < others.min() and np.all((others >= 0.8) & (others <= 0.95)))


def realistic_run(data_seed: int) -> dict:
    """The notebook's realistic surrogate (demo_train), linear baseline (demo_linear) and extrapolation
    (demo_extrapolation) cells, run in order on the data set of ``data_seed`` (the notebook's is 2024) with the
    reference functions."""
    import time

    import matplotlib
    import pandas as pd
    import torch

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    torch.set_num_threads(1)
    data = ref.vandevusse.make_dataset(1000, seed=data_seed, noise=0.01)
    functions = ("split_indices", "fit_scalers", "build_surrogate", "train_with_early_stopping",
                 "predict_original_units", "r2_per_output", "rmse_per_output", "mae_per_output", "ope_per_output",
                 "mpe_per_output", "sample_outside", "errors_inside_outside")
    namespace = {"np": np, "pd": pd, "plt": plt, "time": time, "torch": torch, "vdv": ref.vandevusse,
                 "INPUTS": list(ref.INPUTS), "OUTPUTS": list(ref.OUTPUTS), "display": lambda *a: None,
                 "print": lambda *a, **k: None, "X": data[list(ref.INPUTS)].to_numpy(),
                 "Y": data[list(ref.OUTPUTS)].to_numpy(),
                 "SAMPLED": ref.ranges_as_bounds(ref.vandevusse.SAMPLING_RANGES),
                 "EXTENDED": ref.ranges_as_bounds(ref.vandevusse.EXTENDED_RANGES),
                 **{name: getattr(ref, name) for name in functions}}
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(SOURCE, 4).cells}
    for grade_id in ("demo_train", "demo_linear"):
        exec(cells[grade_id], namespace)
    namespace["surrogate"] = lambda Xq: ref.predict_original_units(namespace["model"], namespace["x_scaler"],
                                                                    namespace["y_scaler"], Xq)   # as demo_optimum
    exec(cells["demo_extrapolation"], namespace)
    plt.close("all")
    return namespace


@pytest.fixture(scope="module")
def realistic_runs():
    return [realistic_run(2024 + seed) for seed in SEEDS]


@pytest.mark.e2e
def test_the_network_beats_a_linear_model_on_every_output(realistic_runs):
    """Rubric, question 1: the network is better than linear regression on every output, with R^2 above 0.98 on
    all four; the linear model's R^2 is about 0.6-0.8 for cB and 0.8-0.93 for the others."""
    for run in realistic_runs:
        Y_test = run["Y"][run["test_idx"]]
        network = ref.r2_per_output(Y_test, run["Y_test_pred"])
        linear = ref.r2_per_output(Y_test, run["Y_test_linear"])
        assert np.all(network >= 0.98) and np.all(network > linear), (network, linear)
        assert linear_r2_as_the_rubric_says(linear), linear


@pytest.mark.e2e
def test_errors_outside_the_sampled_box_are_several_times_larger(realistic_runs):
    """Rubric, question 4: the surrogate's RMSE outside the sampled box is about 3-6 times its RMSE inside, for
    every output (measured over 10 data sets: 2.97 to 6.1)."""
    for run in realistic_runs:
        ratio = np.asarray(run["errors"]["outside"]) / np.asarray(run["errors"]["inside"])
        assert np.all((ratio >= 2.5) & (ratio <= 7)), ratio
