"""Group commit: writes reach the store in arrival order, in few transactions, and a failed commit fails
exactly its own requests while the session goes on."""
from __future__ import annotations

import asyncio

from quizzes.live.writer import GroupCommit, WriteFailed


class RecordingStore:
    def __init__(self, fail_on_batch: int | None = None):
        self.batches: list[list[str]] = []
        self.fail_on_batch = fail_on_batch

    def apply(self, writes):
        if len(self.batches) == self.fail_on_batch:
            self.batches.append([])
            raise OSError(28, "No space left on device")
        self.batches.append([write() for write in writes])


def test_writes_arriving_together_share_a_commit_in_arrival_order():
    async def scenario():
        store = RecordingStore()
        writer = GroupCommit(store)  # type: ignore[arg-type]
        runner = asyncio.create_task(writer.run())
        tickets = [writer.submit(lambda i=i: f"w{i}") for i in range(50)]
        await asyncio.gather(*(writer.durable(t) for t in tickets))
        later = writer.submit(lambda: "late")
        await writer.durable(later)
        runner.cancel()
        return store.batches

    batches = asyncio.run(scenario())
    assert [w for batch in batches for w in batch] == [f"w{i}" for i in range(50)] + ["late"]
    assert len(batches) == 2  # fifty writes, one flush; then the late one


def test_a_failed_commit_fails_only_its_requests_and_the_next_ones_succeed():
    reloads = []

    async def scenario():
        store = RecordingStore(fail_on_batch=0)
        writer = GroupCommit(store, on_failure=lambda: reloads.append(True))  # type: ignore[arg-type]
        runner = asyncio.create_task(writer.run())
        lost = [writer.submit(lambda: "lost") for _ in range(3)]
        outcomes = await asyncio.gather(*(writer.durable(t) for t in lost), return_exceptions=True)
        kept = writer.submit(lambda: "kept")
        await writer.durable(kept)
        runner.cancel()
        return outcomes, store.batches

    outcomes, batches = asyncio.run(scenario())
    assert all(isinstance(o, WriteFailed) and "No space left" in str(o) for o in outcomes)
    assert batches[-1] == ["kept"] and reloads == [True]
