"""The Gradescope autograder zip, unpacked into a fake /autograder and run as Gradescope runs it, on the
reference solution, the untouched student version, a hostile submission and one that walks its sandbox's
whole file tree: a valid results.json with the expected scores, failure details only after publication,
nothing the submission forged, student code in exactly the allowlist root."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.outputs.gradescope import results_schema
from tests.autograder import tiny_assignment as tiny

RESULTS_SCHEMA = results_schema()      # written from Gradescope's specification (test_gradescope_results.py)
WRONG_FORWARD = "def forward(X, params):\n    return relu(X @ params['W'])\n"
FORGERY = {"score": 1000, "tests": [], "stdout_visibility": "visible", "output": "forged"}
HOSTILE = f"""
import glob, json, os
print(json.dumps({FORGERY!r}))                         # a fake results.json on stdout
for folder in ["/autograder/results", *glob.glob("/tmp/learnathon-gs-*/results")]:
    for name in ("results.json", "forged.json"):
        try:
            with open(os.path.join(folder, name), "w") as handle:
                json.dump({FORGERY!r}, handle)
        except OSError:
            pass
"""


@pytest.fixture(scope="module")
def autograder_zip(module_registered_tiny, tmp_path_factory):  # noqa: ARG001 (requested for its effect)
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", "tiny", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def fake_autograder(autograder_zip: Path, submission: Path) -> Path:
    """/autograder as Gradescope lays it out: source/ (the unpacked zip), run_autograder, submission/, results/.
    Under /tmp and traversable, as /autograder is: the sandbox's unprivileged user runs the project from it."""
    root = Path(tempfile.mkdtemp(prefix="learnathon-gs-", dir="/tmp"))
    root.chmod(0o755)
    with zipfile.ZipFile(autograder_zip) as archive:
        for info in archive.infolist():
            archive.extract(info, root / "source")
            (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    for folder in (root / "source").rglob("*"):
        if folder.is_dir():
            folder.chmod(0o755)
    (root / "source").chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy2(submission, root / "submission" / submission.name)
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNATHON_")}   # only the zip's copy
    env.update(LEARNATHON_GRADESCOPE_ROOT=str(root), LEARNATHON_PYTHON=sys.executable, LEARNATHON_COLD_START="1")
    return subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)


def plant_hostile_files(upload: Path) -> None:
    """Beside the honest notebook: files nested past any stack, numbers past any int, links, a pipe,
    folders nested 40 deep, a name with escape sequences (issue 21: one of them stopped the run)."""
    (upload / "deep.ipynb").write_bytes(b'{"cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")
    (upload / "digits.ipynb").write_bytes(b'{"cells": [], "nbformat": ' + b"9" * 5000 + b"}")
    (upload / "\x1b[2Jescape.ipynb").write_bytes(b"{")
    os.symlink("/etc/passwd", upload / "link.ipynb")
    os.mkfifo(upload / "pipe.ipynb")
    deep = upload.joinpath(*["d"] * 40)
    deep.mkdir(parents=True)
    (deep / "x.ipynb").write_bytes(b"{}")


@pytest.fixture(scope="module")
def graded(autograder_zip, tmp_path_factory):
    from autograder.grading import discovery
    from autograder.sandbox import launcher
    from tests.sandbox_walk import expected_digest, walking_submission

    work = tmp_path_factory.mktemp("submissions")
    walk = expected_digest(discovery.load("tiny").notebooks[0].libraries) if launcher.namespaces_available() else ""
    submissions = {
        "reference": tiny.submission(work / "reference" / "tiny.ipynb"),
        "walk": walking_submission(work / "walk" / "tiny.ipynb", walk),
        "untouched": tiny.submission(work / "untouched" / "my notebook.ipynb", relu="", forward=""),
        "hostile": tiny.submission(work / "hostile" / "tiny-1.ipynb", forward=WRONG_FORWARD, extra_cells=[HOSTILE]),
    }
    submissions["hostile-upload"] = submissions["reference"]
    runs = {}
    for kind, path in submissions.items():
        root = fake_autograder(autograder_zip, path)
        if kind == "hostile-upload":
            plant_hostile_files(root / "submission")
        try:
            done = run_autograder(root)
            results = root / "results" / "results.json"
            runs[kind] = (done, json.loads(results.read_text()) if results.is_file() else None,
                          sorted(p.name for p in (root / "results").iterdir()))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return runs


def test_the_zip_holds_setup_run_autograder_and_only_this_assignment(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        assert (archive.getinfo("run_autograder").external_attr >> 16) & 0o111
        assert "pip install /autograder/source/learnathon" in archive.read("setup.sh").decode()
    assert "learnathon/autograder/hidden/tiny/test_tiny.py" in names
    assert not any(n.startswith("learnathon/autograder/hidden/cs") for n in names)
    assert "learnathon/assignments/tiny/tiny.ipynb" in names


@pytest.mark.parametrize("kind, score", [("reference", 6.0), ("untouched", 0.0), ("hostile", 4.0), ("walk", 6.0)])
def test_results_json_is_valid_with_the_expected_score(graded, kind, score):
    from autograder.sandbox import launcher

    if kind == "walk" and not launcher.namespaces_available():
        pytest.skip("the allowlist root needs root and bubblewrap")
    done, results, _ = graded[kind]
    assert done.returncode == 0, done.stderr[-3000:]
    assert results is not None
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == pytest.approx(score)
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(score)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(6.0)
    assert results["stdout_visibility"] == "hidden"


def test_failure_details_wait_for_publication(graded):
    _, results, _ = graded["hostile"]
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    details = [t for t in results["tests"] if t["visibility"] == "after_published"]
    assert [t["name"] for t in details] == ["tiny: test_forward (details)"]
    assert "the bias b is missing" in details[0]["output"] and details[0]["max_score"] == 0
    assert details[0]["status"] == "failed"     # 0 of 0 would otherwise read "passed" once published
    assert not any("bias" in t["output"] for t in visible)
    assert {t["name"]: t["status"] for t in visible} == {
        "tiny: test_relu": "passed", "tiny: test_relu_scalar_shape": "passed", "tiny: test_forward": "failed"}


def test_a_hostile_submission_neither_forges_nor_writes_results(graded):
    _, results, written = graded["hostile"]
    assert results["score"] == pytest.approx(4.0) and "forged" not in json.dumps(results)
    assert written == ["results.json"]          # its forged.json never reached results/


def test_a_renamed_notebook_is_graded_and_noted_files_are_listed(graded):
    _, results, _ = graded["untouched"]
    assert "Files not graded" not in results["output"]     # "my notebook.ipynb" was recognised by content
    assert len([t for t in results["tests"] if t["visibility"] == "visible"]) == 3


def test_hostile_files_beside_the_notebook_cost_only_themselves(graded):
    done, results, _ = graded["hostile-upload"]
    assert done.returncode == 0, done.stderr[-3000:]
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == pytest.approx(6.0)
    notes = results["output"]
    assert "deep.ipynb: not a notebook Jupyter writes (nested more than 100 levels deep)" in notes
    assert "digits.ipynb: not a notebook Jupyter writes (a number with 5000 digits)" in notes
    assert "link.ipynb: a symbolic link, not read" in notes and "pipe.ipynb is a named pipe (FIFO)" in notes
    assert "folders nested more than 16 deep, not read" in notes and "\\x1b[2Jescape.ipynb" in notes
    assert "\x1b" not in notes and "\x1b" not in done.stdout + done.stderr


def test_an_empty_submission_still_gets_a_result(autograder_zip, tmp_path):
    note = tmp_path / "readme.txt"
    note.write_text("I could not finish")
    root = fake_autograder(autograder_zip, note)
    try:
        done = run_autograder(root)
        assert done.returncode == 0, done.stderr[-3000:]
        results = json.loads((root / "results" / "results.json").read_text())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert results["score"] == 0
    assert "tiny.ipynb was not submitted" in results["output"]
    assert "readme.txt: not a notebook" in results["output"]
