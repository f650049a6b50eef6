"""The grading processes of --jobs: forked from a warm fork server, they take the run's current
environment and one of the sandbox hosts the run started for them."""
from __future__ import annotations

import concurrent.futures
import os

import pytest

from autograder.classrun import processes as grading_processes
from autograder.config import Config
from autograder.config import current as current_config
from autograder.sandbox import host as warm
from autograder.sandbox import launcher
from autograder.sandbox.session import ZYGOTES
from tests.autograder.tiny_assignment import start_sandboxes

as_root = pytest.mark.skipif(not launcher.namespaces_available(), reason="needs root with unshare")


def what_the_process_sees(_):

    return {"marker": os.environ.get("LEARNATHON_TEST_MARKER"), "threads": os.environ.get("OMP_NUM_THREADS"),
            "source_root": str(current_config().assignments_root)}


def pool(environment: dict, hosts=(), workers: int = 1, config: Config | None = None):
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=grading_processes.context(),
                                                  initializer=grading_processes.start,
                                                  initargs=(environment, config or current_config(), list(hosts)))


def test_a_grading_process_sees_the_runs_environment_not_the_fork_servers(tmp_path, monkeypatch):
    grading_processes.context()                       # the server runs (maybe since an earlier test)
    monkeypatch.setenv("LEARNATHON_TEST_MARKER", "set after the server started")
    monkeypatch.setenv("LEARNATHON_ASSIGNMENTS_DIR", str(tmp_path / "not read"))   # the configuration is given
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with pool(dict(os.environ), config=Config(assignments_root=tmp_path)) as processes:
        seen = processes.submit(what_the_process_sees, None).result()
    assert seen == {"marker": "set after the server started", "threads": "1", "source_root": str(tmp_path)}
    assert os.environ.get("OMP_NUM_THREADS") is None          # this process keeps its own


def slot_and_host(_):
    from autograder.sandbox import host as warm
    from autograder.sandbox import launcher

    slot = launcher.process_slot()
    zygote = warm.zygote_for(slot, (), ZYGOTES, ())
    zygote.ready()                                            # its hello arrives over the adopted channel
    return slot, zygote.process is None, zygote.preloaded


@as_root
def test_each_grading_process_takes_over_one_host_the_run_started(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)
    with warm.HostsForJobs(2, libraries=(), preload=(), workdir=ZYGOTES) as hosts:
        offered = sorted(offer.slot for offer in hosts.offers)
        assert len(offered) == 2
        with pool(dict(os.environ), hosts.offers, workers=2) as processes:
            # Two tasks that wait for each other's host are not needed: each process adopts at its start.
            seen = [processes.submit(slot_and_host, i) for i in range(2)]
            results = [future.result(timeout=120) for future in seen]
    slots = sorted(slot for slot, _, _ in results)
    # Both tasks may land on one process; whichever processes ran, each used an offered host, not its own.
    assert set(slots) <= set(offered)
    assert all(adopted for _, adopted, _ in results)
    assert all("numpy" in preloaded for _, _, preloaded in results)


@as_root
def test_without_a_host_left_a_grading_process_starts_its_own(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)
    with pool(dict(os.environ), hosts=()) as processes:
        slot, adopted, preloaded = processes.submit(slot_and_host, 0).result(timeout=120)
    assert not adopted and "numpy" in preloaded


LOOK = '''
import os

def look():
    """What this run can see: its namespaces and the uids of every process in its /proc."""
    uids = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as status:
                    uids.update(int(line.split()[1]) for line in status if line.startswith("Uid:"))
            except OSError:
                pass
    return {"net": os.readlink("/proc/self/ns/net"), "pid": os.readlink("/proc/self/ns/pid"),
            "ipc": os.readlink("/proc/self/ns/ipc"), "uid": os.getuid(), "uids": sorted(uids)}
'''


def run_side_by_side(_):
    """In a grading process: a run of the adopted host, looking around while the other process's run
    is alive too (the barrier)."""
    from autograder.intake.cells import Cell
    from autograder.sandbox import launcher
    from autograder.sandbox.session import SessionConfig, StudentSession

    config = SessionConfig(cell_timeout=30, call_timeout=30, limits=launcher.Limits(), slot=launcher.process_slot(),
                           warm=True)
    with StudentSession([Cell(0, LOOK)], config) as session:
        session.start()
        BARRIER.wait(timeout=120)
        seen = session.call("look")
        BARRIER.wait(timeout=120)
    return seen


BARRIER = None


def keep_barrier(environment, hosts, barrier):
    global BARRIER
    BARRIER = barrier
    grading_processes.start(environment, current_config(), hosts)


@as_root
def test_the_runs_of_two_grading_processes_cannot_see_or_reach_each_other(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)
    context = grading_processes.context()
    barrier = context.Barrier(2)
    with warm.HostsForJobs(2, libraries=(), preload=(), workdir=ZYGOTES) as hosts, \
            concurrent.futures.ProcessPoolExecutor(2, mp_context=context, initializer=keep_barrier,
                                                   initargs=(dict(os.environ), hosts.offers, barrier)) as processes:
        first, second = [future.result(timeout=240) for future in [processes.submit(run_side_by_side, i)
                                                                   for i in range(2)]]
    assert first["uid"] != second["uid"]                          # two slots, two uids
    for key in ("net", "pid", "ipc"):                               # a clone of the host has namespaces of its own
        assert first[key] != second[key], key
    assert second["uid"] not in first["uids"] and first["uid"] not in second["uids"]
