"""Vevox's poll-results report through `quiz results`: polls matched to bank questions by text, the same
charts and summary as the vote-count CSV, and an item analysis checked against hand-computed figures."""
from __future__ import annotations

import csv
import json
import math

import pytest
from click.testing import CliRunner

from quizzes.cli import quiz as quiz_cli
from quizzes.item_analysis import ResponseMatrix, from_matrix, from_votes, pearson
from quizzes.results import QuestionVotes, ResultsError, build_chart, report_results, write_rows
from quizzes.vevox import MIN_SIMILARITY, is_vevox_report, match_poll, read_vevox, text_key
from tests.quizzes.vevox_fixture import (
    CLASS_LETTERS,
    CLASS_QUESTIONS,
    UNMATCHED_TEXT,
    write_class_report,
    write_vevox_report,
)


@pytest.fixture
def class_report(tmp_path, all_quiz):
    return write_class_report(tmp_path / "vevox.xlsx", all_quiz)


# --- hand-computed figures for the class in vevox_fixture.CLASS_LETTERS -----------------------------------
# Correct (1) per participant for sigmoid-binary, why-softmax, overfitting-meaning:
#   Ada 111, Alan 111, Grace 111, Emmy 110, Kurt 101, Lise 011, Rosalind 101, Niels 100, (anonymous) 000,
#   Paul 000  ->  totals 3 3 3 2 2 2 2 1 0 0.
# Point-biserial of an item = (M1 - M0) / SD(rest) * sqrt(p q), rest = total minus the item, SD over all 10.
#   sigmoid-binary: rest 2 2 2 1 1 2 1 0 0 0; M1 = 9/7, M0 = 2/3; var = 19/10 - 1.1^2 = 0.69; p = 0.7
#   why-softmax:    rest 2 2 2 1 2 1 2 1 0 0; M1 = 8/5, M0 = 5/5;  var = 23/10 - 1.3^2 = 0.61; p = 0.5
#   overfitting:    rest 2 2 2 2 1 1 1 1 0 0; M1 = 9/6, M0 = 3/4;  var = 20/10 - 1.2^2 = 0.56; p = 0.6
# Upper/lower 27 %: round(2.7) = 3 each: upper Ada, Alan, Grace (3 each); lower Niels, anonymous, Paul.
#   sigmoid-binary: upper 3/3, lower 1/3 (Niels) -> D = 2/3; the others 3/3 and 0/3 -> D = 1.
HAND = {
    "sigmoid-binary": dict(p=0.7, r=(9 / 7 - 2 / 3) / math.sqrt(0.69) * math.sqrt(0.7 * 0.3), D=2 / 3),
    "why-softmax": dict(p=0.5, r=(8 / 5 - 1.0) / math.sqrt(0.61) * math.sqrt(0.5 * 0.5), D=1.0),
    "overfitting-meaning": dict(p=0.6, r=(9 / 6 - 3 / 4) / math.sqrt(0.56) * math.sqrt(0.6 * 0.4), D=1.0),
}
# Distractors: (votes, upper-group votes, lower-group votes) per wrong option.
HAND_DISTRACTORS = {
    "sigmoid-binary": {"A": (1, 0, 1), "C": (2, 0, 1), "D": (0, 0, 0)},
    "why-softmax": {"A": (1, 0, 1), "B": (3, 0, 1), "D": (1, 0, 1)},
    "overfitting-meaning": {"A": (1, 0, 1), "B": (1, 0, 1), "D": (2, 0, 1)},
}


def test_hand_computed_values_are_what_the_formula_gives():
    assert HAND["sigmoid-binary"]["r"] == pytest.approx(0.3415, abs=1e-4)
    assert HAND["why-softmax"]["r"] == pytest.approx(0.3841, abs=1e-4)
    assert HAND["overfitting-meaning"]["r"] == pytest.approx(0.4910, abs=1e-4)


def test_vevox_report_gives_hand_computed_item_analysis(class_report, all_quiz, tmp_path):
    assert is_vevox_report(class_report)
    report = report_results(class_report, all_quiz, tmp_path / "out")
    assert report.source == "vevox" and report.participants == 10
    assert [s.question_id for s in report.summaries] == list(CLASS_QUESTIONS)
    for item in report.items:
        hand = HAND[item.question_id]
        assert item.respondents == 10
        assert item.proportion_correct == pytest.approx(hand["p"])
        assert item.point_biserial == pytest.approx(hand["r"], abs=1e-12)
        assert item.upper_lower == pytest.approx(hand["D"]) and item.group_size == 3
        got = {d.key: (d.votes, d.upper_votes, d.lower_votes) for d in item.distractors}
        assert got == HAND_DISTRACTORS[item.question_id]
        question = all_quiz.question(item.question_id)
        assert all(d.misconception == question.option(d.key).explanation for d in item.distractors)
    softmax = report.items[1]
    assert softmax.top_distractor.key == "B" and softmax.top_distractor.share == pytest.approx(0.3)
    assert [d.functional for d in report.items[0].distractors] == [True, True, False]


def test_polls_are_matched_by_text_and_the_rest_is_listed(class_report, all_quiz, tmp_path):
    report = report_results(class_report, all_quiz, tmp_path / "out")
    assert [(p.column, p.question_id) for p in report.polls] == [
        ("D", "sigmoid-binary"), ("E", "regression-activation"), ("F", "why-softmax"),
        ("G", "overfitting-meaning"), ("H", None)]
    assert report.not_polled == ("regression-activation",)
    [unmatched] = report.unmatched_polls
    assert unmatched.poll_text == UNMATCHED_TEXT and unmatched.similarity < MIN_SIMILARITY
    lines = "\n".join(report.summary_lines())
    assert "1 poll(s) matched no bank question and were left out:" in lines
    assert f"column H {UNMATCHED_TEXT!r}: no bank question matches; closest question" in lines
    assert "no votes recorded for: regression-activation" in lines
    summary = json.loads(report.summary_json.read_text())
    assert summary["unmatched_polls"][0]["poll_text"] == UNMATCHED_TEXT
    assert summary["items"][1]["point_biserial"] == pytest.approx(HAND["why-softmax"]["r"], abs=1e-4)


def test_vevox_and_vote_counts_give_the_same_charts_and_summary(class_report, all_quiz, tmp_path):
    """The CSV path with the same class's counts: same summary, p, distractor votes and bars; only the
    discrimination needs the per-participant rows."""
    rows = []
    for column, qid in enumerate(CLASS_QUESTIONS):
        question = all_quiz.question(qid)
        letters = [answers[column] for answers in CLASS_LETTERS.values()]
        rows += [[qid, o.key, o.text, letters.count(o.key)] for o in question.options]
    counts = report_results(write_rows(tmp_path / "votes.csv", rows), all_quiz, tmp_path / "csv")
    vevox = report_results(class_report, all_quiz, tmp_path / "vevox")
    assert counts.summaries == vevox.summaries
    assert [c.name for c in counts.charts] == [c.name for c in vevox.charts]
    for a, b in zip(counts.items, vevox.items):
        assert (a.respondents, a.correct) == (b.respondents, b.correct)
        assert [(d.key, d.votes, d.misconception) for d in a.distractors] == \
               [(d.key, d.votes, d.misconception) for d in b.distractors]
        assert a.point_biserial is None and a.upper_lower is None
    with counts.summary_csv.open() as one, vevox.summary_csv.open() as two:
        first, second = list(csv.DictReader(one)), list(csv.DictReader(two))
    same = ("question_id", "correct_options", "responses", "correct_votes", "percent_correct", "top_distractor")
    assert [{k: r[k] for k in same} for r in first] == [{k: r[k] for k in same} for r in second]
    assert second[1]["point_biserial"] == "0.384" and second[1]["upper_lower_index"] == "1.000"
    # The bars of one question, drawn from either source.
    question = all_quiz.question("why-softmax")
    votes = QuestionVotes("why-softmax", {"A": 1, "B": 3, "C": 5, "D": 1})
    assert [b.get_width() for b in build_chart(question, votes).axes[0].patches] == [10.0, 30.0, 50.0, 10.0]
    markdown = vevox.summary_markdown.read_text()
    assert "| why-softmax | C | 10 | 5 (50.0%) | 0.50 | 0.384 | 1.000 | B (30.0%) |" in markdown
    assert ("- B) It allows for multiple class activations: 3 vote(s), 30.0%, upper/lower group 0/1. "
            "Misconception: Softmax assigns exclusive probabilities") in markdown
    assert vevox.item_chart.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("poll_text", [
    r"In the update $$w'_{11} = w_{11} - \alpha \frac{\partial L}{\partial w_{11}}$$, what happens if $$\alpha$$ "
    r"is far too large?",
    r"in the update \(w'_{11} = w_{11} - \alpha \frac{\partial L}{\partial w_{11}}\), what happens if \(\alpha\) "
    r"is FAR too large",
    "In the update w'₁₁ = w₁₁ - α ∂L/∂w₁₁, what happens if α is far too large?",
    "Q7: In gradient descent, what happens if the learning rate is far too large?",  # the short_text
])
def test_matching_ignores_math_markup_case_punctuation_and_numbering(all_quiz, poll_text):
    question_id, similarity, _ = match_poll(poll_text, all_quiz)
    assert (question_id, similarity) == ("learning-rate-too-high", 1.0)


def test_close_but_not_equal_text_matches_approximately_and_strangers_do_not(all_quiz):
    question_id, similarity, _ = match_poll("Why is the Softmax activation function preferred for Multiclass "
                                            "Classifications?", all_quiz)
    assert question_id == "why-softmax" and MIN_SIMILARITY <= similarity < 1.0
    question_id, similarity, closest = match_poll("Which activation function do you like most?", all_quiz)
    assert question_id is None and similarity < MIN_SIMILARITY and closest is not None
    assert text_key("  A, b;  $x_1$ ") == text_key("a b x₁")


def test_participant_answers_several_options_and_gaps(tmp_path, all_quiz):
    question = all_quiz.question("when-sigmoid")
    b, d, c = (question.option(k).text for k in "BDC")
    path = write_vevox_report(tmp_path / "v.xlsx", [("A", "One"), ("B", "Two"), ("C", "Three"), ("D", "Four")],
                              [(question.text, [b, f"{b}; {d}", "", c])],
                              preamble=[["Session 165-026-438"], ["Exported 15/01/2026"], []])
    results = read_vevox(path, all_quiz)
    assert results.matrix.answers["when-sigmoid"] == (frozenset("B"), frozenset("BD"), None, frozenset("C"))
    [item] = from_matrix([question], results.matrix)
    assert (item.respondents, item.correct) == (3, 2)
    assert item.point_biserial is None  # one question: no rest score to correlate with


@pytest.mark.parametrize("change, message", [
    (lambda polls: [(polls[0][0], ["Sigmoid is nice"] + polls[0][1][1:])],
     "sheet 'Polling Results', cell D2: answer 'Sigmoid is nice' is none of the options of question "
     "'sigmoid-binary'"),
    (lambda polls: polls + [(polls[0][0] + "!", polls[0][1])],
     "columns D and E both match question 'sigmoid-binary'"),
])
def test_bad_vevox_reports_get_specific_errors(tmp_path, all_quiz, change, message):
    question = all_quiz.question("sigmoid-binary")
    polls = [(question.text, [question.option("B").text] * 4)]
    path = write_vevox_report(tmp_path / "bad.xlsx", [("a", "b")] * 4, change(polls))
    with pytest.raises(ResultsError) as caught:
        report_results(path, all_quiz, tmp_path / "out")
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_workbook_without_the_header_is_refused(tmp_path, all_quiz):
    from openpyxl import Workbook
    workbook = Workbook()
    workbook.active.title = "Polling Results"
    workbook.active.append(["Name", "Answer"])
    workbook.save(tmp_path / "odd.xlsx")
    with pytest.raises(ResultsError, match="no header row with 'First Name' and 'Last Name'"):
        report_results(tmp_path / "odd.xlsx", all_quiz, tmp_path / "out")


def test_cli_reads_a_vevox_report(class_report, tmp_path):
    result = CliRunner().invoke(quiz_cli, ["results", str(class_report), "--out", str(tmp_path / "charts")])
    assert result.exit_code == 0, result.output
    assert "10 participant(s) in the Vevox report" in result.output
    assert "  why-softmax: 5/10 chose a correct answer (50.0%)" in result.output
    assert "    p 0.50, discrimination r_pb 0.38, D(27%) 1.00; most chosen wrong answer B (30.0%)" in result.output
    assert UNMATCHED_TEXT in result.output
    assert (tmp_path / "charts" / "item-analysis.png").exists()


def test_vote_counts_alone_give_difficulty_and_distractors(all_quiz):
    item = from_votes(all_quiz.question("when-sigmoid"), {"A": 0, "B": 11, "C": 2, "D": 4})
    assert (item.respondents, item.correct, item.point_biserial, item.upper_lower) == (17, 15, None, None)
    assert [(d.key, d.votes) for d in item.distractors] == [("A", 0), ("C", 2)]


def test_pearson_and_flags_on_a_miskeyed_question(all_quiz):
    assert pearson([1, 0, 1, 0], [3, 1, 3, 1]) == pytest.approx(1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    # The strongest students chose a "wrong" option: negative discrimination points at the key.
    question = all_quiz.question("sigmoid-binary")
    other = all_quiz.question("why-softmax")
    strong, weak = frozenset("C"), frozenset("B")
    matrix = ResponseMatrix(tuple("abcdef"), {
        "sigmoid-binary": (strong, strong, strong, weak, weak, weak),
        "why-softmax": (frozenset("C"),) * 3 + (frozenset("A"),) * 3})
    item = from_matrix([question, other], matrix)[0]
    assert item.point_biserial == pytest.approx(-1.0) and item.upper_lower == pytest.approx(-1.0)
    assert any(flag.startswith("negative discrimination") for flag in item.flags)


def test_discrimination_gaps_are_explained(tmp_path, all_quiz):
    question = all_quiz.question("sigmoid-binary")
    path = write_vevox_report(tmp_path / "few.xlsx", [("a", "b")] * 3,
                              [(question.text, [question.option(k).text for k in "BBC"])])
    report = report_results(path, all_quiz, tmp_path / "out")
    assert "discrimination n/a (under 4 respondents, and no rest score that varies" in "\n".join(
        report.summary_lines())
    item = from_votes(question, {"A": 1, "B": 5, "C": 0, "D": 0})
    from quizzes.results import discrimination_text
    assert discrimination_text(item) == "discrimination n/a (needs per-participant answers)"
