"""A participant and a lecturer talking to a live server over HTTP, as the pages do (tests and benchmark)."""
from __future__ import annotations

import json
import queue
import threading
from typing import Any

import httpx


class Participant:
    def __init__(self, url: str, code: str):
        self.client = httpx.Client(base_url=url, timeout=10)
        response = self.client.post("/api/join", json={"code": code})
        response.raise_for_status()
        self.token, self.label = response.json()["token"], response.json()["participant"]

    def vote(self, question: str, options: list[str]) -> httpx.Response:
        return self.client.post("/api/vote", json={"question": question, "options": options},
                                headers={"authorization": f"Bearer {self.token}"})

    def me(self) -> dict[str, Any]:
        return self.client.get("/api/me", headers={"authorization": f"Bearer {self.token}"}).json()


class Lecturer:
    def __init__(self, url: str, secret: str):
        self.client = httpx.Client(base_url=url, timeout=10, headers={"authorization": f"Bearer {secret}"})

    def act(self, action: str, index: int | None = None) -> dict[str, Any]:
        response = self.client.post("/api/control", json={"action": action, "index": index})
        response.raise_for_status()
        return response.json()


class EventStream:
    """Reads a server-sent event stream in a thread; ``next()`` returns the next state snapshot."""

    def __init__(self, url: str, path: str, headers: dict[str, str] | None = None):
        self.snapshots: queue.Queue[dict[str, Any]] = queue.Queue()
        self._client = httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=None))
        self._response = self._client.send(self._client.build_request("GET", path, headers=headers), stream=True)
        self.status = self._response.status_code
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._response.iter_lines():
                if line.startswith("data: "):
                    self.snapshots.put(json.loads(line[6:]))
        except (httpx.HTTPError, RuntimeError):
            pass

    def next(self, timeout: float = 10) -> dict[str, Any]:
        return self.snapshots.get(timeout=timeout)

    def until(self, condition, timeout: float = 10) -> dict[str, Any]:
        while True:
            snapshot = self.next(timeout)
            if condition(snapshot):
                return snapshot

    def close(self) -> None:
        self._response.close()
        self._client.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
