"""Pareto indicators for two objectives, accuracy (up) and a cost such as latency (down).

* :func:`pareto_mask` (O(n log n)) and :func:`non_dominated_ranks` find the front and the fronts
  below it; :func:`hypervolume_2d` is the exact area a point set dominates up to a reference point.
  :func:`pareto_front_reference` and :func:`hypervolume_2d_reference` are their plain-Python twins,
  checked against each other in the tests.
* :func:`front_of_history`, :func:`hypervolume_of_history` and :func:`attainment` score the archs a
  finished search evaluated (by arch index into per-arch columns).

The functions take plain arrays: the accuracy and the cost of each point, in the units of their
metrics (e.g. % and ms); they know nothing of benchmarks or strategies.
"""

from __future__ import annotations

import numpy as np

from nasbench.errors import NasbenchError

__all__ = [
    "attainment",
    "front_of_history",
    "hypervolume_2d",
    "hypervolume_2d_reference",
    "hypervolume_of_history",
    "non_dominated_ranks",
    "pareto_front_reference",
    "pareto_mask",
]


def _check_points(accuracy, cost) -> tuple[np.ndarray, np.ndarray]:
    acc = np.asarray(accuracy, dtype=np.float64).reshape(-1)
    cst = np.asarray(cost, dtype=np.float64).reshape(-1)
    if acc.shape != cst.shape:
        raise NasbenchError(f"accuracy and cost must have the same length; got {acc.shape[0]} and {cst.shape[0]}.")
    if np.isnan(acc).any() or np.isnan(cst).any():
        raise NasbenchError("accuracy and cost must not contain NaN; drop those archs first.")
    return acc, cst


def pareto_mask(accuracy, cost) -> np.ndarray:
    """Which points are Pareto-optimal for (accuracy up, cost down).

    A point is dominated when another has accuracy >= and cost <=, with one strict. Duplicated
    optimal points are all kept.

    Parameters
    ----------
    accuracy, cost : array-like of shape (n,)

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    acc, cst = _check_points(accuracy, cost)
    n = acc.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # lowest cost first; among equal cost, highest accuracy first
    order = np.lexsort((-acc, cst))
    cst_s, acc_s = cst[order], acc[order]
    # best accuracy among points strictly cheaper than each point (groups of equal cost)
    best_before = np.maximum.accumulate(acc_s)
    group_start = np.r_[0, np.flatnonzero(np.diff(cst_s)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, n]))
    prior = np.where(starts > 0, best_before[np.maximum(starts - 1, 0)], -np.inf)
    group_best = acc_s[starts]  # the first of each group has the group's highest accuracy
    keep = (acc_s > prior) & (acc_s == group_best)
    mask[order[keep]] = True
    return mask


def pareto_front_reference(accuracy, cost) -> np.ndarray:
    """Plain-Python twin of :func:`pareto_mask` (O(n^2)), for tests."""
    acc, cst = _check_points(accuracy, cost)
    out = np.ones(acc.shape[0], dtype=bool)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[0]):
            if acc[j] >= acc[i] and cst[j] <= cst[i] and (acc[j] > acc[i] or cst[j] < cst[i]):
                out[i] = False
                break
    return out


def non_dominated_ranks(accuracy, cost) -> np.ndarray:
    """Non-dominated sorting: rank 0 is the Pareto front, rank 1 the front without rank 0, ...

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    acc, cst = _check_points(accuracy, cost)
    ranks = np.full(acc.shape[0], -1, dtype=np.int64)
    left = np.arange(acc.shape[0])
    rank = 0
    while left.size:
        front = pareto_mask(acc[left], cst[left])
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks


def hypervolume_2d(accuracy, cost, ref_accuracy: float, ref_cost: float) -> float:
    """Exact area dominated by the points and bounded by a reference point.

    The area is that of the union of the rectangles ``[ref_accuracy, acc] x [cost, ref_cost]`` of
    the points better than the reference in both objectives (others add nothing).

    Parameters
    ----------
    accuracy, cost : array-like of shape (n,)
    ref_accuracy : float
        A lower bound on accuracy (e.g. the worst accuracy considered useful).
    ref_cost : float
        An upper bound on the cost (e.g. a latency budget in ms).

    Returns
    -------
    float, in accuracy units x cost units (e.g. %·ms for latency).
    """
    acc, cst = _check_points(accuracy, cost)
    inside = (acc > ref_accuracy) & (cst < ref_cost)
    acc, cst = acc[inside], cst[inside]
    if acc.size == 0:
        return 0.0
    front = pareto_mask(acc, cst)
    acc, cst = acc[front], cst[front]
    order = np.lexsort((-acc, cst))
    acc, cst = acc[order], cst[order]  # along the front: cost and accuracy both increase
    widths = np.diff(np.r_[cst, ref_cost])
    return float(np.sum(widths * (acc - ref_accuracy)))


def hypervolume_2d_reference(accuracy, cost, ref_accuracy: float, ref_cost: float) -> float:
    """Plain-Python twin of :func:`hypervolume_2d`: slabs between consecutive distinct latencies."""
    acc, cst = _check_points(accuracy, cost)
    pts = [(a, t) for a, t in zip(acc.tolist(), cst.tolist()) if a > ref_accuracy and t < ref_cost]
    cuts = sorted({t for _, t in pts} | {ref_cost})
    area = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        height = max((a for a, t in pts if t <= lo), default=ref_accuracy) - ref_accuracy
        area += (hi - lo) * height
    return area


# ---------------------------------------------------------------- scoring a search

def front_of_history(indices, accuracy_column, cost_column) -> np.ndarray:
    """Distinct arch indices of the Pareto front of the archs a search evaluated.

    Parameters
    ----------
    indices : int array of shape (n_evals,)
        Evaluated arch indices (a History's ``arch`` column).
    accuracy_column, cost_column : float arrays of shape (n_archs,)
        The accuracy reported (e.g. test accuracy) and the cost (e.g. latency) of every arch.
    """
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    mask = pareto_mask(accuracy_column[unique], cost_column[unique])
    return unique[mask]


def hypervolume_of_history(indices, accuracy_column, cost_column, ref_accuracy, ref_cost) -> float:
    """Hypervolume of the archs a search evaluated (see :func:`hypervolume_2d`)."""
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    return hypervolume_2d(accuracy_column[unique], cost_column[unique], ref_accuracy, ref_cost)


def attainment(indices, accuracy_column, cost_column, grid) -> np.ndarray:
    """Best accuracy a run reached at a cost of at most each grid value (its front as a step function).

    Parameters
    ----------
    indices : int array of shape (n_evals,)
        Evaluated arch indices.
    accuracy_column, cost_column : float64 arrays of shape (n_archs,)
    grid : float64 array of shape (n_grid,), ascending

    Returns
    -------
    float64 array of shape (n_grid,); NaN below the cheapest evaluated arch.
    """
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    if unique.size == 0:
        return np.full(len(grid), np.nan)
    cost, acc = cost_column[unique], accuracy_column[unique]
    order = np.lexsort((-acc, cost))
    best = np.maximum.accumulate(acc[order])
    k = np.searchsorted(cost[order], grid, side="right") - 1
    return np.where(k >= 0, best[np.maximum(k, 0)], np.nan)
