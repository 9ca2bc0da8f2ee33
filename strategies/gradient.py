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
sample archs from ``softmax(alpha)`` (up to 20 tries), then fall back to ``space.mutate`` of the
incumbent.
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of
from strategies._mlp import MLPEnsemble
from strategies.base import Strategy, check_float, check_int

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
    """

    name = "gradient"

    def __init__(self, space, *, seed=None, n_init: int = 10, refit_every: int = 5, n_steps: int = 50,
                 step_size: float = 0.5, temperature: float = 1.0, n_ensemble: int = 3, epochs: int = 150):
        super().__init__(space, seed=seed)
        self.n_init = check_int("n_init", n_init, 1, self.name)
        self.refit_every = check_int("refit_every", refit_every, 1, self.name)
        self.n_steps = check_int("n_steps", n_steps, 0, self.name)
        self.step_size = check_float("step_size", step_size, 0.0, 1e3, self.name)
        self.temperature = check_float("temperature", temperature, 1e-3, 1e3, self.name)
        self.n_ensemble = check_int("n_ensemble", n_ensemble, 1, self.name)
        self.epochs = check_int("epochs", epochs, 1, self.name)
        self.cat = categorical_of(space)
        self.told: dict = {}
        self.asked: set = set()
        self.model = None
        self._fitted_at = 0
        self.n_asked = 0

    def params(self):
        return {"n_init": self.n_init, "refit_every": self.refit_every, "n_steps": self.n_steps,
                "step_size": self.step_size, "temperature": self.temperature,
                "n_ensemble": self.n_ensemble, "epochs": self.epochs}

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
        alpha = alpha.copy()
        for _ in range(self.n_steps):
            x = self.relaxed(alpha)
            gx = self.model.input_gradient(x[None, :])[0]
            g = np.empty_like(alpha)
            for o, s in zip(self.cat.offsets, self.cat.sizes):
                p, q = x[o:o + s], gx[o:o + s]
                g[o:o + s] = p * (q - p @ q) / self.temperature  # softmax Jacobian-vector product
            alpha += self.step_size * g
        return alpha

    def _propose(self):
        if self.model is None or len(self.told) - self._fitted_at >= self.refit_every:
            archs = list(self.told)
            y = np.array([self.told[a] for a in archs])
            self.model = MLPEnsemble(self.n_ensemble, epochs=self.epochs, rng=self.rng).fit(self.cat.one_hot(archs), y)
            self._fitted_at = len(self.told)
        incumbent = self.best_arch
        alpha = 2.0 * self.cat.one_hot([incumbent])[0] + 0.5 * self.rng.standard_normal(self.cat.n_features)
        alpha = self.ascend(alpha)
        choices = [int(np.argmax(alpha[o:o + s])) for o, s in zip(self.cat.offsets, self.cat.sizes)]
        arch = self.cat.from_choices(choices)
        if arch not in self.asked:
            return arch
        x = self.relaxed(alpha)
        for _ in range(20):
            choices = [int(self.rng.choice(s, p=x[o:o + s] / x[o:o + s].sum()))
                       for o, s in zip(self.cat.offsets, self.cat.sizes)]
            arch = self.cat.from_choices(choices)
            if arch not in self.asked:
                return arch
        return self.space.mutate(incumbent, self.rng)

    def _tell(self, arch, fidelity, value):
        self.told[arch] = float(value)
