"""What hidden tests import: strict checks whose failures teach.

A hidden test receives the student's results as plain data (see ``session``) and compares
them here, in the trusted process, against the reference solution. Checks go shape, dtype
kind and finiteness before values, because ``np.allclose(5.0, [5, 5, 5])`` is True.

    from autograder.grading.testing import expect_array, fail, Probe

    @pytest.mark.points(2)
    @pytest.mark.cell("relu")
    def test_relu(student, rng):
        z = rng.normal(size=(6, 4))
        expect_array(student.relu(z), ref.relu(z), name="relu(z)", mistakes={
            Mistake("relu.is_derivative", "it is the derivative, not ReLU itself"): ref.relu_grad(z)})

A named mistake is a ``Mistake(id, message)``: the message is what the student reads, the id
(``topic.what_went_wrong``, lower case, dots and underscores) is what the class report counts and
what ``autograder/hidden/<name>/mistakes.toml`` catalogues for the follow-up quiz. It is a ``str``,
so it works wherever a message does; a plain-string key still works but is recorded without an id.
``fail(message, mistake="id")`` (or ``fail(Mistake(...))``) names a mistake outside ``mistakes=``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from ..errors import GradingFailure, StudentCodeError  # noqa: F401 - re-exported
from ..sandbox.session import Probe, RemoteObject  # noqa: F401 - re-exported
from . import compiled

if TYPE_CHECKING:
    from .runner import Student

Seed = TypeVar("Seed")
Run = TypeVar("Run")
Case = TypeVar("Case")

__all__ = ["GradingFailure", "StudentCodeError", "Probe", "RemoteObject", "Mistake", "MISTAKE_ID", "assignment_probes",
           "fail", "seeded_runs", "identify", "REFERENCE", "reject_altered", "as_array", "as_float", "shape_mismatch",
           "expect_array", "expect_float", "expect_close_to_one_of"]

# topic.what_went_wrong: stable, lower case; the catalogue (mistakes.toml) and the class report key on it.
MISTAKE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class Mistake(str):
    """A named mistake: behaves as its message (a ``str``) and carries a stable ``id``."""
    id: str

    def __new__(cls, id: str, message: str) -> Mistake:
        if not isinstance(id, str) or not MISTAKE_ID.match(id):
            raise ValueError(f"mistake id {id!r} must look like 'topic.what_went_wrong' (lower case, digits, "
                             "underscores, at least one dot)")
        named = super().__new__(cls, message)
        named.id = id
        return named

    def __reduce__(self) -> tuple[type[Mistake], tuple[str, str]]:
        return (Mistake, (self.id, str(self)))


def mistake_id(message: object) -> str | None:
    return message.id if isinstance(message, Mistake) else None


def fail(message: str, *, mistake: str | None = None) -> NoReturn:
    """Fail the test with ``message`` for the student; ``mistake`` (or a ``Mistake`` message) names it."""
    if mistake is not None and not MISTAKE_ID.match(mistake):
        raise ValueError(f"mistake id {mistake!r} must look like 'topic.what_went_wrong'")
    error = GradingFailure(str(message))
    error.mistake = mistake or mistake_id(message)
    raise error


def assignment_probes(where: str | Path) -> object:
    """The assignment's probes.py as a module in this (trusted) process, to compute what a probe
    does: ``probes = assignment_probes(__file__)`` in a hidden test, or the hidden folder itself.
    In the sandbox the same file is shipped to the worker when a test first hands over a probe."""
    folder = Path(where) if Path(where).is_dir() else Path(where).parent
    if not (folder / "probes.py").is_file():
        raise ImportError(f"no probes.py in {folder}")
    return compiled.fresh_import(f"learnathon_probes_{folder.name}", folder / "probes.py")


def seeded_runs(student: Student, run: Callable[[Seed], Run], seed: Seed, other_seed: Seed) -> tuple[Run, Run, Run]:
    """``(run(seed), run(seed) again, run(other_seed))`` for a check of seeding. The repeat is made in a
    fresh worker (``student.fresh()``) after the other seed's run: the student's process can neither
    answer it from memory of the first call nor make an unseeded function look reproducible through a
    global random state its cells seeded once. ``run`` must return plain data (remote objects do not
    survive the fresh worker)."""
    first = run(seed)
    student.fresh()
    other = run(other_seed)
    return first, run(seed), other


REFERENCE = "reference"


def identify(ask: Callable[[Case], object], candidates: Callable[[Case], Mapping[str, object]], cases: Iterable[Case],
             close: Callable[[object, object], bool]) -> str | None:
    """Which known function a student helper computes, judged on several inputs, for a test that builds on
    the helper (so that a helper's mistake costs points in its own test only) without taking it as the
    oracle: ``cases`` are inputs, the later test's own among them and others of other shapes that the
    grader drew; ``candidates(case)`` is the grader's {name: value} for ``REFERENCE`` and each named mistake
    of the helper; ``ask(case)`` the student's value; ``close(value, candidate)`` compares. Returns the name
    on which every case agrees (``REFERENCE`` first), else None: a helper right where it is tested but
    wrong where a later test uses it is not believed there. The later test then computes its expected
    value itself, from the name."""
    agreed: list[str] | None = None
    for case in cases:
        try:
            value = ask(case)
        except (GradingFailure, StudentCodeError):
            return None
        names = [name for name, candidate in candidates(case).items() if close(value, candidate)]
        agreed = names if agreed is None else [name for name in agreed if name in names]
        if not agreed:
            return None
    if not agreed:
        return None
    return REFERENCE if REFERENCE in agreed else agreed[0]


def reject_altered(model: RemoteObject, what: str) -> None:
    """Fail for a model whose methods were replaced on the object itself, or that carries forward hooks:
    what the grader measures must be what the model's class computes. (The report comes from the
    student's process; verdicts rest on the grader's own computation, this names the mistake.)"""
    seen = model.inspect()
    if seen["replaced"]:
        fail(f"{what} had {', '.join(seen['replaced'][:3])} replaced on the object itself: hand back the model as "
             "your class defines it (no method assigned to a model, e.g. model.forward = ...)")
    if seen["hooks"]:
        fail(f"{what} carries forward hooks ({', '.join(seen['hooks'][:3])}), which change what it computes: "
             "remove them")


def as_array(value: object, *, name: str) -> np.ndarray:
    """A numeric array from what the student returned (arrays, lists, tensors, pandas arrive as arrays)."""
    if isinstance(value, RemoteObject):
        fail(f"{name} should be an array of numbers, but it is a {value.type_name.rsplit('.', 1)[-1]}")
    if value is None:
        fail(f"{name} is None: did you forget the `return` statement?")
    if isinstance(value, (str, bytes, dict)):
        fail(f"{name} should be an array of numbers, but it is a {type(value).__name__}")
    if isinstance(value, tuple) and len(value) > 0 and any(isinstance(v, np.ndarray) for v in value):
        fail(f"{name} should be one array, but it is a tuple of {len(value)} values: "
             "did you return more than was asked for?")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        fail(f"{name} should be an array of numbers, but it is a ragged list")
    if array.dtype == bool or array.dtype.kind not in "iuf":
        if array.dtype.kind == "c":
            fail(f"{name} contains complex numbers; expected real numbers")
        fail(f"{name} should contain numbers, but has dtype {array.dtype}")
    return array


def as_float(value: object, *, name: str) -> float:
    if value is None:
        fail(f"{name} is None: did you forget the `return` statement?")
    if isinstance(value, (str, bytes, dict, list, tuple, RemoteObject)) and not (
            isinstance(value, (list, tuple)) and len(value) == 1):
        kind = value.type_name.rsplit(".", 1)[-1] if isinstance(value, RemoteObject) else type(value).__name__
        fail(f"{name} should be a single number, but it is a {kind}")
    array = as_array(value, name=name)
    if array.size != 1:
        fail(f"{name} should be a single number, but it is an array of {'no' if array.size == 0 else 'several'} "
             "values")
    result = float(array.reshape(()))
    if not np.isfinite(result):
        fail(f"{name} is {result}, not a finite number")
    return result


def shape_mismatch(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """How a result's shape differs from the expected one, in words that name no size: the sizes of a
    result follow from the hidden inputs' (see relay.py), and a shape is enough to write code that is
    right only where it is tested."""
    got, expected = tuple(got), tuple(expected)
    if not got and expected:
        return "it is a single number, expected an array (did you reduce it, e.g. with sum or mean?)"
    if got and not expected:
        return "it is an array, expected a single number"
    if len(got) != len(expected):
        more = "more" if len(got) > len(expected) else "fewer"
        return f"it has {more} axes than expected (a missing or extra dimension; check keepdims= and how you index)"
    if sorted(got) == sorted(expected):
        return "its axes have the expected sizes in another order (a transpose?)"
    wrong = [str(axis) for axis, (a, b) in enumerate(zip(got, expected)) if a != b]
    text = (f"its size along axis {wrong[0]} is not the expected one" if len(wrong) == 1
            else f"its sizes along the axes {', '.join(wrong)} are not the expected ones")
    if int(np.prod(got)) == int(np.prod(expected)):
        text += " (same number of values: a missing reshape?)"
    return text


def _describe_difference(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    wrong = int(np.size(close) - np.count_nonzero(close))
    largest = float(np.max(np.abs(got - expected))) if got.size else 0.0
    share = ("every value differs" if wrong == got.size else "1 value differs" if wrong == 1
             else f"{wrong} values differ")
    return f"{share} from the expected result (largest difference {largest:.3g})"


def expect_array(value: object, expected: ArrayLike, *, name: str, rtol: float = 1e-6, atol: float = 1e-8,
                 shapes: Iterable[tuple[int, ...]] | None = None, mistakes: Mapping[str, ArrayLike] | None = None,
                 hint: str = "") -> np.ndarray:
    """Fail unless ``value`` is a finite array shaped like ``expected`` with the same values.

    ``shapes``: other shapes that are also right (e.g. a bias as (h,) or (1, h)); the value is
    then compared after reshaping. ``mistakes``: {Mistake(id, message): what a typical mistake would
    return}; if the value matches one of them, that message is the failure and its id is recorded.
    """
    expected = np.asarray(expected, dtype=float)
    array = as_array(value, name=name)
    allowed = [tuple(expected.shape), *(tuple(s) for s in (shapes or ()))]
    if tuple(array.shape) not in allowed:
        fail(f"{name} has the wrong shape: {shape_mismatch(array.shape, expected.shape)}")
    array = array.astype(float).reshape(expected.shape)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        fail(f"{name} contains {bad} NaN or infinite value(s)" + (f"; {hint}" if hint else
             ": an overflow (exp of a large number?) or a division by zero?"))
    if np.allclose(array, expected, rtol=rtol, atol=atol):
        return array
    for message, variant in (mistakes or {}).items():
        variant = np.asarray(variant, dtype=float)
        if variant.shape == expected.shape and np.allclose(array, variant, rtol=rtol, atol=atol):
            fail(f"{name}: {message}", mistake=mistake_id(message))
    fail(f"{name}: {_describe_difference(array, expected, rtol, atol)}" + (f". {hint}" if hint else ""))


def expect_float(value: object, expected: float, *, name: str, rtol: float = 1e-6, atol: float = 1e-8,
                 mistakes: Mapping[str, float] | None = None, hint: str = "") -> float:
    got = as_float(value, name=name)
    if np.isclose(got, expected, rtol=rtol, atol=atol):
        return got
    for message, variant in (mistakes or {}).items():
        if np.isclose(got, float(variant), rtol=rtol, atol=atol):
            fail(f"{name}: {message}", mistake=mistake_id(message))
    fail(f"{name} is {got:.6g}, which is not the expected value" + (f". {hint}" if hint else ""))


def expect_close_to_one_of(value: object, candidates: Mapping[str, ArrayLike], *, name: str, rtol: float = 1e-6,
                           atol: float = 1e-8) -> str:
    """Return the key of the candidate array the value matches, or fail."""
    array = as_array(value, name=name).astype(float)
    for key, candidate in candidates.items():
        candidate = np.asarray(candidate, dtype=float)
        if array.shape == candidate.shape and np.allclose(array, candidate, rtol=rtol, atol=atol):
            return key
    fail(f"{name} does not match any of the expected results")
