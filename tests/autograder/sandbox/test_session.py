"""Running a notebook's cells in the sandboxed worker, and calling into it."""
from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pytest
import torch

from autograder.errors import StudentCodeError
from autograder.intake.cells import Cell
from autograder.sandbox import launcher
from autograder.sandbox.session import Probe, RemoteObject, SessionConfig, StudentSession

# Some functions below return torch and pandas objects: the sandbox holds and the warm one preloads
# them, as an assignment's grading.toml would declare ([sandbox] preload).
FAST = SessionConfig(cell_timeout=2, call_timeout=2, total_timeout=60, max_restarts=4, preload=("torch", "pandas"),
                     libraries=("torch", "pandas"))
# Restarts after hangs and crashes work the same on both sandbox paths: a host serving one child
# (cold) or a warm zygote.
both_paths = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
# For sessions opened while `functions` is alive: ending a session kills its slot's processes.
OWN_SLOT = SessionConfig(cell_timeout=2, call_timeout=2, total_timeout=60, max_restarts=4,
                         slot=launcher.process_slot())
PROBES = textwrap.dedent('''
    """An assignment's probes.py: every public top-level function is a probe."""
    import numpy as np


    def smooth(a, w):
        a, w = np.asarray(a, dtype=float), np.asarray(w, dtype=float)
        return lambda x: float(np.sum(a * np.sin(x) + 0.5 * w * np.asarray(x) ** 2))


    def _helper():
        return "not a probe"
''')


def cells(*sources: str) -> list[Cell]:
    return [Cell(i, textwrap.dedent(s).lstrip("\n")) for i, s in enumerate(sources)]


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    """One session with many small functions; the tests below only call into it."""
    probes = tmp_path_factory.mktemp("hidden") / "probes.py"
    probes.write_text(PROBES)
    session = StudentSession(cells(
        "import numpy as np\norder = [0]\n",
        "order.append(1)\n",
        """
        order.append(2)
        def double(x):
            return 2 * x
        def crash(x):
            return {}["missing key"] + x
        def leave():
            import sys
            sys.exit(0)
        def hard_exit():
            import os
            os._exit(0)
        def hang():
            while True:
                pass
        def scale_in_place(x):
            x *= 2
            return x
        def as_list(x):
            return [1.0, 2.0]
        def as_torch(x):
            import torch
            return torch.tensor([[1.0, 2.0]])
        def as_pandas(x):
            import pandas as pd
            return pd.Series([1.0, 2.0, 3.0])
        def as_numpy_scalar():
            return np.float64(2.5), np.float32(2.5), np.int64(3)
        def kind(x):
            return type(x).__module__ + "." + type(x).__name__
        def apply(f, x):
            return f(x)
        class Counter:
            def __init__(self):
                self.count = 0
            def __call__(self, step):
                self.count += step
                return self.count
            def reset(self):
                self.count = 0
                return "reset"
        def make_counter():
            return Counter()
        def read_count(counter):
            return counter.count
        SETTING = {"lr": 0.1, "layers": (3, 4)}
        """,
    ), dataclasses.replace(FAST, probes=probes))
    session.start()
    yield session
    session.close()


def test_cells_run_in_order_and_their_globals_are_readable(functions):
    assert functions.get("order") == [0, 1, 2]
    assert functions.get("SETTING") == {"lr": 0.1, "layers": (3, 4)}
    assert all(o.ok for o in functions.outcomes.values())


def test_calls_return_plain_data(functions):
    result = functions.call("double", np.arange(3.0))
    assert isinstance(result, np.ndarray) and result.tolist() == [0.0, 2.0, 4.0]
    assert functions.call("double", 2.5) == 5.0
    assert functions.call("double", x="ab") == "abab"


def test_lists_torch_and_pandas_results_arrive_as_lists_and_arrays(functions):
    assert functions.call("as_list", 0) == [1.0, 2.0]
    tensor = functions.call("as_torch", 0)
    assert isinstance(tensor, np.ndarray) and tensor.shape == (1, 2)
    series = functions.call("as_pandas", 0)
    assert isinstance(series, np.ndarray) and series.tolist() == [1.0, 2.0, 3.0]
    f64, f32, i64 = functions.call("as_numpy_scalar")
    assert type(f64) is float and f64 == 2.5 and i64.shape == () and int(i64) == 3
    assert isinstance(f32, np.ndarray) and f32.shape == () and f32.dtype == np.float32 and float(f32) == 2.5


def test_arguments_arrive_with_their_types(functions):
    assert functions.call("kind", np.zeros(2)) == "numpy.ndarray"
    assert functions.call("kind", torch.zeros(2)) == "torch.Tensor"
    assert functions.call("kind", (1, 2)) == "builtins.tuple"
    assert functions.call("kind", {"a": [np.zeros(1)]}) == "builtins.dict"


def test_exceptions_come_back_as_student_code_errors_with_type_message_and_line(functions):
    with pytest.raises(StudentCodeError, match=r"crash\(\) raised KeyError \(line 5 of its cell\): 'missing key'"):
        functions.call("crash", 1)


def test_a_missing_name_says_so(functions):
    with pytest.raises(StudentCodeError, match="no variable or function named 'sigmoid'.*Did you run the cell"):
        functions.call("sigmoid", 1.0)
    with pytest.raises(StudentCodeError, match="it should be a function"):
        functions.call("SETTING")


def test_modified_input_arrays_are_detected(functions):
    with pytest.raises(StudentCodeError, match=r"changed the arrays it was given \(args\[0\]\).*copies"):
        functions.call("scale_in_place", np.ones(3))
    with pytest.raises(StudentCodeError, match=r"kwargs\['x'\]"):
        functions.call("scale_in_place", x=np.ones(3))


def test_remote_objects_can_be_called_inspected_and_passed_back(functions):
    counter = functions.call("make_counter")
    assert isinstance(counter, RemoteObject) and counter.type_name.endswith("Counter")
    assert counter(2) == 2 and counter(3) == 5
    assert counter.getattr("count") == 5
    assert functions.call("read_count", counter) == 5
    assert counter.call_method("reset") == "reset" and counter.getattr("count") == 0


def test_probes_are_built_inside_the_sandbox(functions):
    x = np.array([0.5, -1.0])
    value = functions.call("apply", Probe("smooth", a=[1.0, 2.0], w=[0.5, 0.5]), x)
    assert value == pytest.approx(np.sum([1.0, 2.0] * np.sin(x) + 0.25 * x * x))
    with pytest.raises(StudentCodeError, match=r"apply\(\) raised BadArguments: unknown probe 'no_such_probe'"):
        functions.call("apply", Probe("no_such_probe"), x)
    with pytest.raises(StudentCodeError, match=r"unknown probe '_helper'"):
        functions.call("apply", Probe("_helper"), x)


def test_a_probe_can_be_built_in_the_sandbox_and_handed_back_in_one_round_trip(functions):
    calls = functions.timings.calls
    f = functions.build_probe(Probe("smooth", a=[1.0], w=[2.0]))
    assert isinstance(f, RemoteObject) and functions.timings.calls == calls + 1
    assert f(1.5) == pytest.approx(np.sin(1.5) + 2.25)
    with pytest.raises(StudentCodeError, match=r"the grader's no_such_probe raised BadArguments: unknown probe"):
        functions.build_probe(Probe("no_such_probe"))


def test_timing_counters_split_the_students_time_from_the_round_trips(functions):
    before = dataclasses.replace(functions.timings)
    functions.call("double", 2)
    after = functions.timings
    assert after.calls == before.calls + 1
    assert after.round_trips > before.round_trips
    assert after.worker_calls - before.worker_calls <= after.round_trips - before.round_trips
    assert after.cells > 0 and after.start > 0 and after.worker_cpu >= after.cells_cpu


def test_a_session_without_a_probes_module_knows_no_probe():
    with StudentSession(cells("def apply(f, x):\n    return f(x)\n"), OWN_SLOT) as session:
        session.start()
        with pytest.raises(StudentCodeError, match=r"unknown probe 'smooth'"):
            session.call("apply", Probe("smooth", a=[1.0], w=[1.0]), 0.5)


def test_the_probes_module_reaches_the_worker_only_when_a_test_first_uses_a_probe(functions):
    # After the student's cells ran: no cell can look at the probes, which sit with the hidden tests.
    source = cells("""
        import gc
        def loaded():
            return any(getattr(o, "__module__", None) == "learnathon_probes" for o in gc.get_objects() if callable(o))
        def apply(f, x):
            return f(x)
        BEFORE = loaded()
        """)
    with StudentSession(source, dataclasses.replace(OWN_SLOT, probes=functions.config.probes)) as fresh:
        fresh.start()
        assert fresh.get("BEFORE") is False and fresh.call("loaded") is False
        assert fresh.call("apply", Probe("smooth", a=[1.0], w=[0.0]), 0.0) == 0.0
        assert fresh.call("loaded") is True


def test_sys_exit_in_a_called_function_is_an_ordinary_error(functions):
    assert functions.call("double", 1) == 2
    generation = functions.generation
    with pytest.raises(StudentCodeError, match=r"leave\(\) raised SystemExit"):
        functions.call("leave")
    assert functions.generation == generation and functions.call("double", 1) == 2


@pytest.mark.parametrize("call, message", [
    ("hard_exit", r"hard_exit\(\) stopped the notebook \(it exited, crashed or ran out of memory\)"),
    ("hang", r"hang\(\) did not return within 2 s"),
])
def test_a_call_that_kills_or_hangs_the_worker_restarts_it_and_loses_remote_objects(functions, call, message):
    counter = functions.call("make_counter")
    restarts = functions.restarts
    with pytest.raises(StudentCodeError, match=message):
        functions.call(call)
    assert functions.call("double", 21) == 42          # a fresh worker, cells run again
    assert functions.restarts == restarts + 1
    with pytest.raises(StudentCodeError, match="lost when your notebook had to be restarted"):
        counter(1)


@both_paths
def test_a_hanging_cell_is_skipped_after_the_timeout_and_later_cells_still_run(warm):
    with StudentSession(cells("A = 1\n", "while True:\n    pass\nB = 2\n", "C = 3\n"),
                        dataclasses.replace(FAST, warm=warm)) as session:
        outcomes = session.start()
        assert [o.ok for o in outcomes] == [True, False, True]
        assert outcomes[1].error == "this cell did not finish within 2 s"
        assert session.get("A") == 1 and session.get("C") == 3
        with pytest.raises(StudentCodeError, match=r"B: .*code cell 2 did not finish within 2 s"):
            session.get("B")
        assert session.restarts == 1


@both_paths
def test_exits_and_errors_in_cells_cost_only_that_cell(warm):
    with StudentSession(cells("import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n", "x = 1 / 0\n",
                              "OK = 'still running'\n"), dataclasses.replace(FAST, warm=warm)) as session:
        outcomes = session.start()
        assert outcomes[0].error.startswith("SystemExit")
        assert outcomes[1].error == "this cell stopped the notebook (it exited, crashed or ran out of memory)"
        assert outcomes[2].error == "ZeroDivisionError: division by zero"
        assert outcomes[3].ok and session.get("OK") == "still running"


@both_paths
def test_too_many_restarts_end_the_session_with_a_reason(warm):
    config = SessionConfig(cell_timeout=2, call_timeout=2, total_timeout=60, max_restarts=1, warm=warm)
    with StudentSession(cells("import os\ndef boom():\n    os._exit(3)\n"), config) as session:
        session.start()
        for _ in range(2):
            with pytest.raises(StudentCodeError, match="stopped the notebook"):
                session.call("boom")
        with pytest.raises(StudentCodeError, match="crashed or hung too many times"):
            session.call("boom")
        assert session.fatal is not None


@both_paths
def test_writing_to_the_graders_channel_costs_the_cell_not_the_grader(warm):
    to_every_fd = ("import os\n"
                   "for fd in range(3, 40):\n"
                   "    try:\n"
                   "        os.write(fd, MESSAGE)\n"
                   "    except OSError:\n"
                   "        pass\n")
    body = b'{"event": "cell", "index": 7}'
    forged = f"MESSAGE = {len(body).to_bytes(4, 'big') + body!r}\n" + to_every_fd
    nested = "MESSAGE = (200000).to_bytes(4, 'big') + b'[' * 200000\n" + to_every_fd
    with StudentSession(cells("BEFORE = 1\n", forged, nested, "LAST = 1\n"), dataclasses.replace(FAST,
                                                                                                 warm=warm)) as session:
        outcomes = session.start()
        assert outcomes[1].error == "this cell wrote to the grader's channel"
        assert outcomes[2].error is not None and outcomes[2].error.startswith("this cell")
        assert session.get("LAST") == 1 and session.get("BEFORE") == 1


def test_the_whole_notebook_deadline_also_bounds_calls():
    config = SessionConfig(cell_timeout=5, call_timeout=3, total_timeout=4, max_restarts=4, warm=False)
    source = cells("import time\ndef slow():\n    time.sleep(2)\n    return 1\n")
    with StudentSession(source, config) as session:
        session.start()
        messages = []
        for _ in range(4):
            try:
                session.call("slow")
            except StudentCodeError as exc:
                messages.append(str(exc))
    assert messages and "grading time for this notebook (4 s) ran out" in messages[-1]


MEMORY = cells("""
    import numpy as np
    SEEN = []
    def remember(x):
        SEEN.append(x)
        return len(SEEN)
    def seen():
        return len(SEEN)
    """)


def test_renew_answers_the_next_call_from_a_worker_that_saw_no_call_before():
    with StudentSession(MEMORY, OWN_SLOT) as session:
        session.start()
        assert session.call("remember", 1) == 1 and session.call("remember", 2) == 2
        restarts, generation = session.restarts, session.generation
        session.renew()
        assert session.call("seen") == 0                      # its memory went with the old worker
        assert session.generation == generation + 1 and session.restarts == restarts   # not counted as a crash
        assert session.call("remember", 3) == 1


def test_grader_work_is_charged_to_the_call_budget_and_stopped_by_it():
    config = dataclasses.replace(OWN_SLOT, call_budget=1.0)
    with StudentSession(MEMORY, config) as session:
        session.start()
        ticks = 0
        with pytest.raises(StudentCodeError, match="replaying the log was stopped: the calls to your functions"):
            with session.grader_work("replaying the log") as clock:
                while True:                     # a forged log of endless steps
                    clock.tick()
                    ticks += 1
        assert ticks > 0 and session.call_seconds >= 1.0
        with pytest.raises(StudentCodeError, match="time budget for calls"):
            session.call("seen")               # the budget is spent for every later check too


def test_grader_work_is_stopped_by_the_notebooks_deadline():
    config = dataclasses.replace(OWN_SLOT, total_timeout=1.0)
    with StudentSession(MEMORY, config) as session:
        session.start()
        with pytest.raises(StudentCodeError, match="grading time for this notebook"):
            with session.grader_work("replaying the log") as clock:
                while True:
                    clock.tick()


def test_a_method_swapped_on_the_instance_and_a_hook_are_reported():
    source = cells("""
        import torch
        def plain():
            return torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
        def swapped():
            model = plain()
            model.forward = lambda x: x.sum(dim=1, keepdim=True)        # a lookup would look the same
            return model
        def inner_swapped():
            model = plain()
            model[1].forward = lambda x: x
            return model
        def hooked():
            model = plain()
            model.register_forward_hook(lambda module, inputs, output: output * 0)
            return model
        class Tanh(torch.nn.Module):              # named like torch's activation, computes nothing
            def forward(self, x):
                return x
        Tanh.__module__ = "torch.nn.modules.activation"
        def fake_activation():
            return Tanh()
        def real_activation():
            return torch.nn.Tanh()
        """)
    with StudentSession(source, dataclasses.replace(OWN_SLOT, preload=("torch",), libraries=("torch",))) as session:
        session.start()
        assert session.call("plain").inspect() == {"replaced": [], "hooks": []}
        assert session.call("swapped").inspect()["replaced"] == ["forward"]
        assert session.call("inner_swapped").inspect()["replaced"] == ["1.forward"]
        assert session.call("hooked").inspect()["hooks"] == ["forward_hooks"]
        fake, real = session.call("fake_activation"), session.call("real_activation")
        assert fake.type_name == real.type_name == "torch.nn.modules.activation.Tanh"
        assert real.type_is("torch.nn.modules.activation.Tanh") and not fake.type_is("torch.nn.modules.activation.Tanh")
