"""Optuna's samplers as ask/tell strategies (``optuna:tpe``, ``optuna:random``, ``optuna:nsgaii``, ...).

The space's categorical view (:mod:`strategies._categorical`; NB201: six edges with five ops each) is
given to Optuna as one ``CategoricalDistribution`` of choice indices per decision, through
``study.ask(fixed_distributions=...)`` and ``study.tell`` on an in-memory study. Nothing of Optuna's
``optimize`` loop is used: the simulator (:func:`strategies.simulate`) decides when to ask and tell,
so asynchronous workers give the sampler outstanding (running) trials exactly as Optuna's own
parallel loop does.

* **Seeding.** The sampler's ``seed`` is drawn once from the strategy's Generator (itself made from
  the run's seed), so the same config gives the same proposals, byte for byte.
* **Direction.** Values told are "higher is better" (:mod:`strategies.base`): the study maximises.
* **Multi-objective** (``optuna:nsgaii`` / ``optuna:nsgaiii`` with ``--objectives``): the study has two
  directions, the search value (maximise) and the cost objective of the arch (minimise), read from the
  ``cost`` column the comparison passes in. Without objectives these samplers optimise the search value
  alone (a genetic algorithm).
* **Repeats.** Optuna may propose an arch that was already evaluated; it is evaluated again (and costs
  budget again), as Optuna's own loop would do on the real objective.

Optuna is an optional dependency: ``pip install "nasbench[optuna]"``.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import logging
from collections import deque

import numpy as np

from nasbench.errors import NasbenchError, OptionalDependencyError, UnknownNameError, choices_text, install_hint
from strategies._categorical import categorical_of
from strategies.base import Strategy

__all__ = ["OptunaStrategy", "SAMPLERS", "optuna_available", "sampler_parameters", "sampler_path",
           "sampler_reference"]

#: Short names of Optuna's samplers: name -> (class path, reference).
SAMPLERS: dict[str, tuple[str, str]] = {
    "tpe": ("optuna.samplers:TPESampler",
            "Bergstra, Bardenet, Bengio & Kegl, Algorithms for Hyper-Parameter Optimization, NeurIPS 2011 "
            "(TPE); Watanabe, Tree-Structured Parzen Estimator: Understanding Its Algorithm Components, 2023"),
    "random": ("optuna.samplers:RandomSampler",
               "Bergstra & Bengio, Random Search for Hyper-Parameter Optimization, JMLR 2012"),
    "nsgaii": ("optuna.samplers:NSGAIISampler",
               "Deb, Pratap, Agarwal & Meyarivan, A Fast and Elitist Multiobjective Genetic Algorithm: NSGA-II, "
               "IEEE TEC 2002"),
    "nsgaiii": ("optuna.samplers:NSGAIIISampler",
                "Deb & Jain, An Evolutionary Many-Objective Optimization Algorithm Using Reference-Point-Based "
                "Nondominated Sorting Approach, IEEE TEC 2014"),
    "gp": ("optuna.samplers:GPSampler",
           "Gaussian-process Bayesian optimisation with log expected improvement (Optuna's GPSampler; "
           "needs torch and scipy)"),
}
_MULTI_OBJECTIVE = ("nsgaii", "nsgaiii")


def optuna_available() -> bool:
    """Whether Optuna can be imported (never raises)."""
    return importlib.util.find_spec("optuna") is not None


def _require_optuna():
    try:
        import optuna
    except ImportError as exc:
        raise OptionalDependencyError(f"optuna:* strategies need Optuna, but `import optuna` failed ({exc}). "
                                      f"Install the extra with: {install_hint('optuna')} (or `pip install optuna`).") from exc
    return optuna


def sampler_path(sampler: str) -> str:
    """The ``module:Class`` of sampler ``sampler`` (a short name, ``module:Class`` or ``package.module.Class``)."""
    if sampler in SAMPLERS:
        return SAMPLERS[sampler][0]
    if ":" in sampler:
        return sampler
    module, dot, cls = sampler.rpartition(".")
    if not dot or not module or not cls:
        raise UnknownNameError(
            f"unknown Optuna sampler {sampler!r}; expected one of {choices_text(SAMPLERS)}, or a sampler class by "
            "path such as 'optuna.samplers.QMCSampler' or 'my_pkg.my_module:MySampler' (optuna:PATH)."
        )
    return f"{module}:{cls}"


def sampler_reference(sampler: str) -> str:
    """The publication behind sampler ``sampler`` (short names), else the class's first docstring line."""
    if sampler in SAMPLERS:
        return SAMPLERS[sampler][1]
    doc = inspect.getdoc(_sampler_class(sampler)) or ""
    return doc.splitlines()[0] if doc else ""


def _sampler_class(sampler: str):
    optuna = _require_optuna()
    path = sampler_path(sampler)
    module_name, _, qualname = path.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise UnknownNameError(f"cannot load the Optuna sampler {path!r} (optuna:{sampler}): {exc}. Check the "
                               "path, or use one of " + choices_text(SAMPLERS) + ".") from None
    if not (inspect.isclass(obj) and issubclass(obj, optuna.samplers.BaseSampler)):
        raise NasbenchError(f"optuna:{sampler} resolves to {path!r}, which is not a subclass of "
                            "optuna.samplers.BaseSampler; name a sampler class.")
    if "seed" not in inspect.signature(obj).parameters:
        raise NasbenchError(f"the sampler {path!r} takes no seed argument; nasbench seeds every sampler from the "
                            "run's seed so that comparisons are reproducible. Give the sampler a seed parameter.")
    return obj


def sampler_parameters(sampler: str) -> dict:
    """Constructor arguments of the sampler and their defaults (without ``seed``)."""
    sig = inspect.signature(_sampler_class(sampler))
    return {p.name: p.default for p in sig.parameters.values()
            if p.name != "seed" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


@contextlib.contextmanager
def _quiet_optuna():
    """Hide Optuna's per-study INFO line ("A new study created in memory ...") for one call."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class OptunaStrategy(Strategy):
    """One of Optuna's samplers driven through ``study.ask`` / ``study.tell``.

    Parameters
    ----------
    space : nasbench.spaces.SearchSpace
        Needs a categorical view (:func:`strategies._categorical.categorical_of`).
    seed : int, Generator, SeedSequence or None
        The sampler's seed is ``rng.integers(2**31 - 1)`` of the strategy's Generator.
    sampler : str, default "tpe"
        A short name (:data:`SAMPLERS`), ``module:Class`` or ``package.module.Class``.
    cost : ndarray of float, shape (n_archs,), optional
        Cost objective by arch index (minimised); with a multi-objective sampler (``nsgaii``,
        ``nsgaiii``) the study then has two objectives. Passed by ``nasbench compare --objectives``.
    **sampler_kwargs
        Arguments of the sampler's constructor (JSON / TOML values), e.g. ``n_startup_trials=20``.
    """

    name = "optuna"
    relative_cost = 20.0  # Optuna's samplers cost milliseconds per ask; run them first (load balance)

    def __init__(self, space, *, seed=None, sampler: str = "tpe", cost=None, **sampler_kwargs):
        super().__init__(space, seed=seed)
        optuna = _require_optuna()
        cls = _sampler_class(sampler)
        self.sampler_name = sampler
        self.name = f"optuna:{sampler}"
        self.sampler_kwargs = dict(sampler_kwargs)
        known = sampler_parameters(sampler)
        unknown = sorted(set(sampler_kwargs) - set(known))
        if unknown:
            raise NasbenchError(f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                                f"for optuna:{sampler}; it takes {choices_text(known)}.")
        self.cat = categorical_of(space)
        self.multi_objective = cost is not None and sampler in _MULTI_OBJECTIVE
        self.cost = None if cost is None else np.asarray(cost, dtype=np.float64)
        sampler_seed = int(self.rng.integers(2**31 - 1))
        try:
            self.sampler = cls(seed=sampler_seed, **sampler_kwargs)
        except (TypeError, ValueError) as exc:
            raise NasbenchError(f"bad parameters for optuna:{sampler}: {exc}. Given: {sampler_kwargs!r}.") from None
        directions = ["maximize", "minimize"] if self.multi_objective else ["maximize"]
        with _quiet_optuna():
            self.study = optuna.create_study(sampler=self.sampler, directions=directions,
                                             storage=optuna.storages.InMemoryStorage())
        dist = optuna.distributions.CategoricalDistribution
        self._names = [f"x{d}" for d in range(len(self.cat.sizes))]
        self._distributions = {n: dist(tuple(range(s))) for n, s in zip(self._names, self.cat.sizes)}
        self._pending: dict = {}

    def params(self):
        return {"sampler": self.sampler_name, **self.sampler_kwargs}

    def ask(self):
        trial = self.study.ask(fixed_distributions=self._distributions)
        arch = self.cat.from_choices([int(trial.params[n]) for n in self._names])
        self._pending.setdefault(arch, deque()).append(trial)
        return arch, self.fidelity

    def _tell(self, arch, fidelity, value):
        waiting = self._pending.get(arch)
        if not waiting:
            raise NasbenchError(f"{self.name} was told a result for an arch it did not propose ({arch}); tell only "
                                "the archs ask() returned.")
        trial = waiting.popleft()
        if not waiting:
            del self._pending[arch]
        if self.multi_objective:
            self.study.tell(trial, [float(value), float(self.cost[self._index(arch)])])
        else:
            self.study.tell(trial, float(value))

    def _index(self, arch) -> int:
        index = getattr(arch, "index", None)
        if index is None:
            raise NasbenchError(f"{self.name} with a cost objective needs archs with a table index; "
                                f"{type(arch).__name__} has none.")
        return int(index)
