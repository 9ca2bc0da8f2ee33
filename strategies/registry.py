"""Strategy names and how to build them.

Names map to import paths, so listing strategies imports none of them. One canonical name per
published method; variants are parameters.
"""

from __future__ import annotations

import importlib

from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["STRATEGIES", "make_strategy", "strategy_class"]

STRATEGIES: dict[str, str] = {
    "random_search": "strategies.random_search:RandomSearch",
    "regularized_evolution": "strategies.evolution:RegularizedEvolution",
    "local_search": "strategies.local_search:LocalSearch",
    "reinforce": "strategies.reinforce:Reinforce",
    "bananas": "strategies.bananas:Bananas",
    "successive_halving": "strategies.multifidelity:SuccessiveHalving",
    "hyperband": "strategies.multifidelity:Hyperband",
    "bohb": "strategies.multifidelity:BOHB",
    "gradient": "strategies.gradient:GradientSurrogate",
}


def strategy_class(name: str):
    """The class registered as ``name``."""
    if name not in STRATEGIES:
        raise UnknownNameError(f"unknown strategy {name!r}; expected one of {choices_text(STRATEGIES)}.")
    module, _, cls = STRATEGIES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def make_strategy(name: str, space, seed=None, **params):
    """Build strategy ``name`` on ``space`` with ``seed`` and hyper-parameters ``params``."""
    cls = strategy_class(name)
    try:
        return cls(space, seed=seed, **params)
    except TypeError as exc:
        raise NasbenchError(f"bad parameters for {name}: {exc}. Given: {params!r}.") from None
