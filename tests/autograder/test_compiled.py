"""Trusted grading modules imported anew for every notebook, compiled once per process (grading/compiled.py)."""
from __future__ import annotations

import importlib
import sys

from autograder.grading import compiled


def test_each_import_is_a_fresh_module_from_one_compilation(tmp_path):
    path = tmp_path / "test_state_once.py"
    path.write_text("seen = []\nseen.append(1)\n")
    first, second = (compiled.fresh_import("state_once", path) for _ in range(2))
    assert first is not second and first.seen == [1] and second.seen == [1]     # no state carried over
    assert first.__spec__.loader.get_code("state_once") is second.__spec__.loader.get_code("state_once")


def test_an_edited_file_is_compiled_again(tmp_path):
    path = tmp_path / "test_edited.py"
    path.write_text("value = 1\n")
    assert compiled.fresh_import("edited", path).value == 1
    path.write_text("value = 22\n")
    assert compiled.fresh_import("edited", path).value == 22


def test_the_hidden_test_module_is_found_by_its_stem_only_inside(tmp_path):
    path = tmp_path / "test_hidden_stem.py"
    path.write_text("where = __file__\n")
    with compiled.compiled_once(path):
        module = importlib.import_module("test_hidden_stem")
        assert module.where == str(path)
        assert isinstance(module.__spec__.loader, compiled.CompiledOnceLoader)
    sys.modules.pop("test_hidden_stem", None)
    assert not any(isinstance(f, compiled._Finder) for f in sys.meta_path)
