"""Bounds every request gets before any handler runs, and the headers every response carries.

* ``Guard`` (ASGI middleware, around the whole application): a request body over ``MAX_BODY_BYTES`` is
  refused with 413 whatever its Content-Length claims (the body is counted as it arrives); every
  response gets the content security policy and the other security headers, so no page or error can go
  without them.
* ``RateLimiter``: token buckets per key (a participant, or the whole server for joins and failed
  lecturer logins), so one client flooding costs only that client.
"""
from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

MAX_BODY_BYTES = 2048
# The pages load only what this server serves; no inline script or style, no framing, no form posts.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class Guard:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body: int = MAX_BODY_BYTES):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() not in names] \
                    + SECURITY_HEADERS
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(send_with_headers)
            return
        if scope["method"] in ("GET", "HEAD"):  # no handler reads their body; streams need the disconnect
            await self.app(scope, receive, send_with_headers)
            return
        # The body is read here, counted as it arrives whatever the headers claim, and handed on whole.
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await self._too_large(send_with_headers)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    async def _too_large(self, send: Send) -> None:
        body = error_body(f"request too large (at most {self.max_body} bytes)")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """``rate`` requests per second per key, bursts up to ``burst``; at most ``max_keys`` keys are tracked
    (the least recently seen are forgotten, so a flood of new keys cannot grow memory)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.max_keys, self.clock = rate, burst, max_keys, clock
        self._buckets: dict[Any, tuple[float, float]] = {}

    def allow(self, key: Any) -> bool:
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]
        return allowed
