"""The running session: the rules applied to the stored state, kept in memory for fast reads.

Every change goes through here in the server's event loop, one at a time: checked by ``rules`` against
the state in memory, applied there, and queued for the store in the same order (``writer``); the request
is answered once its write is committed. A failed commit reloads the state from the store. Participants are known by a
random token (only its hash is stored); the server, not the page, decides who voted what and when.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from collections import Counter
from dataclasses import dataclass

from quizzes.live import render
from quizzes.live.rules import LiveState, Refused, apply_action, check_vote
from quizzes.live.store import LiveStore, SessionRecord, participant_label, token_hash
from quizzes.live.writer import DirectWriter, GroupCommit


@dataclass(frozen=True)
class Limits:
    max_participants: int = 3000
    chart_interval: float = 0.1  # the lecturer's chart is pushed at most this often (seconds)


class Broadcast:
    """Wakes every subscribed stream; each stream then sends the latest snapshot (never a backlog)."""

    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        self._events.discard(event)

    def notify(self) -> None:
        for event in self._events:
            event.set()

    def __len__(self) -> int:
        return len(self._events)


class LiveSession:
    def __init__(self, store: LiveStore, record: SessionRecord, limits: Limits = Limits(),
                 writer: DirectWriter | GroupCommit | None = None):
        self.store, self.record, self.limits = store, record, limits
        self.writer = writer or DirectWriter(store)
        self.quiz, self.code = record.quiz, record.code
        self.version = 0  # of the public state
        self.participant_streams, self.lecturer_streams = Broadcast(), Broadcast()
        self._public: tuple[int, str] | None = None
        self._lecturer: tuple[tuple[int, int, int], str] | None = None
        self._frames: dict[str, tuple[object, bytes]] = {}
        self._chart_dirty = False
        self.reload()

    def reload(self) -> None:
        """The session as the store has it (at start, and after a failed commit)."""
        self.state = self.store.session(self.record.id).state
        self.participants = self.store.participants(self.record.id)
        self.next_participant = max(self.participants.values(), default=0) + 1
        self.answers = self.store.votes(self.record.id)
        self.counts: dict[str, Counter[str]] = {q.id: Counter() for q in self.quiz.questions}
        self.respondents: Counter[str] = Counter()
        for (question_id, _), keys in self.answers.items():
            self.counts[question_id].update(keys)
            self.respondents[question_id] += 1
        self.seq = self.store.last_seq()
        self.version += 1
        self._chart_dirty = True
        self.participant_streams.notify()

    # --- who is asking ---------------------------------------------------------------------------

    def is_lecturer(self, secret: str | None) -> bool:
        return secret is not None and hmac.compare_digest(secret.encode("utf-8", "replace"),
                                                          self.record.secret.encode())

    def participant(self, token: str | None) -> int:
        number = self.participants.get(token_hash(token)) if token else None
        if number is None:
            raise Refused(401, "you are not in this session (it may have been restarted as a new one): "
                               "join again with the code")
        return number

    # --- changes: checked, applied in memory, queued for the disk; the caller awaits the ticket ----------

    def join(self, code: object) -> tuple[str, int, int]:
        """A new participant: (token, number, write ticket)."""
        if not isinstance(code, str) or not hmac.compare_digest(code.strip().upper().encode("utf-8", "replace"),
                                                                self.code.encode()):
            raise Refused(404, "no session with this code; check the code on the lecturer's screen")
        if len(self.participants) >= self.limits.max_participants:
            raise Refused(503, f"the session is full ({self.limits.max_participants} participants)")
        token = secrets.token_urlsafe(24)
        hashed, number = token_hash(token), self.next_participant
        self.next_participant += 1
        self.participants[hashed] = number
        self._chart_dirty = True
        return token, number, self.writer.submit(self.store.participant_write(self.record.id, number, hashed))

    def vote(self, participant: int, question_id: object, keys: object) -> tuple[tuple[str, ...], int, int]:
        """The participant's answer to the shown question: (options in bank order, ballot number, write ticket)."""
        chosen = check_vote(self.quiz, self.state, question_id, keys)
        assert isinstance(question_id, str)
        self.seq += 1
        previous = self.answers.get((question_id, participant))
        if previous:
            self.counts[question_id].subtract(previous)
        else:
            self.respondents[question_id] += 1
        self.counts[question_id].update(chosen)
        self.answers[(question_id, participant)] = chosen
        self._chart_dirty = True
        ticket = self.writer.submit(self.store.vote_write(self.record.id, self.seq, question_id, participant, chosen))
        return chosen, self.seq, ticket

    def control(self, action: object, index: object = None) -> tuple[LiveState, int]:
        state = apply_action(self.quiz, self.state, action, index)
        ticket = 0
        if state != self.state:
            ticket = self.writer.submit(self.store.state_write(self.record.id, state))
            self.state = state
            self.version += 1
            self.participant_streams.notify()
            self.lecturer_streams.notify()
        return state, ticket

    def own_votes(self, participant: int) -> dict[str, list[str]]:
        return {qid: list(keys) for (qid, number), keys in self.answers.items() if number == participant}

    # --- what the pages see --------------------------------------------------------------------------

    def public_json(self) -> tuple[int, str]:
        if self._public is None or self._public[0] != self.version:
            snapshot = render.public_snapshot(self.quiz, self.code, self.state)
            self._public = (self.version, json.dumps(snapshot, ensure_ascii=False))
        return self._public

    def lecturer_json(self) -> tuple[tuple[int, int, int], str]:
        key = (self.version, self.seq, len(self.participants))
        if self._lecturer is None or self._lecturer[0] != key:
            question = self.quiz.questions[self.state.current]
            counts = self.counts[question.id]
            snapshot = render.lecturer_snapshot(self.quiz, self.code, self.state, dict(counts),
                                                self.respondents[question.id],
                                                len(self.participants), self.seq)
            self._lecturer = (key, json.dumps(snapshot, ensure_ascii=False))
        return self._lecturer

    def public_frame(self) -> tuple[object, bytes]:
        """The public snapshot as a server-sent event, encoded once for every stream."""
        return self._frame("public", *self.public_json())

    def lecturer_frame(self) -> tuple[object, bytes]:
        return self._frame("lecturer", *self.lecturer_json())

    def _frame(self, kind: str, version: object, data: str) -> tuple[object, bytes]:
        cached = self._frames.get(kind)
        if cached is None or cached[0] != version:
            cached = self._frames[kind] = (version, b"event: state\ndata: " + data.encode() + b"\n\n")
        return cached

    async def push_charts(self) -> None:
        """Runs for the server's lifetime: votes reach the lecturer's chart at most every ``chart_interval``
        (a burst of 1,000 votes is a handful of updates, not 1,000)."""
        while True:
            await asyncio.sleep(self.limits.chart_interval)
            if self._chart_dirty:
                self._chart_dirty = False
                self.lecturer_streams.notify()

    def participant_label(self, number: int) -> str:
        return participant_label(number)
