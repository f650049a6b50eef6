"""The class report's integrity section in a real headless chromium: it renders without errors or
loads, a hostile student id and hostile code stay text (no element, no script runs), and a pair's
passages open side by side. A screenshot of the section is kept next to the report."""
from __future__ import annotations

import base64
import json
import os

import pytest

from autograder.analytics import class_report, store
from autograder.analytics.integrity.records import SOLUTION, Excerpt, Flag, Pair, Passage, Review
from autograder.analytics.report_files import write_report
from tests.autograder.analytics.test_class_report import student_result

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make system-deps)"),
]
HOSTILE = '<img src=x onerror="document.title=\'pwned\'">'
CODE = "os.system('</pre><script>document.title=\"pwned\"</script>')"


def passage(cell: int, code: str) -> Passage:
    return Passage((Excerpt(cell, "forward", 1, 2, code),), (Excerpt(cell + 1, "forward", 3, 4, code + "  # mine"),))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("record")
    review = Review(
        "syn", "2026-12-01T10:00:00+00:00", ("ada", "bob", HOSTILE), {"ada": "f1"},
        (Flag(HOSTILE, "nb", "processes", f"starts processes: {HOSTILE}", 3, "relu", 5, 5, CODE),
         Flag("bob", "", "submission_time", "timestamp.txt says 2020-01-01 00:00:00 UTC, 5.0 days before the release")),
        (Pair("nb", "ada", "bob", 0.93, 0.9, 0.93, 512, (passage(4, "Z1 = X @ W1 + b1\nA1 = f(Z1)"),
                                                          passage(7, HOSTILE))),
         Pair("nb", SOLUTION, HOSTILE, 0.8, 0.7, 0.8, 300, (passage(2, "return y_hat, cache"),))),
        {"thresholds": {"k": 20, "window": 1, "min_shared": 120, "min_share": 0.6}}, (f"{HOSTILE}: a note",))
    with store.open_store(root) as db:
        run = store.start_run(db, "syn", 3)
        for student in ("ada", "bob", HOSTILE):
            store.record_student(db, run, "syn", student_result(student))
        store.record_review(db, review)
    report = class_report.build("synthetic", "syn", store.load_submissions(root), None, store.load_review(root, "syn"))
    return write_report(report, tmp_path_factory.mktemp("report")).html


def test_the_integrity_section_renders_as_text_with_its_evidence(page):
    from tests.quizzes.cdp import Browser

    with Browser() as browser:
        browser.open(page.as_uri())
        before = browser.evaluate("""(() => {
            const section = document.getElementById('integrity');
            return {
                title: document.title,
                images: document.querySelectorAll('img').length,
                charts: document.querySelectorAll('#charts img').length,
                scripts: document.querySelectorAll('script').length,
                groups: document.querySelectorAll('#similar-groups tr').length - 1,
                pairs: document.querySelectorAll('details.pair').length,
                flags: document.querySelectorAll('#flag-list tr').length - 1,
                kinds: [...document.querySelectorAll('#flag-kinds tr td:first-child code')].map(c => c.textContent),
                hostileShown: document.body.innerText.includes('onerror="document.title'),
                solution: [...document.querySelectorAll('#similar-groups .solution')].map(s => s.textContent),
                sectionTop: section.getBoundingClientRect().top,
            };
        })()""")
        browser.evaluate("document.querySelector('details.pair').open = true; "
                         "document.getElementById('similar').scrollIntoView()")
        opened = browser.evaluate("""(() => {
            const cells = [...document.querySelectorAll('details.pair')[0].querySelectorAll('table.side td')];
            const rect = cells.map(c => c.getBoundingClientRect());
            return {cells: cells.length, sideBySide: rect.length >= 2 && Math.abs(rect[0].top - rect[1].top) < 2
                    && rect[1].left > rect[0].right - 1,
                    left: cells[0].innerText, right: cells[1].innerText};
        })()""")
        shot = browser.call("Page.captureScreenshot", format="png")
        (page.parent / "integrity-screenshot.png").write_bytes(base64.b64decode(shot["data"]))
        assert browser.errors == []
        assert [url for url in browser.requests if url != page.as_uri() and not url.startswith("data:")] == []
    assert before["title"] != "pwned" and before["scripts"] == 0
    assert before["images"] == before["charts"]                         # no image but the report's own charts
    assert before["hostileShown"]                                       # the id is shown, as text
    assert before["groups"] == 2 and before["pairs"] == 2 and before["flags"] == 2
    assert before["kinds"] == ["processes", "submission_time"]
    assert before["solution"] == ["the instructor's solution"]
    assert opened["cells"] == 4 and opened["sideBySide"], json.dumps(opened)
    assert "code cell 4 (forward), lines 1-2" in opened["left"] and "# mine" in opened["right"]
    assert (page.parent / "integrity-screenshot.png").stat().st_size > 10_000
