"""Loading and validating bank files: the real banks load; malformed entries get errors naming file,
question and problem."""
from __future__ import annotations

import textwrap

import pytest

from quizzes.model import BANK_DIR, BankError, combine, load_bank, parse_bank

GOOD_QUESTION = """
  - id: q1
    section: Neural network basics
    concepts: [forward-pass]
    text: Which one?
    options:
      - text: Right
        correct: true
        explanation: because
      - text: Wrong
        explanation: because not
"""


def bank(questions: str) -> str:
    return "quiz: t\ntitle: T\nquestions:\n" + textwrap.dedent(questions)


def problems_of(text: str, file: str = "bank/broken.yaml") -> list[str]:
    with pytest.raises(BankError) as caught:
        parse_bank(text, file)
    return [str(p) for p in caught.value.problems]


def test_good_bank_parses_with_keys_by_position():
    quiz = parse_bank(bank(GOOD_QUESTION), "ok.yaml")
    question = quiz.question("q1")
    assert [o.key for o in question.options] == ["A", "B"]
    assert question.correct_keys == ("A",)
    assert question.to_dict()["options"][0]["text"] == "Right"


def test_no_correct_answer_is_named():
    text = bank(GOOD_QUESTION.replace("        correct: true\n", ""))
    assert problems_of(text) == ["bank/broken.yaml: question 'q1': no option is marked correct: true"]


def test_duplicate_options_are_named_even_with_different_spacing_and_case():
    text = bank(GOOD_QUESTION.replace("text: Wrong", "text: '  right '"))
    [problem] = problems_of(text)
    assert problem.startswith("bank/broken.yaml: question 'q1': duplicate option: B repeats A")


def test_unknown_field_on_question_and_option():
    text = bank(GOOD_QUESTION.replace("    text: Which one?\n", "    text: Which one?\n    colour: red\n")
                .replace("explanation: because not", "explanation: because not\n        weight: 3"))
    problems = problems_of(text)
    assert any(p.startswith("bank/broken.yaml: question 'q1': unknown field 'colour'") for p in problems)
    assert any("question 'q1': option B: unknown field 'weight'" in p for p in problems)


def test_missing_field_and_wrong_type_name_the_question():
    problems = problems_of(bank(GOOD_QUESTION.replace("    section: Neural network basics\n", "")))
    assert problems == ["bank/broken.yaml: question 'q1': required field 'section' is missing"]
    problems = problems_of(bank(GOOD_QUESTION.replace("correct: true", "correct: 'yes'")))
    assert problems[0].startswith("bank/broken.yaml: question 'q1': option A:")


def test_question_without_id_is_named_by_position():
    problems = problems_of(bank(GOOD_QUESTION.replace("  - id: q1\n    section", "  - section")))
    assert problems == ["bank/broken.yaml: question '#1': required field 'id' is missing"]


def test_duplicate_ids_and_bad_class_results():
    text = bank(GOOD_QUESTION + GOOD_QUESTION)
    assert problems_of(text) == ["bank/broken.yaml: question 'q1': duplicate question id"]
    results = "    class_results:\n      percentages: {A: 60, C: 30}\n      source: slide\n"
    problems = problems_of(bank(GOOD_QUESTION + results))
    assert "bank/broken.yaml: question 'q1': class_results name options C that the question does not have" in problems
    assert "bank/broken.yaml: question 'q1': class_results percentages sum to 90, not 100" in problems


def test_kahoot_short_versions_must_fit_and_yaml_errors_name_the_file(tmp_path):
    problems = problems_of(bank(GOOD_QUESTION.replace("text: Right", "text: Right\n        short: " + "x" * 76)))
    assert "option A" in problems[0] and "too long" in problems[0]
    assert problems_of("quiz: [unclosed", "x.yaml")[0].startswith("x.yaml: top level: not valid YAML")
    with pytest.raises(BankError, match="cannot read file"):
        load_bank(tmp_path / "missing.yaml")


def test_combined_quizzes_reject_reused_ids():
    one = parse_bank(bank(GOOD_QUESTION), "one.yaml")
    two = parse_bank(bank(GOOD_QUESTION), "two.yaml")
    with pytest.raises(BankError, match="two.yaml: question 'q1': question id also used in one.yaml"):
        combine("both", "Both", [one, two])


@pytest.mark.parametrize("name", ["lecture.yaml", "extra.yaml"])
def test_shipped_banks_load(name):
    quiz = load_bank(BANK_DIR / name)
    assert all(q.correct_keys for q in quiz.questions)
    assert all(o.explanation for q in quiz.questions for o in q.options)


def test_extra_bank_has_at_least_twelve_questions_on_the_required_topics():
    quiz = load_bank(BANK_DIR / "extra.yaml")
    assert len(quiz.questions) >= 12
    ids = " ".join(q.id for q in quiz.questions)
    for topic in ("output-activation", "dying-relu", "loss-for", "mini-batch", "wide-vs-deep", "validation-set",
                  "kfold", "surrogate"):
        assert topic in ids


def test_text_cut_at_a_yaml_comment_is_refused_with_file_line_and_question():
    # YAML ends an unquoted string at " #": this loaded as "Choosing the model complexity (i.e.," silently.
    cut = GOOD_QUESTION.replace("text: Right", "text: Choosing the model complexity (i.e., #layers and #neurons)")
    [problem] = problems_of(bank(cut))
    assert problem == ("bank/broken.yaml: question 'q1': line 10: option A text: YAML read '#layers and #neurons)' "
                       "as a comment, so the text ends at 'Choosing the model complexity (i.e.,'; put the whole "
                       "text in quotes")
    explanation = GOOD_QUESTION.replace("explanation: because not", "explanation: see note #2")
    assert "line 14: option B explanation: YAML read '#2'" in problems_of(bank(explanation))[0]
    # Quoted text keeps its "#", and a comment after a number or on its own line is still allowed.
    quoted = parse_bank(bank(cut.replace("text: Choosing the model complexity (i.e., #layers and #neurons)",
                                         "text: 'Choosing the model complexity (i.e., #layers and #neurons)'")
                             + "    time_limit: 30  # seconds\n    # a remark\n"), "ok.yaml")
    assert quoted.question("q1").options[0].text == "Choosing the model complexity (i.e., #layers and #neurons)"


def test_validation_set_role_keeps_its_whole_option_text():
    option = load_bank(BANK_DIR / "extra.yaml").question("validation-set-role").options[0]
    assert option.text == "Choosing the model complexity (i.e., #layers and #neurons)"


def _parameter_count(layer_sizes: list[int]) -> int:
    """Weights and biases of a fully connected network, layer by layer (independent of the bank's formula)."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layer_sizes, layer_sizes[1:]))


def test_wide_vs_deep_question_states_exact_parameter_counts():
    question = load_bank(BANK_DIR / "extra.yaml").question("wide-vs-deep-parameters")
    lecture, wide, deep = _parameter_count([1, 10, 1]), _parameter_count([1, 20, 1]), _parameter_count([1, 10, 10, 1])
    assert (lecture, wide, deep) == (31, 61, 141)
    [key] = [o for o in question.options if o.correct]
    assert "depth" in key.text and f"{deep} parameters" in key.text and f"against {wide}" in key.text
    assert f"{lecture} parameters" in question.text
    # The general formula in the explanation agrees with the layer-by-layer count.
    assert "(D-1)W^2 + (n_{in} + n_{out} + D)W + n_{out}" in question.explanation
    for n_in, n_out, depth, width in [(1, 1, 1, 10), (3, 2, 4, 16), (5, 1, 2, 7)]:
        formula = (depth - 1) * width ** 2 + (n_in + n_out + depth) * width + n_out
        assert formula == _parameter_count([n_in, *[width] * depth, n_out])
    assert "quadruple" not in question.to_dict().__repr__().lower()


def test_the_bank_asks_about_biological_and_artificial_neurons():
    question = load_bank(BANK_DIR / "extra.yaml").question("biological-vs-artificial-neuron")
    assert "biological-neuron" in question.concepts
    assert [o.text for o in question.options if o.correct] == ["The activation function"]
