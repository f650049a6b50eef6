"""Poll results: read them, draw one bar chart per question with the correct option(s) highlighted, like
the lecture's result slides, and summarise them with an item analysis (quizzes.item_analysis).

Every source gives the same charts and summary; ``SOURCES`` lists them, each a reader that returns
``None`` for a file that is not of its kind (the first that takes the file reads it):

* Vevox's poll-results report (xlsx with a "Polling Results" sheet; quizzes.vevox): one row per
  participant, so the item analysis includes the discrimination.
* vote counts (CSV or xlsx, one row per option; see README): question_id, option, option_text, votes.
  ``option`` is the letter in the bank's order; ``option_text`` may be left empty, but when given it
  must match the bank, which catches results recorded against a shuffled export.

Files are read through the hostile-input layer (``autograder.intake.tables``: bounded rows, columns
and cells, XML without entities); the summary CSV is written by the one CSV writer.
"""
from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
from matplotlib.figure import Figure  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from autograder.csvfiles import write_csv  # noqa: E402
from autograder.intake.inputs import InputError  # noqa: E402
from autograder.intake.tables import first_table  # noqa: E402
from autograder.terminal import excerpt  # noqa: E402
from quizzes import mathtext  # noqa: E402
from quizzes.item_analysis import MIN_RESPONDENTS_FOR_GROUPS, ItemStatistics, ResponseMatrix, from_matrix, from_votes  # noqa: E402
from quizzes.live.export import SessionFileError, is_session_file, read_session  # noqa: E402
from quizzes.model import Question, Quiz  # noqa: E402
from quizzes.vevox import PollMatch, VevoxError, is_vevox_report, read_vevox  # noqa: E402

COLUMNS = ("question_id", "option", "option_text", "votes")
MAX_VOTES = 1_000_000
CORRECT_COLOUR, OTHER_COLOUR, WARNING_COLOUR = "#15803d", "#9ca3af", "#b91c1c"


class ResultsError(ValueError):
    """The results file cannot be used; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class QuestionVotes:
    question_id: str
    votes: dict[str, int]  # option key -> number of votes
    # Participants who answered, when known (per-participant data); with several options ticked per
    # participant it is less than the sum of the votes.
    respondents: int | None = None

    @property
    def responses(self) -> int:
        return self.respondents if self.respondents is not None else sum(self.votes.values())

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "votes": dict(self.votes), "respondents": self.responses}


@dataclass(frozen=True)
class QuestionSummary:
    question_id: str
    text: str
    correct_keys: tuple[str, ...]
    responses: int
    correct_votes: int

    @property
    def percent_correct(self) -> float:
        return 100.0 * self.correct_votes / self.responses if self.responses else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "text": self.text, "correct": list(self.correct_keys),
                "responses": self.responses, "correct_votes": self.correct_votes,
                "percent_correct": round(self.percent_correct, 2)}


@dataclass(frozen=True)
class ResultsReport:
    charts: tuple[Path, ...]
    summary_csv: Path
    summary_markdown: Path
    summaries: tuple[QuestionSummary, ...]
    not_polled: tuple[str, ...] = field(default_factory=tuple)
    items: tuple[ItemStatistics, ...] = field(default_factory=tuple)  # same order as summaries
    item_chart: Path | None = None
    summary_json: Path | None = None
    source: str = "votes"  # "votes" (counts per option), "vevox" or "live" (per participant)
    participants: int | None = None
    polls: tuple[PollMatch, ...] = field(default_factory=tuple)  # Vevox: every poll column and its match

    @property
    def unmatched_polls(self) -> tuple[PollMatch, ...]:
        return tuple(p for p in self.polls if not p.matched)

    def summary_lines(self) -> list[str]:
        files = ", ".join(str(p) for p in (self.summary_csv, self.summary_markdown, self.summary_json) if p)
        lines = [f"{len(self.charts)} chart(s), summary in {files}"]
        if self.item_chart:
            lines.append(f"item analysis chart: {self.item_chart}")
        if self.participants is not None:
            origin = "live session" if self.source == "live" else "Vevox report"
            lines.append(f"{self.participants} participant(s) in the {origin}")
        for summary, item in zip(self.summaries, self.items):
            lines.append(f"  {summary.question_id}: {summary.correct_votes}/{summary.responses} chose a correct "
                         f"answer ({summary.percent_correct:.1f}%)")
            analysis = f"    p {item.proportion_correct:.2f}, {discrimination_text(item)}"
            top = item.top_distractor
            if top is not None:
                analysis += f"; most chosen wrong answer {top.key} ({100 * top.share:.1f}%)"
            lines.append(analysis)
            lines += [f"    ! {flag}" for flag in item.flags]
        if self.not_polled:
            lines.append(f"  no votes recorded for: {', '.join(self.not_polled)}")
        if self.unmatched_polls:
            lines.append(f"  {len(self.unmatched_polls)} poll(s) matched no bank question and were left out:")
            lines += [f"    {poll}" for poll in self.unmatched_polls]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "participants": self.participants,
                "charts": [str(c) for c in self.charts], "summary_csv": str(self.summary_csv),
                "summary_markdown": str(self.summary_markdown),
                "summary_json": str(self.summary_json) if self.summary_json else None,
                "item_chart": str(self.item_chart) if self.item_chart else None,
                "summaries": [s.to_dict() for s in self.summaries], "items": [i.to_dict() for i in self.items],
                "not_polled": list(self.not_polled), "polls": [p.to_dict() for p in self.polls],
                "unmatched_polls": [p.to_dict() for p in self.unmatched_polls]}


def discrimination_text(item: ItemStatistics) -> str:
    if item.point_biserial is None and item.upper_lower is None:
        if not item.per_participant:
            return "discrimination n/a (needs per-participant answers)"
        return (f"discrimination n/a (under {MIN_RESPONDENTS_FOR_GROUPS} respondents, and no rest score "
                f"that varies with the answers)")
    parts = []
    if item.point_biserial is not None:
        parts.append(f"r_pb {item.point_biserial:.2f}")
    if item.upper_lower is not None:
        parts.append(f"D(27%) {item.upper_lower:.2f}")
    return "discrimination " + ", ".join(parts)


# --- the template and reading ------------------------------------------------------------------

def template_rows(quiz: Quiz) -> list[list[Any]]:
    return [[q.id, o.key, o.text, ""] for q in quiz.questions for o in q.options]


def write_template(quiz: Quiz, path: Path) -> Path:
    """An empty results file for ``quiz`` (CSV, or xlsx if the name ends in .xlsx) to fill in."""
    return write_rows(path, template_rows(quiz))


def write_rows(path: Path, rows: list[list[Any]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "votes"
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text such as "= c", not a formula
        workbook.save(path)
    else:
        write_csv(path, COLUMNS, rows)
    return path


def _read_table(path: Path) -> list[tuple[str, ...]]:
    try:
        return list(first_table(path).rows)
    except InputError as exc:
        raise ResultsError(str(exc)) from None


def _parse_votes(raw: str, where: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return None
    try:
        number = float(raw)
    except ValueError:
        raise ResultsError(f"{where}: votes must be a whole number, got {excerpt(raw, 20)}") from None
    if not 0 <= number <= MAX_VOTES or number != int(number):
        raise ResultsError(f"{where}: votes must be a whole number >= 0 (at most {MAX_VOTES}), got "
                           f"{excerpt(raw, 20)}")
    return int(number)


def read_results(path: Path, quiz: Quiz) -> tuple[list[QuestionVotes], list[str]]:
    """Votes per question in file order, plus the ids of questions whose votes are all empty."""
    path = Path(path)
    table = [row for row in _read_table(path) if any(cell.strip() for cell in row)]
    if not table:
        raise ResultsError(f"{path}: the file is empty")
    header = [cell.strip().lower() for cell in table[0]]
    missing = [c for c in COLUMNS if c not in header and c != "option_text"]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    column = {name: header.index(name) for name in COLUMNS if name in header}
    collected: dict[str, dict[str, int | None]] = {}
    for number, row in enumerate(table[1:], start=2):

        def cell(name: str) -> str:
            return row[column[name]].strip() if name in column and column[name] < len(row) else ""

        where = f"{path}: row {number}"
        qid, key = cell("question_id"), cell("option").upper()
        try:
            question = quiz.question(qid)
        except KeyError:
            raise ResultsError(f"{where}: unknown question_id {excerpt(qid)} (not in quiz {quiz.name!r})") from None
        try:
            option = question.option(key)
        except KeyError:
            raise ResultsError(f"{where}: question {qid!r} has no option {excerpt(key, 10)}; "
                               f"it has {', '.join(o.key for o in question.options)}") from None
        text = cell("option_text")
        if text and " ".join(text.split()) != " ".join(option.text.split()):
            raise ResultsError(f"{where}: option {key} of {qid!r} is {option.text!r} in the bank, the file says "
                               f"{excerpt(text)} (results from a shuffled export must be mapped to the bank's "
                               "letters)")
        votes = collected.setdefault(qid, {})
        if key in votes:
            raise ResultsError(f"{where}: a second row for question {qid!r} option {key}")
        votes[key] = _parse_votes(cell("votes"), where)
    results, not_polled = [], []
    for qid, votes in collected.items():
        if all(v is None for v in votes.values()):
            not_polled.append(qid)
            continue
        options = quiz.question(qid).options
        # An option without a row or with an empty cell got no votes.
        results.append(QuestionVotes(qid, {o.key: votes.get(o.key) or 0 for o in options}))
    return results, not_polled


# --- summary and charts ------------------------------------------------------------------------

def item_caption(item: ItemStatistics, width: int = 85) -> list[str]:
    """The item analysis under a chart: p, discrimination, and the misconception behind the top distractor."""
    lines = [f"p = {item.proportion_correct:.2f} correct; {discrimination_text(item)}"]
    top = item.top_distractor
    if top is not None:
        lines += textwrap.wrap(f"Most chosen wrong answer {top.key} ({100 * top.share:.1f}%): "
                               f"{mathtext.to_plain(top.misconception)}", width)
    return lines


def build_chart(question: Question, votes: QuestionVotes, item: ItemStatistics | None = None) -> Figure:
    """Horizontal bars in the slide's option order, percentages printed, the key in green; with ``item``
    the item analysis is printed under the axis."""
    total = votes.responses or 1
    labels = [f"{o.key}) " + "\n".join(textwrap.wrap(mathtext.to_plain(o.text), 48)) for o in question.options]
    shares = [100.0 * votes.votes[o.key] / total for o in question.options]
    colours = [CORRECT_COLOUR if o.correct else OTHER_COLOUR for o in question.options]
    caption = item_caption(item) if item is not None else []
    height = (1.2 + 0.75 * len(question.options) + 0.2 * sum(label.count("\n") for label in labels)
              + 0.22 * len(caption))
    fig, ax = plt.subplots(figsize=(9.0, height))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, shares, color=colours)
    ax.set_yticks(positions, labels, fontsize=9)
    for y, share, option in zip(positions, shares, question.options):
        ax.text(share + 1, y, f"{share:.2f}%  ({votes.votes[option.key]})", va="center", fontsize=9)
    ax.set_xlim(0, 115)
    ax.set_xlabel("\n".join([f"Share of {votes.responses} response(s) in %  (green: correct)", *caption]),
                  fontsize=9)
    ax.set_title("\n".join(textwrap.wrap(mathtext.to_plain(question.text), 80)), fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _save(fig: Figure, path: Path) -> Path:
    try:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def draw_chart(question: Question, votes: QuestionVotes, path: Path, item: ItemStatistics | None = None) -> Path:
    return _save(build_chart(question, votes, item), path)


def build_item_chart(items: list[ItemStatistics]) -> Figure:
    """Proportion correct per question and, with per-participant data, the discrimination next to it."""
    with_discrimination = any(i.point_biserial is not None or i.upper_lower is not None for i in items)
    fig, axes = plt.subplots(1, 2 if with_discrimination else 1, squeeze=False, sharey=True,
                             figsize=(11.0 if with_discrimination else 7.5, 1.4 + 0.42 * len(items)))
    positions = list(range(len(items)))[::-1]
    labels = [i.question_id for i in items]
    left = axes[0][0]
    left.barh(positions, [i.proportion_correct for i in items], color=CORRECT_COLOUR)
    for y, item in zip(positions, items):
        left.text(item.proportion_correct + 0.01, y, f"{item.proportion_correct:.2f} (n={item.respondents})",
                  va="center", fontsize=8)
    left.set_yticks(positions, labels, fontsize=8)
    left.set_xlim(0, 1.25)
    left.set_xlabel("proportion correct p")
    left.set_title("Difficulty", fontsize=10)
    if with_discrimination:
        right = axes[0][1]
        values = [i.point_biserial if i.point_biserial is not None else 0.0 for i in items]
        colours = [WARNING_COLOUR if v < 0.2 else CORRECT_COLOUR for v in values]
        right.barh(positions, values, color=colours, height=0.6, label="point-biserial r_pb (rest score)")
        right.scatter([i.upper_lower for i in items if i.upper_lower is not None],
                      [y for y, i in zip(positions, items) if i.upper_lower is not None],
                      marker="D", color="#1d4ed8", zorder=3, label="upper-lower index D (27%)")
        right.axvline(0.2, color="#6b7280", linestyle="--", linewidth=0.8)
        right.axvline(0.0, color="#111827", linewidth=0.8)
        right.set_xlim(-1.05, 1.05)
        right.set_xlabel("discrimination (dashed: 0.2, below it review the question)")
        right.set_title("Discrimination", fontsize=10)
        right.legend(fontsize=7, loc="lower left")
    for ax in axes[0]:
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


SUMMARY_COLUMNS = ("question_id", "correct_options", "responses", "correct_votes", "percent_correct",
                   "proportion_correct", "point_biserial", "upper_lower_index", "top_distractor",
                   "top_distractor_share", "flags")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _write_summary(report: ResultsReport, questions: dict[str, Question]) -> None:
    """summary.csv (one row per question), summary.md (table and distractors), summary.json (everything)."""
    summaries, items = report.summaries, report.items
    rows = []
    for s, item in zip(summaries, items):
        top = item.top_distractor
        rows.append([s.question_id, ",".join(s.correct_keys), s.responses, s.correct_votes,
                     f"{s.percent_correct:.2f}", _number(item.proportion_correct), _number(item.point_biserial),
                     _number(item.upper_lower), top.key if top else "", _number(top.share) if top else "",
                     "; ".join(item.flags)])
    write_csv(report.summary_csv, SUMMARY_COLUMNS, rows)
    lines = ["| Question | Correct | Responses | Chose a correct answer | p | r_pb | D (27%) "
             "| Most chosen wrong answer |", "|---|---|---|---|---|---|---|---|"]
    for s, item in zip(summaries, items):
        top = item.top_distractor
        lines.append(f"| {s.question_id} | {', '.join(s.correct_keys)} | {s.responses} | "
                     f"{s.correct_votes} ({s.percent_correct:.1f}%) | {item.proportion_correct:.2f} | "
                     f"{_number(item.point_biserial) or 'n/a'} | {_number(item.upper_lower) or 'n/a'} | "
                     f"{f'{top.key} ({100 * top.share:.1f}%)' if top else '-'} |")
    lines += ["", "## Distractors", "",
              "Every wrong option: its votes, and the misconception it stands for (the bank's explanation).", ""]
    for item in items:
        question = questions[item.question_id]
        lines.append(f"### {item.question_id}: {mathtext.to_plain(question.text)}")
        lines += [f"- ! {flag}" for flag in item.flags]
        for d in item.distractors:
            groups = (f", upper/lower group {d.upper_votes}/{d.lower_votes}" if d.upper_votes is not None else "")
            functional = "" if d.functional else " (non-functional: under 5%)"
            lines.append(f"- {d.key}) {mathtext.to_plain(d.text)}: {d.votes} vote(s), {100 * d.share:.1f}%"
                         f"{groups}{functional}. Misconception: {mathtext.to_plain(d.misconception)}")
        lines.append("")
    assert report.summary_markdown is not None and report.summary_json is not None
    report.summary_markdown.write_text("\n".join(lines), encoding="utf-8")
    assert report.summary_json is not None      # report_results always names it
    report.summary_json.write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")


def _votes_from_matrix(questions: list[Question], matrix: ResponseMatrix) -> list[QuestionVotes]:
    out = []
    for question in questions:
        column = matrix.answers[question.id]
        counts = {o.key: sum(1 for chosen in column if chosen is not None and o.key in chosen)
                  for o in question.options}
        out.append(QuestionVotes(question.id, counts, sum(1 for chosen in column if chosen is not None)))
    return out


@dataclass(frozen=True)
class Polled:
    """What a results source read: the polled questions, their votes and item statistics (same order)."""
    source: str                          # "vevox", "votes", ...: which reader took the file
    questions: list[Question]
    votes: list[QuestionVotes]
    items: list[ItemStatistics]
    not_polled: list[str]
    participants: int | None = None      # per-participant sources: how many
    polls: tuple[PollMatch, ...] = ()    # sources that match polls to questions by text: every poll


def vevox_source(path: Path, quiz: Quiz) -> Polled | None:
    """Vevox's poll-results report (per participant), or None for any other file."""
    if not is_vevox_report(path):
        return None
    try:
        vevox = read_vevox(path, quiz)
    except VevoxError as exc:
        raise ResultsError(str(exc)) from None
    questions = [quiz.question(qid) for qid in vevox.matrix.answers]
    return Polled("vevox", questions, _votes_from_matrix(questions, vevox.matrix), from_matrix(questions, vevox.matrix),
                  list(vevox.not_polled), len(vevox.matrix.participants), vevox.polls)


def live_source(path: Path, quiz: Quiz) -> Polled | None:  # noqa: ARG001 (every poll source takes (path, quiz))
    """A `learnathon live` session file (per participant, with the quiz it asked), or None for any other file."""
    if not is_session_file(path):
        return None
    try:
        live = read_session(path)
    except SessionFileError as exc:
        raise ResultsError(str(exc)) from None
    questions = [live.quiz.question(qid) for qid in live.matrix.answers]
    return Polled("live", questions, _votes_from_matrix(questions, live.matrix), from_matrix(questions, live.matrix),
                  list(live.not_polled), len(live.matrix.participants))


def votes_source(path: Path, quiz: Quiz) -> Polled:
    """Vote counts per option (CSV or xlsx): takes every file no other source took."""
    all_votes, not_polled = read_results(path, quiz)
    questions = [quiz.question(v.question_id) for v in all_votes]
    return Polled("votes", questions, all_votes, [from_votes(q, v.votes) for q, v in zip(questions, all_votes)],
                  not_polled)


# The results sources, tried in order; the last takes every file.
SOURCES: list[Callable[[Path, Quiz], Polled | None]] = [vevox_source, live_source, votes_source]


def read_polled(path: Path, quiz: Quiz) -> Polled:
    for source in SOURCES:
        polled = source(Path(path), quiz)
        if polled is not None:
            return polled
    raise ResultsError(f"{path}: not a results file of any known kind")


def report_results(path: Path, quiz: Quiz, out_dir: Path) -> ResultsReport:
    """Read ``path`` (any of ``SOURCES``), draw a chart per polled question and the item-analysis chart into
    ``out_dir`` and write the summary (summary.csv, summary.md, summary.json)."""
    polled = read_polled(Path(path), quiz)
    questions, all_votes, items = polled.questions, polled.votes, polled.items
    not_polled, polls, source, participants = polled.not_polled, polled.polls, polled.source, polled.participants
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [draw_chart(q, v, out_dir / f"{q.id}.png", item) for q, v, item in zip(questions, all_votes, items)]
    summaries = [QuestionSummary(q.id, q.text, q.correct_keys, item.respondents, item.correct)
                 for q, item in zip(questions, items)]
    item_chart = _save(build_item_chart(items), out_dir / "item-analysis.png") if items else None
    report = ResultsReport(tuple(charts), out_dir / "summary.csv", out_dir / "summary.md", tuple(summaries),
                           tuple(not_polled), tuple(items), item_chart, out_dir / "summary.json", source,
                           participants, tuple(polls))
    _write_summary(report, {q.id: q for q in questions})
    return report


# --- the lecture's own percentages as votes -------------------------------------------------------

def smallest_class_size(percentages: list[float], largest: int = 500) -> int:
    """The smallest class whose whole-number votes reproduce the percentages to two decimals.

    The lecture's slides show e.g. 93.94 / 6.06, which is 31 and 2 of 33 students.
    """
    for size in range(1, largest + 1):
        votes = [round(p * size / 100.0) for p in percentages]
        if sum(votes) == size and all(abs(100.0 * v / size - p) < 0.006 for v, p in zip(votes, percentages)):
            return size
    raise ValueError(f"no class of up to {largest} students gives {percentages}")


def lecture_result_rows(quiz: Quiz) -> list[list[Any]]:
    """Rows in the results layout for every question that has class results in the bank."""
    rows = []
    for question in quiz.questions:
        if question.class_results is None:
            continue
        shares = [question.class_results.percentages[o.key] for o in question.options]
        size = smallest_class_size(shares)
        rows += [[question.id, o.key, o.text, round(share * size / 100.0)]
                 for o, share in zip(question.options, shares)]
    return rows
