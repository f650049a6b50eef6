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
from tiny_assignment import cold_start, module_registered_tiny, registered_tiny, tiny_roots  # noqa: E402,F401 - fixtures
