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

import httpx

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


async def read_stream(client: httpx.AsyncClient, path: str, headers: dict[str, str], on_snapshot) -> None:
    async with client.stream("GET", path, headers=headers, timeout=httpx.Timeout(30, read=None)) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                on_snapshot(time.perf_counter(), json.loads(line[6:]))


async def run(participants: int, window: float, seed: int, streams: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="learnathon-live-load-"))
    process, base, code, secret = start_server(folder / "load.sqlite", participants)
    lecturer_headers = {"authorization": f"Bearer {secret}"}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    try:
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            started = time.perf_counter()
            gate = asyncio.Semaphore(100)

            async def join() -> str:
                async with gate:
                    response = await client.post("/api/join", json={"code": code})
                    response.raise_for_status()
                    return response.json()["token"]

            tokens = await asyncio.gather(*(join() for _ in range(participants)))
            join_seconds = time.perf_counter() - started

            chart: list[tuple[float, int]] = []  # (received, latest ballot number in it)
            final: dict = {}

            def on_chart(received: float, snapshot: dict) -> None:
                chart.append((received, snapshot["seq"]))
                final.update(snapshot)

            tasks = [asyncio.create_task(read_stream(client, "/api/lecturer/events", lecturer_headers, on_chart))]
            opened_at: dict[int, float] = {}
            if streams:
                def on_state(index: int):
                    def record(received: float, snapshot: dict) -> None:
                        if snapshot["state"]["voting_open"] and index not in opened_at:
                            opened_at[index] = received
                    return record

                tasks += [asyncio.create_task(read_stream(client, "/api/events", {}, on_state(i)))
                          for i in range(participants)]
            await asyncio.sleep(2.0)  # the streams are open
            question = (await client.get("/api/state")).json()["question"]
            open_sent = time.perf_counter()
            (await client.post("/api/control", json={"action": "open"}, headers=lecturer_headers)).raise_for_status()
            if streams:
                deadline = time.perf_counter() + 30
                while len(opened_at) < participants and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)

            rng = random.Random(seed)
            keys = [o["key"] for o in question["options"]]
            plan = [(rng.uniform(0, window), rng.choice(keys)) for _ in range(participants)]
            sent: list[dict] = []
            vote_start = time.perf_counter()

            async def vote(token: str, at: float, key: str) -> None:
                await asyncio.sleep(max(0.0, vote_start + at - time.perf_counter()))
                t0 = time.perf_counter()
                response = await client.post("/api/vote", json={"question": question["id"], "options": [key]},
                                             headers={"authorization": f"Bearer {token}"})
                record = {"key": key, "sent": t0, "acked": time.perf_counter(), "status": response.status_code}
                if response.status_code == 200:
                    record["seq"] = response.json()["seq"]
                sent.append(record)

            await asyncio.gather(*(vote(t, at, k) for t, (at, k) in zip(tokens, plan)))
            last_seq = max((r.get("seq", 0) for r in sent), default=0)
            deadline = time.perf_counter() + 10
            while (not chart or chart[-1][1] < last_seq) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            closed = (await client.post("/api/control", json={"action": "close"}, headers=lecturer_headers)).json()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
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
