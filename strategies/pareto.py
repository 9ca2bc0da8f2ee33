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


def _check_points(accuracy, latency) -> tuple[np.ndarray, np.ndarray]:
    acc = np.asarray(accuracy, dtype=np.float64).reshape(-1)
    lat = np.asarray(latency, dtype=np.float64).reshape(-1)
    if acc.shape != lat.shape:
        raise NasbenchError(f"accuracy and latency must have the same length; got {acc.shape[0]} and {lat.shape[0]}.")
    if np.isnan(acc).any() or np.isnan(lat).any():
        raise NasbenchError("accuracy and latency must not contain NaN; drop those archs first.")
    return acc, lat


def pareto_mask(accuracy, latency) -> np.ndarray:
    """Which points are Pareto-optimal for (accuracy up, latency down).

    A point is dominated when another has accuracy >= and latency <=, with one strict. Duplicated
    optimal points are all kept.

    Parameters
    ----------
    accuracy, latency : array-like of shape (n,)

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    acc, lat = _check_points(accuracy, latency)
    n = acc.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # lowest latency first; among equal latency, highest accuracy first
    order = np.lexsort((-acc, lat))
    lat_s, acc_s = lat[order], acc[order]
    # best accuracy among points strictly faster than each point (groups of equal latency)
    best_before = np.maximum.accumulate(acc_s)
    group_start = np.r_[0, np.flatnonzero(np.diff(lat_s)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, n]))
    prior = np.where(starts > 0, best_before[np.maximum(starts - 1, 0)], -np.inf)
    group_best = acc_s[starts]  # the first of each group has the group's highest accuracy
    keep = (acc_s > prior) & (acc_s == group_best)
    mask[order[keep]] = True
    return mask


def pareto_front_reference(accuracy, latency) -> np.ndarray:
    """Plain-Python twin of :func:`pareto_mask` (O(n^2)), for tests."""
    acc, lat = _check_points(accuracy, latency)
    out = np.ones(acc.shape[0], dtype=bool)
    for i in range(acc.shape[0]):
        for j in range(acc.shape[0]):
            if acc[j] >= acc[i] and lat[j] <= lat[i] and (acc[j] > acc[i] or lat[j] < lat[i]):
                out[i] = False
                break
    return out


def non_dominated_ranks(accuracy, latency) -> np.ndarray:
    """Non-dominated sorting: rank 0 is the Pareto front, rank 1 the front without rank 0, ...

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    acc, lat = _check_points(accuracy, latency)
    ranks = np.full(acc.shape[0], -1, dtype=np.int64)
    left = np.arange(acc.shape[0])
    rank = 0
    while left.size:
        front = pareto_mask(acc[left], lat[left])
        ranks[left[front]] = rank
        left = left[~front]
        rank += 1
    return ranks


def hypervolume_2d(accuracy, latency, ref_accuracy: float, ref_latency: float) -> float:
    """Exact area dominated by the points and bounded by a reference point.

    The area is that of the union of the rectangles ``[ref_accuracy, acc] x [lat, ref_latency]`` of
    the points better than the reference in both objectives (others add nothing).

    Parameters
    ----------
    accuracy, latency : array-like of shape (n,)
    ref_accuracy : float
        A lower bound on accuracy (e.g. the worst accuracy considered useful).
    ref_latency : float
        An upper bound on latency (e.g. the latency budget).

    Returns
    -------
    float, in accuracy units x latency units (e.g. %·ms).
    """
    acc, lat = _check_points(accuracy, latency)
    inside = (acc > ref_accuracy) & (lat < ref_latency)
    acc, lat = acc[inside], lat[inside]
    if acc.size == 0:
        return 0.0
    front = pareto_mask(acc, lat)
    acc, lat = acc[front], lat[front]
    order = np.lexsort((-acc, lat))
    acc, lat = acc[order], lat[order]  # along the front: latency and accuracy both increase
    widths = np.diff(np.r_[lat, ref_latency])
    return float(np.sum(widths * (acc - ref_accuracy)))


def hypervolume_2d_reference(accuracy, latency, ref_accuracy: float, ref_latency: float) -> float:
    """Plain-Python twin of :func:`hypervolume_2d`: slabs between consecutive distinct latencies."""
    acc, lat = _check_points(accuracy, latency)
    pts = [(a, t) for a, t in zip(acc.tolist(), lat.tolist()) if a > ref_accuracy and t < ref_latency]
    cuts = sorted({t for _, t in pts} | {ref_latency})
    area = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        height = max((a for a, t in pts if t <= lo), default=ref_accuracy) - ref_accuracy
        area += (hi - lo) * height
    return area


# ---------------------------------------------------------------- scoring a search

def front_of_history(indices, accuracy_column, latency_column) -> np.ndarray:
    """Distinct arch indices of the Pareto front of the archs a search evaluated.

    Parameters
    ----------
    indices : int array of shape (n_evals,)
        Evaluated arch indices (a History's ``arch`` column).
    accuracy_column, latency_column : float arrays of shape (n_archs,)
        The accuracy reported (e.g. test accuracy) and the latency of every arch.
    """
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    mask = pareto_mask(accuracy_column[unique], latency_column[unique])
    return unique[mask]


def hypervolume_of_history(indices, accuracy_column, latency_column, ref_accuracy, ref_latency) -> float:
    """Hypervolume of the archs a search evaluated (see :func:`hypervolume_2d`)."""
    unique = np.unique(np.asarray(indices, dtype=np.int64))
    return hypervolume_2d(accuracy_column[unique], latency_column[unique], ref_accuracy, ref_latency)


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
