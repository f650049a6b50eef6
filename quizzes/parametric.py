"""Seeded numeric questions: the same seed gives the same question, another seed another variant.

The right answer is computed with the lecture's formulas as the question states them (one sample, one
hidden layer: ``hidden``, ``relu``, ``output``), the wrong options are the results of typical mistakes
(forgot the bias, ReLU not applied, sum instead of mean, missing factor 2, wrong sign in the update).
The quizzes need no assignment: tests/quizzes/test_parametric.py checks every answer against cs1's
reference (solutions/cs1/forward_backward.py), so quiz and assignment never disagree.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import overload

import numpy as np

from autograder.concepts import check_concepts
from quizzes.model import OPTION_KEYS, Option, Question, Quiz

N_OPTIONS = 4


@dataclass(frozen=True)
class Candidate:
    value: float
    explanation: str


def format_number(value: float) -> str:
    """Up to four decimals, no trailing zeros, no negative zero."""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _assemble(correct: Candidate, mistakes: list[Candidate], rng: np.random.Generator) -> tuple[Option, ...]:
    chosen = [correct]
    seen = {format_number(correct.value)}
    for candidate in mistakes:
        label = format_number(candidate.value)
        if label not in seen and len(chosen) < N_OPTIONS:
            chosen.append(candidate)
            seen.add(label)
    step = 1
    while len(chosen) < N_OPTIONS:
        # Typical mistakes can coincide for some numbers; an arithmetic slip keeps four options.
        for value in (correct.value + step, correct.value - step):
            if format_number(value) not in seen and len(chosen) < N_OPTIONS:
                chosen.append(Candidate(value, "An arithmetic slip: recompute the sum term by term."))
                seen.add(format_number(value))
        step += 1
    order = rng.permutation(len(chosen))
    return tuple(
        Option(key=OPTION_KEYS[position], text=format_number(chosen[index].value),
               correct=bool(index == 0), explanation=chosen[index].explanation)
        for position, index in enumerate(order)
    )


def _ints(rng: np.random.Generator, shape: tuple[int, ...], low: int = -3, high: int = 3,
          nonzero: bool = True) -> np.ndarray:
    values: np.ndarray = rng.integers(low, high + 1, size=shape).astype(float)
    if nonzero:
        values[values == 0] = 1.0
    return values


@overload
def relu(z: float) -> float: ...
@overload
def relu(z: np.ndarray) -> np.ndarray: ...
def relu(z: float | np.ndarray) -> float | np.ndarray:
    result: float | np.ndarray = np.maximum(z, 0.0)
    return result


def hidden(X: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The hidden layer's pre-activations z and ReLU outputs a: z = x W1 + b1, a = max(0, z)."""
    z: np.ndarray = X @ params["W1"] + params["b1"]
    return z, relu(z)


def output(a: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """The linear output layer: y_hat = a W2 + b2."""
    y_hat: np.ndarray = a @ params["W2"] + params["b2"]
    return y_hat


def _hidden_setup(rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    X = _ints(rng, (1, 3))
    params = {"W1": _ints(rng, (3, 2)), "b1": _ints(rng, (2,)), "W2": _ints(rng, (2, 1)), "b2": _ints(rng, (1,))}
    return X, params


def _hidden_givens(X: np.ndarray, params: dict[str, np.ndarray]) -> str:
    x = ", ".join(f"x_{i + 1} = {format_number(v)}" for i, v in enumerate(X[0]))
    w = ", ".join(f"w_{{{i + 1}1}} = {format_number(params['W1'][i, 0])}" for i in range(3))
    return f"Inputs ${x}$; weights into hidden neuron 1 ${w}$; bias $b_1 = {format_number(params['b1'][0])}$."


def _short_givens(X: np.ndarray, params: dict[str, np.ndarray]) -> str:
    """The same numbers compactly, for formats with short question limits (Kahoot: 120 characters)."""
    x = ", ".join(format_number(v) for v in X[0])
    w = ", ".join(format_number(v) for v in params["W1"][:, 0])
    return f"$x = ({x})$, $(w_{{11}}, w_{{21}}, w_{{31}}) = ({w})$, $b_1 = {format_number(params['b1'][0])}$."


def hidden_preactivation(seed: int) -> Question:
    """z1 of the lecture's worked example, with seeded numbers."""
    rng = np.random.default_rng([seed, 1])
    X, params = _hidden_setup(rng)
    z, _ = hidden(X, params)
    z1, z2 = float(z[0, 0]), float(z[0, 1])
    b1 = float(params["b1"][0])
    products = X[0] * params["W1"][:, 0]
    correct = Candidate(z1, f"$z_1 = {' + '.join(f'({format_number(p)})' for p in products)} + "
                            f"({format_number(b1)}) = {format_number(z1)}$.")
    mistakes = [
        Candidate(z1 - b1, "Forgot the bias $b_1$."),
        Candidate(float(np.sum(np.abs(products))) + b1, "Dropped the minus signs of the products."),
        Candidate(z2, "Used the weights of hidden neuron 2 (that is $z_2$)."),
        Candidate(z1 + b1, "Added the bias twice."),
    ]
    return Question(
        id=f"param-z1-s{seed}", section="Neural network basics", concepts=("forward-pass",),
        text=f"{_hidden_givens(X, params)} What is $z_1 = w_{{11}} x_1 + w_{{21}} x_2 + w_{{31}} x_3 + b_1$?",
        short_text=f"{_short_givens(X, params)} What is $z_1$?",
        options=_assemble(correct, mistakes, rng), origin="parametric", time_limit=60,
        explanation="Multiply each input by its weight, add the products, then add the bias.",
    )


def relu_output(seed: int) -> Question:
    rng = np.random.default_rng([seed, 2])
    X, params = _hidden_setup(rng)
    if rng.random() < 0.6:
        # Mostly negative pre-activations: that is where "ReLU not applied" becomes a visible mistake.
        params["b1"][0] = -abs(params["b1"][0]) - float(np.sum(np.abs(X[0] * params["W1"][:, 0])))
    z, a = hidden(X, params)
    z1, a1 = float(z[0, 0]), float(a[0, 0])
    b1 = float(params["b1"][0])
    correct = Candidate(a1, f"$z_1 = {format_number(z1)}$, and $a_1 = \\max(0, z_1) = {format_number(a1)}$.")
    mistakes = [
        Candidate(z1, "ReLU not applied: this is $z_1$ itself."),
        Candidate(abs(z1), "ReLU is not the absolute value; negative inputs give 0."),
        Candidate(float(relu(z1 - b1)), "Forgot the bias $b_1$ before applying ReLU."),
        Candidate(float(np.sum(relu(X[0] * params["W1"][:, 0])) + relu(b1)),
                  "Applied ReLU to every term separately instead of to the sum $z_1$."),
        Candidate(z1 - b1, "Forgot the bias and did not apply ReLU."),
        Candidate(0.0, "ReLU outputs 0 only for a negative $z_1$."),
    ]
    return Question(
        id=f"param-relu-s{seed}", section="Neural network basics",
        concepts=("forward-pass", "activation-functions"),
        text=f"{_hidden_givens(X, params)} What is the output $a_1 = \\text{{ReLU}}(z_1)$ of hidden neuron 1?",
        short_text=f"{_short_givens(X, params)} What is $a_1 = \\text{{ReLU}}(z_1)$?",
        options=_assemble(correct, mistakes, rng), origin="parametric", time_limit=60,
        explanation="First $z_1$ (weighted sum plus bias), then $\\text{ReLU}(z) = \\max(0, z)$.",
    )


def mse_value(seed: int) -> Question:
    rng = np.random.default_rng([seed, 3])
    y_hat = _ints(rng, (3, 1), -4, 4, nonzero=False)
    y = _ints(rng, (3, 1), -4, 4, nonzero=False)
    if np.array_equal(y_hat, y):
        y[0, 0] += 2.0
    diff = (y_hat - y)[:, 0]
    loss = float(np.mean(diff ** 2))
    correct = Candidate(loss, f"Squared errors ${', '.join(format_number(d * d) for d in diff)}$; "
                              f"their mean is ${format_number(loss)}$.")
    mistakes = [
        Candidate(float(np.sum(diff ** 2)), "Sum instead of mean: forgot to divide by $n = 3$."),
        Candidate(float(np.mean(np.abs(diff))), "Mean absolute error: the errors must be squared."),
        Candidate(float(np.sqrt(loss)), "That is the RMSE (square root of the MSE)."),
        Candidate(float(np.mean(diff)) ** 2, "Squared the mean error instead of averaging the squared errors."),
        Candidate(loss / 2, "Halved the MSE (a convention for some derivations, not the lecture's loss)."),
    ]

    def vec(a: np.ndarray) -> str:
        return "(" + ", ".join(format_number(v) for v in a[:, 0]) + ")"

    return Question(
        id=f"param-mse-s{seed}", section="Neural network training", concepts=("mse",),
        text=(f"Predictions $\\hat{{y}} = {vec(y_hat)}$, targets $y = {vec(y)}$. What is the MSE loss "
              f"$L = \\frac{{1}}{{n}} \\sum_{{i=1}}^n (y_i - \\hat{{y}}_i)^2$?"),
        options=_assemble(correct, mistakes, rng), origin="parametric", time_limit=60,
        explanation="Square each error, then take the mean over the n samples.",
    )


def gradient_step(seed: int) -> Question:
    """One gradient-descent step on the output weight w_4 (from hidden neuron 1 to the output)."""
    rng = np.random.default_rng([seed, 4])
    X = _ints(rng, (1, 2), -2, 2)
    params = {"W1": _ints(rng, (2, 2), -2, 2), "b1": np.zeros(2), "W2": _ints(rng, (2, 1), -2, 2),
              "b2": np.zeros(1)}
    # |x . w| <= 2 sum|w|, so this bias keeps both hidden neurons active (a nonzero gradient).
    params["b1"][:] = 2 * np.abs(params["W1"]).sum(axis=0) + 1
    y = _ints(rng, (1, 1), -3, 3)
    lr = float(rng.choice([0.01, 0.005, 0.001]))
    _, a = hidden(X, params)
    y_hat = output(a, params)
    if y_hat[0, 0] == y[0, 0]:
        y = y + 1.0
    a1, w = float(a[0, 0]), float(params["W2"][0, 0])
    g = 2 * float(y_hat[0, 0] - y[0, 0]) * a1       # dL/dw4 = dL/dy_hat * dy_hat/dw4 (MSE of one sample)
    new_w = w - lr * g
    correct = Candidate(new_w, f"$\\partial L / \\partial w_4 = 2 (\\hat{{y}} - y) a_1 = {format_number(g)}$, "
                               f"so $w_4' = {format_number(w)} - {format_number(lr)} \\cdot ({format_number(g)}) "
                               f"= {format_number(new_w)}$.")
    mistakes = [
        Candidate(w + lr * g, "Wrong sign in the update: gradient descent subtracts $\\alpha \\cdot$ gradient."),
        Candidate(w - lr * g / 2, "Missing factor 2 from differentiating the square."),
        Candidate(w - g, "Forgot the learning rate $\\alpha$."),
        Candidate(g, "This is the gradient, not the updated weight."),
    ]
    x_text = ", ".join(f"x_{i + 1} = {format_number(v)}" for i, v in enumerate(X[0]))
    return Question(
        id=f"param-step-s{seed}", section="Neural network training",
        concepts=("gradient-descent", "backpropagation", "chain-rule", "learning-rate"),
        text=(f"One sample (${x_text}$, target $y = {format_number(y[0, 0])}$) gives hidden output "
              f"$a_1 = {format_number(a1)}$ and prediction $\\hat{{y}} = {format_number(y_hat[0, 0])}$ "
              f"(linear output, MSE loss). The weight from hidden neuron 1 to the output is "
              f"$w_4 = {format_number(w)}$ and $\\alpha = {format_number(lr)}$. What is $w_4$ after one "
              f"gradient-descent step?"),
        short_text=(f"${x_text}$, $y = {format_number(y[0, 0])}$, $a_1 = {format_number(a1)}$, "
                    f"$\\hat{{y}} = {format_number(y_hat[0, 0])}$, $w_4 = {format_number(w)}$, "
                    f"$\\alpha = {format_number(lr)}$, MSE. $w_4$ after one step?"),
        options=_assemble(correct, mistakes, rng), origin="parametric", time_limit=90,
        explanation="$w' = w - \\alpha \\, \\partial L / \\partial w$ with $\\partial L / \\partial w_4 = "
                    "\\frac{\\partial L}{\\partial \\hat{y}} \\frac{\\partial \\hat{y}}{\\partial w_4} = 2 (\\hat{y} - "
                    "y) a_1$.",
    )


GENERATORS: dict[str, Callable[[int], Question]] = {
    "z1": hidden_preactivation,
    "relu": relu_output,
    "mse": mse_value,
    "step": gradient_step,
}


def parametric_quiz(seed: int) -> Quiz:
    """One question of every kind for this seed (e.g. a student's or a session's number)."""
    questions = tuple(generate(seed) for generate in GENERATORS.values())
    for question in questions:
        check_concepts(question.concepts, where=f"parametric question {question.id!r}")
    return Quiz(name="parametric", title=f"Neural Networks: computation practice (variant {seed})",
                questions=questions, sources=(f"quizzes.parametric seed={seed}",))
