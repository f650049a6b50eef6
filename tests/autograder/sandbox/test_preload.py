"""Which libraries the warm sandbox preloads for one notebook graded or checked on its own."""
from __future__ import annotations

from autograder.sandbox.host import imported_modules_with_parents, notebook_preload, preload_for
from tests.autograder import tiny_assignment as tiny

CANDIDATES = ("torch", "torch.optim", "pandas", "matplotlib.pyplot", "sklearn.preprocessing")


def test_the_modules_a_notebook_imports_are_read_from_its_code_cells():
    cells = ["import numpy as np, torch.nn as nn\n", "from sklearn.preprocessing import StandardScaler\n",
             "from . import sibling\n", "def f(:\n    import pandas\n", "x = __import__('os')\n"]
    assert imported_modules_with_parents(cells) == {"numpy", "torch", "torch.nn", "sklearn", "sklearn.preprocessing"}


def test_only_the_trusted_candidates_the_notebook_uses_are_preloaded():
    cells = ["import torch\nimport os\nimport antigravity\n", "import matplotlib.pyplot as plt\n"]
    assert preload_for(CANDIDATES, cells) == ("torch", "matplotlib.pyplot")
    assert preload_for(CANDIDATES, ["print('no imports')"]) == ()


def test_a_notebook_file_selects_its_preload_and_an_unreadable_one_none(tmp_path):
    path = tiny.submission(tmp_path / "tiny.ipynb", extra_cells=["import pandas as pd\n"])
    assert notebook_preload(CANDIDATES, path) == ("pandas",)
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    assert notebook_preload(CANDIDATES, broken) == ()
    assert notebook_preload(CANDIDATES, tmp_path / "missing.ipynb") == ()
    for hostile in (b'{"cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", b'{"cells": [], "x": ' + b"9" * 5000 + b"}"):
        broken.write_bytes(hostile)           # `learnathon grade` read these with json.loads: a traceback
        assert notebook_preload(CANDIDATES, broken) == ()
