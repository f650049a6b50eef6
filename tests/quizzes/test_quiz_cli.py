"""The click group `quiz` that autograder/cli.py mounts as `learnathon quiz`."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from quizzes.cli import quiz
from quizzes.export import FORMATS


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(quiz, list(map(str, args)))


def test_group_name_and_commands():
    assert quiz.name == "quiz"
    assert {"export", "results", "template", "list"} <= set(quiz.commands)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_export_every_format(run, tmp_path, format_name):
    result = run("export", "--format", format_name, "--quiz", "all", "--seed", 4, "--shuffle", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    [written] = list(tmp_path.iterdir())
    assert written.stat().st_size > 0
    assert result.output.startswith(f"{format_name}: ")


def test_export_reports_adaptations(run, tmp_path):
    result = run("export", "--format", "kahoot", "--out", tmp_path / "k.xlsx")
    assert result.exit_code == 0
    assert "adapted question 'overfitting-meaning'" in result.output


@pytest.mark.parametrize("args, reason", [
    (["export", "--format", "pdf", "--out", "x"], "Invalid value for '--format'"),
    (["export", "--format", "gift"], "Missing option '--out'"),
    (["export", "--format", "gift", "--quiz", "nope", "--out", "x"], "Invalid value for '--quiz'"),
    (["results", "does-not-exist.csv", "--out", "x"], "does not exist"),
    (["export", "--format", "gift", "--seed", "abc", "--out", "x"], "'abc' is not a valid integer"),
])
def test_usage_errors_exit_2_with_a_one_line_reason(run, args, reason):
    result = run(*args)
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and reason in error_lines[0]


def test_template_then_results(run, tmp_path):
    template = tmp_path / "votes.csv"
    assert run("template", "--out", template).exit_code == 0
    lines = template.read_text().splitlines()
    lines = [line.replace("It squashes the output between 0 and 1,", "It squashes the output between 0 and 1,9")
             if line.startswith("sigmoid-binary,B") else line for line in lines]
    template.write_text("\n".join(lines) + "\n")
    result = run("results", template, "--out", tmp_path / "charts")
    assert result.exit_code == 0, result.output
    assert "sigmoid-binary: 9/9 chose a correct answer (100.0%)" in result.output
    assert (tmp_path / "charts" / "sigmoid-binary.png").exists()


def test_bad_results_file_is_a_clear_error_not_a_traceback(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("question_id,option,votes\nsigmoid-binary,Z,3\n")
    result = run("results", bad, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "Error: " in result.output and "has no option 'Z'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_list_and_help(run):
    listing = run("list").output
    assert "when-sigmoid [several correct]" in listing and "formats: gift, moodle-xml" in listing
    for command in ("export", "results", "template", "list"):
        help_text = run(command, "--help").output
        assert help_text.startswith(f"Usage: quiz {command}")
