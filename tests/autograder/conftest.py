"""Fixtures for the engine's tests: a tiny assignment built in a temporary folder."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import tiny_assignment  # noqa: E402


@pytest.fixture(scope="session")
def tiny_spec(tmp_path_factory):
    """A NotebookSpec for the tiny notebook with fast limits (source and hidden tests in tmp)."""
    return tiny_assignment.make_spec(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_roots(tmp_path_factory):
    """Source and hidden roots holding only the tiny assignment (one pair per run, so that the
    sandbox's list of hidden folders, and with it its warm zygote, stays the same)."""
    base = tmp_path_factory.mktemp("registry")
    roots = base / "assignments", base / "hidden"
    tiny_assignment.write_assignment(*roots)
    return roots


def register(monkeypatch, roots):
    import autograder.assignments as registry

    monkeypatch.setattr(registry, "SOURCE_ROOT", roots[0])
    monkeypatch.setattr(registry, "HIDDEN_ROOT", roots[1])
    return registry.load(tiny_assignment.NAME)


@pytest.fixture
def registered_tiny(tiny_roots, monkeypatch):
    """The tiny assignment registered under the name "tiny", as `autograder.assignments.load` finds it."""
    return register(monkeypatch, tiny_roots)


@pytest.fixture(scope="module")
def module_registered_tiny(tiny_roots):
    with pytest.MonkeyPatch.context() as patch:
        yield register(patch, tiny_roots)
