import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
# Both `import support` and `from tests.support import ...` work in every test module.
for path in (str(TESTS), str(TESTS.parent)):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def private_install(tmp_path_factory):
    """This checkout and a self-contained venv in a mode-700 home (tests/private_install.py)."""
    import private_install as install

    return install.build(tmp_path_factory.mktemp("private-home"))


@pytest.fixture(scope="session")
def site_install(tmp_path_factory):
    """The same, with the project installed non-editably into the venv's site-packages."""
    import private_install as install

    return install.build(tmp_path_factory.mktemp("site-home"), editable=False)
