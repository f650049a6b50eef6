"""The class report page in a real headless chromium: no console errors or blocked loads, no request
but the file itself, every chart decoded, the charts on the first screen before any table.
A screenshot of the first screen is kept next to the report (report-screenshot.png)."""
from __future__ import annotations

import base64
import os

import pytest

from autograder.analytics import class_report, store
from autograder.analytics.report_files import write_report
from tests.autograder.analytics.test_class_report import CATALOGUE, CLASS, student_result

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make system-deps)"),
]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("record")
    with store.open_store(root) as db:
        run = store.start_run(db, "syn", len(CLASS))
        for student, kind in CLASS.items():
            store.record_student(db, run, "syn", student_result(student, **kind))
        other = store.start_run(db, "other", 1)
        store.record_student(db, other, "other", student_result("s00", mistakes=("mse.sum_not_mean",)))
    hidden = tmp_path_factory.mktemp("hidden")
    (hidden / "syn").mkdir()
    (hidden / "syn" / "mistakes.toml").write_text(CATALOGUE)
    report = class_report.build("synthetic", "syn", store.load_submissions(root), hidden)
    return write_report(report, tmp_path_factory.mktemp("report")).html


def test_the_report_page_renders_cleanly_with_its_charts_first(page):
    from tests.quizzes.cdp import Browser

    with Browser() as browser:
        browser.open(page.as_uri())
        layout = browser.evaluate("""(() => {
            const images = [...document.querySelectorAll('#charts img')];
            const firstTable = document.querySelector('table');
            return {
                charts: images.length,
                decoded: images.filter(i => i.complete && i.naturalWidth > 300).length,
                firstChartBottom: images[0].getBoundingClientRect().bottom,
                firstTableTop: firstTable.getBoundingClientRect().top,
                lastChartBottom: images[images.length - 1].getBoundingClientRect().bottom,
                viewport: window.innerHeight,
                mistakeRows: document.querySelectorAll('#mistakes + table tr').length - 1,
            };
        })()""")
        shot = browser.call("Page.captureScreenshot", format="png")
        (page.parent / "report-screenshot.png").write_bytes(base64.b64decode(shot["data"]))
        assert browser.errors == []
        assert [url for url in browser.requests if url != page.as_uri() and not url.startswith("data:")] == []
    assert layout["charts"] == layout["decoded"] == 6
    assert layout["firstChartBottom"] <= layout["viewport"]          # a chart is readable without scrolling
    assert layout["lastChartBottom"] <= layout["firstTableTop"]      # every chart comes before the first table
    assert layout["mistakeRows"] == 3
    assert (page.parent / "report-screenshot.png").stat().st_size > 10_000


def test_the_harness_would_catch_a_page_that_loads_something(tmp_path):
    from tests.quizzes.cdp import Browser

    bad = tmp_path / "bad.html"
    bad.write_text('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:">'
                   '<img src="https://example.invalid/chart.png"><script>console.error("boom")</script>')
    with Browser() as browser:
        browser.open(bad.as_uri())
        assert browser.errors            # the blocked image (CSP) is reported
