"""How the session's writes reach the disk: in order, durably, without stalling the event loop.

A commit with ``synchronous=FULL`` waits for the disk (milliseconds); one commit per vote would hold a
thousand phones in a queue behind the disk. ``GroupCommit`` takes every write that arrived while the
previous commit ran, applies them in arrival order in one transaction in a worker thread (one disk flush
for all of them), and only then answers their requests: a vote is acknowledged once it is on disk, and
the event loop keeps serving streams meanwhile. ``DirectWriter`` commits each write at once (scripts,
tests without a server).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from quizzes.live.store import LiveStore, Write


class WriteFailed(RuntimeError):
    """The disk refused a commit; the requests whose writes it held are answered with this error."""


class DirectWriter:
    def __init__(self, store: LiveStore):
        self.store = store

    def submit(self, write: Write) -> int:
        self.store.apply([write])
        return 0

    async def durable(self, ticket: int) -> None:  # noqa: ARG002 (the writer interface: the durable one waits for this ticket)
        return None


class GroupCommit:
    def __init__(self, store: LiveStore, on_failure: Callable[[], None] = lambda: None):
        self.store, self.on_failure = store, on_failure
        self._pending: list[Write] = []
        self._submitted = 0   # tickets handed out
        self._committed = 0   # every ticket up to this one is on disk
        self._failed: list[tuple[int, int, Exception]] = []  # ticket ranges whose commit failed
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self.batches = 0

    def submit(self, write: Write) -> int:
        self._pending.append(write)
        self._submitted += 1
        self._wake.set()
        return self._submitted

    async def durable(self, ticket: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self._committed >= ticket)
        for first, last, error in self._failed:
            if first <= ticket <= last:
                raise WriteFailed(f"the session file could not be written ({error}); try again") from error

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            first, last = self._committed + 1, self._committed + len(batch)
            try:
                await asyncio.to_thread(self.store.apply, batch)
            except Exception as exc:  # disk full, I/O error: these requests fail, the session goes on
                self._failed = [*self._failed[-99:], (first, last, exc)]
                self.on_failure()
            self.batches += 1
            async with self._progress:
                self._committed = last
                self._progress.notify_all()
