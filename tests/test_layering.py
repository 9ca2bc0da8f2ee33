"""Layers you can see: imports run one way, and nothing draws from a global RNG.

The layers, lowest first (DESIGN.md, "Data flows one way")::

    nasbench.errors, .rng, .checks,         standard library and numpy only
    .timing, .provenance
    nasbench.spaces -> nasbench.encodings   + errors, rng, checks (encodings may read spaces, not back)
    tabular_data, surrogates                arrays in, arrays out: no benchmarks, strategies, CLI
    nasbench.training                       the optional PyTorch backend: no benchmarks, strategies, CLI
    nasbench.benchmarks                     no strategies, no CLI
    strategies                              no CLI
    nasbench.cli                            composes everything

The bare package ``nasbench`` is the public API (``load``, ``list_benchmarks``), so it belongs to the
benchmarks layer: tabular_data, surrogates and training do not import it, and no module anywhere
takes the version from it (``from nasbench._version import __version__`` instead). Every module also
avoids the global RNG state of :mod:`random` and ``numpy.random``.

The checker reads every module of the four top-level packages with :mod:`ast` (so nothing is
imported while checking), follows module-level and function-level imports alike, resolves relative
imports, counts import paths that registries name in strings (``"strategies.evolution:X"``), and
reports ``file:line -> imported module (rule)`` for each forbidden one. The same checker
runs on small synthetic trees below, to prove that it fails when a forbidden import is added.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("nasbench", "tabular_data", "surrogates", "strategies")
STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Forbid:
    """Modules under ``layer`` may not import anything under ``banned`` (prefix match) nor ``exact``."""

    layer: tuple[str, ...]
    banned: tuple[str, ...]
    why: str
    exact: tuple[str, ...] = ()


@dataclass(frozen=True)
class Only:
    """Modules under ``layer`` may import only the standard library and ``allowed`` (prefix match)."""

    layer: tuple[str, ...]
    allowed: tuple[str, ...]
    why: str


RULES = (
    Only(("nasbench.errors", "nasbench.rng", "nasbench.checks", "nasbench.timing", "nasbench.provenance"),
         ("numpy", "nasbench.errors", "nasbench.rng", "nasbench.checks", "nasbench._version"),
         "errors, rng, checks, timing and provenance are the base layer: standard library and numpy only"),
    Only(("nasbench.spaces",), ("numpy", "nasbench.errors", "nasbench.rng", "nasbench.checks", "nasbench.spaces"),
         "spaces use only the standard library, numpy and the base layer (errors, rng, checks)"),
    Only(("nasbench.encodings",),
         ("numpy", "nasbench.errors", "nasbench.rng", "nasbench.checks", "nasbench.spaces", "nasbench.encodings"),
         "encodings use only the standard library, numpy, the base layer (errors, rng, checks) and spaces"),
    # The bare package `nasbench` is the public API (load, list_benchmarks): the benchmarks layer.
    Forbid(("tabular_data", "surrogates"), ("strategies", "nasbench.cli", "nasbench.benchmarks"),
           "tabular_data and surrogates know arrays, not benchmarks, strategies or the CLI",
           exact=("nasbench",)),
    Forbid(("nasbench.training",), ("strategies", "nasbench.cli", "nasbench.benchmarks"),
           "the training backend sits below benchmarks, strategies and the CLI", exact=("nasbench",)),
    Forbid(("nasbench.benchmarks",), ("strategies", "nasbench.cli"),
           "benchmarks sit below strategies and the CLI"),
    Forbid(("strategies",), ("nasbench.cli",), "strategies sit below the CLI"),
)
VERSION_RULE = "the version comes from nasbench._version, not from the nasbench package"
RNG_RULE = "explicit numpy Generators from nasbench.rng, never a global RNG"
# Classes that hold their own state; everything else under numpy.random / random is global state.
NUMPY_RNG_OK = frozenset({"Generator", "SeedSequence", "default_rng", "BitGenerator", "PCG64",
                          "PCG64DXSM", "Philox", "SFC64", "MT19937"})
RANDOM_OK = frozenset({"Random"})
IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?")


@dataclass(frozen=True)
class Violation:
    """One forbidden import (or global-RNG use): where, what, and which rule it breaks."""

    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} -> {self.imported} ({self.rule})"


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether dotted ``name`` is one of ``prefixes`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def module_index(root: Path, packages=PACKAGES) -> dict[str, tuple[Path, bool]]:
    """Every module of ``packages`` under ``root``: dotted name -> (file, is it a package)."""
    index = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            index[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return index


def imports_of(tree: ast.AST, module: str, is_package: bool, known: set[str]):
    """Yield ``(line, imported module, imported name or None)`` for every import in ``tree``.

    ``from x import y`` counts as importing ``x.y`` when that is a module of the tree, else ``x``
    (``y`` is then an attribute of ``x``). Relative imports are resolved against ``module``. A string
    that is exactly a dotted module of the tree, or ``module:attribute``, counts too: registries name
    import paths so that listing them imports nothing (strategies.registry, benchmarks.registry).
    """
    for node in ast.walk(tree):  # every nesting level: module, class and function bodies
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named = node.value.partition(":")[0]
            if "." in named and named in known and IMPORT_PATH.fullmatch(node.value):
                yield node.lineno, named, None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield node.lineno, full if full in known else base, alias.name


def _layer_violations(module: str, target: str) -> list[str]:
    """The rules that forbid ``module`` importing ``target``."""
    broken = []
    for rule in RULES:
        if not _under(module, rule.layer):
            continue
        if isinstance(rule, Forbid) and (_under(target, rule.banned) or target in rule.exact):
            broken.append(rule.why)
        elif (isinstance(rule, Only) and target.split(".")[0] not in STDLIB
              and not _under(target, rule.allowed)):
            broken.append(rule.why)
    return broken


def _version_violations(tree: ast.AST, records) -> list[tuple[int, str]]:
    """``from nasbench import __version__`` or ``<import nasbench as x>`` then ``x.__version__``."""
    found = [(line, "nasbench.__version__") for line, target, name in records
             if target == "nasbench" and name == "__version__"]
    aliases = {a.asname or "nasbench" for node in ast.walk(tree) if isinstance(node, ast.Import)
               for a in node.names
               if a.name == "nasbench" or (a.name.startswith("nasbench.") and not a.asname)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr == "__version__"
                and isinstance(node.value, ast.Name) and node.value.id in aliases):
            found.append((node.lineno, "nasbench.__version__"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in aliases
              and isinstance(node.args[1], ast.Constant) and node.args[1].value == "__version__"):
            found.append((node.lineno, "nasbench.__version__"))
    return found


def _rng_aliases(tree: ast.AST) -> tuple[set[str], set[str], set[str]]:
    """Names bound to the ``numpy``, ``numpy.random`` and ``random`` modules in ``tree``."""
    numpy, numpy_random, stdlib_random = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "numpy" or (a.name.startswith("numpy.") and not a.asname):
                    numpy.add(a.asname or "numpy")
                elif a.name == "numpy.random":
                    numpy_random.add(a.asname)
                elif a.name == "random":
                    stdlib_random.add(a.asname or "random")
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy" and not node.level:
            numpy_random |= {a.asname or a.name for a in node.names if a.name == "random"}
    return numpy, numpy_random, stdlib_random


def _rng_violations(tree: ast.AST) -> list[tuple[int, str]]:
    """Uses of the global RNG state of :mod:`random` or ``numpy.random``."""
    numpy, numpy_random, stdlib_random = _rng_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module in ("random",
                                                                                   "numpy.random"):
            ok = RANDOM_OK if node.module == "random" else NUMPY_RNG_OK
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names if a.name not in ok]
        if not isinstance(node, ast.Attribute):
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in stdlib_random and node.attr not in RANDOM_OK:
            found.append((node.lineno, f"random.{node.attr}"))
        is_np_random = (isinstance(value, ast.Name) and value.id in numpy_random) or (
            isinstance(value, ast.Attribute) and value.attr == "random"
            and isinstance(value.value, ast.Name) and value.value.id in numpy)
        if is_np_random and node.attr not in NUMPY_RNG_OK:
            found.append((node.lineno, f"numpy.random.{node.attr}"))
    return found


def check_tree(root: Path, packages=PACKAGES) -> list[Violation]:
    """Every forbidden import and global-RNG use in the modules of ``packages`` under ``root``."""
    index = module_index(root, packages)
    known = set(index)
    violations = []
    for module, (path, is_package) in index.items():
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        records = list(imports_of(tree, module, is_package, known))
        for line, target, _ in records:
            violations += [Violation(rel, line, target, why)
                           for why in _layer_violations(module, target)]
        violations += [Violation(rel, line, what, VERSION_RULE)
                       for line, what in _version_violations(tree, records)]
        violations += [Violation(rel, line, what, RNG_RULE) for line, what in _rng_violations(tree)]
    return sorted(set(violations), key=lambda v: (v.path, v.line, v.imported, v.rule))


@functools.lru_cache(maxsize=1)
def _repo_violations() -> tuple[Violation, ...]:
    return tuple(check_tree(REPO))


def test_the_code_base_keeps_its_layers():
    violations = _repo_violations()
    assert not violations, ("forbidden imports (move the import, pass the value in, or move the helper "
                            "to the right layer; see tests/test_layering.py):\n"
                            + "\n".join(map(str, violations)))


def test_every_package_is_checked():
    index = module_index(REPO)
    for package in PACKAGES:
        assert package in index, f"{package} has no __init__.py under {REPO}"
    assert {"nasbench.spaces.nb201", "nasbench.benchmarks.registry", "strategies.compare",
            "tabular_data.store", "surrogates.xgb", "nasbench.cli"} <= set(index)


# --- the checker fails when a forbidden import is added -------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A synthetic source tree with the four packages and the given extra files."""
    base = {f"{p}/__init__.py": "" for p in PACKAGES}
    base.update({f"nasbench/{m}/__init__.py": "" for m in
                 ("spaces", "encodings", "benchmarks", "cli", "training")})
    base.update({"nasbench/errors.py": "", "nasbench/rng.py": "import numpy as np\n",
                 "nasbench/benchmarks/registry.py": "def load(name):\n    return name\n",
                 "strategies/task.py": "", "tabular_data/store.py": ""})
    for name, text in {**base, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _report(tmp_path, files):
    return [str(v) for v in check_tree(_tree(tmp_path, files))]


def test_a_clean_synthetic_tree_passes(tmp_path):
    files = {
        "nasbench/spaces/nb201.py": "import random\nimport numpy as np\nfrom nasbench.errors import *\n"
                                    "from . import base\nr = random.Random(88)\n"
                                    "g = np.random.default_rng(np.random.SeedSequence(1))\n",
        "nasbench/spaces/base.py": "from __future__ import annotations\nimport itertools\n",
        "nasbench/encodings/nb201.py": "from nasbench.spaces import nb201\nfrom ..rng import *\n",
        "tabular_data/x.py": "'Read by strategies.task.'\nfrom nasbench import errors\n"
                             "from nasbench._version import __version__\nKEY = 'strategies'\n",
        "nasbench/benchmarks/tabular.py": "import tabular_data.store\nfrom .registry import load\n",
        "strategies/compare.py": "import nasbench\nfrom nasbench.benchmarks.registry import load\n"
                                 "b = nasbench.load('nb201/cifar10')\n",
        "nasbench/cli/main.py": "import strategies.task\nfrom nasbench._version import __version__\n",
    }
    assert _report(tmp_path, files) == []


@pytest.mark.parametrize("path, source, expected", [
    ("tabular_data/x.py", "def f():\n    from strategies.task import Task\n",
     "tabular_data/x.py:2 -> strategies.task (tabular_data and surrogates"),
    ("surrogates/m.py", "import nasbench.benchmarks.registry\n",
     "surrogates/m.py:1 -> nasbench.benchmarks.registry (tabular_data"),
    ("surrogates/m.py", "from nasbench import benchmarks\n",
     "surrogates/m.py:1 -> nasbench.benchmarks (tabular_data"),
    ("tabular_data/x.py", "import nasbench\nnasbench.load('x')\n",
     "tabular_data/x.py:1 -> nasbench (tabular_data"),
    ("nasbench/training/__init__.py", "from ..benchmarks import registry\n",
     "nasbench/training/__init__.py:1 -> nasbench.benchmarks.registry (the training backend"),
    ("nasbench/training/t.py", "from .. import cli\n", "nasbench/training/t.py:1 -> nasbench.cli (the training"),
    ("nasbench/benchmarks/tabular.py", "import strategies.task\n",
     "nasbench/benchmarks/tabular.py:1 -> strategies.task (benchmarks sit below"),
    ("nasbench/benchmarks/tabular.py", "class A:\n    def f(self):\n        from ..cli import x\n",
     "nasbench/benchmarks/tabular.py:3 -> nasbench.cli (benchmarks sit below"),
    ("nasbench/training/t.py", "from nasbench.benchmarks.registry import load\n",
     "nasbench/training/t.py:1 -> nasbench.benchmarks.registry (the training backend"),
    ("strategies/s.py", "import nasbench.cli as c\n", "strategies/s.py:1 -> nasbench.cli (strategies sit"),
    ("nasbench/benchmarks/registry.py", "_KINDS = {'x': 'strategies.task:load'}\n",
     "nasbench/benchmarks/registry.py:1 -> strategies.task (benchmarks sit below"),
    ("nasbench/spaces/nb201.py", "import scipy.stats\n",
     "nasbench/spaces/nb201.py:1 -> scipy.stats (spaces use only"),
    ("nasbench/spaces/nb201.py", "from ..encodings import nb201\n",
     "nasbench/spaces/nb201.py:1 -> nasbench.encodings (spaces use only"),
    ("nasbench/encodings/e.py", "from tabular_data import store\n",
     "nasbench/encodings/e.py:1 -> tabular_data.store (encodings use only"),
    ("nasbench/rng.py", "import nasbench.spaces\n", "nasbench/rng.py:1 -> nasbench.spaces (errors, rng, checks, timing and provenance"),
    ("strategies/s.py", "from nasbench import __version__\n",
     "strategies/s.py:1 -> nasbench.__version__ (the version comes from nasbench._version"),
    ("strategies/s.py", "def f():\n    import nasbench as nb\n    return nb.__version__\n",
     "strategies/s.py:3 -> nasbench.__version__ (the version comes from nasbench._version"),
    ("strategies/s.py", "import nasbench.benchmarks\nv = getattr(nasbench, '__version__', '?')\n",
     "strategies/s.py:2 -> nasbench.__version__ (the version comes from nasbench._version"),
    ("strategies/s.py", "import numpy as np\nx = np.random.rand(3)\n",
     "strategies/s.py:2 -> numpy.random.rand (explicit numpy Generators"),
    ("strategies/s.py", "from numpy import random as npr\nnpr.seed(0)\n",
     "strategies/s.py:2 -> numpy.random.seed (explicit"),
    ("strategies/s.py", "from numpy.random import choice\n", "strategies/s.py:1 -> numpy.random.choice (explicit"),
    ("strategies/s.py", "import random\nrandom.shuffle([1])\n", "strategies/s.py:2 -> random.shuffle (explicit"),
    ("strategies/s.py", "from random import randint\n", "strategies/s.py:1 -> random.randint (explicit"),
])
def test_the_checker_reports_an_added_forbidden_import(tmp_path, path, source, expected):
    report = _report(tmp_path, {path: source})
    assert len(report) == 1 and report[0].startswith(expected), report


def test_one_import_added_to_a_copy_of_the_code_base_is_reported(tmp_path):
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            copy = tmp_path / path.relative_to(REPO)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
    store = tmp_path / "tabular_data" / "store.py"
    n_lines = len(store.read_text(encoding="utf-8").splitlines())
    with store.open("a", encoding="utf-8") as f:
        f.write("\n\ndef _probe():\n    from strategies.simulator import simulate\n")
    added = set(check_tree(tmp_path)) - set(_repo_violations())
    assert [str(v) for v in added] == [f"tabular_data/store.py:{n_lines + 4} -> strategies.simulator "
                                       "(tabular_data and surrogates know arrays, not benchmarks, "
                                       "strategies or the CLI)"]


def test_the_failure_message_lists_every_violation(tmp_path):
    root = _tree(tmp_path, {"tabular_data/x.py": "import strategies\n\n\ndef f():\n"
                                                  "    from nasbench.cli import main\n"})
    lines = [str(v) for v in check_tree(root)]
    assert lines == [
        "tabular_data/x.py:1 -> strategies (tabular_data and surrogates know arrays, not benchmarks, "
        "strategies or the CLI)",
        "tabular_data/x.py:5 -> nasbench.cli (tabular_data and surrogates know arrays, not "
        "benchmarks, strategies or the CLI)",
    ]


def test_the_version_has_one_source():
    import nasbench
    from nasbench._version import __version__

    assert nasbench.__version__ == __version__
    tomllib = pytest.importorskip("tomllib")  # standard library from Python 3.11
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nasbench._version.__version__"}
