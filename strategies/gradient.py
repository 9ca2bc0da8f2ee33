"""Gradient-based search through a continuous relaxation of the categorical choices.

Tabular benchmarks have no network weights to train, so the objective is made differentiable with
a model: an ensemble of MLPs (:mod:`strategies._mlp`) fitted to the told (one-hot arch, validation
value) pairs. Exactly what is differentiated: the ensemble-mean predicted validation value
``f(x)`` at ``x = concat_d softmax(alpha_d / temperature)``, with respect to the architecture
weights ``alpha`` (one real vector per decision, as in DARTS's relaxation; Liu, Simonyan & Yang,
ICLR 2019). The gradient is back-propagated through the MLPs to their input and then through the
per-decision softmax.

Each proposal (after ``n_init`` uniform samples): refit the model every ``refit_every`` results;
start ``alpha`` at ``2 * onehot(incumbent) + 0.5 * N(0, 1)``; take ``n_steps`` gradient-ascent steps
of size ``step_size``; discretise by ``argmax`` per decision. If that arch was already proposed,
sample archs from ``softmax(alpha)`` (up to 20 tries, drawn at once by inverse CDF), then fall back to ``space.mutate`` of the
incumbent.

Table speed: the model is refitted as BANANAS refits its ensemble (:func:`strategies.bananas.fit_ensemble`):
a fresh fit first (``epochs`` full-batch Adam steps), then warm refits of ``warm_steps`` mini-batch
steps from the current weights (``refit="warm"``, the default; ``refit="scratch"`` refits from a
fresh initialisation every time, the original schedule, kept as the reference). The ascent runs in a
numba kernel (:func:`strategies._mlp.ascend`; ``compiled=False`` uses the numpy twin
:func:`strategies._mlp.ascend_reference`, equal to 1e-12).
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of
from strategies._mlp import ascend, ascend_reference
from strategies.bananas import _check_refit, fit_ensemble
from strategies.base import Strategy, check_bool, check_float, check_int

__all__ = ["GradientSurrogate"]


class GradientSurrogate(Strategy):
    """Gradient ascent on softmax-relaxed architecture weights of a differentiable MLP surrogate.

    Parameters
    ----------
    n_init : int, default 10
    refit_every : int, default 5
    n_steps : int, default 50
    step_size : float, default 0.5
    temperature : float, default 1.0
    n_ensemble : int, default 3
    epochs : int, default 150
    refit : {"warm", "scratch"}, default "warm"
    warm_steps : int, default 20
    warm_batch_size : int, default 64
    compiled : bool, default True
    """

    name = "gradient"
    relative_cost = 30.0  # per run, against random search's 1 (dispatch order of compare)

    def __init__(self, space, *, seed=None, n_init: int = 10, refit_every: int = 5, n_steps: int = 50,
                 step_size: float = 0.5, temperature: float = 1.0, n_ensemble: int = 3, epochs: int = 150,
                 refit: str = "warm", warm_steps: int = 20, warm_batch_size: int = 64, compiled: bool = True):
        super().__init__(space, seed=seed)
        self.n_init = check_int("n_init", n_init, 1, self.name)
        self.refit_every = check_int("refit_every", refit_every, 1, self.name)
        self.n_steps = check_int("n_steps", n_steps, 0, self.name)
        self.step_size = check_float("step_size", step_size, 0.0, 1e3, self.name)
        self.temperature = check_float("temperature", temperature, 1e-3, 1e3, self.name)
        self.n_ensemble = check_int("n_ensemble", n_ensemble, 1, self.name)
        self.epochs = check_int("epochs", epochs, 1, self.name)
        self.refit = _check_refit(refit, self.name)
        self.warm_steps = check_int("warm_steps", warm_steps, 1, self.name)
        self.warm_batch_size = check_int("warm_batch_size", warm_batch_size, 1, self.name)
        self.compiled = check_bool("compiled", compiled, self.name)
        self.cat = categorical_of(space)
        self.told: dict = {}
        self.asked: set = set()
        self.model = None
        self._fitted_at = 0
        self.n_asked = 0

    def params(self):
        return {"n_init": self.n_init, "refit_every": self.refit_every, "n_steps": self.n_steps,
                "step_size": self.step_size, "temperature": self.temperature,
                "n_ensemble": self.n_ensemble, "epochs": self.epochs, "refit": self.refit,
                "warm_steps": self.warm_steps, "warm_batch_size": self.warm_batch_size, "compiled": self.compiled}

    def ask(self):
        self.n_asked += 1
        if self.n_asked <= self.n_init or len(self.told) < 2:
            arch = self.space.sample(self.rng)
        else:
            arch = self._propose()
        self.asked.add(arch)
        return arch, self.fidelity

    def relaxed(self, alpha: np.ndarray) -> np.ndarray:
        """x(alpha): concatenated per-decision softmax of ``alpha`` (n_features,)."""
        out = np.empty(self.cat.n_features)
        for o, s in zip(self.cat.offsets, self.cat.sizes):
            z = alpha[o:o + s] / self.temperature
            e = np.exp(z - z.max())
            out[o:o + s] = e / e.sum()
        return out

    def ascend(self, alpha: np.ndarray) -> np.ndarray:
        """``n_steps`` steps of gradient ascent on f(x(alpha)); returns the new alpha."""
        run = ascend if self.compiled else ascend_reference
        return run(self.model, alpha, self.cat.offsets, self.cat.sizes, self.n_steps, self.step_size,
                   self.temperature)

    def _propose(self):
        if self.model is None or len(self.told) - self._fitted_at >= self.refit_every:
            archs = list(self.told)
            y = np.array([self.told[a] for a in archs])
            self.model = fit_ensemble(self, self.cat.one_hot(archs), y)
            self._fitted_at = len(self.told)
        incumbent = self.best_arch
        alpha = 2.0 * self.cat.one_hot([incumbent])[0] + 0.5 * self.rng.standard_normal(self.cat.n_features)
        alpha = self.ascend(alpha)
        choices = [int(np.argmax(alpha[o:o + s])) for o, s in zip(self.cat.offsets, self.cat.sizes)]
        arch = self.cat.from_choices(choices)
        if arch not in self.asked:
            return arch
        x = self.relaxed(alpha)
        # 20 tries drawn at once by inverse CDF per decision (one uniform each), tried in order
        u = self.rng.random((20, len(self.cat.sizes)))
        tries = np.empty(u.shape, dtype=np.int64)
        for d, (o, s) in enumerate(zip(self.cat.offsets, self.cat.sizes)):
            cdf = np.cumsum(x[o:o + s] / x[o:o + s].sum())
            tries[:, d] = np.minimum(np.searchsorted(cdf, u[:, d], side="right"), s - 1)
        for choices in tries.tolist():
            arch = self.cat.from_choices(choices)
            if arch not in self.asked:
                return arch
        return self.space.mutate(incumbent, self.rng)

    def _tell(self, arch, fidelity, value):
        self.told[arch] = float(value)
