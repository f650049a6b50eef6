"""Static checks of the slide deck and the handout (the browser test is in test_deck_browser.py)."""
from __future__ import annotations

import re

import lxml.html

from quizzes.export import export_quiz


def test_deck_is_self_contained(all_quiz, tmp_path):
    path = export_quiz(all_quiz, "html", tmp_path / "deck.html").path
    markup = path.read_text(encoding="utf-8")
    document = lxml.html.fromstring(markup)
    csp = document.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp
    assert not document.xpath("//link | //script[@src] | //img[@src] | //iframe | //object")
    # Only in-document references (the inline SVG's "#id" links) are allowed.
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", markup) + re.findall(r"url\(([^)]*)\)", markup)
    assert urls and all(url.startswith("#") for url in urls), [u for u in urls if not u.startswith("#")]
    slides = document.xpath("//section[contains(@class, 'question')]")
    assert len(slides) == len(all_quiz.questions)
    math_slide = document.xpath("//section[@data-question-id='loss-for-regression']")[0]
    assert math_slide.xpath(".//*[local-name()='math']")
    assert document.xpath("//section[@data-question-id='rising-learning-curve']//figure//*[local-name()='svg']")


def test_deck_bars_carry_the_lecture_percentages(lecture_quiz, tmp_path):
    document = lxml.html.parse(str(export_quiz(lecture_quiz, "html", tmp_path / "d.html").path)).getroot()
    rows = document.xpath("//section[@data-question-id='sigmoid-binary']//div[contains(@class, 'bar-row')]")
    assert [float(r.get("data-percent")) for r in rows] == [0, 97.3, 2.7, 0]
    assert [("correct" in r.get("class")) for r in rows] == [False, True, False, False]
    no_results = document.xpath("//section[@data-question-id='forward-pass-computes']//p[@class='no-results']")
    assert no_results and "no results" in no_results[0].text_content()


def test_handout_has_questions_then_an_answer_key_on_a_new_page(all_quiz, tmp_path):
    markup = export_quiz(all_quiz, "handout", tmp_path / "h.html").path.read_text(encoding="utf-8")
    document = lxml.html.fromstring(markup)
    assert len(document.xpath("//div[@class='question']")) == len(all_quiz.questions)
    keys = document.xpath("//section[@class='answer-key']//td[@class='key']")
    assert [k.text_content() for k in keys] == [", ".join(q.correct_keys) for q in all_quiz.questions]
    assert "break-before: page" in markup
    # The questions part must not give the answers away.
    questions_part = markup.split('<section class="answer-key">')[0]
    assert "(correct)" not in questions_part and "data-correct" not in questions_part
