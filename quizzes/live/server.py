"""Open (or resume) a session and run it with uvicorn; print how to join and how to control it.

The join address, the code and a QR code go to the terminal and the lecturer's page; the lecturer's
address (with the secret after ``#``) is printed only here, in the lecturer's terminal.
"""
from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from autograder.terminal import say
from quizzes.live.app import create_app, guarded
from quizzes.live.session import Limits, LiveSession
from quizzes.live.store import LiveStore, SessionRecord
from quizzes.model import Quiz

# Bounds uvicorn enforces before our code runs: concurrent connections (a phone holds two: its event stream
# and its requests), idle keep-alive, and the size of a request's headers.
MAX_CONNECTIONS_OVER_PARTICIPANTS = 500
KEEP_ALIVE_SECONDS = 5
SHUTDOWN_SECONDS = 3  # the event streams never end by themselves: Ctrl-C closes them after this
MAX_HEADER_BYTES = 16 * 1024


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (its fast C parser) with a bound on each request's head.

    httptools buffers a request line and headers of any size (a 5 MB header is read whole); h11 has a
    bound but, measured with benchmarks/live_load.py under the same load, a p95 vote-to-chart latency
    8x higher. So the bytes that arrive before a request's headers are complete are counted here, and
    past ``MAX_HEADER_BYTES`` the connection gets 431 and is closed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:     # uvicorn's protocol arguments, passed on
        super().__init__(*args, **kwargs)
        self._head_bytes, self._in_head = 0, True

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES:
                self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
                                     b"connection: close\r\n\r\n")
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0


class _Server(uvicorn.Server):
    """Ctrl-C and SIGTERM stop the server and return, so that the command writes its exports
    (uvicorn re-raises the signal after shutting down, which would end the process first)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass(frozen=True)
class Opened:
    store: LiveStore
    record: SessionRecord
    resumed: bool
    votes: int


def open_session(quiz: Quiz, db: Path, new: bool = False) -> Opened:
    """The latest session of this quiz in ``db`` (a restarted server resumes it), or a new one."""
    store = LiveStore(db)
    record = None if new else store.latest_session(quiz.name)
    if record is None:
        return Opened(store, store.create_session(quiz), False, 0)
    return Opened(store, record, True, len(store.votes(record.id)))


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def lan_address() -> str:
    """This machine's address as phones on its network reach it: a non-loopback address its name
    resolves to, else its name (asks the local resolver only; no packet leaves the machine)."""
    name = socket.gethostname()
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    except OSError:
        return name
    outside = sorted(a for a in addresses if not a.startswith("127."))
    return outside[0] if outside else name


def base_url(host: str, port: int, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/")
    shown = lan_address() if host in ("0.0.0.0", "::") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def terminal_qr(url: str) -> str:
    import io

    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def uvicorn_config(app: Starlette, limits: Limits) -> uvicorn.Config:
    return uvicorn.Config(guarded(app), log_level="warning", access_log=False, lifespan="on", http=BoundedHeadProtocol,
                          limit_concurrency=2 * limits.max_participants + MAX_CONNECTIONS_OVER_PARTICIPANTS,
                          timeout_keep_alive=KEEP_ALIVE_SECONDS,
                          timeout_graceful_shutdown=SHUTDOWN_SECONDS, server_header=False)


def announce(opened: Opened, url: str, qr: bool = True) -> list[str]:
    record = opened.record
    join = f"{url}/?code={record.code}"
    lines = [f"{'Resumed' if opened.resumed else 'New'} live session {record.code}: {record.quiz.title} "
             f"({len(record.quiz.questions)} questions){f', {opened.votes} vote(s) kept' if opened.resumed else ''}",
             f"  participants join at {url}/ with the code {record.code}, or scan:"]
    if qr:
        lines.append(terminal_qr(join))
    lines += [f"  join address: {join}",
              f"  lecturer's page (keep this address to yourself, it controls the session): "
              f"{url}/lecturer#{record.secret}",
              f"  session file: {opened.store.path} (the same command resumes it after a restart; --new starts "
              f"another)"]
    return lines


def raise_open_files_limit(needed: int) -> None:
    """Every phone holds a connection (its event stream): the usual soft limit of 1,024 files is too few."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve(opened: Opened, host: str, port: int, public_url: str | None, limits: Limits,
          echo: Callable[[str], None] = say) -> None:
    """Run until Ctrl-C; the caller exports the session afterwards."""
    raise_open_files_limit(2 * limits.max_participants + MAX_CONNECTIONS_OVER_PARTICIPANTS + 100)
    sock = bind(host, port)
    url = base_url(host, sock.getsockname()[1], public_url)
    session = LiveSession(opened.store, opened.record, limits)
    app = create_app(session, f"{url}/?code={opened.record.code}")
    for line in announce(opened, url):
        echo(line)
    server = _Server(uvicorn_config(app, limits))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def running(quiz: Quiz, db: Path, limits: Limits | None = None, new: bool = False,
            session_out: list[LiveSession] | None = None) -> Iterator[tuple[str, Opened]]:
    """A server on loopback in a background thread (tests): yields its base URL and the opened session
    (``session_out``, when given, receives the running LiveSession)."""
    limits = limits or Limits()
    opened = open_session(quiz, db, new)
    sock = bind("127.0.0.1", 0)
    url = base_url("127.0.0.1", sock.getsockname()[1], None)
    session = LiveSession(opened.store, opened.record, limits)
    if session_out is not None:
        session_out.append(session)
    server = _Server(uvicorn_config(create_app(session, f"{url}/?code={opened.record.code}"), limits))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield url, opened
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        opened.store.close()
