"""Exceptions raised by nasbench.

Every error a user can trigger is a :class:`NasbenchError`; its message says what was expected,
what was given and what to do next. The CLI prints that message as one line, without a traceback.
"""

__all__ = [
    "NasbenchError",
    "InvalidArchError",
    "UnknownNameError",
    "MissingDataError",
    "MissingValueError",
    "DataIntegrityError",
    "OptionalDependencyError",
    "NotFittedError",
    "install_hint",
]

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

# extras whose requirements include torch: on a CPU-only machine an unpinned torch resolves to a
# CUDA build of several GB, so their hint installs the CPU build the project tests with first
_TORCH_EXTRAS = frozenset({"train", "dev"})
_TORCH_FIRST = "pip install torch==2.13.0 && "


class NasbenchError(Exception):
    """Base class of every error that bad input or missing data can cause."""


class InvalidArchError(NasbenchError, ValueError):
    """An architecture is malformed or outside the search space."""


class UnknownNameError(NasbenchError, ValueError):
    """A benchmark, metric, fidelity, dataset, device or option name is not one of the valid choices."""


class MissingDataError(NasbenchError, FileNotFoundError):
    """A benchmark or a source file is not where it should be (for example, not imported yet)."""


class MissingValueError(NasbenchError, LookupError):
    """The data has no value (NaN) for this arch, metric and fidelity; nothing is imputed silently."""


class DataIntegrityError(NasbenchError):
    """A stored or source file is corrupt: checksum mismatch, wrong shape, or inconsistent content."""


class OptionalDependencyError(NasbenchError, ImportError):
    """An optional dependency is not installed; the message names the ``pip install`` to run."""


class NotFittedError(NasbenchError, ValueError, AttributeError):
    """A model was used (predict, sample, save, adapt) before :meth:`fit` or a load gave it its state.

    A ``ValueError`` and an ``AttributeError`` too, as scikit-learn's ``NotFittedError`` is, so code
    written against either convention catches it.
    """


def choices_text(choices) -> str:
    """Format valid choices for an error message: ``'a', 'b', 'c'``."""
    return ", ".join(repr(c) for c in choices)


def _install_origin() -> tuple[str, str | None]:
    """How nasbench was installed: ``("index", None)``, ``("url", URL)``, ``("local", PATH)``, ``("editable", PATH)``.

    Read from the installed distribution's ``direct_url.json`` (PEP 610). A distribution record that
    no installer wrote (a build's ``nasbench.egg-info`` in the working directory) is skipped; with no
    record at all the package runs from a source checkout, whose hint installs it editable.
    """
    package = Path(__file__).resolve().parent
    for dist in metadata.distributions(name="nasbench"):
        try:
            if dist.read_text("INSTALLER") is None:  # a build's egg-info, not an installed record
                continue
            direct = json.loads(dist.read_text("direct_url.json") or "null")
        except (OSError, ValueError):
            continue
        if not direct:
            return "index", None
        if not str(direct.get("url", "")).startswith("file:"):  # a VCS or archive URL: reinstall from it
            vcs = direct.get("vcs_info", {}).get("vcs")
            return "url", f"{vcs}+{direct['url']}" if vcs else direct["url"]
        path = unquote(urlparse(direct["url"]).path)
        return ("editable" if direct.get("dir_info", {}).get("editable") else "local"), path
    return "editable", str(package.parent)


def install_hint(extra: str) -> str:
    """The ``pip install`` command that adds ``extra`` to nasbench as it is installed here.

    From PyPI: ``pip install "nasbench[train]"``; from a clone: ``pip install "/path/to/clone[train]"``
    (``-e`` when the clone is installed editable), so the hint never swaps a checkout for a release.
    Extras that pull torch start with ``pip install torch==2.13.0`` (the CPU build, not GBs of CUDA).
    """
    origin, path = _install_origin()
    target = {"index": f'"nasbench[{extra}]"', "url": f'"nasbench[{extra}] @ {path}"'}.get(origin, f'"{path}[{extra}]"')
    command = f"pip install {'-e ' if origin == 'editable' else ''}{target}"
    return (_TORCH_FIRST if extra in _TORCH_EXTRAS else "") + command
