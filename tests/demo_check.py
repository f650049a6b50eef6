"""What a run of `learnathon demo DIR` must show, wherever the project is installed: every assignment's
class graded (its summary table), the full solution with every point, the untouched notebook with
none, typical mistakes with some, and the files the demo says it wrote."""
from __future__ import annotations

import json
import re
from pathlib import Path

from autograder.admin.demo import demo_class
from autograder.grading import discovery

CLASS = re.compile(r"^== (\S+): a class of \d+$")
ROW = re.compile(r"^(\S+)\s+([\d.]+) / ([\d.]+)(?:\s|$)")        # a summary table's row: student, score / max


def class_scores(out: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{assignment: {student: (score, max)}} from the summary tables the demo prints."""
    tables: dict[str, dict[str, tuple[float, float]]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("=="):
            found = CLASS.match(line)
            current = tables.setdefault(found[1], {}) if found else None
        elif current is not None and (row := ROW.match(line)):
            current[row[1]] = (float(row[2]), float(row[3]))
    return tables


def check_demo_run(out: str, demo: Path) -> None:
    """Assert what every demo run must show (``out``: its stdout; ``demo``: the folder it was given)."""
    scores = class_scores(out)
    assert sorted(scores) == sorted(discovery.available()), out[-3000:]
    for assignment, table in scores.items():
        students = demo_class(discovery.load(assignment))
        assert sorted(table) == sorted(students), (assignment, table)           # nobody left ungraded
        top = table["ada"][1]
        assert top > 0 and all(maximum == top for _, maximum in table.values()), (assignment, table)
        assert table["ada"][0] == top and table["ben"][0] == 0, (assignment, table)
        for student in {"cleo", "dev"} & set(students):                         # typical mistakes cost some points
            assert 0 < table[student][0] < top, (assignment, student, table)
        for student in {"eve", "finn"} & set(students):                         # a broken file, an endless loop
            assert table[student][0] < top, (assignment, student, table)
    assert (demo / "grades.csv").is_file()
    assert len(list((demo / "quizzes").glob("lecture.*"))) >= 8
    report = demo / "course" / "reports" / "cs1" / "report.html"
    assert f"class report: {report}" in out and report.is_file()             # the demo ends with the report
    assert (demo / "quizzes" / "cs1-follow-up.deck.html").is_file()
    check_integrity(json.loads((report.parent / "report.json").read_text())["integrity"])
    assert "demo finished" in out
    assert f"learnathon live {demo / 'course' / 'reports' / 'cs1' / 'report.json'}" in out  # how to go live


def check_integrity(review: dict) -> None:
    """The demo's integrity review: gus and hana paired in both notebooks, ivy flagged, nobody else."""
    pairs = {(p["a"], p["b"], p["notebook"]) for p in review["pairs"]}
    assert {("gus", "hana", "part_a_forward_backward"), ("gus", "hana", "part_b_model_complexity")} <= pairs, pairs
    assert {"gus", "hana"} in [set(c["members"]) for c in review["clusters"]], review["clusters"]
    flagged = {(f["student"], f["kind"]) for f in review["flags"]}
    assert flagged == {("ivy", "backward_calls_forward"), ("ivy", "frames"), ("ivy", "submission_time")}, flagged
