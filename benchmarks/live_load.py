"""`learnathon live` under a lecture hall's load: N simulated participants on loopback vote within a window.

Starts the real command (`learnathon live lecture --port 0`, its own process), joins N participants,
opens every participant's event stream (a phone keeps its page open), opens voting and measures how long
the "voting is open" state takes to reach every phone; then each participant votes once at a seeded
random moment within the window. It checks that no vote is lost (every vote acknowledged, the lecturer's
final counts equal the votes sent, the session file holds exactly N answers) and reports:

* vote-to-chart latency: from sending a vote to the lecturer's stream carrying a chart that includes it
  (the server numbers every ballot; the chart update carries the latest number);
* vote-to-acknowledgement latency (the phone's "your vote counted");
* open-to-every-phone latency (the state pushed to N streams).

Loopback only, bounded: joins, votes and the whole run have time limits; the server is stopped at the end.

    .venv/bin/python benchmarks/live_load.py --participants 1000 --window 10
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
LEARNATHON = Path(sys.executable).with_name("learnathon")
RUN_LIMIT_SECONDS = 300


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def start_server(db: Path, participants: int) -> tuple[subprocess.Popen, str, str, str]:
    process = subprocess.Popen([str(LEARNATHON), "live", "lecture", "--port", "0", "--db", str(db), "--new",
                                "--max-participants", str(participants + 10)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = ""
    assert process.stdout is not None
    for line in process.stdout:
        output += line
        if "lecturer's page" in line:
            break
    join = re.search(r"join address: (\S+)", output)
    lecturer = re.search(r"lecturer's page .*?: (\S+)", output)
    if not (join and lecturer):
        process.kill()
        raise SystemExit(f"the server did not start:\n{output}")
    base, code = join.group(1).split("/?code=")
    return process, base, code, lecturer.group(1).split("#", 1)[1]


class Connection:
    """One keep-alive HTTP/1.1 connection, as a phone holds one: small and cheap, so that the simulated
    participants cost the 2 cores less than the server they load (httpx's pool does not scale to
    2,000 connections in one process here)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int):
        self.reader, self.writer, self.host, self.port = reader, writer, host, port

    @classmethod
    async def open(cls, base: str) -> Connection:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
        return cls(reader, writer, host, int(port))

    def send(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)

    async def head(self) -> tuple[int, dict[str, str]]:
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}

    async def request(self, method: str, path: str, body: dict | None = None,
                      token: str | None = None) -> tuple[int, dict]:
        self.send(method, path, body, token)
        try:
            status, headers = await self.head()
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed the idle keep-alive connection: a browser opens a new one and resends.
            self.writer.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
            self.send(method, path, body, token)
            status, headers = await self.head()
        payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, json.loads(payload) if payload else {}

    async def events(self, path: str, token: str | None, on_snapshot) -> None:
        """Follow a server-sent event stream (chunked) until cancelled."""
        self.send("GET", path, token=token)
        status, _ = await self.head()
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
        buffer = b""
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            buffer += chunk[:-2]
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        on_snapshot(time.perf_counter(), json.loads(line[6:]))

    def close(self) -> None:
        self.writer.close()


async def run(participants: int, window: float, seed: int, streams: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="learnathon-live-load-"))
    process, base, code, secret = start_server(folder / "load.sqlite", participants)
    connections: list[Connection] = []
    tasks: list[asyncio.Task] = []
    try:
        started = time.perf_counter()
        gate = asyncio.Semaphore(100)
        rng = random.Random(seed)

        async def join() -> tuple[Connection, str]:
            async with gate:
                connection = await Connection.open(base)
                connections.append(connection)
                status, body = await connection.request("POST", "/api/join", {"code": code})
                while status == 429:  # as the page does: come back in a second or two
                    await asyncio.sleep(rng.uniform(1.0, 3.0))
                    status, body = await connection.request("POST", "/api/join", {"code": code})
                if status != 200:
                    raise RuntimeError(f"join: {status} {body}")
                return connection, body["token"]

        phones = await asyncio.gather(*(join() for _ in range(participants)))
        join_seconds = time.perf_counter() - started

        chart: list[tuple[float, int]] = []  # (received, latest ballot number in it)

        def on_chart(received: float, snapshot: dict) -> None:
            chart.append((received, snapshot["seq"]))

        lecturer_stream, control = await Connection.open(base), await Connection.open(base)
        connections += [lecturer_stream, control]
        tasks.append(asyncio.create_task(lecturer_stream.events("/api/lecturer/events", secret, on_chart)))
        opened_at: dict[int, float] = {}
        if streams:
            def on_state(index: int):
                def record(received: float, snapshot: dict) -> None:
                    if snapshot["state"]["voting_open"] and index not in opened_at:
                        opened_at[index] = received
                return record

            async def follow(index: int) -> None:
                async with gate:
                    stream = await Connection.open(base)
                connections.append(stream)
                await stream.events(f"/api/events?token={phones[index][1]}", None, on_state(index))

            tasks += [asyncio.create_task(follow(i)) for i in range(participants)]
        await asyncio.sleep(3.0)  # the streams are open
        question = (await control.request("GET", "/api/state"))[1]["question"]
        open_sent = time.perf_counter()
        await control.request("POST", "/api/control", {"action": "open"}, secret)
        if streams:
            deadline = time.perf_counter() + 30
            while len(opened_at) < participants and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)

        rng = random.Random(seed)
        keys = [o["key"] for o in question["options"]]
        plan = [(rng.uniform(0, window), rng.choice(keys)) for _ in range(participants)]
        sent: list[dict] = []
        vote_start = time.perf_counter()

        async def vote(phone: tuple[Connection, str], at: float, key: str) -> None:
            await asyncio.sleep(max(0.0, vote_start + at - time.perf_counter()))
            t0 = time.perf_counter()
            status, body = await phone[0].request("POST", "/api/vote", {"question": question["id"], "options": [key]},
                                                  phone[1])
            record = {"key": key, "sent": t0, "acked": time.perf_counter(), "status": status}
            if status == 200:
                record["seq"] = body["seq"]
            sent.append(record)

        await asyncio.gather(*(vote(phone, at, k) for phone, (at, k) in zip(phones, plan)))
        last_seq = max((r.get("seq", 0) for r in sent), default=0)
        deadline = time.perf_counter() + 10
        while (not chart or chart[-1][1] < last_seq) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        closed = (await control.request("POST", "/api/control", {"action": "close"}, secret))[1]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in connections:
            connection.close()
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()

    from quizzes.live.export import read_session

    stored = read_session(folder / "load.sqlite")
    column = stored.matrix.answers.get(question["id"], ())
    acknowledged = [r for r in sent if r["status"] == 200]
    expected = Counter(r["key"] for r in acknowledged)
    to_chart, to_ack = [], [1000 * (r["acked"] - r["sent"]) for r in acknowledged]
    for record in acknowledged:
        shown = next((t for t, seq in chart if seq >= record["seq"]), None)
        if shown is not None:
            to_chart.append(1000 * (shown - record["sent"]))
    spread = [1000 * (t - open_sent) for t in opened_at.values()]
    checks = {
        "every vote acknowledged": len(acknowledged) == participants,
        "every vote reached the chart": len(to_chart) == participants,
        "lecturer's final counts equal the votes sent": closed["counts"] == {k: expected.get(k, 0) for k in keys},
        "session file holds every answer": sum(1 for a in column if a) == participants == stored.ballots,
        "every phone saw voting open": not streams or len(opened_at) == participants,
    }
    sends = [r["sent"] - vote_start for r in sent]
    return {
        "participants": participants, "window_s": window, "seed": seed, "participant_streams": streams,
        "votes_sent_within_s": round(max(sends) - min(sends), 2) if sends else None,
        "join_all_s": round(join_seconds, 2),
        "vote_to_chart_ms": summary(to_chart), "vote_to_ack_ms": summary(to_ack),
        "open_to_every_phone_ms": summary(spread) if spread else None,
        "chart_updates": len(chart), "statuses": dict(Counter(r["status"] for r in sent)),
        "checks": checks, "no_vote_lost": all(checks.values()),
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1),
            "max": round(max(values), 1)} if values else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which the votes arrive")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-streams", action="store_true", help="participants hold no event stream open")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.participants + 256)), hard))
    load_before = os.getloadavg()
    result = asyncio.run(asyncio.wait_for(run(args.participants, args.window, args.seed, not args.no_streams),
                                          RUN_LIMIT_SECONDS))
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"live_load-{args.participants}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for name in ("participants", "window_s", "votes_sent_within_s", "join_all_s", "vote_to_chart_ms",
                 "vote_to_ack_ms", "open_to_every_phone_ms", "chart_updates", "statuses",
                 "load_average_before", "load_average_after"):
        print(f"{name:<24} {result[name]}")
    for check, ok in result["checks"].items():
        print(f"{'ok ' if ok else 'FAILED '} {check}")
    print(f"-> {out}")
    sys.exit(0 if result["no_vote_lost"] else 1)


if __name__ == "__main__":
    main()
