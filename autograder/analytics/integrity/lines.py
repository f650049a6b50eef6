"""The integrity review as lines for the instructor's terminal: short, one finding per line, every text
a student controls (ids, code, file names) shown through ``terminal.printable``; the evidence itself
(matching lines side by side, the flagged lines) is in the class report."""
from __future__ import annotations

from ...terminal import printable
from .records import Review, owner_label


def review_lines(review: Review, course: str) -> list[str]:
    thresholds = review.settings.get("thresholds", {})
    lines = [f"integrity review of {review.assignment}: {len(review.students)} submissions "
             "(evidence for your judgement: nothing here changes a grade)"]
    lines.append(f"similar answer code ({len(review.pairs)} pairs; template and lecture code removed; reported from "
                 f"{thresholds.get('min_shared')} shared characters and "
                 f"{100 * thresholds.get('min_share', 0):.0f} % of one side):")
    for cluster in review.clusters:
        lines.append(f"  group: {', '.join(printable(owner_label(m)) for m in cluster.members)} "
                     f"({', '.join(cluster.notebooks)}; up to {100 * cluster.top_score:.0f} %)")
        inside = [p for p in review.pairs if p.a in cluster.members]
        if len(cluster.members) > 2:     # every pair of a large group is in the report, with its lines
            lines.append(f"    {len(inside)} pairs among them: see the class report")
            continue
        for pair in inside:
            lines.append(f"    {printable(owner_label(pair.a))} ~ {printable(owner_label(pair.b))}  {pair.notebook}  "
                         f"{100 * pair.share_a:.0f} % / {100 * pair.share_b:.0f} %, {pair.shared} characters, "
                         f"{len(pair.passages)} passage{'s' if len(pair.passages) != 1 else ''}")
    if not review.pairs:
        lines.append("  none")
    lines.append(f"flags ({len(review.flags)}):")
    for flag in review.flags:
        notebook = f" {flag.notebook}" if flag.notebook else ""
        lines.append(f"  {printable(flag.student)}{notebook} {flag.where}: {flag.kind}: {printable(flag.found)}")
    if not review.flags:
        lines.append("  none")
    for note in review.notes:
        lines.append(f"note: {printable(note)}")
    lines.append(f"stored in the class record; the evidence is in the class report: "
                 f"learnathon report {review.assignment} --course {printable(course)}")
    return lines
