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


@pytest.fixture
def registered_tiny(tmp_path, monkeypatch):
    """The tiny assignment registered under the name "tiny", as `autograder.assignments.load` finds it."""
    import autograder.assignments as registry

    source_root, hidden_root = tmp_path / "assignments", tmp_path / "hidden"
    tiny_assignment.write_assignment(source_root, hidden_root)
    monkeypatch.setattr(registry, "SOURCE_ROOT", source_root)
    monkeypatch.setattr(registry, "HIDDEN_ROOT", hidden_root)
    return registry.load(tiny_assignment.NAME)
