"""The new commands' --help, and their usage errors (exit 2 with the reason)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from autograder.cli import main


@pytest.mark.parametrize("command", ["collect", "export-grades", "feedback-archive", "gradescope"])
def test_every_new_command_has_help(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage: main " + command in result.output.replace("learnathon", "main")


@pytest.mark.parametrize("args, reason", [
    (["collect", "cs1", "x.zip", "--from", "blackboard"], "'blackboard' is not one of 'moodle', 'canvas'"),
    (["export-grades", "cs1", "--to", "moodle"], "Missing option '--out'"),
    (["feedback-archive", "cs1", "--to", "csv", "--out", "f.zip"], "'csv' is not one of 'moodle', 'canvas'"),
    (["gradescope", "nope", "--out", "a.zip"], "unknown assignment 'nope'"),
    (["export-grades", "cs1", "--to", "csv", "--out", "g.csv", "--course", "/nonexistent"], "not an nbgrader course"),
])
def test_usage_errors_exit_2_with_the_reason(args, reason, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert reason in result.output
