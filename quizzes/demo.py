"""The quiz part of ``learnathon demo``: the lecture quiz in every format, and the result charts drawn
from the lecture's own percentages through the same code path as ``learnathon quiz results``."""
from __future__ import annotations

from pathlib import Path

from quizzes.catalog import get_quiz
from quizzes.export import FORMATS, default_filename, export_quiz
from quizzes.results import lecture_result_rows, report_results, write_rows


def run_demo(out_dir: Path) -> list[str]:
    out_dir = Path(out_dir)
    quiz = get_quiz("lecture")
    lines = [f"Lecture quiz ({len(quiz.questions)} questions) exported to {out_dir}:"]
    for name in FORMATS:
        result = export_quiz(quiz, name, out_dir / default_filename(quiz.name, name))
        lines += result.summary_lines()
    # The slides show percentages; the smallest class that reproduces them gives whole votes.
    results_file = write_rows(out_dir / "lecture-results.csv", lecture_result_rows(quiz))
    report = report_results(results_file, quiz, out_dir / "results")
    lines.append(f"Lecture poll results (from the slides' percentages) in {results_file}:")
    lines += report.summary_lines()
    return lines
