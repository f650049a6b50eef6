from __future__ import annotations

import pytest

from quizzes.catalog import get_quiz
from quizzes.model import parse_bank

# Every character some format treats specially, and LaTeX whose backslashes collide with escapes (\n...).
NASTY_BANK = r'''
quiz: nasty
title: 'Escapes: ~ = # { } : \ & < > ]]> "quotes"'
questions:
  - id: special-characters
    section: Neural network basics
    concepts: [forward-pass]
    text: 'GIFT specials ~ = # { } : and a backslash \ plus XML & < > ]]> and "quotes" -- ok?'
    options:
      - text: 'a~b = c'
        correct: true
        explanation: 'uses # and {braces} and : colon'
      - text: '{x} #1'
        explanation: 'a literal backslash-n \n and two backslashes \\ stay'
      - text: 'C:\path\to\file'
        explanation: '<b>not bold</b> & ampersand'
      - text: "it's ]]> done *not emphasis* _nor_ [link](x)"
        explanation: '== ~~ ## ####'
    explanation: 'general feedback: #### is not a separator here'
  - id: latex-everywhere
    section: Neural network training
    concepts: [forward-pass]
    text: 'With $\nabla_{w} L = \frac{\partial L}{\partial w}$ and $x \in \{0, 1\}$, which holds for $\alpha \geq 0$?'
    options:
      - text: '$w'' = w - \alpha \nabla_{w} L$'
        correct: true
        explanation: 'Gradient descent: $w_{11}'' = w_{11} - \alpha \frac{\partial L}{\partial w_{11}}$.'
      - text: '$w'' = w + \alpha \nabla_{w} L$'
        explanation: 'Wrong sign: that is gradient ascent.'
      - text: '$L = \frac{1}{n} \sum_{i=1}^n e_i^2$'
        correct: true
        explanation: 'The MSE, also true here.'
    explanation: 'Two answers: $\nabla$ and $\frac{1}{n}$.'
'''


@pytest.fixture(scope="session")
def nasty_quiz():
    return parse_bank(NASTY_BANK, "nasty.yaml")


@pytest.fixture(scope="session")
def all_quiz():
    return get_quiz("all", seed=3)


@pytest.fixture(scope="session")
def lecture_quiz():
    return get_quiz("lecture")


@pytest.fixture(scope="session")
def followup_quiz(tmp_path_factory):
    """The follow-up poll of a class that made every catalogued cs1 mistake: every catalogue text, exported."""
    from autograder.grading import discovery, tags
    from quizzes.from_report import follow_up_quiz
    from tests.quizzes.class_report_fixture import class_report_json

    ids = sorted(tags.mistake_catalogue(discovery.hidden_root() / "cs1"))
    report = class_report_json(tmp_path_factory.mktemp("followup"), {m: 1 + i % 5 for i, m in enumerate(ids)})
    return follow_up_quiz(report, top=len(ids)).quiz
