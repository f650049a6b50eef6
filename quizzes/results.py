"""Poll results: read votes per option (CSV or xlsx), draw one bar chart per question with the correct
option(s) highlighted, like the lecture's result slides, and summarise how many chose a right answer.

File layout (one row per option; see README): question_id, option, option_text, votes.
``option`` is the letter in the bank's order; ``option_text`` may be left empty, but when given it
must match the bank, which catches results recorded against a shuffled export.
"""
from __future__ import annotations

import csv
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)
from matplotlib.figure import Figure  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from quizzes import mathtext  # noqa: E402
from quizzes.model import Question, Quiz  # noqa: E402

COLUMNS = ("question_id", "option", "option_text", "votes")
CORRECT_COLOUR, OTHER_COLOUR = "#15803d", "#9ca3af"


class ResultsError(ValueError):
    """The results file cannot be used; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class QuestionVotes:
    question_id: str
    votes: dict[str, int]  # option key -> number of votes

    @property
    def responses(self) -> int:
        return sum(self.votes.values())

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "votes": dict(self.votes)}


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

    def summary_lines(self) -> list[str]:
        lines = [f"{len(self.charts)} chart(s), summary in {self.summary_csv} and {self.summary_markdown}"]
        lines += [f"  {s.question_id}: {s.correct_votes}/{s.responses} chose a correct answer "
                  f"({s.percent_correct:.1f}%)" for s in self.summaries]
        if self.not_polled:
            lines.append(f"  no votes recorded for: {', '.join(self.not_polled)}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"charts": [str(c) for c in self.charts], "summary_csv": str(self.summary_csv),
                "summary_markdown": str(self.summary_markdown),
                "summaries": [s.to_dict() for s in self.summaries], "not_polled": list(self.not_polled)}


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
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
    return path


def _read_table(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.reader(handle)]


def _parse_votes(raw: str, where: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return None
    try:
        number = float(raw)
    except ValueError:
        raise ResultsError(f"{where}: votes must be a whole number, got {raw!r}") from None
    if number < 0 or number != int(number):
        raise ResultsError(f"{where}: votes must be a whole number >= 0, got {raw!r}")
    return int(number)


def read_results(path: Path, quiz: Quiz) -> tuple[list[QuestionVotes], list[str]]:
    """Votes per question in file order, plus the ids of questions whose votes are all empty."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such file")
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
        cell = lambda name: row[column[name]].strip() if name in column and column[name] < len(row) else ""  # noqa: E731
        where = f"{path}: row {number}"
        qid, key = cell("question_id"), cell("option").upper()
        try:
            question = quiz.question(qid)
        except KeyError:
            raise ResultsError(f"{where}: unknown question_id {qid!r} (not in quiz {quiz.name!r})") from None
        try:
            option = question.option(key)
        except KeyError:
            raise ResultsError(f"{where}: question {qid!r} has no option {key!r}; "
                               f"it has {', '.join(o.key for o in question.options)}") from None
        text = cell("option_text")
        if text and " ".join(text.split()) != " ".join(option.text.split()):
            raise ResultsError(f"{where}: option {key} of {qid!r} is {option.text!r} in the bank, the file says "
                               f"{text!r} (results from a shuffled export must be mapped to the bank's letters)")
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

def summarise(question: Question, votes: QuestionVotes) -> QuestionSummary:
    correct = sum(votes.votes[k] for k in question.correct_keys)
    return QuestionSummary(question.id, question.text, question.correct_keys, votes.responses, correct)


def build_chart(question: Question, votes: QuestionVotes) -> Figure:
    """Horizontal bars in the slide's option order, percentages printed, the key in green."""
    total = votes.responses or 1
    labels = [f"{o.key}) " + "\n".join(textwrap.wrap(mathtext.to_plain(o.text), 48)) for o in question.options]
    shares = [100.0 * votes.votes[o.key] / total for o in question.options]
    colours = [CORRECT_COLOUR if o.correct else OTHER_COLOUR for o in question.options]
    height = 1.2 + 0.75 * len(question.options) + 0.2 * sum(label.count("\n") for label in labels)
    fig, ax = plt.subplots(figsize=(9.0, height))
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, shares, color=colours)
    ax.set_yticks(positions, labels, fontsize=9)
    for y, share, option in zip(positions, shares, question.options):
        ax.text(share + 1, y, f"{share:.2f}%  ({votes.votes[option.key]})", va="center", fontsize=9)
    ax.set_xlim(0, 115)
    ax.set_xlabel(f"Share of {votes.responses} response(s) in %  (green: correct)")
    ax.set_title("\n".join(textwrap.wrap(mathtext.to_plain(question.text), 80)), fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def draw_chart(question: Question, votes: QuestionVotes, path: Path) -> Path:
    fig = build_chart(question, votes)
    try:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def _write_summary(summaries: list[QuestionSummary], out_dir: Path) -> tuple[Path, Path]:
    csv_path, md_path = out_dir / "summary.csv", out_dir / "summary.md"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question_id", "correct_options", "responses", "correct_votes", "percent_correct"])
        for s in summaries:
            writer.writerow([s.question_id, ",".join(s.correct_keys), s.responses, s.correct_votes,
                             f"{s.percent_correct:.2f}"])
    lines = ["| Question | Correct | Responses | Chose a correct answer |", "|---|---|---|---|"]
    lines += [f"| {s.question_id} | {', '.join(s.correct_keys)} | {s.responses} | "
              f"{s.correct_votes} ({s.percent_correct:.1f}%) |" for s in summaries]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def report_results(path: Path, quiz: Quiz, out_dir: Path) -> ResultsReport:
    """Read ``path``, draw a chart per polled question into ``out_dir`` and write the summary table."""
    all_votes, not_polled = read_results(path, quiz)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts, summaries = [], []
    for votes in all_votes:
        question = quiz.question(votes.question_id)
        charts.append(draw_chart(question, votes, out_dir / f"{question.id}.png"))
        summaries.append(summarise(question, votes))
    csv_path, md_path = _write_summary(summaries, out_dir)
    return ResultsReport(tuple(charts), csv_path, md_path, tuple(summaries), tuple(not_polled))


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
