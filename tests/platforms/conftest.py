import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "autograder"))
from tiny_assignment import cold_start, module_registered_tiny, registered_tiny, tiny_roots  # noqa: E402,F401 - fixtures


@pytest.fixture
def course(tmp_path):
    """A course with the released two-part assignment ``hw`` (hw_course.py)."""
    from hw_course import make_course

    return make_course(tmp_path)
