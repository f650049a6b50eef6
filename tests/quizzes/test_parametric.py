"""Seeded questions: reproducible, one correct answer recomputed independently from the question text,
distractors that are the named typical mistakes."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from quizzes.export.kahoot import kahoot_row
from quizzes.parametric import GENERATORS, format_number, parametric_quiz

GOLDEN = Path(__file__).parent / "golden" / "parametric-seed-0.json"
SEEDS = range(40)


def numbers(pattern: str, text: str) -> list[float]:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return [float(v) for v in match.groups()]


def correct_value(question) -> float:
    [key] = question.correct_keys
    return float(question.option(key).text)


def option_with(question, phrase: str) -> float | None:
    found = [float(o.text) for o in question.options if phrase in o.explanation]
    return found[0] if found else None


@pytest.mark.parametrize("seed", SEEDS)
def test_every_variant_has_four_distinct_options_and_one_key(seed):
    for question in parametric_quiz(seed).questions:
        assert len(question.options) == 4
        assert len({o.text for o in question.options}) == 4
        assert len(question.correct_keys) == 1
        assert question.id.endswith(f"-s{seed}")


def test_same_seed_same_question_other_seed_other_question():
    assert parametric_quiz(7) == parametric_quiz(7)
    texts = {q.text for seed in range(10) for q in parametric_quiz(seed).questions}
    assert len(texts) == 10 * len(GENERATORS)


def test_correct_option_is_not_always_in_the_same_place():
    places = {q.correct_keys for seed in SEEDS for q in parametric_quiz(seed).questions}
    assert len(places) == 4


@pytest.mark.parametrize("seed", SEEDS)
def test_answers_match_an_independent_computation_from_the_question_text(seed):
    z1_question, relu_question, mse_question, step_question = parametric_quiz(seed).questions
    for question in (z1_question, relu_question):
        x = numbers(r"x_1 = (-?[\d.]+), x_2 = (-?[\d.]+), x_3 = (-?[\d.]+)", question.text)
        w = numbers(r"w_\{11\} = (-?[\d.]+), w_\{21\} = (-?[\d.]+), w_\{31\} = (-?[\d.]+)", question.text)
        [b] = numbers(r"b_1 = (-?[\d.]+)\$", question.text)
        z = sum(xi * wi for xi, wi in zip(x, w)) + b
        if question is z1_question:
            assert correct_value(question) == pytest.approx(z)
            forgot_bias = option_with(question, "Forgot the bias")
            assert forgot_bias is None or forgot_bias == pytest.approx(z - b)
        else:
            assert correct_value(question) == pytest.approx(max(0.0, z))
            not_applied = option_with(question, "ReLU not applied")
            assert not_applied is None or not_applied == pytest.approx(z)
    y_hat = numbers(r"\\hat\{y\} = \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\)", mse_question.text)
    y = numbers(r"targets \$y = \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\)", mse_question.text)
    squared = [(a - b) ** 2 for a, b in zip(y_hat, y)]
    assert correct_value(mse_question) == pytest.approx(sum(squared) / 3, abs=1e-4)
    summed = option_with(mse_question, "Sum instead of mean")
    assert summed is None or summed == pytest.approx(sum(squared))
    [target] = numbers(r"target \$y = (-?[\d.]+)\$", step_question.text)
    [a1] = numbers(r"\$a_1 = (-?[\d.]+)\$", step_question.text)
    [prediction] = numbers(r"\\hat\{y\} = (-?[\d.]+)\$", step_question.text)
    [w4, lr] = numbers(r"\$w_4 = (-?[\d.]+)\$ and \$\\alpha = ([\d.]+)\$", step_question.text)
    gradient = 2 * (prediction - target) * a1
    assert correct_value(step_question) == pytest.approx(w4 - lr * gradient, abs=1e-4)
    wrong_sign = option_with(step_question, "Wrong sign")
    assert wrong_sign is None or wrong_sign == pytest.approx(w4 + lr * gradient, abs=1e-4)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_answer_is_what_cs1_s_reference_computes(seed):
    """Quiz and assignment never disagree: the numbers of each question through solutions/cs1's reference."""
    import numpy as np

    from solutions.cs1 import forward_backward as ref

    z1_question, relu_question, mse_question, step_question = parametric_quiz(seed).questions
    for question, node in ((z1_question, "Z1"), (relu_question, "A1")):
        x = numbers(r"x_1 = (-?[\d.]+), x_2 = (-?[\d.]+), x_3 = (-?[\d.]+)", question.text)
        w = numbers(r"w_\{11\} = (-?[\d.]+), w_\{21\} = (-?[\d.]+), w_\{31\} = (-?[\d.]+)", question.text)
        [b] = numbers(r"b_1 = (-?[\d.]+)\$", question.text)
        params = {"W1": np.array(w)[:, None], "b1": np.array([b]), "W2": np.ones((1, 1)), "b2": np.zeros(1)}
        _, cache = ref.forward(np.array([x]), params, activation="relu")
        assert correct_value(question) == pytest.approx(cache[node][0, 0], abs=1e-4)
    y_hat = numbers(r"\\hat\{y\} = \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\)", mse_question.text)
    y = numbers(r"targets \$y = \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\)", mse_question.text)
    assert correct_value(mse_question) == pytest.approx(ref.mse_loss(np.array(y_hat), np.array(y)), abs=1e-4)
    [target] = numbers(r"target \$y = (-?[\d.]+)\$", step_question.text)
    [a1] = numbers(r"\$a_1 = (-?[\d.]+)\$", step_question.text)
    [prediction] = numbers(r"\\hat\{y\} = (-?[\d.]+)\$", step_question.text)
    [w4, lr] = numbers(r"\$w_4 = (-?[\d.]+)\$ and \$\\alpha = ([\d.]+)\$", step_question.text)
    params = {"W1": np.ones((1, 1)), "b1": np.zeros(1), "W2": np.array([[w4]]), "b2": np.zeros(1)}
    cache = {"X": np.ones((1, 1)), "Z1": np.array([[a1]]), "A1": np.array([[a1]])}
    grads = ref.backward(ref.mse_loss_grad(np.array([[prediction]]), np.array([[target]])), cache, params)
    assert correct_value(step_question) == pytest.approx(ref.sgd_step(params, grads, lr)["W2"][0, 0], abs=1e-4)


def test_every_variant_fits_kahoot_without_being_skipped():
    for seed in SEEDS:
        for question in parametric_quiz(seed).questions:
            row, notes = kahoot_row(question)
            assert row is not None, notes


def test_format_number():
    assert [format_number(v) for v in (2.0, -0.0, 1.23456, -3.5, 0.00001)] == ["2", "0", "1.2346", "-3.5", "0"]


def test_seed_zero_matches_golden_file():
    """Changing a generator changes every student's variant; this makes such a change deliberate.
    Regenerate with LEARNATHON_UPDATE_GOLDEN=1."""
    current = parametric_quiz(0).to_dict()
    if os.environ.get("LEARNATHON_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert current == json.loads(GOLDEN.read_text(encoding="utf-8"))
