"""Similar answer code (analytics/integrity/similarity.py, answers.py): what is compared, what is known
code, and what a reported pair shows. The thresholds themselves are measured by benchmarks/integrity.py."""
from __future__ import annotations

import pytest

from autograder.admin.fabricate import read_fixture
from autograder.analytics.integrity import similarity
from autograder.analytics.integrity.answers import known_code
from autograder.analytics.integrity.records import SOLUTION
from autograder.grading import discovery
from tests.autograder.analytics.integrity.integrity_support import cells_of, notebook_answers
from tests.support import student_version

SPEC = discovery.load("cs1").notebook("part_a_forward_backward.ipynb")
LOOPS = read_fixture(discovery.load("cs1").fixture_folder(SPEC.name) / "ok_loops.py").cells


def pairs(*owned, every_pair=False):
    docs = [similarity.document(owner, answers, SPEC.source) for owner, answers in owned]
    return similarity.similar_pairs(docs, SPEC.source, SPEC.name, every_pair=every_pair)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return student_version(SPEC.source, tmp_path_factory.mktemp("released") / f"{SPEC.name}.ipynb")


def test_students_who_share_only_the_released_stubs_and_docstrings_are_not_alike(released, tmp_path):
    untouched = [(f"s{i}", notebook_answers(SPEC, {}, tmp_path, released)) for i in range(3)]
    assert any("raise NotImplementedError" in c.source for c in untouched[0][1].answer_cells)
    assert pairs(*untouched, every_pair=True) == []          # not one fingerprint in common


def test_a_copy_split_and_merged_across_cells_and_reworded_is_found_with_its_passages(released, tmp_path):
    from autograder.admin.fabricate import with_cells
    from autograder.analytics.integrity.answers import read_answers
    from autograder.intake.notebook import parse_notebook, validated_notebook

    original = notebook_answers(SPEC, LOOPS, tmp_path, released)
    # The copy moves softmax into the relu cell (merged), splits forward into two cells, renames and re-comments.
    merged = {"relu": LOOPS["relu"].replace("out", "res") + "\n# softmax too\n" + LOOPS["softmax"],
              "softmax": "# (moved up)\n", "forward": LOOPS["forward"].replace("A1", "hidden")}
    copy_path = with_cells(released, merged, tmp_path / "copy.ipynb")
    copy = read_answers(validated_notebook(parse_notebook(copy_path.read_bytes())), SPEC.source, SPEC.name)
    found = pairs(("ann", original), ("cal", copy))
    assert [(p.a, p.b) for p in found] == [("ann", "cal")]
    passages = found[0].passages
    relu_side = [e for p in passages for e in p.b if e.grade_id == "relu"]
    softmax_side = [e for p in passages for e in p.a if e.grade_id == "softmax"]
    assert relu_side and softmax_side                              # ann's softmax cell beside cal's relu cell
    assert all(e.first_line <= e.last_line and e.code for p in passages for e in p.a + p.b)


def test_the_instructor_s_solution_takes_part_and_independent_work_is_not_paired_with_it(released, tmp_path):
    from autograder.analytics.integrity.answers import solution_answers

    solution = solution_answers(SPEC.source, SPEC.name)
    honest = notebook_answers(SPEC, LOOPS, tmp_path, released)
    leaked = notebook_answers(SPEC, {}, tmp_path)                 # the solution handed in as it is
    found = pairs((SOLUTION, solution), ("hon", honest), ("lee", leaked))
    assert [(p.a, p.b) for p in found] == [(SOLUTION, "lee")] and found[0].score == 1.0


def test_known_code_is_the_released_notebook_its_quoted_code_and_the_lecture():
    parts = known_code(SPEC.source)
    text = "\n".join(parts)
    assert "raise NotImplementedError()" in text and "### BEGIN SOLUTION" not in text
    assert "np.maximum(np.asarray(z, dtype=float), 0.0)" not in text            # no answer of the solution
    assert "optimizer.zero_grad()" in parts[-1]                                  # the lecture's training loop


def test_lecture_code_shared_by_two_students_is_not_a_pair():
    loop = ("model = Net()\ncriterion = nn.MSELoss()\noptimizer = optim.Adam(model.parameters(), lr=0.01)\n"
            "loss_history = []\nfor epoch in range(100):\n    optimizer.zero_grad()\n    outputs = model(X)\n"
            "    loss = criterion(outputs, y)\n    loss.backward()\n    optimizer.step()\n"
            "    loss_history.append(loss.item())\n")
    own = "def mine(a, b):\n    return sorted(set(a) ^ set(b), key=len)[::-1] + [x * 2 for x in a if x % 3]\n"
    assert pairs(("a", cells_of(loop)), ("b", cells_of(loop.replace("loss", "l") + own)), every_pair=True) == []


def test_a_huge_answer_is_compared_on_its_first_part_only():
    huge = cells_of("x = [" + ", ".join(str(i) for i in range(100_000)) + "]\n")
    doc = similarity.document("h", huge)
    assert doc.truncated and len(doc.text) == similarity.MAX_DOCUMENT_CHARS


def test_cutting_a_copy_into_one_line_cells_hides_nothing():
    original = cells_of(*LOOPS.values())
    one_per_cell = cells_of(*[line for text in LOOPS.values() for line in text.splitlines() if line.strip()])
    found = pairs(("ori", original), ("cut", one_per_cell))
    assert [(p.a, p.b) for p in found] == [("cut", "ori")] and found[0].score > 0.9
