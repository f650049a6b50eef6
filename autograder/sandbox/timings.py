"""Where one notebook's grading time went, counted by the session and the runner."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Timings:
    """Where one notebook's grading time went: cheap counters the session and the runner keep.

    Wall seconds unless named ``cpu``; ``worker_*`` are measured inside the sandboxed process, the
    rest in the grader. Derived: ``overhead_seconds`` is what is left when the student's cells and
    the hidden tests' own work (in the sandbox and in the grader) are taken out of the total.
    """
    total: float = 0.0                # grade_notebook, end to end
    grader_cpu: float = 0.0           # the grader process's CPU time for this notebook
    start: float = 0.0                # fork of the warm host -> worker ready, summed over (re)starts
    cells: float = 0.0                # the student's cells, as the worker timed them
    cells_cpu: float = 0.0
    calls: int = 0                    # round trips of the hidden tests (calls, gets, probe definitions)
    round_trips: float = 0.0          # their wall time, seen from the grader
    worker_calls: float = 0.0         # the time inside the student's functions, seen from the worker
    worker_calls_cpu: float = 0.0
    worker_cpu: float = 0.0           # the worker's whole CPU time (start, cells, calls, codec), last seen
    tests: float = 0.0                # pytest.main for the hidden tests, harness included
    test_bodies: float = 0.0          # inside the test functions (round trips included)
    test_bodies_cpu: float = 0.0      # the grader's CPU inside the test functions

    @property
    def tests_in_grader(self) -> float:
        """The hidden tests' own compute in the grader (reference runs, comparisons)."""
        return max(0.0, self.test_bodies - self.round_trips)

    @property
    def overhead(self) -> float:
        """learnathon's own cost: sandbox start, IPC, pytest harness, reading the notebook."""
        return max(0.0, self.total - self.cells - self.worker_calls - self.tests_in_grader)

    @property
    def overhead_cpu(self) -> float:
        """The same in CPU seconds (grader and worker), robust to the machine's load."""
        grader = max(0.0, self.grader_cpu - self.test_bodies_cpu)
        worker = max(0.0, self.worker_cpu - self.cells_cpu - self.worker_calls_cpu)
        return grader + worker

    def to_dict(self) -> dict[str, float]:
        numbers = {k: round(v, 4) if isinstance(v, float) else v for k, v in dataclasses.asdict(self).items()}
        return {**numbers, "tests_in_grader": round(self.tests_in_grader, 4), "overhead": round(self.overhead, 4),
                "overhead_cpu": round(self.overhead_cpu, 4)}
