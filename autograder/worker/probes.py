"""Known functions the grader can hand to student code that takes a function as argument.

A hidden test cannot send a callable across the sandbox boundary, so it names one of these
with its parameters; the grader knows each one's exact value and gradient.
"""
from __future__ import annotations


def smooth(a, w):
    """f(x) = sum(a * sin(x) + w * x**2 / 2); gradient a * cos(x) + w * x."""
    import numpy as np

    a, w = np.asarray(a, dtype=float), np.asarray(w, dtype=float)

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(a * np.sin(x) + 0.5 * w * x * x))

    return f


PROBES = {"smooth": smooth}


def make(name, params):
    if name not in PROBES or type(params) is not dict:
        raise ValueError(f"unknown probe {name!r}")
    return PROBES[name](**params)


# --- cs2 (surrogate of the van de Vusse CSTR): stand-ins for scalers, models and simulators ----------

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


PROBES.update({"standard_scaler": standard_scaler, "torch_linear": torch_linear, "affine_map": affine_map,
               "quadratic_yield": quadratic_yield, "cstr_steady_states": cstr_steady_states})


# --- cs3 (QSPR boiling points): a model that overfits in a known way ----------------------------------

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


PROBES.update({"memorizing_fit": memorizing_fit})


# --- cs1 part B: models and scorers handed to students' training and cross-validation code ----

def recording_mlp(weights, biases, activation="tanh"):
    """A small MLP with the given weights (each (out, in), like nn.Linear) that keeps a log.

    Every forward call appends {"rows": its first input column, "backward": a backward pass went
    through this call, "stale": at that moment some parameter still held a gradient from an earlier
    backward pass}. The grader reads ``calls`` afterwards.
    """
    import numpy as np
    import torch

    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]

    class RecordingMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = torch.nn.ParameterList(
                torch.nn.Parameter(torch.as_tensor(np.asarray(w, dtype=np.float32))) for w in weights)
            self.biases = torch.nn.ParameterList(
                torch.nn.Parameter(torch.as_tensor(np.asarray(b, dtype=np.float32))) for b in biases)
            self.calls = []

        def forward(self, x):
            if not isinstance(x, torch.Tensor) or x.dim() != 2:
                raise ValueError("the model expects a 2-D float32 tensor of shape (n, d)")
            record = {"rows": x.detach().cpu().numpy()[:, 0].copy(), "backward": False, "stale": False}
            self.calls.append(record)
            h = x
            for i, (w, b) in enumerate(zip(self.weights, self.biases)):
                h = h @ w.T + b
                if i < len(self.weights) - 1:
                    h = act(h)
            if h.requires_grad:
                h.register_hook(lambda grad: self._on_backward(record))
            return h

        def _on_backward(self, record):
            # Runs when the gradient reaches this output, before it reaches the parameters.
            record["backward"] = True
            record["stale"] = any(p.grad is not None and bool(torch.any(p.grad != 0)) for p in self.parameters())

    return RecordingMLP()


def parameter_arrays(model):
    """[[name, array], ...] for model.named_parameters(), in registration order."""
    return [[name, p.detach().cpu().numpy().copy()] for name, p in model.named_parameters()]


def linear_fit_score():
    """A fit_and_score(x_train, y_train, x_val, y_val): least-squares line, validation MSE."""
    import numpy as np

    def fit_and_score(x_train, y_train, x_val, y_val):
        design = np.column_stack([np.ones(len(x_train)), np.asarray(x_train, dtype=float)])
        coef, *_ = np.linalg.lstsq(design, np.asarray(y_train, dtype=float), rcond=None)
        prediction = np.column_stack([np.ones(len(x_val)), np.asarray(x_val, dtype=float)]) @ coef
        return float(np.mean((prediction - np.asarray(y_val, dtype=float)) ** 2))

    return fit_and_score


PROBES.update({"recording_mlp": recording_mlp, "parameter_arrays": parameter_arrays,
               "linear_fit_score": linear_fit_score})


def least_squares_fit():
    """fit(X, y) -> predict: ordinary least squares with an intercept. Deterministic, so the grader
    can repeat a selection or importance computation with the same model and compare numbers."""
    import numpy as np

    def fit(X_train, y_train):
        A = np.column_stack([np.asarray(X_train, dtype=float), np.ones(len(X_train))])
        coef, *_ = np.linalg.lstsq(A, np.asarray(y_train, dtype=float), rcond=None)
        return lambda X: np.asarray(X, dtype=float) @ coef[:-1] + coef[-1]

    return fit


PROBES.update({"least_squares_fit": least_squares_fit})
