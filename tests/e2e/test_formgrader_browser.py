"""Manual grading in nbgrader's real formgrader, on a course autograded by learnathon.

JupyterLab (with nbgrader's formgrader server extension) on 127.0.0.1 with a token; headless chromium
driven over the DevTools protocol opens the submission's grading page and types a score for the
written answer. The grade must reach the gradebook, `nbgrader export`, and survive
`learnathon autograde --force`. Screenshots are kept under the test's tmp path (printed).
"""
from __future__ import annotations

import base64
import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from autograder.admin.fabricate import with_cells
from autograder.grading import discovery

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make system-deps)"),
]

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
ASSIGNMENT, NOTEBOOK, WRITTEN = "cs2", "surrogate", "answers"      # cs2's written answers: 10 points by hand
STUDENT = "ada"
MANUAL = 7.5
ANSWER = "1. Baseline: the network beats linear regression on cB, whose dependence on the inputs is nonlinear.\n"


def run(args, cwd, timeout=900):
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


def grade(course: Path) -> tuple[float | None, float | None, bool]:
    """(auto, manual, needs_manual_grade) of the written answer, from the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.results.gradebook import db_url, ensure_tools_on_path

    ensure_tools_on_path()
    with Gradebook(db_url(course), "learnathon") as gb:
        g = gb.find_grade(WRITTEN, NOTEBOOK, ASSIGNMENT, STUDENT)
        return g.auto_score, g.manual_score, bool(g.needs_manual_grade)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("formgrader")
    root = tmp / "course"
    run([str(BIN / "learnathon"), "init", str(root), "--assignment", ASSIGNMENT], tmp)
    folder = root / "submitted" / STUDENT / ASSIGNMENT
    folder.mkdir(parents=True)
    source = discovery.load(ASSIGNMENT).notebook(f"{NOTEBOOK}.ipynb").source
    with_cells(source, {WRITTEN: ANSWER}, folder / f"{NOTEBOOK}.ipynb")     # the solved notebook, answered in words
    (folder / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")
    run([str(BIN / "learnathon"), "autograde", ASSIGNMENT, "--course", str(root)], tmp)
    return root


@pytest.fixture(scope="module")
def jupyter(course):
    """JupyterLab in the course folder, on 127.0.0.1 with a random token; stopped (process group) afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    log = open(course.parent / "jupyter.log", "w")
    process = subprocess.Popen(
        [str(BIN / "jupyter-lab"), "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={course}"],
        cwd=course, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("jupyter lab did not "
                                     f"start:\n{(course.parent / 'jupyter.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def screenshot(browser, path: Path) -> Path:
    path.write_bytes(base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"]))
    print(f"screenshot: {path}")
    return path


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_manual_grade_entered_in_formgrader_survives_export_and_regrade(course, jupyter, tmp_path):
    from nbgrader.api import Gradebook

    from autograder.results.gradebook import db_url
    from tests.quizzes.cdp import Browser

    base, token = jupyter
    auto, manual, needs = grade(course)
    assert manual is None and needs, "learnathon must leave the written answer to the instructor"
    with Gradebook(db_url(course), "learnathon") as gb:
        submission_id = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, STUDENT).id

    with Browser(timeout=60) as browser:
        # Log in as an instructor does (the token in the login form sets the session cookie the
        # formgrader's API calls need), then go to the submission's grading page.
        page = f"/formgrader/submissions/{submission_id}/"
        browser.open(f"{base}/login?next={urllib.parse.quote(page)}")
        browser.evaluate(f"document.querySelector('input[name=password]').value = {token!r}")
        browser.evaluate("document.querySelector('input[name=password]').form.submit()")
        wait_until(lambda: browser.evaluate("location.pathname") == page, what="the login to lead to the grading page")
        wait_until(lambda: browser.evaluate(f"!!document.getElementById('{WRITTEN}')"), what="the score input")
        screenshot(browser, tmp_path / "1-grading-page.png")
        assert "whose dependence on the inputs is nonlinear" in browser.evaluate("document.body.innerText")
        browser.evaluate(f"document.getElementById('{WRITTEN}').scrollIntoView(); "
                         f"document.getElementById('{WRITTEN}').focus()")
        browser.call("Input.insertText", text=str(MANUAL))          # typed, as a grader does
        browser.evaluate("document.activeElement.blur()")           # leaving the field saves it
        wait_until(lambda: grade(course)[1] is not None, what="formgrader to save the grade")
        screenshot(browser, tmp_path / "2-graded.png")
        assert browser.evaluate(f"document.getElementById('{WRITTEN}').value") == str(MANUAL)

    assert grade(course)[1] == pytest.approx(MANUAL) and not grade(course)[2]
    with Gradebook(db_url(course), "learnathon") as gb:
        before = float(gb.find_submission(ASSIGNMENT, STUDENT).score)

    run(["nbgrader", "export"], course)
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv")) if r["assignment"] == ASSIGNMENT}
    assert float(rows[STUDENT]["raw_score"]) == pytest.approx(before)

    run([str(BIN / "learnathon"), "autograde", ASSIGNMENT, "--course", str(course), "--force"], course)
    assert grade(course)[1] == pytest.approx(MANUAL)
    with Gradebook(db_url(course), "learnathon") as gb:
        assert float(gb.find_submission(ASSIGNMENT, STUDENT).score) == pytest.approx(before)
