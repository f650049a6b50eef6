"""The feedback a student reads (autograder/results/render.py): by step, failures first, linked to the
notebook's section and the lecture, every text escaped."""
from __future__ import annotations

import re

from autograder.grading.steps import Outline, Step
from autograder.intake.cells import CellOutcome
from autograder.results.records import NotebookReport, TestResult
from autograder.results.render import render_html, render_text

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
OUTLINE = Outline((Step("test_relu", "1a. ReLU", ("relu", "relu_grad"), 3),
                   Step("test_forward", "2. The forward <pass>", ("forward",), 3)))


def report(*, relu_ok=True, forward_ok=False, message="the bias b is missing", **kwargs):
    tests = [TestResult("test_relu", 2 if relu_ok else 0, 2, relu_ok, "" if relu_ok else "negative values stay",
                        "test_relu", "relu zeroes negative values", concepts=("activation-functions",)),
             TestResult("test_relu_grad", 1, 1, True, "", "test_relu"),
             TestResult("test_forward", 0 if not forward_ok else 3, 3, forward_ok, "" if forward_ok else message,
                        "test_forward", "forward computes relu(X W + b)", concepts=("forward-pass", "no-such-id"))]
    return NotebookReport("cs9", "part", tests, cells=[CellOutcome(0, "setup", "code")], **kwargs)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="step (\w+)">.*?<a href="([^"]+)">([^<]+)</a>', html, re.S)


def test_failed_steps_come_first_with_their_messages_links_and_lecture_slides():
    html = render_html(report(), OUTLINE)
    assert rows(html) == [("failed", "part.ipynb#2.-The-forward-%3Cpass%3E", "2. The forward &lt;pass&gt; (forward)"),
                          ("passed", "part.ipynb#1a.-ReLU", "1a. ReLU (relu, relu_grad)")]
    assert "To fix (1 step)" in html and "the bias b is missing" in html
    failed_row = html.split('<tr class="step passed">')[0]
    assert "Lecture: Forward pass" in failed_row and "slides: Simple example" in failed_row
    assert "no-such-id" not in html                                   # unknown concepts are left out
    assert "1 of 2 steps with full marks" in html


def test_every_text_from_a_submission_is_escaped():
    html = render_html(report(message=HOSTILE, student=HOSTILE, error=HOSTILE), OUTLINE)
    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 3


def test_written_answers_are_mentioned_only_where_the_notebook_has_some():
    assert "Written answers" not in render_html(report(), OUTLINE)
    with_written = Outline(OUTLINE.steps, written_points=6)
    assert "Written answers (6 points) are graded by your instructor" in render_html(report(), with_written)


def test_a_part_not_submitted_is_one_row():
    missing = "part.ipynb was not submitted"
    tests = [TestResult(f"test_{i}", 0, 1, False, f"f{i}() could not be checked: {missing}", "test_relu")
             for i in range(20)]
    page = render_html(NotebookReport("cs9", "part", tests, error=missing), OUTLINE)
    assert page.count("<tr") == 2 and page.count(missing) == 1 and "0 / 20" in page
    assert "could not be checked" not in page
    text = render_text(NotebookReport("cs9", "part", tests, error=missing), OUTLINE)
    assert text.splitlines() == ["cs9 / part.ipynb: 0 / 20 points", f"  ! {missing}"]


def test_a_notebook_that_ran_and_crashed_still_lists_its_steps():
    crashed = report(error="the notebook stopped: cell 3 hung")
    assert len(rows(render_html(crashed, OUTLINE))) == 2


def test_the_text_report_names_and_counts_steps_in_the_notebook_s_order():
    text = render_text(report(), OUTLINE).splitlines()
    assert text[0] == "cs9 / part.ipynb: 3 / 6 points, 1 of 2 steps with full marks"
    assert text[1:] == ["  PASS      3/3  1a. ReLU (relu, relu_grad)",
                        "  FAIL      0/3  2. The forward <pass> (forward)",
                        "        - test_forward: the bias b is missing"]


def test_tests_of_a_cell_the_notebook_lacks_are_still_shown():
    odd = NotebookReport("cs9", "part", [TestResult("test_x", 0, 1, False, "wrong", "gone_cell")])
    assert "gone_cell" in render_text(odd, OUTLINE) and "wrong" in render_html(odd, OUTLINE)
