"""The version of nasbench, in one place.

Modules that record the version (manifests, saved models, reports) import it from here,
``from nasbench._version import __version__``, rather than from the ``nasbench`` package: the
package's ``__init__`` is the public API (``load``, ``list_benchmarks``), which sits above the
layers that write manifests. ``pyproject.toml`` reads the same attribute for the wheel's version.
"""

__version__ = "0.1.0"
