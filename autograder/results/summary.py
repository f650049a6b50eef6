"""Plain-text progress lines and the class summary table printed by `autograde` and `demo`.

Student ids, file names and error messages come from students: every piece of them goes
through ``terminal.printable`` before it reaches the instructor's terminal.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..terminal import printable
from .records import StudentResult


def progress_line(result: StudentResult, index: int, total: int) -> str:
    student = printable(result.student)
    if result.skipped:
        return f"[{index}/{total}] {student}: already graded, unchanged (use --force to regrade)"
    if result.not_graded:
        return f"[{index}/{total}] {student}: NOT GRADED: {printable(result.not_graded)}"
    parts = ", ".join(f"{printable(r.notebook)} {r.score:g}/{r.max_score:g}" for r in result.reports)
    flag = "  !" if result.errors or getattr(result, "notes", None) else ""
    return f"[{index}/{total}] {student}: {parts} ({result.seconds:.1f} s){flag}"


def summary_table(results: Sequence[StudentResult], assignment: str) -> str:
    graded = [r for r in results if not r.skipped and not r.not_graded]
    if not results:
        return f"no submissions of {printable(assignment)} found"
    names = {id(r): printable(r.student) for r in results}
    width = max(len("student"), *(len(n) for n in names.values()))
    lines = [f"{'student':<{width}}  {'score':>13}  notes", f"{'-' * width}  {'-' * 13}  -----"]
    for r in results:
        name = names[id(r)]
        if r.skipped:
            lines.append(f"{name:<{width}}  {'(unchanged)':>13}  already graded")
            continue
        if r.not_graded:
            lines.append(f"{name:<{width}}  {'NOT GRADED':>13}  {printable(r.not_graded)[:90]}")
            continue
        note = printable("; ".join(r.errors + list(getattr(r, "notes", []))))
        note = note if len(note) < 90 else note[:87] + "..."
        lines.append(f"{name:<{width}}  {f'{r.score:g} / {r.max_score:g}':>13}  {note}")
    failed = sum(1 for r in results if r.not_graded)
    unchanged = sum(1 for r in results if r.skipped)
    if graded:
        seconds = sum(r.seconds for r in graded)
        lines.append(f"{len(graded)} graded, {unchanged} unchanged"
                     + (f", {failed} NOT graded (see the reasons above; rerun once fixed)" if failed else "")
                     + f"; {seconds:.1f} s of grading ({seconds / len(graded):.1f} s per submission)")
    elif failed:
        lines.append(f"{failed} NOT graded (see the reasons above; rerun once fixed)")
    return "\n".join(lines)
