"""tests/platforms/upstream/list_sources.py: the list of upstream files the opt-in upstream tests need, and the
check that decides whether they run (test_upstream_importers.py skips with its output as the reason)."""
from __future__ import annotations

import re

from upstream import list_sources


def test_every_source_is_pinned_to_a_commit_and_says_what_of_it_runs():
    entries = list_sources.sources()
    assert {e["folder"] for e in entries} == {"moodle", "canvas-lms"}
    for entry in entries:
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), entry
        assert entry["use"] in ("file", "strings") or (isinstance(entry["use"], list) and entry["use"]), entry
        assert list_sources.raw_url(entry).endswith(f"/{entry['repo']}/{entry['commit']}/{entry['path']}")


def test_check_names_each_missing_file_with_its_commit(tmp_path, capsys):
    entries = list_sources.sources()
    present, absent = entries[0], entries[1:]
    (tmp_path / present["folder"] / present["path"]).parent.mkdir(parents=True)
    (tmp_path / present["folder"] / present["path"]).write_text("<?php\n")
    assert list_sources.main(["--check", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"missing: {e['folder']}/{e['path']} ({e['repo']} at {e['commit']})" for e in absent]


def test_check_passes_a_complete_folder(tmp_path, capsys):
    for entry in list_sources.sources():
        (tmp_path / entry["folder"] / entry["path"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / entry["folder"] / entry["path"]).write_text("")
    assert list_sources.main(["--check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_the_listing_has_one_line_per_file(capsys):
    assert list_sources.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [[f"{e['folder']}/{e['path']}", e["commit"]]
                                                        for e in list_sources.sources()]
