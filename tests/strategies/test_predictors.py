"""Predictor-based search at table speed: the compiled MLP equals its numpy reference, warm refits and
mini-batches behave, and BANANAS / gradient keep their method with either predictor."""

from __future__ import annotations

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from strategies import make_strategy, simulate
from strategies._mlp import MLPEnsemble, _csr, ascend, ascend_reference, relaxed


def _data(n=60, d=30, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, d)) < 0.15) * rng.integers(1, 3, (n, d)).astype(np.float64)
    return X, X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("hidden", [(20, 20, 20), (7,), (5, 9)])
def test_compiled_fit_equals_numpy_reference(hidden):
    X, y = _data()
    a = MLPEnsemble(3, hidden=hidden, epochs=60, rng=np.random.default_rng(1), compiled=True).fit(X, y)
    b = MLPEnsemble(3, hidden=hidden, epochs=60, rng=np.random.default_rng(1), compiled=False).fit(X, y)
    np.testing.assert_allclose(a.predict_members(X), b.predict_members(X), rtol=0, atol=1e-9)
    a.fit(X[:40], y[:40], warm_start=True, epochs=15)  # warm start: continue from the same weights
    b.fit(X[:40], y[:40], warm_start=True, epochs=15)
    np.testing.assert_allclose(a.predict_members(X), b.predict_members(X), rtol=0, atol=1e-9)
    np.testing.assert_allclose(a.input_gradient(X[:3]), b.input_gradient(X[:3]), rtol=0, atol=1e-9)


def test_fit_learns_and_warm_start_keeps_weights():
    X, y = _data(200)
    m = MLPEnsemble(3, epochs=200, rng=np.random.default_rng(0)).fit(X, y)
    assert np.corrcoef(m.predict_members(X).mean(axis=0), y)[0, 1] > 0.9
    before = m.theta_.copy()
    m.fit(X, y, warm_start=True, epochs=1, batch_size=16)
    assert 0 < np.abs(m.theta_ - before).max() < 0.1  # one small step from the same weights
    fresh = m.theta_.copy()
    m.fit(X[:, :20], y, warm_start=True, epochs=1)  # other feature count: fresh initialisation
    assert m.theta_.shape != fresh.shape


def test_minibatches_are_reproducible_and_cost_the_same_at_any_n():
    X, y = _data(400)
    a = MLPEnsemble(2, rng=np.random.default_rng(3)).fit(X[:10], y[:10])
    b = MLPEnsemble(2, rng=np.random.default_rng(3)).fit(X[:10], y[:10])
    a.fit(X, y, warm_start=True, epochs=20, batch_size=32)
    b.fit(X, y, warm_start=True, epochs=20, batch_size=32)
    assert a.theta_.tobytes() == b.theta_.tobytes()
    with pytest.raises(ValueError, match="mini-batches need compiled=True"):
        MLPEnsemble(2, compiled=False).fit(X, y, batch_size=8)


def test_csr_holds_the_nonzeros():
    X, _ = _data(5)
    indptr, indices, data = _csr(X)
    dense = np.zeros_like(X)
    for i in range(X.shape[0]):
        dense[i, indices[indptr[i]:indptr[i + 1]]] = data[indptr[i]:indptr[i + 1]]
    assert np.array_equal(dense, X)


def test_compiled_ascent_equals_reference():
    offsets, sizes = np.arange(6) * 5, np.full(6, 5)
    rng = np.random.default_rng(0)
    X = np.zeros((50, 30))
    X[np.arange(50)[:, None], offsets + rng.integers(0, 5, (50, 6))] = 1.0
    model = MLPEnsemble(3, epochs=50, rng=rng).fit(X, rng.normal(size=50))
    alpha = rng.normal(size=30)
    np.testing.assert_allclose(ascend(model, alpha, offsets, sizes, 30, 0.5, 0.7),
                               ascend_reference(model, alpha, offsets, sizes, 30, 0.5, 0.7), rtol=0, atol=1e-10)
    x = relaxed(alpha, offsets, sizes, 0.7)
    np.testing.assert_allclose(x.reshape(6, 5).sum(axis=1), 1.0)


@pytest.mark.parametrize("name, params", [
    ("bananas", {"n_init": 5, "batch_size": 5, "n_candidates": 30, "n_ensemble": 3, "epochs": 40}),
    ("gradient", {"n_init": 5, "n_ensemble": 2, "epochs": 40, "n_steps": 10}),
])
def test_compiled_strategy_proposes_what_the_numpy_reference_proposes(task, name, params):
    """With the paper's schedule (fresh fits) the compiled predictor gives the same search as numpy."""
    runs = [simulate(make_strategy(name, task.space, seed=4, refit="scratch", compiled=c, **params), task,
                     max_evals=40) for c in (True, False)]
    assert np.array_equal(runs[0].arch_index, runs[1].arch_index)


@pytest.mark.parametrize("name", ["bananas", "gradient"])
def test_warm_refits_are_reproducible_and_search(task, name):
    from strategies.history import trajectory

    a = simulate(make_strategy(name, task.space, seed=7, epochs=60), task, max_evals=80)
    b = simulate(make_strategy(name, task.space, seed=7, epochs=60), task, max_evals=80)
    assert a.arch_index.tobytes() == b.arch_index.tobytes()
    r = simulate(make_strategy("random_search", task.space, seed=7), task, max_evals=80)
    assert trajectory(a, task)["regret"][-1] <= trajectory(r, task)["regret"][-1]


def test_bananas_mutates_past_exhausted_parents(task):
    b = make_strategy("bananas", task.space, seed=0, n_init=5, batch_size=5, n_parents=1, n_candidates=5,
                      n_ensemble=2, epochs=20)
    b.set_fidelities(task.fidelities)
    for _ in range(5):
        arch, f = b.ask()
        b.tell(arch, f, float(task.values[f][arch.index]))
    best = b.best_arch
    b.asked.update(task.space.neighbors(best))  # every one-edge mutation of the best arch is taken
    arch, _ = b.ask()
    assert b.queue or arch is not None
    assert arch not in task.space.neighbors(best)
    assert b.model is not None  # the model was fitted: candidates came from the next best archs


@pytest.mark.parametrize("name, params, match", [
    ("bananas", {"refit": "sometimes"}, "'refit' parameter of bananas must be 'warm' or 'scratch'"),
    ("gradient", {"warm_steps": 0}, "'warm_steps' parameter of gradient must be an int >= 1"),
    ("bananas", {"compiled": "yes"}, "'compiled' parameter of bananas must be true or false"),
])
def test_parameter_errors(task, name, params, match):
    with pytest.raises(NasbenchError, match=match):
        make_strategy(name, task.space, **params)
