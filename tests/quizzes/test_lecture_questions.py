"""The eight lecture questions are in the bank verbatim, with the lecture's keys and class results."""
from __future__ import annotations

import pytest

# (id, question text, options, correct keys, results) copied from the lecture's slides.
LECTURE = [
    ("regression-activation", "Which activation function is typically used for Regression tasks?",
     ["Sigmoid/Logistic", "Tanh", "Linear", "Softmax"], ("C",), None),
    ("sigmoid-binary",
     "What is the primary advantage of using the Sigmoid/Logistic activation function in Binary Classification?",
     ["It produces continuous output", "It squashes the output between 0 and 1",
      "It allows for multiple class activations", "It prevents the vanishing gradient problem"],
     ("B",), [0, 97.3, 2.7, 0]),
    ("why-softmax", "Why is the Softmax activation function preferred for Multiclass Classification?",
     ["It produces continuous output", "It allows for multiple class activations",
      "It ensures that the sum of class probabilities equals 1", "It is suitable for binary decisions"],
     ("C",), [0, 42.86, 57.14, 0]),
    ("when-sigmoid", "When is the Sigmoid activation function typically used?",
     ["In Regression tasks", "In Binary Classification", "In Multiclass Classification",
      "In Multilabel Classification"], ("B", "D"), [0, 64.71, 11.76, 23.53]),
    ("rising-learning-curve",
     "You observe the following learning curve. What is likely the reasons for the increase of the loss over epochs?",
     ["The learning rate is too low", "The learning rate is too high", "The wrong loss function is used",
      "The number of epoch is too low"], ("B",), [0, 93.94, 6.06, 0]),
    ("forward-pass-computes", "During the forward pass in ANN training, what is calculated?",
     ["Gradients", "Activation Functions", "Output Values", "Weights and Biases"], ("C",), None),
    ("gradient-descent-vs-second-order",
     "In neural network training, why is gradient descent often preferred over second-order optimization "
     "methods like Newton's method?",
     ["Gradient descent is faster and requires fewer iterations.",
      "Second-order derivatives do not exist for deep networks because of the ReLU activation function",
      "Gradient descent is less computationally intensive.",
      "Second-order methods can be computationally expensive due to Hessian calculations and storage, making "
      "them less practical for large-scale neural networks."], ("C", "D"), None),
    ("overfitting-meaning",
     "If your neural network has overfit the training set in modelling a product quality based on historical "
     "data, what does it mean?",
     ["It makes accurate predictions for examples in the training set and generalizes well on new, previously "
      "unseen examples.",
      "It does not make accurate predictions for examples in the training set but generalize well on new, "
      "previously unseen examples.",
      "It makes accurate predictions for examples in the training set but does not generalize well on new, "
      "previously unseen examples.",
      "It does not make accurate predictions for examples in the training set and does not generalize well on "
      "new, previously unseen examples."], ("C",), [0, 3.03, 87.88, 9.09]),
]


def test_lecture_bank_holds_exactly_the_eight_questions_in_order(lecture_quiz):
    assert [q.id for q in lecture_quiz.questions] == [row[0] for row in LECTURE]


@pytest.mark.parametrize("qid, text, options, keys, results", LECTURE, ids=[row[0] for row in LECTURE])
def test_lecture_question_is_verbatim(lecture_quiz, qid, text, options, keys, results):
    question = lecture_quiz.question(qid)
    assert question.text == text
    assert [o.text for o in question.options] == options
    assert question.correct_keys == keys
    if results is None:
        assert question.class_results is None
        assert question.results_note
    else:
        assert [question.class_results.percentages[o.key] for o in question.options] == results


def test_forward_pass_explains_why_activation_functions_is_not_the_key(lecture_quiz):
    question = lecture_quiz.question("forward-pass-computes")
    assert "uses an activation function" in question.option("B").explanation
    assert "Activation Functions" in question.explanation


def test_sections_follow_the_lecture_outline(lecture_quiz):
    assert [q.section for q in lecture_quiz.questions] == (
        ["Neural network basics"] * 4 + ["Neural network training"] * 3 + ["Architecture and hyperparameters"])
