"""The optional dependency guard: no torch at `import nasbench`, a clear error without torch."""

import re
import subprocess
import sys

import pytest

from nasbench.errors import OptionalDependencyError, install_hint
from nasbench.training import _deps


def test_import_nasbench_does_not_import_torch():
    code = "import sys, nasbench, nasbench.training; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_torch_raises_optional_dependency_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(OptionalDependencyError, match=re.escape(install_hint("train"))):
        _deps.require_torch()


def test_missing_sklearn_raises_optional_dependency_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(OptionalDependencyError, match="scikit-learn.*" + re.escape(install_hint("train"))):
        _deps.require_sklearn()


def test_lazy_attribute_of_training_package():
    pytest.importorskip("torch")
    import nasbench.training as training

    assert training.TrainConfig().C == 16
    with pytest.raises(AttributeError, match="module 'nasbench.training' has no attribute 'nope'"):
        training.nope  # noqa: B018
