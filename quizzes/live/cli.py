"""``learnathon live QUIZ``: a thin click command over ``quizzes.live.server``."""
from __future__ import annotations

from pathlib import Path

import click

from autograder.terminal import say
from quizzes.catalog import QUIZ_NAMES, get_quiz
from quizzes.model import BankError, Quiz

DEFAULT_FOLDER = Path("live-sessions")


def resolve_quiz(name: str, seed: int, top: int) -> Quiz:
    """A bank quiz by name, a bank file (.yaml), or a class report (report.json) whose top mistakes become
    the follow-up poll of ``quiz from-report``."""
    if name in QUIZ_NAMES:
        return get_quiz(name, seed)
    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml"):
        from quizzes.model import load_bank

        return load_bank(path)
    if path.suffix.lower() == ".json":
        from quizzes.from_report import ReportFileError, follow_up_quiz, read_report

        try:
            follow_up = follow_up_quiz(read_report(path), top=top, source=str(path))
        except ReportFileError as exc:
            raise click.ClickException(str(exc)) from exc
        if not follow_up.quiz.questions:
            raise click.ClickException(f"{path}: none of the top {top} mistakes is catalogued, so there is nothing "
                                       "to ask")
        return follow_up.quiz
    raise click.BadParameter(f"{name!r} is none of {', '.join(QUIZ_NAMES)}, a bank file (.yaml) or a class report "
                             "(report.json)", param_hint="QUIZ")


@click.command(name="live")
@click.argument("quiz_name", metavar="QUIZ")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 for the lecture hall's network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free port.")
@click.option("--public-url", metavar="URL",
              help="The address participants use, when it is not this machine's (a tunnel, a cloud host's name).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="Session file (SQLite). Default: live-sessions/<quiz>.sqlite in the current folder.")
@click.option("--new", is_flag=True, help="Start a new session instead of resuming the latest one of this quiz.")
@click.option("--max-participants", type=click.IntRange(1, 100_000), default=3000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Variant of the parametric questions.")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True,
              help="With a report.json: how many of the class's top mistakes to ask about.")
def live(quiz_name: str, host: str, port: int, public_url: str | None, db: Path | None, new: bool,
         max_participants: int, seed: int, top: int) -> None:
    """Run QUIZ live: participants vote on their phones, the lecturer's page shows the votes.

    QUIZ is a bank quiz (lecture, extra, parametric, all), a bank file (.yaml), or a class report's
    report.json (its top mistakes become the follow-up poll, as `quiz from-report` makes it). Prints
    the join address, the session code and a QR code, and the lecturer's address with its secret.
    Every vote is stored in the session file; running the same command again resumes the session.
    Ctrl-C stops the server and writes answers.csv and votes.csv next to the session file; `learnathon
    quiz results SESSION_FILE --out DIR` draws the charts and the item analysis with discrimination.
    """
    from quizzes.live.export import export_session
    from quizzes.live.server import open_session, serve
    from quizzes.live.session import Limits
    from quizzes.live.store import StoreError

    try:
        quiz = resolve_quiz(quiz_name, seed, top)
    except BankError as exc:
        raise click.ClickException(str(exc)) from exc
    db = db or DEFAULT_FOLDER / f"{quiz.name}.sqlite"
    try:
        opened = open_session(quiz, db, new)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        serve(opened, host, port, public_url, Limits(max_participants=max_participants), echo=say)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    finally:
        opened.store.close()
    out = db.with_name(f"{db.stem}-{opened.record.code}")
    answers, votes = export_session(db, out, opened.record.code)
    say(f"session {opened.record.code} stopped; answers: {answers}, vote counts: {votes}")
    say(f"charts and item analysis: learnathon quiz results {db} --out {out / 'results'}")
