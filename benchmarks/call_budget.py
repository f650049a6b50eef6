"""What the reference solutions spend in calls: the figures behind each grading.toml `call_budget`.

A notebook's call budget bounds the total time the hidden tests may spend waiting for the
student's functions (the per-call limit alone lets a notebook whose every function sleeps just
under it cost its whole notebook budget). This grades each assignment part's reference solution
(the source notebook without nbgrader's delimiters) ``--repeat`` times with a warm sandbox and
prints the time spent in calls and the budget grading.toml states, with their ratio.

    .venv/bin/python benchmarks/call_budget.py --repeat 3
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assignment", action="append", help="only these (repeatable); default: all")
    args = parser.parse_args()

    from autograder.admin.fabricate import solved
    from autograder.grading import discovery as registry
    from autograder.grading.runner import grade_notebook

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.assignment or registry.available():
            for spec in registry.load(name).notebooks:
                path = solved(spec.source, Path(tmp) / spec.filename)
                calls, scores = [], []
                for _ in range(args.repeat):
                    report = grade_notebook(spec, path)
                    calls.append(report.call_seconds)
                    scores.append(report.score)
                budget = spec.settings.get("call_budget")
                rows.append({"notebook": f"{name}/{spec.filename}", "score": max(scores), "max": report.max_score,
                             "call_seconds_median": round(statistics.median(calls), 2),
                             "call_seconds_max": round(max(calls), 2), "call_budget": budget,
                             "ratio": round(budget / max(calls), 1) if budget else None})
                print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "call_budget.json").write_text(json.dumps(rows, indent=1))
    print(f"\n{'notebook':<42} {'calls (median, max)':>22} {'budget':>8} {'ratio':>6}")
    for row in rows:
        print(f"{row['notebook']:<42} {row['call_seconds_median']:>10.2f} s {row['call_seconds_max']:>7.2f} s "
              f"{row['call_budget'] or '-':>8} {row['ratio'] or '-':>6}")


if __name__ == "__main__":
    main()
