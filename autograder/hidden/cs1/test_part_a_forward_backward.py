"""Hidden tests for cs1 part A: a one-hidden-layer network from scratch in NumPy.

Every test calls the student's functions on random inputs from ``rng`` and compares with the
reference solution. Tolerances (``RTOL``) let float32 work pass while every typical mistake,
each computed below from the reference as a ``mistakes`` variant, is far outside them.

Steps that build on earlier ones are judged on their own logic: ``own()`` evaluates the
student's own activation (derivative) for the expected result, so a wrong ``relu_grad`` costs
points in ``test_relu_grad`` only, not again in ``test_backward_*``.
"""
from __future__ import annotations

import numpy as np
import pytest

import solutions.cs1.forward_backward as ref
from autograder.testing import (GradingFailure, Mistake, Probe, StudentCodeError, as_array, as_float, assignment_probes,
                                expect_array, expect_float, fail)

probes = assignment_probes(__file__)     # what the Probe("smooth", ...) handed to student code computes

RTOL, ATOL = 1e-4, 1e-5          # float32 results pass; every mistake below is off by far more
KEYS = ("W1", "b1", "W2", "b2")
BROADCAST = ("an (n, 1) column and an (n,) vector broadcast into an (n, n) matrix: "
             "keep y_hat and y both (n, m)")


# --- helpers ----------------------------------------------------------------------------------

def network(rng, n=6, d=3, h=4, m=1):
    """Random inputs and parameters with n, d, h all different, so a transpose cannot hide."""
    X = rng.normal(size=(n, d))
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h),
              "W2": rng.normal(size=(h, m)), "b2": rng.normal(size=m)}
    return X, params


def own(student, name, z, reference):
    """The student's own ``name(z)`` when it gives a usable array, else the reference."""
    try:
        value = as_array(getattr(student, name)(z), name=name).astype(float)
    except GradingFailure:
        return reference
    if value.shape != reference.shape or not np.all(np.isfinite(value)):
        return reference
    return value


def two_values(result, what, names):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{what} should return two values, ({names})")
    return result


def as_dict(value, what, keys=KEYS):
    if not isinstance(value, dict):
        fail(f"{what} should be a dict with keys {', '.join(map(repr, keys))}")
    missing = [k for k in keys if k not in value]
    if missing:
        fail(f"{what} has no entry for {', '.join(map(repr, missing))}: "
             f"use the keys {', '.join(map(repr, keys))}")
    return value


def expect_param_shaped(value, expected, *, name, mistakes=None, hint=""):
    """Like expect_array, plus: a bias may be (h,) or (1, h); a transposed matrix is named as such."""
    expected = np.asarray(expected, dtype=float)
    got = as_array(value, name=name)
    if expected.ndim == 2 and got.shape == expected.T.shape and expected.shape[0] != expected.shape[1]:
        fail(f"{name} has shape {got.shape}, the transpose of the expected {expected.shape}: "
             "a gradient has the shape of its parameter, so check the order of the matrix product "
             "and where the .T goes", mistake="gradient.transposed")
    shapes = ((1, expected.shape[0]),) if expected.ndim == 1 else ()
    return expect_array(got, expected, name=name, rtol=RTOL, atol=ATOL, shapes=shapes,
                        mistakes=mistakes, hint=hint)


def unset(name):
    return (f"{name} is still None: the lecture-example cell is not implemented yet "
            "(set it to the number you computed)")


# --- 1. activations ---------------------------------------------------------------------------

def with_edges(rng, shape=(4, 5)):
    """Random values plus the edge cases 0, tiny and large magnitudes."""
    z = rng.normal(scale=3.0, size=shape)
    z.flat[:6] = [0.0, -0.0, 1e-12, -1e-12, 30.0, -30.0]
    return z


@pytest.mark.points(1)
@pytest.mark.cell("test_relu")
def test_relu(student, rng):
    """relu(z) is max(0, z) elementwise."""
    z = with_edges(rng)
    expect_array(student.relu(z), ref.relu(z), name="relu(z)", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("relu.negatives_kept", "it returns z unchanged for negative inputs: ReLU maps every z < 0 to 0"): z,
        Mistake("relu.is_derivative", "it is the derivative, not ReLU itself: relu(z) = max(0, z)"): ref.relu_grad(z),
        Mistake("relu.min_instead_of_max", "it keeps the negative values and zeroes the positive ones: max(0, z), not min(0, z)"): np.minimum(z, 0),
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_relu")
def test_relu_grad(student, rng):
    """relu_grad(z) is 1 for z > 0 and 0 for z <= 0, also at exactly 0."""
    z = with_edges(rng)
    expect_array(student.relu_grad(z), ref.relu_grad(z), name="relu_grad(z)", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("relu_grad.one_at_zero", "the ReLU derivative at exactly z = 0 is taken as 0 (use z > 0, not z >= 0)"):
            (z >= 0).astype(float),
        Mistake("relu_grad.minus_one_below_zero", "the ReLU derivative for z < 0 is 0 (ReLU is flat there), not -1"): np.sign(z),
        Mistake("relu_grad.is_relu", "this is ReLU itself; its derivative is 1 for z > 0 and 0 otherwise, not max(0, z)"): ref.relu(z),
        Mistake("relu_grad.always_one", "the ReLU derivative is 0 for z <= 0 (ReLU is flat there), not 1 everywhere"): np.ones_like(z),
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_leaky_relu")
def test_leaky_relu(student, rng):
    """leaky_relu and leaky_relu_grad, with the default alpha and a given alpha."""
    z = with_edges(rng)
    for alpha in (None, 0.2):
        kwargs = {} if alpha is None else {"alpha": alpha}
        a = 0.01 if alpha is None else alpha
        expect_array(student.leaky_relu(z, **kwargs), ref.leaky_relu(z, a), name=f"leaky_relu(z, alpha={a})",
                     rtol=RTOL, atol=ATOL, mistakes={
                         Mistake("leaky_relu.ignores_alpha", "it ignores its alpha argument"): ref.leaky_relu(z, 0.01 if a != 0.01 else 0.2),
                         Mistake("leaky_relu.plain_relu", "for z <= 0 it should be alpha * z, not 0 (that is plain ReLU)"): ref.relu(z),
                     })
        expect_array(student.leaky_relu_grad(z, **kwargs), ref.leaky_relu_grad(z, a),
                     name=f"leaky_relu_grad(z, alpha={a})", rtol=RTOL, atol=ATOL, mistakes={
                         Mistake("leaky_relu.ignores_alpha", "it ignores its alpha argument"): ref.leaky_relu_grad(z, 0.01 if a != 0.01 else 0.2),
                         Mistake("leaky_relu_grad.zero_below_zero", "its derivative for z <= 0 is alpha (the slope there), not 0"): ref.relu_grad(z),
                         Mistake("leaky_relu_grad.alpha_times_z", "its derivative for z <= 0 is alpha, not alpha * z"): np.where(z > 0, 1.0, a * z),
                     })


def sigmoid_inputs(rng):
    z = with_edges(rng)
    z.flat[6:10] = [1000.0, -1000.0, 750.0, -750.0]  # exp() of these overflows in float64
    return z


@pytest.mark.points(1)
@pytest.mark.cell("test_sigmoid")
def test_sigmoid(student, rng):
    """sigmoid(z) is 1 / (1 + exp(-z)), finite and correct also for z = +-1000."""
    z = sigmoid_inputs(rng)
    expect_array(student.sigmoid(z), ref.sigmoid(z), name="sigmoid(z)", rtol=RTOL, atol=ATOL,
                 hint="for large |z| exp() overflows to inf and inf / inf is NaN: "
                      "use exp(z) / (1 + exp(z)) for z < 0 and 1 / (1 + exp(-z)) for z >= 0",
                 mistakes={Mistake("sigmoid.sign_in_exponent", "it is 1 / (1 + exp(-z)), with a minus sign in the exponent"):
                           ref.sigmoid(-z)})


@pytest.mark.points(1)
@pytest.mark.cell("test_sigmoid")
def test_sigmoid_grad(student, rng):
    """sigmoid_grad(z) is sigmoid(z) * (1 - sigmoid(z)), finite for large |z|."""
    z = sigmoid_inputs(rng)
    s = ref.sigmoid(z)
    expect_array(student.sigmoid_grad(z), ref.sigmoid_grad(z), name="sigmoid_grad(z)", rtol=RTOL, atol=ATOL,
                 hint="compute it from a stable sigmoid(z): s * (1 - s)",
                 mistakes={
                     Mistake("sigmoid_grad.formula_on_z", "apply the formula to sigmoid(z), not to z: s * (1 - s) with s = sigmoid(z)"): z * (1 - z),
                     Mistake("sigmoid_grad.is_sigmoid", "it is s * (1 - s), not s"): s,
                     Mistake("sigmoid_grad.one_minus_sigmoid", "it is s * (1 - s), not 1 - s"): 1 - s,
                 })


@pytest.mark.points(1)
@pytest.mark.cell("test_tanh")
def test_tanh(student, rng):
    """tanh(z) and tanh_grad(z) = 1 - tanh(z)**2."""
    z = with_edges(rng)
    expect_array(student.tanh(z), ref.tanh(z), name="tanh(z)", rtol=RTOL, atol=ATOL)
    expect_array(student.tanh_grad(z), ref.tanh_grad(z), name="tanh_grad(z)", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("tanh_grad.formula_on_z", "it is 1 - tanh(z)**2, not 1 - z**2"): 1 - z ** 2,
        Mistake("tanh_grad.not_squared", "it is 1 - tanh(z)**2, not 1 - tanh(z)"): 1 - np.tanh(z),
        Mistake("tanh_grad.missing_one_minus", "it is 1 - tanh(z)**2, not tanh(z)**2"): np.tanh(z) ** 2,
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_softmax")
def test_softmax(student, rng):
    """softmax normalises each row (the last axis) of a batch, and works for a 1-D array."""
    z = rng.normal(scale=2.0, size=(5, 4))
    expect_array(student.softmax(z), ref.softmax(z), name="softmax(z) of an (n, k) batch", rtol=RTOL, atol=ATOL,
                 mistakes={
                     Mistake("softmax.normalises_columns", "it normalises the columns; each row (the last axis) must sum to 1"):
                         np.exp(z) / np.exp(z).sum(axis=0, keepdims=True),
                     Mistake("softmax.normalises_whole_array", "it divides by the sum over the whole array; normalise each row separately"):
                         np.exp(z) / np.exp(z).sum(),
                     Mistake("softmax.missing_exp", "it is missing the exponential: softmax = exp(z) / sum(exp(z))"):
                         z / z.sum(axis=1, keepdims=True),
                 })
    v = rng.normal(size=6)
    expect_array(student.softmax(v), ref.softmax(v), name="softmax(z) of a 1-D array", rtol=RTOL, atol=ATOL)


@pytest.mark.points(1)
@pytest.mark.cell("test_softmax")
def test_softmax_large_inputs(student, rng):
    """softmax stays finite and correct for large scores such as [1000, 1001]."""
    # 1-D scores only: this test is about overflow, the axis is test_softmax's business.
    hint = ("exp() of a large score overflows to inf (and of a very negative one underflows to 0, "
            "giving 0 / 0): subtract the maximum before exp, softmax(z) = softmax(z - max(z))")
    cases = {"softmax([1000, 1001])": np.array([1000.0, 1001.0]),
             "softmax(z) for scores around +900": rng.normal(size=5) + 900.0,
             "softmax(z) for scores around -900": rng.normal(size=5) - 900.0}
    for name, z in cases.items():
        expect_array(softmax_of_scores(student, z), ref.softmax(z), name=name, rtol=RTOL, atol=ATOL, hint=hint)


def softmax_of_scores(student, z):
    """The student's softmax of 1-D scores, asked as a one-row batch if 1-D input itself fails:
    that failure is test_softmax's to report, this test is about overflow only."""
    try:
        return student.softmax(z)
    except StudentCodeError:
        return as_array(student.softmax(z[None, :]), name="softmax(z)").reshape(z.shape)


# --- 2. forward ---------------------------------------------------------------------------------

def expected_forward(student, X, params, activation):
    Z1 = X @ params["W1"] + params["b1"]
    f, _ = ref.ACTIVATIONS[activation]
    A1 = own(student, activation, Z1, f(Z1))
    return Z1, A1, A1 @ params["W2"] + params["b2"]


def check_y_hat(y_hat, expected, X, params, activation, Z1, A1):
    expected = np.asarray(expected)
    got = as_array(y_hat, name="y_hat")
    if got.shape == expected.shape[:1] and expected.shape[1] == 1:
        fail(f"y_hat has shape {got.shape}, expected {expected.shape}: keep it 2-D also for m = 1; "
             f"{BROADCAST}", mistake="forward.flat_output")
    f, _ = ref.ACTIVATIONS[activation]
    W1, b1, W2, b2 = (params[k] for k in KEYS)
    mistakes = {
        Mistake("forward.missing_output_bias", "output off by exactly b2: did you add the output bias b2?"): A1 @ W2,
        Mistake("forward.missing_hidden_bias", "the hidden layer is missing its bias: did you add b1 (Z1 = X W1 + b1)?"): f(X @ W1) @ W2 + b2,
        Mistake("forward.missing_activation", "the activation is missing: A1 = f(Z1), then y_hat = A1 W2 + b2"): Z1 @ W2 + b2,
        Mistake("forward.activation_on_output", "a regression network has a linear output: do not apply the activation to y_hat"):
            f(A1 @ W2 + b2),
    }
    if activation != "relu":
        mistakes[Mistake("forward.ignores_activation_argument", "forward() ignores its activation argument (it used ReLU): "
                 "use f, _ = ACTIVATIONS[activation]")] = ref.relu(Z1) @ W2 + b2
    expect_array(got, expected, name=f"forward(X, params, activation={activation!r}): y_hat",
                 rtol=RTOL, atol=ATOL, mistakes=mistakes)


@pytest.mark.points(2)
@pytest.mark.cell("test_forward")
def test_forward_output(student, rng):
    """forward() returns y_hat = f(X W1 + b1) W2 + b2 of shape (n, m), for several activations."""
    for activation, m in (("relu", 1), ("tanh", 2)):
        X, params = network(rng, n=7, d=3, h=5, m=m)
        Z1, A1, expected = expected_forward(student, X, params, activation)
        y_hat, _ = two_values(student.forward(X, params, activation=activation), "forward()", "y_hat, cache")
        check_y_hat(y_hat, expected, X, params, activation, Z1, A1)


@pytest.mark.points(1)
@pytest.mark.cell("test_forward")
def test_forward_cache(student, rng):
    """forward()'s cache is a dict with X, Z1 = X W1 + b1 and A1 = f(Z1)."""
    X, params = network(rng, n=6, d=4, h=3, m=1)
    Z1, A1, _ = expected_forward(student, X, params, "relu")
    _, cache = two_values(student.forward(X, params), "forward()", "y_hat, cache")
    cache = as_dict(cache, "forward()'s cache", keys=("X", "Z1", "A1"))
    expect_array(cache["X"], X, name="cache['X']", rtol=RTOL, atol=ATOL)
    expect_array(cache["Z1"], Z1, name="cache['Z1']", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("forward.cache_z1_is_a1", "Z1 = X W1 + b1 before the activation, not f(Z1) (or does your activation function "
        "modify its input array in place?)"): A1,
        Mistake("forward.missing_hidden_bias", "Z1 is missing the hidden bias b1"): X @ params["W1"],
    })
    expect_array(cache["A1"], A1, name="cache['A1']", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("forward.cache_a1_is_z1", "A1 holds the activations f(Z1), not Z1 itself"): Z1,
    })


# --- 3. the lecture's worked example -------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.cell("test_lecture_example")
def test_lecture_example(student):
    """The lecture's worked example: z1 = 1, z2 = 43, z3 = -50 and a ReLU output's y_hat = 0."""
    X, params = ref.lecture_example()
    W1, b1, W2, b2 = (params[k] for k in KEYS)
    z_hidden = (X @ W1 + b1)[0]
    z_out = float((ref.relu(z_hidden) @ W2 + b2)[0])
    wrong_bias = Mistake("lecture_example.missing_hidden_bias", "the hidden neurons' bias b1 = 1 is missing")
    cases = [
        ("z1", z_hidden[0], {wrong_bias: z_hidden[0] - b1[0],
                             Mistake("lecture_example.wrong_neuron_weights", "it uses the weights of hidden neuron 2; neuron 1 uses column 0 of W1 "
                             "(w11, w21, w31)"): z_hidden[1]}),
        ("z2", z_hidden[1], {wrong_bias: z_hidden[1] - b1[1],
                             Mistake("lecture_example.wrong_neuron_weights", "it uses the weights of hidden neuron 1; neuron 2 uses column 1 of W1 "
                             "(w12, w22, w32)"): z_hidden[0]}),
        ("z3", z_out, {Mistake("lecture_example.missing_output_bias", "the output bias b2 is missing"): z_out - float(b2[0]),
                       Mistake("lecture_example.swapped_output_weights", "z3 = w4 a1 + w5 a2 + b2: did you swap w4 and w5?"):
                           float(z_hidden[::-1] @ W2[:, 0] + b2[0])}),
        ("y_hat_relu_output", max(0.0, z_out), {Mistake("lecture_example.relu_output_not_applied", "a ReLU output gives max(0, z3), not z3 itself"): z_out,
                                                Mistake("lecture_example.abs_instead_of_relu", "it is ReLU(z3) = max(0, z3), not |z3|"): abs(z_out)}),
    ]
    for name, expected, mistakes in cases:
        value = student.get(name)
        if value is None:
            fail(unset(name))
        expect_float(value, expected, name=name, rtol=RTOL, atol=1e-6, mistakes=mistakes)


# --- 4. the loss ----------------------------------------------------------------------------------

def regression_targets(rng, n, m):
    return rng.normal(size=(n, m)), rng.normal(size=(n, m))


@pytest.mark.points(1)
@pytest.mark.cell("test_mse_loss")
def test_mse_loss(student, rng):
    """mse_loss is the mean of the squared errors over all n * m entries."""
    for n, m in ((8, 1), (5, 3)):
        y_hat, y = regression_targets(rng, n, m)
        err = y_hat - y
        mistakes = {
            Mistake("mse.sum_not_mean", "you summed the squared errors: the MSE is their mean (divide by the number of values)"):
                np.sum(err ** 2),
            Mistake("mse.absolute_errors", "the errors must be squared, not taken as absolute values"): np.mean(np.abs(err)),
            Mistake("mse.root_taken", "this is the root of the MSE (RMSE); the MSE has no square root"): np.sqrt(np.mean(err ** 2)),
            Mistake("mse.divided_by_n_only", "with several outputs, divide by all n * m values (np.mean), not by n"): np.sum(err ** 2) / n,
        }
        if m == 1:
            mistakes[Mistake("mse.broadcast_shapes", f"y_hat - y broadcast: {BROADCAST}")] = np.mean((y_hat.ravel() - y) ** 2)
        expect_float(student.mse_loss(y_hat, y), ref.mse_loss(y_hat, y), name=f"mse_loss for (n, m) = ({n}, {m})",
                     rtol=RTOL, atol=ATOL, mistakes=mistakes)


@pytest.mark.points(1)
@pytest.mark.cell("test_mse_loss_grad")
def test_mse_loss_grad(student, rng):
    """mse_loss_grad is 2 (y_hat - y) / (n m), with the shape of y_hat."""
    for n, m in ((8, 1), (5, 3)):
        y_hat, y = regression_targets(rng, n, m)
        expected = ref.mse_loss_grad(y_hat, y)
        got = as_array(student.mse_loss_grad(y_hat, y), name="mse_loss_grad(y_hat, y)")
        if got.shape == (n, n) and m == 1:
            fail(f"mse_loss_grad(y_hat, y) has shape {got.shape}, expected {expected.shape}: {BROADCAST}", mistake="mse_grad.broadcast_shapes")
        err = y_hat - y
        expect_array(got, expected, name=f"mse_loss_grad for (n, m) = ({n}, {m})", rtol=RTOL, atol=ATOL, mistakes={
            Mistake("mse_grad.missing_factor_2", "the factor 2 is missing: the derivative of (y_hat - y)**2 is 2 (y_hat - y)"): err / err.size,
            Mistake("mse_grad.sign_flipped", "the sign is flipped: dL/dy_hat = 2 (y_hat - y) / (n m), not 2 (y - y_hat) / (n m)"): -expected,
            Mistake("mse_grad.missing_mean", "the 1 / (n m) of the mean is missing"): 2 * err,
            Mistake("mse_grad.divided_by_n_only", "with several outputs, divide by all n * m values, not by n"): 2 * err / n,
        })


# --- 5. backward ----------------------------------------------------------------------------------

def backward_case(student, rng, activation, n=6, d=3, h=4, m=2):
    """Inputs for backward() and the expected gradients with the student's own f'(Z1)."""
    X, params = network(rng, n=n, d=d, h=h, m=m)
    _, cache = ref.forward(X, params, activation)
    dy = rng.normal(size=(n, m))
    _, f_grad = ref.ACTIVATIONS[activation]
    fprime = own(student, f"{activation}_grad", cache["Z1"], f_grad(cache["Z1"]))
    dA1 = dy @ params["W2"].T
    dZ1 = dA1 * fprime
    expected = {"W2": cache["A1"].T @ dy, "b2": dy.sum(axis=0), "W1": X.T @ dZ1, "b1": dZ1.sum(axis=0)}
    grads = as_dict(student.backward(dy, cache, params, activation=activation), "backward()'s result")
    return X, params, cache, dy, dA1, dZ1, expected, grads


@pytest.mark.points(2)
@pytest.mark.cell("test_backward")
def test_backward_output_layer(student, rng):
    """backward(): dW2 = A1.T dy_hat and db2 = the sum of dy_hat over the samples."""
    X, params, cache, dy, _, _, expected, grads = backward_case(student, rng, "relu")
    n = len(X)
    expect_param_shaped(grads["W2"], expected["W2"], name="the gradient of W2", mistakes={
        Mistake("backward.dw2_averaged", "it is n times too small: dy_hat already contains the 1/n of the mean, so sum over the "
        "samples (A1.T @ dy_hat), do not average again"): expected["W2"] / n,
        Mistake("backward.dw2_uses_z1", "use the hidden activations A1 (the output layer's input), not Z1"): cache["Z1"].T @ dy,
    })
    expect_param_shaped(grads["b2"], expected["b2"], name="the gradient of b2", mistakes={
        Mistake("backward.db2_averaged", "it is off by a factor of n: did you average over the batch? dy_hat already contains the "
        "1/n of the mean, so db2 is the sum over the samples"): expected["b2"] / n,
    })


@pytest.mark.points(2)
@pytest.mark.cell("test_backward")
def test_backward_hidden_layer(student, rng):
    """backward(): dZ1 = (dy_hat W2.T) * f'(Z1), dW1 = X.T dZ1, db1 = the sum of dZ1 over the samples."""
    for activation in ("relu", "tanh"):
        X, params, cache, dy, dA1, dZ1, expected, grads = backward_case(student, rng, activation)
        n, f_grad = len(X), ref.ACTIVATIONS[activation][1]
        missing_derivative = Mistake("backward.missing_activation_derivative", "the chain rule is missing the activation's derivative: dZ1 = dA1 * f'(Z1)")
        mistakes_W1 = {
            missing_derivative: X.T @ dA1,
            Mistake("backward.dw1_averaged", "it is n times too small: did you average over the batch? dy_hat already contains the "
            "1/n of the mean, so sum over the samples (X.T @ dZ1)"): expected["W1"] / n,
        }
        mistakes_b1 = {
            missing_derivative: dA1.sum(axis=0),
            Mistake("backward.db1_averaged", "it is off by a factor of n: did you average over the batch? dy_hat already contains the "
            "1/n of the mean, so db1 is the sum of dZ1 over the samples"): expected["b1"] / n,
        }
        if activation != "relu":
            ignores = (Mistake("backward.ignores_activation_argument", "backward() ignores its activation argument (it used ReLU's derivative): "
                       "use _, f_grad = ACTIVATIONS[activation]"))
            mistakes_W1[ignores] = X.T @ (dA1 * ref.relu_grad(cache["Z1"]))
            mistakes_b1[ignores] = (dA1 * ref.relu_grad(cache["Z1"])).sum(axis=0)
            at_A1 = Mistake("backward.derivative_at_a1", "the derivative f' must be evaluated at Z1 (the activation's input), not at A1")
            mistakes_W1[at_A1] = X.T @ (dA1 * f_grad(cache["A1"]))
            mistakes_b1[at_A1] = (dA1 * f_grad(cache["A1"])).sum(axis=0)
        expect_param_shaped(grads["W1"], expected["W1"], name=f"the gradient of W1 ({activation})",
                            mistakes=mistakes_W1)
        expect_param_shaped(grads["b1"], expected["b1"], name=f"the gradient of b1 ({activation})",
                            mistakes=mistakes_b1)


# --- 6. gradient checking ---------------------------------------------------------------------------

def forward_difference(f, x, h):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    base = f(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += h
        grad[index] = (f(shifted) - base) / h
    return grad


def without_restoring(f, x, h):
    """A central difference that forgets to put each entry back."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        f_plus = f(x)
        x[index] -= 2 * h
        grad[index] = (f_plus - f(x)) / (2 * h)
    return grad


@pytest.mark.points(2)
@pytest.mark.cell("test_numerical_gradient")
def test_numerical_gradient(student, rng):
    """numerical_gradient uses central differences with the given h, for x of any shape."""
    shape = (3, 4)
    a, w, x = rng.normal(size=shape), rng.uniform(0.5, 2.0, size=shape), rng.normal(size=shape)
    f = probes.smooth(a=a, w=w)
    h = 1e-2  # large enough that a one-sided difference is visibly worse than a central one
    expected = ref.numerical_gradient(f, x, h=h)
    expect_array(student.numerical_gradient(Probe("smooth", a=a, w=w), x, h=h), expected,
                 name=f"numerical_gradient(f, x, h={h})", rtol=RTOL, atol=1e-6, mistakes={
                     Mistake("numerical_gradient.one_sided", "this is a one-sided difference (f(x + h) - f(x)) / h; use the central difference "
                     "(f(x + h) - f(x - h)) / (2h)"): forward_difference(f, x, h),
                     Mistake("numerical_gradient.divided_by_h", "divide by 2h, not by h"): 2 * expected,
                     Mistake("numerical_gradient.divided_by_2", "divide by 2h (the distance from x - h to x + h), not by 2"): expected * h,
                     Mistake("numerical_gradient.entries_not_restored", "put each entry back after nudging it (x[i] = original), before the next entry"):
                         without_restoring(f, x, h),
                 })
    exact = a * np.cos(x) + w * x
    expect_array(student.numerical_gradient(Probe("smooth", a=a, w=w), x), exact,
                 name="numerical_gradient(f, x) with the default h", rtol=1e-4, atol=1e-6,
                 hint="with the default h = 1e-5 the central difference is accurate to about 1e-9")


@pytest.mark.points(1)
@pytest.mark.cell("test_relative_error")
def test_relative_error(student, rng):
    """relative_error is the max over entries of |a - b| / max(1e-8, |a| + |b|), and 0 for two zero arrays."""
    a = rng.normal(size=(4, 3))
    b = a + rng.normal(scale=0.1, size=a.shape)
    b[0, 0] = -0.5 * a[0, 0]  # opposite signs: |a| + |b| and |a + b| differ a lot here
    diff = np.abs(a - b)
    expect_float(student.relative_error(a, b), ref.relative_error(a, b), name="relative_error(a, b)",
                 rtol=RTOL, atol=1e-9, mistakes={
                     Mistake("relative_error.mean_not_max", "take the maximum over the entries, not the mean"): np.mean(diff / (np.abs(a) + np.abs(b))),
                     Mistake("relative_error.abs_of_sum", "the denominator is |a| + |b| (absolute values first), not |a + b|"):
                         np.max(diff / np.abs(a + b)),
                     Mistake("relative_error.norms", "compare entry by entry and take the max, not norms of the whole arrays"):
                         np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)),
                 })
    zeros = np.zeros((2, 3))
    value = as_array(student.relative_error(zeros, zeros), name="relative_error of two zero arrays")
    if value.size == 1 and not np.isfinite(value.reshape(())):
        fail("relative_error of two zero arrays is NaN (0 / 0): guard the denominator with "
             "np.maximum(1e-8, |a| + |b|)", mistake="relative_error.zero_division")
    expect_float(value, 0.0, name="relative_error of two zero arrays", atol=1e-12)


# --- 7. torch ------------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.cell("test_torch_gradients")
def test_torch_gradients(student, rng):
    """torch_gradients returns autograd's gradients of the MSE for the forward() network."""
    for activation, m in (("relu", 1), ("sigmoid", 2)):
        X, params = network(rng, n=6, d=3, h=4, m=m)
        y = rng.normal(size=(6, m))
        _, expected = ref.loss_and_gradients(X, y, params, activation)
        grads = as_dict(student.torch_gradients(X, y, params, activation=activation), "torch_gradients()'s result")
        for key in KEYS:
            expect_param_shaped(grads[key], expected[key], name=f"torch's gradient of {key} ({activation})", mistakes={
                Mistake("torch_gradients.sum_loss", "it is n * m times too large: the loss is the mean of the squared errors (torch.mean), "
                "not their sum"): expected[key] * y.size,
                Mistake("torch_gradients.half_mse", "it is half as large as it should be: did you divide the MSE by 2?"): expected[key] / 2,
                Mistake("torch_gradients.sign_flipped", "the sign is flipped: the loss is mean((y_hat - y)**2), its gradient points uphill"):
                    -expected[key],
            })


# --- 8. gradient descent ---------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.cell("test_sgd_step")
def test_sgd_step(student, rng):
    """sgd_step returns new parameters w - lr * dL/dw and leaves its inputs unchanged."""
    _, params = network(rng, d=3, h=4, m=2)
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    lr = 0.05
    new = as_dict(student.sgd_step(params, grads, lr), "sgd_step()'s result")
    for key in KEYS:
        expected = params[key] - lr * grads[key]
        expect_param_shaped(new[key], expected, name=f"the updated {key}", mistakes={
            Mistake("sgd.wrong_sign", "the sign is wrong: gradient descent steps against the gradient, w' = w - lr * dL/dw"):
                params[key] + lr * grads[key],
            Mistake("sgd.missing_learning_rate", "the learning rate is missing: w' = w - lr * dL/dw"): params[key] - grads[key],
            Mistake("sgd.returns_step", "it returns the step lr * dL/dw, not the updated parameter w - lr * dL/dw"): lr * grads[key],
            Mistake("sgd.returns_unchanged", "it returns the parameter unchanged: w' = w - lr * dL/dw"): params[key],
        })


CURVES = {
    "a curve that flattened out": ("converging", lambda t: 0.2 + 3.0 * np.exp(-t / 8.0)),
    "a curve still falling steadily": ("converging slowly", lambda t: 5.0 - 0.02 * t),
    "a slowly decaying curve": ("converging slowly", lambda t: 1.0 + 4.0 * np.exp(-t / 400.0)),
    "a rising curve": ("diverging", lambda t: 1.0 * np.exp(t / 20.0)),
    "a curve that ends in NaN": ("diverging",
                                 lambda t: np.where(t < 30, 2.0 - 0.01 * t, np.where(t < 60, 1e300 * t, np.nan))),
    "a curve that ends in inf": ("diverging", lambda t: np.where(t < 100, 3.0 - 0.01 * t, np.inf)),
    "a falling curve that ends above its start": ("diverging", lambda t: np.where(t < 100, 3.0 - 0.02 * t, 3.5)),
}


@pytest.mark.points(2)
@pytest.mark.cell("test_classify_loss_curve")
def test_classify_loss_curve(student, rng, credit):
    """classify_loss_curve labels converging, slowly converging and diverging curves."""
    names = list(CURVES)
    rng.shuffle(names)
    wrong = []
    for name in names:
        label, curve = CURVES[name]
        t = np.arange(int(rng.integers(100, 160)), dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            losses = curve(t) * rng.uniform(0.5, 2.0)
        assert ref.classify_loss_curve(losses) == label  # guards the test itself
        got = student.classify_loss_curve([float(v) for v in losses])
        if not isinstance(got, str):
            fail(f"classify_loss_curve should return one of the strings 'converging', 'converging slowly', "
                 f"'diverging', but returned a {type(got).__name__}")
        if got not in ("converging", "converging slowly", "diverging"):
            fail(f"classify_loss_curve returned {got[:40]!r}; use exactly 'converging', "
                 "'converging slowly' or 'diverging'")
        if got != label:
            wrong.append(f"{name} is {label!r}, not {got!r}")
    credit.award((len(names) - len(wrong)) / len(names))
    if wrong:
        fail("classify_loss_curve: " + "; ".join(wrong[:2]) + (" (and more)" if len(wrong) > 2 else ""))


@pytest.mark.points(2)
@pytest.mark.cell("test_learning_rates")
def test_learning_rates(student, credit):
    """learning_rates: a too low, an about right and a too high learning rate for the experiment."""
    rates = student.get("learning_rates")
    wanted = {"too low": "converging slowly", "about right": "converging", "too high": "diverging"}
    if not isinstance(rates, dict):
        fail("learning_rates should be a dict with the keys 'too low', 'about right' and 'too high'")
    missing = [k for k in wanted if k not in rates]
    if missing:
        fail(f"learning_rates has no entry for {', '.join(map(repr, missing))}")
    wrong = []
    for key, label in wanted.items():
        lr = rates[key]
        if lr is None:
            fail(f"learning_rates[{key!r}] is still None: the learning-rate cell is not implemented yet")
        lr = as_float(lr, name=f"learning_rates[{key!r}]")
        if lr <= 0:
            wrong.append(f"{key!r} should be a positive learning rate")
            continue
        losses = ref.lr_experiment_losses(lr)
        got = ref.classify_loss_curve(losses)
        if got != label:
            wrong.append(f"with {key!r} = {lr:g} the loss curve is {got!r}, not {label!r}")
        elif key == "about right" and losses[-1] >= ref.LR_EXPERIMENT["about_right_max_loss"]:
            wrong.append(f"with 'about right' = {lr:g} the final loss {losses[-1]:.3g} is not below "
                         f"{ref.LR_EXPERIMENT['about_right_max_loss']}: a larger learning rate gets further")
    credit.award((len(wanted) - len(wrong)) / len(wanted))
    if wrong:
        fail("learning_rates: " + "; ".join(wrong))
