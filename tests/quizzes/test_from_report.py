"""`quiz from-report`: the class's top mistakes become questions with the class's wrong answers as
distractors, the grader's message as explanation and the catalogue's concepts, in every format."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from autograder.cli import main
from quizzes.export import FORMATS
from quizzes.from_report import ReportFileError, follow_up_quiz, read_report
from tests.quizzes.class_report_fixture import class_report_json

MADE = {"forward.missing_output_bias": 9, "forward.missing_hidden_bias": 4, "mse.sum_not_mean": 6,
        "sgd.wrong_sign": 2, "relu.negatives_kept": 1}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return class_report_json(tmp_path_factory.mktemp("report"), MADE, message="{id}: what the grader said")


def test_the_top_mistakes_become_questions_with_the_class_s_wrong_answers(report):
    follow = follow_up_quiz(report, top=3)
    assert follow.used == ("forward.missing_output_bias", "forward.missing_hidden_bias", "mse.sum_not_mean")
    forward = follow.quiz.question("cs1-forward")
    assert forward.text == "Which expression is the output $\\hat{y}$ of a one-hidden-layer regression network?"
    assert [o.text for o in forward.options if o.correct] == ["$\\hat{y} = f(X W_1 + b_1)\\, W_2 + b_2$"]
    wrong = {o.text: o.explanation for o in forward.options if not o.correct}
    assert wrong["$\\hat{y} = f(X W_1 + b_1)\\, W_2$"] == (
        "9 of 40 students in effect wrote this. The grader told them: forward.missing_output_bias: what the grader "
        "said")
    assert "4 of 40 students" in wrong["$\\hat{y} = f(X W_1)\\, W_2 + b_2$"]
    assert forward.concepts == ("forward-pass", "matrix-form") and forward.section == "Neural network basics"
    assert "forward.missing_output_bias: what the grader said" in forward.explanation
    assert [q.id for q in follow.quiz.questions] == ["cs1-forward", "cs1-mse"]


def test_a_question_with_one_class_mistake_gets_catalogued_distractors_up_to_three_options(report):
    mse = follow_up_quiz(report, top=3).quiz.question("cs1-mse")
    assert len(mse.options) == 3 and sum(o.correct for o in mse.options) == 1
    filler = [o for o in mse.options if "nobody in this class made" in o.explanation]
    assert len(filler) == 1 and filler[0].text == "$\\frac{1}{n m} \\sum_{i,j} |\\hat{y}_{ij} - y_{ij}|$"


def test_never_more_than_four_options_and_keys_are_in_order(tmp_path):
    many = {"relu.negatives_kept": 5, "relu.is_derivative": 4, "relu.min_instead_of_max": 3, "sgd.wrong_sign": 2,
            "sgd.returns_step": 2, "sgd.missing_learning_rate": 2, "sgd.returns_unchanged": 2}
    quiz = follow_up_quiz(class_report_json(tmp_path, many, students=10), top=7).quiz
    for question in quiz.questions:
        assert 3 <= len(question.options) <= 4
        assert [o.key for o in question.options] == list("ABCD"[: len(question.options)])
    assert len({o.text for o in quiz.question("cs1-sgd").options}) == 4


def test_uncatalogued_mistakes_are_named_not_asked(report):
    data = json.loads(json.dumps(report))
    data["mistakes"][0]["catalogue"] = None
    follow = follow_up_quiz(data, top=1)
    assert follow.quiz.questions == () and follow.not_catalogued == ("forward.missing_output_bias",)


@pytest.mark.parametrize("content, message", [("not json", "not JSON"), ('{"a": 1}', "not a class report")])
def test_a_file_that_is_not_a_class_report_is_refused(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(ReportFileError, match=message):
        read_report(path)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_the_cli_exports_the_follow_up_in_every_format(report, tmp_path, format_name):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    result = CliRunner().invoke(main, ["quiz", "from-report", str(path), "--top", "4", "--format", format_name,
                                       "--out", str(tmp_path) + "/"])
    assert result.exit_code == 0, result.output
    assert "3 question(s) from 4 mistake(s)" in result.output
    written = [p for p in tmp_path.iterdir() if p.name.startswith("cs1-follow-up")]
    assert len(written) == 1 and written[0].stat().st_size > 0


def test_the_cli_says_when_there_is_nothing_to_ask(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"assignment": "cs1", "mistakes": []}))
    result = CliRunner().invoke(main, ["quiz", "from-report", str(path), "--format", "gift", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "the class made no named mistake" in result.output
