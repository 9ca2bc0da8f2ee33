"""Tabular benchmark data: the on-disk table format, numba lookup kernels, importers of public
NAS benchmark formats, and the embedded default tables shipped with the package.

This package knows arrays, not strategies: it never imports ``strategies`` or ``surrogates``.
"""

from tabular_data.store import MetricData, Table, write_table

__all__ = ["MetricData", "Table", "write_table"]
