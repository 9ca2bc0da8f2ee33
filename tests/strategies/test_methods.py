"""Method-specific behaviour: the rules each published algorithm states."""

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from strategies import make_strategy, simulate
from strategies.history import trajectory


def _run_manual(strategy, task, n):
    strategy.set_fidelities(task.fidelities)
    asked = []
    for _ in range(n):
        arch, f = strategy.ask()
        asked.append((arch, f))
        strategy.tell(arch, f, float(task.values[f][arch.index]))
    return asked


def test_evolution_initial_population_aging_and_one_edge_children(task):
    re = make_strategy("regularized_evolution", task.space, seed=0)
    asked = _run_manual(re, task, 60)
    assert len(re.population) == 10
    assert [a for a, _ in re.population] == [a for a, _ in asked[-10:]]  # oldest removed first
    members = {a for a, _ in asked[:10]}
    child = asked[10][0]
    assert min(sum(x != y for x, y in zip(child.ops, m.ops)) for m in members) == 1


def test_evolution_defaults_are_nb201s():
    from nasbench.spaces import NB201Space

    assert make_strategy("regularized_evolution", NB201Space()).params() == {"population_size": 10, "sample_size": 3}


def test_evolution_tournament_picks_best_of_sample(task):
    from strategies.evolution import RegularizedEvolution

    re = RegularizedEvolution(task.space, seed=0, population_size=4, sample_size=50)
    re.set_fidelities(task.fidelities)
    space = task.space
    archs = [space.from_index(i) for i in (10, 20, 30, 40)]
    for i, a in enumerate(archs):
        re.ask()
        re.tell(a, task.search_fidelity, float(i))
    child, _ = re.ask()  # with 50 draws the best member (value 3) is almost surely sampled
    assert sum(x != y for x, y in zip(child.ops, archs[3].ops)) == 1


def test_local_search_climbs_and_restarts(task):
    ls = make_strategy("local_search", task.space, seed=1)
    asked = _run_manual(ls, task, 200)
    first = asked[0][0]
    neighbours = set(task.space.neighbors(first))
    assert {a for a, _ in asked[1:25]} == neighbours  # the whole neighbourhood, once
    h = simulate(make_strategy("local_search", task.space, seed=1), task, max_evals=400)
    assert trajectory(h, task)["regret"][-1] <= np.median(task.best_report - task.report)


def test_successive_halving_promotes_the_top_third(task):
    sh = make_strategy("successive_halving", task.space, seed=0)
    asked = _run_manual(sh, task, 12)
    lo, hi = task.fidelities
    assert [f for _, f in asked] == [lo] * 9 + [hi] * 3
    low = [a for a, _ in asked[:9]]
    top3 = sorted(low, key=lambda a: -task.values[lo][a.index])[:3]
    assert [a for a, _ in asked[9:]] == top3


def test_hyperband_brackets_follow_li_et_al(task):
    hb = make_strategy("hyperband", task.space, seed=0)
    hb.set_fidelities(task.fidelities)
    assert [hb._plan(k) for k in range(4)] == [(0, 3), (1, 2), (0, 3), (1, 2)]


def test_bohb_uses_its_model_after_enough_results(task):
    bohb = make_strategy("bohb", task.space, seed=0, random_fraction=0.0)
    _run_manual(bohb, task, 60)
    assert max(len(xs) for xs, _ in bohb.data.values()) >= 8
    # with a model, proposals concentrate on good choices: better than uniform on average
    proposals = [bohb._sample(0) for _ in range(30)]
    mean_value = np.mean([task.values[200][a.index] for a in proposals])
    assert mean_value > np.mean(task.values[200])


def test_reinforce_policy_moves_towards_rewarded_choices(task):
    rl = make_strategy("reinforce", task.space, seed=0, learning_rate=0.1)
    rl.set_fidelities(task.fidelities)
    target = task.space.from_index(task.best_report_index)
    for _ in range(200):
        arch, f = rl.ask()
        reward = sum(a == b for a, b in zip(arch.ops, target.ops))
        rl.tell(arch, f, float(reward))
    p = rl.probabilities()
    assert np.mean([p[e, o] for e, o in enumerate(target.ops)]) > 0.5
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_gradient_ascent_increases_the_model_prediction(task):
    g = make_strategy("gradient", task.space, seed=0, n_init=30, n_ensemble=2, epochs=50)
    _run_manual(g, task, 35)
    alpha = 0.1 * np.random.default_rng(0).standard_normal(g.cat.n_features)
    before = g.model.predict_members(g.relaxed(alpha)[None, :]).mean()
    after = g.model.predict_members(g.relaxed(g.ascend(alpha))[None, :]).mean()
    assert after > before


def test_gradient_input_gradient_matches_finite_differences():
    from strategies._mlp import MLPEnsemble

    rng = np.random.default_rng(0)
    X = rng.random((40, 6))
    model = MLPEnsemble(3, hidden=(8, 8), epochs=30, rng=rng).fit(X, X @ np.arange(6.0))
    x = rng.random((1, 6))
    g = model.input_gradient(x)[0]
    eps = 1e-6
    fd = [(model.predict_members(x + eps * np.eye(6)[i]).mean() - model.predict_members(x - eps * np.eye(6)[i]).mean())
          / (2 * eps) for i in range(6)]
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-6)


def test_bananas_beats_random_on_a_structured_table(task):
    b = simulate(make_strategy("bananas", task.space, seed=0, epochs=60, n_ensemble=3), task, max_evals=60)
    r = simulate(make_strategy("random_search", task.space, seed=0), task, max_evals=60)
    assert trajectory(b, task)["regret"][-1] <= trajectory(r, task)["regret"][-1]


@pytest.mark.parametrize("name, params, match", [
    ("regularized_evolution", {"population_size": 0}, "'population_size' parameter of regularized_evolution"),
    ("regularized_evolution", {"sample_size": 2.5}, "'sample_size' parameter"),
    ("reinforce", {"learning_rate": -1}, "'learning_rate' parameter of reinforce"),
    ("successive_halving", {"eta": 1}, "'eta' parameter"),
    ("bohb", {"random_fraction": 2}, "'random_fraction' parameter"),
    ("local_search", {"nonsense": 1}, "bad parameters for local_search"),
])
def test_parameter_errors(task, name, params, match):
    with pytest.raises(NasbenchError, match=match):
        make_strategy(name, task.space, seed=0, **params)


def test_unknown_strategy():
    from nasbench.errors import UnknownNameError
    from nasbench.spaces import NB201Space

    with pytest.raises(UnknownNameError, match="unknown strategy 'annealing'; expected one of"):
        make_strategy("annealing", NB201Space())


def test_categorical_view_required():
    from strategies._categorical import categorical_of

    with pytest.raises(NasbenchError, match="needs a space with categorical choices"):
        categorical_of(object())


def test_set_fidelities_rejects_empty(task):
    with pytest.raises(NasbenchError, match="at least one fidelity"):
        make_strategy("random_search", task.space).set_fidelities([])


def test_bananas_encodings(task):
    from nasbench.errors import UnknownNameError

    b = make_strategy("bananas", task.space, seed=0)
    assert b.params()["encoding"] == "path"
    assert b.encode([task.space.from_index(6111)]).shape == (1, 84)
    assert make_strategy("bananas", task.space, encoding="choices").encode([task.space.from_index(0)]).shape == (1, 30)
    with pytest.raises(UnknownNameError, match="unknown encoding 'zzz' for nb201"):
        make_strategy("bananas", task.space, encoding="zzz")
