"""The shared concept list: it loads, every question of every quiz is tagged with concepts from it, and an
unknown id is refused with a message that names where it came from and the closest real id."""
from __future__ import annotations

import pytest

from autograder.concepts import (
    SECTIONS,
    ConceptListError,
    UnknownConceptError,
    check_concepts,
    concept_ids,
    get_concept,
    load_concepts,
    parse_concepts,
)
from quizzes.catalog import QUIZ_NAMES, get_quiz
from quizzes.model import BankError, parse_bank


def test_the_list_covers_the_lecture_sections_and_the_assignment_topics():
    concepts = load_concepts()
    assert {c.section for c in concepts.values()} == set(SECTIONS)
    for required in ("activation-functions", "forward-pass", "mse", "cross-entropy", "backpropagation",
                     "chain-rule", "gradient-descent", "learning-rate", "mini-batches", "width-depth",
                     "parameter-count", "over-underfitting", "data-splits", "k-fold", "early-stopping",
                     "extrapolation", "data-leakage", "surrogate-models", "qspr-descriptors", "biological-neuron"):
        assert required in concepts
    assert get_concept("k-fold").title == "k-fold cross-validation"
    assert concept_ids()[0] == "biological-neuron"  # list order is lecture order


@pytest.mark.parametrize("quiz_name", [n for n in QUIZ_NAMES if n != "all"])
def test_every_question_is_tagged_with_known_concepts(quiz_name):
    for seed in (0, 1):
        for question in get_quiz(quiz_name, seed).questions:
            assert question.concepts, question.id
            assert check_concepts(question.concepts, where=question.id) == question.concepts


def test_unknown_ids_are_refused_with_the_place_and_a_suggestion():
    with pytest.raises(UnknownConceptError) as caught:
        check_concepts(["mse", "kfold", "quantum"], where="autograder/hidden/cs1: test_kfold_indices")
    message = str(caught.value)
    assert message.startswith("autograder/hidden/cs1: test_kfold_indices: unknown concepts 'kfold' "
                              "(did you mean 'k-fold'?), 'quantum';")
    assert caught.value.unknown == ["kfold", "quantum"]
    with pytest.raises(UnknownConceptError, match="did you mean 'mse'"):
        get_concept("mse-loss")


def test_a_bank_question_with_an_unknown_concept_names_file_and_question():
    text = """
quiz: t
title: T
questions:
  - id: q1
    section: Neural network basics
    concepts: [forward-pass, backprop]
    text: Which one?
    options: [{text: a, correct: true, explanation: x}, {text: b, explanation: y}]
"""
    with pytest.raises(BankError) as caught:
        parse_bank(text, "bank/t.yaml")
    assert str(caught.value).startswith("bank/t.yaml: question 'q1': unknown concept(s) 'backprop'")
    with pytest.raises(BankError, match="question 'q1': required field 'concepts' is missing"):
        parse_bank(text.replace("    concepts: [forward-pass, backprop]\n", ""), "bank/t.yaml")


@pytest.mark.parametrize("text, message", [
    ("concepts: []", "non-empty list 'concepts'"),
    ("concepts:\n  - {id: a, title: A, section: Nowhere, source: s}", "section 'Nowhere' is not one of"),
    ("concepts:\n  - {id: a, title: A, section: Neural network "
     "basics}", "concept 'a': missing or empty field(s) source"),
    ("concepts:\n  - {id: a, title: A, section: Neural network basics, source: s}\n"
     "  - {id: a, title: B, section: Neural network basics, source: s}", "concept 'a': duplicate id"),
    ("concepts:\n  - {id: A b, title: A, section: Neural network basics, source: s}", "id must be lower-case"),
])
def test_a_malformed_concept_list_is_refused(text, message):
    with pytest.raises(ConceptListError) as caught:
        parse_concepts(text, "concepts.yaml")
    assert message in str(caught.value) and str(caught.value).startswith("concepts.yaml: ")


def test_every_concept_is_asked_by_a_question_of_the_bank():
    """Each lecture concept has at least one question of its own in the bank (lecture or extra quiz)."""
    asked = {c for name in ("lecture", "extra") for q in get_quiz(name, 0).questions for c in q.concepts}
    assert [c for c in concept_ids() if c not in asked] == []
