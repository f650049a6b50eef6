"""The margins of cs1 part B's test_sweep_complexity: does a correct sweep's training always show?

    .venv/bin/python benchmarks/sweep_training_margins.py --problems 2000

The hidden test rebuilds each sweep model's seeded start (torch.manual_seed(seed), build_mlp) and
requires the record's model to lie within FROM_SEEDED_START of it in every weight and to have a
training MSE below (1 - MIN_TRAINING_GAIN) times the start's. This script draws the test's problems
(its own training_problem, widths, depths, epochs and lr), trains every model as a correct sweep does
and as typical train() mistakes do (which must not cost the sweep's points: each has its own test), and
reports the largest weight change, the smallest relative drop of the training MSE, and how far a model
built from another point of torch's random stream (seeding once, before the loops) lies from the seeded
start. Prints a table; writes benchmarks/results/sweep_training_margins.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

import solutions.cs1.model_complexity as ref
from autograder.grading import discovery

ROOT = Path(__file__).resolve().parent.parent
WIDTHS, DEPTHS = (2, 3), (1, 2)     # the test's grid


def hidden_test_module():
    return discovery.load("cs1").notebook("part_b_model_complexity").tests_module()


def train_variant(kind: str, model, x_tr, y_tr, x_va, y_va, epochs: int, lr: float) -> None:
    """Full-batch training as the sweep's train() does it, or with one typical mistake."""
    xt, yt, xv, yv = (ref.as_tensor(a) for a in (x_tr, y_tr, x_va, y_va))
    if kind == "validation rows in training":
        xt, yt = torch.cat([xt, xv]), torch.cat([yt, yv])
    params = model.parameters()
    optimizer = (torch.optim.SGD(params, lr=lr) if kind == "plain SGD"
                 else torch.optim.Adam(params, lr=1e-3 if kind == "Adam's default lr" else lr))
    for _ in range(epochs):
        if kind != "no zero_grad":
            optimizer.zero_grad()
        torch.mean((model(xt) - yt) ** 2).backward()
        optimizer.step()


KINDS = ("correct", "no zero_grad", "validation rows in training", "plain SGD", "Adam's default lr")


def flat(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def mse(model, x, y) -> float:
    with torch.no_grad():
        return float(torch.mean((model(ref.as_tensor(x)) - ref.as_tensor(y)) ** 2))


def measure(test, problems: int) -> dict:
    moved = {k: [] for k in KINDS}
    ratio = {k: [] for k in KINDS}
    seeded_once_apart = []
    for k in range(problems):
        rng = np.random.default_rng(k)
        x_tr, y_tr, x_va, y_va = test.training_problem(rng, 20, 8)
        seed = int(rng.integers(0, 10_000))
        torch.manual_seed(seed)
        once = [ref.build_mlp(1, w, d, "tanh") for w in WIDTHS for d in DEPTHS]
        for index, (w, d) in enumerate((w, d) for w in WIDTHS for d in DEPTHS):
            torch.manual_seed(seed)
            start = ref.build_mlp(1, w, d, "tanh")
            if index:
                seeded_once_apart.append(float(np.abs(flat(once[index]) - flat(start)).max()))
            before = mse(start, x_tr, y_tr)
            for kind in KINDS:
                torch.manual_seed(seed)
                model = ref.build_mlp(1, w, d, "tanh")
                # The test's third sweep call: validation targets as drawn (unshifted).
                train_variant(kind, model, x_tr, y_tr, x_va, y_va, test.SWEEP_EPOCHS, test.SWEEP_LR)
                moved[kind].append(float(np.abs(flat(model) - flat(start)).max()))
                ratio[kind].append(mse(model, x_tr, y_tr) / before)
    rows = {}
    for kind in KINDS:
        r = np.array(ratio[kind])
        rows[kind] = {"largest weight change": max(moved[kind]), "smallest MSE drop [%]": 100 * (1 - r.max()),
                      "median MSE drop [%]": 100 * (1 - float(np.median(r))),
                      "models failing the thresholds": int(np.sum(
                          (np.array(moved[kind]) > test.FROM_SEEDED_START) | (r >= 1 - test.MIN_TRAINING_GAIN)))}
    return {"models per kind": len(ratio["correct"]), "kinds": rows,
            "seeded once: smallest distance of a later model from its seeded start": min(seeded_once_apart),
            "thresholds": {"FROM_SEEDED_START": test.FROM_SEEDED_START, "MIN_TRAINING_GAIN": test.MIN_TRAINING_GAIN}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=2000, help="problems drawn as the test draws them (4 models "
                                                                   "each)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    results = measure(hidden_test_module(), args.problems)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"] = platform.platform()
    print(f"{results['models per kind']} models per kind, thresholds {results['thresholds']}")
    print(f"{'kind':30s} {'max weight change':>18s} {'min MSE drop %':>15s} {'median drop %':>14s} {'failing':>8s}")
    for kind, row in results["kinds"].items():
        print(f"{kind:30s} {row['largest weight change']:18.4f} {row['smallest MSE drop [%]']:15.3f} "
              f"{row['median MSE drop [%]']:14.2f} {row['models failing the thresholds']:8d}")
    print(f"seeded once: a later model lies at least "
          f"{results['seeded once: smallest distance of a later model from its seeded start']:.3f} from its seeded "
          "start")
    out = ROOT / "benchmarks" / "results" / "sweep_training_margins.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"({results['seconds']} s; written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
