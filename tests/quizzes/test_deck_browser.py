"""The slide deck in a real headless chromium: no console errors, no requests, keys navigate and reveal."""
from __future__ import annotations

import os

import pytest

from quizzes.export import export_quiz

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make system-deps)"),
]

ACTIVE = "document.querySelector('.slide.active')"


@pytest.fixture(scope="module")
def browser():
    from tests.quizzes.cdp import Browser
    with Browser() as instance:
        yield instance


def state(browser) -> dict:
    return browser.evaluate(f"""(() => {{
        const slide = {ACTIVE};
        const answer = slide.querySelector('.answer-only');
        const key = slide.querySelector('.option.correct');
        const bar = slide.querySelector('.bar-row.correct .fill');
        return {{
            id: slide.dataset.questionId || null,
            index: window.learnathonDeck.current(),
            revealed: slide.classList.contains('revealed'),
            answerShown: answer ? getComputedStyle(answer).display !== 'none' : null,
            keyBackground: key ? getComputedStyle(key).backgroundColor : null,
            explanationShown: key ? getComputedStyle(key.querySelector('.explanation')).display !== 'none' : null,
            barShare: bar ? bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width : null,
            barColour: bar ? getComputedStyle(bar).backgroundColor : null,
        }};
    }})()""")


def test_keys_navigate_and_reveal_answer_and_class_results(browser, lecture_quiz, tmp_path):
    deck = export_quiz(lecture_quiz, "html", tmp_path / "deck.html").path
    browser.open(deck.as_uri())
    assert state(browser)["index"] == 0

    browser.press("ArrowRight")
    browser.press("ArrowRight")
    before = state(browser)
    assert before["id"] == "sigmoid-binary"
    assert not before["revealed"] and not before["answerShown"] and not before["explanationShown"]
    assert before["keyBackground"] == "rgba(0, 0, 0, 0)"

    browser.press("r")
    after = state(browser)
    assert after["revealed"] and after["answerShown"] and after["explanationShown"]
    assert after["keyBackground"] == "rgb(220, 252, 231)"
    assert after["barColour"] == "rgb(21, 128, 61)"
    assert after["barShare"] == pytest.approx(0.973, abs=0.01)

    browser.press("Enter")  # toggles back
    assert not state(browser)["revealed"]
    browser.press("ArrowLeft")
    assert state(browser)["id"] == "regression-activation"

    assert browser.errors == []
    assert all(url.startswith(("file:", "data:")) for url in browser.requests), browser.requests


def test_math_is_rendered_as_mathml_without_errors(browser, all_quiz, tmp_path):
    deck = export_quiz(all_quiz, "html", tmp_path / "all.html").path
    index = [q.id for q in all_quiz.questions].index("loss-for-regression") + 1
    browser.open(f"{deck.as_uri()}#{index}")
    rendered = browser.evaluate(f"""(() => {{
        const math = {ACTIVE}.querySelector('.question-text math');
        const fraction = math.querySelector('mfrac');
        return {{
            id: {ACTIVE}.dataset.questionId,
            isMathML: math instanceof MathMLElement,
            width: math.getBoundingClientRect().width,
            stacked: fraction.children[0].getBoundingClientRect().bottom
                     <= fraction.children[1].getBoundingClientRect().top + 1,
        }};
    }})()""")
    assert rendered["id"] == "loss-for-regression"
    assert rendered["isMathML"] and rendered["width"] > 50 and rendered["stacked"]
    browser.press("End")
    assert state(browser)["index"] == len(all_quiz.questions)
    assert browser.errors == []


def test_the_harness_does_see_errors_and_blocked_loads(browser, tmp_path):
    """Guards the two tests above against passing vacuously."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'\"></head><body><img src=\"http://192.0.2.1/x.png\">"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>", encoding="utf-8")
    browser.errors.clear()
    browser.open(page.as_uri())
    assert any("boom" in e for e in browser.errors)
    assert any("undefinedFunction" in e for e in browser.errors)
    assert any("Content Security Policy" in e for e in browser.errors)
