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
]


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
