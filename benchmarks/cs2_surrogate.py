"""cs2 in numbers: data generation, notebook run, grading one submission, surrogate accuracy.

    .venv/bin/python benchmarks/cs2_surrogate.py                 # everything (about 4-5 minutes)
    .venv/bin/python benchmarks/cs2_surrogate.py --skip-notebook  # without the Jupyter run
    .venv/bin/python benchmarks/cs2_surrogate.py --seeds 20       # the accuracy test's margin over 20 seeds

The issue's limits: data in seconds, the notebook under 3 minutes and grading under 90 s on 2 cores.
Prints a table; --json FILE also writes the numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "assignments" / "cs2" / "surrogate.ipynb"


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def data_generation(vdv) -> dict:
    vdv.make_dataset(10, seed=0)                                 # imports out of the timing
    _, notebook_data = timed(vdv.make_dataset, 1000, seed=2024, noise=0.01)
    _, five_thousand = timed(vdv.make_dataset, 5000, seed=0)
    _, single = timed(lambda: [vdv.steady_state(x) for x in vdv.design_of_experiments(200, seed=1)])
    return {"data set of the notebook (1,000 points) [s]": notebook_data, "5,000 points [s]": five_thousand,
            "one steady state, scalar route [ms]": 1e3 * single / 200}


def notebook_run() -> dict:
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(SOURCE.parent / "vandevusse.py", folder)
        nb = nbformat.read(SOURCE, as_version=4)
        _, seconds = timed(NotebookClient(nb, timeout=600, kernel_name="python3",
                                          resources={"metadata": {"path": folder}}).execute)
    errors = sum(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    return {"notebook, top to bottom in Jupyter [s]": seconds, "cells with errors": errors}


def grading() -> dict:
    from autograder.grading import discovery, runner

    spec = discovery.load("cs2").notebook("surrogate.ipynb")
    report, seconds = timed(runner.grade_notebook, spec, SOURCE)
    slowest = sorted(report.tests, key=lambda t: -getattr(t, "seconds", 0))[:1]
    return {"grading the source notebook [s]": seconds, "score": f"{report.score}/{report.max_score}",
            **({"slowest hidden test": slowest[0].name} if slowest and getattr(slowest[0], "seconds", 0) else {})}


def accuracy(ref, seeds: int) -> dict:
    """The hidden accuracy test's procedure (600 noisy points, the test's settings) over several seeds,
    and the notebook's realistic surrogate (1,000 points, 3 x 64) on its test rows."""
    import ast

    import torch

    torch.set_num_threads(1)             # as in the sandbox
    vdv = ref.vandevusse
    hidden = (ROOT / "autograder" / "hidden" / "cs2" / "test_surrogate.py").read_text()
    settings = next(n.value for n in ast.parse(hidden).body if isinstance(n, ast.Assign)
                    and getattr(n.targets[0], "id", "") == "SURROGATE_SETTINGS")
    settings = {k.arg: ast.literal_eval(k.value) for k in settings.keywords}
    worst, times = [], []
    for k in range(seeds):
        rng = np.random.default_rng([k, 2024])
        data = vdv.make_dataset(600, seed=int(rng.integers(2**31)), noise=0.01)
        X, Y = data[list(vdv.INPUTS)].to_numpy(), data[list(vdv.OUTPUTS)].to_numpy()
        order = rng.permutation(600)
        (model, xs, ys), seconds = timed(ref.fit_surrogate, X, Y, order[:480], order[480:],
                                         seed=int(rng.integers(1000)), **settings)
        X_new = vdv.design_of_experiments(300, seed=int(rng.integers(2**31)))
        worst.append(ref.r2_per_output(vdv.simulate(X_new), ref.predict_original_units(model, xs, ys, X_new)))
        times.append(seconds)
    worst = np.array(worst)
    (model, xs, ys, (X_test, Y_test)), seconds = timed(ref.train_reference_surrogate, n=1000, seed=0)
    r2_realistic = ref.r2_per_output(Y_test, ref.predict_original_units(model, xs, ys, X_test))
    names = vdv.OUTPUTS
    return {f"hidden accuracy test: lowest R^2 over {seeds} "
            "seeds": {n: round(float(v), 4) for n, v in zip(names, worst.min(axis=0))},
            "hidden accuracy test: training time, mean / max [s]": f"{np.mean(times):.2f} / {np.max(times):.2f}",
            "realistic surrogate (1,000 points, 3 x 64): test "
            "R^2": {n: round(float(v), 4) for n, v in zip(names, r2_realistic)},
            "realistic surrogate: training time [s]": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-notebook", action="store_true")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import solutions.cs2.surrogate as ref

    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"}
    results |= data_generation(ref.vandevusse)
    results |= grading()
    if not args.skip_notebook:
        results |= notebook_run()
    results |= accuracy(ref, args.seeds)
    width = max(map(len, results))
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    if args.json:
        args.json.write_text(json.dumps({k: (v if not isinstance(v, dict) else {a: float(b) for a, b in v.items()})
                                         for k, v in results.items()}, indent=1, default=float))


if __name__ == "__main__":
    main()
