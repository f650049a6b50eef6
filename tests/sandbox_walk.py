"""A submission of the tiny assignment that walks the whole file tree its sandbox shows it: its relu is
right only if that tree is exactly the allowlist root (``sandbox/view.py``) the test expects, so a
command's score says whether it runs student code in that root. The tree is compared by digest (the
notebook stays small); the worker's own ``__pycache__`` is left out, as it differs between copies."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat

from autograder.sandbox import view as views

sys.path.insert(0, str(Path(__file__).parent / "autograder"))
import tiny_assignment as tiny  # noqa: E402

SKIPPED = f"{views.WORKER_INSIDE}/__pycache__"


def digest(paths) -> str:
    kept = sorted(p for p in paths if not (p + "/").startswith(SKIPPED + "/"))
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


def expected_digest(libraries: tuple[str, ...], scratch: tuple[str, ...] = (".ipython",),
                    executable: str | None = None) -> str:
    return digest(views.expected_tree(views.build(tuple(libraries), executable), list(scratch)))


def walking_submission(path: Path, expected: str) -> Path:
    walk = views.WALK + f"""
import hashlib, os
TREE = [p for p in visible_tree() if not (p + "/").startswith({SKIPPED + "/"!r})]
MATCH = hashlib.sha256("\\n".join(sorted(TREE)).encode()).hexdigest() == {expected!r}
"""
    relu = "def relu(z):\n    return np.maximum(z, 0.0) if MATCH else z\n"
    return tiny.submission(path, relu=relu, edit=lambda nb: nb.cells.insert(2, nbformat.v4.new_code_cell(walk)))
