"""The one configuration of a run (autograder/config.py): read from the environment once, at the edge."""
from __future__ import annotations

from pathlib import Path

from autograder import config
from autograder.config import Config
from autograder.grading import discovery
from autograder.sandbox import host


def test_the_environment_names_the_roots_and_the_cold_start_and_defaults_fill_the_rest(tmp_path):
    read = Config.from_environment({"LEARNATHON_ASSIGNMENTS_DIR": str(tmp_path / "a"),
                                    "LEARNATHON_COLD_START": "1"})
    assert read == Config(assignments_root=tmp_path / "a", hidden_root=config.DEFAULT_HIDDEN, cold_start=True)
    assert Config.from_environment({"LEARNATHON_COLD_START": ""}).cold_start is False
    assert Config.from_environment({}).favor_cgroup_moves is True
    assert Config.from_environment({"LEARNATHON_KEEP_CGROUP_MOUNTS": "1"}).favor_cgroup_moves is False


def test_the_engine_reads_the_configured_roots_and_switch_not_the_environment(tiny_roots, monkeypatch):
    monkeypatch.setenv("LEARNATHON_COLD_START", "1")          # read by from_environment only
    monkeypatch.setenv("LEARNATHON_HIDDEN_TESTS_DIR", str(Path("/nonexistent")))
    config.configure(Config(assignments_root=tiny_roots[0], hidden_root=tiny_roots[1], cold_start=True))
    assert discovery.available() == ["tiny"] and discovery.hidden_root() == tiny_roots[1]
    assert not host.warm_available()                          # cold, whatever the machine offers
    config.configure(Config())
    assert "tiny" not in discovery.available()
    assert host.warm_available() == host.launcher.namespaces_available()
