"""Plain-text progress lines and the class summary table printed by `autograde` and `demo`."""
from __future__ import annotations


def progress_line(result, index: int, total: int) -> str:
    if result.skipped:
        return f"[{index}/{total}] {result.student}: already graded, unchanged (use --force to regrade)"
    if result.not_graded:
        return f"[{index}/{total}] {result.student}: NOT GRADED, the grader failed: {result.not_graded}"
    parts = ", ".join(f"{r.notebook} {r.score:g}/{r.max_score:g}" for r in result.reports)
    flag = "  !" if result.errors else ""
    return f"[{index}/{total}] {result.student}: {parts} ({result.seconds:.1f} s){flag}"


def summary_table(results, assignment: str) -> str:
    graded = [r for r in results if not r.skipped and not r.not_graded]
    if not results:
        return f"no submissions of {assignment} found"
    width = max(len("student"), *(len(r.student) for r in results))
    lines = [f"{'student':<{width}}  {'score':>13}  notes", f"{'-' * width}  {'-' * 13}  -----"]
    for r in results:
        if r.skipped:
            lines.append(f"{r.student:<{width}}  {'(unchanged)':>13}  already graded")
            continue
        if r.not_graded:
            lines.append(f"{r.student:<{width}}  {'NOT GRADED':>13}  grader failure, rerun: {r.not_graded[:70]}")
            continue
        note = "; ".join(r.errors)
        note = note if len(note) < 90 else note[:87] + "..."
        lines.append(f"{r.student:<{width}}  {f'{r.score:g} / {r.max_score:g}':>13}  {note}")
    failed = sum(1 for r in results if r.not_graded)
    unchanged = sum(1 for r in results if r.skipped)
    if graded:
        seconds = sum(r.seconds for r in graded)
        lines.append(f"{len(graded)} graded, {unchanged} unchanged"
                     + (f", {failed} NOT graded (grader failure: rerun)" if failed else "")
                     + f"; {seconds:.1f} s of grading ({seconds / len(graded):.1f} s per submission)")
    elif failed:
        lines.append(f"{failed} NOT graded (grader failure: rerun)")
    return "\n".join(lines)
