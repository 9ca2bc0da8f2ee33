"""BANANAS-style predictor-based search (White, Neiswanger & Savani, AAAI 2021).

* The first ``n_init`` asks are uniform samples.
* Then, whenever the queue of proposals is empty: fit an ensemble of ``n_ensemble`` MLPs (3 hidden
  layers of 20 units, Adam, 200 epochs; :mod:`strategies._mlp`) on every told (arch, value);
  make ``n_candidates`` candidates by mutating the ``n_parents`` best told archs
  (``space.mutate``), dropping already evaluated ones; score each with independent Thompson
  sampling (ITS, the paper's acquisition: one draw from N(ensemble mean, ensemble std)); queue the
  ``batch_size`` best.
* Encoding: BANANAS's path encoding (one feature per op sequence along an input-to-output path;
  :mod:`nasbench.encodings`) where the space has one (NB201: 84 features, NB101), else one-hot per
  choice (:mod:`strategies._categorical`) where the space has categorical choices, else the space's
  first registered encoding (DARTS: adjacency one-hot, as NASLib's BANANAS uses there).
  ``encoding=`` names another registered encoding, or ``"choices"`` for the one-hot of the choices.
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of
from strategies._mlp import MLPEnsemble
from strategies.base import Strategy, check_int

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
    """

    name = "bananas"

    def __init__(self, space, *, seed=None, n_init: int = 10, batch_size: int = 10, n_candidates: int = 100,
                 n_parents: int = 10, n_ensemble: int = 5, epochs: int = 200, encoding: str | None = None):
        super().__init__(space, seed=seed)
        self.n_init = check_int("n_init", n_init, 1, self.name)
        self.batch_size = check_int("batch_size", batch_size, 1, self.name)
        self.n_candidates = check_int("n_candidates", n_candidates, 1, self.name)
        self.n_parents = check_int("n_parents", n_parents, 1, self.name)
        self.n_ensemble = check_int("n_ensemble", n_ensemble, 2, self.name)
        self.epochs = check_int("epochs", epochs, 1, self.name)
        self.encoding, self.encode = _encoder(space, encoding)
        self.told: dict = {}
        self.asked: set = set()
        self.queue: list = []
        self.n_asked = 0

    def params(self):
        return {"n_init": self.n_init, "batch_size": self.batch_size, "n_candidates": self.n_candidates,
                "n_parents": self.n_parents, "n_ensemble": self.n_ensemble, "epochs": self.epochs,
                "encoding": self.encoding}

    def ask(self):
        self.n_asked += 1
        if self.n_asked > self.n_init and len(self.told) >= 2 and not self.queue:
            self._refill()
        arch = self.queue.pop(0) if self.queue else self.space.sample(self.rng)
        self.asked.add(arch)
        return arch, self.fidelity

    def _refill(self):
        archs = list(self.told)
        y = np.array([self.told[a] for a in archs])
        model = MLPEnsemble(self.n_ensemble, epochs=self.epochs, rng=self.rng).fit(self.encode(archs), y)
        order = np.argsort(-y, kind="stable")[: self.n_parents]
        parents = [archs[i] for i in order]
        candidates, seen = [], set()
        for i in range(self.n_candidates):
            child = self.space.mutate(parents[i % len(parents)], self.rng)
            if child not in self.asked and child not in seen:
                seen.add(child)
                candidates.append(child)
        if not candidates:
            return
        preds = model.predict_members(self.encode(candidates))
        mean, std = preds.mean(axis=0), preds.std(axis=0)
        its = mean + std * self.rng.standard_normal(mean.shape[0])
        best = np.argsort(-its, kind="stable")[: self.batch_size]
        self.queue = [candidates[i] for i in best]

    def _tell(self, arch, fidelity, value):
        self.told[arch] = float(value)


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
