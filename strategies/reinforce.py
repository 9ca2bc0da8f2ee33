"""REINFORCE (Williams, 1992) with a learned categorical policy over the space's choices: the RL
baseline of NAS-Bench-201 (Dong & Yang, ICLR 2020).

The policy holds one logit vector per decision (NB201: one per edge over its 5 ops), initialised to
``1e-3 * N(0, 1)`` as NB201's script does. ``ask`` samples every decision independently from the
softmax of its logits. ``tell`` with reward ``R`` (the validation value) takes one Adam step
(learning rate 0.01, NATS-Bench's setting; NB201's reproduction list uses 0.5, which
``configs/nb201-protocol.toml`` sets) on
``-(R - b) * log pi(arch)``, whose gradient for decision ``d`` is ``-(R - b) * (onehot(a_d) -
softmax(theta_d))``; ``b`` is an exponential moving average of past rewards (momentum 0.9,
initialised with the first reward) used as a variance-reducing baseline.
"""

from __future__ import annotations

import numpy as np

from strategies._categorical import categorical_of
from strategies.base import Strategy, check_float

__all__ = ["Reinforce"]


class Reinforce(Strategy):
    """Policy-gradient search.

    Parameters
    ----------
    learning_rate : float, default 0.01
    ema_momentum : float, default 0.9
        Momentum of the moving-average reward baseline.
    """

    name = "reinforce"

    def __init__(self, space, *, seed=None, learning_rate: float = 0.01, ema_momentum: float = 0.9):
        super().__init__(space, seed=seed)
        self.learning_rate = check_float("learning_rate", learning_rate, 0.0, 10.0, self.name)
        self.ema_momentum = check_float("ema_momentum", ema_momentum, 0.0, 1.0, self.name)
        self.cat = categorical_of(space)
        sizes = self.cat.sizes
        width = max(sizes)
        self.mask = np.array([[j < s for j in range(width)] for s in sizes])
        self.logits = np.where(self.mask, 1e-3 * self.rng.standard_normal((len(sizes), width)), -np.inf)
        self._m = np.zeros_like(self.logits, dtype=np.float64)
        self._v = np.zeros_like(self._m)
        self._step = 0
        self.baseline = None

    def params(self):
        return {"learning_rate": self.learning_rate, "ema_momentum": self.ema_momentum}

    def probabilities(self) -> np.ndarray:
        """Current policy: (n_decisions, max_choices), rows sum to 1 (zeros past each row's size)."""
        z = self.logits - self.logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def ask(self):
        cdf = np.cumsum(self.probabilities(), axis=1)
        u = self.rng.random(cdf.shape[0])
        choices = np.minimum((cdf < u[:, None]).sum(axis=1), np.array(self.cat.sizes) - 1)
        return self.cat.from_choices(choices.tolist()), self.fidelity

    def _tell(self, arch, fidelity, value):
        reward = float(value)
        if self.baseline is None:
            self.baseline = reward
        advantage = reward - self.baseline
        self.baseline = self.ema_momentum * self.baseline + (1 - self.ema_momentum) * reward
        onehot = np.zeros_like(self._m)
        onehot[np.arange(len(self.cat.sizes)), list(self.cat.to_choices(arch))] = 1.0
        grad = np.where(self.mask, -advantage * (onehot - self.probabilities()), 0.0)  # of the loss
        self._step += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        self._m = b1 * self._m + (1 - b1) * grad
        self._v = b2 * self._v + (1 - b2) * grad * grad
        step = self.learning_rate * (self._m / (1 - b1**self._step)) / (np.sqrt(self._v / (1 - b2**self._step)) + eps)
        self.logits = np.where(self.mask, self.logits - step, -np.inf)
