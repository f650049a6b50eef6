"""The sandbox's allowlist root (``sandbox/view.py``): what it holds, and, from inside a run, that the
whole visible tree is exactly that."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from autograder.grading import discovery
from autograder.intake.cells import Cell
from autograder.sandbox import launcher
from autograder.sandbox import view as views
from autograder.sandbox.session import SessionConfig, StudentSession
from tests.autograder.tiny_assignment import start_sandboxes

as_root = pytest.mark.skipif(not launcher.namespaces_available(), reason="needs root and bubblewrap")
CS2 = discovery.load("cs2")


@pytest.fixture(autouse=True)
def warm_means_warm(monkeypatch):
    start_sandboxes(monkeypatch, cold=False)


# --- which distributions: the declared libraries and what they require, never this project ---------------------------

def dist(site: Path, name: str, files: list[str], requires: list[str] = ()) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: " + name + "\nLicense: a licence\n   \n   with a "
                                   "blank continuation\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
                                   + "\nA description: Requires-Dist: not-a-header\n")
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")
    listed = [*files, f"{name}-1.0.dist-info/METADATA", f"{name}-1.0.dist-info/RECORD", "../../../bin/" + name]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in listed))


def test_the_closure_is_the_declared_libraries_and_what_they_require_at_this_python(tmp_path):
    site = tmp_path / "site-packages"
    dist(site, "alpha", ["alpha/__init__.py"], ["beta>=1", "gamma; extra == 'docs'", "delta; python_version < '3'",
                                                "epsilon; sys_platform == 'linux' or sys_platform == 'darwin'"])
    dist(site, "beta", ["beta.py", "__pycache__/beta.cpython-311.pyc"])
    dist(site, "gamma", ["gamma/__init__.py"])
    dist(site, "delta", ["delta/__init__.py"])
    dist(site, "epsilon", ["eps_module/__init__.py", "eps_module.libs/libx.so"])
    dist(site, "scikit_thing", ["thing/__init__.py"])                 # a module named unlike its distribution
    dist(site, "learnathon", ["autograder/hidden/cs1/test_x.py", "solutions/__init__.py", "assignments/a.ipynb"],
         ["alpha"])
    (site / "__pycache__" / "orphan.cpython-311.pyc").write_text("")  # in nobody's RECORD
    (site / "copied_by_hand").mkdir()
    chosen, missing = views.closure(["alpha.sub", "thing", "nothere", "autograder"], views.installed([str(site)]))
    assert [d.name for d in chosen] == ["alpha", "beta", "epsilon", "scikit-thing"]
    assert missing == ["nothere"]              # autograder is provided (by learnathon), which is never bound
    entries = sorted(os.path.relpath(e, site) for d in chosen for e in views.distribution_entries(d))
    assert entries == ["__pycache__/beta.cpython-311.pyc", "alpha", "alpha-1.0.dist-info", "beta-1.0.dist-info",
                       "beta.py", "eps_module", "eps_module.libs", "epsilon-1.0.dist-info",
                       "scikit_thing-1.0.dist-info", "thing"]


# --- the view of this installation ----------------------------------------------------------------------------------

@as_root
def test_the_view_holds_no_part_of_the_project_but_the_worker_and_no_home_of_anyone():
    view = views.build(CS2.notebooks[0].libraries)
    project = str(discovery.PROJECT_ROOT.resolve())
    venv = os.path.realpath(sys.prefix)
    for source, inside in view.binds:
        if source.startswith(project + "/"):
            assert source == str(views.WORKER) and inside == str(views.WORKER_INSIDE) or \
                source.startswith(venv + "/"), source
    assert "learnathon" not in view.distributions and {"torch", "numpy", "ipython", "scikit-learn"} <= \
        set(view.distributions)
    tops = {Path(inside).parts[1] for _, inside in view.binds} | {Path(i).parts[1] for i, _ in view.symlinks}
    way = {Path(os.path.realpath(p)).parts[1] for p in (sys.prefix, sys.base_prefix, sys.executable)} | \
        {Path(p).parts[1] for p in (sys.prefix, sys.executable)}
    assert tops <= {"usr", "lib", "lib64", "etc", "learnathon"} | way, tops - way
    assert not tops & {"home", "srv", "tmp", "var", "opt", "mnt", "media", "sys", "boot"} - way


@pytest.fixture(scope="module", params=["cold", "warm"])
def walked(request):
    """The whole tree a cs2 run sees (its libraries and released files), walked from inside."""
    spec = CS2.notebooks[0]
    config = SessionConfig(cell_timeout=120, call_timeout=120, warm=request.param == "warm",
                           libraries=spec.libraries, preload=spec.preload if request.param == "warm" else (),
                           files=spec.files, limits=launcher.Limits(memory_mb=4096))
    with StudentSession([Cell(0, views.WALK + "TREE = visible_tree()\nimport os\nHERE = sorted(os.listdir('.'))\n")],
                        config) as session:
        outcome = session.start()[0]
        assert outcome.ok, outcome.error
        return spec, session.get("TREE"), session.get("HERE")


@as_root
def test_the_whole_visible_tree_is_exactly_the_allowlist(walked):
    spec, tree, here = walked
    # The scratch folder: the released files, and what the worker itself made there (IPython's folder).
    assert set(here) == {f.name for f in spec.files} | {".ipython"}, here
    expected = views.expected_tree(views.build(spec.libraries), here)
    seen = set(tree)
    assert len(tree) == len(seen)
    assert sorted(seen - expected) == [] and sorted(expected - seen) == []
    # and what that means: the sources, solutions, hidden tests, this checkout's files are nowhere.
    project = str(discovery.PROJECT_ROOT.resolve())
    assert not [p for p in seen if p.startswith(project + "/") and not p.startswith(os.path.realpath(sys.prefix))]
    # worker/probes.py (and its __pycache__/probes.*.pyc) is the worker's, not the hidden one of the same name
    worker = {p.name for p in views.WORKER.rglob("*")}
    files = [p for p in discovery.hidden_root().rglob("*") if p.is_file()]
    # Fixtures (NOTEBOOK/KIND.py) have names a library may share (modules.py): matched with their folder.
    fixtures = {f"{p.parent.name}/{p.name}" for p in files if "fixtures" in "/".join(p.parts[-4:-1])}
    hidden = {p.name for p in files if "fixtures" not in "/".join(p.parts[-4:-1])} - worker - {"__init__.py"}
    assert hidden and fixtures
    assert not [p for p in seen if Path(p).name in hidden or Path(p).suffix == ".ipynb"
                or "/".join(Path(p).parts[-2:]) in fixtures]


# --- what the sandbox's user cannot read is named, with the fix -----------------------------------------------------

def test_a_bound_folder_its_user_cannot_read_is_named_with_the_fix(tmp_path):
    closed = tmp_path / "closed-site"
    closed.mkdir(mode=0o700)
    (tmp_path / "open.py").write_text("")
    (tmp_path / "open.py").chmod(0o644)
    view = views.View(binds=((str(closed), str(closed)), (str(tmp_path / "open.py"), str(tmp_path / "open.py"))),
                      symlinks=(), emptied=(), distributions=(), missing=(), argv0=sys.executable)
    problems = views.reach_problems(view)
    assert len(problems) == 1 and str(closed) in problems[0] and f"chmod o+rx {closed}" in problems[0]


def test_only_the_sandboxs_own_import_path_counts_not_the_graders(tmp_path, monkeypatch):
    """The sandbox's python runs isolated (-I): a folder on the grader's PYTHONPATH is not in its view."""
    elsewhere = tmp_path / "on-the-graders-path"
    elsewhere.mkdir()
    monkeypatch.syspath_prepend(str(elsewhere))
    view = views.build(())
    assert not [s for s, _ in view.binds if s.startswith(str(elsewhere))]
    assert any(inside.endswith("/numpy") for _, inside in view.binds)


# --- every command that runs student code gives it this root ------------------------------------------------------
# (the Gradescope runner: tests/platforms/test_gradescope.py; a non-editable install: test_sandbox.py, e2e)

@pytest.fixture
def walking_tiny(tmp_path, monkeypatch):
    """The tiny assignment with time for a walk of ~50,000 paths on a loaded machine (its usual limits are 3 s)."""
    from tests.autograder import tiny_assignment as tiny

    roots = tmp_path / "assignments", tmp_path / "hidden"
    tiny.write_assignment(*roots, settings={"cell_timeout": 120, "call_timeout": 30, "total_timeout": 600,
                                            "call_budget": 120})
    return tiny.register(monkeypatch, roots)


@as_root
@pytest.mark.parametrize("command", ["grade", "check", "autograde --jobs 2"])
def test_grade_check_and_autograde_run_student_code_in_exactly_the_allowlist_root(command, walking_tiny, tmp_path):
    from tests.autograder.tiny_assignment import PART
    from tests.sandbox_walk import expected_digest, walking_submission

    spec = walking_tiny.notebooks[0]
    walker = walking_submission(tmp_path / f"{PART}.ipynb", expected_digest(spec.libraries))
    wrong = walking_submission(tmp_path / "wrong" / f"{PART}.ipynb", "0" * 64)    # the control: it can fail
    if command == "grade":
        from autograder.grading.runner import grade_notebook

        scores = [grade_notebook(spec, path).score for path in (walker, wrong)]
    elif command == "check":
        from autograder.grading.visible import check_notebook

        scores = [float(check_notebook(path).passed) for path in (walker, wrong)]
        assert scores == [2.0, 0.0]            # without the match relu is wrong, and so is forward, which uses it
        return
    else:
        import shutil

        from autograder.admin import course
        from autograder.classrun.autograde import autograde

        the_course = course.init(tmp_path / "course", course_id="walk")
        for student, path in (("ada", walker), ("bob", walker), ("eve", wrong)):
            shutil.copy(path, the_course.submission_dir(student, "tiny").mkdir(parents=True) or
                        the_course.submission_dir(student, "tiny"))
        results = {r.student: r.score for r in autograde(course_dir=the_course.root, assignment="tiny", jobs=2)}
        scores = [results["ada"], results["eve"]]
        assert results["bob"] == results["ada"]
    assert scores == [6.0, 1.0]                # the control keeps only forward's credit for the right shape
