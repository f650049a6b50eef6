"""assignments/README.md maps every lecture concept to where it is taught and graded; it stays true.

Every concept of quizzes/bank/concepts.yaml has a row; every hidden test, grade_id and quiz question the
table names exists (a renamed test or question breaks the map, and this test says which).
"""
from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "assignments" / "README.md"


def rows() -> list[list[str]]:
    return [line.strip("|").split(" | ") for line in MAP.read_text().splitlines()
            if line.startswith("| `")]


def test_every_concept_has_a_row_and_every_row_names_known_concepts():
    concepts = {c["id"] for c in yaml.safe_load((ROOT / "quizzes" / "bank" / "concepts.yaml").read_text())["concepts"]}
    named = {i for row in rows() for i in re.findall(r"`([a-z0-9-]+)`", row[0])}
    assert named - concepts == set(), "unknown concept ids in the map"
    assert concepts - named == set(), "concepts without a row in assignments/README.md"


def test_every_test_and_answer_the_map_names_exists():
    tests = {node.name for path in (ROOT / "autograder" / "hidden").glob("*/test_*.py")
             for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}
    grade_ids = {c.metadata["nbgrader"]["grade_id"] for path in (ROOT / "assignments").glob("*/*.ipynb")
                 for c in nbformat.read(path, 4).cells if c.metadata.get("nbgrader", {}).get("grade_id")}
    graded_by = " ".join(row[-1] for row in rows())
    named = set(re.findall(r"`(test_[A-Za-z0-9_*]+|reflection_\w+|analysis_answers|answers)`", graded_by))
    missing = [name for name in named if not any(fnmatch.fnmatch(t, name) for t in tests | grade_ids)]
    assert missing == [], f"the map names tests or answers that do not exist: {missing}"


def test_every_quiz_question_the_map_names_exists():
    bank = " ".join(p.read_text() for p in (ROOT / "quizzes" / "bank").glob("*.yaml") if p.name != "concepts.yaml")
    questions = set(re.findall(r"^\s*- id: ([\w-]+)", bank, flags=re.M))
    named = {q for row in rows() for segment in re.findall(r"quiz ((?:`[\w-]+`(?:, )?)+)", row[-1])
             for q in re.findall(r"`([\w-]+)`", segment)}
    assert named and named - questions == set(), f"unknown quiz questions: {named - questions}"
