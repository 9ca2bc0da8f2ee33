"""Strategy names, and how to build a strategy from a name, an import path or an entry point.

Names map to import paths, so listing strategies imports none of them. One canonical name per
published method; variants are parameters. A strategy is given as

* a built-in name (:data:`STRATEGIES`), e.g. ``regularized_evolution``;
* an import path ``package.module:Class`` of a :class:`~strategies.base.Strategy` subclass, e.g.
  ``my_pkg.my_module:MyStrategy`` (the module must be importable: on ``sys.path`` or installed);
* a name registered by an installed distribution in the ``nasbench.strategies`` entry-point group
  (``[project.entry-points."nasbench.strategies"] my_strategy = "my_pkg.my_module:MyStrategy"``);
* ``optuna:SAMPLER``: one of Optuna's samplers (``tpe``, ``random``, ``nsgaii``, ``nsgaiii``, ``gp``) or
  any sampler class by path (``optuna:optuna.samplers.QMCSampler``, ``optuna:my_pkg.mod:MySampler``),
  run through Optuna's ask/tell (:mod:`strategies.optuna_sampler`, ``pip install "nasbench[optuna]"``).

:func:`resolve` turns any of these into a *spec* that needs no entry-point metadata (the import path,
or the ``optuna:`` spec), which is what worker processes receive (:class:`strategies.compare.RunJob`).
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass

from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = [
    "ENTRY_POINT_GROUP",
    "NEEDS_COST",
    "OPTUNA_PREFIX",
    "REFERENCES",
    "STRATEGIES",
    "StrategyInfo",
    "ensure_importable",
    "entry_point_strategies",
    "import_root",
    "list_strategies",
    "make_strategy",
    "needs_cost",
    "parameters_of",
    "parse_param_assignments",
    "parse_value",
    "resolve",
    "strategy_class",
    "takes_cost",
]

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
    "pareto_evolution": "strategies.pareto_evolution:ParetoEvolution",
}

#: Built-ins that optimise the search value against a per-arch cost column (their class takes a ``cost``
#: without a default), so they run only where a comparison has objectives (``--objectives ACC,COST``,
#: which passes the column). Listed here so that asking costs no import; the tests check it against the
#: classes. :func:`needs_cost` answers for any strategy.
NEEDS_COST: frozenset = frozenset({"pareto_evolution"})

#: The publication each built-in follows (shown by ``nasbench compare --list-strategies``).
REFERENCES: dict[str, str] = {
    "random_search": "Bergstra & Bengio, Random Search for Hyper-Parameter Optimization, JMLR 2012; "
                     "Li & Talwalkar, Random Search and Reproducibility for NAS, UAI 2019",
    "regularized_evolution": "Real, Aggarwal, Huang & Le, Regularized Evolution for Image Classifier "
                             "Architecture Search, AAAI 2019 (Algorithm 1)",
    "local_search": "White, Nolen, Ravichandran & Mittal, Local Search is State of the Art for Neural "
                    "Architecture Search Benchmarks, 2020",
    "reinforce": "Williams, Simple Statistical Gradient-Following Algorithms, Machine Learning 1992; as the RL "
                 "baseline of Dong & Yang, NAS-Bench-201, ICLR 2020",
    "bananas": "White, Neiswanger & Savani, BANANAS: Bayesian Optimization with Neural Architectures for "
               "Neural Architecture Search, AAAI 2021",
    "successive_halving": "Jamieson & Talwalkar, Non-stochastic Best Arm Identification and Hyperparameter "
                          "Optimization, AISTATS 2016",
    "hyperband": "Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, Hyperband, JMLR 2018",
    "bohb": "Falkner, Klein & Hutter, BOHB: Robust and Efficient Hyperparameter Optimization at Scale, ICML 2018",
    "gradient": "Liu, Simonyan & Yang, DARTS: Differentiable Architecture Search, ICLR 2019 (the relaxation), "
                "on an MLP-ensemble surrogate of the table",
    "pareto_evolution": "Real et al., AAAI 2019 (aging evolution) with the non-dominated ranks of Deb et al., "
                        "NSGA-II, IEEE TEC 2002, as tournament criterion; accuracy against a cost "
                        "(needs --objectives)",
}

ENTRY_POINT_GROUP = "nasbench.strategies"
OPTUNA_PREFIX = "optuna:"
_OPTUNA_CLASS = "strategies.optuna_sampler:OptunaStrategy"
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_FORMS = ("a built-in name, an import path 'package.module:Class', a name of the 'nasbench.strategies' "
          "entry-point group, or 'optuna:SAMPLER'")


def entry_point_strategies() -> dict[str, str]:
    """Strategies registered by installed distributions: ``{name: "module:Class"}``.

    Raises
    ------
    NasbenchError
        If two distributions register one name with different classes (nothing can tell which is meant).
    """
    from importlib.metadata import entry_points

    out: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in out and out[ep.name] != ep.value:
            raise NasbenchError(
                f"two installed distributions register the strategy {ep.name!r} in the {ENTRY_POINT_GROUP!r} "
                f"entry-point group ({out[ep.name]!r} and {ep.value!r}); uninstall one, or give the class by its "
                "import path (package.module:Class) instead of the name."
            )
        out[ep.name] = ep.value
    return out


def _known_names() -> list[str]:
    try:
        extra = sorted(n for n in entry_point_strategies() if n not in STRATEGIES)
    except NasbenchError:
        extra = []
    return list(STRATEGIES) + extra


def resolve(name: str) -> str:
    """The spec of strategy ``name`` that any process can build without entry-point metadata.

    Built-in and entry-point names give their ``module:Class`` path; an import path or an ``optuna:``
    spec is returned as it is. Built-in names win over entry points of the same name.

    Raises
    ------
    UnknownNameError
        If ``name`` is none of the accepted forms.
    """
    if not isinstance(name, str) or not name:
        raise UnknownNameError(f"a strategy is {_FORMS}; got {name!r}.")
    if name in STRATEGIES:
        return STRATEGIES[name]
    if name.startswith(OPTUNA_PREFIX) or _PATH.match(name):
        return name
    registered = entry_point_strategies()
    if name in registered:
        return registered[name]
    raise UnknownNameError(
        f"unknown strategy {name!r}; expected one of {choices_text(_known_names())}, an import path "
        "'package.module:Class', or 'optuna:SAMPLER' (see `nasbench compare --list-strategies`)."
    )


def _import_class(path: str, shown: str):
    module_name, _, qualname = path.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownNameError(
            f"cannot import the module {module_name!r} of strategy {shown!r} ({exc}); check the spelling, and that "
            "the module is installed or its folder is on sys.path / PYTHONPATH (in every worker process too)."
        ) from None
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise UnknownNameError(f"the module {module_name!r} has no {qualname!r} (strategy {shown!r}); "
                                   "check the class name after the colon.")
        obj = getattr(obj, part)
    return obj


def strategy_class(name: str):
    """The class of strategy ``name`` (any form :func:`resolve` accepts).

    Raises
    ------
    UnknownNameError
        If the name is unknown, its module cannot be imported, or it names no class.
    NasbenchError
        If the class is not a :class:`~strategies.base.Strategy` subclass.
    """
    from strategies.base import Strategy

    spec = resolve(name)
    if spec.startswith(OPTUNA_PREFIX):
        spec = _OPTUNA_CLASS
    cls = _import_class(spec, name)
    if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
        raise NasbenchError(
            f"strategy {name!r} resolves to {spec!r}, which is {'the class' if inspect.isclass(cls) else 'a'} "
            f"{getattr(cls, '__name__', type(cls).__name__)}, not a subclass of strategies.Strategy; subclass it "
            "(ask(), _tell()) as the notebook your_own_strategy.ipynb shows."
        )
    return cls


def parameters_of(name: str) -> dict:
    """Hyper-parameters of strategy ``name`` and their defaults: ``{parameter: default}``.

    For ``optuna:SAMPLER`` these are the sampler's constructor arguments. ``seed`` (the run's seed) and
    ``cost`` (the cost column a comparison with objectives passes in) are not hyper-parameters and are
    left out. A parameter without a default maps to :data:`inspect.Parameter.empty`.
    """
    spec = resolve(name)
    if spec.startswith(OPTUNA_PREFIX):
        from strategies.optuna_sampler import sampler_parameters

        return sampler_parameters(spec[len(OPTUNA_PREFIX):])
    return {k: v for k, v in _keyword_parameters(strategy_class(name)).items() if k != "cost"}


def _keyword_parameters(cls) -> dict:
    """Every parameter of ``cls.__init__`` after the space that can be given by keyword, except ``seed``."""
    sig = inspect.signature(cls)
    return {p.name: p.default for p in list(sig.parameters.values())[1:]
            if p.name != "seed" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def takes_cost(name: str) -> bool:
    """Whether strategy ``name`` accepts a per-arch ``cost`` column (Optuna's samplers, pareto_evolution)."""
    if name.startswith(OPTUNA_PREFIX):
        return True
    return "cost" in _keyword_parameters(strategy_class(name))


def needs_cost(name: str) -> bool:
    """Whether strategy ``name`` cannot run without a per-arch ``cost`` column (a ``cost`` parameter
    without a default), i.e. only in a comparison with objectives (``--objectives ACC,COST``).

    Built-in names are answered from :data:`NEEDS_COST` without importing anything.
    """
    if name in STRATEGIES:
        return name in NEEDS_COST
    if name.startswith(OPTUNA_PREFIX):
        return False
    return _keyword_parameters(strategy_class(name)).get("cost", None) is inspect.Parameter.empty


def _check_params(name: str, params: dict) -> None:
    """Refuse parameter names the strategy does not take (the error lists the ones it takes)."""
    if name.startswith(OPTUNA_PREFIX):
        return  # the sampler checks its own arguments (strategies.optuna_sampler)
    sig = inspect.signature(strategy_class(name))
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    known = parameters_of(name)
    unknown = sorted(set(params) - set(_keyword_parameters(strategy_class(name))))
    if unknown:
        raise NasbenchError(
            f"bad parameters for {name}: unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; it takes {choices_text(known) if known else 'none'} "
            "(see `nasbench compare --list-strategies`)."
        )


def make_strategy(name: str, space, seed=None, **params):
    """Build strategy ``name`` (any form :func:`resolve` accepts) on ``space`` with ``seed`` and ``params``.

    Raises
    ------
    UnknownNameError
        If ``name`` cannot be resolved or imported.
    NasbenchError
        If a parameter is unknown or refused by the strategy.
    """
    cls = strategy_class(name)
    _check_params(name, params)
    if "cost" not in params and needs_cost(name):
        raise NasbenchError(
            f"{name} optimises the search value against a per-arch cost: pass cost= (an array by arch index), or "
            "in nasbench compare give objectives, e.g. --objectives test_acc,latency_ms@pixel3."
        )
    spec = resolve(name)
    if spec.startswith(OPTUNA_PREFIX):
        params = {"sampler": spec[len(OPTUNA_PREFIX):], **params}
    try:
        return cls(space, seed=seed, **params)
    except TypeError as exc:
        raise NasbenchError(f"bad parameters for {name}: {exc}. Given: {params!r}.") from None


@dataclass(frozen=True)
class StrategyInfo:
    """One row of ``nasbench compare --list-strategies``."""

    name: str
    path: str
    source: str  # "built-in", "entry point", "optuna" or "import path"
    parameters: dict
    reference: str


def _first_line(cls) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def list_strategies(extra=()) -> list[StrategyInfo]:
    """Every built-in, entry-point and Optuna strategy (and the names in ``extra``) with parameters.

    Optuna's samplers are listed only when Optuna is installed; a strategy whose module cannot be
    imported is listed with the error in place of its parameters.
    """
    from strategies.optuna_sampler import SAMPLERS, optuna_available

    rows = []
    names = [(n, "built-in") for n in STRATEGIES]
    names += [(n, "entry point") for n in sorted(entry_point_strategies()) if n not in STRATEGIES]
    if optuna_available():
        names += [(OPTUNA_PREFIX + s, "optuna") for s in SAMPLERS]
    names += [(n, "import path") for n in extra if n not in dict(names)]
    for name, source in names:
        try:
            params = {k: v for k, v in parameters_of(name).items()}
            if source == "optuna":
                from strategies.optuna_sampler import sampler_reference

                reference = sampler_reference(name[len(OPTUNA_PREFIX):])
            else:
                cls = strategy_class(name)
                reference = REFERENCES.get(name) or getattr(cls, "reference", None) or _first_line(cls)
        except NasbenchError as exc:
            params, reference = {}, f"(cannot load: {exc})"
        if source == "optuna":
            from strategies.optuna_sampler import sampler_path

            path = sampler_path(name[len(OPTUNA_PREFIX):])
        else:
            path = resolve(name)
        rows.append(StrategyInfo(name, path, source, params, reference))
    return rows


_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def parse_value(text: str):
    """A parameter value from the command line: a JSON or TOML literal, or a bare word as a string.

    ``20`` -> 20, ``0.5`` -> 0.5, ``true`` -> True, ``"path"`` / ``'path'`` / ``path`` -> "path",
    ``[1, 2]`` -> [1, 2], ``null`` -> None. Nothing is evaluated as code.

    Raises
    ------
    NasbenchError
        If ``text`` is none of these.
    """
    import json
    import tomllib

    if "\n" in text or "\r" in text:
        raise NasbenchError(f"a parameter value is one line; got {text!r}.")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if _BARE.match(text):
        return text
    raise NasbenchError(f"cannot read the parameter value {text!r}: write a JSON or TOML literal such as 20, 0.5, "
                        "true, \"path\" or [1, 2] (quote strings that are not plain words).")


def parse_param_assignments(items, flag: str = "--strategy-params") -> dict:
    """``["regularized_evolution.population_size=20", ...]`` -> ``{strategy: {parameter: value}}``.

    The strategy is everything before the last dot of the left side (so ``my_pkg.mod:Cls.k=3`` and
    ``optuna:tpe.n_startup_trials=20`` work); one assignment per item. Values are read by
    :func:`parse_value`.

    Raises
    ------
    NasbenchError
        If an item is not ``STRATEGY.PARAMETER=VALUE`` or a parameter is given twice.
    """
    out: dict = {}
    for part in items or ():
        left, eq, value = str(part).partition("=")
        strategy, dot, param = left.strip().rpartition(".")
        if not eq or not dot or not strategy or not param.isidentifier():
            raise NasbenchError(f"{flag} takes STRATEGY.PARAMETER=VALUE, e.g. "
                                f"'regularized_evolution.population_size=20'; got {part!r}.")
        params = out.setdefault(strategy, {})
        if param in params:
            raise NasbenchError(f"{flag} gives {strategy}.{param} twice; give each parameter once.")
        params[param] = parse_value(value.strip())
    return out


def import_root(name: str) -> str | None:
    """The ``sys.path`` folder strategy ``name``'s module was imported from, for workers that lack it.

    Spawned processes inherit this process's ``sys.path``; Ray workers do not, so a module importable
    here only through a folder added at run time (a notebook's folder, a test's ``tmp_path``) is found
    there through this folder (:class:`strategies.compare.RunJob` carries it). None for built-ins and
    modules without a file.
    """
    import sys
    from pathlib import Path

    spec = resolve(name)
    if spec.startswith(OPTUNA_PREFIX):
        spec = spec[len(OPTUNA_PREFIX):]
        if ":" not in spec:
            return None
    module_name = spec.partition(":")[0]
    if module_name.split(".")[0] == "strategies":
        return None
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return None
    path = Path(file).resolve().parent
    for _ in range(module_name.count(".") + (1 if Path(file).name == "__init__.py" else 0)):
        path = path.parent
    return str(path)


def ensure_importable(root: str | None) -> None:
    """Append ``root`` to ``sys.path`` when it is a folder not there yet (see :func:`import_root`)."""
    import os
    import sys

    if root and root not in sys.path and os.path.isdir(root):
        sys.path.append(root)
