"""The class report as files: one self-contained HTML page (charts as base64 PNG, no external
resource, a Content-Security-Policy that forbids loading any) plus the data as JSON and CSV.

    files = write_report(class_report.build(...), out_dir)
    files.html, files.json, files.csv   # report.html, report.json, {name: path}
"""
from __future__ import annotations

import base64
import dataclasses
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..csvfiles import write_csv
from ..results.render import TEMPLATES
from .class_report import AssignmentReport, ClassReport
from .integrity.records import Review

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

if TYPE_CHECKING:
    pass

GREEN, RED, GREY, BLUE = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0"


# --- charts ------------------------------------------------------------------------------------------

def _figure(height: float) -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, height), dpi=110)
    return fig, ax


def _integer_ticks(axis: Axis) -> None:
    """Counts on this axis: whole-number ticks only (the default locator is a MaxNLocator)."""
    from matplotlib.ticker import MaxNLocator

    locator = axis.get_major_locator()
    if isinstance(locator, MaxNLocator):
        locator.set_params(integer=True)


def _png(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def score_chart(report: AssignmentReport) -> str:
    fig, ax = _figure(3.0)
    percents = [s.percent for s in report.scores]
    ax.hist(percents, bins=[i * 5 for i in range(21)], color=BLUE, edgecolor="white")
    ax.set_xlabel(f"score (% of {report.max_score:g} points)")
    ax.set_ylabel("students")
    ax.set_xlim(0, 100)
    ax.set_title(f"{report.assignment}: score distribution ({len(percents)} students)")
    return _png(fig)


def pass_rate_chart(report: AssignmentReport) -> str:
    tests = sorted(report.tests, key=lambda t: (t.pass_rate, t.name))
    fig, ax = _figure(0.6 + 0.22 * max(len(tests), 1))
    rates = [100 * t.pass_rate for t in tests]
    ax.barh(range(len(tests)), rates, color=[GREEN if r >= 80 else (RED if r < 50 else GREY) for r in rates])
    ax.set_yticks(range(len(tests)), [_short(f"{t.name}") for t in tests], fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("pass rate per hidden test (lowest first)")
    return _png(fig)


def mistakes_chart(report: AssignmentReport, top: int = 15) -> str | None:
    mistakes = list(report.mistakes[:top])[::-1]
    if not mistakes:
        return None
    fig, ax = _figure(0.8 + 0.3 * len(mistakes))
    ax.barh(range(len(mistakes)), [m.count for m in mistakes], color=RED)
    ax.set_yticks(range(len(mistakes)), [m.id for m in mistakes], fontsize=8)
    ax.set_xlabel("students")
    _integer_ticks(ax.xaxis)
    ax.set_title(f"most common named mistakes (top {len(mistakes)})")
    return _png(fig)


def concepts_chart(report: AssignmentReport) -> str | None:
    concepts = list(report.concepts)[::-1]
    if not concepts:
        return None
    fig, ax = _figure(0.8 + 0.26 * len(concepts))
    values = [100 * c.mastery for c in concepts]
    ax.barh(range(len(concepts)), values, color=[GREEN if v >= 80 else (RED if v < 50 else GREY) for v in values])
    ax.set_yticks(range(len(concepts)), [_short(c.title, 44) for c in concepts], fontsize=7)
    ax.set_xlim(0, 100)
    ax.set_xlabel("checks passed (%)")
    ax.set_title("mastery per lecture concept")
    return _png(fig)


def incidents_chart(report: AssignmentReport) -> str | None:
    summary = report.summary()
    counts = {**summary["incidents"], "resubmissions": summary["resubmissions"], "reruns": summary["reruns"]}
    counts = {k: v for k, v in counts.items() if v}
    if not counts:
        return None
    fig, ax = _figure(0.8 + 0.3 * len(counts))
    ax.barh(range(len(counts)), list(counts.values()), color=GREY)
    ax.set_yticks(range(len(counts)), list(counts), fontsize=8)
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("count")
    ax.set_title("crashes, timeouts, unreadable files and attempts")
    return _png(fig)


def across_chart(report: ClassReport) -> str | None:
    rows = report.concepts_across()
    if len(report.assignments) < 2 or not rows:
        return None
    import numpy as np

    names = [a.assignment for a in report.assignments]
    grid = np.array([[np.nan if r["mastery"][n] is None else 100 * r["mastery"][n] for n in names] for r in rows])
    fig, ax = _figure(0.8 + 0.26 * len(rows))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdYlGn", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(rows)), [_short(r["title"], 44) for r in rows], fontsize=7)
    for (i, j), value in np.ndenumerate(grid):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="checks passed (%)")
    ax.set_title("concepts across assignments")
    return _png(fig)


# --- files ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path
    csv: dict[str, Path]


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    return write_csv(path, header, rows)


def write_csvs(report: ClassReport, out: Path) -> dict[str, Path]:
    main = report.main
    files = {
        "scores": _write_csv(out / "scores.csv", ["student", "score", "max_score", "percent", "attempts",
                                                  "resubmissions", "reruns"],
                             [[s.student, s.score, s.max_score, round(s.percent, 2), s.attempts, s.resubmissions,
                               s.reruns] for s in main.scores]),
        "tests": _write_csv(out / "tests.csv", ["notebook", "test", "max_points", "students", "passed", "pass_rate",
                                                "mean_points", "named_failures", "other_failures", "concepts"],
                            [[t.notebook, t.name, t.max_points, t.students, t.passed, round(t.pass_rate, 4),
                              t.mean_points, t.named_failures, t.other_failures, " ".join(t.concepts)]
                             for t in main.tests]),
        "mistakes": _write_csv(out / "mistakes.csv", ["mistake", "students", "occurrences", "tests", "who",
                                                      "message"],
                               [[m.id, m.count, m.occurrences, " ".join(m.tests), " ".join(m.students), m.message]
                                for m in main.mistakes]),
        "unmatched": _write_csv(out / "unmatched.csv", ["group", "students", "occurrences", "tests", "who",
                                                        "examples"],
                                [[c.label, c.count, c.occurrences, " ".join(c.tests), " ".join(c.students),
                                  " | ".join(c.examples)] for c in main.unmatched]),
        "concepts": _write_csv(out / "concepts.csv", ["concept", "title", "checks", "passed", "mastery", "students",
                                                      "mastered"],
                               [[c.id, c.title, c.checks, c.passed, round(c.mastery, 4), c.students, c.mastered]
                                for c in main.concepts]),
        "incidents": _write_csv(out / "incidents.csv", ["student", "notebook", "kind", "detail"],
                                [[i.student, i.notebook, i.kind, i.detail] for i in main.incidents]),
    }
    if main.integrity is not None:
        files.update(integrity_csvs(main.integrity, out))
    if len(report.assignments) > 1:
        names = [a.assignment for a in report.assignments]
        files["concepts_across"] = _write_csv(
            out / "concepts_across.csv", ["concept", "title", *names],
            [[r["id"], r["title"], *("" if r["mastery"][n] is None else r["mastery"][n] for n in names)]
             for r in report.concepts_across()])
    return files


def integrity_csvs(review: Review, out: Path) -> dict[str, Path]:
    """The integrity review's flags and similar pairs (``records.SOLUTION`` is the instructor's solution)."""
    return {
        "integrity_flags": _write_csv(out / "integrity_flags.csv", ["student", "notebook", "kind", "where", "found",
                                                                     "code"],
                                      [[f.student, f.notebook, f.kind, f.where, f.found, f.code]
                                       for f in review.flags]),
        "integrity_pairs": _write_csv(out / "integrity_pairs.csv", ["notebook", "a", "b", "score", "share_a",
                                                                     "share_b", "shared_characters", "passages"],
                                      [[p.notebook, p.a, p.b, p.score, p.share_a, p.share_b, p.shared,
                                        len(p.passages)] for p in review.pairs]),
    }


def render_html(report: ClassReport) -> str:
    main = report.main
    charts = [(title, chart) for title, chart in (
        ("Score distribution", score_chart(main)), ("Most common named mistakes", mistakes_chart(main)),
        ("Mastery per concept", concepts_chart(main)), ("Pass rate per test", pass_rate_chart(main)),
        ("Crashes, timeouts and attempts", incidents_chart(main)),
        ("Concepts across assignments", across_chart(report))) if chart]
    from .integrity.records import SOLUTION

    return TEMPLATES.get_template("class_report.html.j2").render(
        report=report, main=main, summary=main.summary(), charts=charts, across=report.concepts_across()
        if len(report.assignments) > 1 else [], integrity=main.integrity, kinds=main.integrity_kinds(),
        solution=SOLUTION)


def write_report(report: ClassReport, out: Path) -> ReportFiles:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csvs = write_csvs(report, out)
    data = out / "report.json"
    data.write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    page = out / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return ReportFiles(page, data, csvs)


class ReportError(LookupError):
    """Nothing to report: no course, no class record, or no graded submission of the assignment."""


def make_report(*, course_dir: Path, assignment: str, out: Path | None = None) -> ReportFiles:
    """Read the course's class record and write the report of ``assignment`` (default: COURSE/reports/NAME)."""
    from ..admin.course import CourseError, open_course
    from ..grading import discovery
    from . import store
    from .class_report import build

    try:
        course = open_course(Path(course_dir))
    except CourseError as exc:
        raise ReportError(str(exc)) from exc
    try:
        rows = store.load_submissions(course.root)
    except store.StoreError as exc:
        raise ReportError(str(exc)) from exc
    graded = sorted({r.assignment for r in rows})
    if assignment not in graded:
        raise ReportError(f"the class record of {course.root} has no graded submission of {assignment!r}"
                          + (f" (graded: {', '.join(graded)})" if graded else ""))
    try:
        review = store.load_review(course.root, assignment)
    except store.StoreError as exc:
        raise ReportError(str(exc)) from exc
    report = build(course.course_id, assignment, rows, discovery.hidden_root(), review)
    return write_report(report, Path(out) if out else course.root / "reports" / assignment)
