"""`learnathon`: the instructor's command line, a thin layer over the library."""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .platforms import PLATFORMS  # the platform registry: --from/--to take its names
from .terminal import guarded_group, printable, say, warn

if TYPE_CHECKING:
    from .results.records import NotebookReport


def _usage(message: str) -> NoReturn:
    raise click.UsageError(message)


if TYPE_CHECKING:
    _GuardedGroup = click.Group     # what guarded_group() makes: a click.Group subclass (made by a call at run time)
else:
    _GuardedGroup = guarded_group()


class _Commands(_GuardedGroup):
    """A grading machine that cannot grade (its sandbox does not start) is a message with the fix
    (the exception's text says it), never a traceback. Everything printed while a command runs, click's
    own messages included, goes through the terminal writer's guard (``terminal.guarded_streams``)."""

    def invoke(self, ctx: click.Context) -> Any:   # what the command returns (click's own type)
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from .errors import GraderError
            from .sandbox.session import SandboxError

            if isinstance(exc, (GraderError, SandboxError)):
                raise click.ClickException(str(exc)) from exc
            raise


class LazyGroup(_Commands):
    """Subcommand groups imported only when used: ``quiz`` pulls in the exporters (matplotlib),
    which cost every other command seconds of start-up (``python -X importtime``)."""

    lazy = {"quiz": ("quizzes.cli", "quiz"), "live": ("quizzes.live.cli", "live")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="learnathon")
def main() -> None:
    """Auto-graded assignments and live quizzes for the Neural Networks micro-lecture.

    Instructors: `init` a course, release it with stock nbgrader, `autograde` the class.
    Students: `check` a notebook before submitting. `demo` runs it all on a built-in class.
    """
    from .config import Config, configure

    configure(Config.from_environment())     # the one read of the environment (autograder/config.py)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--assignment", "assignment_names", multiple=True, metavar="NAME",
              help="Only these assignments (repeatable); default: all of them.")
@click.option("--course-id", default="learnathon", show_default=True, help="nbgrader course id.")
@click.option("--course-url", default=None, metavar="URL",
              help="Where you publish the contents of release/ (URL/<assignment>/<file>): notebooks opened "
                   "elsewhere (Colab) download their files from there. Kept in nbgrader_config.py.")
def init(directory: Path, assignment_names: tuple[str, ...], course_id: str, course_url: str | None) -> None:
    """Create an nbgrader course in DIRECTORY with the assignments registered.

    Writes nbgrader_config.py, source/ with the assignments, the gradebook with every
    assignment, notebook and grade cell, and the student versions in release/. Stock
    `nbgrader release_assignment`, `collect`, `export` and formgrader then work as usual.
    Every released notebook starts with a setup cell that installs missing packages and
    downloads missing files from --course-url (run init again on the course to change it).
    """
    from .admin.course import CourseError
    from .admin.course import init as init_course
    from .grading.discovery import UnknownAssignment

    try:
        course = init_course(directory, assignment_names=list(assignment_names) or None, course_id=course_id,
                             course_url=course_url)
    except (CourseError, UnknownAssignment) as exc:
        _usage(str(exc))
    say(f"course {course.course_id!r} ready in {course.root}")
    if course.course_url:
        say(f"publish the contents of {course.root / 'release'} at {course.course_url}/")


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
def autograde(assignment: str, course_dir: Path, student: str | None, jobs: int, force: bool, cluster: str | None,
              as_json: bool) -> None:
    """Grade every submission of ASSIGNMENT in submitted/ (or one student's).

    Points go to nbgrader's gradebook (manual grades are kept), the graded notebooks to
    autograded/, HTML feedback to feedback/. A broken, hanging or hostile notebook gets the
    points its working parts earn; the run goes on. Rerunning skips what is already graded.
    """
    from .admin.course import CourseError
    from .classrun.autograde import autograde as run
    from .grading.discovery import UnknownAssignment
    from .outputs import JsonResults, Output, OutputError, Progress, SummaryTable, standard_outputs
    from .results.summary import progress_line
    from .sandbox import launcher as sandbox

    missing = sandbox.missing_protections()
    if missing:
        warn(f"warning: sandbox without: {', '.join(missing)} (run as root with util-linux for full isolation)")
    shown: list[Output] = [Progress(lambda r, i, n: warn(progress_line(r, i, n))),
                           JsonResults(echo=say) if as_json else SummaryTable(echo=say)]
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


def _printable_report(report: NotebookReport) -> NotebookReport:
    """The report with every student-controlled text escaped for the terminal (one line each)."""
    import dataclasses

    tests = [dataclasses.replace(t, name=printable(t.name), message=printable(t.message)) for t in report.tests]
    return dataclasses.replace(report, tests=tests, error=printable(report.error) if report.error else None,
                               notebook=printable(report.notebook),
                               student=printable(report.student) if report.student else None)


@main.command()
@click.argument("assignment")
@click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The nbgrader course directory (graded with `learnathon autograde`).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.html, report.json and the CSV files  [default: COURSE/reports/ASSIGNMENT]")
def report(assignment: str, course_dir: Path, out: Path | None) -> None:
    """Write the class report of ASSIGNMENT: what the class got wrong.

    One self-contained HTML page (charts first: score distribution, most common named mistakes,
    mastery per lecture concept, pass rate per test, crashes/timeouts/attempts; then the tables,
    with who made each mistake) and the data as report.json and CSV. Failures that matched no
    named mistake are grouped by similar messages. Other graded assignments of the course are
    compared concept by concept. Reads the class record every `autograde` run writes.
    """
    from .analytics.report_files import ReportError, make_report

    try:
        files = make_report(course_dir=course_dir, assignment=assignment, out=out)
    except ReportError as exc:
        _usage(str(exc))
    say(f"class report: {files.html}")
    say(f"data:         {files.json}, {', '.join(p.name for p in files.csv.values())}")


@main.command()
@click.argument("assignment")
@click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The nbgrader course directory.")
@click.option("--released", type=click.DateTime(), default=None, metavar="TIME",
              help="When the assignment was released (UTC)  [default: when nbgrader's exchange received it]")
@click.option("--collected", type=click.DateTime(), default=None, metavar="TIME",
              help="When the submissions were collected (UTC)  [default: when each arrived in submitted/]")
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON instead of lines.")
def integrity(assignment: str, course_dir: Path, released: dt.datetime | None, collected: dt.datetime | None,
              as_json: bool) -> None:
    """Review ASSIGNMENT's submissions for copied work, grader detection and shortcuts.

    Similar answer code (after normalisation, the released notebook and the lecture's code removed,
    the instructor's solution compared too), static flags of each student's cells (call stacks,
    gc, sys.modules, patched functions, swapped methods, files outside the folder, processes,
    sockets, code built at run time), the assignment's declared shortcuts, and submission times
    before the release or after the collection. Stored in the class record; `learnathon report`
    shows the evidence. Never a penalty: the instructor decides.
    """

    from .analytics.integrity.lines import review_lines
    from .analytics.integrity.review import IntegrityError, review_and_record

    def utc(when: dt.datetime | None) -> dt.datetime | None:
        return when.replace(tzinfo=dt.UTC) if when is not None else None

    try:
        review = review_and_record(course_dir=course_dir, assignment=assignment, released=utc(released),
                                   collected=utc(collected))
    except IntegrityError as exc:
        _usage(str(exc))
    if as_json:
        say(json.dumps(review.to_dict(), indent=1))
        return
    for line in review_lines(review, str(course_dir)):
        say(line)


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--assignment", required=True, help="The assignment the notebook belongs to (its folder name under "
                                                  "assignments/).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the score and every test.")
def grade(notebook: Path, assignment: str, as_json: bool) -> None:
    """Grade one NOTEBOOK outside any course.

    The notebook is matched to its part of the assignment by its file name, as in nbgrader.
    Exits 0 whenever a result was produced (an unreadable notebook scores 0 with `error` set).
    """
    import dataclasses

    from .grading.discovery import UnknownAssignment, load
    from .sandbox.host import notebook_preload
    from .sandbox.session import prestart

    try:
        spec = load(assignment).notebook(notebook.name)
    except UnknownAssignment as exc:
        _usage(str(exc))
    # The sandbox starts first and loads the libraries this notebook imports while the grader
    # imports pytest and reads the notebook.
    config = spec.session_config()
    preload = notebook_preload(config.preload, notebook)
    prestart(dataclasses.replace(config, preload=preload))
    from .grading.runner import grade_notebook
    from .results.render import render_text

    report = grade_notebook(spec, notebook, preload=preload)
    say(json.dumps(report.to_dict(), indent=1) if as_json else render_text(_printable_report(report)))


@main.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
def check(notebook: Path) -> None:
    """Run NOTEBOOK's visible tests, as a student does before submitting.

    Runs the notebook top to bottom in the sandbox and reports each visible-test cell.
    Exits 0 if all pass, 1 otherwise.
    """
    from .grading.visible import check_notebook
    from .intake.notebook import SubmissionError

    try:
        report = check_notebook(notebook)
    except SubmissionError as exc:
        say(printable(f"{notebook.name}: {exc}"))
        sys.exit(1)
    say(report.render())
    sys.exit(0 if report.all_passed else 1)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Submissions graded in parallel.")
def demo(directory: Path | None, jobs: int) -> None:
    """Run the whole workflow on a built-in demo class, in DIRECTORY or a new temporary folder.

    Creates a course, generates the student versions with nbgrader, fabricates a class
    (full solutions, typical mistakes, untouched, broken and endlessly looping notebooks),
    autogrades it, exports grades, exports the lecture quiz in every format, and prints where
    everything is.
    """
    from .admin.demo import run_demo

    run_demo(directory=directory, jobs=jobs, echo=say)


COURSE_OPTION = click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path),
                             default=Path("."), show_default=True, help="The nbgrader course directory.")


@main.command()
@click.argument("assignment")
@click.option("--from", "platform_name", required=True, type=click.Choice(list(PLATFORMS)),
              help="The platform the archive was downloaded from.")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@COURSE_OPTION
@click.option("--students", "mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Student mapping CSV (platform,platform_id,student,name); created if absent "
                   "[default: COURSE/<platform>_students.csv].")
@click.option("--roster", "class_list", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Canvas: its gradebook export (CSV or xlsx), to decide file names that read two ways and to "
                   "list the students without an upload.")
def collect(assignment: str, platform_name: str, archive: Path, course_dir: Path, mapping: Path | None,
            class_list: Path | None) -> None:
    """Unpack a platform's "download all submissions" ARCHIVE into submitted/.

    Each notebook is recognised by its content (nbgrader cell ids), whatever the student named
    it, and written as submitted/<student>/ASSIGNMENT/<released name>; the latest upload per
    student and notebook is kept. Platform ids, late flags and every file that could not be
    placed (with the reason) go to COURSE/collected/ASSIGNMENT/<platform>.json. A Canvas file
    name that can be read as two students' is collected only when --roster decides it.
    """
    from .admin.course import CourseError
    from .intake.inputs import InputError
    from .platforms import platform
    from .platforms.collect import CollectError
    from .platforms.collect import collect as run
    from .platforms.roster import RosterError

    try:
        report = run(course_dir=course_dir, assignment=assignment, platform=platform(platform_name),
                     archive=archive, mapping=mapping, class_list=class_list)
    except (CourseError, CollectError, InputError, RosterError) as exc:
        _usage(str(exc))
    for p in report.placed:
        late = " LATE" if p.late else ""
        say(f"  {p.student:<28} {p.notebook:<36} <- {printable(p.member)}{late} ({printable(p.how)})")
    say(f"collected {len(report.placed)} notebook(s) of {len(report.students)} student(s) into "
               f"{Path(course_dir).resolve() / 'submitted'}")
    if report.new_students:
        say(f"{len(report.new_students)} new student(s) added to {report.mapping}")
    for note in report.notes:
        say(f"note: {printable(note)}")
    if report.unplaced:
        say(f"{len(report.unplaced)} file(s) not placed:")
        for u in report.unplaced:
            say(f"  {printable(u.member)}: {printable(u.reason)}")
    if report.not_uploaded:
        say(f"{len(report.not_uploaded)} student(s) of the roster without a collected notebook:")
        for e in report.not_uploaded:
            say(f"  {printable(e.name)} (user {printable(e.platform_id)})")
    say(f"record: {report.manifest}")


@main.command("export-grades")
@click.argument("assignment")
@click.option("--to", "target", required=True, type=click.Choice([*PLATFORMS, "csv"]),
              help="moodle: offline grading worksheet; canvas: gradebook import CSV; csv: one row per graded "
                   "student (with the platform id and name collect recorded).")
@COURSE_OPTION
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write.")
@click.option("--platform-assignment", default=None, metavar="TITLE",
              help="Canvas: the assignment column, \"Name (assignment id)\" as in Canvas's gradebook export "
                   "[default: ASSIGNMENT, which makes Canvas create a new assignment].")
@click.option("--out-of", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Rescale scores to this maximum (the platform assignment's maximum grade).")
@click.option("--students", "mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The student mapping CSV used by collect [default: COURSE/<platform>_students.csv].")
def export_grades(assignment: str, target: str, course_dir: Path, out: Path, platform_assignment: str | None,
                  out_of: float | None, mapping: Path | None) -> None:
    """Write ASSIGNMENT's grades from nbgrader's gradebook in a platform's import format.

    Scores are nbgrader's: autograded points, with manual grades from formgrader taking
    precedence. For moodle/canvas every graded student of the mapping file gets a row, under the
    platform's id; students without a graded submission are listed, not written (an empty cell
    would overwrite what the platform has).
    """
    from .admin.course import CourseError
    from .platforms import platform
    from .platforms.collect import CollectError
    from .platforms.grades import GradesError
    from .platforms.grades import export_grades as run
    from .platforms.roster import RosterError

    try:
        rows = run(course_dir=course_dir, assignment=assignment, out=out,
                   platform=None if target == "csv" else platform(target), platform_assignment=platform_assignment,
                   out_of=out_of, mapping=mapping)
    except (CourseError, CollectError, GradesError, RosterError) as exc:
        _usage(str(exc))
    graded = [r for r in rows if r.score is not None]
    say(f"{len(graded)} grade(s) of {len(rows)} student(s) written to {out}")
    ungraded = [r.name or r.student for r in rows if r.score is None]
    if ungraded and target != "csv":
        say(f"not in the file: {len(ungraded)} student(s) without a graded submission (the platform keeps what it "
            f"has for them): {', '.join(ungraded)}")
    if target != "csv":
        for note in platform(target).import_notes(graded):
            warn(note)
    pending = [r.student for r in rows if r.needs_manual_grade]
    if pending:
        warn(f"warning: {len(pending)} submission(s) still need manual grading in formgrader: "
             f"{', '.join(pending)}")


@main.command("feedback-archive")
@click.argument("assignment")
@click.option("--to", "target", required=True, type=click.Choice(list(PLATFORMS)),
              help="moodle: \"Upload multiple feedback files in a zip\"; canvas: \"Re-Upload Submissions\".")
@COURSE_OPTION
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The zip file to write.")
def feedback_archive(assignment: str, target: str, course_dir: Path, out: Path) -> None:
    """Pack each student's HTML feedback in the layout the platform's feedback upload accepts.

    Needs the assignment collected from that platform (`learnathon collect`) and autograded.
    """
    from .admin.course import CourseError
    from .platforms import platform
    from .platforms.collect import CollectError
    from .platforms.feedback_archive import feedback_archive as run

    try:
        packed = run(course_dir=course_dir, assignment=assignment, platform=platform(target), out=out)
    except (CourseError, CollectError) as exc:
        _usage(str(exc))
    say(f"{len(packed.members)} feedback file(s) packed into {packed.path}")
    if packed.missing:
        warn(f"warning: no feedback yet for {', '.join(packed.missing)} (autograde them first)")


@main.command()
@click.argument("assignment")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The autograder zip to write (upload it in Gradescope's \"Configure Autograder\").")
def gradescope(assignment: str, out: Path) -> None:
    """Build a Gradescope autograder zip for ASSIGNMENT.

    The zip holds setup.sh (installs Python 3.11, torch and this project in Gradescope's image)
    and run_autograder, which grades /autograder/submission/*.ipynb with the same hidden tests,
    sandbox and messages as `learnathon autograde` and writes /autograder/results/results.json.
    Test names and points are visible at once; failure details after grades are published.
    """
    from .grading.discovery import UnknownAssignment
    from .platforms.gradescope import build_zip

    try:
        path = build_zip(assignment, out)
    except UnknownAssignment as exc:
        _usage(str(exc))
    say(f"Gradescope autograder for {assignment} written to {path}")


@main.command()
@click.argument("assignment")
@click.option("--notebook", "notebooks", multiple=True, metavar="NAME",
              help="Only this notebook of the assignment (file stem, repeatable); default: all.")
@click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Grader seeds (sets of hidden inputs) each correct solution is graded with.")
@click.option("--mutants-per-notebook", type=click.IntRange(0), default=0, show_default=True,
              help="A quick look: grade a fixed random sample of this many mutants per notebook (no kill rate is "
                   "printed and the targets count as missed); 0 grades every mutant.")
@click.option("--demos/--no-demos", default=True, show_default=True,
              help="Run the demonstration cells with every contract variant that reaches them (slow: they train "
                   "realistic models); --no-demos runs the visible tests and given cells only.")
@click.option("--variants/--no-variants", default=True, show_default=True,
              help="Grade the contract variants declared in audit.toml; --no-variants is a quick look (no verdict).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Grade this many notebooks in parallel.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the full report (every finding) as JSON to this file.")
def audit(assignment: str, notebooks: tuple[str, ...], seeds: int, mutants_per_notebook: int, demos: bool,
          variants: bool, jobs: int, json_path: Path | None) -> None:
    """Measure how far ASSIGNMENT's hidden tests can be trusted.

    Grades, as one class: do-nothing versions of every graded function (each must get 0 on
    every test that depends on it), mutants of the solution regions (each must lose points:
    target 97% killed), the correct fixtures under SEEDS other grader seeds (0 false
    failures, 0 flaky grades), and contract variants of the solutions that the released text
    allows (tensor/list/float32 results, chunked gradient accumulation, statements in another
    order): each must keep full marks and, run top to bottom with the visible tests and the
    demonstrations, fail no cell. Exceptions and variants are declared in
    autograder/hidden/ASSIGNMENT/audit.toml.
    Prints a table and every finding; the last line holds the figures. Exits 1 if a target is missed.
    """
    from .audit import audit as run
    from .audit.report import last_line, table
    from .audit.review import ReviewError
    from .grading.discovery import UnknownAssignment

    def progress(done: int, total: int, graded: object) -> None:  # noqa: ARG001 (the audit's progress callback signature)
        if done == total or done % 10 == 0:
            warn(f"  graded {done}/{total}")

    try:
        audits = run(assignment, seeds=seeds, mutants_per_notebook=mutants_per_notebook or None, jobs=jobs,
                     only=tuple(notebooks), progress=progress, demos=demos, variants=variants)
    except (UnknownAssignment, ReviewError) as exc:
        _usage(str(exc))
    if not audits:
        _usage(f"{assignment} has no notebook named {', '.join(notebooks)}")
    if json_path is not None:
        json_path.write_text(json.dumps({"assignment": assignment, "seeds": seeds,
                                         "notebooks": [a.to_dict() for a in audits]}, indent=1))
    say(table(audits))
    say(last_line(audits))
    sys.exit(1 if any(a.missed() for a in audits) else 0)


@main.command()
def sandbox() -> None:
    """Check the sandbox on this machine: what it offers, then what holds inside a real one.

    Starts a sandbox, imports the assignments' libraries there as its unprivileged user and
    checks every protection from inside. Exits 1, naming the problem and its fix, if any
    protection is missing or does not hold.
    """
    from .sandbox.diagnose import check

    if not check(say):
        sys.exit(1)

