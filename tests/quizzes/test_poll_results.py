"""Poll-results import, charts with the key highlighted, the summary table and the template."""
from __future__ import annotations

import csv

import matplotlib.colors as mcolors
import pytest

from quizzes.results import (
    CORRECT_COLOUR,
    OTHER_COLOUR,
    QuestionVotes,
    ResultsError,
    build_chart,
    lecture_result_rows,
    read_results,
    report_results,
    smallest_class_size,
    write_rows,
    write_template,
)


@pytest.mark.parametrize("percentages, size", [
    ([0, 97.3, 2.7, 0], 37), ([0, 93.94, 6.06, 0], 33), ([0, 42.86, 57.14, 0], 7),
    ([0, 64.71, 11.76, 23.53], 17), ([0, 3.03, 87.88, 9.09], 33)])
def test_smallest_class_reproduces_the_lecture_percentages(percentages, size):
    assert smallest_class_size(percentages) == size


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_filled_in_reads_back(lecture_quiz, tmp_path, suffix):
    template = write_template(lecture_quiz, tmp_path / f"votes{suffix}")
    votes, not_polled = read_results(template, lecture_quiz)
    assert votes == [] and not_polled == [q.id for q in lecture_quiz.questions]
    rows = lecture_result_rows(lecture_quiz)
    votes, not_polled = read_results(write_rows(tmp_path / f"filled{suffix}", rows), lecture_quiz)
    assert {v.question_id: v.votes for v in votes}["sigmoid-binary"] == {"A": 0, "B": 36, "C": 1, "D": 0}
    assert not_polled == [] and "forward-pass-computes" not in {v.question_id for v in votes}


def test_report_counts_every_correct_option_and_writes_charts(lecture_quiz, tmp_path):
    source = write_rows(tmp_path / "votes.csv", lecture_result_rows(lecture_quiz))
    report = report_results(source, lecture_quiz, tmp_path / "out")
    by_id = {s.question_id: s for s in report.summaries}
    assert (by_id["when-sigmoid"].correct_votes, by_id["when-sigmoid"].responses) == (15, 17)  # B 11 + D 4
    assert by_id["sigmoid-binary"].percent_correct == pytest.approx(97.297, abs=1e-3)
    assert [c.name for c in report.charts] == [f"{s.question_id}.png" for s in report.summaries]
    assert all(c.read_bytes().startswith(b"\x89PNG") for c in report.charts)
    with report.summary_csv.open() as handle:
        table = list(csv.DictReader(handle))
    assert table[2] == {"question_id": "when-sigmoid", "correct_options": "B,D", "responses": "17",
                        "correct_votes": "15", "percent_correct": "88.24", "proportion_correct": "0.882",
                        "point_biserial": "", "upper_lower_index": "", "top_distractor": "C",
                        "top_distractor_share": "0.118", "flags": ""}
    assert "| when-sigmoid | B, D | 17 | 15 (88.2%) |" in report.summary_markdown.read_text()


def test_chart_highlights_the_correct_options_with_bar_lengths_as_shares(lecture_quiz):
    question = lecture_quiz.question("when-sigmoid")
    figure = build_chart(question, QuestionVotes("when-sigmoid", {"A": 0, "B": 11, "C": 2, "D": 4}))
    bars = figure.axes[0].patches
    assert [mcolors.to_hex(b.get_facecolor()) for b in bars] == [OTHER_COLOUR, CORRECT_COLOUR, OTHER_COLOUR,
                                                               CORRECT_COLOUR]
    assert [round(b.get_width(), 2) for b in bars] == [0, 64.71, 11.76, 23.53]


def write_csv(path, rows):
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


HEADER = ["question_id", "option", "option_text", "votes"]


@pytest.mark.parametrize("rows, message", [
    ([HEADER, ["nope", "A", "", "3"]], "row 2: unknown question_id 'nope'"),
    ([HEADER, ["sigmoid-binary", "E", "", "3"]], "question 'sigmoid-binary' has no option 'E'"),
    ([HEADER, ["sigmoid-binary", "A", "Linear", "3"]], "option A of 'sigmoid-binary' is 'It produces continuous"),
    ([HEADER, ["sigmoid-binary", "A", "", "-1"]], "row 2: votes must be a whole number >= 0"),
    ([HEADER, ["sigmoid-binary", "A", "", "many"]], "row 2: votes must be a whole number, got 'many'"),
    ([HEADER, ["sigmoid-binary", "A", "", "1"], ["sigmoid-binary", "a", "", "2"]], "row 3: a second row"),
    ([["question_id", "votes"], ["sigmoid-binary", "1"]], "missing column(s) option"),
    ([], "the file is empty"),
])
def test_bad_results_files_get_specific_errors(lecture_quiz, tmp_path, rows, message):
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ResultsError) as caught:
        read_results(path, lecture_quiz)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
