"""Every hidden test of every assignment declares its concepts, and every named mistake is catalogued.

Read from the hidden test files' source (no grading): ``def test_*`` at module level are the tests;
``Mistake("id", ...)`` and ``fail(..., mistake="id")`` are the mistake ids they use.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder.config import Config
from autograder.grading import tags

HIDDEN_ROOT = Config.from_environment().hidden_root      # the bundled assignments, or those the environment names
ASSIGNMENTS = sorted(p.name for p in HIDDEN_ROOT.iterdir() if p.is_dir() and list(p.glob("test_*.py")))


def modules(assignment: str) -> list[Path]:
    return sorted((HIDDEN_ROOT / assignment).glob("test_*.py"))


def test_names(module: Path) -> list[str]:
    return [node.name for node in ast.parse(module.read_text()).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


test_names.__test__ = False


def mistake_ids(module: Path) -> set[str]:
    ids = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Mistake" and node.args and isinstance(node.args[0], ast.Constant):
                ids.add(node.args[0].value)
            ids.update(kw.value.value for kw in node.keywords
                       if kw.arg == "mistake" and isinstance(kw.value, ast.Constant))
    return ids


def plain_string_mistakes(module: Path) -> list[str]:
    """Keys of mistakes dicts that are string literals (no id): `mistakes={"...": v}`, `mistakes["..."] = v`."""
    found = []
    text = module.read_text()

    def literal(node) -> bool:
        return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))

    tree = ast.parse(text)
    returned = []    # dicts a helper returns as the mistakes of a check (example_mistakes, slips_in_the_other_factors)
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and any(w in function.name for w in ("mistake", "slip")):
            for node in ast.walk(function):
                if isinstance(node, ast.Return) and node.value is not None:
                    returned += [d for d in ast.walk(node.value) if isinstance(d, ast.Dict)]
    for d in returned:
        found += [f"line {k.lineno}: {ast.get_source_segment(text, k)[:60]}" for k, v in zip(d.keys, d.values)
                  if k is not None and literal(k) and not isinstance(v, ast.Dict)]
    for node in ast.walk(tree):
        dicts = []
        if isinstance(node, ast.keyword) and node.arg == "mistakes" and isinstance(node.value, ast.Dict):
            dicts.append(node.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
                isinstance(t, ast.Name) and ("mistake" in t.id or "variant" in t.id) for t in node.targets):
            dicts.append(node.value)
        for d in dicts:
            found += [f"line {k.lineno}: {ast.get_source_segment(text, k)[:60]}" for k in d.keys if literal(k)]
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                        and "mistake" in target.value.id and literal(target.slice)):
                    found.append(f"line {target.lineno}: {ast.get_source_segment(text, target.slice)[:60]}")
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_test_has_valid_concepts_and_no_entry_is_stale(assignment):
    declared = tags.concepts_by_test(HIDDEN_ROOT / assignment)      # validates every id (TagError otherwise)
    for module in modules(assignment):
        notebook = module.stem.removeprefix("test_")
        names = test_names(module)
        listed = declared.get(notebook, {})
        assert not [n for n in names if n not in listed], \
            f"{assignment}/concepts.toml [{notebook}] lacks tests (add their concepts)"
        assert not [n for n in listed if n not in names], f"{assignment}/concepts.toml [{notebook}] names unknown tests"
        assert all(listed[n] for n in names)
    assert set(declared) == {m.stem.removeprefix("test_") for m in modules(assignment)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mistake_id_the_hidden_tests_use_is_catalogued(assignment):
    used = set().union(*(mistake_ids(m) for m in modules(assignment)))
    catalogue = tags.mistake_catalogue(HIDDEN_ROOT / assignment)
    assert sorted(used - set(catalogue)) == [], f"add these ids to {assignment}/mistakes.toml"
    assert sorted(set(catalogue) - used) == [], f"{assignment}/mistakes.toml lists ids no hidden test uses"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_named_mistake_in_a_mistakes_dict_has_an_id(assignment):
    for module in modules(assignment):
        assert plain_string_mistakes(module) == [], f"{module.name}: wrap these in Mistake('topic.what', ...)"


def test_the_checks_above_can_fail(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text('def test_a(student):\n    expect_array(1, 2, name="x", mistakes={"plain": 3})\n'
                      '    fail("m", mistake="a.b")\n    mistakes = {}\n    mistakes[f"x {1}"] = 2\n'
                      'def slips(a):\n    return {"outer": {"plain in a returned dict": 1}, **a}\n')
    assert test_names(module) == ["test_a"]
    assert mistake_ids(module) == {"a.b"}
    assert sorted(line.split(":")[0] for line in plain_string_mistakes(module)) == ["line 2", "line 5", "line 7"]
