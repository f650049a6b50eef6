"""`learnathon live`: which quizzes it runs, and a clear line when it cannot start."""
from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from autograder.cli import main
from quizzes.live.cli import resolve_quiz


def test_live_is_a_command_and_names_what_it_runs():
    result = CliRunner().invoke(main, ["--help"])
    assert "live" in result.output
    help_text = CliRunner().invoke(main, ["live", "--help"]).output
    assert "report.json" in help_text and "--host" in help_text and "--public-url" in help_text


def test_a_follow_up_poll_from_a_class_report_runs_live(tmp_path):
    from autograder.grading import discovery, tags
    from tests.quizzes.class_report_fixture import class_report_json

    mistakes = sorted(tags.mistake_catalogue(discovery.hidden_root() / "cs1"))[:3]
    report = tmp_path / "report.json"
    report.write_text(json.dumps(class_report_json(tmp_path, {m: 5 - i for i, m in enumerate(mistakes)})))
    quiz = resolve_quiz(str(report), seed=0, top=3)
    assert quiz.name == "cs1-follow-up" and quiz.questions
    assert all(any(o.correct for o in q.options) for q in quiz.questions)


def test_a_bank_file_runs_live_and_a_wrong_name_is_a_usage_error(tmp_path):
    bank = tmp_path / "mine.yaml"
    bank.write_text("quiz: mine\ntitle: Mine\nquestions:\n  - id: q1\n    section: Neural network basics\n"
                    "    concepts: [forward-pass]\n    text: One?\n    options:\n"
                    "      - {text: 'yes', correct: true, explanation: right}\n"
                    "      - {text: 'no', explanation: wrong}\n", encoding="utf-8")
    assert [q.id for q in resolve_quiz(str(bank), 0, 5).questions] == ["q1"]
    result = CliRunner().invoke(main, ["live", "lectures"])
    assert result.exit_code == 2 and "none of lecture, extra, parametric, all" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("quiz: [", encoding="utf-8")
    result = CliRunner().invoke(main, ["live", str(broken), "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1 and "not valid YAML" in result.output


@pytest.mark.parametrize("report", ['{"mistakes": 3}', "not json"])
def test_a_file_that_is_no_class_report_is_one_line(tmp_path, report):
    path = tmp_path / "report.json"
    path.write_text(report, encoding="utf-8")
    result = CliRunner().invoke(main, ["live", str(path), "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1 and str(path) in result.output and "Traceback" not in result.output


def test_a_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["live", "lecture", "--port", str(port), "--db", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output


def start_live(db, *extra):
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    command = [str(Path(sys.executable).with_name("learnathon")), "live", "lecture", "--port", "0", "--db", str(db),
               *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = ""
    assert process.stdout is not None
    for line in process.stdout:
        output += line
        if "lecturer's page" in line:
            break
    join = re.search(r"join address: (\S+)/\?code=(\w+)", output)
    secret = re.search(r"lecturer#(\S+)", output)
    assert join and secret, output
    return process, join.group(1), join.group(2), secret.group(1), output


def test_a_killed_server_loses_no_acknowledged_vote(lecture_quiz, tmp_path):
    """SIGKILL (no shutdown at all) right after the votes were acknowledged: the same command resumes them."""
    import signal

    from tests.quizzes.live.live_client import Lecturer, Participant

    db = tmp_path / "s.sqlite"
    process, url, code, secret, _ = start_live(db)
    try:
        Lecturer(url, secret).act("open")
        people = [Participant(url, code) for _ in range(20)]
        for index, person in enumerate(people):
            assert person.vote(lecture_quiz.questions[0].id, ["ABCD"[index % 4]]).status_code == 200
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    process, url, again, secret_again, output = start_live(db)
    try:
        assert "Resumed live session" in output and "20 vote(s) kept" in output
        assert (again, secret_again) == (code, secret)
        assert Lecturer(url, secret).act("close")["counts"] == {"A": 5, "B": 5, "C": 5, "D": 5}
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and "answers.csv" in rest
