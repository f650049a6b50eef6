"""assignments/README.md maps every lecture concept to where it is taught and graded; it stays true.

Every concept of autograder/concepts.yaml has a row; every hidden test, grade_id and quiz question the
table names exists (a renamed test or question breaks the map, and this test says which); and every
section the map says teaches a concept does, in the notebook students receive (found through
discovery, released by nbgrader): a section claimed in a row teaches one of the row's concepts, and
each concept of the row is taught in one of its claimed sections, in the words of ``TAUGHT_BY`` below.
"""
from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.grading import discovery
from autograder.grading.steps import headings
from tests.support import student_version

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "assignments" / "README.md"

# What a section teaching a concept says, at the least (case-insensitive regular expressions).
TAUGHT_BY = {
    "biological-neuron": r"biological",
    "universal-approximation": r"universal approximation",
    "network-nomenclature": r"\blayers?\b.*\bweights?\b|\bweights?\b.*\blayers?\b",
    "matrix-form": r"matri(x|ces)",
    "activation-functions": r"activation",
    "vanishing-gradients": r"vanish|saturat",
    "dying-relu": r"dying|dead",
    "output-activations": r"output (layer|activation|neuron)|linear output|softmax|multi-?label",
    "forward-pass": r"forward",
    "mse": r"mean squared error|\bMSE\b",
    "cross-entropy": r"cross-entropy",
    "backpropagation": r"backprop|backward",
    "chain-rule": r"chain rule",
    "gradient-descent": r"gradient descent",
    "second-order-methods": r"second-order|hessian|newton",
    "learning-rate": r"learning rate",
    "mini-batches": r"mini-?batch",
    "training-loop": r"zero_grad|training loop|optimi[sz]er\.step|five steps|\bepochs?\b",
    "width-depth": r"\bwidth\b|\bdepth\b|\bdeep\b",
    "parameter-count": r"parameters",
    "over-underfitting": r"overfit|underfit|fits? the noise",
    "learning-curves": r"\bcurves?\b|validation loss",
    "data-splits": r"validation|test set|\bsplit",
    "model-selection": r"elbow|choos|select",
    "k-fold": r"k-fold|\bfolds?\b",
    "data-leakage": r"leak",
    "feature-scaling": r"\bscal",
    "early-stopping": r"early stopping",
    "surrogate-models": r"surrogate",
    "regression-metrics": r"\bRMSE\b|\bMAE\b|R\^2|R²|\bOPE\b|\bMPE\b",
    "extrapolation": r"extrapolat|generali[sz]e|outside the (training|data|sampled)",
    "qspr-descriptors": r"descriptor|QSPR",
}


def rows() -> list[list[str]]:
    return [line.strip("|").split(" | ") for line in MAP.read_text().splitlines()
            if line.startswith("| `")]


def concepts() -> set[str]:
    return {c["id"] for c in yaml.safe_load((ROOT / "autograder" / "concepts.yaml").read_text())["concepts"]}


def test_every_concept_has_a_row_and_every_row_names_known_concepts():
    named = {i for row in rows() for i in re.findall(r"`([a-z0-9-]+)`", row[0])}
    assert named - concepts() == set(), "unknown concept ids in the map"
    assert concepts() - named == set(), "concepts without a row in assignments/README.md"
    assert set(TAUGHT_BY) == concepts(), "say in TAUGHT_BY what a section teaching each concept says"


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
    bank = " ".join(p.read_text() for p in (ROOT / "quizzes" / "bank").glob("*.yaml"))
    questions = set(re.findall(r"^\s*- id: ([\w-]+)", bank, flags=re.M))
    named = {q for row in rows() for segment in re.findall(r"quiz ((?:`[\w-]+`(?:, )?)+)", row[-1])
             for q in re.findall(r"`([\w-]+)`", segment)}
    assert named and named - questions == set(), f"unknown quiz questions: {named - questions}"


# --- "taught in": the sections of the released notebooks ------------------------------------------------

def letters() -> dict[str, discovery.NotebookSpec]:
    """The map's notebook letters (**A** = `cs1/part_a_forward_backward.ipynb`), found through discovery."""
    found = {}
    for letter, path in re.findall(r"\*\*([A-Z])\*\* = `([\w/]+\.ipynb)`", MAP.read_text()):
        assignment, filename = path.split("/")
        found[letter] = discovery.load(assignment).notebook(filename)
    return found


SECTION_NUMBER = re.compile(r"^(?:Step\s+)?(\d+[a-z]?)\.\s", re.I)


def sections(nb) -> list[tuple[str, int, str]]:
    """(heading, level, text up to the next heading of the same or a higher level) of a notebook."""
    lines: list[tuple[int, str, str]] = []    # (level or 0, heading or "", text)
    for cell in nb.cells:
        for line in cell.source.splitlines():
            match = re.match(r"^(#{1,6})\s+(.+)$", line) if cell.cell_type == "markdown" else None
            found = match and headings(line)
            lines.append((len(match.group(1)), found[0], line) if match and found else (0, "", line))
    result = []
    for i, (level, heading, _) in enumerate(lines):
        if level:
            end = next((j for j in range(i + 1, len(lines)) if 0 < lines[j][0] <= level), len(lines))
            result.append((heading, level, "\n".join(text for _, _, text in lines[i:end])))
    return result


def claim_text(nb, claim: str) -> str:
    """The text of the sections a claim names: ``§3``, ``§9a``, ``§1-1d``, ``§1-§10``, ``(whole)``, or
    words of headings (``elbow demonstration``)."""
    found = sections(nb)
    if claim.strip() in ("(whole)", ""):
        return "\n".join(cell.source for cell in nb.cells)
    numbered = [(SECTION_NUMBER.match(h).group(1).lower() if SECTION_NUMBER.match(h) else None, text)
                for h, _, text in found]
    span = re.fullmatch(r"§(\d+[a-z]?)(?:-§?(\d+[a-z]?))?", claim.strip())
    if span:
        first, last = span.group(1), span.group(2) or span.group(1)
        ids = [n for n, _ in numbered]
        assert first in ids and last in ids, f"section {claim} is not in {nb.metadata.get('name', 'the notebook')}"
        return "\n".join(text for n, text in numbered[ids.index(first):ids.index(last) + 1])
    words = [w for w in re.findall(r"[a-z]{3,}", claim.lower()) if not w.startswith("demonstration")
             and w != "and"]
    unmatched = [w for w in words if not any(w in h.lower() for h, _, _ in found)]
    assert words and not unmatched, f"no section heading says {unmatched or claim!r}"
    return "\n".join(text for h, _, text in found if any(w in h.lower() for w in words))


def claims(taught_in: str) -> list[tuple[str, str]]:
    """(notebook letter, section claim) pairs of a "taught in" cell: ``A §2, §5; S (whole), elbow demonstration``."""
    found, letter = [], None
    for piece in re.split(r"[;,]", re.sub(r"\([^)]*\)", lambda m: "(whole)" if "whole" in m.group(0) else "",
                                          taught_in)):
        piece = piece.strip()
        match = re.match(r"^([A-Z])\b\s*(.*)$", piece)
        if match:
            letter, piece = match.group(1), match.group(2)
        if letter and (piece or match):
            found.append((letter, piece))
    return found


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    folder = tmp_path_factory.mktemp("released")
    return {letter: nbformat.read(student_version(spec.source, folder / f"{letter}.ipynb"), 4)
            for letter, spec in letters().items()}


def test_the_map_knows_every_released_notebook():
    assert {(s.assignment, s.name) for s in letters().values()} == \
        {(s.assignment, s.name) for name in discovery.available() for s in discovery.load(name).notebooks}


@pytest.mark.parametrize("row", rows(), ids=lambda row: row[0].replace("`", ""))
def test_every_section_the_map_claims_teaches_the_row_s_concepts(row, released):
    ids = re.findall(r"`([a-z0-9-]+)`", row[0])
    if row[2].startswith("—"):       # taught in the lecture only: then a quiz question asks it
        assert "quiz `" in row[-1], f"{row[0]}: taught in no notebook and asked in no quiz"
        return
    taught = {}
    for letter, claim in claims(row[2]):
        text = claim_text(released[letter], claim)
        taught[f"{letter} {claim}"] = {c for c in ids if re.search(TAUGHT_BY[c], text, re.I | re.S)}
    assert taught, f"{row[0]}: the map says nowhere where it is taught"
    assert [where for where, found in taught.items() if not found] == [], \
        f"{row[0]}: these sections teach none of the row's concepts"
    untaught = [c for c in ids if not any(c in found for found in taught.values())]
    assert untaught == [], f"{row[0]}: {untaught} taught in none of {list(taught)}"
