"""cs3's demonstrations over many molecule splits: what forward selection adds, permutation vs drop-column
importance of MolWt and HeavyAtomCount, and the random vs scaffold split.

Runs the notebook's own demonstration cells (descriptor_influence, random_vs_scaffold) with the reference
functions, as tests/assignments/cs3/test_cs3_demonstrations.py does, and prints the figures per seed.
    .venv/bin/python benchmarks/cs3_demonstrations.py [--seeds 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.assignments.cs3.test_cs3_demonstrations import NAMES, demonstration  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    demo = demonstration("demo_tools", "descriptor_influence", "random_vs_scaffold")
    started, gaps = time.perf_counter(), []
    for seed in range(args.seeds):
        chosen, errors, importance, dropped = demo["descriptor_influence"](seed)
        row = demo["split_comparison"](seed)
        gaps.append(row["new scaffolds"] - row["random molecules"])
        size = [NAMES.index("MolWt"), NAMES.index("HeavyAtomCount")]
        print(f"seed {seed}: added {[NAMES[j] for j in chosen[1:]]}, validation MAE {np.round(errors, 1).tolist()}; "
              f"permutation MolWt/HeavyAtomCount {np.round(importance[size], 1).tolist()} K, drop-column "
              f"{np.round(dropped[size], 1).tolist()} K, lowest drop-column {dropped.min():.1f} K; random "
              f"{row['random molecules']:.1f} K, scaffold {row['new scaffolds']:.1f} K", flush=True)
    gaps = np.array(gaps)
    print(f"scaffold worse on {np.sum(gaps > 0)} of {len(gaps)} splits, by {gaps.min():.1f} to {gaps.max():.1f} K "
          f"(mean {gaps.mean():.1f} K); {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
