"""A live submission in the sandbox, as the hidden tests see it.

``StudentSession`` starts the worker, runs the notebook's code cells with a per-cell deadline,
then forwards calls. Whatever goes wrong on the student's side (a missing function, an
exception, a hang, a crash, garbage on the channel) becomes a ``StudentCodeError`` with a
message in the student's terms; the session then restarts the worker for the next call,
skipping cells that hung or crashed, so one broken part never costs the working ones.

Everything the worker says is the student's account: it runs in the student's process, which can
patch the worker's modules, the probes and the libraries. So the session only carries plain data,
and hidden tests decide every verdict from that data in this process. Two tools help them:
``renew()`` ends the worker so that the next call runs in a fresh one that has seen none of the
earlier calls (a check that compares two calls cannot be answered from memory), and
``grader_work()`` puts the grader's own work on student-supplied data (a replay of a training log)
under the notebook's clock and call budget.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StudentCodeError
from ..intake.cells import Cell, CellOutcome
from . import host as warm
from . import launcher
from .relay import relayed_message
from .timings import Timings
from .worker import codec


def _number(value: object) -> float:
    """A timing figure from the worker's message (untrusted: anything else counts as 0)."""
    # Exactly int or float (no bool, no subclass); the isinstance only narrows the type.
    return float(value) if type(value) in (int, float) and isinstance(value, int | float) and 0 <= value < 1e6 else 0.0


class SandboxError(RuntimeError):
    """The sandbox itself could not be started: a problem of the grading machine, not the student."""


@dataclasses.dataclass(frozen=True)
class SessionConfig:
    cell_timeout: float = 60.0
    call_timeout: float = 20.0
    total_timeout: float = 300.0
    call_budget: float | None = None    # seconds all calls of a notebook may take together (grading.toml)
    max_restarts: int = 4
    limits: launcher.Limits = launcher.Limits()
    files: tuple[Path, ...] = ()        # released files put into the run's scratch folder
    libraries: tuple[str, ...] = ()     # what its code may import beyond numpy and IPython (its view, view.py)
    slot: int = 0
    warm: bool = True                   # fork from a warm zygote where that is safe (host.py)
    preload: tuple[str, ...] = ()       # libraries the warm zygote imports (the assignment's grading.toml)
    probes: Path | None = None          # the assignment's probes.py, shipped to the worker when first used


ZYGOTES = Path(tempfile.gettempdir()) / "learnathon-zygotes"


def prestart(config: SessionConfig) -> None:
    """Start the warm sandbox a session with ``config`` will fork from, without waiting for it:
    the grader reads the notebook and imports its own modules while the sandbox loads torch."""
    if config.warm:
        warm.zygote_for(config.slot, config.libraries, ZYGOTES, config.preload)


class RemoteObject:
    """An object that lives in the sandbox (e.g. a torch model); tests can call it or its methods.

    ``type_name`` is the name its class gives itself (for messages); ``type_is(name)`` holds only
    when the worker found that very class object under that name (codec.type_identity), so a class
    of the notebook named like torch's is not torch's. Both come from the student's process: a
    verdict rests on what the object computes, checked here, never on its type alone."""

    def __init__(self, session: StudentSession, handle: int, type_name: str, generation: int,
                 verified: bool = False):
        self._session, self._handle, self.type_name, self._generation = session, handle, type_name, generation
        self._verified = verified

    def type_is(self, qualified_name: str) -> bool:
        return self._verified and self.type_name == qualified_name

    def inspect(self) -> dict[str, list[str]]:
        """What the worker sees of the object: {"replaced": methods set on the object itself (or on one of
        its torch submodules) that shadow its class's, "hooks": forward hooks registered on it}."""
        value = self._session._request({"op": "inspect", "handle": self._handle},
                                       f"inspecting your {self.type_name.rsplit('.', 1)[-1]}", self)
        if not isinstance(value, dict):
            return {"replaced": [], "hooks": []}
        return {key: [str(v)[:80] for v in value.get(key, [])[:20]] if isinstance(value.get(key), list) else []
                for key in ("replaced", "hooks")}

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return self._session._request({"op": "call", "handle": self._handle, "args": args, "kwargs": kwargs},
                                      f"calling your {self.type_name.rsplit('.', 1)[-1]}", self)

    def call_method(self, method: str, *args: object, **kwargs: object) -> Any:
        return self._session._request(
            {"op": "call", "handle": self._handle, "path": [method], "args": args, "kwargs": kwargs},
            f"{self.type_name.rsplit('.', 1)[-1]}.{method}()", self)

    def getattr(self, attr: str) -> Any:
        return self._session._request({"op": "get", "handle": self._handle, "path": [attr]},
                                      f"{self.type_name.rsplit('.', 1)[-1]}.{attr}", self)

    def __repr__(self) -> str:
        return f"<student object {self.type_name}>"


class Probe:
    """A known function handed to student code: one of the functions in the assignment's
    probes.py (``SessionConfig.probes``), built inside the sandbox (see worker/probes.py)."""

    def __init__(self, name: str, **params: object):
        self.name, self.params = name, params


def _error_of(reply: codec.Message) -> codec.Message:
    """The error part of a worker's reply, a dict whatever the worker sent."""
    error = reply.get("error")
    return error if isinstance(error, dict) else {}


def _seconds(value: object, most: float) -> float:
    """A cell's duration as the worker reports it: only a finite number of seconds is believed."""
    if type(value) in (int, float) and isinstance(value, int | float) and 0 <= value <= most:
        return float(value)
    return 0.0


class StudentSession:
    def __init__(self, cells: list[Cell], config: SessionConfig, *, run_tests: bool = False):
        self.cells = [c for c in cells if run_tests or c.role != "test"]
        self.config = config
        self.outcomes: dict[int, CellOutcome] = {}
        self.skip: set[int] = set()
        self.restarts = 0
        self.generation = 0
        self.deadline = time.monotonic() + config.total_timeout
        self.process: warm.Child | None = None
        self.fatal: str | None = None
        self.call_seconds = 0.0             # spent waiting for the student's functions, counted against call_budget
        self._uses_probes, self._probes_defined = False, 0
        self.timings = Timings()        # cheap counters for benchmarks/ (never used to grade)
        self._worker_cpu: dict[int, float] = {}   # per worker generation: its CPU time so far
        self._fds: tuple[int, ...] = ()
        self._tmp = Path(tempfile.mkdtemp(prefix="learnathon-"))
        self._tmp.chmod(0o711)

    # --- lifecycle ---
    def start(self) -> list[CellOutcome]:
        """Run the cells once (restarting past cells that hang or crash); return their outcomes."""
        while self.process is None and self.fatal is None:
            self._boot()
        return [self.outcomes[c.index] for c in self.cells if c.index in self.outcomes]

    def close(self) -> None:
        self._end_worker()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def renew(self) -> None:
        """End the worker: the next call runs in a fresh one, forked anew, whose cells ran again (those
        that hung or crashed skipped) and which has seen none of the calls before. For checks that
        compare two calls (the same seed twice, a rebuild of what an earlier call built), which the
        student's process could otherwise answer from memory. Not a crash: no restart is counted."""
        self._end_worker()

    @contextlib.contextmanager
    def grader_work(self, what: str) -> Iterator[GraderClock]:
        """The grader's own computation on data the student's code supplied (a replay of its training
        log): bounded by the notebook's deadline and charged to its call budget with the CPU time it
        costs the grader (wall time would charge a loaded machine's slowness to the student). The body
        calls ``clock.tick()`` in its loops; past the deadline or the budget that raises
        ``StudentCodeError``, so a forged log costs the check, never the grader's time."""
        clock = GraderClock(self, what)
        try:
            yield clock
        finally:
            self.call_seconds += clock.cost()

    def _end_worker(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = ()

    def __enter__(self) -> StudentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _boot(self) -> None:
        if self.restarts > self.config.max_restarts:
            self.fatal = "your notebook crashed or hung too many times; the remaining checks were not run"
            return
        if time.monotonic() > self.deadline:
            self.fatal = f"grading time for this notebook ({self.config.total_timeout:.0f} s) ran out"
            return
        self.generation += 1
        scratch = launcher.run_scratch(self._tmp / f"run{self.generation}")
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        output = self._tmp / f"output{self.generation}.txt"
        output_fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fds = (to_worker_r, from_worker_w, output_fd)
        self._started = time.monotonic()
        try:
            zygote = (warm.zygote_for(self.config.slot, self.config.libraries, ZYGOTES, self.config.preload)
                      if self.config.warm else None)
            if zygote is not None:
                self.process = zygote.spawn(scratch=scratch, fds=fds, limits=self.config.limits,
                                            files=self.config.files)
            else:
                self.process = warm.one_shot(self.config.slot, self.config.libraries,
                                             self._tmp / f"host{self.generation}", scratch=scratch, fds=fds,
                                             limits=self.config.limits, files=self.config.files)
        finally:
            os.close(output_fd)
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._fds = (to_worker_w, from_worker_r)
        self._await_ready(self._tmp / f"output{self.generation}.txt")
        try:
            self._send({"op": "run_cells", "cells": [{"index": c.index, "source": c.source}
                                                      for c in self.cells if c.index not in self.skip]})
        except codec.CodecError as exc:      # notebook.py caps code well below this: defence in depth
            self._crashed()
            self.fatal = f"the notebook's code is too large to be run ({exc})"
            return
        except (EOFError, TimeoutError):
            self._crashed()
            return
        self._collect_cells()

    def _await_ready(self, output: Path) -> None:
        try:
            ready = self._receive(self.config.cell_timeout)
            if ready.get("event") == "ready":
                self.timings.start += time.monotonic() - self._started
                self._count_worker_cpu(_number(ready.get("cpu")))
                return
        except (TimeoutError, EOFError, codec.CodecError):
            pass
        self._end_worker()
        tail = output.read_text(errors="replace")[-2000:] if output.exists() else ""
        raise SandboxError(warm.start_failure(tail))

    def _collect_cells(self) -> None:
        pending = [c for c in self.cells if c.index not in self.skip]
        for cell in pending:
            waiting = time.monotonic()
            try:
                event = self._receive(min(self.config.cell_timeout, self.deadline - time.monotonic()))
            except TimeoutError:
                self.timings.cells += time.monotonic() - waiting      # the student's cell ran all along
                self._give_up_on(cell, f"did not finish within {self.config.cell_timeout:.0f} s")
                return
            except (EOFError, codec.CodecError):
                self._give_up_on(cell, "stopped the notebook (it exited, crashed or ran out of memory)")
                return
            if event.get("event") != "cell" or event.get("index") != cell.index:
                self._give_up_on(cell, "wrote to the grader's channel")
                return
            error = event.get("error")
            seconds, cpu = _seconds(event.get("seconds"), self.config.cell_timeout), _number(event.get("cpu"))
            self.outcomes[cell.index] = CellOutcome(cell.index, cell.grade_id, cell.role,
                                                    str(error)[:700] if error else None, seconds)
            self.timings.cells += seconds
            self.timings.cells_cpu += cpu
            self._count_worker_cpu(self._worker_cpu.get(self.generation, 0.0) + cpu)
        try:
            done = self._receive(self.config.call_timeout)
            if done.get("event") != "cells_done":
                raise codec.CodecError("unexpected message")
        except (TimeoutError, EOFError, codec.CodecError):
            self._crashed()

    def _give_up_on(self, cell: Cell, why: str) -> None:
        self.outcomes[cell.index] = CellOutcome(cell.index, cell.grade_id, cell.role, f"this cell {why}",
                                                self.config.cell_timeout)
        self.skip.add(cell.index)
        self._crashed()

    def _crashed(self) -> None:
        self._end_worker()
        self.restarts += 1

    # --- channel ---
    def _send(self, message: codec.Message) -> None:
        data = codec.frame(message)
        try:
            view = memoryview(data)
            while view:
                _, writable, _ = select.select([], [self._fds[0]], [], self.config.call_timeout)
                if not writable:
                    raise TimeoutError
                view = view[os.write(self._fds[0], view[:65536]):]
        except (BrokenPipeError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise EOFError from None

    def _read(self, n: int, deadline: float) -> bytes:
        chunks = []
        while n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            readable, _, _ = select.select([self._fds[1]], [], [], remaining)
            if not readable:
                raise TimeoutError
            chunk = os.read(self._fds[1], min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _receive(self, timeout: float) -> codec.Message:
        deadline = time.monotonic() + max(timeout, 0.0)
        length = codec.parse_header(self._read(4, deadline))
        return codec.parse_body(self._read(length, deadline))

    # --- calls (used by the hidden tests through the `student` fixture) ---
    def call(self, name: str, *args: object, **kwargs: object) -> Any:
        return self._request({"op": "call", "name": name, "args": args, "kwargs": kwargs}, f"{name}()")

    def get(self, name: str) -> Any:
        return self._request({"op": "get", "name": name}, name)

    def build_probe(self, probe: Probe) -> Any:
        """The probe built inside the sandbox, handed back (objects as ``RemoteObject``)."""
        return self._request({"op": "build_probe", "args": (probe,)}, f"the grader's {probe.name}")

    def _request(self, request: codec.Message, what: str, remote: RemoteObject | None = None) -> Any:
        if remote is not None and remote._generation != self.generation:
            raise StudentCodeError(f"{what}: the object was lost when your notebook had to be restarted")
        if self.process is None:
            self.start()
        if self.fatal is not None:
            raise StudentCodeError(self.fatal)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.fatal = f"grading time for this notebook ({self.config.total_timeout:.0f} s) ran out"
            raise StudentCodeError(self.fatal)
        budget_left = self._budget_left()
        if budget_left <= 0:
            self.fatal = self._budget_spent()
            raise StudentCodeError(self.fatal)
        timeout = min(self.config.call_timeout, remaining, budget_left)
        started = time.monotonic()
        message = {**request}
        self._uses_probes = False
        message["args"] = [self._encode(a) for a in request.get("args", ())]
        message["kwargs"] = {k: self._encode(v) for k, v in request.get("kwargs", {}).items()}
        try:
            if self._uses_probes and self._probes_defined != self.generation:
                self._define_probes(timeout)
            self._send(message)
            reply = self._receive(timeout)
            self._count_call(reply, time.monotonic() - started)
        except TimeoutError:
            self.call_seconds += time.monotonic() - started
            self._crashed()
            if budget_left < min(self.config.call_timeout, remaining):
                self.fatal = self._budget_spent()
                raise StudentCodeError(f"{what} did not return before {self.fatal}") from None
            raise StudentCodeError(f"{what} did not return within {timeout:.0f} s "
                                   "(an endless loop, or far too much work?)") from None
        except (EOFError, codec.CodecError):
            self.call_seconds += time.monotonic() - started
            self._crashed()
            raise StudentCodeError(f"{what} stopped the notebook (it exited, crashed or ran out of memory)") from None
        self.call_seconds += time.monotonic() - started
        return self._interpret(reply, what)

    def _budget_left(self) -> float:
        budget = self.config.call_budget
        return float("inf") if budget is None else budget - self.call_seconds

    def _budget_spent(self) -> str:
        return (f"the calls to your functions (and the grader's replays of what they recorded) used up this "
                f"notebook's time budget for calls "
                f"({self.config.call_budget:g} s in total, many times what the reference solution needs), so the "
                "remaining checks were not run; look for sleeps, needless loops or repeated work")

    def _encode(self, value: object) -> object:
        """codec.encode, plus the grader-side stand-ins: remote objects and probes."""
        if isinstance(value, RemoteObject):
            return {"t": "handle", "id": value._handle, "type": value.type_name}
        if isinstance(value, Probe):
            self._uses_probes = True
            return {"t": "probe", "name": value.name, "params": self._encode(value.params)}
        if type(value) in (list, tuple) and isinstance(value, list | tuple):
            return {"t": type(value).__name__, "items": [self._encode(v) for v in value]}
        if type(value) is dict:
            return {"t": "dict", "items": [[k, self._encode(v)] for k, v in value.items()]}
        return codec.encode(value)

    def _define_probes(self, timeout: float) -> None:
        """Ship the assignment's probes.py to the worker, once per worker and only when a test
        first hands over a probe: after the student's cells ran, and never from the disk the
        sandbox sees (the file sits with the hidden tests)."""
        if self.config.probes is None:
            return                      # the worker then reports every probe as unknown
        self._send({"op": "define_probes", "source": self.config.probes.read_text(),
                    "filename": self.config.probes.name})
        reply = self._receive(timeout)
        if reply.get("ok") is not True:
            error = _error_of(reply)
            raise RuntimeError(f"{self.config.probes} could not be defined in the sandbox: "
                               f"{error.get('type')}: {error.get('message')}")
        self._probes_defined = self.generation

    def _count_worker_cpu(self, cpu: float) -> None:
        self._worker_cpu[self.generation] = max(self._worker_cpu.get(self.generation, 0.0), cpu)
        self.timings.worker_cpu = sum(self._worker_cpu.values())

    def _count_call(self, reply: codec.Message, round_trip: float) -> None:
        """Timing counters only: a worker that lies about them can skew a benchmark, never a grade."""
        self.timings.calls += 1
        self.timings.round_trips += round_trip
        self.timings.worker_calls += _number(reply.get("seconds"))
        self.timings.worker_calls_cpu += _number(reply.get("cpu"))
        self._count_worker_cpu(_number(reply.get("worker_cpu")))

    def _interpret(self, reply: codec.Message, what: str) -> Any:
        if reply.get("ok") is True:
            try:
                value = codec.decode(reply.get("value"), self._remote)
            except codec.CodecError as exc:
                raise StudentCodeError(f"{what} returned something the grader cannot read ({exc})") from None
            mutated = reply.get("mutated") or []
            if mutated:
                names = [relayed_message(str(m), limit=40) for m in (mutated if isinstance(mutated,
                                                                                           list) else [mutated])[:3]]
                raise StudentCodeError(
                    f"{what} changed the arrays it was given ({', '.join(names)}); "
                    "work on copies (e.g. x = x.copy()) or build new arrays instead of modifying inputs in place")
            return value
        error = _error_of(reply)
        # Student-controlled text: one line, and nothing that echoes the hidden inputs (relay.py).
        kind = relayed_message(str(error.get("type", "Error"))[:200], limit=80) or "Error"
        text = relayed_message(str(error.get("message", ""))[:20000])
        if kind == "Missing":
            stopped = [(o.index, o.error) for o in self.outcomes.values()
                       if o.error and o.error.startswith("this cell")]
            cause = (f" (code cell {stopped[0][0] + 1} {stopped[0][1].removeprefix('this cell ')}, "
                     "so what it defines is "
                     "missing)") if stopped else " Did you run the cell that defines it, and keep its name?"
            raise StudentCodeError(f"{what}: {text}.{cause}")
        if kind == "NotCallable":
            raise StudentCodeError(f"{what}: {text}; it should be a function")
        number = error.get("line")
        line = f" (line {number} of its cell)" if type(number) is int and 0 < number < 10**6 else ""
        raise StudentCodeError(f"{what} raised {kind}{line}: {text}" if text else f"{what} raised {kind}{line}")

    def _remote(self, handle: int, type_name: str, verified: bool = False) -> RemoteObject:
        return RemoteObject(self, handle, type_name, self.generation, verified)


class GraderClock:
    """Times one piece of the grader's work for ``StudentSession.grader_work``."""

    def __init__(self, session: StudentSession, what: str):
        self.session, self.what, self.started = session, what, time.process_time()

    def cost(self) -> float:
        """The grader's CPU seconds spent so far."""
        return time.process_time() - self.started

    def tick(self) -> None:
        session = self.session
        if time.monotonic() > session.deadline:
            session.fatal = f"grading time for this notebook ({session.config.total_timeout:.0f} s) ran out"
        elif session._budget_left() - self.cost() <= 0:
            session.fatal = session._budget_spent()
        else:
            return
        raise StudentCodeError(f"{self.what} was stopped: {session.fatal}")
