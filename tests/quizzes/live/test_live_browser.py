"""The live quiz in real headless chromium: `learnathon live lecture` (the one command), a lecturer's page and
participants on phone-sized screens (one on a slow connection) run questions; the chart follows the votes;
after Ctrl-C `quiz results` reads the session with its discrimination."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_client import Participant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make system-deps)"),
]

LEARNATHON = Path(sys.executable).with_name("learnathon")
PHONE = {"width": 375, "height": 740, "deviceScaleFactor": 2, "mobile": True}


def wait_until(browser, expression: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = browser.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {expression}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    process = subprocess.Popen([str(LEARNATHON), "live", "lecture", "--port", "0", "--db", str(folder / "s.sqlite")],
                               cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "lecturer's page" in line:
            break
    output = "".join(lines)
    join = re.search(r"join address: (\S+)", output)
    lecturer = re.search(r"lecturer's page .*?: (\S+)", output)
    assert join and lecturer, output
    yield {"process": process, "join": join.group(1), "lecturer": lecturer.group(1), "output": output,
           "db": folder / "s.sqlite", "folder": folder}
    if process.poll() is None:
        process.kill()
        process.wait()


def phone(slow: bool = False):
    from cdp import Browser

    browser = Browser()
    browser.call("Emulation.setDeviceMetricsOverride", **PHONE)
    if slow:  # a crowded lecture-hall network
        browser.call("Network.emulateNetworkConditions", offline=False, latency=300,
                     downloadThroughput=40_000, uploadThroughput=20_000)
    return browser


def click(browser, selector: str) -> None:
    assert browser.evaluate(f"(() => {{ const e = document.querySelector({selector!r}); "
                            f"if (!e || e.disabled) return false; e.click(); return true; }})()"), selector


def bars(browser) -> dict[str, float]:
    return browser.evaluate("""Object.fromEntries([...document.querySelectorAll('.bar-row')].map(r =>
        [r.dataset.key, r.querySelector('.fill').style.width]))""")


def test_a_lecturer_and_phones_run_the_lecture_quiz(live_server, lecture_quiz):
    from cdp import Browser

    base = live_server["join"].split("/?")[0]
    code = live_server["join"].rsplit("=", 1)[1]
    secret = live_server["lecturer"].split("#", 1)[1]
    assert "█" in live_server["output"]  # the QR code in the terminal
    with Browser() as lecturer, phone() as ada, phone(slow=True) as ben, phone() as cem:
        lecturer.open(live_server["lecturer"])
        wait_until(lecturer, "document.getElementById('join-code').textContent.length === 6")
        assert lecturer.evaluate("location.href") == base + "/lecturer"  # the secret left the address bar
        assert secret not in lecturer.evaluate("document.documentElement.outerHTML")
        assert lecturer.evaluate("document.getElementById('qr').naturalWidth") > 0

        ada.open(live_server["join"])  # the QR code's address
        ben.open(live_server["join"])
        cem.open(base + "/")  # types the code
        wait_until(cem, "!document.getElementById('join').hidden")
        cem.evaluate(f"document.getElementById('code').value = {code.lower()!r}")
        click(cem, "#join-button")
        others = [Participant(base, code), Participant(base, code)]  # two more, over plain HTTP
        for browser in (ada, ben, cem):
            wait_until(browser, "document.getElementById('progress').textContent === 'Question 1 of 8'")
        wait_until(lecturer, "document.getElementById('participants').textContent === '5'")

        # Question 1 (key C): three phones and two others vote; the chart follows.
        click(lecturer, "[data-action=open]")
        for browser in (ada, ben, cem):
            wait_until(browser, "!document.querySelector('.option').disabled")
        click(ada, ".option[data-key=C]")
        click(ben, ".option[data-key=A]")
        click(cem, ".option[data-key=D]")
        wait_until(ben, "document.getElementById('feedback').textContent.startsWith('Your vote counted: A')")
        click(cem, ".option[data-key=C]")  # changes the vote
        wait_until(cem, "document.getElementById('feedback').textContent.startsWith('Your vote counted: C')")
        others[0].vote(lecture_quiz.questions[0].id, ["C"])
        others[1].vote(lecture_quiz.questions[0].id, ["B"])
        wait_until(lecturer, "document.getElementById('respondents').textContent === '5 response(s)'")
        assert bars(lecturer) == {"A": "20%", "B": "20%", "C": "60%", "D": "0%"}
        assert lecturer.evaluate("document.querySelectorAll('.bar-row.correct').length") == 0  # key not shown yet
        click(lecturer, "[data-action=reveal]")
        wait_until(lecturer, "document.querySelectorAll('.bar-row.correct').length === 1")
        assert lecturer.evaluate("document.querySelector('.bar-row.correct').dataset.key") == "C"
        for browser in (ada, ben, cem):
            wait_until(browser, "document.querySelector('.option.correct') !== null")
            assert browser.evaluate("document.querySelector('.option.correct').dataset.key") == "C"
            assert browser.evaluate("document.querySelector('.option').disabled")
        assert ben.evaluate("document.querySelector('.option[data-key=A] .option-explanation').textContent")

        # Questions 2 to 5: the learning-curve figure, and "several correct" with two ticks.
        plan = {1: ("B", "C", "B", "B", "A"), 2: ("C", "A", "C", "C", "B"), 3: (("B", "D"), ("A",), ("B",), ("D",),
                ("C",)), 4: ("A", "B", "C", "C", "B")}
        for index, choices in plan.items():
            question = lecture_quiz.questions[index]
            click(lecturer, "[data-action=next]")
            wait_until(lecturer, f"document.getElementById('progress').textContent.startsWith('Question {index + 1} ')")
            click(lecturer, "[data-action=open]")
            for browser, choice in zip((ada, ben, cem), choices):
                wait_until(browser, f"document.getElementById('progress').textContent === 'Question {index + 1} of 8'"
                                    " && !document.querySelector('.option').disabled")
                picks = choice if isinstance(choice, tuple) else (choice,)
                if question.multiple_correct:
                    for key in picks:
                        click(browser, f".option[data-key={key}]")
                    click(browser, "#send")
                else:
                    click(browser, f".option[data-key={picks[0]}]")
                wait_until(browser, f"document.getElementById('feedback').textContent.startsWith("
                                    f"'Your vote counted: {', '.join(picks)}')")
            for person, choice in zip(others, choices[3:]):
                assert person.vote(question.id, list(choice)).status_code == 200
            wait_until(lecturer, "document.getElementById('respondents').textContent === '5 response(s)'")
            if question.figure:
                for browser in (ada, ben, cem, lecturer):
                    wait_until(browser, "document.getElementById('figure').naturalWidth > 0")
            click(lecturer, "[data-action=close]")
            wait_until(lecturer, "document.getElementById('status').textContent === 'Voting is closed'")
        wait_until(ada, "document.getElementById('status').textContent === 'Voting is closed'")
        closed = ada.evaluate("(() => { const r = document.querySelector('.option[data-key=A]'); r.click(); "
                              "return r.disabled; })()")
        assert closed
        assert ada.evaluate("window.learnathonLive.votes()")[lecture_quiz.questions[3].id] == ["B", "D"]
        width = ada.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # no sideways scrolling on a phone

        for browser in (lecturer, ada, ben, cem):
            assert browser.errors == []
            assert all(url.startswith((base, "data:", "blob:")) for url in browser.requests), browser.requests

    process = live_server["process"]
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "answers.csv" in rest
    results = subprocess.run([str(LEARNATHON), "quiz", "results", str(live_server["db"]), "--out",
                              str(live_server["folder"] / "results")], capture_output=True, text=True, timeout=300)
    assert results.returncode == 0, results.stderr
    assert "5 participant(s) in the live session" in results.stdout
    assert "regression-activation: 3/5 chose a correct answer" in results.stdout
    assert "when-sigmoid: 3/5" in results.stdout  # B+D, B and D are right; A and C are not
    assert results.stdout.count("r_pb") == 5 and "D(27%)" in results.stdout


def test_math_renders_on_a_phone(all_quiz, tmp_path):
    from quizzes.live.server import running

    index = [q.id for q in all_quiz.questions].index("loss-for-regression")
    with running(all_quiz, tmp_path / "all.sqlite") as (url, opened), phone() as browser:
        Participant(url, opened.record.code)  # the server is up
        from live_client import Lecturer
        Lecturer(url, opened.record.secret).act("goto", index)
        browser.open(f"{url}/?code={opened.record.code}")
        wait_until(browser, "document.querySelector('.question-text math, .option math') !== null")
        rendered = browser.evaluate("""(() => {
            const math = document.querySelector('.question-text math, .option math');
            const fraction = document.querySelector('mfrac');
            return {isMathML: math instanceof MathMLElement, width: math.getBoundingClientRect().width,
                    stacked: !fraction || fraction.children[0].getBoundingClientRect().bottom
                             <= fraction.children[1].getBoundingClientRect().top + 1,
                    hasFraction: !!fraction};
        })()""")
        assert rendered["isMathML"] and rendered["width"] > 10 and rendered["stacked"]
        assert browser.errors == []
