"""What a weight-sharing search is given and gives: :class:`SearchConfig` and :class:`SearchResult`."""

from __future__ import annotations

import dataclasses

import numpy as np

from nasbench.checks import check_int, check_number, is_int, is_number
from nasbench.errors import NasbenchError, UnknownNameError, choices_text

__all__ = ["METHODS", "SearchConfig", "SearchResult"]

METHODS = ("darts", "gdas")


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Supernet size and search hyper-parameters.

    Defaults follow NB201's DARTS-V1 / GDAS settings where they apply (weights: SGD lr 0.025 ->
    0.001 cosine, momentum 0.9 Nesterov, weight decay 5e-4, gradient clip 5; alphas: Adam lr 3e-4,
    betas (0.5, 0.999), weight decay 1e-3; GDAS tau 10 -> 0.1), with a tiny network (C=8, N=1) and a
    short schedule, which suit digits on a CPU. NB201 searched with C=16, N=5 for 50 (DARTS) or
    250 (GDAS) epochs on CIFAR.

    Parameters
    ----------
    method : {"darts", "gdas"}
    C : int, default 8
        Channels of the first stage.
    N : int, default 1
        Cells per stage.
    epochs : int, default 10
    batch_size : int, default 64
    w_lr, w_lr_min : float
        Weight learning rate, decayed by a cosine (per step) to ``w_lr_min``.
    w_momentum, w_weight_decay, grad_clip : float
    a_lr, a_weight_decay : float
        Adam learning rate and weight decay of the alphas.
    a_beta1, a_beta2 : float
    tau_max, tau_min : float
        GDAS temperature at the first and last epoch (linear in between).
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:K"``.
    n_threads : int or None, default 1
        torch intra-op threads during the search (None leaves the setting).
    """

    method: str = "darts"
    C: int = 8
    N: int = 1
    epochs: int = 10
    batch_size: int = 64
    w_lr: float = 0.025
    w_lr_min: float = 0.001
    w_momentum: float = 0.9
    w_weight_decay: float = 5e-4
    grad_clip: float = 5.0
    a_lr: float = 3e-4
    a_weight_decay: float = 1e-3
    a_beta1: float = 0.5
    a_beta2: float = 0.999
    tau_max: float = 10.0
    tau_min: float = 0.1
    device: str = "auto"
    n_threads: int | None = 1

    def __post_init__(self):
        if self.method not in METHODS:
            raise UnknownNameError(f"unknown weight-sharing method {self.method!r}; expected one of {choices_text(METHODS)}.")
        for name in ("C", "N", "epochs", "batch_size"):
            object.__setattr__(self, name, check_int(f"SearchConfig.{name}", getattr(self, name), 1))
        for name in ("w_lr", "w_lr_min", "w_momentum", "w_weight_decay", "grad_clip", "a_lr", "a_weight_decay",
                     "tau_max", "tau_min"):
            check_number(f"SearchConfig.{name}", getattr(self, name), 0)
        for name in ("a_beta1", "a_beta2"):
            v = getattr(self, name)
            if not is_number(v) or not 0 <= v < 1:
                raise NasbenchError(f"SearchConfig.{name} must be in [0, 1); got {v!r}.")
        if self.w_lr_min > self.w_lr:
            raise NasbenchError(f"SearchConfig.w_lr_min must not exceed w_lr; got {self.w_lr_min!r} > {self.w_lr!r}.")
        if self.method == "gdas" and not 0 < self.tau_min <= self.tau_max:
            raise NasbenchError(
                f"GDAS needs 0 < tau_min <= tau_max; got tau_min={self.tau_min!r}, tau_max={self.tau_max!r}."
            )
        if self.n_threads is not None and (not is_int(self.n_threads) or self.n_threads < 1):
            raise NasbenchError(f"SearchConfig.n_threads must be None or an int >= 1; got {self.n_threads!r}.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def tau(self, epoch: int) -> float:
        """GDAS temperature of epoch ``epoch`` (0-based): linear from tau_max to tau_min."""
        if self.epochs == 1:
            return float(self.tau_max)
        return float(self.tau_max - (self.tau_max - self.tau_min) * epoch / (self.epochs - 1))


@dataclasses.dataclass
class SearchResult:
    """What one weight-sharing search produced.

    Attributes
    ----------
    method : str
    seed : int
    config : dict
    dataset : dict
        The data split's ``info``.
    arch_index : ndarray of int64, shape (epochs,)
        NB201 index of the arch derived after each epoch.
    alphas : ndarray of float64, shape (epochs, 6, 5)
        Softmax of the alphas after each epoch (edge x op).
    train_loss, train_acc : ndarray of float64, shape (epochs,)
        Supernet cross-entropy and accuracy (%) on the weight-step batches.
    valid_loss, valid_acc : ndarray of float64, shape (epochs,)
        The same on the architecture-step batches (held-out split).
    epoch_time_s : ndarray of float64, shape (epochs,)
        Wall-clock seconds per epoch.
    device : str
    benchmark : str or None
        Benchmark the derived archs were looked up in (None: not looked up yet).
    value, report : ndarray of float64, shape (epochs,) or None
        Search metric and report metric of the derived archs in the benchmark.
    objective : dict or None
        Metrics and fidelities of the lookup; ``best_report`` is the best report value of the table.
    """

    method: str
    seed: int
    config: dict
    dataset: dict
    arch_index: np.ndarray
    alphas: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    valid_loss: np.ndarray
    valid_acc: np.ndarray
    epoch_time_s: np.ndarray
    device: str
    benchmark: str | None = None
    value: np.ndarray | None = None
    report: np.ndarray | None = None
    objective: dict | None = None

    @property
    def arch(self):
        """The final derived arch (:class:`~nasbench.spaces.nb201.NB201Arch`)."""
        from nasbench.spaces.nb201 import NB201Arch

        return NB201Arch.from_index(int(self.arch_index[-1]))

    def trajectory(self) -> dict:
        """One row per search epoch, with the columns of :func:`strategies.history.trajectory` that apply.

        Returns
        -------
        dict of column -> ndarray of shape (epochs,)
            ``eval`` (epoch, 1-based), ``arch_index``, ``end_s`` (cumulative wall seconds),
            ``value``, ``report``, ``incumbent_index`` (the arch derived at that epoch: a one-shot
            search has no evaluated incumbents), ``incumbent_report``, ``regret``.
        """
        if self.report is None:
            raise NasbenchError("this search result has not been looked up in a benchmark; call lookup(result) first.")
        n = len(self.arch_index)
        return {
            "eval": np.arange(1, n + 1, dtype=np.int64),
            "arch_index": self.arch_index,
            "end_s": np.cumsum(self.epoch_time_s),
            "value": self.value,
            "report": self.report,
            "incumbent_index": self.arch_index,
            "incumbent_report": self.report,
            "regret": self.objective["best_report"] - self.report,
        }

    def to_dict(self) -> dict:
        """JSON-serialisable dict (arrays become lists)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
        out["arch_string"] = self.arch.string
        return out
