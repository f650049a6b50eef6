"""Reference solution for cs1 part A: a one-hidden-layer network from scratch in NumPy.

Conventions (the notebook's public contract):
    X: (n, d) inputs, one sample per row
    params: {"W1": (d, h), "b1": (h,), "W2": (h, m), "b2": (m,)}
    forward: Z1 = X W1 + b1, A1 = f(Z1), y_hat = A1 W2 + b2  (linear output for regression)
    mse_loss: mean over all n * m entries of (y_hat - y)^2
Every function is pure: it never modifies its arguments.
"""
from __future__ import annotations

import numpy as np

# --- activations and their derivatives (with respect to their input z) ---------------------

def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    # The derivative at exactly 0 is taken as 0 (the subgradient PyTorch uses).
    return (np.asarray(z) > 0).astype(float)


def leaky_relu(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    # Two branches so that exp() never sees a large positive argument.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(z)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def softmax(z):
    """Row-wise softmax over the last axis; shifting by the max keeps exp() from overflowing."""
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
}


# --- network: forward and backward side by side --------------------------------------------

def init_params(n_in, n_hidden, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, np.sqrt(1.0 / n_hidden), size=(n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }


def forward(X, params, activation="relu"):
    """Forward pass. X: (n, d) -> y_hat: (n, m), cache = {"X", "Z1", "A1"} for backward()."""
    f, _ = ACTIVATIONS[activation]
    Z1 = X @ params["W1"] + params["b1"]
    A1 = f(Z1)
    y_hat = A1 @ params["W2"] + params["b2"]
    return y_hat, {"X": X, "Z1": Z1, "A1": A1}


def mse_loss(y_hat, y):
    return float(np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2))


def mse_loss_grad(y_hat, y):
    """dL/dy_hat for the mean over all entries: 2 (y_hat - y) / (n * m)."""
    y_hat = np.asarray(y_hat, dtype=float)
    return 2.0 * (y_hat - np.asarray(y, dtype=float)) / y_hat.size


def backward(dy_hat, cache, params, activation="relu"):
    """Chain rule through the linear output layer, the activation and the hidden layer."""
    _, f_grad = ACTIVATIONS[activation]
    dW2 = cache["A1"].T @ dy_hat
    db2 = np.sum(dy_hat, axis=0)
    dA1 = dy_hat @ params["W2"].T
    dZ1 = dA1 * f_grad(cache["Z1"])
    dW1 = cache["X"].T @ dZ1
    db1 = np.sum(dZ1, axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def loss_and_gradients(X, y, params, activation="relu"):
    y_hat, cache = forward(X, params, activation)
    grads = backward(mse_loss_grad(y_hat, y), cache, params, activation)
    return mse_loss(y_hat, y), grads


# --- checking gradients ----------------------------------------------------------------------

def numerical_gradient(f, x, h=1e-5):
    """Central differences of a scalar function f at array x; x is left unchanged."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), elementwise: the usual gradient-check measure."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def torch_gradients(X, y, params, activation="relu"):
    """The same gradients from torch autograd, as NumPy arrays keyed like params."""
    import torch

    tensors = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()}
    f = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
         "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}[activation]
    Xt = torch.tensor(np.asarray(X, dtype=float))
    yt = torch.tensor(np.asarray(y, dtype=float))
    y_hat = f(Xt @ tensors["W1"] + tensors["b1"]) @ tensors["W2"] + tensors["b2"]
    torch.mean((y_hat - yt) ** 2).backward()
    return {k: t.grad.numpy() for k, t in tensors.items()}


# --- classification: softmax + cross-entropy -------------------------------------------------

def log_softmax(z):
    """log softmax(z) over the last axis by log-sum-exp: z - max - log(sum(exp(z - max))), never log(0)."""
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def cross_entropy(z, y):
    """Mean over the n samples of -sum_c y_c log softmax(z)_c; z: (n, k) scores, y: (n, k) one-hot."""
    z = np.asarray(z, dtype=float)
    return float(-np.sum(np.asarray(y, dtype=float) * log_softmax(z)) / z.shape[0])


def cross_entropy_grad(z, y):
    """d cross_entropy / dz = (softmax(z) - y) / n: the softmax's and the log's derivatives cancel."""
    z = np.asarray(z, dtype=float)
    return (softmax(z) - np.asarray(y, dtype=float)) / z.shape[0]


# --- the lecture's chain rule for one weight ---------------------------------------------------

def chain_rule_dL_dw11(X, y, params):
    """dL/dw11 of the lecture's 3-2-1 network (ReLU hidden layer, linear output) for one sample,
    L = (y_hat - y)^2, as the product of the slide's five factors; w11 = W1[0, 0]."""
    x = np.asarray(X, dtype=float)[0]
    W1, b1 = np.asarray(params["W1"], dtype=float), np.asarray(params["b1"], dtype=float)
    W2, b2 = np.asarray(params["W2"], dtype=float), np.asarray(params["b2"], dtype=float)
    z1 = W1[0, 0] * x[0] + W1[1, 0] * x[1] + W1[2, 0] * x[2] + b1[0]
    z2 = W1[0, 1] * x[0] + W1[1, 1] * x[1] + W1[2, 1] * x[2] + b1[1]
    a1, a2 = max(0.0, z1), max(0.0, z2)
    y_hat = W2[0, 0] * a1 + W2[1, 0] * a2 + b2[0]      # z3, and y_hat = z3 (linear output)
    dL_dy_hat = 2.0 * (y_hat - float(np.asarray(y).reshape(-1)[0]))
    dy_hat_dz3 = 1.0
    dz3_da1 = W2[0, 0]                                  # w4
    da1_dz1 = 1.0 if z1 > 0 else 0.0                    # ReLU'(z1)
    dz1_dw11 = x[0]                                     # x1
    return float(dL_dy_hat * dy_hat_dz3 * dz3_da1 * da1_dz1 * dz1_dw11)


# --- gradient descent ------------------------------------------------------------------------

def sgd_step(params, grads, lr):
    """w' = w - lr * dL/dw for every parameter; returns new arrays."""
    return {k: params[k] - lr * grads[k] for k in params}


def train(X, y, params, lr, n_epochs, activation="relu"):
    """Full-batch gradient descent; returns (params, losses) with the loss before each step."""
    losses = []
    for _ in range(n_epochs):
        loss, grads = loss_and_gradients(X, y, params, activation)
        losses.append(loss)
        params = {k: np.asarray(v, dtype=float) for k, v in sgd_step(params, grads, lr).items()}
    return params, losses


def classify_loss_curve(losses):
    """Label a loss curve "diverging", "converging slowly" or "converging".

    diverging: any loss is not finite, or the last loss is higher than the first;
    otherwise, with drop = first - last and k = max(2, len // 10):
    converging slowly: the last k epochs still removed more than 5 % of the total drop;
    converging: the curve has flattened out.
    """
    losses = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(losses)) or losses[-1] > losses[0]:
        return "diverging"
    drop = losses[0] - losses[-1]
    k = max(2, len(losses) // 10)
    tail_drop = losses[-k] - losses[-1]
    return "converging slowly" if tail_drop > 0.05 * drop else "converging"


# --- the lecture's worked example -----------------------------------------------------------

def lecture_example():
    """Inputs and weights that reproduce the lecture's z1 = 1, z2 = 43, z3 = -50."""
    X = np.array([[1.0, 2.0, 3.0]])
    params = {
        "W1": np.array([[2.0, 5.0], [-1.0, 5.0], [0.0, 9.0]]),
        "b1": np.array([1.0, 1.0]),  # the lecture uses one bias b1 for both hidden neurons
        "W2": np.array([[2.0], [-1.0]]),
        "b2": np.array([-9.0]),
    }
    return X, params


def worked_example(X, params):
    """The lecture's steps for one sample, neuron by neuron: z1, z2 (hidden), z3 (output) and ReLU(z3)."""
    z_hidden = (np.asarray(X, dtype=float) @ params["W1"] + params["b1"])[0]
    z3 = float(relu(z_hidden) @ params["W2"][:, 0] + params["b2"][0])
    return {"z1": float(z_hidden[0]), "z2": float(z_hidden[1]), "z3": z3, "y_hat_relu_output": max(0.0, z3)}


# --- the learning-rate experiment (the notebook's read-only cell "lr_data" builds the same) ---

LR_EXPERIMENT = {"n_hidden": 16, "n_epochs": 300, "init_seed": 1, "about_right_max_loss": 0.05}


def lr_experiment_data():
    """The notebook's 1-D regression data for the learning-rate experiment: (X (64, 1), y (64, 1))."""
    rng = np.random.default_rng(42)
    X = np.sort(rng.uniform(-2.0, 2.0, size=(64, 1)), axis=0)
    y = np.sin(1.5 * X) + 0.1 * rng.normal(size=X.shape)
    return X, y


def lr_experiment_losses(lr):
    """The loss curve of the experiment's ReLU network trained with learning rate ``lr``."""
    X, y = lr_experiment_data()
    params = init_params(1, LR_EXPERIMENT["n_hidden"], seed=LR_EXPERIMENT["init_seed"])
    with np.errstate(over="ignore", invalid="ignore"):
        return train(X, y, params, lr, LR_EXPERIMENT["n_epochs"])[1]


# --- dying ReLU --------------------------------------------------------------------------------

def dead_unit_fraction(X, params):
    """Fraction of hidden units that are never active on X: Z1[:, j] <= 0 for every row."""
    Z1 = np.asarray(X, dtype=float) @ np.asarray(params["W1"], dtype=float) + np.asarray(params["b1"], dtype=float)
    return float(np.mean(np.all(Z1 <= 0, axis=0)))


def frozen_unit_fraction(params_before, params_after):
    """Fraction of hidden units whose incoming weights W1[:, j] and bias b1[j] did not change at all."""
    same_w = np.all(np.asarray(params_before["W1"]) == np.asarray(params_after["W1"]), axis=0)
    same_b = np.asarray(params_before["b1"]).reshape(-1) == np.asarray(params_after["b1"]).reshape(-1)
    return float(np.mean(same_w & same_b))


def train_and_measure(X, y, params, lr, n_epochs, activation="relu"):
    """Train with gradient descent, then (dead fraction after training, frozen fraction)."""
    trained, _ = train(X, y, params, lr, n_epochs, activation)
    return dead_unit_fraction(X, trained), frozen_unit_fraction(params, trained)


DYING_RELU = {"n_samples": 64, "n_hidden": 16, "bias": -3.0, "lr": 0.1, "n_epochs": 300, "data_seed": 7, "init_seed": 3}


def dying_relu_setup(data_seed=None, init_seed=None, bias=None):
    """The notebook's dying-ReLU experiment: the lr experiment's kind of data and a He initialisation
    whose hidden biases all start at a large negative value (a bad initialisation)."""
    cfg = DYING_RELU
    rng = np.random.default_rng(cfg["data_seed"] if data_seed is None else data_seed)
    X = np.sort(rng.uniform(-2.0, 2.0, size=(cfg["n_samples"], 1)), axis=0)
    y = np.sin(1.5 * X) + 0.1 * rng.normal(size=X.shape)
    params = init_params(1, cfg["n_hidden"], seed=cfg["init_seed"] if init_seed is None else init_seed)
    params["b1"] = np.full(cfg["n_hidden"], cfg["bias"] if bias is None else bias)
    return X, y, params
