"""Hidden tests run in the grader's process: points, partial credit, student-facing messages, rng."""
from __future__ import annotations

import dataclasses
import textwrap
import warnings

import pytest

from autograder.errors import StudentCodeError
from autograder.grading.runner import grade_notebook, run_hidden_tests
from tests.autograder import tiny_assignment as tiny

HIDDEN = textwrap.dedent('''
    import numpy as np
    import pytest

    from autograder.grading.testing import expect_array, fail

    SECRET_EXPECTED = 31337

    @pytest.mark.points(2)
    @pytest.mark.cell("answers")
    def test_answer(student):
        """the answer is 42"""
        assert student.answer() == 42, "answer() should return 42\\nsecond line with SECRET_EXPECTED"

    @pytest.mark.points(4)
    @pytest.mark.cell("answers")
    def test_partial_credit(student, credit):
        """half the points for a number, all for the right one"""
        credit.award(0.1)
        if isinstance(student.answer(), int):
            credit.award(0.5)
        credit.award(0.2)                       # never lowers what was awarded
        assert student.answer() == SECRET_EXPECTED

    @pytest.mark.points(1)
    def test_internal_error(student):
        """a hidden test with a bug of its own"""
        student.answer()
        {"hidden_key_name": 1}["other_hidden_key"]

    @pytest.mark.points(1)
    def test_student_failure(student):
        student.missing_function(np.zeros(3))

    @pytest.mark.points(1.5)
    def test_rng_first(student, rng):
        fail(f"draw {rng.integers(10**12)}")

    @pytest.mark.points(1.5)
    def test_rng_second(student, rng):
        fail(f"draw {rng.integers(10**12)}")
''')


class FakeSession:
    """What a hidden test reaches through `student`: answer() returns a fixed value."""

    def __init__(self, answer):
        self.answer, self.outcomes = answer, {}

    def call(self, name, *args, **kwargs):
        if name == "answer":
            return self.answer
        raise StudentCodeError(f"{name}(): no variable or function named {name!r} is defined in the notebook")

    def get(self, name):
        return self.call(name)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return tiny.make_spec(tmp_path_factory.mktemp("runner"), tests=HIDDEN)


def results(spec, answer):
    return {t.name: t for t in run_hidden_tests(spec, FakeSession(answer))}


def test_points_markers_cells_and_descriptions_are_recorded(spec):
    got = results(spec, 42)
    assert list(got) == ["test_answer", "test_partial_credit", "test_internal_error", "test_student_failure",
                         "test_rng_first", "test_rng_second"]
    answer = got["test_answer"]
    assert (answer.points, answer.max_points, answer.passed, answer.message) == (2.0, 2.0, True, "")
    assert answer.cell == "answers" and answer.description == "the answer is 42"
    assert got["test_internal_error"].cell is None


def test_partial_credit_keeps_the_largest_fraction_awarded(spec):
    assert results(spec, 42)["test_partial_credit"].points == 2.0      # an int: half of 4
    assert results(spec, "42")["test_partial_credit"].points == pytest.approx(0.8)
    full = results(spec, 31337)["test_partial_credit"]
    assert full.passed and full.points == 4.0


def test_only_the_first_line_of_an_assert_message_is_shown(spec):
    answer = results(spec, 7)["test_answer"]
    assert answer.points == 0 and answer.message == "answer() should return 42"


def test_a_bare_assert_shows_no_test_code_or_expected_value(spec):
    message = results(spec, 42)["test_partial_credit"].message
    assert message == "this check failed"


def test_an_internal_error_of_a_hidden_test_gives_the_generic_message(spec):
    internal = results(spec, 42)["test_internal_error"]
    assert internal.points == 0 and not internal.passed
    assert internal.message.startswith("the grader could not check your result (KeyError while checking it)")
    assert "hidden_key" not in internal.message


def test_student_code_errors_are_shown_as_they_are(spec):
    assert results(spec, 42)["test_student_failure"].message == (
        "missing_function(): no variable or function named 'missing_function' is defined in the notebook")


def test_rng_is_reproducible_per_test_and_differs_between_tests_and_assignments(spec):
    first, again = results(spec, 42), results(spec, 42)
    draws = [first["test_rng_first"].message, first["test_rng_second"].message]
    assert draws == [again["test_rng_first"].message, again["test_rng_second"].message]
    assert draws[0] != draws[1]
    other = dataclasses.replace(spec, assignment="another")
    assert results(other, 42)["test_rng_first"].message != draws[0]


def test_a_hidden_test_without_points_is_an_authoring_error(tmp_path):
    """Refused through pluggy's new-style wrapper: raising in an old-style hookwrapper's teardown warns
    (PluggyTeardownRaisedWarning), a behaviour pluggy is phasing out."""
    import pluggy

    broken = tiny.make_spec(tmp_path, tests="def test_no_points(student):\n    pass\n")
    with warnings.catch_warnings(record=True) as caught, pytest.raises(RuntimeError, match="could not run"):
        warnings.simplefilter("always")
        run_hidden_tests(broken, FakeSession(1))
    assert [w for w in caught if issubclass(w.category, pluggy.PluggyTeardownRaisedWarning)] == []


SHARED = textwrap.dedent('''
    import pytest

    SEEN = []

    @pytest.mark.points(1)
    def test_first(student):
        SEEN.append(student)

    @pytest.mark.points(1)
    def test_second(student):
        SEEN.append(student)
        assert SEEN[0] is SEEN[1], "student is not one object for the whole notebook"
''')


def test_student_is_one_object_per_notebook_and_nothing_pytest_deprecates_is_used(tmp_path):
    """The fixtures are plain functions (pytest 10 drops session-scoped fixtures as instance methods)."""
    shared = tiny.make_spec(tmp_path, tests=SHARED)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graded = run_hidden_tests(shared, FakeSession(1))
    assert [(t.name, t.passed, t.message) for t in graded] == [("test_first", True, ""), ("test_second", True, "")]
    deprecated = [str(w.message).split("\n")[0] for w in caught
                  if issubclass(w.category, pytest.PytestDeprecationWarning)]
    assert deprecated == []


@pytest.mark.usefixtures("cold_start")
def test_grade_notebook_of_the_honest_solution_gets_full_marks(tiny_spec, tmp_path):
    report = grade_notebook(tiny_spec, tiny.submission(tmp_path / "tiny.ipynb"), student="ada")
    assert (report.score, report.max_score, report.error, report.student) == (6.0, 6.0, None, "ada")
    assert report.cell_scores() == {"relu_tests": (3.0, 3.0), "forward_tests": (3.0, 3.0)}
    assert report.to_dict()["tests"][0] == {"name": "test_relu", "points": 2.0, "max_points": 2.0, "passed": True,
                                           "message": "", "mistake": None, "concepts": []}


@pytest.mark.usefixtures("cold_start")
def test_grade_notebook_gives_partial_credit_and_names_the_mistake(tiny_spec, tmp_path):
    path = tiny.submission(tmp_path / "tiny.ipynb", forward="def forward(X, params):\n    return relu(X @ "
                                                            "params['W'])\n")
    report = grade_notebook(tiny_spec, path)
    forward = next(t for t in report.tests if t.name == "test_forward")
    assert forward.points == 1.0 and forward.message == "forward(X, params): the bias b is missing"
    assert report.score == 4.0


@pytest.mark.usefixtures("cold_start")
def test_grade_notebook_of_an_unreadable_file_scores_zero_with_the_reason(tiny_spec, tmp_path):
    path = tmp_path / "tiny.ipynb"
    path.write_text("")
    report = grade_notebook(tiny_spec, path)
    assert report.score == 0 and report.max_score == 6.0
    assert "empty (0 bytes)" in report.error
    assert all("could not be checked: the notebook file is empty" in t.message for t in report.tests)


@pytest.mark.usefixtures("cold_start")
def test_a_sandbox_that_cannot_start_is_a_grader_error_not_a_zero(tiny_spec, tmp_path, monkeypatch):
    from autograder.errors import GraderError
    from autograder.sandbox import host

    monkeypatch.setattr(host, "ZYGOTE", tmp_path / "missing_zygote.py")     # the sandbox host cannot start
    with pytest.raises(GraderError, match="the grading sandbox did not start"):
        grade_notebook(tiny_spec, tiny.submission(tmp_path / "tiny.ipynb"))


def test_the_assignment_declares_its_preload_and_probes(registered_tiny):
    spec = registered_tiny.notebooks[0]
    config = spec.session_config(slot=1)
    assert spec.preload == config.preload == tiny.PRELOAD       # [sandbox] preload in its grading.toml
    assert config.probes is None                                 # it has no probes.py beside its hidden tests
    (spec.tests.parent / "probes.py").write_text("def fixed():\n    return 1\n")
    try:
        assert spec.session_config(slot=1).probes == spec.tests.parent / "probes.py"
    finally:
        (spec.tests.parent / "probes.py").unlink()
