# A backward pass by numerical differentiation: it evaluates the network again with every parameter
# nudged (central differences of the upstream gradient times the output) instead of the chain rule.
# flag: backward_calls_forward
# %% cell: backward
def backward(dy_hat, cache, params, activation="relu"):
    X, dy_hat, step = np.asarray(cache["X"], dtype=float), np.asarray(dy_hat, dtype=float), 1e-6
    grads = {}
    for name, value in params.items():
        grad = np.zeros(np.shape(value))
        for index in np.ndindex(grad.shape):
            nudged = {k: np.array(v, dtype=float) for k, v in params.items()}
            nudged[name][index] += step
            up, _ = forward(X, nudged, activation)
            nudged[name][index] -= 2 * step
            down, _ = forward(X, nudged, activation)
            grad[index] = np.sum(dy_hat * (up - down)) / (2 * step)
        grads[name] = grad
    return grads
