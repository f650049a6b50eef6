"""`learnathon autograde --cluster`: the same grades on a Dask cluster as locally."""
from __future__ import annotations

import pytest

from autograder.admin.course import init
from autograder.admin.fabricate import read_fixture, solved, truncated, with_cells
from autograder.classrun.autograde import autograde
from autograder.grading import discovery

pytestmark = pytest.mark.e2e

FIXTURES = discovery.load("cs1").hidden_dir / "fixtures"


def fill(course_root):
    parts = discovery.load("cs1")
    wrong = {nb.name: read_fixture(sorted((FIXTURES / nb.name).glob("*.py"))[0]) for nb in parts.notebooks}
    for student in ("ada", "ben", "eve"):
        folder = course_root / "submitted" / student / "cs1"
        folder.mkdir(parents=True)
        for nb in parts.notebooks:
            out = folder / nb.filename
            if student == "ada":
                solved(nb.source, out)
            elif student == "ben":
                with_cells(nb.source, wrong[nb.name].cells, out)
            else:
                truncated(nb.source, out)


def test_a_local_dask_cluster_gives_the_grades_of_a_local_run(tmp_path):
    from distributed import LocalCluster

    local, remote = init(tmp_path / "local", assignment_names=["cs1"]), init(tmp_path / "remote",
                                                                             assignment_names=["cs1"])
    fill(local.root)
    fill(remote.root)
    expected = {r.student: [t.to_dict() for rep in r.reports for t in rep.tests]
                for r in autograde(course_dir=local.root, assignment="cs1")}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        results = autograde(course_dir=remote.root, assignment="cs1", cluster=cluster.scheduler_address)
    got = {r.student: [t.to_dict() for rep in r.reports for t in rep.tests] for r in results}
    assert got == expected
    assert expected["ada"] and all(t["passed"] for t in expected["ada"])
    assert (remote.root / "feedback" / "ben" / "cs1").is_dir()


def test_an_unreachable_cluster_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    course = init(tmp_path / "course", assignment_names=["cs1"])
    fill(course.root)
    result = CliRunner().invoke(main, ["autograde", "cs1", "--course", str(course.root),
                                       "--cluster", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach the cluster" in result.output
