"""Plain-text progress lines and the class summary table printed by `autograde` and `demo`."""
from __future__ import annotations


def progress_line(result, index: int, total: int) -> str:
    if result.skipped:
        return f"[{index}/{total}] {result.student}: already graded, unchanged (use --force to regrade)"
    parts = ", ".join(f"{r.notebook} {r.score:g}/{r.max_score:g}" for r in result.reports)
    flag = "  !" if result.errors else ""
    return f"[{index}/{total}] {result.student}: {parts} ({result.seconds:.1f} s){flag}"


def summary_table(results, assignment: str) -> str:
    graded = [r for r in results if not r.skipped]
    if not results:
        return f"no submissions of {assignment} found"
    width = max(len("student"), *(len(r.student) for r in results))
    lines = [f"{'student':<{width}}  {'score':>13}  notes", f"{'-' * width}  {'-' * 13}  -----"]
    for r in results:
        if r.skipped:
            lines.append(f"{r.student:<{width}}  {'(unchanged)':>13}  already graded")
            continue
        note = "; ".join(r.errors)
        note = note if len(note) < 90 else note[:87] + "..."
        lines.append(f"{r.student:<{width}}  {f'{r.score:g} / {r.max_score:g}':>13}  {note}")
    if graded:
        seconds = sum(r.seconds for r in graded)
        lines.append(f"{len(graded)} graded, {len(results) - len(graded)} unchanged; "
                     f"{seconds:.1f} s of grading ({seconds / len(graded):.1f} s per submission)")
    return "\n".join(lines)
