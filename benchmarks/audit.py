"""The full audit of every assignment: how far the hidden tests can be trusted, per notebook.

    .venv/bin/python benchmarks/audit.py                              # every assignment, every mutant
    .venv/bin/python benchmarks/audit.py cs2 --mutants-per-notebook 40 --seeds 2 --jobs 2

Runs `learnathon audit` (autograder.audit) on each assignment and prints its table, the figures
line and the wall time; the full reports (every finding) go to benchmarks/results/audit-NAME.json.
The figures are reported in benchmarks/README.md ("before" = before the hidden tests were changed).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.audit import audit, last_line, table  # noqa: E402
from autograder.grading import discovery  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--mutants-per-notebook", type=int, default=0, help="0 = every mutant")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    missed = False
    for name in args.names or discovery.available():
        started = time.perf_counter()
        audits = audit(name, seeds=args.seeds, mutants_per_notebook=args.mutants_per_notebook or None, jobs=args.jobs)
        seconds = time.perf_counter() - started
        (out / f"audit-{name}.json").write_text(json.dumps(
            {"assignment": name, "seeds": args.seeds, "mutants_per_notebook": args.mutants_per_notebook,
             "jobs": args.jobs, "seconds": round(seconds, 1), "notebooks": [a.to_dict() for a in audits]}, indent=1))
        print(table(audits))
        print(f"{name}: {seconds:.0f} s with --jobs {args.jobs}")
        print(last_line(audits), flush=True)
        missed |= any(a.missed() for a in audits)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
