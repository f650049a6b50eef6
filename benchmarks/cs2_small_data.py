"""cs2's small-data demonstration over many data sets: early stopping vs a long run vs linear regression.

Runs the notebook's own demonstration code (cell demo_small_data) with the reference functions and prints
R^2 on 500 new simulator points (mean over the 4 outputs) per data set, the mean and the wins.
    .venv/bin/python benchmarks/cs2_small_data.py [--seeds 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.assignments.cs2.test_cs2_demonstrations import demonstration  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    demo = demonstration("demo_small_data")
    print("settings:", demo["SMALL_DATA"])
    rows, started = [], time.perf_counter()
    for seed in range(args.seeds):
        scores, _ = demo["small_data_experiment"](seed, **demo["SMALL_DATA"])
        rows.append(scores)
        print(f"seed {seed}: " + ", ".join(f"{label} {value:.3f}" for label, value in scores.items()), flush=True)
    for label in rows[0]:
        values = np.array([row[label] for row in rows])
        print(f"{label:>30}: mean {values.mean():.3f}, std {values.std():.3f}, min {values.min():.3f}")
    early = np.array([row["early stopping"] for row in rows])
    long = np.array([next(v for k, v in row.items() if "no validation" in k) for row in rows])
    print(f"early stopping better on {np.sum(early > long)} of {len(rows)} data sets; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
