"""Multi-fidelity strategies on the benchmark's fidelity axis: successive halving (Jamieson &
Talwalkar, 2016), Hyperband (Li et al., JMLR 2018) and BOHB (Falkner, Klein & Hutter, ICML 2018).

Rungs are the fidelities the task offers for the search metric, ascending (``nb201/cifar10``:
the 12- and 200-epoch schedules; a benchmark with one fidelity has one rung and the methods reduce
to their sampling rule). Where it offers more than ``eta**2`` fidelities (YAHPO's NB301: epochs
1..98), the rungs are HpBandSter's geometric ladder instead: ``s_max = floor(log_eta(top / low))``
and, for ``k = 0..s_max``, the offered fidelity nearest (in log scale) to ``top * eta**(k - s_max)``
(epochs 1, 4, 11, 33, 98 for eta 3). NB201's two schedules are separate training runs, so promoting an arch
to 200 epochs costs the full 200-epoch time: nothing is resumed.

A bracket starting at rung ``r0`` with ``n`` archs evaluates them at rung ``r0``, then promotes
the best ``floor(n / eta**i)`` (``i`` = rungs climbed; ties keep the earlier-told arch) until the
top rung. As in HpBandSter, a new bracket opens whenever no running bracket has work to hand out,
so asynchronous workers never idle. Every evaluation at any fidelity counts as one evaluation
towards an evaluation budget; a simulated-time budget (``max_time_s``) is the fair axis for these
methods.

* :class:`SuccessiveHalving` repeats one bracket: ``n_initial`` archs (default ``eta**n_rungs``)
  from rung 0.
* :class:`Hyperband` cycles brackets ``s = s_max..0`` with ``s_max = n_rungs - 1``: bracket ``s``
  starts ``ceil((s_max + 1) / (s + 1) * eta**s)`` archs at rung ``s_max - s``.
* :class:`BOHB` uses Hyperband's brackets but draws new archs from a TPE-style model with
  probability ``1 - random_fraction``: on the highest rung with at least ``d + 2`` results
  (``d`` = number of decisions), the best ``max(d + 1, 15%)`` results form the "good" set and the
  next ``max(d + 1, 85%)`` the "bad" set; each gets a product Aitchison-Aitken kernel density over
  the categorical choices (bandwidth ``1.06 * std * n**(-1/(4 + d))``, clipped to
  ``[1e-3, (c - 1) / c]``); 64 candidates are drawn from the good density with bandwidths scaled by
  3 (keep each choice of a random good point with probability ``1 - bw``, else draw it uniformly)
  and the one maximising ``l(x) / g(x)`` is proposed. Defaults are BOHB's: eta 3,
  random_fraction 1/3, top 15%, 64 samples, bandwidth factor 3, min bandwidth 1e-3.
"""

from __future__ import annotations

from abc import abstractmethod

import math
from collections import deque

import numpy as np

from strategies._categorical import categorical_of
from strategies.base import Strategy, check_float, check_int

__all__ = ["SuccessiveHalving", "Hyperband", "BOHB"]


def rung_ladder(fidelities, eta: int) -> tuple:
    """Rungs over ``fidelities`` (ascending): all of them when at most ``eta**2``, else the geometric
    ladder of HpBandSter (see the module docstring), duplicates removed."""
    fids = tuple(fidelities)
    if len(fids) <= eta**2 or None in fids:
        return fids
    low, top = float(fids[0]), float(fids[-1])
    s_max = int(math.floor(math.log(top / low) / math.log(eta) + 1e-9))
    log_fids = np.log(np.asarray(fids, dtype=np.float64))
    ladder = []
    for k in range(s_max + 1):
        target = math.log(top) + (k - s_max) * math.log(eta)
        nearest = fids[int(np.argmin(np.abs(log_fids - target)))]
        if nearest not in ladder:
            ladder.append(nearest)
    return tuple(ladder)


class _Bracket:
    def __init__(self, start_rung: int, n: int, eta: int, n_rungs: int):
        self.rung = start_rung
        self.sizes = {}
        for i, r in enumerate(range(start_rung, n_rungs)):
            self.sizes[r] = max(1, n // eta**i)
        self.to_run: deque = deque()
        self.n_to_sample = n
        self.results: list = []  # (value, order, arch) at the current rung
        self.outstanding = 0
        self.n_rungs = n_rungs
        self.done = False

    def next_job(self, sampler):
        if self.n_to_sample:
            self.n_to_sample -= 1
            self.outstanding += 1
            return sampler(self.rung), self.rung
        if self.to_run:
            self.outstanding += 1
            return self.to_run.popleft(), self.rung
        return None

    def tell(self, arch, value):
        self.outstanding -= 1
        self.results.append((value, len(self.results), arch))
        if self.n_to_sample or self.to_run or self.outstanding:
            return
        if self.rung == self.n_rungs - 1:
            self.done = True
            return
        nxt = self.rung + 1
        ranked = sorted(self.results, key=lambda t: (-t[0], t[1]))
        self.to_run = deque(a for _, _, a in ranked[: self.sizes[nxt]])
        self.rung = nxt
        self.results = []


class _BracketStrategy(Strategy):
    multi_fidelity = True

    def __init__(self, space, *, seed=None, eta: int = 3):
        super().__init__(space, seed=seed)
        self.eta = check_int("eta", eta, 2, self.name)
        self.brackets: list[_Bracket] = []
        self.owner: dict = {}  # (arch, rung) -> deque of brackets awaiting that result
        self.n_brackets = 0

    def params(self):
        return {"eta": self.eta}

    @property
    def n_rungs(self):
        return len(self.rungs)

    @property
    def rungs(self) -> tuple:
        """The fidelities brackets use, ascending: all offered ones, or the geometric ladder."""
        if getattr(self, "_rungs_for", None) != self.fidelities:
            self._rungs_for, self._rungs = self.fidelities, rung_ladder(self.fidelities, self.eta)
        return self._rungs

    @abstractmethod
    def _plan(self, k: int) -> tuple[int, int]:
        """(start rung, n archs) of the k-th bracket."""

    def _sample(self, rung: int):
        return self.space.sample(self.rng)

    def ask(self):
        for b in self.brackets:
            job = b.next_job(self._sample)
            if job is not None:
                return self._hand_out(b, job)
        start, n = self._plan(self.n_brackets)
        self.n_brackets += 1
        b = _Bracket(start, n, self.eta, self.n_rungs)
        self.brackets.append(b)
        return self._hand_out(b, b.next_job(self._sample))

    def _hand_out(self, bracket, job):
        arch, rung = job
        self.owner.setdefault((arch, rung), deque()).append(bracket)
        return arch, self.rungs[rung]

    def _tell(self, arch, fidelity, value):
        rung = self.rungs.index(fidelity)
        self._observe(arch, rung, value)
        waiting = self.owner.get((arch, rung))
        if not waiting:
            return
        b = waiting.popleft()
        if not waiting:
            del self.owner[(arch, rung)]
        b.tell(arch, value)
        if b.done:
            self.brackets.remove(b)

    def _observe(self, arch, rung, value):
        """Hook for model-based subclasses (BOHB); plain brackets learn nothing from a result."""


class SuccessiveHalving(_BracketStrategy):
    """Successive halving with promotion fraction ``1 / eta``.

    Parameters
    ----------
    eta : int, default 3
    n_initial : int or None
        Archs per bracket at rung 0 (default ``eta ** n_rungs``; 9 on nb201/cifar10).
    """

    name = "successive_halving"

    def __init__(self, space, *, seed=None, eta: int = 3, n_initial: int | None = None):
        super().__init__(space, seed=seed, eta=eta)
        self.n_initial = None if n_initial is None else check_int("n_initial", n_initial, 1, self.name)

    def params(self):
        return {"eta": self.eta, "n_initial": self.n_initial}

    def _plan(self, k):
        return 0, self.n_initial if self.n_initial is not None else self.eta**self.n_rungs


class Hyperband(_BracketStrategy):
    """Hyperband: successive-halving brackets of every aggressiveness, in turn."""

    name = "hyperband"

    def _plan(self, k):
        s_max = self.n_rungs - 1
        s = s_max - k % (s_max + 1)
        return s_max - s, math.ceil((s_max + 1) / (s + 1) * self.eta**s)


class BOHB(Hyperband):
    """Hyperband brackets with TPE-style kernel-density sampling of new archs.

    Parameters
    ----------
    eta : int, default 3
    random_fraction : float, default 1/3
    top_fraction : float, default 0.15
    n_samples : int, default 64
    bandwidth_factor : float, default 3
    min_bandwidth : float, default 1e-3
    """

    name = "bohb"

    def __init__(self, space, *, seed=None, eta: int = 3, random_fraction: float = 1 / 3,
                 top_fraction: float = 0.15, n_samples: int = 64, bandwidth_factor: float = 3.0,
                 min_bandwidth: float = 1e-3):
        super().__init__(space, seed=seed, eta=eta)
        self.random_fraction = check_float("random_fraction", random_fraction, 0.0, 1.0, self.name)
        self.top_fraction = check_float("top_fraction", top_fraction, 0.0, 1.0, self.name)
        self.n_samples = check_int("n_samples", n_samples, 1, self.name)
        self.bandwidth_factor = check_float("bandwidth_factor", bandwidth_factor, 0.0, 1e6, self.name)
        self.min_bandwidth = check_float("min_bandwidth", min_bandwidth, 0.0, 1.0, self.name)
        self.cat = categorical_of(space)
        self.sizes = np.array(self.cat.sizes)
        self.data: dict = {}  # rung -> (list of choice tuples, list of values)

    def params(self):
        return {"eta": self.eta, "random_fraction": self.random_fraction, "top_fraction": self.top_fraction,
                "n_samples": self.n_samples, "bandwidth_factor": self.bandwidth_factor,
                "min_bandwidth": self.min_bandwidth}

    def _observe(self, arch, rung, value):
        xs, ys = self.data.setdefault(rung, ([], []))
        xs.append(tuple(self.cat.to_choices(arch)))
        ys.append(float(value))

    def _sample(self, rung):
        if self.rng.random() < self.random_fraction:
            return self.space.sample(self.rng)
        d = len(self.sizes)
        n_min = d + 1
        for r in sorted(self.data, reverse=True):
            xs, ys = self.data[r]
            if len(xs) >= n_min + 1:
                return self._from_model(np.array(xs), np.array(ys), n_min)
        return self.space.sample(self.rng)

    def _from_model(self, X, y, n_min):
        n = X.shape[0]
        order = np.argsort(-y, kind="stable")
        n_good = max(n_min, int(self.top_fraction * n))
        n_bad = max(n_min, int((1 - self.top_fraction) * n))
        good, bad = X[order[:n_good]], X[order[n_good:n_good + n_bad]]
        if bad.shape[0] == 0:
            return self.space.sample(self.rng)
        bw_good, bw_bad = self._bandwidths(good), self._bandwidths(bad)
        cand = np.empty((self.n_samples, X.shape[1]), dtype=np.int64)
        for k in range(self.n_samples):
            base = good[int(self.rng.integers(good.shape[0]))]
            bw = np.maximum(bw_good * self.bandwidth_factor, self.min_bandwidth)
            keep = self.rng.random(X.shape[1]) >= bw
            draw = np.floor(self.rng.random(X.shape[1]) * self.sizes).astype(np.int64)
            cand[k] = np.where(keep, base, draw)
        score = np.maximum(self._pdf(cand, good, bw_good), 1e-32) / np.maximum(self._pdf(cand, bad, bw_bad), 1e-32)
        return self.cat.from_choices(cand[int(np.argmax(score))].tolist())

    def _bandwidths(self, data):
        n, d = data.shape
        bw = 1.06 * data.std(axis=0, ddof=1 if n > 1 else 0) * n ** (-1.0 / (4 + d))
        return np.clip(bw, self.min_bandwidth, (self.sizes - 1) / self.sizes)

    def _pdf(self, points, data, bw):
        # product Aitchison-Aitken kernel: 1 - bw on the same choice, bw / (c - 1) on any other
        same = points[:, None, :] == data[None, :, :]
        k = np.where(same, 1.0 - bw, bw / (self.sizes - 1))
        return np.prod(k, axis=2).mean(axis=1)
