"""Trusted grading modules imported anew for every notebook, compiled once per process.

Every graded notebook imports its hidden test module afresh (``runner.fresh_module``: no state carries
over from one student to the next) and, through it, the assignment's probes.py. Without a bytecode
cache (PYTHONDONTWRITEBYTECODE, a read-only install) each import compiled ~1,400 lines again: about
0.05 CPU s per notebook. The module is still executed anew each time (a fresh module object, fresh
globals); only its code object, which is immutable, is reused while the file's size and modification
time stay those it was compiled from (the rule of Python's own .pyc files).
"""
from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, ModuleType

_codes: dict[tuple[str, int, int], CodeType] = {}


class CompiledOnceLoader(importlib.machinery.SourceFileLoader):
    """A source loader whose code objects are kept for this process, keyed by path, size and mtime."""

    def get_code(self, fullname: str) -> CodeType:
        stat = os.stat(self.path)
        key = (self.path, stat.st_size, stat.st_mtime_ns)
        code = _codes.get(key)
        if code is None:
            code = super().get_code(fullname)
            if code is None:        # only a source-less module: never for a .py file
                raise ImportError(f"no code in {self.path}")
            _codes[key] = code
        return code


def spec_for(name: str, path: Path) -> importlib.machinery.ModuleSpec:
    spec = importlib.util.spec_from_file_location(name, str(path), loader=CompiledOnceLoader(name, str(path)))
    if spec is None:
        raise ImportError(f"cannot import {path}")
    return spec


def fresh_import(name: str, path: Path) -> ModuleType:
    """``path`` executed as a new module ``name`` (not put in sys.modules), its code compiled once."""
    spec = spec_for(name, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


class _Finder:
    """Answers for one file only: the module ``name`` at ``path``."""

    def __init__(self, name: str, path: Path):
        self.name, self.path = name, path

    def find_spec(self, name: str, path: object = None,  # noqa: ARG002 (importlib's finder signature)
                  target: object = None) -> importlib.machinery.ModuleSpec | None:  # noqa: ARG002
        return spec_for(name, self.path) if name == self.name else None


@contextlib.contextmanager
def compiled_once(path: Path) -> Iterator[None]:
    """While inside, importing the module of ``path`` by its file's stem (as pytest's importlib mode
    does for a test file outside any package) uses its code compiled once per process."""
    finder = _Finder(path.stem, path)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
