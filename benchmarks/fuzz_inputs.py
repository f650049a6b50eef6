"""The long input fuzz: thousands of hostile downloads through `collect` and results files through `quiz results`.

The fast suite draws 25 of each (tests/redteam/test_input_fuzz.py); this draws ``--inputs`` of each
(default 10,000) with the same strategies (tests/redteam/input_fuzz.py) and counts, per surface, the
inputs tried, the tracebacks and every other violated property: for `collect` (run through the CLI) the
honest students first and last in the download not placed with their exact bytes, a raw control
character on the terminal, a formula cell in the mapping file, a name that does not read back; for
`quiz results` (every reader, as the command reads; no charts) an exception other than one clear line
naming the file, or honest Vevox participants not counted. Failing inputs are written to
benchmarks/results/fuzz_failures/ to replay.

    .venv/bin/python benchmarks/fuzz_inputs.py --inputs 10000
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / name) for name in ("redteam", "platforms", "quizzes", "autograder")] + [str(ROOT)]

RESULTS = ROOT / "benchmarks" / "results"


def fuzz(surface: str, strategy, check, inputs: int, chosen_seed: int) -> dict:
    from hypothesis import HealthCheck, Phase, given, seed, settings

    tally = {"surface": surface, "inputs": 0, "tracebacks": 0, "failed_inputs": 0, "first_failures": []}
    started = time.monotonic()

    @seed(chosen_seed)
    @settings(max_examples=inputs, phases=[Phase.generate], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def draw(case):
        try:
            failures = check(case)
        except Exception as exc:  # noqa: BLE001 - a failure of the harness is a failure too
            failures = [f"traceback in the harness: {type(exc).__name__}: {exc}"]
        tally["inputs"] += 1
        if failures:
            tally["failed_inputs"] += 1
            tally["tracebacks"] += sum(f.startswith("traceback") for f in failures)
            if len(tally["first_failures"]) < 20:
                tally["first_failures"].append({"failures": failures, "input": repr(case)[:2000]})
            folder = RESULTS / "fuzz_failures"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"inputs-{surface}-seed{chosen_seed}.txt", "a", encoding="utf-8") as handle:
                handle.write("\n".join(failures) + "\n" + repr(case) + "\n\n")
        if tally["inputs"] % 500 == 0:
            print(f"{surface}: {tally['inputs']} inputs, {tally['failed_inputs']} failed "
                  f"({time.monotonic() - started:.0f} s)", flush=True)

    draw()
    tally["seconds"] = round(time.monotonic() - started, 1)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs per surface")
    parser.add_argument("--surface", choices=["collect", "results", "both"], default="both")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    args = parser.parse_args()
    chosen_seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")

    import input_fuzz
    from hw_course import make_course

    from quizzes.catalog import get_quiz

    base = Path(tempfile.mkdtemp(prefix="learnathon-fuzz-inputs-"))
    course = make_course(base)
    quiz = get_quiz("all", 0)
    print(f"seed {chosen_seed}; {args.inputs} inputs per surface; work in {base}", flush=True)
    tallies = []
    if args.surface in ("collect", "both"):
        tallies.append(fuzz("collect", input_fuzz.downloads,
                            lambda case: input_fuzz.collect_survives(course, case, base), args.inputs, chosen_seed))
    if args.surface in ("results", "both"):
        tallies.append(fuzz("results", input_fuzz.results_files,
                            lambda case: input_fuzz.results_survive(case, quiz, base / "results"), args.inputs,
                            chosen_seed))
    summary = {"seed": chosen_seed, "inputs_per_surface": args.inputs, "surfaces": tallies,
               "load": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"fuzz_inputs-{chosen_seed}.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
