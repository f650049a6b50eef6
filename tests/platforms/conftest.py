import pytest


@pytest.fixture
def course(tmp_path):
    """A course with the released two-part assignment ``hw`` (hw_course.py)."""
    from tests.platforms.hw_course import make_course

    return make_course(tmp_path)
