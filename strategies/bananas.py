"""BANANAS-style predictor-based search (White, Neiswanger & Savani, AAAI 2021).

* The first ``n_init`` asks are uniform samples.
* Then, whenever the queue of proposals is empty: fit an ensemble of ``n_ensemble`` MLPs (3 hidden
  layers of 20 units, Adam, 200 epochs; :mod:`strategies._mlp`) on every told (arch, value);
  make ``n_candidates`` candidates by mutating the ``n_parents`` best told archs
  (``space.mutate``), dropping already evaluated ones (when fewer than ``batch_size`` remain, as
  happens late in long runs, the next best told archs are mutated too, in rank order); score each with independent Thompson
  sampling (ITS, the paper's acquisition: one draw from N(ensemble mean, ensemble std)); queue the
  ``batch_size`` best.
* Encoding: BANANAS's path encoding (one feature per op sequence along an input-to-output path;
  :mod:`nasbench.encodings`) where the space has one (NB201: 84 features, NB101), else one-hot per
  choice (:mod:`strategies._categorical`) where the space has categorical choices, else the space's
  first registered encoding (DARTS: adjacency one-hot, as NASLib's BANANAS uses there).
  ``encoding=`` names another registered encoding, or ``"choices"`` for the one-hot of the choices.

Refits at table speed (``refit="warm"``, the default). The paper retrains the ensemble from a fresh
initialisation at every iteration, so the cost of a run grows with the square of its length (about
68 ms per evaluation over 300 evaluations on nb201/cifar10 in this project's numpy version). Here the
first fit is the paper's (fresh He-normal initialisation, ``epochs`` full-batch Adam steps); every
later refit continues each member from its own weights for ``warm_steps`` Adam steps on mini-batches
of ``warm_batch_size`` told archs drawn with replacement (the paper's code trains on mini-batches too),
so a refit costs the same at any history length and a run grows linearly. The members keep their own
initialisations, hence their diversity. Acquisition (mutation candidates, ITS) is unchanged and
batched (one prediction call per refit). ``refit="scratch"`` is the paper's schedule, kept as the
reference; ``compiled=False`` uses the numpy MLP instead of the numba kernels (same arithmetic up to
summation order). Effect on final regret over 100 seeds: README, "Predictor-based search at table
speed" (``perf/perf_strategy_costs.py``).
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of
from strategies._mlp import MLPEnsemble
from strategies.base import Strategy, check_bool, check_int

__all__ = ["Bananas"]


class Bananas(Strategy):
    """Ensemble-predictor search with mutation-based acquisition.

    Parameters
    ----------
    n_init : int, default 10
    batch_size : int, default 10
        Proposals per model fit (BANANAS: k = 10).
    n_candidates : int, default 100
    n_parents : int, default 10
    n_ensemble : int, default 5
    epochs : int, default 200
    encoding : str or None
        None: ``"path"`` when the space has it, else ``"choices"``.
    refit : {"warm", "scratch"}, default "warm"
        ``scratch``: a fresh ensemble at every refit (the paper); ``warm``: see the module docstring.
    warm_steps : int, default 20
        Adam steps of a warm refit.
    warm_batch_size : int, default 64
        Told archs per Adam step of a warm refit (all of them while fewer are told).
    compiled : bool, default True
        numba kernels (True) or the numpy reference MLP (False).
    """

    name = "bananas"
    relative_cost = 50.0  # per run, against random search's 1 (dispatch order of compare)

    def __init__(self, space, *, seed=None, n_init: int = 10, batch_size: int = 10, n_candidates: int = 100,
                 n_parents: int = 10, n_ensemble: int = 5, epochs: int = 200, encoding: str | None = None,
                 refit: str = "warm", warm_steps: int = 20, warm_batch_size: int = 64, compiled: bool = True):
        super().__init__(space, seed=seed)
        self.n_init = check_int("n_init", n_init, 1, self.name)
        self.batch_size = check_int("batch_size", batch_size, 1, self.name)
        self.n_candidates = check_int("n_candidates", n_candidates, 1, self.name)
        self.n_parents = check_int("n_parents", n_parents, 1, self.name)
        self.n_ensemble = check_int("n_ensemble", n_ensemble, 2, self.name)
        self.epochs = check_int("epochs", epochs, 1, self.name)
        self.refit = _check_refit(refit, self.name)
        self.warm_steps = check_int("warm_steps", warm_steps, 1, self.name)
        self.warm_batch_size = check_int("warm_batch_size", warm_batch_size, 1, self.name)
        self.compiled = check_bool("compiled", compiled, self.name)
        self.encoding, self.encode = _encoder(space, encoding)
        self.model = None
        self.told: dict = {}
        self.asked: set = set()
        self.queue: list = []
        self.n_asked = 0
        # after a refill found no new candidate, the next try waits for batch_size more results (the
        # asks in between sample uniformly), so a long run does not mutate in vain on every ask
        self._retry_at = 0

    def params(self):
        return {"n_init": self.n_init, "batch_size": self.batch_size, "n_candidates": self.n_candidates,
                "n_parents": self.n_parents, "n_ensemble": self.n_ensemble, "epochs": self.epochs,
                "encoding": self.encoding, "refit": self.refit, "warm_steps": self.warm_steps,
                "warm_batch_size": self.warm_batch_size, "compiled": self.compiled}

    def ask(self):
        self.n_asked += 1
        if self.n_asked > self.n_init and len(self.told) >= max(2, self._retry_at) and not self.queue:
            self._refill()
        arch = self.queue.pop(0) if self.queue else self.space.sample(self.rng)
        self.asked.add(arch)
        return arch, self.fidelity

    def _refill(self):
        archs = list(self.told)
        y = np.array([self.told[a] for a in archs])
        order = np.argsort(-y, kind="stable")
        parents = [archs[i] for i in order[: self.n_parents]]
        candidates, seen = [], set()

        def add(child):
            if child not in self.asked and child not in seen:
                seen.add(child)
                candidates.append(child)

        for i in range(self.n_candidates):
            add(self.space.mutate(parents[i % len(parents)], self.rng))
        # Late in a long run the one-edge mutations of the best archs are all evaluated: mutate the next
        # best told archs, in rank order, until a batch is found (the paper mutates "the best archs seen"),
        # with at most n_candidates more mutations, so a refill costs the same at any history length.
        per_parent = max(1, self.n_candidates // self.n_parents)
        extra = order[self.n_parents:self.n_parents + max(1, self.n_candidates // per_parent)]
        for i in extra:
            if len(candidates) >= self.batch_size:
                break
            for _ in range(per_parent):
                add(self.space.mutate(archs[i], self.rng))
        if not candidates:  # nothing new near any told arch: sample uniformly, no model needed
            self._retry_at = len(self.told) + self.batch_size
            return
        model = self.model = fit_ensemble(self, self._encoded(archs), y)
        preds = model.predict_members(self.encode(candidates))
        mean, std = preds.mean(axis=0), preds.std(axis=0)
        its = mean + std * self.rng.standard_normal(mean.shape[0])
        best = np.argsort(-its, kind="stable")[: self.batch_size]
        self.queue = [candidates[i] for i in best]

    def _tell(self, arch, fidelity, value):
        self.told[arch] = float(value)

    def _encoded(self, archs) -> np.ndarray:
        """Encodings of told archs, float64 (n, n_features): each arch is encoded once and cached, so a
        refit late in a long run does not re-encode the whole history."""
        cache = self.__dict__.setdefault("_encoding_cache", {})
        new = [a for a in archs if a not in cache]
        if new:
            cache.update(zip(new, self.encode(new)))
        return np.stack([cache[a] for a in archs])


def fit_ensemble(strategy, X, y):
    """Fit (or warm-refit) ``strategy.model`` on X, y as its ``refit`` schedule says; returns the model.

    Shared by BANANAS and the gradient strategy (attributes ``n_ensemble``, ``epochs``, ``refit``,
    ``warm_steps``, ``warm_batch_size``, ``compiled``, ``rng``, ``model``).
    """
    model = strategy.model
    if strategy.refit == "scratch" or model is None:
        model = MLPEnsemble(strategy.n_ensemble, epochs=strategy.epochs, rng=strategy.rng, compiled=strategy.compiled)
        return model.fit(X, y)
    if not strategy.compiled:  # the numpy reference has no mini-batches: warm full-batch steps
        return model.fit(X, y, warm_start=True, epochs=strategy.warm_steps)
    return model.fit(X, y, warm_start=True, epochs=strategy.warm_steps, batch_size=strategy.warm_batch_size)


def _check_refit(refit, name):
    from nasbench.errors import NasbenchError

    if refit not in ("warm", "scratch"):
        raise NasbenchError(f"the 'refit' parameter of {name} must be 'warm' or 'scratch'; got {refit!r}.")
    return refit


def _has_choices(space) -> bool:
    from nasbench.errors import NasbenchError

    try:
        categorical_of(space)
    except NasbenchError:
        return False
    return True


def _encoder(space, name):
    """(resolved name, function archs -> float64 (n, n_features))."""
    from nasbench.encodings import get_encoding, list_encodings
    from nasbench.errors import UnknownNameError

    if name == "choices":
        return name, categorical_of(space).one_hot
    try:
        available = list_encodings(getattr(space, "name", ""))[space.name]
    except (UnknownNameError, AttributeError, KeyError):
        available = ()
    if name is None:
        if "path" in available:
            name = "path"
        elif available and not _has_choices(space):
            name = available[0]
        else:
            return "choices", categorical_of(space).one_hot
    encoding = get_encoding(getattr(space, "name", ""), name)
    return name, lambda archs: np.asarray(encoding.encode(list(archs))[0], dtype=np.float64)
