"""Compiled twins of random search, regularized evolution and local search on an enumerable
categorical space (NB201: arch = index, choices = ``ops_table`` rows).

Pure functions over typed arrays: no validation, no globals, no RNG. The uniforms come in, drawn
by the wrapper from each seed's Generator (:mod:`strategies._stream` fixes how they are used), and
every rule (sampling, mutation, neighbour order, tournament, aging, restart, worker scheduling)
mirrors the Python ask/tell classes and :func:`strategies.simulator.simulate` step for step. The
reference twin of :func:`run_many` is :func:`strategies._reference.run_many`, which runs the Python
classes; tests check that both give identical trajectories.

Kinds: 0 random search, 1 regularized evolution, 2 local search.

Op values are widened to int64 before arithmetic, so the kernels give the same result compiled and
under ``NUMBA_DISABLE_JIT=1`` (where numpy int8 arithmetic would overflow).
"""

import numpy as np
from numba import njit

KIND_RANDOM = 0
KIND_EVOLUTION = 1
KIND_LOCAL = 2

OUT_OF_UNIFORMS = -1
OUT_OF_ROWS = -2


@njit(cache=True, nogil=True)
def _sample(index_of_code, n_edges, n_ops, u, pos):
    code = 0
    for e in range(n_edges):
        code = code * n_ops + int(u[pos + e] * n_ops)
    return index_of_code[code]


@njit(cache=True, nogil=True)
def _mutate(ops_table, index_of_code, n_ops, parent, u, pos):
    n_edges = ops_table.shape[1]
    edge = int(u[pos] * n_edges)
    step = int(u[pos + 1] * (n_ops - 1))
    code = 0
    for e in range(n_edges):
        op = np.int64(ops_table[parent, e])
        if e == edge:
            op = (op + 1 + step) % n_ops
        code = code * n_ops + op
    return index_of_code[code]


@njit(cache=True, nogil=True)
def _pick(draws, a, u):
    """Outcome ``int(u * n)`` among the ``n`` non-NaN outcomes of arch ``a`` (NaN when it has none)."""
    n_out = draws.shape[1]
    n_present = 0
    for s in range(n_out):
        if draws[a, s] == draws[a, s]:
            n_present += 1
    if n_present == 0:
        return np.nan
    k = int(u * n_present)
    if k >= n_present:
        k = n_present - 1
    for s in range(n_out):
        if draws[a, s] == draws[a, s]:
            if k == 0:
                return draws[a, s]
            k -= 1
    return np.nan


@njit(cache=True, nogil=True)
def _run_one(kind, ops_table, index_of_code, n_ops, draws, costs, u, noise_u, n_workers, max_evals, max_time,
             pop_size, sample_size, out_idx, out_worker, out_start, out_end, out_val):
    """One seed. Returns (n_done or a negative error code, n_uniforms_used).

    Long because it is one compiled event loop: the worker pool, the simulated clock and the three
    strategies' state (evolution's ring buffer, local search's queue) live in local arrays that numba
    keeps in registers; split into functions they would have to travel as a dozen arguments each
    event. Its plain-Python twin in ``strategies/_reference.py`` is checked against it.
    """
    n_archs = ops_table.shape[0]
    n_edges = ops_table.shape[1]
    n_u = u.shape[0]
    cap = out_idx.shape[0]
    pos = 0
    # workers
    w_busy = np.zeros(n_workers, dtype=np.bool_)
    w_end = np.zeros(n_workers)
    w_start = np.zeros(n_workers)
    w_idx = np.zeros(n_workers, dtype=np.int64)
    w_val = np.zeros(n_workers)
    # regularized evolution: ring buffer, oldest at head
    pop_idx = np.zeros(max(pop_size, 1), dtype=np.int64)
    pop_val = np.zeros(max(pop_size, 1))
    head = 0
    count = 0
    n_asked = 0
    # local search
    n_nb = n_edges * (n_ops - 1)
    queue = np.zeros(n_nb, dtype=np.int64)
    q_head = 0
    q_len = 0
    pending = np.zeros(n_archs, dtype=np.bool_)
    n_pending = 0
    visited = np.zeros(n_archs, dtype=np.bool_)
    has_cur = False
    cur_idx = 0
    cur_val = 0.0
    has_bn = False
    bn_idx = 0
    bn_val = 0.0

    n_started = 0
    n_done = 0
    now = 0.0
    worker = 0
    first = True
    while True:
        if first:
            # time 0: fill the workers in order
            first = False
            fill_from = 0
            fill_to = n_workers
        else:
            worker = -1
            best_end = 0.0
            for w in range(n_workers):
                if w_busy[w] and (worker < 0 or w_end[w] < best_end):
                    worker = w
                    best_end = w_end[w]
            if worker < 0:
                break
            if best_end > max_time:
                break
            # ---- tell ----
            a = w_idx[worker]
            val = w_val[worker]
            if n_done >= cap:
                return OUT_OF_ROWS, pos
            out_idx[n_done] = a
            out_val[n_done] = val
            out_worker[n_done] = worker
            out_start[n_done] = w_start[worker]
            out_end[n_done] = best_end
            n_done += 1
            w_busy[worker] = False
            if kind == KIND_EVOLUTION:
                if count < pop_size:
                    pop_idx[(head + count) % pop_size] = a
                    pop_val[(head + count) % pop_size] = val
                    count += 1
                else:
                    pop_idx[head] = a
                    pop_val[head] = val
                    head = (head + 1) % pop_size
            elif kind == KIND_LOCAL:
                visited[a] = True
                if pending[a]:
                    pending[a] = False
                    n_pending -= 1
                    if (not has_bn) or val > bn_val:
                        has_bn = True
                        bn_idx = a
                        bn_val = val
                    if q_len == 0 and n_pending == 0:
                        if bn_val > cur_val:
                            climb = True
                            cur_idx = bn_idx
                            cur_val = bn_val
                        else:
                            climb = False
                            has_cur = False
                    else:
                        climb = False
                elif not has_cur:
                    climb = True
                    cur_idx = a
                    cur_val = val
                else:
                    climb = False
                if climb:
                    has_cur = True
                    has_bn = False
                    q_head = 0
                    q_len = 0
                    for e in range(n_edges):
                        for step in range(1, n_ops):
                            code = 0
                            for e2 in range(n_edges):
                                op = np.int64(ops_table[cur_idx, e2])
                                if e2 == e:
                                    op = (op + step) % n_ops
                                code = code * n_ops + op
                            nb = index_of_code[code]
                            if not visited[nb]:
                                queue[q_len] = nb
                                q_len += 1
                    if pos + q_len > n_u:
                        return OUT_OF_UNIFORMS, pos
                    for i in range(q_len - 1, 0, -1):
                        j = int(u[pos] * (i + 1))
                        pos += 1
                        tmp = queue[i]
                        queue[i] = queue[j]
                        queue[j] = tmp
                    if q_len == 0:
                        has_cur = False
            now = best_end
            fill_from = worker
            fill_to = worker + 1
        # ---- ask for each worker to fill ----
        for w in range(fill_from, fill_to):
            if n_started >= max_evals or not now < max_time:
                continue
            if pos + n_edges + sample_size + 2 > n_u:
                return OUT_OF_UNIFORMS, pos
            if kind == KIND_RANDOM:
                a = _sample(index_of_code, n_edges, n_ops, u, pos)
                pos += n_edges
            elif kind == KIND_EVOLUTION:
                n_asked += 1
                if n_asked <= pop_size or count == 0:
                    a = _sample(index_of_code, n_edges, n_ops, u, pos)
                    pos += n_edges
                else:
                    k = int(u[pos] * count)
                    pos += 1
                    parent = pop_idx[(head + k) % pop_size]
                    best = pop_val[(head + k) % pop_size]
                    for _ in range(sample_size - 1):
                        k = int(u[pos] * count)
                        pos += 1
                        if pop_val[(head + k) % pop_size] > best:
                            parent = pop_idx[(head + k) % pop_size]
                            best = pop_val[(head + k) % pop_size]
                    a = _mutate(ops_table, index_of_code, n_ops, parent, u, pos)
                    pos += 2
            else:
                if q_head < q_len:
                    a = queue[q_head]
                    q_head += 1
                    if q_head == q_len:
                        q_head = 0
                        q_len = 0
                    if not pending[a]:
                        pending[a] = True
                        n_pending += 1
                else:
                    a = _sample(index_of_code, n_edges, n_ops, u, pos)
                    pos += n_edges
            if n_started >= noise_u.shape[0]:
                return OUT_OF_UNIFORMS, pos
            w_idx[w] = a
            w_val[w] = _pick(draws, a, noise_u[n_started])
            w_start[w] = now
            w_end[w] = now + costs[a]
            w_busy[w] = True
            n_started += 1
    return n_done, pos


@njit(cache=True, nogil=True)
def run_many(kind, ops_table, index_of_code, n_ops, draws, costs, uniforms, noise_uniforms, n_workers, max_evals,
             max_time, pop_size, sample_size, out_idx, out_worker, out_start, out_end, out_val, n_done, n_used):
    """Run one strategy for many seeds.

    Parameters
    ----------
    kind : int (0 random search, 1 regularized evolution, 2 local search)
    ops_table : int8 array of shape (n_archs, n_edges), choice index per decision of each arch
    index_of_code : int64 array of shape (n_ops ** n_edges,), arch index of each odometer code
    n_ops : int, options per decision
    draws : float64 array of shape (n_archs, n_outcomes), search metric outcomes (NaN: missing);
        evaluation k of a seed takes outcome ``int(u * n_present)`` for ``u = noise_uniforms[seed, k]``
    costs : float64 array of shape (n_archs,), seconds per evaluation
    uniforms : float64 array of shape (n_seeds, n_uniforms), each seed's Generator draws
    noise_uniforms : float64 array of shape (n_seeds, n_noise), each seed's noise-stream draws, one per
        started evaluation
    n_workers, max_evals : int (max_evals may be a huge number for "no limit")
    max_time : float (inf for "no limit")
    pop_size, sample_size : int (regularized evolution)
    out_idx, out_worker : int64 arrays of shape (n_seeds, cap), written
    out_start, out_end, out_val : float64 arrays of shape (n_seeds, cap), written
    n_done : int64 array (n_seeds,): evaluations recorded, or -1 (ran out of uniforms) or -2 (of rows)
    n_used : int64 array (n_seeds,): uniforms consumed
    """
    for s in range(uniforms.shape[0]):
        d, p = _run_one(kind, ops_table, index_of_code, n_ops, draws, costs, uniforms[s], noise_uniforms[s],
                        n_workers, max_evals, max_time, pop_size, sample_size, out_idx[s], out_worker[s],
                        out_start[s], out_end[s], out_val[s])
        n_done[s] = d
        n_used[s] = p
