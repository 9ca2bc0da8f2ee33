"""nasbench: fast, honest neural architecture search benchmarks.

>>> import nasbench
>>> bench = nasbench.load("nb201/cifar10")                    # doctest: +SKIP
>>> bench.query(6111, metric="test_acc", fidelity=200)         # doctest: +SKIP
94.37333333333333

Importing this package loads neither torch nor xgboost; those sit behind optional extras.
"""

from nasbench._version import __version__
from nasbench.errors import NasbenchError

__all__ = ["__version__", "NasbenchError", "load", "list_benchmarks"]


def load(name: str):
    """Load a benchmark by name (``SPACE/DATASET[@KIND]``), e.g. ``"nb201/cifar10"``."""
    from nasbench.benchmarks.registry import load as _load

    return _load(name)


def list_benchmarks():
    """Every benchmark name nasbench knows, with whether its data is available here."""
    from nasbench.benchmarks.registry import list_benchmarks as _list

    return _list()
