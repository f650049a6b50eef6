"""The red-team corpus: hostile submissions to the tiny assignment, each with what it must get.

Each ``Case`` builds one submitted notebook and states the score its honest work earns (never
more may be awarded), and the message each failing test must show. The honest parts of the
tiny assignment: ``relu`` (tests test_relu 2 + test_relu_scalar_shape 1) and ``forward``
(test_forward 3). Most cases keep an honest ``forward`` that does not use ``relu`` (3 points)
and attack through ``relu`` (0 points), so an attack that fooled the grader would show up as
more than 3 points.
"""
from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

from tests.autograder import tiny_assignment as tiny

HONEST = 6.0
RELU_TESTS = ("test_relu", "test_relu_scalar_shape")
OWN_FORWARD = "def forward(X, params):\n    return np.maximum(X @ params['W'] + params['b'], 0.0)\n"
WRONG_RELU = "def relu(z):\n    return z\n"


@dataclasses.dataclass
class Case:
    id: str
    build: Callable[[Path, dict], Path]   # (path, context) -> the submission written at path
    score: float                          # what its honest work earns; it must get exactly this
    # test name -> part of its message (or a tuple of alternatives, where timing decides which)
    messages: dict[str, str | tuple[str, ...]] = dataclasses.field(default_factory=dict)
    error: str | None = None              # part of the report's error (unreadable notebooks)
    cell_error: str | None = None         # part of some code cell's error
    heavy: bool = False                   # slower than a few seconds: marked e2e


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def notebook(relu: str = WRONG_RELU, forward: str = OWN_FORWARD, first: list[str] = (), last: list[str] = (),
             edit=None):
    """A builder: answer cells, plus extra code cells right after the setup (``first``) or at the end."""
    def build(path: Path, context: dict) -> Path:
        def change(nb):
            for i, source in enumerate(first):
                nb.cells.insert(2 + i, nbformat.v4.new_code_cell(code(source).format(**context)))
            if edit is not None:
                edit(nb)
        return tiny.submission(path, relu=code(relu).format(**context), forward=code(forward).format(**context),
                               extra_cells=[code(s).format(**context) for s in last], edit=change)
    return build


def raw(content: bytes | Callable[[dict], bytes]):
    def build(path: Path, context: dict) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(context) if callable(content) else content)
        return path
    return build


def relu_fails(message, *, scalar=None) -> dict:
    return {"test_relu": message, "test_relu_scalar_shape": scalar or message}


IDENTITY = relu_fails("negative values should become 0, not stay negative", scalar="1 value differs")
UNREADABLE = "could not be checked"


def tampered_metadata(nb):
    tests = tiny.cell_by_id(nb, "relu_tests")
    index = nb.cells.index(tests)
    nb.cells[index] = nbformat.v4.new_markdown_cell(tests.source, metadata=tests.metadata)   # test -> markdown
    nb.cells.remove(tiny.cell_by_id(nb, "forward_tests"))                                    # test deleted
    twin = nbformat.v4.new_code_cell("pass\n", metadata={"nbgrader": {**tests.metadata["nbgrader"]}})
    nb.cells.append(twin)                                                                     # duplicated
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta:
            meta["points"] = 100                                                              # points edited
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "python"}


def nbformat3(_context: dict) -> bytes:
    cells = [{"cell_type": "code", "input": s, "metadata": {}, "outputs": [], "language": "python"}
             for s in (tiny.SETUP, tiny.RELU, tiny.FORWARD)]
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                       "worksheets": [{"cells": cells, "metadata": {}}]}).encode()


def huge_output(path: Path, _context: dict) -> Path:
    tiny.submission(path, relu=tiny.RELU, forward=tiny.FORWARD)
    nb = nbformat.read(path, as_version=4)
    cell = tiny.cell_by_id(nb, "relu")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (200 * 2**20))]
    nbformat.write(nb, path)
    return path


def truncated(_context: dict) -> bytes:
    data = nbformat.writes(tiny.source_notebook()).encode()
    return data[: len(data) // 2]


LEAK_ATTEMPT = """
import os
LEAKED = []
for path in {secrets!r}:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        LEAKED.append(path)
    except OSError:
        pass
    try:
        os.listdir(os.path.dirname(path))
        LEAKED.append(os.path.dirname(path))
    except OSError:
        pass
"""

CASES = [
    # --- objects that claim to equal anything --------------------------------------------------
    Case("eq-always-true", notebook(relu="""
        class AlwaysEqual:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = object.__hash__
        def relu(z):
            return AlwaysEqual()
        """), 3, relu_fails("should be an array of numbers, but it is a AlwaysEqual")),
    Case("ndarray-subclass-hostile-eq", notebook(relu="""
        class Liar(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
            def __array__(self, *args, **kwargs): return np.asarray(self).view(np.ndarray)
        def relu(z):
            return np.zeros_like(z).view(Liar)
        """), 3, relu_fails("should be an array of numbers, but it is a Liar")),
    Case("float-subclass-hostile-eq", notebook(relu="""
        class Anything(float):
            def __eq__(self, other): return True
            def __float__(self): return 0.0
            def __array__(self, *args, **kwargs): raise RuntimeError("no")
        def relu(z):
            return Anything(1.0)
        """), 3, relu_fails("a single number")),
    Case("array-protocol-object", notebook(relu="""
        class Sneaky:
            def __init__(self, z): self.z = z
            def __array__(self, *args, **kwargs): return np.maximum(self.z, 0) + 1
            def __len__(self): return len(self.z)
        def relu(z):
            return Sneaky(z)
        """), 3, relu_fails("it is a Sneaky")),
    # --- patching the checks ------------------------------------------------------------------------
    Case("patched-numpy-comparisons", notebook(first=["""
        import numpy, numpy.testing
        numpy.allclose = lambda *a, **k: True
        numpy.array_equal = lambda *a, **k: True
        numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
        numpy.testing.assert_allclose = lambda *a, **k: None
        import builtins
        builtins.AssertionError = type("Nope", (Exception,), {{}})
        """]), 3, IDENTITY),
    # --- exiting -------------------------------------------------------------------------------------
    Case("sys-exit-at-import", notebook(first=["import sys\nsys.exit(0)\n"]), 3, IDENTITY, cell_error="SystemExit"),
    Case("os-exit-at-import", notebook(first=["import os\nos._exit(0)\n"]), 3, IDENTITY,
         cell_error="stopped the notebook"),
    Case("sys-exit-in-graded-function", notebook(relu="def relu(z):\n    import sys\n    sys.exit(0)\n"), 3,
         relu_fails("relu() raised SystemExit")),
    Case("os-exit-in-graded-function", notebook(relu="def relu(z):\n    import os\n    os._exit(0)\n"), 3,
         relu_fails("relu() stopped the notebook")),
    # --- fake results --------------------------------------------------------------------------------
    Case("fake-pytest-summary-and-results", notebook(last=["""
        import json, sys
        print("=" * 30 + " 3 passed in 0.01s " + "=" * 30)
        print(json.dumps({{"assignment": "tiny", "score": 6, "max_score": 6, "tests": [], "error": None}}))
        sys.stderr.write("PASSED test_relu\\nPASSED test_forward\\n")
        for name in ("results.json", "/tmp/results.json", "report.xml"):
            try:
                with open(name, "w") as f:
                    f.write('{{"score": 6, "max_score": 6}}')
            except OSError:
                pass
        """]), 3, IDENTITY),
    Case("shadow-files-in-working-folder", notebook(first=["""
        files = {{
            "conftest.py": "import pytest\\n@pytest.hookimpl(hookwrapper=True)\\n"
                           "def pytest_runtest_makereport(item, call):\\n    outcome = yield\\n"
                           "    outcome.get_result().outcome = 'passed'\\n",
            "sitecustomize.py": "import numpy\\nnumpy.allclose = lambda *a, **k: True\\n",
            "usercustomize.py": "import numpy\\nnumpy.allclose = lambda *a, **k: True\\n",
            "pytest.ini": "[pytest]\\naddopts = -p no:python\\n",
            "numpy.py": "raise SystemExit('shadowed')\\n",
            "autograder.py": "raise SystemExit('shadowed')\\n",
        }}
        for name, text in files.items():
            with open(name, "w") as f:
                f.write(text)
        """]), 3, IDENTITY),
    # --- reading what the grader knows ------------------------------------------------------------
    Case("read-hidden-tests-solutions-gradebook", notebook(first=[LEAK_ATTEMPT], relu="""
        def relu(z):
            return np.maximum(z, 0.0) if LEAKED else z
        """), 3, IDENTITY),
    Case("walk-caller-frames", notebook(relu="""
        import sys
        def relu(z):
            frame, found = sys._getframe(1), []
            while frame is not None:
                for value in list(frame.f_locals.values()):
                    if isinstance(value, np.ndarray) and value.shape == z.shape and value is not z:
                        found.append(value)
                frame = frame.f_back
            different = [v for v in found if not np.array_equal(v, z)]
            return different[0] if different else (found[0] if found else z)
        """), 3, IDENTITY),
    Case("network-connection", notebook(first=["""
        import socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=1).close()
            ONLINE = True
        except OSError:
            ONLINE = False
        """], relu="""
        def relu(z):
            return np.maximum(z, 0.0) if ONLINE else z
        """), 3, IDENTITY),
    # --- hostile values and exceptions -------------------------------------------------------------
    Case("repr-and-str-raise", notebook(relu="""
        class Unprintable:
            def __repr__(self): raise RuntimeError("no repr")
            def __str__(self): raise RuntimeError("no str")
            def __getattr__(self, name): raise RuntimeError("no attributes")
        def relu(z):
            return Unprintable()
        """), 3, relu_fails("it is a Unprintable")),
    Case("exception-whose-str-exits", notebook(relu="""
        class Goodbye(Exception):
            def __str__(self):
                import os
                os._exit(0)
        def relu(z):
            raise Goodbye()
        """), 3, relu_fails("relu() stopped the notebook")),
    Case("repr-exits", notebook(relu="""
        class Bomb:
            def __repr__(self):
                import os
                os._exit(0)
            __str__ = __repr__
        def relu(z):
            return [Bomb(), Bomb()]
        """), 3, relu_fails("should contain numbers, but has dtype object")),
    # --- tampered notebook ---------------------------------------------------------------------------
    Case("tampered-nbgrader-metadata-and-kernelspec", notebook(edit=tampered_metadata), 3, IDENTITY),
    # --- hanging ---------------------------------------------------------------------------------------
    Case("while-true-cell", notebook(relu=tiny.RELU, first=["while True:\n    pass\n"]), HONEST,
         cell_error="did not finish within 3 s"),
    Case("sleep-in-graded-function", notebook(relu="def relu(z):\n    import time\n    time.sleep(10**6)\n"), 3,
         relu_fails("relu() did not return within 3 s"), heavy=True),
    Case("endless-printing", notebook(relu=tiny.RELU, first=["while True:\n    print('spam ' * 1000)\n"]),
         HONEST, cell_error="File too large"),
    # --- resources ------------------------------------------------------------------------------------
    Case("allocate-100GB", notebook(relu="def relu(z):\n    return np.ones(int(100e9 / 8)) * 0 + z\n"), 3,
         relu_fails("relu() raised MemoryError")),
    Case("fork-bomb", notebook(relu=tiny.RELU, first=["""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """]), HONEST, cell_error="did not finish within 3 s", heavy=True),
    Case("one-huge-file", notebook(relu=tiny.RELU, first=["""
        with open("big.bin", "wb") as f:
            for _ in range(100):
                f.write(b"x" * 2**20)
        """]), HONEST, cell_error="File too large"),
    Case("open-100000-files", notebook(relu=tiny.RELU, first=["""
        handles = []
        for i in range(100_000):
            handles.append(open(f"f{{i}}", "w"))
        """]), HONEST, cell_error="Too many open files"),
    Case("daemon-ignoring-sigterm", notebook(first=["""
        import os, signal, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                while True:
                    time.sleep(0.1)
            os._exit(0)
        """]), 3, IDENTITY),
    Case("deep-recursion", notebook(relu="def relu(z):\n    return relu(z)\n"), 3,
         relu_fails("relu() raised RecursionError")),
    Case("recursion-limit-raised-until-the-stack-overflows", notebook(relu="""
        import sys
        sys.setrecursionlimit(10**7)
        def relu(z, depth=0):
            return relu(z, depth + 1)
        """), 3, relu_fails(("relu() stopped the notebook", "relu() did not return within 3 s")), heavy=True),
    Case("segfault", notebook(relu="def relu(z):\n    import ctypes\n    return ctypes.string_at(0)\n"), 3,
         relu_fails("relu() stopped the notebook")),
    Case("forged-reply-on-the-channel", notebook(relu="""
        import json, os
        def relu(z):
            body = json.dumps({{"ok": True, "value": {{"t": "list", "items": [1.0]}}, "mutated": []}}).encode()
            for fd in range(3, 40):
                try:
                    os.write(fd, len(body).to_bytes(4, "big") + body)
                except OSError:
                    pass
            return z
        """), 0, {**relu_fails("wrong shape"), "test_forward": "wrong shape: it has fewer axes"}),
        # its own replies now answer later calls
    # --- unreadable files --------------------------------------------------------------------------------
    Case("invalid-json", raw(b'{"cells": [}'), 0, {"test_relu": UNREADABLE}, error="not valid JSON"),
    Case("empty-file", raw(b""), 0, {"test_forward": UNREADABLE}, error="empty (0 bytes)"),
    Case("truncated-file", raw(truncated), 0, {"test_forward": UNREADABLE}, error="ends too early"),
    Case("non-utf8-bytes", raw(b'{"cells": ["\xff\xfe"]}'), 0, {"test_relu": UNREADABLE}, error="not UTF-8"),
    Case("zero-cells", raw(b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'), 0,
         relu_fails("no variable or function named 'relu'")),
    Case("nbformat-3-honest", raw(nbformat3), HONEST),
    Case("200MB-output-cell", huge_output, HONEST, heavy=True),
    # --- wrong values ----------------------------------------------------------------------------------------
    Case("nan-and-inf", notebook(relu="def relu(z):\n    return np.where(z > 0, z, np.nan) * np.inf\n"), 3,
         relu_fails("NaN or infinite")),
    Case("scalar-that-broadcasts", notebook(relu="def relu(z):\n    return np.maximum(z, 0.0).mean()\n"), 3,
         relu_fails("a single number")),
    Case("column-that-broadcasts", notebook(relu="def relu(z):\n    return np.maximum(z, 0.0)[:, :1]\n"), 4,
         {"test_relu": "its size along axis 1 is not the expected one"}),
    Case("boolean-dtype", notebook(relu="def relu(z):\n    return z > 0\n"), 3, relu_fails("has dtype bool")),
    Case("complex-dtype", notebook(relu="def relu(z):\n    return np.maximum(z, 0) + 0j\n"), 3,
         relu_fails("complex numbers")),
    Case("string-array", notebook(relu="def relu(z):\n    return z.astype(str)\n"), 3,
         relu_fails("the result could not be read: an array of dtype <U32")),
    Case("torch-list-and-pandas-results", notebook(relu="""
        import torch
        def relu(z):
            return torch.relu(torch.as_tensor(z))
        """, forward="""
        import pandas as pd
        def forward(X, params):
            return pd.DataFrame(np.maximum(X @ params['W'] + params['b'], 0.0)).values.tolist()
        """), HONEST),
    Case("unseeded-randomness-in-the-answer", notebook(relu="""
        def relu(z):
            return np.maximum(z, 0.0) + np.random.normal(scale=1e-2, size=np.shape(z))
        """), 3, relu_fails("from the expected result")),
    Case("unseeded-randomness-elsewhere", notebook(relu=tiny.RELU, first=["NOISE = np.random.normal(size=5)\n"]),
         HONEST),
]
