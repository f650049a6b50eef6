"""`learnathon gradescope`: a Gradescope autograder zip that grades with the same hidden tests,
sandbox and messages as `learnathon autograde`.

Gradescope unpacks the zip into /autograder/source, runs ``setup.sh`` once when building the image,
then ``run_autograder`` (copied to /autograder/run_autograder) per submission: the student's files
are in /autograder/submission, the result goes to /autograder/results/results.json. The zip holds
this project (engine, the assignment's source notebook, hidden tests and reference solutions), so
the image grades exactly what a local run grades. ``LEARNATHON_GRADESCOPE_ROOT`` replaces
/autograder (the tests use a temporary folder) and ``LEARNATHON_PYTHON`` the interpreter.
"""
from __future__ import annotations

import argparse
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from ..grading import discovery as registry
from ..terminal import guarded_streams

TORCH = "torch==2.13.0"     # as the Makefile: the CPU build, installed before the project
PACKAGE = "learnathon"      # the project's folder inside source/
SKIP = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}

SETUP_SH = f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
# python3.11 (the project needs >= 3.11); bubblewrap builds the sandbox's root (only what student code needs).
apt-get install -y --no-install-recommends python3.11 python3.11-venv bubblewrap
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install {TORCH} --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/pip install /autograder/source/{PACKAGE}
"""

RUN_AUTOGRADER = f"""\
#!/usr/bin/env bash
# Gradescope runs this per submission. Nothing the submission prints reaches results.json:
# the grader writes it after grading, from its own records.
set -uo pipefail
ROOT="${{LEARNATHON_GRADESCOPE_ROOT:-/autograder}}"
PYTHON="${{LEARNATHON_PYTHON:-/autograder/venv/bin/python}}"
# The zip's copy of the project is what grades (python -m also imports from the working folder).
cd "$ROOT/source/{PACKAGE}"
export PYTHONPATH="$ROOT/source/{PACKAGE}"
exec "$PYTHON" -m autograder.platforms.gradescope run {{assignment}} --root "$ROOT"
"""


def project_files(assignment: str) -> list[tuple[Path, str]]:
    """(file, name in the zip) for what the image needs: the engine with this assignment's hidden
    tests, its sources and reference solutions (no other assignment's), the quiz package the CLI
    imports, and the packaging files."""
    root = registry.PROJECT_ROOT
    spec = registry.load(assignment)
    picked: list[tuple[Path, str]] = []

    def add_tree(folder: Path, arcname: str, *, skip_dirs: frozenset[Path] | set[Path] = frozenset()) -> None:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if any(part in SKIP or part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            if any(path.is_relative_to(d) for d in skip_dirs) or path.suffix == ".pyc":
                continue
            picked.append((path, f"{arcname}/{rel.as_posix()}"))

    base = PACKAGE
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).is_file():
            picked.append((root / name, f"{base}/{name}"))
    # The engine without any assignment's hidden tests; then this assignment's, wherever they live.
    bundled = root / "autograder" / "hidden"
    add_tree(root / "autograder", f"{base}/autograder", skip_dirs={d for d in bundled.iterdir() if d.is_dir()})
    add_tree(spec.hidden_dir, f"{base}/autograder/hidden/{assignment}")
    add_tree(spec.source_dir, f"{base}/assignments/{assignment}")
    picked.append((root / "assignments" / "__init__.py", f"{base}/assignments/__init__.py"))
    # Reference solutions: this assignment's only (solutions/<name>/); the quiz package, which the CLI imports.
    if (root / "solutions" / "__init__.py").is_file():
        picked.append((root / "solutions" / "__init__.py", f"{base}/solutions/__init__.py"))
    if (root / "solutions" / assignment).is_dir():
        add_tree(root / "solutions" / assignment, f"{base}/solutions/{assignment}")
    add_tree(root / "quizzes", f"{base}/quizzes")
    return picked


def build_zip(assignment: str, out: Path) -> Path:
    registry.load(assignment)          # an unknown assignment fails here, before anything is written
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER.replace("{assignment}",
                                                                                             assignment))):
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            archive.writestr(info, text)
        for path, name in project_files(assignment):
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def place_submission(spec: registry.Assignment, submission: Path, into: Path) -> list[str]:
    """Copy the submitted notebooks into ``into`` under the released names (matched by content, as
    `collect` does); return notes on files that were not used. The upload is hostile input: walked
    without following links and bounded (``intake.files.upload_files``), each file read as one regular
    file of at most 64 MB and parsed by the one capped JSON reader, so no file of it can stop the run."""
    from ..intake.files import SubmissionError, read_regular_file, upload_files
    from ..terminal import printable
    from .matching import Released, identify, released

    known = [Released(nb.filename, released(nb.source).grade_ids) for nb in spec.notebooks]
    files, notes = upload_files(submission)
    chosen: dict[str, tuple[str, bytes]] = {}
    for rel, path in files:
        shown = printable(rel)
        try:
            data = read_regular_file(path, max_bytes=MAX_UPLOAD_BYTES, what=shown)
        except SubmissionError as exc:
            notes.append(f"{shown}: {exc}")
            continue
        found = identify(data, path.name, known)
        if found.notebook is None:
            notes.append(f"{shown}: {printable(found.how)}")
            continue
        name = found.notebook.filename
        if name in chosen and Path(chosen[name][0]).name == name:     # the file under the released name wins
            notes.append(f"{shown}: another copy of {name}; {printable(chosen[name][0])} was graded")
            continue
        if name in chosen:
            notes.append(f"{printable(chosen[name][0])}: another copy of {name}; {shown} was graded")
        chosen[name] = (rel, data)
    for name, (_, data) in chosen.items():
        (into / name).write_bytes(data)
    return notes


def run(assignment: str, root: Path) -> int:
    """Grade /autograder/submission; write /autograder/results/results.json. Exit status 1 when the
    grading machine failed (nothing written: Gradescope then reports a failed autograder run, which
    the instructor reruns, rather than a zero)."""
    from ..classrun.autograde import Submission, grade_student, graded
    from ..outputs.gradescope import write_results_json
    from ..terminal import printable, say, warn

    spec = registry.load(assignment)
    results = root / "results"
    with tempfile.TemporaryDirectory(prefix="learnathon-gradescope-") as tmp:
        folder = Path(tmp) / "submission" / assignment
        folder.mkdir(parents=True)
        notes = place_submission(spec, root / "submission", folder)
        # The sandbox's root holds nothing of /autograder but the libraries of the venv (sandbox/view.py):
        # student code can neither read the source, the submission nor results/, nor forge what Gradescope shows.
        result = graded(Submission("submission", folder, ""), spec, lambda: grade_student(spec, folder, "submission"))
    if result.not_graded:
        warn(f"learnathon: NOT GRADED, the grading machine failed: {printable(result.not_graded)}")
        return 1
    path = results / "results.json"
    import jsonschema

    try:
        write_results_json(result, path, tuple(notes))
    except jsonschema.ValidationError as exc:
        warn(f"learnathon: NOT GRADED, the results break Gradescope's specification: {printable(exc.message)}")
        return 1
    say(f"learnathon: {result.score:g} / {result.max_score:g} points; results in {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.platforms.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="grade the submission in ROOT/submission (inside Gradescope's container)")
    go.add_argument("assignment")
    go.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    with guarded_streams():
        return run(args.assignment, args.root)


if __name__ == "__main__":
    sys.exit(main())
