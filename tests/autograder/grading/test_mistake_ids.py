"""Named mistakes carry a stable id and every test its concepts, from the check to the TestResult."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

from autograder.grading import tags
from autograder.grading.runner import run_hidden_tests
from autograder.grading.testing import GradingFailure, Mistake, expect_array, expect_float, fail
from tests.autograder import tiny_assignment as tiny

HIDDEN = textwrap.dedent('''
    import numpy as np
    import pytest

    from autograder.grading.testing import Mistake, expect_array, expect_float, fail

    @pytest.mark.points(1)
    def test_named(student):
        """expect_array names the mistake"""
        z = np.array([-1.0, 2.0])
        expect_array(student.answer(), np.maximum(z, 0), name="relu(z)", mistakes={
            Mistake("relu.negatives_kept", "negative inputs are kept"): z,
            "an unnamed mistake (plain string)": -z,
        })

    @pytest.mark.points(1)
    def test_fail_with_id(student):
        if student.answer() is not None:
            fail("validation rows were trained on", mistake="train.validation_in_training")

    @pytest.mark.points(1)
    def test_fail_with_mistake_message(student):
        message = Mistake("split.not_shuffled", "the split is not shuffled")
        fail(message)

    @pytest.mark.points(1)
    def test_passes(student):
        pass
''')

CONCEPTS = textwrap.dedent('''
    [tiny]
    test_named = ["activation-functions"]
    test_fail_with_id = ["data-splits", "data-leakage"]
    test_fail_with_mistake_message = ["data-splits"]
    test_passes = ["forward-pass"]
''')


class FakeSession:
    def __init__(self, answer):
        self.answer, self.outcomes = answer, {}

    def call(self, name, *args, **kwargs):
        return self.answer

    def get(self, name):
        return self.answer


@pytest.fixture
def spec(tmp_path):
    spec = tiny.make_spec(tmp_path, tests=HIDDEN)
    (spec.tests.parent / "concepts.toml").write_text(CONCEPTS)
    return spec


def by_name(spec, answer):
    return {t.name: t for t in run_hidden_tests(spec, FakeSession(answer))}


def test_a_recognised_named_mistake_is_recorded_with_its_id(spec):
    got = by_name(spec, [-1.0, 2.0])
    assert got["test_named"].mistake == "relu.negatives_kept"
    assert got["test_named"].message == "relu(z): negative inputs are kept"
    assert got["test_fail_with_id"].mistake == "train.validation_in_training"
    assert got["test_fail_with_mistake_message"].mistake == "split.not_shuffled"
    assert got["test_passes"].mistake is None and got["test_passes"].passed


def test_an_unnamed_or_unrecognised_failure_has_no_id(spec):
    plain = by_name(spec, [1.0, -2.0])["test_named"]         # the plain-string mistake: message, no id
    assert (plain.passed, plain.message, plain.mistake) == (False, "relu(z): an unnamed mistake (plain string)", None)
    other = by_name(spec, [5.0, 5.0])["test_named"]
    assert other.mistake is None and "from the expected result" in other.message


def test_every_test_carries_its_concepts_and_they_reach_to_dict(spec):
    got = by_name(spec, [-1.0, 2.0])
    assert got["test_fail_with_id"].concepts == ("data-splits", "data-leakage")
    assert got["test_passes"].concepts == ("forward-pass",)
    record = got["test_named"].to_dict()
    assert record["mistake"] == "relu.negatives_kept" and record["concepts"] == ["activation-functions"]


def test_an_unknown_concept_in_concepts_toml_names_the_file_and_the_test(spec):
    (spec.tests.parent / "concepts.toml").write_text('[tiny]\ntest_named = ["activation-function"]\n')
    with pytest.raises(tags.TagError, match=r"concepts.toml: tiny.test_named: unknown concept 'activation-function' "
                                            r"\(did you mean 'activation-functions'\?\)"):
        tags.concepts_of(spec.tests)


def test_mistake_ids_must_be_dotted_lower_case():
    for bad in ("NoDot", "forward", "Forward.Bias", "forward.missing bias", ""):
        with pytest.raises(ValueError, match="topic.what_went_wrong"):
            Mistake(bad, "message")
    with pytest.raises(ValueError, match="topic.what_went_wrong"):
        fail("message", mistake="not an id")


def test_a_mistake_is_its_message_wherever_a_string_is_expected():
    named = Mistake("mse.sum_not_mean", "the MSE is the mean")
    assert named == "the MSE is the mean" and isinstance(named, str) and named.id == "mse.sum_not_mean"
    with pytest.raises(GradingFailure) as caught:
        expect_float(12.0, 3.0, name="mse", mistakes={named: 12.0})
    assert (str(caught.value), caught.value.mistake) == ("mse: the MSE is the mean", "mse.sum_not_mean")
    with pytest.raises(GradingFailure) as caught:
        expect_array(np.zeros(2), np.ones(2), name="x", mistakes={named: np.full(2, 7.0)})
    assert caught.value.mistake is None


CATALOGUE = textwrap.dedent('''
    [questions.relu]
    stem = 'Which expression is $\\mathrm{ReLU}(z)$?'
    correct = '$\\max(0, z)$'
    concepts = ["activation-functions"]

    [mistakes]
    "relu.negatives_kept" = { question = "relu", wrote = '$z$' }
''')


def test_the_catalogue_gives_stem_correct_answer_distractor_and_concepts(tmp_path):
    (tmp_path / "mistakes.toml").write_text(CATALOGUE)
    entry = tags.mistake_catalogue(tmp_path)["relu.negatives_kept"]
    assert (entry.stem, entry.correct, entry.wrote, entry.concepts) == (
        r"Which expression is $\mathrm{ReLU}(z)$?", r"$\max(0, z)$", "$z$", ("activation-functions",))


@pytest.mark.parametrize("broken, message", [
    (CATALOGUE.replace('question = "relu"', 'question = "relu2"'), "question 'relu2' is not in \\[questions\\]"),
    (CATALOGUE.replace("wrote = '$z$'", "wrote = '$\\max(0, z)$'"), "'wrote' is the question's correct answer"),
    (CATALOGUE.replace('"relu.negatives_kept"', '"Relu"'), "ids look like"),
    (CATALOGUE.replace('concepts = ["activation-functions"]', 'concepts = ["relu"]'), "unknown concept 'relu'"),
    (CATALOGUE.replace("wrote = '$z$'", "wrote = '$z$', text = 'x'"), "unknown field\\(s\\) text"),
    (CATALOGUE.replace("stem =", "# stem ="), "missing or empty 'stem'"),
])
def test_a_broken_catalogue_entry_is_refused_with_file_and_entry(tmp_path, broken, message):
    (tmp_path / "mistakes.toml").write_text(broken)
    with pytest.raises(tags.TagError, match=message):
        tags.mistake_catalogue(tmp_path)
