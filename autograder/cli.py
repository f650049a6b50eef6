"""`learnathon`: the instructor's command line, a thin layer over the library."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__


def _usage(message: str):
    raise click.UsageError(message)


class LazyGroup(click.Group):
    """Subcommand groups imported only when used: ``quiz`` pulls in the exporters (matplotlib),
    which cost every other command seconds of start-up (``python -X importtime``)."""

    lazy = {"quiz": ("quizzes.cli", "quiz")}

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="learnathon")
def main():
    """Auto-graded assignments and live quizzes for the Neural Networks micro-lecture.

    Instructors: `init` a course, release it with stock nbgrader, `autograde` the class.
    Students: `check` a notebook before submitting. `demo` runs it all on a built-in class.
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--assignment", "assignment_names", multiple=True, metavar="NAME",
              help="Only these assignments (repeatable); default: all of them.")
@click.option("--course-id", default="learnathon", show_default=True, help="nbgrader course id.")
def init(directory, assignment_names, course_id):
    """Create an nbgrader course in DIRECTORY with the assignments registered.

    Writes nbgrader_config.py, source/ with the assignments, the gradebook with every
    assignment, notebook and grade cell, and the student versions in release/. Stock
    `nbgrader release_assignment`, `collect`, `export` and formgrader then work as usual.
    """
    from .discovery import UnknownAssignment
    from .course import CourseError, init as init_course

    try:
        course = init_course(directory, assignment_names=list(assignment_names) or None, course_id=course_id)
    except (CourseError, UnknownAssignment) as exc:
        _usage(str(exc))
    click.echo(f"course {course.course_id!r} ready in {course.root}")


@main.command()
@click.argument("assignment")
@click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The nbgrader course directory.")
@click.option("--student", default=None, help="Grade only this student's submission.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Grade this many submissions in parallel.")
@click.option("--force", is_flag=True, help="Regrade submissions that are already graded and unchanged.")
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Grade on a Dask cluster (scheduler address, e.g. tcp://10.0.0.5:8786) instead of locally.")
@click.option("--json", "as_json", is_flag=True, help="Print the class results as JSON instead of a table.")
def autograde(assignment, course_dir, student, jobs, force, cluster, as_json):
    """Grade every submission of ASSIGNMENT in submitted/ (or one student's).

    Points go to nbgrader's gradebook (manual grades are kept), the graded notebooks to
    autograded/, HTML feedback to feedback/. A broken, hanging or hostile notebook gets the
    points its working parts earn; the run goes on. Rerunning skips what is already graded.
    """
    from . import sandbox
    from .discovery import UnknownAssignment
    from .autograde import autograde as run
    from .course import CourseError
    from .outputs import JsonResults, OutputError, Progress, SummaryTable, standard_outputs
    from .summary import progress_line

    missing = sandbox.missing_protections()
    if missing:
        click.echo(f"warning: sandbox without: {', '.join(missing)} (run as root with util-linux for full isolation)",
                   err=True)
    shown = [Progress(lambda r, i, n: click.echo(progress_line(r, i, n), err=True)),
             JsonResults(echo=click.echo) if as_json else SummaryTable(echo=click.echo)]
    try:
        results = run(course_dir=course_dir, assignment=assignment, student=student, jobs=jobs, force=force,
                      cluster=cluster, outputs=standard_outputs() + shown)
    except (CourseError, UnknownAssignment, LookupError) as exc:
        _usage(str(exc))
    except OutputError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        if cluster is None:
            raise
        _usage(f"cannot reach the cluster at {cluster}: {exc}")
    if any(r.not_graded for r in results):
        sys.exit(1)


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--assignment", required=True, help="The assignment the notebook belongs to (its folder name under assignments/).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the score and every test.")
def grade(notebook, assignment, as_json):
    """Grade one NOTEBOOK outside any course.

    The notebook is matched to its part of the assignment by its file name, as in nbgrader.
    Exits 0 whenever a result was produced (an unreadable notebook scores 0 with `error` set).
    """
    import dataclasses

    from .discovery import UnknownAssignment, load
    from .session import prestart
    from .warm import notebook_preload

    try:
        spec = load(assignment).notebook(notebook.name)
    except UnknownAssignment as exc:
        _usage(str(exc))
    # The sandbox starts first and loads the libraries this notebook imports while the grader
    # imports pytest and reads the notebook.
    config = spec.session_config()
    preload = notebook_preload(config.preload, notebook)
    prestart(dataclasses.replace(config, preload=preload))
    from .feedback import render_text
    from .runner import grade_notebook

    report = grade_notebook(spec, notebook, preload=preload)
    click.echo(json.dumps(report.to_dict(), indent=1) if as_json else render_text(report))


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
def check(notebook):
    """Run NOTEBOOK's visible tests, as a student does before submitting.

    Runs the notebook top to bottom in the sandbox and reports each visible-test cell.
    Exits 0 if all pass, 1 otherwise.
    """
    from .check import check_notebook
    from .notebook import SubmissionError

    try:
        report = check_notebook(notebook)
    except SubmissionError as exc:
        click.echo(f"{notebook.name}: {exc}")
        sys.exit(1)
    click.echo(report.render())
    sys.exit(0 if report.all_passed else 1)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Submissions graded in parallel.")
def demo(directory, jobs):
    """Run the whole workflow on a built-in demo class, in DIRECTORY or a new temporary folder.

    Creates a course, generates the student versions with nbgrader, fabricates a class
    (full solutions, typical mistakes, untouched, broken and endlessly looping notebooks),
    autogrades it, exports grades, exports the lecture quiz in every format, and prints where
    everything is.
    """
    from .demo import run_demo

    run_demo(directory=directory, jobs=jobs, echo=click.echo)


@main.command()
def sandbox():
    """Show which isolation protections the grader can apply on this machine."""
    from .sandbox import protections

    for p in protections():
        click.echo(f"{'yes' if p.active else 'NO ':<4} {p.name:<24} {p.detail}")

