"""The live server over real HTTP on loopback: a question round, the lecturer's secret, hostile requests, restart."""
from __future__ import annotations

import socket
import sqlite3
import time

import httpx
import pytest
from live_client import EventStream, Lecturer, Participant

from quizzes.live.app import Rates
from quizzes.live.export import read_session
from quizzes.live.limits import CONTENT_SECURITY_POLICY, MAX_BODY_BYTES
from quizzes.live.server import running
from quizzes.model import parse_bank

HOSTILE_BANK = r'''
quiz: hostile
title: '<script>alert("title")</script>'
questions:
  - id: escaped
    section: Neural network basics
    concepts: [forward-pass]
    text: 'Is <img src=x onerror="alert(1)"> shown as text, with $\frac{1}{n}$ as math?'
    options:
      - text: '<script>alert("option")</script>'
        correct: true
        explanation: '<b>not bold</b> & "quoted"'
      - text: 'plain'
        explanation: 'fine'
    explanation: '</div><iframe src="http://192.0.2.1/"></iframe>'
'''


@pytest.fixture()
def server(lecture_quiz, tmp_path):
    with running(lecture_quiz, tmp_path / "session.sqlite") as (url, opened):
        yield url, opened.record, opened.store.path


def test_a_question_round_from_join_to_reveal(server, lecture_quiz):
    url, record, db = server
    lecturer = Lecturer(url, record.secret)
    board = EventStream(url, "/api/lecturer/events", {"authorization": f"Bearer {record.secret}"})
    ada, ben, cem = (Participant(url, code) for code in (record.code, record.code.lower(), f" {record.code} "))
    room = EventStream(url, f"/api/events?token={ada.token}")
    assert board.next()["counts"] == {"A": 0, "B": 0, "C": 0, "D": 0}
    first = room.next()
    assert "counts" not in first and "correct" not in first["question"]  # nothing secret
    question = lecture_quiz.questions[0]

    assert ada.vote(question.id, ["C"]).status_code == 409  # voting not open yet
    lecturer.act("open")
    assert room.until(lambda s: s["state"]["voting_open"])["question"]["id"] == question.id
    assert ada.vote(question.id, ["A"]).json()["counted"]
    assert ada.vote(question.id, ["C"]).json()["options"] == ["C"]  # changed: the last vote counts
    ben.vote(question.id, ["C"])
    cem.vote(question.id, ["D"])
    chart = board.until(lambda s: s["respondents"] == 3)
    assert chart["counts"] == {"A": 0, "B": 0, "C": 2, "D": 1} and chart["participants"] == 3
    assert ada.me()["votes"] == {question.id: ["C"]} and cem.me()["votes"] == {question.id: ["D"]}

    lecturer.act("reveal")
    revealed = room.until(lambda s: s["state"]["revealed"])
    assert revealed["question"]["correct"] == ["C"] and not revealed["state"]["voting_open"]
    assert "explanation_html" in revealed["question"]["options"][0]
    assert ben.vote(question.id, ["D"]).status_code == 409  # closed by the reveal
    lecturer.act("next")
    moved = room.until(lambda s: s["question"]["index"] == 1)
    assert "correct" not in moved["question"] and not moved["state"]["revealed"]
    assert ben.vote(question.id, ["D"]).status_code == 409  # a past question
    board.close()
    room.close()
    votes = read_session(db, record.code).matrix.answers[question.id]
    assert sorted(sorted(v) for v in votes if v) == [["C"], ["C"], ["D"]]


def test_every_control_action_and_the_lecturers_data_need_the_secret(server):
    url, record, _ = server
    client = httpx.Client(base_url=url, timeout=10)
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": record.secret},
                    {"authorization": f"Bearer {record.code}"}):
        response = client.post("/api/control", json={"action": "open"}, headers=headers)
        assert response.status_code == 403 and "secret" in response.json()["error"]
        assert client.get("/api/lecturer/events", headers=headers).status_code == 403
        assert client.get("/api/lecturer/export/answers.csv", headers=headers).status_code == 403
    assert client.get("/api/state").json()["state"]["voting_open"] is False
    participant = Participant(url, record.code)
    response = client.post("/api/control", json={"action": "open"},
                           headers={"authorization": f"Bearer {participant.token}"})
    assert response.status_code == 403  # a participant's token is not the secret
    assert Lecturer(url, record.secret).act("open")["state"]["voting_open"] is True
    every_response = [client.get(path) for path in ("/", "/lecturer", "/api/state", "/api/info", "/qr.svg")]
    assert all("set-cookie" not in r.headers for r in every_response)


def test_hostile_requests_cost_only_themselves_and_an_honest_participant_keeps_voting(server, lecture_quiz):
    url, record, _ = server
    question = lecture_quiz.questions[0].id
    Lecturer(url, record.secret).act("open")
    attacker, honest = Participant(url, record.code), Participant(url, record.code)
    raw = httpx.Client(base_url=url, timeout=10)
    auth = {"authorization": f"Bearer {attacker.token}"}

    too_large = raw.post("/api/vote", content=b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}",
                         headers={**auth, "content-type": "application/json"})
    assert too_large.status_code == 413 and "too large" in too_large.json()["error"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(64):
            yield b" " * 256

    streamed = raw.post("/api/vote", content=chunks(), headers={**auth, "content-type": "application/json"})
    assert streamed.status_code == 413
    bad = {
        "not json": raw.post("/api/vote", content=b"{nope", headers={**auth, "content-type": "application/json"}),
        "deep json": raw.post("/api/vote", content=b"[" * 1000 + b"]" * 1000,
                              headers={**auth, "content-type": "application/json"}),
        "form": raw.post("/api/vote", data={"question": question}, headers=auth),
        "list": raw.post("/api/vote", json=["A"], headers=auth),
        "types": raw.post("/api/vote", json={"question": question, "options": "C"}, headers=auth),
        "no token": raw.post("/api/vote", json={"question": question, "options": ["C"]}),
        "forged token": raw.post("/api/vote", json={"question": question, "options": ["C"]},
                                 headers={"authorization": "Bearer " + "x" * 32}),
        "wrong code": raw.post("/api/join", json={"code": "ZZZZZZ"}),
        "no route": raw.get("/api/../etc/passwd"),
        "static escape": raw.get("/static/..%2f..%2fstore.py"),
        "method": raw.delete("/api/vote"),
    }
    statuses = {name: response.status_code for name, response in bad.items()}
    assert statuses == {"not json": 400, "deep json": 400, "form": 415, "list": 400, "types": 400, "no token": 401,
                        "forged token": 401, "wrong code": 404, "no route": 404, "static escape": 404, "method": 405}
    for response in bad.values():
        assert response.json()["error"] and response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    port = int(url.rsplit(":", 1)[1])
    for head in (b"X-Big: " + b"a" * 100_000, b"X-Many: a\r\n" * 20_000, b"a" * 100_000):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            try:
                connection.sendall(b"GET /api/state HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\n")
                answer = connection.recv(100)
            except ConnectionResetError:  # closed while the rest was still being sent
                answer = b"431"
        assert b"431" in answer

    started = time.monotonic()
    flood = [attacker.vote(question, ["D"]).status_code for _ in range(30)]
    rate, burst = Rates().vote
    # The burst, then what the participant's own bucket refilled meanwhile (however slow the machine is).
    assert 429 in flood and flood.count(200) <= burst + rate * (time.monotonic() - started) + 1
    assert honest.vote(question, ["C"]).status_code == 200
    assert honest.me()["votes"] == {question: ["C"]}
    counts = Lecturer(url, record.secret).act("close")["counts"]
    assert counts == {"A": 0, "B": 0, "C": 1, "D": 1}  # the flood is one participant's one vote


def test_pages_carry_the_policy_and_every_text_is_escaped(tmp_path):
    quiz = parse_bank(HOSTILE_BANK, "hostile.yaml")
    with running(quiz, tmp_path / "hostile.sqlite") as (url, opened):
        client = httpx.Client(base_url=url, timeout=10)
        for path in ("/", "/lecturer", "/static/participant.js", "/api/state"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert response.headers["x-content-type-options"] == "nosniff"
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
        Lecturer(url, opened.record.secret).act("reveal")
        question = client.get("/api/state").json()["question"]
        markup = " ".join([question["html"], question["explanation_html"],
                           *(o["html"] + o["explanation_html"] for o in question["options"])])
        assert "<script" not in markup and "<img" not in markup and "<iframe" not in markup and "<b>" not in markup
        assert "&lt;script&gt;" in markup and "&lt;img src=x" in markup and "<math" in markup


def test_a_restarted_server_resumes_the_session_with_every_vote(lecture_quiz, tmp_path):
    db = tmp_path / "session.sqlite"
    question = lecture_quiz.questions[1].id
    with running(lecture_quiz, db) as (url, opened):
        Lecturer(url, opened.record.secret).act("next")
        Lecturer(url, opened.record.secret).act("open")
        people = [Participant(url, opened.record.code) for _ in range(5)]
        for person, key in zip(people, "BBBCA"):
            assert person.vote(question, [key]).status_code == 200
        first = opened.record
    with running(lecture_quiz, db) as (url, opened):
        assert opened.resumed and opened.votes == 5
        assert (opened.record.code, opened.record.secret) == (first.code, first.secret)
        state = httpx.get(f"{url}/api/state").json()["state"]
        assert state == {"current": 1, "voting_open": True, "revealed": False}
        for person in people:  # the same phones go on, with their tokens
            person.client = httpx.Client(base_url=url, timeout=10)
        assert people[0].me()["votes"] == {question: ["B"]}
        assert people[4].vote(question, ["B"]).status_code == 200
        assert Lecturer(url, first.secret).act("close")["counts"] == {"A": 0, "B": 4, "C": 1, "D": 0}
    with running(lecture_quiz, db, new=True) as (url, opened):
        assert not opened.resumed and opened.record.code != first.code
        people[0].client = httpx.Client(base_url=url, timeout=10)
        assert people[0].vote(question, ["B"]).status_code == 401  # an old token is not in a new session
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT COUNT(*) FROM ballots").fetchone()[0] == 6
        assert connection.execute("SELECT COUNT(*) FROM votes").fetchone()[0] == 5


def test_event_streams_need_a_participant_are_bounded_and_free_their_slot_at_once(lecture_quiz, tmp_path):
    sessions: list = []
    with running(lecture_quiz, tmp_path / "s.sqlite", session_out=sessions) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        sockets = []
        people = [Participant(url, sessions[0].code) for _ in range(2)]
        for person in people:
            for _ in range(3):
                connection = socket.create_connection(("127.0.0.1", port))
                connection.sendall(f"GET /api/events?token={person.token} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                   .encode())
                assert b"200 OK" in connection.recv(200)
                sockets.append(connection)
        def streams_become(count: int) -> bool:
            deadline = time.monotonic() + 10
            while len(sessions[0].participant_streams) != count and time.monotonic() < deadline:
                time.sleep(0.02)
            return len(sessions[0].participant_streams) == count

        assert streams_become(6)
        fourth = httpx.get(f"{url}/api/events?token={people[0].token}", timeout=10)
        assert fourth.status_code == 429 and "tabs" in fourth.json()["error"]
        anonymous = [httpx.get(f"{url}/api/events{query}", timeout=10) for query in ("", "?token=forged")]
        assert [r.status_code for r in anonymous] == [401, 401]  # no stream without joining
        for connection in sockets:
            connection.close()
        assert streams_become(0)
        with EventStream(url, f"/api/events?token={people[0].token}") as again:  # the slots are free
            assert again.status == 200 and again.next()["code"] == sessions[0].code
