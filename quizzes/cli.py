"""``learnathon quiz ...``: thin click commands over the keyword-only functions below."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from autograder.terminal import guarded_group, say
from quizzes.catalog import DESCRIPTIONS, QUIZ_NAMES, get_quiz
from quizzes.export import FORMATS, ExportError, ExportResult, default_filename, export_quiz
from quizzes.model import BankError
from quizzes.results import ResultsError, ResultsReport, report_results, write_template

Command = TypeVar("Command", bound=Callable[..., Any])

if TYPE_CHECKING:
    _GuardedGroup = click.Group     # what guarded_group() makes: a click.Group subclass (made by a call at run time)
else:
    _GuardedGroup = guarded_group()


def export_main(*, format: str, quiz_name: str, out: Path | str, seed: int = 0,
                shuffle: bool = False) -> ExportResult:
    """``out`` is a file, or a directory (existing, or given with a trailing slash) for the default name."""
    quiz = get_quiz(quiz_name, seed)
    names_directory = str(out).endswith(("/", "\\"))
    out = Path(out)
    if names_directory or out.is_dir():
        out = out / default_filename(quiz.name, format)
    return export_quiz(quiz, format, out, shuffle=shuffle, seed=seed)


def results_main(*, file: Path, out: Path, quiz_name: str = "all", seed: int = 0) -> ResultsReport:
    return report_results(Path(file), get_quiz(quiz_name, seed), Path(out))


def template_main(*, out: Path, quiz_name: str = "lecture", seed: int = 0) -> Path:
    return write_template(get_quiz(quiz_name, seed), Path(out))


def _quiz_option(default: str) -> Callable[[Command], Command]:
    return click.option("--quiz", "quiz_name", type=click.Choice(QUIZ_NAMES), default=default, show_default=True,
                        help="Which questions (see `quiz list`): " + ", ".join(QUIZ_NAMES) + ".")
def _seed_option(help: str = "Variant of the parametric questions (their ids end in -s<seed>).",
                 ) -> Callable[[Command], Command]:
    return click.option("--seed", type=int, default=0, show_default=True, help=help)


@click.group(name="quiz", cls=_GuardedGroup)
def quiz() -> None:
    """Export the lecture's question bank and chart live-poll results."""


@quiz.command("list")
@_seed_option()
def list_command(seed: int) -> None:
    """List the quizzes, their questions and the export formats."""
    for name in QUIZ_NAMES:
        selected = get_quiz(name, seed)
        say(f"{name}: {len(selected.questions)} questions ({DESCRIPTIONS[name]})")
        if name != "all":
            for question in selected.questions:
                marks = " [several correct]" if question.multiple_correct else ""
                say(f"  {question.id}{marks}")
    say("formats: " + ", ".join(FORMATS))


@quiz.command("export")
@click.option("--format", "format_", required=True, type=click.Choice(list(FORMATS)),
              help="Output format (vevox: UNVERIFIED format, no public specification; see quizzes/README.md).")
@_quiz_option("lecture")
@_seed_option("Variant of the parametric questions, and the order --shuffle uses.")
@click.option("--shuffle", is_flag=True, help="Shuffle the options of every question (order fixed by --seed).")
@click.option("--out", required=True, type=click.Path(),
              help="Output file, or a directory (existing or ending in /) to write <quiz><suffix> into.")
def export_command(format_: str, quiz_name: str, seed: int, shuffle: bool, out: str) -> None:
    """Write a quiz in one format and report every question the format made us adapt or skip."""
    try:
        result = export_main(format=format_, quiz_name=quiz_name, out=out, seed=seed, shuffle=shuffle)
    except (BankError, ExportError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in result.summary_lines():
        say(line)


@quiz.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for one chart per question, item-analysis.png and summary.csv / .md / .json.")
@_quiz_option("all")
@_seed_option()
def results_command(file: Path, out: Path, quiz_name: str, seed: int) -> None:
    """Chart poll results and summarise them with an item analysis.

    FILE is vote counts (CSV or xlsx: question_id, option, option_text, votes) or Vevox's poll-results
    report (xlsx with a "Polling Results" sheet, one row per participant; layout unverified, see the
    README), whose polls are matched to bank questions by text, or the session file of `learnathon
    live` (the quiz it asked). Per-participant data adds the discrimination (point-biserial,
    upper-lower 27%).
    """
    try:
        report = results_main(file=file, out=out, quiz_name=quiz_name, seed=seed)
    except (BankError, ResultsError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.summary_lines():
        say(line)


@quiz.command("from-report")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True,
              help="How many of the class's most common named mistakes to ask about.")
@click.option("--format", "format_", required=True, type=click.Choice(list(FORMATS)),
              help="Output format (as for `quiz export`).")
@click.option("--shuffle", is_flag=True, help="Shuffle the options of every question (order fixed by --seed).")
@click.option("--seed", type=int, default=0, show_default=True, help="The order --shuffle uses.")
@click.option("--out", required=True, type=click.Path(),
              help="Output file, or a directory (existing or ending in /) to write <assignment>-follow-up<suffix> "
                   "into.")
def from_report_command(report: Path, top: int, format_: str, shuffle: bool, seed: int, out: str) -> None:
    """Turn a class report's top mistakes into a follow-up poll.

    REPORT is the report.json of `learnathon report`. Each of the TOP most common named mistakes
    becomes a wrong option of its catalogued question (mistakes.toml of the assignment), next to the
    right answer, explained by the message the grader showed; mistakes of one question share it.
    Exported like the question bank, in any format.
    """
    from quizzes.from_report import ReportFileError, follow_up_quiz, read_report

    try:
        follow_up = follow_up_quiz(read_report(report), top=top, source=str(report))
    except ReportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if not follow_up.quiz.questions:
        raise click.ClickException(f"{report}: none of the top {top} mistakes is catalogued, so there is no question "
                                   "to ask" + (f" ({', '.join(follow_up.not_catalogued)})" if follow_up.not_catalogued
                                               else " (the class made no named mistake)"))
    target = Path(out)
    if str(out).endswith(("/", "\\")) or target.is_dir():
        target = target / default_filename(follow_up.quiz.name, format_)
    try:
        result = export_quiz(follow_up.quiz, format_, target, shuffle=shuffle, seed=seed)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in follow_up.summary_lines() + result.summary_lines():
        say(line)


@quiz.command("template")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the empty results file (.csv, or .xlsx for a spreadsheet).")
@_quiz_option("lecture")
@_seed_option()
def template_command(out: Path, quiz_name: str, seed: int) -> None:
    """Write an empty poll-results file for a quiz, one row per option, to fill in with vote counts."""
    path = template_main(out=out, quiz_name=quiz_name, seed=seed)
    say(f"results template -> {path}")
