"""Reference solution for cs2: a neural-network surrogate of the van de Vusse CSTR simulation.

The notebook's public contract (assignments/cs2/surrogate.ipynb); X is (n, 4) = [dilution, T0, QK, cA0] and Y is
(n, 4) = [cA, cB, T, TK], both numpy float arrays in original units unless a name says "scaled":

    split_indices(n, fractions=(0.7, 0.15, 0.15), seed=0) -> (train_idx, val_idx, test_idx)   # as in cs1 part B
    fit_scalers(X, Y, train_idx) -> (x_scaler, y_scaler)          # fitted on the training rows only
    predict_original_units(model, x_scaler, y_scaler, X) -> (n, 4) # scale, predict, inverse-transform
    r2_per_output / rmse_per_output / mae_per_output(y_true, y_pred) -> (m,)
    ope_per_output / mpe_per_output(y_true, y_pred) -> (m,) in percent
    build_surrogate(n_in, n_out, width, depth, seed) -> torch.nn.Sequential, linear output layer
    train_with_early_stopping(model, X_train, y_train, X_val, y_val, *, max_epochs, batch_size, lr,
                              patience, seed) -> history {"train_loss", "val_loss", "best_epoch"}
        (both losses measured on the whole sets after each epoch: train_loss[k] and val_loss[k] belong to
        the same weights)
    fit_surrogate(X, Y, train_idx, val_idx, *, width, depth, max_epochs, batch_size, lr, patience, seed)
        -> (model, x_scaler, y_scaler)
    optimise_yield(predict, bounds, seed) -> x (4,) inside bounds maximising cB / cA0
    sample_outside(inner, outer, n, seed) -> (n, 4) points of the outer box outside the inner box
    errors_inside_outside(predict, X, Y, inner) -> {"inside": rmse (m,), "outside": rmse (m,)}

The error measures OPE and MPE follow the lecture's slide on Fernandes (2006), "absolute and relative
error". The slide does not print the formulas and we could not check them in the paper, so the notebook
defines them precisely (per output j, over the n samples, in percent):

    OPE_j = 100 * sum_i |y_ij - yhat_ij| / sum_i |y_ij|      overall prediction error: the total absolute
                                                            error relative to the total size of the output
    MPE_j = 100 / n * sum_i |y_ij - yhat_ij| / |y_ij|        mean prediction error: the mean of each point's
                                                            error relative to its *observed* value
MPE is undefined when an observed value is 0 (ValueError); OPE only when the whole column is 0.

References: Fernandes, F. A. N. (2006), Optimization of Fischer-Tropsch synthesis using neural networks,
Chem. Eng. Technol. 29(4), 449-453; del Rio-Chanona et al. (2017), Biotechnol. Bioeng. 114(11),
2518-2527 (the elbow rule for depth and width); Prechelt (1998), Early stopping - but when?
"""
from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np

# The same idea has the same name and signature in every notebook: cs2 asks for cs1 part B's split.
from solutions.cs1.model_complexity import split_indices  # noqa: F401  (part of this module's contract)

SIMULATOR_PATH = Path(__file__).resolve().parents[2] / "assignments" / "cs2" / "vandevusse.py"


def load_simulator():
    """The released simulator module (one copy: assignments/cs2/vandevusse.py), imported by path."""
    loaded = sys.modules.get("vandevusse")
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == SIMULATOR_PATH:
        return loaded
    spec = importlib.util.spec_from_file_location("vandevusse", SIMULATOR_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["vandevusse"] = module
    spec.loader.exec_module(module)
    return module


vandevusse = load_simulator()
INPUTS, OUTPUTS = vandevusse.INPUTS, vandevusse.OUTPUTS


def ranges_as_bounds(ranges: dict) -> np.ndarray:
    """{name: (low, high)} -> array (4, 2) of [low, high] rows in the order of INPUTS."""
    return np.array([ranges[name] for name in INPUTS], dtype=float)


# --- data: split and scale ------------------------------------------------------------------------



def fit_scalers(X, Y, train_idx):
    """StandardScalers for inputs and outputs, fitted on the training rows only (no leakage)."""
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit(X[train_idx]), StandardScaler().fit(Y[train_idx])


def predict_original_units(model, x_scaler, y_scaler, X):
    """The model's predictions for X in original units: scale inputs, predict, inverse-transform outputs."""
    import torch

    scaled = torch.as_tensor(x_scaler.transform(np.asarray(X, dtype=float)), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        out = model(scaled).numpy().astype(float)
    return y_scaler.inverse_transform(out)


# --- metrics --------------------------------------------------------------------------------------

def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.ndim == 1:
        y_true, y_pred = y_true[:, None], y_pred.reshape(-1, 1)
    return y_true, y_pred


def r2_per_output(y_true, y_pred):
    """R^2 = 1 - SS_res / SS_tot per column; a constant column gives 1.0 if predicted exactly, else 0.0."""
    y_true, y_pred = _pair(y_true, y_pred)
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    ss_tot = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - ss_res / ss_tot
    # scikit-learn's convention for a constant column (r2_score with force_finite=True).
    return np.where(ss_tot > 0, r2, np.where(ss_res == 0, 1.0, 0.0))


def rmse_per_output(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return np.sqrt(np.mean((y_true - y_pred) ** 2, axis=0))


def mae_per_output(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=0)


def ope_per_output(y_true, y_pred):
    """Overall prediction error [%]: 100 * sum |y - yhat| / sum |y| per column."""
    y_true, y_pred = _pair(y_true, y_pred)
    size = np.sum(np.abs(y_true), axis=0)
    if np.any(size == 0):
        raise ValueError("OPE is undefined for an output whose observed values are all 0")
    return 100.0 * np.sum(np.abs(y_true - y_pred), axis=0) / size


def mpe_per_output(y_true, y_pred):
    """Mean prediction error [%]: 100 * mean(|y - yhat| / |y|) per column, relative to the observed value."""
    y_true, y_pred = _pair(y_true, y_pred)
    if np.any(y_true == 0):
        raise ValueError("MPE is undefined when an observed value is 0 (division by zero)")
    return 100.0 * np.mean(np.abs(y_true - y_pred) / np.abs(y_true), axis=0)


# --- the network ------------------------------------------------------------------------------------

def build_surrogate(n_in, n_out, width, depth, seed):
    """`depth` hidden layers of `width` tanh units and a linear output layer (no activation after it)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    layers, size = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.Tanh()]
        size = width
    layers.append(nn.Linear(size, n_out))
    return nn.Sequential(*layers)


def train_with_early_stopping(model, X_train, y_train, X_val, y_val, *, max_epochs, batch_size, lr, patience, seed):
    """Adam on shuffled mini-batches of the MSE; stop after `patience` epochs without a better validation
    loss and restore the weights of the best epoch.

    train_loss[k] and val_loss[k] are the MSE on the whole training and validation sets after the k-th
    epoch, both with the same weights (a running mean over the batches would mix the weights of the
    whole epoch, so the two curves could not be compared; and train_loss[best_epoch] is then the
    training error of the restored model).
    """
    import torch

    torch.manual_seed(seed)
    Xt, yt = (torch.as_tensor(np.asarray(a, dtype=float), dtype=torch.float32) for a in (X_train, y_train))
    Xv, yv = (torch.as_tensor(np.asarray(a, dtype=float), dtype=torch.float32) for a in (X_val, y_val))
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    generator = torch.Generator().manual_seed(seed)
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), copy.deepcopy(model.state_dict()), 0
    for epoch in range(max_epochs):
        model.train()
        for batch in torch.randperm(len(Xt), generator=generator).split(batch_size):
            optimiser.zero_grad()
            loss = loss_fn(model(Xt[batch]), yt[batch])
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            train_loss, val_loss = loss_fn(model(Xt), yt).item(), loss_fn(model(Xv), yv).item()
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        if val_loss < best_loss:
            # deepcopy: state_dict() holds references to the live tensors, which training keeps changing.
            best_loss, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return history


def fit_surrogate(X, Y, train_idx, val_idx, *, width, depth, max_epochs, batch_size, lr, patience, seed):
    """Scale (fitted on train), build and train the network; return (model, x_scaler, y_scaler)."""
    x_scaler, y_scaler = fit_scalers(X, Y, train_idx)
    model = build_surrogate(X.shape[1], Y.shape[1], width, depth, seed)
    train_with_early_stopping(model, x_scaler.transform(X[train_idx]), y_scaler.transform(Y[train_idx]),
                              x_scaler.transform(X[val_idx]), y_scaler.transform(Y[val_idx]),
                              max_epochs=max_epochs, batch_size=batch_size, lr=lr, patience=patience, seed=seed)
    return model, x_scaler, y_scaler


# --- using the surrogate --------------------------------------------------------------------------

def optimise_yield(predict, bounds, seed):
    """Conditions x (4,) inside `bounds` (4, 2) that maximise the predicted yield cB / cA0.

    Multi-start L-BFGS-B (bounded, so every trial point is a valid input) from a Latin hypercube.
    """
    from scipy import optimize, stats

    bounds = np.asarray(bounds, dtype=float)
    low, high = bounds[:, 0], bounds[:, 1]

    def negative_yield(u):          # u in the unit box: all inputs on the same scale for the optimiser
        x = low + u * (high - low)
        return -float(np.asarray(predict(x[None, :]))[0, 1] / x[3])

    starts = stats.qmc.LatinHypercube(d=len(low), seed=np.random.default_rng(seed)).random(8)
    best = min((optimize.minimize(negative_yield, u0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(low))
                for u0 in starts), key=lambda r: r.fun)
    return np.clip(low + best.x * (high - low), low, high)


def sample_outside(inner, outer, n, seed):
    """n points uniform in the `outer` box with at least one input outside the `inner` box (rejection)."""
    inner, outer = np.asarray(inner, dtype=float), np.asarray(outer, dtype=float)
    rng = np.random.default_rng(seed)
    kept = []
    while sum(len(k) for k in kept) < n:
        candidates = rng.uniform(outer[:, 0], outer[:, 1], size=(4 * n, len(outer)))
        inside = np.all((candidates >= inner[:, 0]) & (candidates <= inner[:, 1]), axis=1)
        kept.append(candidates[~inside])
    return np.vstack(kept)[:n]


def errors_inside_outside(predict, X, Y, inner):
    """RMSE per output of predict(X) against Y, separately for rows inside (all inputs within the bounds,
    edges included) and outside the `inner` box."""
    X, Y, inner = np.asarray(X, dtype=float), np.asarray(Y, dtype=float), np.asarray(inner, dtype=float)
    inside = np.all((X >= inner[:, 0]) & (X <= inner[:, 1]), axis=1)
    predicted = np.asarray(predict(X), dtype=float)
    return {"inside": rmse_per_output(Y[inside], predicted[inside]),
            "outside": rmse_per_output(Y[~inside], predicted[~inside])}


# --- for the demo and the benchmarks ---------------------------------------------------------------

def train_reference_surrogate(n=800, seed=0, noise=0.01, **settings):
    """A surrogate trained on simulated data the way the notebook does (for the demo and benchmarks)."""
    data = vandevusse.make_dataset(n, seed, noise=noise)
    X, Y = data[list(INPUTS)].to_numpy(), data[list(OUTPUTS)].to_numpy()
    train_idx, val_idx, test_idx = split_indices(n, (0.7, 0.15, 0.15), seed)
    options = dict(width=64, depth=3, max_epochs=400, batch_size=32, lr=3e-3, patience=30, seed=seed) | settings
    model, x_scaler, y_scaler = fit_surrogate(X, Y, train_idx, val_idx, **options)
    return model, x_scaler, y_scaler, (X[test_idx], Y[test_idx])
