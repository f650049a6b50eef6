"""Hidden tests for cs1 part A: a one-hidden-layer network from scratch in NumPy.

Every test calls the student's functions on random inputs from ``rng`` and compares with the
reference solution. Tolerances (``RTOL``) let float32 work pass while every typical mistake,
each computed below from the reference as a ``mistakes`` variant, is far outside them.

Steps that build on earlier ones are judged on their own logic: a wrong ``relu_grad`` costs
points in ``test_relu_grad`` only, not again in ``test_backward_*``. The student's helper is never
the oracle itself, though: ``own()`` asks it on the very inputs of the later test and takes the
grader's own value of what it agrees with there (the reference, or one of the named mistakes its
test names), else the reference. A helper that is right only where it is tested cannot steer a
later test.
"""
from __future__ import annotations

import numpy as np
import pytest

import solutions.cs1.forward_backward as ref
from autograder.grading.testing import (
    REFERENCE,
    Mistake,
    Probe,
    StudentCodeError,
    as_array,
    as_float,
    assignment_probes,
    expect_array,
    expect_float,
    fail,
    identify,
)

probes = assignment_probes(__file__)     # what the Probe("smooth", ...) handed to student code computes

RTOL, ATOL = 1e-4, 1e-5          # float32 results pass; every mistake below is off by far more
# Fractions of at most a few dozen neurons differ by 1/h or more; float32 (allowed by the text) rounds 0.4 to
# 0.40000000596: a fraction is right to 1e-6, not to 1e-9.
FRACTION_TOL = 1e-6
KEYS = ("W1", "b1", "W2", "b2")
# Pass marks the notebook states where the task is set, and the visible check that applies the same number
# (tests/assignments/test_stated_thresholds.py holds the notebook to this table).
ABOUT_RIGHT_MAX_LOSS = ref.LR_EXPERIMENT["about_right_max_loss"]
STATED_THRESHOLDS = {"ABOUT_RIGHT_MAX_LOSS": {"value": 0.05, "check": "test_learning_rates", "text": "0.05"}}
BROADCAST = ("an (n, 1) column and an (n,) vector broadcast into an (n, n) matrix: "
             "keep y_hat and y both (n, m)")


# --- helpers ----------------------------------------------------------------------------------

def network(rng, n=6, d=3, h=4, m=1):
    """Random inputs and parameters with n, d, h all different, so a transpose cannot hide."""
    X = rng.normal(size=(n, d))
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h),
              "W2": rng.normal(size=(h, m)), "b2": rng.normal(size=m)}
    return X, params


def own(student, name, z, rng):
    """The student's own helper ``name`` at ``z`` as far as the grader can vouch for it: identified
    (``identify``) on ``z`` and on two inputs of other shapes as the reference or one of the helper's
    named mistakes (``helper_mistakes``), and then computed here; the reference when the cases disagree."""
    def candidates(case):
        alpha = {"alpha": 0.01} if name.startswith("leaky_relu") else {}
        return {REFERENCE: np.asarray(getattr(ref, name)(case, **alpha), dtype=float),
                **{m.id: np.asarray(v, dtype=float) for m, v in helper_mistakes(name, case).items()}}

    def close(value, candidate):
        return value.shape == candidate.shape and bool(np.allclose(value, candidate, rtol=RTOL, atol=ATOL))

    z = np.asarray(z, dtype=float)
    wider = tuple(int(k) + int(rng.integers(1, 4)) for k in z.shape)
    other_rank = random_shape(rng) if z.ndim != 2 else (*wider[:1], 2, int(rng.integers(2, 5)))
    cases = [z, rng.normal(scale=3.0, size=wider), rng.normal(scale=3.0, size=other_rank)]
    order = [int(k) for k in rng.permutation(len(cases))]
    found = identify(lambda case: as_array(getattr(student, name)(case), name=name).astype(float), candidates,
                     [cases[k] for k in order], close)
    return candidates(z)[found or REFERENCE]


def helper_mistakes(name, z, alpha=0.01) -> dict:
    """{Mistake: what it returns at z} for the helpers later tests build on: their own tests name these,
    and ``own()`` recognises them."""
    z = np.asarray(z, dtype=float)
    if name == "relu":
        return {
            Mistake("relu.negatives_kept", "it returns z unchanged for negative inputs: ReLU maps every z < 0 to "
                                           "0"): z,
            Mistake("relu.is_derivative", "it is the derivative, not ReLU itself: relu(z) = max(0, "
                                          "z)"): ref.relu_grad(z),
            Mistake("relu.min_instead_of_max", "it keeps the negative values and zeroes the positive ones: max(0, "
                                               "z), not min(0, z)"): np.minimum(z, 0),
        }
    if name == "relu_grad":
        return {
            Mistake("relu_grad.one_at_zero", "the ReLU derivative at exactly z = 0 is taken as 0 (use z > 0, not z "
                                             ">= 0)"): (z >= 0).astype(float),
            Mistake("relu_grad.minus_one_below_zero", "the ReLU derivative for z < 0 is 0 (ReLU is flat there), not "
                                                      "-1"): np.sign(z),
            Mistake("relu_grad.is_relu", "this is ReLU itself; its derivative is 1 for z > 0 and 0 otherwise, not "
                                         "max(0, z)"): ref.relu(z),
            Mistake("relu_grad.always_one", "the ReLU derivative is 0 for z <= 0 (ReLU is flat there), not 1 "
                                            "everywhere"): np.ones_like(z),
        }
    other = 0.01 if alpha != 0.01 else 0.2
    if name == "leaky_relu":
        return {
            Mistake("leaky_relu.ignores_alpha", "it ignores its alpha argument"): ref.leaky_relu(z, other),
            Mistake("leaky_relu.plain_relu", "for z <= 0 it should be alpha * z, not 0 (that is plain "
                                             "ReLU)"): ref.relu(z),
        }
    if name == "leaky_relu_grad":
        return {
            Mistake("leaky_relu.ignores_alpha", "it ignores its alpha argument"): ref.leaky_relu_grad(z, other),
            Mistake("leaky_relu_grad.zero_below_zero", "its derivative for z <= 0 is alpha (the slope there), not "
                                                       "0"): ref.relu_grad(z),
            Mistake("leaky_relu_grad.alpha_times_z", "its derivative for z <= 0 is alpha, not alpha * "
                                                     "z"): np.where(z > 0, 1.0, alpha * z),
        }
    if name == "sigmoid":
        return {Mistake("sigmoid.sign_in_exponent", "it is 1 / (1 + exp(-z)), with a minus sign in the "
                                                    "exponent"): ref.sigmoid(-z)}
    if name == "sigmoid_grad":
        s = ref.sigmoid(z)
        return {
            Mistake("sigmoid_grad.formula_on_z", "apply the formula to sigmoid(z), not to z: s * (1 - s) with s = "
                                                 "sigmoid(z)"): z * (1 - z),
            Mistake("sigmoid_grad.is_sigmoid", "it is s * (1 - s), not s"): s,
            Mistake("sigmoid_grad.one_minus_sigmoid", "it is s * (1 - s), not 1 - s"): 1 - s,
        }
    if name == "tanh_grad":
        return {
            Mistake("tanh_grad.formula_on_z", "it is 1 - tanh(z)**2, not 1 - z**2"): 1 - z ** 2,
            Mistake("tanh_grad.not_squared", "it is 1 - tanh(z)**2, not 1 - tanh(z)"): 1 - np.tanh(z),
            Mistake("tanh_grad.missing_one_minus", "it is 1 - tanh(z)**2, not tanh(z)**2"): np.tanh(z) ** 2,
        }
    if name == "softmax":
        return {
            Mistake("softmax.normalises_columns", "it normalises the columns; each row (the last axis) must sum to "
                                                  "1"): np.exp(z) / np.exp(z).sum(axis=0, keepdims=True),
            Mistake("softmax.normalises_whole_array", "it divides by the sum over the whole array; normalise each "
                                                      "row separately"): np.exp(z) / np.exp(z).sum(),
            Mistake("softmax.missing_exp", "it is missing the exponential: softmax = exp(z) / "
                                           "sum(exp(z))"): z / z.sum(axis=-1, keepdims=True),
        }
    return {}


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
        fail(f"{name} has the shape of the transpose of the expected one: "
             "a gradient has the shape of its parameter, so check the order of the matrix product "
             "and where the .T goes", mistake="gradient.transposed")
    shapes = ((1, expected.shape[0]),) if expected.ndim == 1 else ()
    return expect_array(got, expected, name=name, rtol=RTOL, atol=ATOL, shapes=shapes,
                        mistakes=mistakes, hint=hint)


def outputs(m: int) -> str:
    """Which case of a loss test failed, without the sizes of its hidden inputs."""
    return "for one output (m = 1)" if m == 1 else "for several outputs (m > 1)"


def unset(name):
    return (f"{name} is still None: the lecture-example cell is not implemented yet "
            "(write worked_example and set it from worked_example(X_example, params_example))")


# --- 1. activations ---------------------------------------------------------------------------

def random_shape(rng, min_size=12):
    """A shape the student cannot predict: 1 to 3 axes of 2 to 7 entries, at least min_size values."""
    while True:
        shape = tuple(int(k) for k in rng.integers(2, 8, size=int(rng.integers(1, 4))))
        if int(np.prod(shape)) >= min_size:
            return shape


def with_edges(rng, shape=None, extra=()):
    """Random values of a random shape plus the edge cases 0, tiny and large magnitudes (and
    ``extra``), at random positions."""
    z = rng.normal(scale=3.0, size=shape or random_shape(rng))
    edges = [0.0, -0.0, 1e-12, -1e-12, 30.0, -30.0, *extra]
    z.flat[rng.permutation(z.size)[:len(edges)]] = edges
    return z


@pytest.mark.points(1)
@pytest.mark.cell("test_relu")
def test_relu(student, rng):
    """relu(z) is max(0, z) elementwise."""
    z = with_edges(rng)
    expect_array(student.relu(z), ref.relu(z), name="relu(z)", rtol=RTOL, atol=ATOL,
                 mistakes=helper_mistakes("relu", z))


@pytest.mark.points(1)
@pytest.mark.cell("test_relu")
def test_relu_grad(student, rng):
    """relu_grad(z) is 1 for z > 0 and 0 for z <= 0, also at exactly 0."""
    z = with_edges(rng)
    expect_array(student.relu_grad(z), ref.relu_grad(z), name="relu_grad(z)", rtol=RTOL, atol=ATOL,
                 mistakes=helper_mistakes("relu_grad", z))


@pytest.mark.points(1)
@pytest.mark.cell("test_leaky_relu")
def test_leaky_relu(student, rng):
    """leaky_relu and leaky_relu_grad, with the default alpha and a given alpha."""
    z = with_edges(rng)
    for alpha in (None, 0.2):
        kwargs = {} if alpha is None else {"alpha": alpha}
        a = 0.01 if alpha is None else alpha
        expect_array(student.leaky_relu(z, **kwargs), ref.leaky_relu(z, a), name=f"leaky_relu(z, alpha={a})",
                     rtol=RTOL, atol=ATOL, mistakes=helper_mistakes("leaky_relu", z, alpha=a))
        expect_array(student.leaky_relu_grad(z, **kwargs), ref.leaky_relu_grad(z, a),
                     name=f"leaky_relu_grad(z, alpha={a})", rtol=RTOL, atol=ATOL,
                     mistakes=helper_mistakes("leaky_relu_grad", z, alpha=a))


def sigmoid_inputs(rng):
    return with_edges(rng, extra=(1000.0, -1000.0, 750.0, -750.0))  # exp() of these overflows in float64


@pytest.mark.points(1)
@pytest.mark.cell("test_sigmoid")
def test_sigmoid(student, rng):
    """sigmoid(z) is 1 / (1 + exp(-z)), finite and correct also for z = +-1000."""
    z = sigmoid_inputs(rng)
    expect_array(student.sigmoid(z), ref.sigmoid(z), name="sigmoid(z)", rtol=RTOL, atol=ATOL,
                 hint="for large |z| exp() overflows to inf and inf / inf is NaN: "
                      "use exp(z) / (1 + exp(z)) for z < 0 and 1 / (1 + exp(-z)) for z >= 0",
                 mistakes=helper_mistakes("sigmoid", z))


@pytest.mark.points(1)
@pytest.mark.cell("test_sigmoid")
def test_sigmoid_grad(student, rng):
    """sigmoid_grad(z) is sigmoid(z) * (1 - sigmoid(z)), finite for large |z|."""
    z = sigmoid_inputs(rng)
    expect_array(student.sigmoid_grad(z), ref.sigmoid_grad(z), name="sigmoid_grad(z)", rtol=RTOL, atol=ATOL,
                 hint="compute it from a stable sigmoid(z): s * (1 - s)", mistakes=helper_mistakes("sigmoid_grad", z))


@pytest.mark.points(1)
@pytest.mark.cell("test_tanh")
def test_tanh(student, rng):
    """tanh(z) and tanh_grad(z) = 1 - tanh(z)**2."""
    z = with_edges(rng)
    expect_array(student.tanh(z), ref.tanh(z), name="tanh(z)", rtol=RTOL, atol=ATOL)
    expect_array(student.tanh_grad(z), ref.tanh_grad(z), name="tanh_grad(z)", rtol=RTOL, atol=ATOL,
                 mistakes=helper_mistakes("tanh_grad", z))


@pytest.mark.points(1)
@pytest.mark.cell("test_softmax")
def test_softmax(student, rng):
    """softmax normalises each row (the last axis) of a batch, and works for a 1-D array."""
    z = rng.normal(scale=2.0, size=(int(rng.integers(3, 9)), int(rng.integers(2, 8))))
    expect_array(student.softmax(z), ref.softmax(z), name="softmax(z) of an (n, k) batch", rtol=RTOL, atol=ATOL,
                 mistakes=helper_mistakes("softmax", z))
    v = rng.normal(size=int(rng.integers(3, 10)))
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

def expected_forward(student, X, params, activation, rng):
    Z1 = X @ params["W1"] + params["b1"]
    f, _ = ref.ACTIVATIONS[activation]
    A1 = own(student, activation, Z1, rng)
    return Z1, A1, A1 @ params["W2"] + params["b2"]


def check_y_hat(y_hat, expected, X, params, activation, Z1, A1):
    expected = np.asarray(expected)
    got = as_array(y_hat, name="y_hat")
    if got.shape == expected.shape[:1] and expected.shape[1] == 1:
        fail("y_hat is a 1-D array, expected a column of shape (n, 1): keep it 2-D also for m = 1; "
             f"{BROADCAST}", mistake="forward.flat_output")
    f, _ = ref.ACTIVATIONS[activation]
    W1, b1, W2, b2 = (params[k] for k in KEYS)
    mistakes = {
        Mistake("forward.missing_output_bias", "output off by exactly b2: did you add the output bias b2?"): A1 @ W2,
        Mistake("forward.missing_hidden_bias", "the hidden layer is missing its bias: did you add b1 (Z1 = X W1 + "
                                               "b1)?"): f(X @ W1) @ W2 + b2,
        Mistake("forward.missing_activation", "the activation is missing: A1 = f(Z1), then y_hat = A1 W2 + "
                                              "b2"): Z1 @ W2 + b2,
        Mistake("forward.activation_on_output", "a regression network has a linear output: do not apply the activation "
                                                "to y_hat"):
            f(A1 @ W2 + b2),
    }
    if activation != "relu":
        mistakes[Mistake("forward.ignores_activation_argument", "forward() ignores its activation argument (it used "
                                                                "ReLU): "
                 "use f, _ = ACTIVATIONS[activation]")] = ref.relu(Z1) @ W2 + b2
    expect_array(got, expected, name=f"forward(X, params, activation={activation!r}): y_hat",
                 rtol=RTOL, atol=ATOL, mistakes=mistakes)


@pytest.mark.points(2)
@pytest.mark.cell("test_forward")
def test_forward_output(student, rng):
    """forward() returns y_hat = f(X W1 + b1) W2 + b2 of shape (n, m), for several activations."""
    for activation, m in (("relu", 1), ("tanh", 2)):
        X, params = network(rng, n=7, d=3, h=5, m=m)
        Z1, A1, expected = expected_forward(student, X, params, activation, rng)
        y_hat, _ = two_values(student.forward(X, params, activation=activation), "forward()", "y_hat, cache")
        check_y_hat(y_hat, expected, X, params, activation, Z1, A1)


@pytest.mark.points(1)
@pytest.mark.cell("test_forward")
def test_forward_cache(student, rng):
    """forward()'s cache is a dict with X, Z1 = X W1 + b1 and A1 = f(Z1)."""
    X, params = network(rng, n=6, d=4, h=3, m=1)
    Z1, A1, _ = expected_forward(student, X, params, "relu", rng)
    _, cache = two_values(student.forward(X, params), "forward()", "y_hat, cache")
    cache = as_dict(cache, "forward()'s cache", keys=("X", "Z1", "A1"))
    expect_array(cache["X"], X, name="cache['X']", rtol=RTOL, atol=ATOL)
    expect_array(cache["Z1"], Z1, name="cache['Z1']", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("forward.cache_z1_is_a1", "Z1 = X W1 + b1 before the activation, not f(Z1) (or does your activation "
                                          "function "
        "modify its input array in place?)"): A1,
        Mistake("forward.missing_hidden_bias", "Z1 is missing the hidden bias b1"): X @ params["W1"],
    })
    expect_array(cache["A1"], A1, name="cache['A1']", rtol=RTOL, atol=ATOL, mistakes={
        Mistake("forward.cache_a1_is_z1", "A1 holds the activations f(Z1), not Z1 itself"): Z1,
    })


# --- 3. the lecture's worked example -------------------------------------------------------------

def other_example(rng, *, output_positive):
    """Small integer inputs and weights like the slide's, drawn anew: one hidden neuron below zero (so
    its ReLU matters), the output's sign chosen (so ReLU(z3) differs from z3 or not), and two different
    hidden biases (the slide's are both 1), so that every index of b1 matters."""
    while True:
        # no zero input or hidden weight: every term of z1 and z2 counts
        X = rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], size=(1, 3))
        params = {"W1": rng.choice([-5.0, -4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0], size=(3, 2)),
                  "b1": rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], size=2, replace=False),   # non-zero:
                  # a missing bias and a wrong neuron's bias give different numbers
                  "W2": rng.integers(-4, 5, size=(2, 1)).astype(float),
                  "b2": rng.integers(-9, 10, size=1).astype(float)}
        steps = ref.worked_example(X, params)
        z_hidden = (X @ params["W1"] + params["b1"])[0]
        distinct = len({round(v, 6) for v in (steps["z1"], steps["z2"], steps["z3"])}) == 3
        if distinct and min(z_hidden) < 0 < max(z_hidden) and (steps["z3"] > 0) == output_positive \
                and abs(steps["z3"]) > 0.5 and 0 not in (params["W2"][0, 0], params["W2"][1, 0]):
            return X, params


def example_mistakes(X, params):
    """What typical slips give on one example, per number."""
    W1, b1, W2, b2 = (params[k] for k in KEYS)
    z_hidden = (X @ W1 + b1)[0]
    z_out = float(ref.relu(z_hidden) @ W2[:, 0] + b2[0])
    wrong_bias = Mistake("lecture_example.missing_hidden_bias", "the hidden neurons' bias b1 is missing")
    return {
        "z1": {wrong_bias: z_hidden[0] - b1[0],
               Mistake("lecture_example.wrong_neuron_weights", "it uses the weights of hidden neuron 2; neuron 1 uses "
                                                               "column 0 of W1 (w11, w21, w31)"): z_hidden[1],
               Mistake("lecture_example.wrong_neuron_bias", "hidden neuron 1 adds its own bias b1[0], not b1[1] "
                                                            "(b1 holds one bias per hidden neuron)"):
                   z_hidden[0] - b1[0] + b1[1]},
        "z2": {wrong_bias: z_hidden[1] - b1[1],
               Mistake("lecture_example.wrong_neuron_weights", "it uses the weights of hidden neuron 1; neuron 2 uses "
                                                               "column 1 of W1 (w12, w22, w32)"): z_hidden[0],
               Mistake("lecture_example.shared_bias", "hidden neuron 2 adds its own bias b1[1], not b1[0]: b1 holds "
                                                      "one bias per hidden neuron (on the slide both happen to be 1)"):
                   z_hidden[1] - b1[1] + b1[0]},
        "z3": {Mistake("lecture_example.missing_output_bias", "the output bias b2 is missing"): z_out - float(b2[0]),
               Mistake("lecture_example.swapped_output_weights",
                       "z3 = w4 a1 + w5 a2 + b2: did you swap w4 and w5?"):
                   float(ref.relu(z_hidden[::-1]) @ W2[:, 0] + b2[0]),
               Mistake("lecture_example.pre_activations_used", "z3 uses a1 = ReLU(z1) and a2 = ReLU(z2), not z1 and z2 "
                                                               "themselves"): float(z_hidden @ W2[:, 0] + b2[0])},
        "y_hat_relu_output": {Mistake("lecture_example.relu_output_not_applied", "a ReLU output gives max(0, z3), not "
                                                                                 "z3 itself"): z_out,
                              Mistake("lecture_example.abs_instead_of_relu", "it is ReLU(z3) = max(0, z3), not "
                                                                             "|z3|"): abs(z_out)},
    }


def check_steps(value, X, params, what):
    if not isinstance(value, dict):
        fail(f"worked_example should return a dict with the keys 'z1', 'z2', 'z3', 'y_hat_relu_output' ({what})")
    expected = ref.worked_example(X, params)
    mistakes = example_mistakes(X, params)
    slide = ref.worked_example(*ref.lecture_example())
    for name in ("z1", "z2", "z3", "y_hat_relu_output"):
        if not np.isclose(slide[name], expected[name]):
            mistakes[name][Mistake("lecture_example.typed_slide_number", "this is the slide's number whatever the "
                                                                         "weights: compute it from X and params, "
                           "step by step, instead of typing it in")] = slide[name]
        if name not in value or value[name] is None:
            fail(f"worked_example's result has no number for {name!r} ({what})")
        expect_float(value[name], expected[name], name=f"{name} ({what})", rtol=RTOL, atol=1e-6,
                     mistakes=mistakes[name])


@pytest.mark.points(2)
@pytest.mark.cell("test_lecture_example")
def test_lecture_example(student, rng):
    """The lecture's steps, run on the slide's numbers (z1 = 1, z2 = 43, z3 = -50) and on other weights."""
    X, params = ref.lecture_example()
    check_steps(student.worked_example(X, params), X, params, "the lecture's numbers")
    expected = ref.worked_example(X, params)
    for name in ("z1", "z2", "z3", "y_hat_relu_output"):
        value = student.get(name)
        if value is None:
            fail(unset(name))
        expect_float(value, expected[name], name=name, rtol=RTOL, atol=1e-6,
                     hint="set it from worked_example(X_example, params_example)")
    # Typed-in slide numbers, or a slip that happens to give the slide's numbers, fail here.
    for output_positive in (True, False):
        X, params = other_example(rng, output_positive=output_positive)
        check_steps(student.worked_example(X, params), X, params, "other weights")


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
            Mistake("mse.sum_not_mean", "you summed the squared errors: the MSE is their mean (divide by the number of "
                                        "values)"):
                np.sum(err ** 2),
            Mistake("mse.absolute_errors", "the errors must be squared, not taken as absolute "
                                           "values"): np.mean(np.abs(err)),
            Mistake("mse.root_taken", "this is the root of the MSE (RMSE); the MSE has no square "
                                      "root"): np.sqrt(np.mean(err ** 2)),
            Mistake("mse.divided_by_n_only", "with several outputs, divide by all n * m values (np.mean), not by "
                                             "n"): np.sum(err ** 2) / n,
        }
        if m == 1:
            mistakes[Mistake("mse.broadcast_shapes", "y_hat - y broadcast: "
                                                     f"{BROADCAST}")] = np.mean((y_hat.ravel() - y) ** 2)
        expect_float(student.mse_loss(y_hat, y), ref.mse_loss(y_hat, y), name=f"mse_loss {outputs(m)}",
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
            fail("mse_loss_grad(y_hat, y) is an (n, n) matrix, expected the shape of y_hat (n, 1): "
                 f"{BROADCAST}", mistake="mse_grad.broadcast_shapes")
        err = y_hat - y
        expect_array(got, expected, name=f"mse_loss_grad {outputs(m)}", rtol=RTOL, atol=ATOL, mistakes={
            Mistake("mse_grad.missing_factor_2", "the factor 2 is missing: the derivative of (y_hat - y)**2 is 2 "
                                                 "(y_hat - y)"): err / err.size,
            Mistake("mse_grad.sign_flipped", "the sign is flipped: dL/dy_hat = 2 (y_hat - y) / (n m), not 2 (y - "
                                             "y_hat) / (n m)"): -expected,
            Mistake("mse_grad.missing_mean", "the 1 / (n m) of the mean is missing"): 2 * err,
            Mistake("mse_grad.divided_by_n_only", "with several outputs, divide by all n * m values, not by "
                                                  "n"): 2 * err / n,
        })


# --- 5. backward ----------------------------------------------------------------------------------

def backward_case(student, rng, activation, n=6, d=3, h=4, m=2):
    """Inputs for backward() and the expected gradients with the student's own f'(Z1)."""
    X, params = network(rng, n=n, d=d, h=h, m=m)
    _, cache = ref.forward(X, params, activation)
    dy = rng.normal(size=(n, m))
    fprime = own(student, f"{activation}_grad", cache["Z1"], rng)
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
        Mistake("backward.dw2_averaged", "it is n times too small: dy_hat already contains the 1/n of the mean, so sum "
                                         "over the "
        "samples (A1.T @ dy_hat), do not average again"): expected["W2"] / n,
        Mistake("backward.dw2_uses_z1", "use the hidden activations A1 (the output layer's input), not "
                                        "Z1"): cache["Z1"].T @ dy,
    })
    expect_param_shaped(grads["b2"], expected["b2"], name="the gradient of b2", mistakes={
        Mistake("backward.db2_averaged", "it is off by a factor of n: did you average over the batch? dy_hat already "
                                         "contains the "
        "1/n of the mean, so db2 is the sum over the samples"): expected["b2"] / n,
    })


@pytest.mark.points(2)
@pytest.mark.cell("test_backward")
def test_backward_hidden_layer(student, rng):
    """backward(): dZ1 = (dy_hat W2.T) * f'(Z1), dW1 = X.T dZ1, db1 = the sum of dZ1 over the samples."""
    for activation in ("relu", "tanh"):
        X, params, cache, dy, dA1, dZ1, expected, grads = backward_case(student, rng, activation)
        n, f_grad = len(X), ref.ACTIVATIONS[activation][1]
        missing_derivative = Mistake("backward.missing_activation_derivative", "the chain rule is missing the "
                                                                               "activation's derivative: dZ1 = dA1 * "
                                                                               "f'(Z1)")
        mistakes_W1 = {
            missing_derivative: X.T @ dA1,
            Mistake("backward.dw1_averaged", "it is n times too small: did you average over the batch? dy_hat already "
                                             "contains the "
            "1/n of the mean, so sum over the samples (X.T @ dZ1)"): expected["W1"] / n,
        }
        mistakes_b1 = {
            missing_derivative: dA1.sum(axis=0),
            Mistake("backward.db1_averaged", "it is off by a factor of n: did you average over the batch? dy_hat "
                                             "already contains the "
            "1/n of the mean, so db1 is the sum of dZ1 over the samples"): expected["b1"] / n,
        }
        if activation != "relu":
            ignores = (Mistake("backward.ignores_activation_argument", "backward() ignores its activation argument (it "
                                                                       "used ReLU's derivative): "
                       "use _, f_grad = ACTIVATIONS[activation]"))
            mistakes_W1[ignores] = X.T @ (dA1 * ref.relu_grad(cache["Z1"]))
            mistakes_b1[ignores] = (dA1 * ref.relu_grad(cache["Z1"])).sum(axis=0)
            at_A1 = Mistake("backward.derivative_at_a1", "the derivative f' must be evaluated at Z1 (the activation's "
                                                         "input), not at A1")
            mistakes_W1[at_A1] = X.T @ (dA1 * f_grad(cache["A1"]))
            mistakes_b1[at_A1] = (dA1 * f_grad(cache["A1"])).sum(axis=0)
        expect_param_shaped(grads["W1"], expected["W1"], name=f"the gradient of W1 ({activation})",
                            mistakes=mistakes_W1)
        expect_param_shaped(grads["b1"], expected["b1"], name=f"the gradient of b1 ({activation})",
                            mistakes=mistakes_b1)


# --- 5a. the lecture's chain rule for w11, by hand ----------------------------------------------------

NEURON_2 = {"active": (1.0, 2.0), "weakly active": (0.2, 0.8), "inactive": (-2.0, -0.5)}   # where z2 lies


def lecture_network(rng, neuron_1_active, neuron_2="active"):
    """Hidden weights for the lecture's 3-2-1 network, with hidden neuron 1 active or not and z2 in the range
    NEURON_2 names (so that a2 = ReLU(z2) matters: below 0, between 0 and 1, above 1)."""
    X = rng.normal(size=(1, 3))
    X[0, 0] = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0)      # x1 clearly non-zero
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2),
              "W2": rng.normal(size=(2, 1)), "b2": rng.normal(size=1)}
    params["W2"][:, 0] = rng.choice([-1.0, 1.0], size=2) * rng.uniform(0.5, 2.0, size=2)  # w4, w5 differ clearly
    z = X[0] @ params["W1"]
    # place z1 at +-(0.5..2) and z2 in its range whatever the weights: the bias sets the neuron's state
    params["b1"][0] = (1.0 if neuron_1_active else -1.0) * rng.uniform(0.5, 2.0) - z[0]
    params["b1"][1] = rng.uniform(*NEURON_2[neuron_2]) - z[1]
    y = rng.normal(size=(1, 1)) * 3.0
    return X, y, params


def chain_rule_mistakes(X, y, params):
    """What the typical slips in the five factors give."""
    x = X[0]
    W1, b1, W2, b2 = (params[k] for k in KEYS)
    z1, z2 = x @ W1 + b1
    a1, a2 = max(0.0, z1), max(0.0, z2)
    y_hat = W2[0, 0] * a1 + W2[1, 0] * a2 + b2[0]
    dL = 2.0 * (y_hat - y[0, 0])
    relu1, relu2 = float(z1 > 0), float(z2 > 0)
    w5 = dL * W2[1, 0] * relu1 * x[0]
    neuron_2 = dL * W2[1, 0] * relu2 * x[0]
    shared_bias = {Mistake("chain_rule.shared_bias", "hidden neuron 2 adds its own bias b1[1], not b1[0]: b1 holds "
                                                     "one bias per hidden neuron, so z2 (and with it y_hat) changes"):
                   shared_bias_value(X, y, params)}
    if np.isclose(w5, neuron_2):  # both neurons active: the two slips give the same number
        return {**slips_in_the_other_factors(dL, W1, W2, x, y_hat, relu1), **shared_bias,
                Mistake("chain_rule.wrong_weights", "dz3/da1 is w4 = W2[0, 0], not w5: w11 is the weight from x1 to "
                                                    "hidden neuron 1 (W1[0, 0]), "
                "not from x1 to hidden neuron 2 (W1[0, 1])"): w5}
    return {**slips_in_the_other_factors(dL, W1, W2, x, y_hat, relu1), **shared_bias,
            Mistake("chain_rule.w5_instead_of_w4", "dz3/da1 is w4 = W2[0, 0], the weight from hidden neuron 1 to the "
                                                   "output, not w5"): w5,
            Mistake("chain_rule.derivative_of_w12", "this is the derivative for the weight from x1 to hidden neuron 2 "
                                                    "(W1[0, 1], the simple "
            "example's w12); w11 = W1[0, 0] leads to hidden neuron 1"): neuron_2}


def shared_bias_value(X, y, params):
    """dL/dw11 when hidden neuron 2 adds b1[0] instead of its own b1[1] (the slide writes one b1 for both)."""
    return ref.chain_rule_dL_dw11(X, y, {**params, "b1": np.full(2, params["b1"][0])})


def slips_in_the_other_factors(dL, W1, W2, x, y_hat, relu1):
    return {
        Mistake("chain_rule.missing_relu_derivative", "the factor da1/dz1 = ReLU'(z1) is missing: when hidden neuron 1 "
                                                      "is inactive (z1 <= 0), "
        "no gradient reaches w11"): dL * W2[0, 0] * x[0],
        Mistake("chain_rule.sign_flipped", "the sign of dL/dy_hat is flipped: the derivative of (y_hat - y)**2 is 2 "
                                           "(y_hat - y)"):
            -dL * W2[0, 0] * relu1 * x[0],
        Mistake("chain_rule.missing_factor_2", "the factor 2 of dL/dy_hat = 2 (y_hat - y) is "
                                               "missing"): 0.5 * dL * W2[0, 0] * relu1 * x[0],
        Mistake("chain_rule.weight_instead_of_input", "dz1/dw11 is the input x1 = X[0, 0] that w11 multiplies, not w11 "
                                                      "itself"):
            dL * W2[0, 0] * relu1 * W1[0, 0],
        Mistake("chain_rule.relu_derivative_on_output", "the output is linear (y_hat = z3): dy_hat/dz3 = 1, not "
                                                        "ReLU'(z3)"):
            dL * float(y_hat > 0) * W2[0, 0] * relu1 * x[0],
    }


@pytest.mark.points(2)
@pytest.mark.cell("test_chain_rule_dL_dw11")
def test_chain_rule_dL_dw11(student, rng):
    """chain_rule_dL_dw11 is the product of the slide's five factors, on the slide's and on hidden networks."""
    X, params = ref.lecture_example()
    cases = [("the lecture's network", X, np.array([[2.0]]), params, {})]
    states = [(True, "weakly active"), (True, "inactive"), (False, "active")]
    for index in rng.permutation(len(states)):
        active, neuron_2 = states[index]
        X, y, params = lecture_network(rng, active, neuron_2)
        cases.append((f"a network with hidden neuron 1 {'active' if active else 'inactive'}", X, y, params, {}))
    # last: z1 exactly 0 (the slide's network with b1 = [0, 1]): ReLU'(0) is 0, as the notebook says
    X, params = ref.lecture_example()
    params = {**params, "b1": np.array([0.0, 1.0])}
    y = np.array([[2.0]])
    cases.append(("the lecture's network with z1 = 0 exactly", X, y, params, {
        Mistake("chain_rule.relu_derivative_at_zero", "at z1 = 0 exactly, ReLU'(z1) is taken as 0 (section 1a): use "
                                                      "z1 > 0, not z1 >= 0"):
            2.0 * (ref.worked_example(X, params)["z3"] - 2.0) * params["W2"][0, 0] * X[0, 0]}))
    for what, X, y, params, extra in cases:
        expected = ref.chain_rule_dL_dw11(X, y, params)
        assert np.isclose(expected, ref.loss_and_gradients(X, y, params)[1]["W1"][0, 0])  # guards the test
        expect_float(student.chain_rule_dL_dw11(X, y, params), expected, name=f"chain_rule_dL_dw11 for {what}",
                     rtol=RTOL, atol=ATOL, mistakes={**extra, **chain_rule_mistakes(X, y, params)})


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
    c = float(rng.uniform(0.5, 1.0))   # couples the entries: an entry left nudged changes the later partials
    f = probes.smooth(a=a, w=w, c=c)
    h = 1e-2  # large enough that a one-sided difference is visibly worse than a central one
    expected = ref.numerical_gradient(f, x, h=h)
    expect_array(student.numerical_gradient(Probe("smooth", a=a, w=w, c=c), x, h=h), expected,
                 name=f"numerical_gradient(f, x, h={h})", rtol=RTOL, atol=1e-6, mistakes={
                     Mistake("numerical_gradient.one_sided", "this is a one-sided difference (f(x + h) - f(x)) / h; "
                                                             "use the central difference "
                     "(f(x + h) - f(x - h)) / (2h)"): forward_difference(f, x, h),
                     Mistake("numerical_gradient.divided_by_h", "divide by 2h, not by h"): 2 * expected,
                     Mistake("numerical_gradient.divided_by_2", "divide by 2h (the distance from x - h to x + h), not "
                                                                "by 2"): expected * h,
                     Mistake("numerical_gradient.entries_not_restored", "put each entry back after nudging it (x[i] = "
                                                                        "original), before the next entry"):
                         without_restoring(f, x, h),
                 })
    exact = a * np.cos(x) + w * x + c * np.sum(x)
    expect_array(student.numerical_gradient(Probe("smooth", a=a, w=w, c=c), x), exact,
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
                     Mistake("relative_error.mean_not_max", "take the maximum over the entries, not the "
                                                            "mean"): np.mean(diff / (np.abs(a) + np.abs(b))),
                     Mistake("relative_error.abs_of_sum", "the denominator is |a| + |b| (absolute values first), not "
                                                          "|a + b|"):
                         np.max(diff / np.abs(a + b)),
                     Mistake("relative_error.norms", "compare entry by entry and take the max, not norms of the whole "
                                                     "arrays"):
                         np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)),
                 })
    # Gradients that agree to a few percent, all of one sign: the max ratio is small here, and
    # |a + b| in the numerator (a sign slip) gives about 1 instead.
    a = rng.uniform(0.5, 2.0, size=(3, 4)) * rng.choice([-1.0, 1.0], size=(3, 4))
    b = a * (1 + rng.uniform(-0.03, 0.03, size=a.shape))
    expect_float(student.relative_error(a, b), ref.relative_error(a, b), name="relative_error of two close arrays",
                 rtol=RTOL, atol=1e-9, mistakes={
                     Mistake("relative_error.numerator_sum", "the numerator is |a - b| (the difference), not |a + b|"):
                         np.max(np.abs(a + b) / (np.abs(a) + np.abs(b))),
                 })
    zeros = np.zeros((2, 3))
    value = as_array(student.relative_error(zeros, zeros), name="relative_error of two zero arrays")
    if value.size == 1 and not np.isfinite(value.reshape(())):
        fail("relative_error of two zero arrays is NaN (0 / 0): guard the denominator with "
             "np.maximum(1e-8, |a| + |b|)", mistake="relative_error.zero_division")
    expect_float(value, 0.0, name="relative_error of two zero arrays", atol=1e-12)
    # Entries far below 1e-8: the denominator's floor max(1e-8, |a| + |b|) decides the result.
    tiny = rng.uniform(1e-10, 1e-9, size=(2, 2))
    expect_float(student.relative_error(tiny, -tiny), ref.relative_error(tiny, -tiny),
                 name="relative_error of two tiny arrays", rtol=RTOL, atol=1e-12, mistakes={
                     Mistake("relative_error.no_floor", "the denominator needs its floor: guard the denominator with "
                                                        "np.maximum(1e-8, |a| + |b|)"): 1.0},
                 hint="the denominator is max(1e-8, |a| + |b|): exactly 1e-8 as its floor")


# --- 7. cross-entropy ----------------------------------------------------------------------------------

def classification_case(rng, n, k, scale=2.0):
    z = rng.normal(scale=scale, size=(n, k))
    y = np.eye(k)[rng.permutation(np.arange(n) % k)]     # every class occurs, in random order
    return z, y


def cross_entropy_mistakes(z, y):
    n, k = z.shape
    log_p = ref.log_softmax(z)
    loss = ref.cross_entropy(z, y)
    return {
        Mistake("cross_entropy.sum_not_mean", "it is n times too large: take the mean over the samples, not the "
                                              "sum"): loss * n,
        Mistake("cross_entropy.divided_by_nk", "average over the n samples only (the sum over the classes picks the "
                                               "true class), "
        "not over all n * k entries"): loss / k,
        Mistake("cross_entropy.missing_minus", "the minus sign is missing: the cross-entropy is -sum y log p, a "
                                               "positive number"): -loss,
        Mistake("cross_entropy.all_classes", "it sums the log-probabilities of all classes; the one-hot y picks the "
                                             "true class: -sum_c y_c log p_c"):
            -np.sum(log_p) / n,
        Mistake("cross_entropy.log10", "the lecture's log is the natural logarithm (np.log), not "
                                       "log10"): loss / np.log(10),
    }


@pytest.mark.points(1)
@pytest.mark.cell("test_cross_entropy")
def test_cross_entropy(student, rng):
    """cross_entropy is the mean over samples of -sum_c y log softmax(z), for any number of classes."""
    for case, (n, k) in enumerate(((6, 4), (5, 3)), start=1):
        z, y = classification_case(rng, n, k)
        expect_float(student.cross_entropy(z, y), ref.cross_entropy(z, y), name=f"cross_entropy (case {case})",
                     rtol=RTOL, atol=ATOL, mistakes=cross_entropy_mistakes(z, y))


@pytest.mark.points(1)
@pytest.mark.cell("test_cross_entropy")
def test_cross_entropy_large_scores(student, rng):
    """cross_entropy stays finite and correct for scores in the hundreds (log-sum-exp)."""
    z, y = classification_case(rng, 5, 3, scale=400.0)
    z[0] = [900.0, -900.0, 0.0]
    y[0] = [0.0, 1.0, 0.0]                   # the true class has probability e^-1800: log p = -1800
    value = student.cross_entropy(z, y)
    hint = ("log(softmax(z)) takes log(0) = -inf when a probability underflows: compute log p with "
            "log-sum-exp, z - max(z) - log(sum(exp(z - max(z))))")
    got = as_array(value, name="cross_entropy of scores in the hundreds")
    if got.size == 1 and not np.isfinite(got.reshape(())):
        fail(f"cross_entropy of scores in the hundreds is {float(got.reshape(())):g}: {hint}")
    expect_float(value, ref.cross_entropy(z, y), name="cross_entropy of scores in the hundreds",
                 rtol=RTOL, atol=ATOL, hint=hint, mistakes=cross_entropy_mistakes(z, y))


@pytest.mark.points(2)
@pytest.mark.cell("test_cross_entropy_grad")
def test_cross_entropy_grad(student, rng):
    """cross_entropy_grad is (softmax(z) - y) / n, also for large scores."""
    for case, (n, k, scale) in enumerate(((6, 4, 2.0), (4, 3, 300.0)), start=1):
        z, y = classification_case(rng, n, k, scale=scale)
        p = own(student, "softmax", z, rng)   # a wrong softmax costs points in test_softmax only
        expected = (p - y) / n
        expect_array(student.cross_entropy_grad(z, y), expected, name=f"cross_entropy_grad (case {case})",
                     rtol=RTOL, atol=ATOL, mistakes={
                         Mistake("cross_entropy_grad.sign_flipped", "the sign is flipped: dL/dz = (p - y) / n, "
                                                                    "predicted minus true"): -expected,
                         Mistake("cross_entropy_grad.missing_mean", "the 1/n of the mean over the samples is "
                                                                    "missing"): p - y,
                         Mistake("cross_entropy_grad.divided_by_nk", "it is divided by n * k; the mean is over the n "
                                                                     "samples only"): expected / k,
                         Mistake("cross_entropy_grad.missing_minus_y", "the - y is missing: dL/dz = (softmax(z) - y) / "
                                                                       "n"): p / n,
                         Mistake("cross_entropy_grad.diagonal_only", "it uses only the diagonal of the softmax's "
                                                                     "derivative, p (1 - p); the full chain rule "
                         "through softmax and log gives simply p - y"): -y * (1 - p) / n,
                     }, hint="dL/dz = (softmax(z) - y) / n; compare it with your numerical_gradient")


# --- 7. torch ------------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.cell("test_torch_gradients")
def test_torch_gradients(student, rng):
    """torch_gradients returns autograd's gradients of the MSE for the forward() network."""
    # Every activation the notebook lists: each needs its own torch function (leaky_relu with alpha 0.01).
    for activation, m in (("relu", 1), ("sigmoid", 2), ("tanh", 1), ("leaky_relu", 2)):
        X, params = network(rng, n=6, d=3, h=4, m=m)
        if activation == "leaky_relu":   # most hidden pre-activations negative: the slope alpha shows
            params["b1"] = params["b1"] - 2.5
        y = rng.normal(size=(6, m))
        _, expected = ref.loss_and_gradients(X, y, params, activation)
        grads = as_dict(student.torch_gradients(X, y, params, activation=activation), "torch_gradients()'s result")
        for key in KEYS:
            expect_param_shaped(grads[key], expected[key], name=f"torch's gradient of {key} ({activation})", mistakes={
                Mistake("torch_gradients.sum_loss", "it is n * m times too large: the loss is the mean of the squared "
                                                    "errors (torch.mean), "
                "not their sum"): expected[key] * y.size,
                Mistake("torch_gradients.half_mse", "it is half as large as it should be: did you divide the MSE by "
                                                    "2?"): expected[key] / 2,
                Mistake("torch_gradients.sign_flipped", "the sign is flipped: the loss is mean((y_hat - y)**2), its "
                                                        "gradient points uphill"):
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
            Mistake("sgd.wrong_sign", "the sign is wrong: gradient descent steps against the gradient, w' = w - lr * "
                                      "dL/dw"):
                params[key] + lr * grads[key],
            Mistake("sgd.missing_learning_rate", "the learning rate is missing: w' = w - lr * "
                                                 "dL/dw"): params[key] - grads[key],
            Mistake("sgd.returns_step", "it returns the step lr * dL/dw, not the updated parameter w - lr * "
                                        "dL/dw"): lr * grads[key],
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
    wrong, given = [], set()
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
        given.add(got)
        if got != label:
            wrong.append(f"{name} is {label!r}, not {got!r}")
    # Exactly on the stated rules' boundaries (exact in floating point): "more than 5 %" of the drop, and
    # "higher than the first" loss, are strict.
    boundaries = {
        "a curve whose last 2 epochs removed exactly 5 % of its total drop": (
            "converging", np.concatenate([np.linspace(21.0, 2.0, 18), [1.0]]),
            "the rule is *more than* 5 % of the drop (>), so exactly 5 % is converging"),
        "a flat curve": ("converging", np.full(int(rng.integers(30, 60)), float(rng.integers(1, 5))),
                         "a curve whose last loss equals its first is not higher than it: not diverging (use >)"),
        # the window k = max(2, len // 10) of the rule, exactly: each curve below changes its label when k is
        # one epoch longer or shorter, or 1 for a short curve
        "a 12-epoch curve still falling steadily": ("converging slowly", np.linspace(12.0, 1.0, 12),
                                                    "with fewer than 20 losses, k = max(2, len // 10) is 2"),
        "a curve that fell for 91 epochs and stayed flat for 9": (
            "converging slowly", np.concatenate([np.linspace(10.0, 2.0, 91), np.full(9, 1.0)]),
            "k = len // 10 = 10 losses: losses[-10] - losses[-1] is more than 5 % of the drop"),
        "a curve that fell for 90 epochs and stayed flat for 10": (
            "converging", np.concatenate([np.linspace(10.0, 2.0, 90), np.full(10, 1.0)]),
            "k = len // 10 = 10 losses: the last 10 are flat"),
        "a flat tail whose very last loss drops": (
            "converging slowly", np.concatenate([np.linspace(10.0, 2.0, 90), np.full(9, 2.0), [1.0]]),
            "the tail drop runs to the last loss, losses[-k] - losses[-1]"),
        "a falling curve whose last loss jumps above the first": (
            "diverging", np.concatenate([np.linspace(3.0, 1.0, 99), [3.5]]),
            "diverging compares the last loss, losses[-1], with the first"),
        "a curve that dips and climbs back, ending below its start": (
            "converging", np.concatenate([[3.0], np.linspace(1.0, 2.0, 99)]),
            "diverging compares the last loss with the first one, losses[0]"),
    }
    for name, (label, losses, lesson) in boundaries.items():
        assert ref.classify_loss_curve(losses) == label  # guards the test itself
        got = student.classify_loss_curve([float(v) for v in losses])
        given.add(got)
        if got != label:
            wrong.append(f"{name} is {label!r}, not {got!r}: {lesson}")
        names.append(name)
    if len(given) == 1:   # one label for every curve tells nothing apart: no partial credit for it
        fail(f"classify_loss_curve returned {given.pop()!r} for every curve: it has to tell converging, slowly "
             "converging and diverging curves apart")
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


# --- 10. dying ReLU ----------------------------------------------------------------------------------------

def dying_network(rng, n=9, d=2, h=10):
    """Inputs and a hidden layer with known neuron states: alive, dead, dead at exactly z = 0,
    and alive on exactly one sample, in random order."""
    X = rng.normal(size=(n, d))
    W1 = rng.normal(size=(d, h))
    Z = X @ W1
    b1 = np.empty(h)
    states = rng.permutation(["alive"] * 4 + ["dead"] * 3 + ["zero", "one sample", "one sample"])
    for j, state in enumerate(states):
        if state == "alive":
            b1[j] = -np.median(Z[:, j])                          # active on about half the samples
        elif state == "dead":
            b1[j] = -Z[:, j].max() - rng.uniform(0.5, 2.0)
        elif state == "zero":
            W1[:, j], b1[j] = 0.0, 0.0                          # z = 0 on every sample: inactive
        else:
            top = np.sort(Z[:, j])[-2:]
            b1[j] = -(top[0] + top[1]) / 2                       # positive on the largest sample only
    params = {"W1": W1, "b1": b1, "W2": rng.normal(size=(h, 1)), "b2": rng.normal(size=1)}
    return X, params


@pytest.mark.points(2)
@pytest.mark.cell("test_dead_unit_fraction")
def test_dead_unit_fraction(student, rng):
    """dead_unit_fraction counts the hidden neurons with Z1 <= 0 on every sample, as a fraction."""
    for _ in range(2):
        X, params = dying_network(rng)
        expected = ref.dead_unit_fraction(X, params)
        expect_float(student.dead_unit_fraction(X, params), expected, name="dead_unit_fraction(X, params)",
                     rtol=FRACTION_TOL, atol=FRACTION_TOL, mistakes=dead_fraction_mistakes(X, params))


def dead_fraction_mistakes(X, params) -> dict:
    """{Mistake: what it returns} for dead_unit_fraction on (X, params) (own_fraction recognises them too)."""
    Z1 = X @ params["W1"] + params["b1"]
    expected = ref.dead_unit_fraction(X, params)
    return {
        Mistake("dead_units.any_sample", "it counts neurons inactive on SOME sample; a neuron is dead only if it is "
                                         "inactive on every sample (np.all over the rows)"):
            np.mean(np.any(Z1 <= 0, axis=0)),
        Mistake("dead_units.fraction_of_activations", "it is the fraction of zero activations over all samples and "
                                                      "neurons; count the neurons (columns) that are inactive on "
                                                      "every sample"): np.mean(Z1 <= 0),
        Mistake("dead_units.count_not_fraction", "return the fraction of the hidden neurons, not their "
                                                 "number"): expected * Z1.shape[1],
        Mistake("dead_units.zero_counts_alive", "z = 0 counts as inactive (ReLU(0) = 0 and its derivative is 0): use "
                                                "Z1 <= 0, not Z1 < 0"): np.mean(np.all(Z1 < 0, axis=0)),
        Mistake("dead_units.alive_fraction", "this is the fraction of neurons that are alive; dead ones are asked "
                                             "for"): 1.0 - expected,
    }


@pytest.mark.points(1)
@pytest.mark.cell("test_frozen_unit_fraction")
def test_frozen_unit_fraction(student, rng):
    """frozen_unit_fraction counts hidden neurons whose incoming weights and bias are all unchanged."""
    before, after = frozen_case(rng)
    expect_float(student.frozen_unit_fraction(before, after), ref.frozen_unit_fraction(before, after),
                 name="frozen_unit_fraction", rtol=FRACTION_TOL, atol=FRACTION_TOL,
                 mistakes=frozen_fraction_mistakes(before, after))


def frozen_case(rng):
    """(before, after) with neurons frozen, changed in their bias only, in one weight only, ..."""
    d, h = 3, 11
    before = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, 1)),
              "b2": rng.normal(size=1)}
    after = {k: v + rng.normal(size=v.shape) for k, v in before.items()}   # every neuron changed, and W2, b2
    # counts chosen so that every mistake below, and == read as != in either comparison, gives its own fraction
    states = rng.permutation(["frozen"] * 4 + ["bias only"] * 2 + ["one weight only"] + ["weights, not bias"] * 3
                             + ["all"])
    for j, state in enumerate(states):
        if state in ("frozen", "bias only", "one weight only"):
            after["W1"][:, j] = before["W1"][:, j]
        if state in ("frozen", "one weight only", "weights, not bias"):
            after["b1"][j] = before["b1"][j]
        if state == "bias only":
            after["b1"][j] = before["b1"][j] + 1e-3               # a small change is a change
        elif state == "one weight only":
            after["W1"][int(rng.integers(d)), j] -= 1e-3
    return before, after


def frozen_fraction_mistakes(before, after) -> dict:
    """{Mistake: what it returns} for frozen_unit_fraction(before, after) (own_fraction recognises them too)."""
    same_w = np.all(before["W1"] == after["W1"], axis=0)
    same_b = np.asarray(before["b1"]).reshape(-1) == np.asarray(after["b1"]).reshape(-1)
    expected = ref.frozen_unit_fraction(before, after)
    return {
        Mistake("frozen_units.biases_only", "it compares only the biases; a neuron whose bias stayed but a weight "
                                            "changed is not frozen"): np.mean(same_b),
        Mistake("frozen_units.weights_only", "it compares only the weights W1; a neuron whose bias changed is not "
                                             "frozen"): np.mean(same_w),
        Mistake("frozen_units.any_weight", "a neuron is frozen when ALL its incoming weights are unchanged, not when "
                                           "any one is"):
            np.mean(np.any(before["W1"] == after["W1"], axis=0) & same_b),
        Mistake("frozen_units.changed_fraction", "this is the fraction of neurons that changed; frozen ones are asked "
                                                 "for"): 1.0 - expected,
        Mistake("frozen_units.count_not_fraction", "return the fraction of the hidden neurons, not their "
                                                   "number"): expected * same_w.size,
    }


def bad_initialisation(rng, lr, n_epochs, n=40, h=12, tries=30):
    """1-D data of the experiment's kind and an initialisation with negative hidden biases (many
    neurons dead), chosen so that ReLU training kills further neurons: then the dead fraction after
    training differs from the one at the start, and measuring the wrong network shows."""
    for _ in range(tries):
        X = np.sort(rng.uniform(-2.0, 2.0, size=(n, 1)), axis=0)
        y = np.sin(rng.uniform(1.0, 2.0) * X) + 0.1 * rng.normal(size=X.shape)
        params = ref.init_params(1, h, seed=int(rng.integers(1000)))
        params["b1"] = -rng.uniform(0.0, 3.0, size=h)
        with np.errstate(all="ignore"):
            trained, losses = ref.train(X, y, params, lr, n_epochs)
        if np.all(np.isfinite(losses)) and ref.dead_unit_fraction(X, trained) != ref.dead_unit_fraction(X, params):
            break
    return X, y, params


def own_fraction(student, name, args, rng):
    """The student's own measurement (dead_unit_fraction, frozen_unit_fraction) on ``args`` as far as the grader
    can vouch for it: identified (``identify``) on ``args`` and on a case of its own test's kind as the
    reference or one of its named mistakes, and then computed here; the reference when they disagree.
    train_and_measure is judged on how it combines them, not again on the measurements themselves."""
    mistakes = dead_fraction_mistakes if name == "dead_unit_fraction" else frozen_fraction_mistakes

    def candidates(case):
        return {REFERENCE: getattr(ref, name)(*case), **{m.id: v for m, v in mistakes(*case).items()}}

    other = dying_network(rng, n=int(rng.integers(6, 14)), d=int(rng.integers(2, 4))) \
        if name == "dead_unit_fraction" else frozen_case(rng)
    found = identify(lambda case: as_float(getattr(student, name)(*case), name=name), candidates, [args, other],
                     lambda value, candidate: bool(np.isclose(value, float(candidate), rtol=FRACTION_TOL,
                                                              atol=FRACTION_TOL)))
    return float(candidates(args)[found or REFERENCE])


def trained_by_student(student, X, y, params, lr, n_epochs, activation, rng):
    """The notebook's given train() run in the sandbox (what the student's own backpropagation does), believed
    only as far as the grader can vouch for it: identified (``identify``) on this problem and on one of other
    shapes as gradient descent with none or one of the named mistakes of its parts (``given_train``). The
    parameters are then the student's (float32 work keeps its own rounding), vouched for by that replay."""
    def ask(case):
        X_, y_, params_ = case
        try:
            result = student.train(X_, y_, params_, lr, n_epochs, activation)
        except StudentCodeError as error:
            fail(f"the experiment needs the given train(), which fails with your functions ({error}); "
                 "fix forward(), backward() and sgd_step() first (see their tests)")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            fail("the given train() no longer returns (params, losses): was the cell changed?")
        trained = as_dict(result[0], "the parameters train() returned")
        return {key: as_array(trained[key], name=f"the trained {key}").astype(float) for key in KEYS}

    def candidates(combinations):
        def replays(case):
            with np.errstate(all="ignore"):
                return {" + ".join(mistakes) or REFERENCE: given_train(*case, lr, n_epochs, activation, mistakes)
                        for mistakes in combinations}
        return replays

    def close(value, candidate):
        return all(value[key].size == candidate[key].size and
                   np.allclose(value[key].reshape(-1), candidate[key].reshape(-1), rtol=1e-3, atol=1e-6,
                               equal_nan=True) for key in KEYS)

    problem = (X, y, params)
    other = bad_initialisation(rng, lr, n_epochs, n=int(rng.integers(25, 35)), h=int(rng.integers(8, 11)))
    answers = {id(case): ask(case) for case in (problem, other)}     # a failure here names its cause
    singles = [(), *((m,) for m in TRAINING_MISTAKES)]
    pairs = [(a, b) for k, a in enumerate(TRAINING_MISTAKES) for b in TRAINING_MISTAKES[k + 1:]
             if a.split(".")[0] != b.split(".")[0]]
    # The reference alone first: most students' training is plain gradient descent, which two replays
    # settle (identify prefers the reference anyway), instead of one per named mistake.
    if all(identify(lambda case: answers[id(case)], candidates(combinations), [problem, other], close) is None
           for combinations in ([()], singles, pairs)):
        fail(f"the given train() with your forward(), backward() and sgd_step() does not train this network "
             f"({activation}) as gradient descent does, nor consistently as it would with one of the mistakes their "
             "tests name, so what train_and_measure measures cannot be checked: fix the functions their own tests "
             "name first")
    return {key: answers[id(problem)][key].reshape(np.shape(params[key])) for key in KEYS}


# The named mistakes of the parts of the given train() (the activation, forward, mse_loss_grad, backward,
# sgd_step), each of which the part's own test names: trained_by_student believes a student's training
# when it is gradient descent with none, one or two of them (in different parts), replayed here by given_train.
TRAINING_MISTAKES = (
    "relu.negatives_kept", "relu.is_derivative", "relu.min_instead_of_max", "relu_grad.one_at_zero",
    "relu_grad.minus_one_below_zero", "relu_grad.is_relu", "relu_grad.always_one", "leaky_relu.plain_relu",
    "leaky_relu_grad.zero_below_zero", "leaky_relu_grad.alpha_times_z",
    "forward.missing_output_bias", "forward.missing_hidden_bias", "forward.missing_activation",
    "forward.activation_on_output", "forward.ignores_activation_argument",
    "mse_grad.missing_factor_2", "mse_grad.sign_flipped", "mse_grad.missing_mean", "mse_grad.divided_by_n_only",
    "backward.dw2_averaged", "backward.dw2_uses_z1", "backward.db2_averaged", "backward.dw1_averaged",
    "backward.db1_averaged", "backward.missing_activation_derivative", "backward.ignores_activation_argument",
    "sgd.wrong_sign", "sgd.missing_learning_rate", "sgd.returns_step", "sgd.returns_unchanged",
)


def given_train(X, y, params, lr, n_epochs, activation, mistakes=()):
    """The notebook's given train() (full-batch gradient descent through loss_and_gradients and sgd_step),
    computed here, with the parts as the reference has them or with the named ``mistakes`` (at most one
    per part: an activation, its derivative, forward, mse_loss_grad, backward, sgd_step) in them."""
    part = {m.split(".")[0]: m for m in mistakes}
    helpers = {name: (lambda z, name=name: {m.id: v for m, v in helper_mistakes(name, z).items()}[part[name]])
               if name in part else getattr(ref, name)
               for name in ("relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "sigmoid", "sigmoid_grad", "tanh",
                            "tanh_grad")}
    f, f_grad = helpers[activation], helpers[f"{activation}_grad"]
    relu, relu_grad = helpers["relu"], helpers["relu_grad"]
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    for _ in range(n_epochs):
        W1, b1, W2, b2 = (params[k] for k in KEYS)
        act = relu if "forward.ignores_activation_argument" in mistakes else f
        Z1 = X @ W1 + (0.0 if "forward.missing_hidden_bias" in mistakes else b1)
        A1 = Z1 if "forward.missing_activation" in mistakes else act(Z1)
        y_hat = A1 @ W2 + (0.0 if "forward.missing_output_bias" in mistakes else b2)
        if "forward.activation_on_output" in mistakes:
            y_hat = act(y_hat)
        n, err = len(X), y_hat - y
        dy = {"mse_grad.missing_factor_2": err / err.size, "mse_grad.sign_flipped": -2 * err / err.size,
              "mse_grad.missing_mean": 2 * err, "mse_grad.divided_by_n_only": 2 * err / n}.get(part.get("mse_grad", ""),
                                                                                               2 * err / err.size)
        dW2 = (Z1 if "backward.dw2_uses_z1" in mistakes else A1).T @ dy
        db2 = dy.sum(axis=0)
        dA1 = dy @ W2.T
        derivative = relu_grad if "backward.ignores_activation_argument" in mistakes else f_grad
        dZ1 = dA1 if "backward.missing_activation_derivative" in mistakes else dA1 * derivative(Z1)
        dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
        grads = {"W1": dW1 / (n if "backward.dw1_averaged" in mistakes else 1),
                 "b1": db1 / (n if "backward.db1_averaged" in mistakes else 1),
                 "W2": dW2 / (n if "backward.dw2_averaged" in mistakes else 1),
                 "b2": db2 / (n if "backward.db2_averaged" in mistakes else 1)}
        step = {k: {"sgd.wrong_sign": params[k] + lr * grads[k], "sgd.missing_learning_rate": params[k] - grads[k],
                    "sgd.returns_step": lr * grads[k], "sgd.returns_unchanged": params[k]}.get(
                        part.get("sgd", ""), params[k] - lr * grads[k])
                for k in KEYS}
        params = {k: np.asarray(v, dtype=float) for k, v in step.items()}
    return params


@pytest.mark.points(2)
@pytest.mark.cell("test_train_and_measure")
def test_train_and_measure(student, rng):
    """train_and_measure returns the dead and frozen fractions of what training really did, for ReLU and Leaky ReLU."""
    lr, n_epochs = 0.3, 25
    X, y, params = bad_initialisation(rng, lr, n_epochs)
    for activation in ("relu", "leaky_relu"):
        trained = trained_by_student(student, X, y, params, lr, n_epochs, activation, rng)
        other = trained_by_student(student, X, y, params, lr, n_epochs,
                                   "relu" if activation == "leaky_relu" else "leaky_relu", rng)
        result = student.train_and_measure(X, y, params, lr, n_epochs, activation=activation)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            fail(f"train_and_measure should return two numbers, (dead, frozen); it returned {type(result).__name__}")

        def dead(p):
            return own_fraction(student, "dead_unit_fraction", (X, p), rng)

        def frozen(a, b):
            return own_fraction(student, "frozen_unit_fraction", (a, b), rng)

        expected_frozen = frozen(params, trained)
        expect_float(result[0], dead(trained), name=f"dead ({activation})", rtol=FRACTION_TOL, atol=FRACTION_TOL,
                     mistakes={
            Mistake("train_and_measure.dead_on_initial", "dead is measured on the initial parameters; measure the "
                                                         "trained network"): dead(params),
        })
        mistakes = {
            Mistake("train_and_measure.frozen_self_compare", "frozen compares the trained parameters with themselves; "
                                                             "compare params (before) with "
            "the trained ones"): frozen(trained, trained),
        }
        if frozen(params, other) != expected_frozen:
            mistakes[Mistake("train_and_measure.ignores_activation", "train_and_measure must pass its activation on to "
                                                                     "train()")] = frozen(params, other)
        expect_float(result[1], expected_frozen, name=f"frozen ({activation})", rtol=FRACTION_TOL, atol=FRACTION_TOL,
                     mistakes=mistakes)
