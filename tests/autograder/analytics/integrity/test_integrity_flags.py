"""Grader-detection, tampering and shortcut flags (analytics/integrity/scan.py, shortcuts.py, names.py):
every kind is found in a fixture made for it, none in any correct fixture or solution; the rules see
through aliases and say what they cannot read; honest idioms stay unflagged."""
from __future__ import annotations

import textwrap

import pytest

from autograder.analytics.integrity.answers import solution_answers
from autograder.analytics.integrity.records import KINDS
from autograder.analytics.integrity.review import MAX_FLAGS_PER_KIND, notebook_flags
from autograder.analytics.integrity.shortcuts import Shortcut, load_shortcuts
from autograder.grading import discovery
from tests.autograder.analytics.integrity.integrity_support import (
    cells_of,
    correct_fixtures,
    integrity_fixture,
    integrity_fixtures,
    notebook_answers,
)


def flags_of(answers, shortcuts=()):
    flags, notes = notebook_flags("s", answers, list(shortcuts))
    return flags


def kinds_of(*sources, given=(), shortcuts=()):
    return sorted({f.kind for f in flags_of(cells_of(*map(textwrap.dedent, sources), given=given), shortcuts)})


CELL_FIXTURES = integrity_fixtures()


@pytest.mark.parametrize("path", CELL_FIXTURES, ids=lambda p: f"{p.parts[-4]}/{p.stem}")
def test_each_flag_kind_is_found_in_the_fixture_made_for_it_naming_cell_and_lines(path, tmp_path):
    kind, cells = integrity_fixture(path)
    assignment = discovery.load(path.parts[-4])      # NAME/integrity_fixtures/NOTEBOOK/KIND.py
    spec = assignment.notebook(f"{path.parts[-2]}.ipynb")
    flags = flags_of(notebook_answers(spec, cells, tmp_path), load_shortcuts(spec.tests.parent))
    found = [f for f in flags if f.kind == kind]
    assert found, (kind, [(f.kind, f.found) for f in flags])
    flag = found[0]
    assert flag.grade_id in cells and flag.cell and flag.first_line and flag.code     # the cell and its lines
    assert flag.code.strip() in cells[flag.grade_id]
    assert flag.why == KINDS[kind].why and flag.found


def test_every_cell_kind_has_a_fixture_and_the_simulator_surrogate_is_flagged(tmp_path):
    made = {integrity_fixture(p)[0] for p in CELL_FIXTURES}
    assert made | {"surrogate_calls_simulator", "submission_time"} == set(KINDS)
    spec = discovery.load("cs2").notebook("surrogate.ipynb")
    from autograder.admin.fabricate import read_fixture

    fixture = read_fixture(discovery.load("cs2").fixture_folder("surrogate") / "simulator_as_surrogate.py")
    flags = flags_of(notebook_answers(spec, fixture.cells, tmp_path), load_shortcuts(spec.tests.parent))
    assert [f.kind for f in flags] == ["surrogate_calls_simulator"]
    assert "fit_surrogate() reaches vandevusse.simulate" in flags[0].found


@pytest.mark.parametrize("where", correct_fixtures(), ids=lambda w: f"{w[0]}/{w[2].stem}")
def test_no_correct_fixture_is_flagged(where, tmp_path):
    from autograder.admin.fabricate import read_fixture

    name, notebook, path = where
    spec = discovery.load(name).notebook(f"{notebook}.ipynb")
    flags = flags_of(notebook_answers(spec, read_fixture(path).cells, tmp_path), load_shortcuts(spec.tests.parent))
    assert flags == []


@pytest.mark.parametrize("spec", [nb for name in discovery.available() for nb in discovery.load(name).notebooks],
                         ids=lambda s: f"{s.assignment}/{s.name}")
def test_no_solution_is_flagged(spec):
    assert flags_of(solution_answers(spec.source, spec.name), load_shortcuts(spec.tests.parent)) == []


# --- the rules, one idea each ---------------------------------------------------------------------------

@pytest.mark.parametrize("code, kind", [
    ("import inspect\nx = inspect.currentframe().f_back.f_globals", "frames"),
    ("import sys\ncaller = sys._getframe(1).f_code.co_name", "frames"),
    ("from traceback import extract_stack as es\nes()", "frames"),
    ("try:\n    1 / 0\nexcept Exception as e:\n    g = e.__traceback__.tb_frame.f_back", "frames"),
    ("def f():\n    return f.__globals__", "frames"),
    ("import gc as g\nobjs = g.get_referrers(print)", "gc_walk"),
    ("classes = object.__subclasses__()", "gc_walk"),
    ("import sys\nsys.modules['torch'] = None", "modules"),
    ("import importlib\nimportlib.reload(np)", "modules"),
    ("import numpy\nnumpy.mean = lambda a: 0", "patching"),
    ("import builtins\nbuiltins.isinstance = lambda a, b: True", "patching"),
    ("__builtins__['len'] = lambda x: 0", "patching"),
    ("import torch\nsetattr(torch, 'manual_seed', print)", "patching"),
    ("import torch\ntorch.nn.Module.__call__ = lambda self, x: x", "patching"),
    ("import ctypes", "patching"),
    ("from unittest import mock", "patching"),
    ("class M:\n    def forward(self, x):\n        return x\nm = M()\nm.forward = print", "method_swap"),
    ("obj.__class__ = dict", "method_swap"),
    ("import types\nmodel.forward = types.MethodType(lambda self, x: x, model)", "method_swap"),
    ("object.__setattr__(model, 'forward', print)", "method_swap"),
    ("vars(model).update(forward=print)", "method_swap"),
    ("import torch\nclass ReLU(torch.nn.Module):\n    pass", "lookalike_class"),
    ("from torch import nn\nFake = type('Tanh', (nn.Module,), {})", "lookalike_class"),
    ("data = open('/etc/passwd').read()", "files_outside"),
    ("import pandas as pd\nHOME = '~/secrets.csv'\npd.read_csv(HOME)", "files_outside"),
    ("import os\nfor root, dirs, files in os.walk(os.environ['X']):\n    pass", "files_outside"),
    ("from pathlib import Path\nup = Path.cwd().parent", "files_outside"),
    ("from pathlib import Path\nhome = Path.home()", "files_outside"),
    ("import numpy as np\nnp.load(f'/srv/course/{1}.npy')", "files_outside"),
    ("import os\nos.system('ls')", "processes"),
    ("import os\nrun = os.popen\nrun('id')", "processes"),
    ("from multiprocessing import Process", "processes"),
    ("!ls -la", "processes"),
    ("%%bash\necho hi", "processes"),
    ("import socket\ns = socket.socket()", "network"),
    ("import requests", "network"),
    ("exec(open('x.py').read())", "dynamic_code"),
    ("name = 'o' + 's'\nm = __import__(name)", "dynamic_code"),
    ("import importlib\nm = importlib.import_module(''.join(['s', 'y', 's']))", "dynamic_code"),
    ("import os\nf = getattr(os, 'sys' + 'tem')", "dynamic_code"),
    ("eval(compile(src, 'x', 'exec'))", "dynamic_code"),
    ("%run other.py", "dynamic_code"),
])
def test_each_rule_finds_what_it_names(code, kind):
    assert kind in kinds_of(code)


@pytest.mark.parametrize("code, kind", [
    # aliases, getattr with literal names, __import__ and modules handed on by other modules all resolve
    ("s = __import__('subprocess')\ns.run(['ls'])", "processes"),
    ("import importlib\nimportlib.import_module('socket').create_connection(('h', 1))", "network"),
    ("import sys\nf = getattr(sys, '_getframe')", "frames"),
    ("import torch\ntorch.os.system('ls')", "processes"),
    ("from os import system as s\ns('ls')", "processes"),
    # code handed to exec as a literal is read like any other code
    ("exec('import gc; gc.get_objects()')", "gc_walk"),
    ("eval(\"__import__('os').system('ls')\")", "processes"),
])
def test_rules_see_through_aliases_and_literal_code(code, kind):
    assert kind in kinds_of(code)


@pytest.mark.parametrize("code", [
    "import numpy as np\nnp.random.seed(0)\nx = np.maximum(np.zeros(3), 0.0)",
    "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc1 = nn.Linear(1, 10)\n        self.act = torch.tanh\n    def forward(self, x):\n"
    "        return self.act(self.fc1(x))",
    "import torch\ntorch.backends.cudnn.deterministic = True\ntorch.set_num_threads(1)",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)",
    "import pandas as pd\npd.options.display.max_rows = 20\ndf = pd.read_csv('boiling_points.csv')",
    "import os\npath = os.path.join('data', 'x.csv')\nfiles = os.listdir('.')",
    "import gc\ngc.collect()",
    "import inspect\nsig = inspect.signature(print)",
    "import sys\nprint(sys.version)",
    "NAMES = ('MolWt', 'TPSA')\nfrom rdkit.Chem import Descriptors\nfs = [getattr(Descriptors, n) for n in NAMES]",
    "import warnings\nwarnings.filterwarnings('ignore')",
    "%matplotlib inline\nimport copy\nbest = copy.deepcopy({'a': 1})",
    "class Layer:\n    def __init__(self, f):\n        self.f = f\n"
    "    def __call__(self, x):\n        return self.f(x)",
    "def f(x):\n    return x\nf.__doc__ = 'identity'",
])
def test_honest_idioms_are_not_flagged(code):
    assert kinds_of(code) == []


def test_given_cells_are_read_for_names_but_never_flagged():
    given = "import subprocess as sp\nimport vandevusse as vdv\nsp.run(['true'])\n"
    assert kinds_of("x = 1", given=(given,)) == []
    assert kinds_of("sp.run(['ls'])", given=(given,)) == ["processes"]       # the given alias resolves


def test_a_cell_that_is_not_python_is_noted_not_flagged_and_the_rest_is_scanned():
    flags, notes = notebook_flags("s", cells_of("def broken(:\n    pass", "import socket"), [])
    assert [f.kind for f in flags] == ["network"] and flags[0].cell == 2
    assert len(notes) == 1 and "code cell 1" in notes[0] and "not Python (SyntaxError on line 1)" in notes[0]


def test_flags_of_one_kind_are_capped_per_notebook_with_the_rest_counted():
    flags = flags_of(cells_of("import os\n" + "".join(f"os.system('echo {i}')\n" for i in range(25))))
    processes = [f for f in flags if f.kind == "processes"]
    assert len(processes) == MAX_FLAGS_PER_KIND
    assert processes[-1].found.endswith("(and 15 more places like it in this notebook)")


def test_code_too_deep_to_read_is_flagged_never_trusted():
    deep = "x = " + "a." * 2000 + "b"          # Python compiles it; a recursive reading would fail
    flags = flags_of(cells_of(deep))
    assert [f.kind for f in flags] == ["dynamic_code"] and "could not read" in flags[0].found


SHORTCUT = Shortcut("backward_calls_forward", "nb", ("backward",), ("forward", "numerical_gradient"))


def test_a_shortcut_is_found_through_helpers_classes_and_passed_functions():
    forward = "def forward(X, p):\n    return X @ p, {}\n"
    helper = "def loss_at(X, p):\n    return forward(X, p)[0].sum()\n"
    through_helper = "def backward(dy, cache, p):\n    return {'W': loss_at(cache['X'], p)}\n"
    flags = flags_of(cells_of(forward, helper, through_helper), [SHORTCUT])
    assert [f.kind for f in flags] == ["backward_calls_forward"]
    assert flags[0].found == "backward() reaches forward (backward -> loss_at -> forward)" and flags[0].cell == 3
    passed_on = "def backward(dy, cache, p):\n    return numerical_gradient(lambda q: 0.0, p)\n"
    assert kinds_of(passed_on, shortcuts=[SHORTCUT]) == ["backward_calls_forward"]
    chain_rule = "def backward(dy, cache, p):\n    return {'W': cache['X'].T @ dy}\n"
    assert kinds_of(forward, chain_rule, shortcuts=[SHORTCUT]) == []
    in_given_cell = cells_of("x = 1", given=("def backward(dy, cache, p):\n    return forward(1, 2)\n",))
    assert flags_of(in_given_cell, [SHORTCUT]) == []                      # the instructor's code is not the student's


def test_a_declared_module_target_is_reached_through_a_class_the_function_builds():
    rule = Shortcut("surrogate_calls_simulator", "nb", ("fit",), ("vandevusse",))
    given = "import vandevusse as vdv\n"
    model = "class Model:\n    def predict(self, x):\n        return vdv.simulate(x)\n"
    assert kinds_of(model, "def fit(X):\n    return Model()\n", given=(given,), shortcuts=[rule]) == [
        "surrogate_calls_simulator"]
    assert kinds_of("def fit(X):\n    return X.mean()\n", "data = vdv.make_dataset(10)", given=(given,),
                    shortcuts=[rule]) == []


def test_an_assignment_declaring_an_unknown_shortcut_kind_is_refused(tmp_path):
    (tmp_path / "integrity.toml").write_text('[[shortcut]]\nkind = "frames"\nnotebook = "nb"\nfunctions = ["f"]\n'
                                             'must_not_reach = ["g"]\n')
    with pytest.raises(ValueError, match="not a shortcut kind"):
        load_shortcuts(tmp_path)
    assert load_shortcuts(tmp_path / "nothing") == []
