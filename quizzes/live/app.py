"""The Starlette application: two pages, a small JSON API and server-sent events.

Participants (no account): ``POST /api/join`` with the session code gives a random token; votes and
``/api/me`` carry it as ``Authorization: Bearer``; ``/api/events?token=`` streams the public state (a
few streams per participant, so connections are tied to joined participants, whose number is capped). The
lecturer: every control action, the lecturer's stream and the exports carry the secret printed in the
lecturer's terminal as ``Authorization: Bearer``. No cookie is ever set, so no other site can act with
anybody's credentials (no CSRF by construction), and no response carries another participant's vote.
Every error is JSON ``{"error": "..."}`` with a status that says what happened; the session goes on.
"""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from quizzes.live.limits import Guard, RateLimiter
from quizzes.live.rules import Refused
from quizzes.live.session import Broadcast, LiveSession
from quizzes.live.writer import GroupCommit, WriteFailed

HERE = Path(__file__).parent
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class Rates:
    join: tuple[float, float] = (200.0, 1000.0)       # per second, burst: the whole server
    vote: tuple[float, float] = (2.0, 10.0)           # per participant
    bad_secret: tuple[float, float] = (2.0, 20.0)     # the whole server: guessing the secret is pointless
    streams_over_participants: int = 200              # open event streams beyond the participant cap
    streams_per_participant: int = 3                  # a participant's tabs


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"cache-control": "no-store"})


async def _json_object(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refused(415, "send JSON (Content-Type: application/json)")
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):  # 2 KB of "[" nests deeper than the parser goes
        raise Refused(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body must be a JSON object")
    return data


def create_app(session: LiveSession, join_url: str, rates: Rates = Rates()) -> Starlette:
    join_limit = RateLimiter(*rates.join)
    vote_limit = RateLimiter(*rates.vote)
    secret_limit = RateLimiter(*rates.bad_secret)
    max_streams = session.limits.max_participants + rates.streams_over_participants

    writer = session.writer = GroupCommit(session.store, on_failure=session.reload)

    async def durable(ticket: int) -> None:
        try:
            await writer.durable(ticket)
        except WriteFailed as exc:
            raise Refused(503, str(exc)) from exc

    def lecturer_only(request: Request) -> None:
        if not session.is_lecturer(_bearer(request)):
            if not secret_limit.allow("lecturer"):
                raise Refused(429, "too many attempts without the lecturer's secret; wait a moment")
            raise Refused(403, "this needs the lecturer's secret (printed in the lecturer's terminal)")

    open_streams: Counter[int] = Counter()  # per participant (0: the lecturer)

    async def stream(request: Request, streams: Broadcast, snapshot: Callable[[], tuple[object, bytes]],
                     holder: int) -> Response:
        if len(session.participant_streams) + len(session.lecturer_streams) >= max_streams:
            raise Refused(503, "too many open connections; reload in a moment")
        if holder and open_streams[holder] >= rates.streams_per_participant:
            raise Refused(429, "this page is open in too many tabs; close one")
        return StreamingResponse(_events(request, streams, snapshot, open_streams, holder),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    async def participant_page(request: Request) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        return FileResponse(HERE / "pages" / "participant.html", headers={"cache-control": "no-cache"})

    async def lecturer_page(request: Request) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        return FileResponse(HERE / "pages" / "lecturer.html", headers={"cache-control": "no-cache"})

    async def figure(request: Request) -> Response:
        from quizzes.figures import FIGURES, figure_svg

        name = request.path_params["name"]
        if name not in FIGURES:
            raise Refused(404, "no such figure")
        return Response(figure_svg(name), media_type="image/svg+xml", headers={"cache-control": "max-age=3600"})

    async def qr(request: Request) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        import segno

        buffer = io.BytesIO()
        segno.make(join_url, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
        return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"cache-control": "no-cache"})

    async def info(request: Request) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        return JSONResponse({"join_url": join_url, "code": session.code, "title": session.quiz.title})

    async def state(request: Request) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        return Response(session.public_json()[1], media_type="application/json",
                        headers={"cache-control": "no-store"})

    async def join(request: Request) -> Response:
        data = await _json_object(request)
        if not join_limit.allow("join"):
            raise Refused(429, "many people are joining right now; try again in a second")
        token, number, ticket = session.join(data.get("code"))
        await durable(ticket)
        return JSONResponse({"token": token, "participant": session.participant_label(number)})

    async def vote(request: Request) -> Response:
        participant = session.participant(_bearer(request))
        data = await _json_object(request)
        if not vote_limit.allow(participant):
            raise Refused(429, "too many votes in a short time; wait a second")
        chosen, seq, ticket = session.vote(participant, data.get("question"), data.get("options"))
        await durable(ticket)
        return JSONResponse({"counted": True, "question": data["question"], "options": list(chosen), "seq": seq})

    async def me(request: Request) -> Response:
        participant = session.participant(_bearer(request))
        return JSONResponse({"participant": session.participant_label(participant),
                             "votes": session.own_votes(participant)}, headers={"cache-control": "no-store"})

    async def events(request: Request) -> Response:
        # EventSource sends no headers: the token comes as a query parameter (no access log is written).
        participant = session.participant(request.query_params.get("token"))
        return await stream(request, session.participant_streams, session.public_frame, participant)

    async def control(request: Request) -> Response:
        lecturer_only(request)
        data = await _json_object(request)
        _, ticket = session.control(data.get("action"), data.get("index"))
        await durable(ticket)
        return Response(session.lecturer_json()[1], media_type="application/json")

    async def lecturer_events(request: Request) -> Response:
        lecturer_only(request)
        return await stream(request, session.lecturer_streams, session.lecturer_frame, 0)

    async def export(request: Request) -> Response:
        lecturer_only(request)
        from quizzes.live.export import export_session

        name = request.path_params["name"]
        if name not in ("answers.csv", "votes.csv"):
            raise Refused(404, "the exports are answers.csv and votes.csv")
        with tempfile.TemporaryDirectory() as folder:
            files = dict(zip(("answers.csv", "votes.csv"),
                             export_session(session.store.path, Path(folder), session.code)))
            content = files[name].read_bytes()
        return Response(content, media_type="text/csv", headers={
            "content-disposition": f'attachment; filename="{session.code}-{name}"', "cache-control": "no-store"})

    async def refused(request: Request, exc: Exception) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        assert isinstance(exc, Refused)
        return _error(exc.status, str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:  # noqa: ARG001 (Starlette's endpoint signature)
        status = getattr(exc, "status_code", 404)
        return _error(status, "no such page" if status == 404 else "method not allowed" if status == 405
                      else "bad request")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:  # noqa: ARG001 (Starlette's lifespan signature)
        from quizzes.figures import figure_svg

        for name in {q.figure for q in session.quiz.questions if q.figure}:  # drawn once, before any phone asks
            await asyncio.to_thread(figure_svg, name)
        tasks = [asyncio.create_task(session.push_charts()), asyncio.create_task(writer.run())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    routes = [
        Route("/", participant_page), Route("/lecturer", lecturer_page),
        Route("/figure/{name}.svg", figure), Route("/qr.svg", qr),
        Route("/api/info", info), Route("/api/state", state), Route("/api/events", events),
        Route("/api/join", join, methods=["POST"]), Route("/api/vote", vote, methods=["POST"]),
        Route("/api/me", me), Route("/api/control", control, methods=["POST"]),
        Route("/api/lecturer/events", lecturer_events), Route("/api/lecturer/export/{name}", export),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={Refused: refused, 404: not_found, 405: not_found, 400: not_found})
    app.state.session = session
    return app


def guarded(app: Starlette) -> Guard:
    """The application behind the request-size bound and the security headers (what the server runs)."""
    return Guard(app)


async def _events(request: Request, streams: Broadcast, frame: Callable[[], tuple[object, bytes]],
                  open_streams: Counter[int], holder: int) -> AsyncIterator[bytes]:
    """The latest snapshot whenever it changes, a comment every ``KEEPALIVE_SECONDS``; ends as soon as the
    client goes away (its slot among the bounded streams is free again at once)."""
    wake, gone = streams.subscribe(), asyncio.Event()
    open_streams[holder] += 1

    async def watch_disconnect() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone.set()
        wake.set()

    watcher = asyncio.create_task(watch_disconnect())
    try:
        last = None
        yield b"retry: 2000\n\n"
        while not gone.is_set():
            wake.clear()
            version, data = frame()
            if version != last:
                last = version
                yield data
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    await wake.wait()
            except TimeoutError:
                yield b": keepalive\n\n"
    finally:
        watcher.cancel()
        streams.unsubscribe(wake)
        open_streams[holder] -= 1
