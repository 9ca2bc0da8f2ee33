"""Search spaces: architectures as immutable values, with sampling, mutation and neighbours."""

from nasbench.spaces.base import SearchSpace
from nasbench.spaces.nb201 import NB201Arch, NB201Space

__all__ = ["SearchSpace", "NB201Arch", "NB201Space", "get_space"]


def get_space(name: str) -> SearchSpace:
    """Return the search space called ``name`` (``"nb201"``)."""
    from nasbench.errors import UnknownNameError, choices_text

    from nasbench.spaces.darts import DARTSSpace
    from nasbench.spaces.macro import MacroSpace
    from nasbench.spaces.nb101 import NB101Space
    from nasbench.spaces.transnas_micro import TNBMicroSpace

    spaces = {"nb201": NB201Space, "nb101": NB101Space, "darts": DARTSSpace, "transnas-micro": TNBMicroSpace,
              "macro": MacroSpace}
    if name not in spaces:
        raise UnknownNameError(f"unknown search space {name!r}; expected one of {choices_text(spaces)}.")
    return spaces[name]()
