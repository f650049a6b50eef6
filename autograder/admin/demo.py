"""`learnathon demo`: the whole workflow on a built-in class, start to finish.

course -> student versions (nbgrader) -> a fabricated class -> autograde -> gradebook ->
grades CSV (nbgrader's exporter) -> feedback; plus the lecture quiz in every format.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..classrun.autograde import autograde
from ..grading import discovery
from ..results.gradebook import db_url, ensure_tools_on_path
from ..results.summary import progress_line, summary_table
from ..terminal import say
from .course import init
from .fabricate import SECTION, FixtureSubmission, endless_loop, read_fixture, solved, truncated, with_cells

# Typical mistakes and correct alternatives come from the assignment's fixture submissions, the integrity
# review's flagged student from its integrity fixtures: package data beside the hidden tests
# (discovery.Assignment.fixture_folder, .integrity_fixture_folder), never the test tree.


class DemoError(ValueError):
    pass


# How one demo student's notebook is written: (the notebook, the release folder, where to write) -> fixture ids.
Builder = Callable[[discovery.NotebookSpec, Path, Path], list[str]]
Echo = Callable[[str], None]


def fixtures(assignment: str, notebook: str) -> list[FixtureSubmission]:
    """The fixture submissions of a notebook: typical mistakes and correct alternatives."""
    folder = discovery.load(assignment).fixture_folder(notebook)
    return [read_fixture(p) for p in sorted(folder.glob("*.py"))] if folder.is_dir() else []


def mistakes(assignment: str, notebook: str, count: int) -> list[FixtureSubmission]:
    """The first ``count`` typical-mistake fixtures of a notebook."""
    return [f for f in fixtures(assignment, notebook) if not f.full_marks][:count]


def _solved(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:  # noqa: ARG001 (every demo builder takes (notebook, release folder, out))
    solved(nb.source, out)      # the answers without nbgrader's delimiters, as a student hands them in
    return []


def _copy_release(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:
    shutil.copy2(release / nb.filename, out)
    return []


def _with_mistakes(skip: int) -> Builder:
    """Two typical mistakes per notebook, after the first ``skip`` of them."""
    def build(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:  # noqa: ARG001 (every demo builder takes (notebook, release folder, out))
        chosen = mistakes(nb.assignment, nb.name, 4)[skip:][:2]
        if not chosen:     # never a correct notebook under the name of a typical mistake
            raise DemoError(f"{nb.assignment}/{nb.name}: the demo needs {skip + 1} or more typical-mistake fixtures "
                            f"(found {len(mistakes(nb.assignment, nb.name, 4))} in "
                            f"{discovery.load(nb.assignment).fixture_folder(nb.name)})")
        cells: dict[str, str] = {}
        for fixture in chosen:
            cells.update(fixture.cells)
        with_cells(nb.source, cells, out)
        return [f"{nb.name}/{f.id}" for f in chosen]
    return build


def own_style(nb: discovery.NotebookSpec) -> dict[str, str]:
    """The answers of the notebook's largest correct alternative (a fixture): work in another style."""
    correct = [f for f in fixtures(nb.assignment, nb.name) if f.full_marks]
    if not correct:
        raise DemoError(f"{nb.assignment}/{nb.name}: the demo needs a correct-alternative fixture "
                        f"(none in {discovery.load(nb.assignment).fixture_folder(nb.name)})")
    return max(correct, key=lambda f: sum(map(len, f.cells.values()))).cells


def reworded(cells: dict[str, str]) -> dict[str, str]:
    """A classmate's copy: other names for a few variables, other comments and spacing."""
    import re

    names = {"out": "result", "index": "pos", "total": "acc", "model": "net", "losses": "history", "fold": "part"}
    for old, new in names.items():
        cells = {cell: re.sub(rf"\b{old}\b", new, text) for cell, text in cells.items()}
    return {cell: "# worked this out myself\n" + text.replace(" = ", "=") for cell, text in cells.items()}


def _in_own_style(copy: bool) -> Builder:
    def build(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:
        cells = own_style(nb)
        with_cells(release / nb.filename, reworded(cells) if copy else cells, out)   # the rest left unanswered
        return []
    return build


# The integrity flags the demo's flagged student raises: a numerical backward pass, a relu that reads its callers.
FLAGGED = ("backward_calls_forward", "frames")


def flagged_kinds(assignment: discovery.Assignment) -> tuple[str, ...]:
    """The FLAGGED kinds some notebook of the assignment has an integrity fixture for."""
    return tuple(kind for kind in FLAGGED
                 if any((assignment.integrity_fixture_folder(nb.name) / f"{kind}.py").is_file()
                        for nb in assignment.notebooks))


def _flagged(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:  # noqa: ARG001 (every demo builder takes (notebook, release folder, out))
    """The solution with the notebook's FLAGGED integrity fixtures: full marks or nearly, and flagged for
    the instructor (a notebook without any is handed in as solved: the other notebook carries the flags)."""
    if not flagged_kinds(discovery.load(nb.assignment)):
        raise DemoError(f"{nb.assignment}: the demo's flagged student needs an integrity fixture "
                        f"({', '.join(FLAGGED)}) in {discovery.load(nb.assignment).hidden_dir / 'integrity_fixtures'}")
    cells: dict[str, str] = {}
    for kind in FLAGGED:
        path = discovery.load(nb.assignment).integrity_fixture_folder(nb.name) / f"{kind}.py"
        if path.is_file():
            _, *sections = SECTION.split(path.read_text())
            cells.update({sections[i]: sections[i + 1].strip("\n") + "\n" for i in range(0, len(sections), 2)})
    with_cells(nb.source, cells, out)
    return []


def _broken(make: Callable[[Path, Path], Path]) -> Builder:
    def build(nb: discovery.NotebookSpec, release: Path, out: Path) -> list[str]:  # noqa: ARG001 (every demo builder takes (notebook, release folder, out))
        make(nb.source, out)
        return []
    return build


# Who can sit in a demo class: (what they hand in, how each notebook is built). An assignment names
# its class in the [demo] table of its grading.toml (`students = [...]`); without one it gets DEFAULT_CLASS.
STUDENTS = {
    "ada": ("full solution", _solved),
    "ben": ("untouched student version", _copy_release),
    "cleo": ("typical mistakes", _with_mistakes(0)),
    "dev": ("other typical mistakes", _with_mistakes(2)),
    "eve": ("broken file (truncated JSON)", _broken(truncated)),
    "finn": ("an endless loop in the first answer", _broken(endless_loop)),
    "gus": ("their own answers in another style, part of them", _in_own_style(copy=False)),
    "hana": ("gus's answers copied, reworded", _in_own_style(copy=True)),
    "ivy": ("a backward pass by finite differences, a relu that reads its callers, an early timestamp", _flagged),
}
# Who hands in a timestamp.txt from before the release (the integrity review flags it).
EARLY = {"ivy": dt.timedelta(days=7)}
DEFAULT_CLASS = ("ada", "ben", "cleo")


def demo_class(assignment: discovery.Assignment) -> tuple[str, ...]:
    """The students of an assignment's demo class, as its grading.toml declares them."""
    students = tuple(assignment.demo.get("students", DEFAULT_CLASS))
    unknown = [s for s in students if s not in STUDENTS]
    if unknown or not students:
        raise DemoError(f"{assignment.name}: grading.toml's [demo] students = {list(students)} must name "
                        f"some of {', '.join(STUDENTS)} (unknown: {', '.join(unknown) or 'none given'})")
    return students


def fabricate_class(course_root: Path, name: str) -> dict[str, str]:
    """Write submissions into submitted/; return {student: what they submitted}."""
    assignment = discovery.load(name)
    release = course_root / "release" / name
    kinds = {}
    for student in demo_class(assignment):
        kind, build = STUDENTS[student]
        folder = course_root / "submitted" / student / name
        folder.mkdir(parents=True, exist_ok=True)
        named = [entry for nb in assignment.notebooks for entry in build(nb, release, folder / nb.filename)]
        kinds[student] = "mistakes: " + "; ".join(named) if named else kind
        stamp = (dt.datetime.now(dt.UTC) - EARLY.get(student, dt.timedelta())).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        (folder / "timestamp.txt").write_text(stamp)
    return kinds


def export_grades(course_root: Path, course_id: str, out: Path) -> Path:
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    ensure_tools_on_path()
    with Gradebook(db_url(course_root), course_id) as gb:
        CsvExportPlugin(to=str(out)).export(gb)
    return out


def run_demo(*, directory: Path | None = None, jobs: int = 2, echo: Echo = say) -> Path:
    started = time.monotonic()
    released = dt.datetime.now(dt.UTC)          # the demo releases its course now (no nbgrader exchange)
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="learnathon-demo-"))
    echo(f"== learnathon demo in {root}")
    names = discovery.available()
    course = init(root / "course", assignment_names=names)
    echo(f"course created; student versions generated by nbgrader for: {', '.join(names)}")
    for name in names:
        kinds = fabricate_class(course.root, name)
        echo(f"\n== {name}: a class of {len(kinds)}")
        for student, kind in kinds.items():
            echo(f"   {student:<5} {kind}")
        results = autograde(course_dir=course.root, assignment=name, jobs=jobs, force=True,
                            progress=lambda r, i, n: echo("   " + progress_line(r, i, n)))
        echo(summary_table(results, name))
    grades = export_grades(course.root, course.course_id, root / "grades.csv")
    echo(f"\ngrades exported by nbgrader: {grades}")
    echo(f"gradebook:   {course.root / 'gradebook.db'}")
    echo(f"feedback:    {course.root / 'feedback'}/<student>/<assignment>/<notebook>.html")
    echo(f"graded:      {course.root / 'autograded'}")
    _quiz_demo(root / "quizzes", echo)
    _integrity_demo(course.root, names[0], released, echo)
    _report_demo(course.root, names[0], root / "quizzes", echo)
    echo(f"\ndemo finished in {time.monotonic() - started:.0f} s; try: cd {course.root} && nbgrader export")
    _live_hint(course.root, names[0], echo)
    return root


def _live_hint(course_root: Path, assignment: str, echo: Echo) -> None:
    """How to run the lecture quiz live (nothing is started: a demo must end by itself)."""
    echo("\n== run the lecture quiz live (phones vote; see README, Live session)")
    echo("   learnathon live lecture                 # this machine only; --host 0.0.0.0 for the lecture hall")
    echo(f"   learnathon live {course_root / 'reports' / assignment / 'report.json'}   # the follow-up poll")
    echo("   learnathon quiz results live-sessions/lecture.sqlite --out results/   # charts, item analysis")


def _report_demo(course_root: Path, assignment: str, quizzes: Path, echo: Echo) -> None:
    """The class report of the first assignment (the others compared by concept) and its follow-up poll."""
    from quizzes.export import export_quiz
    from quizzes.from_report import follow_up_quiz, read_report

    from ..analytics.report_files import make_report

    files = make_report(course_dir=course_root, assignment=assignment)
    follow_up = follow_up_quiz(read_report(files.json), top=5, source=str(files.json))
    echo(f"\n== class report of {assignment}")
    echo(f"   data: {files.json} and {len(files.csv)} CSV files")
    if follow_up.quiz.questions:
        deck = export_quiz(follow_up.quiz, "html", quizzes / f"{follow_up.quiz.name}.deck.html")
        echo(f"   follow-up poll from the class's top mistakes: {deck.path} ({len(deck.exported)} questions; "
             f"other formats: learnathon quiz from-report {files.json} --format FORMAT --out DIR/)")
    echo(f"class report: {files.html}")


def _integrity_demo(course_root: Path, assignment: str, released: dt.datetime, echo: Echo) -> None:
    """The integrity review of the first assignment, stored for its class report."""
    from ..analytics.integrity.lines import review_lines
    from ..analytics.integrity.review import review_and_record

    review = review_and_record(course_dir=course_root, assignment=assignment, released=released)
    echo(f"\n== integrity review of {assignment} (the demo's class is fabricated from the instructor's solution, "
         "so those students group with it)")
    for line in review_lines(review, str(course_root)):
        echo("   " + line)


def _quiz_demo(out: Path, echo: Echo) -> None:
    from quizzes.demo import run_demo as quiz_demo

    echo("\n== lecture quiz")
    for line in quiz_demo(out):
        echo("   " + line)
