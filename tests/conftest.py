"""The suite's plugins and session fixtures.

Shared helpers are modules of the ``tests`` package tree (the checkout is on pytest's ``pythonpath``):
``from tests import support``, ``from tests.autograder import tiny_assignment as tiny``. Fixtures the
whole suite shares come from the plugins below, never from re-exports in a folder's conftest.py.
"""
import pytest

pytest_plugins = ("tests.autograder.tiny_assignment",)


@pytest.fixture(autouse=True)
def run_configuration(monkeypatch):
    """Each test starts from the configuration in place and leaves it so (autograder/config.py): a test
    configures its own (``tiny_assignment.use_config``), and a `learnathon` command it invokes in this
    process configures one from the environment."""
    from autograder import config

    monkeypatch.setattr(config, "_current", config.current())


@pytest.fixture(scope="session")
def private_install(tmp_path_factory):
    """This checkout and a self-contained venv in a mode-700 home (tests/private_install.py)."""
    from tests import private_install as install

    return install.build(tmp_path_factory.mktemp("private-home"))


@pytest.fixture(scope="session")
def site_install(tmp_path_factory):
    """The same, with the project installed non-editably into the venv's site-packages."""
    from tests import private_install as install

    return install.build(tmp_path_factory.mktemp("site-home"), editable=False)
