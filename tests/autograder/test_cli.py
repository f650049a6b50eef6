"""The `learnathon` command line: help, documentation, usage errors, `grade --json`."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.grading import discovery
from tests.autograder import tiny_assignment as tiny

README = discovery.PROJECT_ROOT / "README.md"
pytestmark = pytest.mark.usefixtures("cold_start")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def every_command(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from every_command(command, (*prefix, name))


@pytest.mark.parametrize("command", list(every_command(main)), ids=" ".join)
def test_every_command_has_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and len(result.output.splitlines()) > 3


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented_in_the_readme(name):
    assert f"learnathon {name}" in README.read_text(), f"README.md does not mention `learnathon {name}`"


def assert_usage_error(result, reason: str):
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and reason in last, result.output


@pytest.mark.usefixtures("registered_tiny")
def test_usage_errors_exit_2_with_a_one_line_reason(tmp_path):
    assert_usage_error(invoke("grade", str(tmp_path / "tiny.ipynb"), "--assignment", "nope"),
                       "unknown assignment 'nope' (available: tiny)")
    assert_usage_error(invoke("grade", str(tmp_path / "other.ipynb"), "--assignment", "tiny"),
                       "other.ipynb is not a notebook of assignment tiny")
    assert_usage_error(invoke("autograde", "tiny", "--course", str(tmp_path)), "is not an nbgrader course directory")
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "file.txt").write_text("x")
    assert_usage_error(invoke("init", str(tmp_path / "occupied")), "exists and is not empty")
    assert_usage_error(invoke("grade", str(tmp_path / "tiny.ipynb")), "Missing option '--assignment'")
    assert_usage_error(invoke("autograde", "tiny", "--jobs", "0"), "Invalid value for '--jobs'")


@pytest.mark.usefixtures("registered_tiny")
def test_grade_json_prints_exactly_the_documented_keys(tmp_path):
    path = tiny.submission(tmp_path / "tiny.ipynb", forward="def forward(X, params):\n    return relu(X @ "
                                                            "params['W'])\n")
    result = invoke("grade", str(path), "--assignment", "tiny", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"assignment", "score", "max_score", "tests", "error"}
    assert all(set(t) == {"name", "points", "max_points", "passed", "message", "mistake", "concepts"}
               for t in report["tests"])
    assert (report["assignment"], report["score"], report["max_score"], report["error"]) == ("tiny", 4.0, 6.0, None)


@pytest.mark.usefixtures("registered_tiny")
def test_grade_exits_0_for_an_unreadable_notebook(tmp_path):
    path = tmp_path / "tiny.ipynb"
    path.write_bytes(b"\xff\xfe not a notebook")
    result = invoke("grade", str(path), "--assignment", "tiny", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["score"] == 0 and "not UTF-8" in report["error"]


@pytest.mark.usefixtures("registered_tiny")
def test_grade_prints_a_readable_report_by_default(tmp_path):
    result = invoke("grade", str(tmp_path / "tiny.ipynb"), "--assignment", "tiny")
    assert result.exit_code == 0
    assert result.output.startswith("tiny / tiny.ipynb: 0 / 6")
    assert "could not be opened" in result.output


def test_sandbox_lists_every_protection_then_checks_them_from_inside_a_sandbox():
    from autograder.sandbox.launcher import namespaces_available, protections

    result = invoke("sandbox")
    names = [p.name for p in protections()]
    assert len(names) >= 9
    assert all(name in result.output for name in names + ["no network", "whole-submission limits"])
    assert "Checked from inside a real sandbox" in result.output and "libraries" in result.output
    if namespaces_available():      # as root every protection must hold here
        assert result.exit_code == 0 and result.output.rstrip().endswith("Every protection holds."), result.output
    else:
        assert result.exit_code == 1 and "NO " in result.output
