"""Probes for cs3 (QSPR boiling points): a model that overfits in a known way.

Every public top-level function is a probe: a hidden test names it, ``Probe("name", **params)``,
and the worker builds it inside the sandbox after the student's cells ran (autograder/sandbox/worker/probes.py).
This file sits with the hidden tests, so student code cannot read it. Probes import what they need
inside the function, so that defining the module costs nothing.
"""
from __future__ import annotations


def memorizing_fit(weight, bias):
    """fit(X, y) -> predict: predict returns the remembered y for rows seen in fit (an overfit
    model: perfect on its training rows) and X @ weight + bias for any other row."""
    import numpy as np

    weight, bias = np.asarray(weight, dtype=float), float(bias)

    def fit(X_train, y_train):
        memory = {np.asarray(row, dtype=float).tobytes(): float(value)
                  for row, value in zip(np.asarray(X_train, dtype=float), np.asarray(y_train, dtype=float))}

        def predict(X):
            X = np.asarray(X, dtype=float)
            linear = X @ weight + bias
            return np.array([memory.get(row.tobytes(), linear[i]) for i, row in enumerate(X)])

        return predict

    return fit


def affine_map(weight, bias):
    """predict(X) = X @ weight + bias, for (n, d) numpy inputs."""
    import numpy as np

    weight, bias = np.asarray(weight, dtype=float), np.asarray(bias, dtype=float)
    return lambda X: np.asarray(X, dtype=float) @ weight + bias


def least_squares_fit():
    """fit(X, y) -> predict: ordinary least squares with an intercept. Deterministic, so the grader
    can repeat a selection or importance computation with the same model and compare numbers."""
    import numpy as np

    def fit(X_train, y_train):
        A = np.column_stack([np.asarray(X_train, dtype=float), np.ones(len(X_train))])
        coef, *_ = np.linalg.lstsq(A, np.asarray(y_train, dtype=float), rcond=None)
        return lambda X: np.asarray(X, dtype=float) @ coef[:-1] + coef[-1]

    return fit
