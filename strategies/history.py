"""Search histories: the raw evaluations of one run and the trajectory derived from them.

A run's raw record has one row per completed evaluation, in the order results were told (completion
order on the simulated clock). The derived trajectory adds, after each evaluation, the incumbent
(best search value among evaluations at the highest fidelity evaluated so far; ties keep the
earlier one), its report value and its regret. Python and compiled runs produce the raw record;
:func:`trajectory` derives the rest identically for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["History", "trajectory", "FIDELITY_NONE"]

FIDELITY_NONE = -1  # stored fidelity of a static (fidelity-free) metric


@dataclass
class History:
    """Raw evaluations of one run, in tell order.

    Attributes
    ----------
    arch_index : int64 array of shape (n_evals,)
    fidelity : int64 array of shape (n_evals,) (``FIDELITY_NONE`` for a fidelity-free metric)
    worker : int64 array of shape (n_evals,)
    start_s, end_s : float64 arrays of shape (n_evals,)
        Simulated start and end times, seconds.
    value : float64 array of shape (n_evals,)
        Search metric of each evaluation (the drawn outcome, or the mean with ``noise="mean"``).
    archs : list or None
        The evaluated archs, on benchmarks whose archs have no index (``arch_index`` is then -1).
    """

    arch_index: np.ndarray
    fidelity: np.ndarray
    worker: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    value: np.ndarray
    archs: list | None = field(default=None, compare=False)

    def __len__(self):
        return int(self.arch_index.shape[0])

    @classmethod
    def from_lists(cls, arch_index, fidelity, worker, start_s, end_s, value, archs=None) -> History:
        return cls(
            np.asarray(arch_index, dtype=np.int64), np.asarray(fidelity, dtype=np.int64),
            np.asarray(worker, dtype=np.int64), np.asarray(start_s, dtype=np.float64),
            np.asarray(end_s, dtype=np.float64), np.asarray(value, dtype=np.float64),
            None if archs is None else list(archs),
        )

    def equals(self, other: History) -> bool:
        """Exact equality of every field (bit-for-bit floats)."""
        return self.archs == other.archs and all(
            np.array_equal(getattr(self, f), getattr(other, f))
            for f in ("arch_index", "fidelity", "worker", "start_s", "end_s", "value")
        )


def trajectory(history: History, task) -> dict:
    """Derived per-evaluation columns of one run.

    Parameters
    ----------
    history : History
    task : strategies.task.Task

    Returns
    -------
    dict of column name -> array of shape (n_evals,)
        ``eval`` (1-based), ``arch_index``, ``fidelity``, ``worker``, ``start_s``, ``end_s``, ``value``,
        ``report`` (report metric of the evaluated arch), ``incumbent_index``, ``incumbent_value``,
        ``incumbent_report``, ``regret`` (best report value minus incumbent report; >= 0; NaN where no
        optimum is known), and on non-enumerable benchmarks ``arch`` (the arch as text) and
        ``incumbent_eval`` (1-based evaluation number of the incumbent).
    """
    n = len(history)
    fid_rank = _fidelity_ranks(history.fidelity, task.fidelities)
    inc_index = np.empty(n, dtype=np.int64)
    inc_eval = np.empty(n, dtype=np.int64)
    inc_value = np.empty(n, dtype=np.float64)
    sign = getattr(task, "search_sign", 1.0)  # the incumbent is the best in the search metric's direction
    best_rank, best_score, best_index, best_eval = -1, -np.inf, -1, -1
    for i, (r, v, a) in enumerate(zip(fid_rank.tolist(), history.value.tolist(), history.arch_index.tolist())):
        if r > best_rank or (r == best_rank and sign * v > best_score):
            best_rank, best_score, best_index, best_eval = r, sign * v, a, i
        inc_index[i] = best_index
        inc_eval[i] = best_eval
        inc_value[i] = sign * best_score
    if history.archs is not None:
        return _trajectory_by_arch(history, task, inc_eval, inc_value)
    inc_report = task.report[inc_index] if n else np.empty(0)
    return {
        "eval": np.arange(1, n + 1, dtype=np.int64),
        "arch_index": history.arch_index,
        "fidelity": history.fidelity,
        "worker": history.worker,
        "start_s": history.start_s,
        "end_s": history.end_s,
        "value": history.value,
        "report": task.report[history.arch_index] if n else np.empty(0),
        "incumbent_index": inc_index,
        "incumbent_value": inc_value,
        "incumbent_report": inc_report,
        "regret": (task.best_report - inc_report) if task.report_higher_is_better else (inc_report - task.best_report),
    }


def _trajectory_by_arch(history: History, task, inc_eval, inc_value) -> dict:
    """:func:`trajectory` on a non-enumerable benchmark: report values predicted per arch, no regret."""
    n = len(history)
    report = task.report_of(history.archs) if n else np.empty(0)
    return {
        "eval": np.arange(1, n + 1, dtype=np.int64),
        "arch_index": history.arch_index,
        "arch": np.array([str(a) for a in history.archs], dtype=object),
        "fidelity": history.fidelity,
        "worker": history.worker,
        "start_s": history.start_s,
        "end_s": history.end_s,
        "value": history.value,
        "report": report,
        "incumbent_index": history.arch_index[inc_eval] if n else np.empty(0, dtype=np.int64),
        "incumbent_eval": inc_eval + 1,
        "incumbent_value": inc_value,
        "incumbent_report": report[inc_eval] if n else np.empty(0),
        "regret": np.full(n, np.nan),
    }


def _fidelity_ranks(fidelity: np.ndarray, fidelities) -> np.ndarray:
    stored = [FIDELITY_NONE if f is None else int(f) for f in fidelities]
    ranks = np.zeros(fidelity.shape[0], dtype=np.int64)
    for rank, f in enumerate(stored):
        ranks[fidelity == f] = rank
    return ranks
