"""The engine is type-checked strictly as a whole (pyproject.toml's [tool.mypy] settings, run by `make lint`).

mypy runs once, with the project's own configuration, on throwaway packages: a new module of a package named
like the engine (``autograder``) with an untyped function fails the check, the same module typed passes, and
the same untyped function outside the engine passes (so the failure comes from the strict settings for
``autograder.*``, not from mypy's defaults).
"""
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

CONFIG = Path(__file__).resolve().parent.parent / "pyproject.toml"
UNTYPED = "def scale(values, factor):\n    return [v * factor for v in values]\n"
TYPED = "def scale(values: list[float], factor: float) -> list[float]:\n    return [v * factor for v in values]\n"
MODULES = {"autograder/new_stage.py": UNTYPED, "autograder/typed_stage.py": TYPED, "elsewhere/new_stage.py": UNTYPED}


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("typing")
    for path, source in MODULES.items():
        (root / path).parent.mkdir(exist_ok=True)
        (root / path).parent.joinpath("__init__.py").write_text("")
        (root / path).write_text(source)
    files = [str(root / p) for p in MODULES] + [str(root / p.split("/")[0] / "__init__.py") for p in MODULES]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)                  # module names follow the paths: autograder.new_stage, ...
        out, err, _ = mypy_api.run(["--config-file", str(CONFIG), "--no-incremental", "--cache-dir", "/dev/null",
                                    "--explicit-package-bases", *sorted(set(files))])
    return out + err


def errors_in(output: str, path: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(path) and ": error:" in line]


def test_an_untyped_function_in_a_new_engine_module_fails(mypy_output):
    assert errors_in(mypy_output, "autograder/new_stage.py") == [
        "autograder/new_stage.py:1: error: Function is missing a type annotation  [no-untyped-def]"], mypy_output


def test_the_same_module_typed_passes(mypy_output):
    assert "autograder/typed_stage.py" not in mypy_output


def test_the_untyped_function_outside_the_engine_is_not_held_to_it(mypy_output):
    assert errors_in(mypy_output, "elsewhere/new_stage.py") == [], mypy_output
    assert "Found 1 error in 1 file" in mypy_output
