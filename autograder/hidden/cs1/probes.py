"""Probes for cs1: a known smooth function (part A), models and scorers handed to part B's training
and cross-validation code.

Every public top-level function is a probe: a hidden test names it, ``Probe("name", **params)``,
and the worker builds it inside the sandbox after the student's cells ran (autograder/sandbox/worker/probes.py).
This file sits with the hidden tests, so student code cannot read it. Probes import what they need
inside the function, so that defining the module costs nothing.
"""
from __future__ import annotations


def smooth(a, w, c=0.0):
    """f(x) = sum(a * sin(x) + w * x**2 / 2) + c * sum(x)**2 / 2; gradient a * cos(x) + w * x + c * sum(x).
    With c != 0 every partial derivative depends on every entry (a numerical gradient that leaves an
    entry nudged changes the next ones); with c = 0 the entries are independent."""
    import numpy as np

    a, w = np.asarray(a, dtype=float), np.asarray(w, dtype=float)

    def f(x):
        x = np.asarray(x, dtype=float)
        return float(np.sum(a * np.sin(x) + 0.5 * w * x * x) + 0.5 * c * np.sum(x) ** 2)

    return f


def recording_mlp(weights, biases, activation="tanh"):
    """A small MLP with the given weights (each (out, in), like nn.Linear) that keeps a log.

    Every forward call appends {"rows": its first input column, "backward": a backward pass went
    through this call, "stale": at that moment some parameter still held a gradient from an earlier
    backward pass, "weights": a fingerprint of the weights this call saw}. The grader reads ``calls``
    afterwards; calls that saw the same weights lie within one optimizer step (gradients accumulated
    over chunks of a batch before one step, a technique the notebook allows).
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
            weights = hash(b"".join(p.detach().cpu().numpy().tobytes() for p in self.parameters()))
            record = {"rows": x.detach().cpu().numpy()[:, 0].copy(), "backward": False, "stale": False,
                      "weights": weights}
            self.calls.append(record)
            h = x
            for i, (w, b) in enumerate(zip(self.weights, self.biases)):
                h = h @ w.T + b
                if i < len(self.weights) - 1:
                    h = act(h)
            if h.requires_grad:
                h.register_hook(lambda _grad: self._on_backward(record))
            return h

        def log(self, limit):
            """{"count": how many forward calls were logged, "calls": the first ``limit`` of them}: the grader
            reads a bounded log, whatever was appended to it."""
            return {"count": len(self.calls), "calls": self.calls[:int(limit)]}

        def _on_backward(self, record):
            # Runs when the gradient reaches this output, before it reaches the parameters.
            record["backward"] = True
            record["stale"] = any(p.grad is not None and bool(torch.any(p.grad != 0)) for p in self.parameters())

    return RecordingMLP()


def with_torch_seed(seed):
    """A function ``call(function, *args, **kwargs)``: ``function(*args, **kwargs)`` right after
    ``torch.manual_seed(seed)``, as the sweep must build each model. The grader uses it to rebuild a
    sweep model's seeded start with the student's own build_mlp; torch's global random state is
    restored afterwards, so the call leaves no trace in later calls of the student's code."""
    import torch

    def call(function, *args, **kwargs):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return function(*args, **kwargs)

    return call


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
