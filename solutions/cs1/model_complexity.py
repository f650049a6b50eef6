"""Reference solution for cs1 part B: model complexity, overfitting and extrapolation (PyTorch).

The public contract (the notebook states it; the hidden tests rely on it):

    data        x: numpy float array (n, d), one sample per row; y: numpy float array (n, 1)
    build_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1) -> torch.nn.Sequential
                Linear(n_inputs, W), act, [Linear(W, W), act] * (D - 1), Linear(W, n_outputs)
                activation in {"tanh", "relu", "sigmoid"}; no activation after the output layer
    count_parameters(model) -> int                     all parameters (weights and biases)
    expected_parameter_count(n_inputs, width, depth, n_outputs=1) -> int   the closed form
    train(model, x_train, y_train, x_val, y_val, epochs=2000, lr=0.01, batch_size=None, seed=0)
                -> {"train": [epochs floats], "val": [epochs floats]}
                Adam(lr) on nn.MSELoss, the five steps per batch; batch_size None = full batch,
                otherwise reshuffle each epoch with torch.Generator().manual_seed(seed).
                After every epoch both losses are evaluated on the whole sets, under no_grad.
    split_indices(n, fractions=(0.7, 0.15, 0.15), seed=0) -> (train_idx, val_idx, test_idx)
    scale_inputs(x, train_idx) -> (x_scaled, scaler)  StandardScaler fitted on x[train_idx] only
    kfold_indices(n, k, seed=0) -> [(train_idx, val_idx)] * k
    cross_val_score(fit_and_score, x, y, folds) -> float
    sweep_complexity(x_train, y_train, x_val, y_val, widths, depths, epochs=2000, lr=0.01, seed=0,
                     activation="tanh") -> list of records (dicts), one per (width, depth)
    select_complexity(table, rel_tol=0.1) -> (width, depth)
    diagnose_learning_curves(train_losses, val_losses, target_loss, rise_tol=0.1, gap_ratio=2.0)
                -> (label, explanation), label in {"underfitting", "good fit", "overfitting"}
    extrapolation_errors(x, y_true, y_pred, low=0.0, high=1.0) -> {"inside": mse, "outside": mse}

No function modifies its arguments (except `train`, which trains the model it is given).
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from torch import nn

NOISE = 0.1
LABELS = ("underfitting", "good fit", "overfitting")


# --- the lecture's data ------------------------------------------------------------------------

def true_function(x):
    """The noise-free target y = 0.5 sin(4 pi x) + 0.2 sin(12 pi x), elementwise."""
    x = np.asarray(x, dtype=float)
    return 0.5 * np.sin(4 * np.pi * x) + 0.2 * np.sin(12 * np.pi * x)


def make_data(n, seed=0, noise=NOISE):
    """x ~ U(0, 1) of shape (n, 1) and y = true_function(x) + noise * N(0, 1) of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, 1))
    y = true_function(x) + noise * rng.normal(size=(n, 1))
    return x, y


def as_tensor(array):
    """A float32 tensor (the dtype of torch's layers) from a numpy array."""
    return torch.as_tensor(np.asarray(array, dtype=np.float32))


def predict(model, x):
    """The model's predictions for numpy inputs x (n, d), as a numpy array (n, n_outputs)."""
    with torch.no_grad():
        return model(as_tensor(x)).numpy().astype(float)


# --- architecture ------------------------------------------------------------------------------

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def build_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1):
    """D hidden layers of W neurons with an activation each, then a linear output layer."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    layers, size = [], n_inputs
    for _ in range(depth):
        layers += [nn.Linear(size, width), ACTIVATIONS[activation]()]
        size = width
    # Regression: the output layer stays linear (lecture: "Linear activation in the output layer").
    layers.append(nn.Linear(size, n_outputs))
    return nn.Sequential(*layers)


def count_parameters(model):
    """Number of numbers the optimiser adjusts: every weight and every bias."""
    return int(sum(p.numel() for p in model.parameters()))


def expected_parameter_count(n_inputs, width, depth, n_outputs=1):
    """(n_in + 1) W + (D - 1)(W + 1) W + (W + 1) n_out = (D - 1) W^2 + (n_in + n_out + D) W + n_out.

    O(W^2 D) is its order of growth for large W and D >= 2 only: with D = 1 it is linear in W.
    """
    return (n_inputs + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_outputs


# --- training ----------------------------------------------------------------------------------

def mse(model, x, y):
    """Mean squared error of the model on tensors x, y, without building a graph."""
    with torch.no_grad():
        return float(torch.mean((model(x) - y) ** 2))


def train(model, x_train, y_train, x_val, y_val, epochs=2000, lr=0.01, batch_size=None, seed=0):
    """Train ``model`` in place with Adam on the MSE; record both losses after every epoch.

    Validation data is only ever evaluated (under no_grad), never used for a gradient.
    """
    xt, yt, xv, yv = (as_tensor(a) for a in (x_train, y_train, x_val, y_val))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    shuffler = torch.Generator().manual_seed(seed)
    n = len(xt)
    history = {"train": [], "val": []}
    for _ in range(epochs):
        if batch_size is None:
            batches = [(xt, yt)]
        else:
            order = torch.randperm(n, generator=shuffler)
            batches = [(xt[i], yt[i]) for i in order.split(batch_size)]
        for xb, yb in batches:
            optimizer.zero_grad()          # 1. forget the previous step's gradients
            prediction = model(xb)         # 2. forward pass
            loss = loss_fn(prediction, yb)  # 3. loss
            loss.backward()                # 4. backward pass: gradients by the chain rule
            optimizer.step()               # 5. update the weights
        # Both losses for the same weights, so that the two curves can be compared.
        history["train"].append(mse(model, xt, yt))
        history["val"].append(mse(model, xv, yv))
    return history


# --- splitting and scaling ---------------------------------------------------------------------

def split_sizes(n, fractions=(0.7, 0.15, 0.15)):
    """(n_train, n_val, n_test): validation and test rounded to nearest, training gets the rest."""
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError("fractions must be three non-negative numbers that add up to 1")
    n_val, n_test = round(fractions[1] * n), round(fractions[2] * n)
    return n - n_val - n_test, n_val, n_test


def split_indices(n, fractions=(0.7, 0.15, 0.15), seed=0):
    """A seeded random partition of range(n) into training, validation and test indices."""
    n_train, n_val, _ = split_sizes(n, fractions)
    order = np.random.default_rng(seed).permutation(n)
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def scale_inputs(x, train_idx):
    """Standardise all rows of x with the mean and std of the training rows only."""
    scaler = StandardScaler().fit(np.asarray(x, dtype=float)[train_idx])
    return scaler.transform(np.asarray(x, dtype=float)), scaler


# --- k-fold cross-validation -------------------------------------------------------------------

def kfold_indices(n, k, seed=0):
    """k (train_idx, val_idx) pairs; the validation folds partition a seeded shuffle of range(n)."""
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}")
    folds = np.array_split(np.random.default_rng(seed).permutation(n), k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def cross_val_score(fit_and_score, x, y, folds):
    """Mean over folds of fit_and_score(x_train, y_train, x_val, y_val)."""
    x, y = np.asarray(x), np.asarray(y)
    scores = [fit_and_score(x[tr], y[tr], x[va], y[va]) for tr, va in folds]
    return float(np.mean(scores))


def make_fit_and_score(width, depth, epochs=2000, lr=0.01, seed=0, activation="tanh"):
    """A fit_and_score for cross_val_score: scale inside the fold, train an MLP, return its val MSE."""
    def fit_and_score(x_train, y_train, x_val, y_val):
        scaler = StandardScaler().fit(x_train)
        torch.manual_seed(seed)
        model = build_mlp(x_train.shape[1], width, depth, activation)
        history = train(model, scaler.transform(x_train), y_train, scaler.transform(x_val), y_val,
                        epochs=epochs, lr=lr)
        return history["val"][-1]
    return fit_and_score


# --- choosing the complexity -------------------------------------------------------------------

def sweep_complexity(x_train, y_train, x_val, y_val, widths, depths, epochs=2000, lr=0.01, seed=0,
                     activation="tanh"):
    """Train one model per (width, depth), widths outer loop; record its size and final losses."""
    records = []
    for width in widths:
        for depth in depths:
            torch.manual_seed(seed)  # the same seed for every model: differences come from W and D
            model = build_mlp(x_train.shape[1], width, depth, activation)
            history = train(model, x_train, y_train, x_val, y_val, epochs=epochs, lr=lr)
            records.append({"width": width, "depth": depth, "n_params": count_parameters(model),
                            "train_loss": history["train"][-1], "val_loss": history["val"][-1],
                            "history": history, "model": model})
    return records


def select_complexity(table, rel_tol=0.1):
    """The elbow rule: the smallest model whose validation loss is within rel_tol of the best.

    Candidates: rows with val_loss <= (1 + rel_tol) * min(val_loss). Among them the one with the
    fewest n_params; ties go to the lower val_loss, then to the smaller depth. Only val_loss and
    n_params are used: training loss says nothing about generalisation, and the test set is kept
    for the final, single evaluation.
    """
    best = min(row["val_loss"] for row in table)
    candidates = [row for row in table if row["val_loss"] <= (1 + rel_tol) * best]
    chosen = min(candidates, key=lambda row: (row["n_params"], row["val_loss"], row["depth"]))
    return int(chosen["width"]), int(chosen["depth"])


# --- diagnosing learning curves ----------------------------------------------------------------

def diagnose_learning_curves(train_losses, val_losses, target_loss, rise_tol=0.1, gap_ratio=2.0):
    """Label learning curves, using the final values and the validation minimum:

    1. overfitting  if val[-1] > (1 + rise_tol) * min(val)  (validation loss turned back up);
    2. overfitting  if val[-1] > gap_ratio * train[-1]      (validation far above training);
    3. underfitting if train[-1] > target_loss              (not even the training data is fitted);
    4. good fit     otherwise.
    Returns (label, explanation); the explanation names the loss that decided.
    """
    train_losses = np.asarray(train_losses, dtype=float)
    val_losses = np.asarray(val_losses, dtype=float)
    t_end, v_end, v_min = train_losses[-1], val_losses[-1], val_losses.min()
    if v_end > (1 + rise_tol) * v_min:
        epoch = int(np.argmin(val_losses))
        return "overfitting", (f"the validation loss rose from its minimum {v_min:.3g} (epoch {epoch}) to "
                               f"{v_end:.3g}, more than {rise_tol:.0%} above it, while the model kept training")
    if v_end > gap_ratio * t_end:
        return "overfitting", (f"the validation loss {v_end:.3g} is {v_end / t_end:.1f} times the training "
                               f"loss {t_end:.3g} (more than {gap_ratio:g}): the model fits the training data "
                               "much better than new data")
    if t_end > target_loss:
        return "underfitting", (f"the training loss {t_end:.3g} stays above the target {target_loss:.3g}: "
                                "the model cannot even fit the training data")
    return "good fit", (f"the training loss {t_end:.3g} reached the target {target_loss:.3g} and the "
                        f"validation loss {v_end:.3g} stays close to it and near its minimum")


# --- extrapolation -----------------------------------------------------------------------------

def extrapolation_errors(x, y_true, y_pred, low=0.0, high=1.0):
    """MSE of the predictions inside [low, high] (bounds included) and outside it."""
    x = np.asarray(x, dtype=float).reshape(-1)
    squared = (np.asarray(y_pred, dtype=float).reshape(-1) - np.asarray(y_true, dtype=float).reshape(-1)) ** 2
    inside = (x >= low) & (x <= high)
    if inside.all() or not inside.any():
        raise ValueError("x needs points both inside and outside [low, high]")
    return {"inside": float(squared[inside].mean()), "outside": float(squared[~inside].mean())}


# --- the notebook's demonstrations (project tests check that their conclusions hold) ------------

# Underfitting and overfitting made large and measured precisely: few training points, a large
# fresh validation set (the notebook's cell "diagnose_demo" builds exactly this).
OVERFITTING_LAB = {"n_train": 40, "train_seed": 1, "n_val": 400, "val_seed": 2, "init_seed": 0,
                   "epochs": 1500, "lr": 0.01, "small": (2, 1), "large": (100, 3)}


def overfitting_lab(width, depth, *, train_seed, val_seed, init_seed, n_train=40, n_val=400, epochs=1500,
                    lr=0.01):
    """The learning curves of one model of the under/overfitting demonstration: {"train", "val"}."""
    x, y = make_data(n_train, seed=train_seed)
    x_val, y_val = make_data(n_val, seed=val_seed)
    scaler = StandardScaler().fit(x)
    torch.manual_seed(init_seed)
    return train(build_mlp(1, width, depth), scaler.transform(x), y, scaler.transform(x_val), y_val,
                 epochs=epochs, lr=lr)


# The sweep of the notebook's cell "sweep_demo": the grid and training of the lecture's settings, and each model's
# generalisation error on fresh points of the same process (affordable because the data are simulated).
SWEEP_DEMO = {"n": 200, "widths": (5, 50, 200), "depths": (1, 2, 4), "epochs": 2000, "lr": 0.01, "n_fresh": 5000,
              "fresh_seed": 99}


def sweep_demo(data_seed=0):
    """The demonstration's table for the data and split drawn with ``data_seed`` (0: the notebook's own): per model
    width, depth, n_params, train_loss, val_loss, its generalisation error, and what the extrapolation
    demonstration measures (MSE against the true function inside and outside [0, 1], and how much the prediction
    and the true function move outside)."""
    cfg = SWEEP_DEMO
    x, y = make_data(cfg["n"], seed=data_seed)
    train_idx, val_idx, _ = split_indices(cfg["n"], seed=data_seed)
    x_scaled, scaler = scale_inputs(x, train_idx)
    sweep = sweep_complexity(x_scaled[train_idx], y[train_idx], x_scaled[val_idx], y[val_idx], cfg["widths"],
                             cfg["depths"], epochs=cfg["epochs"], lr=cfg["lr"])
    x_fresh, y_fresh = make_data(cfg["n_fresh"], seed=cfg["fresh_seed"])
    x_wide = np.linspace(-0.5, 1.5, 801).reshape(-1, 1)        # the extrapolation demonstration's range
    outside = (x_wide[:, 0] < 0) | (x_wide[:, 0] > 1)
    table = []
    for r in sweep:
        wide = predict(r["model"], scaler.transform(x_wide))
        errors = extrapolation_errors(x_wide, true_function(x_wide), wide)
        table.append({**{k: r[k] for k in ("width", "depth", "n_params", "train_loss", "val_loss")},
                      "generalisation": float(np.mean((predict(r["model"], scaler.transform(x_fresh)) - y_fresh) ** 2)),
                      "inside": errors["inside"], "outside": errors["outside"],
                      # how much the prediction and the true function move outside [0, 1] (total variation)
                      "moves_outside": float(np.sum(np.abs(np.diff(wide[outside, 0])))),
                      "true_moves_outside": float(np.sum(np.abs(np.diff(true_function(x_wide[outside, 0])))))})
    return table
