"""cs2's early-stopping tests replay the student's run: how closely do correct solutions follow it?

    .venv/bin/python benchmarks/early_stopping_replay.py --problems 200

test_early_stopping_stops_after_patience and test_early_stopping_restores_the_best_weights hand the
student's train_with_early_stopping a full-batch problem and replay full-batch Adam from the model's
initial weights in the grader; every recorded validation loss must agree with the replay (rtol 1e-3)
and the final weights with the replay's best epoch (WEIGHT_TOL). This draws the test's problems (its
own replay_problem, REPLAY settings and acceptance rule), trains correct solutions on them (the
reference, which shuffles the full batch, and a DataLoader variant), and reports the largest
disagreements, how often a drawn problem is accepted, where the runs stop, and whether the patience
decisions come out the same. Prints a table; writes benchmarks/results/early_stopping_replay.json.
"""
from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

import solutions.cs2.surrogate as ref
from autograder.grading import discovery

ROOT = Path(__file__).resolve().parent.parent


def hidden_test_module():
    return discovery.load("cs2").notebook("surrogate").tests_module()


def dataloader_variant(model, X_train, y_train, X_val, y_val, *, max_epochs, batch_size, lr, patience, seed):
    """A correct alternative: DataLoader(shuffle=True), nn.MSELoss, cloned state, `since_best == patience`."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    as_tensor = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    loader = DataLoader(TensorDataset(as_tensor(X_train), as_tensor(y_train)), batch_size=batch_size, shuffle=True)
    Xt, yt, Xv, yv = as_tensor(X_train), as_tensor(y_train), as_tensor(X_val), as_tensor(y_val)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = torch.nn.MSELoss()
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
    best_state, since_best = None, 0
    for epoch in range(max_epochs):
        for xb, yb in loader:
            optimiser.zero_grad()
            criterion(model(xb), yb).backward()
            optimiser.step()
        with torch.no_grad():
            history["train_loss"].append(criterion(model(Xt), yt).item())
            history["val_loss"].append(criterion(model(Xv), yv).item())
        if best_state is None or history["val_loss"][-1] < history["val_loss"][history["best_epoch"]]:
            history["best_epoch"], since_best = epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
            if since_best == patience:
                break
    model.load_state_dict(best_state)
    return history


SOLUTIONS = {"reference": ref.train_with_early_stopping, "DataLoader variant": dataloader_variant}


def measure(test, problems: int) -> dict:
    settings = test.REPLAY
    drawn, accepted, stops, bests, margins = 0, 0, [], [], []
    worst = {name: {"val": 0.0, "weights": 0.0, "different decisions": 0, "failing": 0} for name in SOLUTIONS}
    rng = np.random.default_rng(2026)
    while accepted < problems:
        drawn += 1
        X_train, y_train, X_val, y_val = test.replay_problem(rng)
        torch.manual_seed(int(rng.integers(1000)))      # as remote_network builds the model in the sandbox
        initial_model = test.local_network(settings["sizes"], [])
        initial = [p.detach().numpy().astype(float).copy() for p in initial_model.parameters()]
        replay = test.replay_early_stopping(initial, X_train, y_train, X_val, y_val)
        margins.append(replay["margin"])
        if not test.replay_is_clear(replay):
            continue
        accepted += 1
        stops.append(replay["stop"])
        bests.append(replay["best"])
        for name, train in SOLUTIONS.items():
            model = test.local_network(settings["sizes"], initial)
            history = train(model, X_train, y_train, X_val, y_val, max_epochs=settings["max_epochs"],
                            batch_size=settings["n_train"], lr=settings["lr"], patience=settings["patience"],
                            seed=accepted)
            val = np.array(history["val_loss"])
            same = len(val) == replay["stop"] and history["best_epoch"] == replay["best"]
            n = min(len(val), len(replay["val"]))
            val_gap = float(np.max(np.abs(val[:n] - replay["val"][:n]) / replay["val"][:n]))
            after = [p.detach().numpy().astype(float) for p in model.parameters()]
            weight_gap = max(float(np.max(np.abs(a - b))) for a, b in zip(after, replay["weights"][replay["best"]]))
            row = worst[name]
            row["val"], row["weights"] = max(row["val"], val_gap), max(row["weights"], weight_gap)
            row["different decisions"] += not same
            row["failing"] += not (same and val_gap <= 1e-3 and test.same_state(after,
                                                                                replay["weights"][replay["best"]]))
    return {"problems": problems, "drawn": drawn, "accepted": f"{accepted / drawn:.0%}",
            "stop epoch (min, median, max)": [int(np.min(stops)), int(np.median(stops)), int(np.max(stops))],
            "best epoch (min, median, max)": [int(np.min(bests)), int(np.median(bests)), int(np.max(bests))],
            "decision margin of accepted problems (min)": test.DECISION_MARGIN, "solutions": worst,
            "tolerances": {"val rtol": 1e-3, "weights": test.WEIGHT_TOL}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=200, help="accepted problems to train on")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    results = measure(hidden_test_module(), args.problems)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"] = platform.platform()
    print(f"{results['problems']} problems accepted of {results['drawn']} drawn ({results['accepted']}); "
          f"stop epoch {results['stop epoch (min, median, max)']}, best epoch "
          f"{results['best epoch (min, median, max)']}")
    print(f"{'solution':20s} {'max val gap (rel)':>18s} {'max weight gap':>15s} {'other decisions':>16s} "
          f"{'failing':>8s}")
    for name, row in results["solutions"].items():
        print(f"{name:20s} {row['val']:18.1e} {row['weights']:15.1e} {row['different decisions']:16d} "
              f"{row['failing']:8d}")
    print(f"tolerances: {results['tolerances']}")
    out = ROOT / "benchmarks" / "results" / "early_stopping_replay.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"({results['seconds']} s; written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
