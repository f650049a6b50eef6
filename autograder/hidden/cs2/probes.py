"""Probes for cs2 (surrogate of the van de Vusse CSTR): stand-ins for scalers, models and simulators.

Every public top-level function is a probe: a hidden test names it, ``Probe("name", **params)``,
and the worker builds it inside the sandbox after the student's cells ran (autograder/sandbox/worker/probes.py).
This file sits with the hidden tests, so student code cannot read it. Probes import what they need
inside the function, so that defining the module costs nothing.
"""
from __future__ import annotations


def standard_scaler(mean, scale):
    """A fitted scikit-learn StandardScaler with the given mean_ and scale_ (so tests need no fitting)."""
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    mean, scale = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean, scale, scale**2
    scaler.n_features_in_, scaler.n_samples_seen_ = len(mean), 100
    return scaler


def torch_linear(weight, bias):
    """torch.nn.Linear with the given weight (out, in) and bias (out,): a model whose output is known."""
    import torch

    weight = torch.as_tensor(weight, dtype=torch.float32)
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
    return layer


def affine_map(weight, bias):
    """predict(X) = X @ weight + bias, for (n, d) numpy inputs."""
    import numpy as np

    weight, bias = np.asarray(weight, dtype=float), np.asarray(bias, dtype=float)
    return lambda X: np.asarray(X, dtype=float) @ weight + bias


def quadratic_yield(peak, center, width):
    """A surrogate-like predict(X) -> (n, 4) [cA, cB, T, TK] whose yield cB / cA0 is
    peak - sum(((x - center) / width)**2): its maximum in a box is known exactly."""
    import numpy as np

    peak, center, width = float(peak), np.asarray(center, dtype=float), np.asarray(width, dtype=float)

    def predict(X):
        X = np.asarray(X, dtype=float)
        yield_b = peak - np.sum(((X - center) / width) ** 2, axis=1)
        cA0 = X[:, 3]
        return np.column_stack([0.4 * cA0, yield_b * cA0, X[:, 1] + 5.0, X[:, 1]])

    return predict


def cstr_steady_states():
    """predict(X) = the van de Vusse simulator's steady states (the module released with cs2)."""
    import os
    import sys

    if os.getcwd() not in sys.path:       # the released module sits in the working folder
        sys.path.insert(0, os.getcwd())
    import vandevusse

    return vandevusse.simulate
