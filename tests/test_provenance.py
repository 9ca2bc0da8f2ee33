"""nasbench.provenance: one answer to "which versions, which machine" for every record."""

import platform

import numpy as np

from nasbench._version import __version__
from nasbench.provenance import machine, versions


def test_versions_in_the_order_asked_with_distribution_names_and_none_when_absent():
    import sklearn

    got = versions("nasbench", "numpy", "scikit-learn", "python", "platform", "no_such_package_here")
    assert list(got) == ["nasbench", "numpy", "scikit-learn", "python", "platform", "no_such_package_here"]
    assert got == {"nasbench": __version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                   "python": platform.python_version(), "platform": platform.platform(),
                   "no_such_package_here": None}


def test_machine_names_platform_and_processor():
    got = machine()
    assert set(got) == {"platform", "processor"} and all(isinstance(v, str) and v for v in got.values())
