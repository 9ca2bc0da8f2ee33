"""Hardware-aware search: constraint parsing, Pareto fronts and hypervolume against plain twins,
constrained strategies that never propose an infeasible arch, pareto_evolution in the one registry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench.errors import NasbenchError, UnknownNameError
from nasbench.spaces import NB201Space
from strategies.evolution import RegularizedEvolution
from strategies.constraints import (
    ConstrainedSpace,
    ConstrainedStrategy,
    Constraint,
    constrained_best,
    parse_constraint,
)
from strategies.pareto import (
    front_of_history,
    hypervolume_2d,
    hypervolume_2d_reference,
    non_dominated_ranks,
    pareto_front_reference,
    pareto_mask,
)
from strategies.pareto_evolution import ParetoEvolution
from strategies.random_search import RandomSearch

SPACE = NB201Space()
# small integer grids make ties (equal accuracy or latency) frequent
points = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=25)


@pytest.mark.parametrize("text, expected", [
    ("latency_ms@pixel3 <= 10", Constraint("latency_ms", "pixel3", "<=", 10.0)),
    ("  latency_ms @ 1080ti_32<2.5e1 ", Constraint("latency_ms", "1080ti_32", "<", 25.0)),
    ("params_m < 1", Constraint("params_m", None, "<", 1.0)),
    ("latency_ms@essential_ph_1 >= .5", Constraint("latency_ms", "essential_ph_1", ">=", 0.5)),
])
def test_parse_constraint(text, expected):
    assert parse_constraint(text) == expected
    assert parse_constraint(str(expected)) == expected


@pytest.mark.parametrize("text, match", [
    ("latency_ms@pixel3 == 10", "cannot parse the constraint"),
    ("latency_ms <= 10", "latency_ms needs a device"),
    ("latency_ms@pixel3 <= ten", "cannot parse"),
    ("latency_ms@pixel3 <= 1e999", "the bound of 'latency_ms@pixel3 <= 1e999' must be a finite number"),
    (10, "a constraint is a string"),
])
def test_parse_constraint_errors(text, match):
    with pytest.raises(UnknownNameError, match=match):
        parse_constraint(text)


def test_constraint_holds_and_nan():
    c = parse_constraint("latency_ms@x <= 2")
    assert c.holds([1.0, 2.0, 3.0, np.nan]).tolist() == [True, True, False, False]
    assert parse_constraint("params_m > 1").holds(1.5)


@settings(max_examples=200, deadline=None)
@given(points)
def test_pareto_mask_equals_reference(pts):
    acc = np.array([p[0] for p in pts], dtype=float)
    lat = np.array([p[1] for p in pts], dtype=float)
    np.testing.assert_array_equal(pareto_mask(acc, lat), pareto_front_reference(acc, lat))


@settings(max_examples=200, deadline=None)
@given(points, st.integers(-1, 3), st.integers(3, 8))
def test_hypervolume_equals_reference(pts, ref_acc, ref_lat):
    acc = np.array([p[0] for p in pts], dtype=float)
    lat = np.array([p[1] for p in pts], dtype=float)
    assert hypervolume_2d(acc, lat, ref_acc, ref_lat) == pytest.approx(hypervolume_2d_reference(acc, lat, ref_acc, ref_lat))


def test_hypervolume_by_hand():
    # two rectangles: (acc 2, lat 1) and (acc 3, lat 2) against ref (0, 4): 2*1 + 3*2 = 8
    assert hypervolume_2d([2, 3, 1], [1, 2, 3], 0, 4) == 8.0
    assert hypervolume_2d([], [], 0, 4) == 0.0
    assert hypervolume_2d([5], [5], 0, 4) == 0.0  # outside the reference box
    with pytest.raises(NasbenchError, match="accuracy and cost must have the same length; got 2 and 1"):
        hypervolume_2d([1, 2], [1], 0, 4)
    with pytest.raises(NasbenchError, match="accuracy and cost must not contain NaN"):
        pareto_mask([1, np.nan], [1, 2])


def test_non_dominated_ranks():
    ranks = non_dominated_ranks([3, 2, 1, 2, 0], [3, 2, 1, 3, 0])
    assert ranks.tolist() == [0, 0, 0, 1, 0]
    assert non_dominated_ranks([1, 1, 0], [1, 1, 2]).tolist() == [0, 0, 1]


def _feasible(seed=0, share=0.3):
    return np.random.default_rng(seed).random(SPACE.n_archs) < share


def test_constrained_random_search_is_uniform_rejection_sampling():
    feasible = _feasible()
    s = ConstrainedStrategy(RandomSearch(SPACE, seed=1), feasible)
    s.set_fidelities([200])
    archs = [s.ask()[0] for _ in range(300)]
    assert all(feasible[a.index] for a in archs) and s.n_rejected > 300
    # the same base seed proposes the same feasible archs, in the same order, as filtering by hand
    base = RandomSearch(SPACE, seed=1)
    base.set_fidelities([200])
    by_hand = []
    while len(by_hand) < 300:
        arch, _ = base.ask()
        if feasible[arch.index]:
            by_hand.append(arch)
    assert archs == by_hand


@pytest.mark.parametrize("mode", ["resample", "penalize"])
def test_constrained_evolution_only_proposes_feasible_archs(mode):
    feasible = _feasible(2)
    values = np.random.default_rng(3).random(SPACE.n_archs)
    s = ConstrainedStrategy(RegularizedEvolution(SPACE, seed=4), feasible, on_infeasible=mode)
    s.set_fidelities([200])
    for _ in range(200):
        arch, fid = s.ask()
        assert feasible[arch.index]
        s.tell(arch, fid, float(values[arch.index]))
    assert feasible[s.recommend().index] and s.params()["on_infeasible"] == mode


def test_constrained_space():
    feasible = _feasible(5)
    space = ConstrainedSpace(SPACE, feasible, repair_steps=2)
    rng = np.random.default_rng(0)
    arch = space.sample(rng)
    assert feasible[arch.index]
    for _ in range(100):
        child = space.mutate(arch, rng)
        assert feasible[child.index] and child != arch
        arch = child
    assert all(feasible[n.index] for n in space.neighbors(arch))
    assert space.is_valid(arch) and space.from_index(3).index == 3  # delegated
    assert space.choice_sizes == (5,) * 6
    from nasbench.spaces.nb201 import ops_table

    # op sums that are 0 mod 5: a one-edge change never keeps that, so no feasible arch has a feasible neighbour
    apart = ops_table().astype(int).sum(axis=1) % 5 == 0
    lonely = ConstrainedSpace(SPACE, apart, max_tries=5)
    parent = lonely.sample(rng)
    assert lonely.neighbors(parent) == [] and apart[lonely.mutate(parent, rng).index]  # falls back to a sample
    only = np.zeros(SPACE.n_archs, dtype=bool)
    only[7] = True
    with pytest.raises(NasbenchError, match="no arch meets the constraint"):
        ConstrainedSpace(SPACE, np.zeros(SPACE.n_archs, dtype=bool))
    with pytest.raises(NasbenchError, match="shape \\(15625,\\)"):
        ConstrainedSpace(SPACE, np.ones(3, dtype=bool))
    with pytest.raises(NasbenchError, match="missed the constraint"):
        ConstrainedSpace(SPACE, only, max_tries=1).sample(np.random.default_rng(1))


def test_constrained_space_copies_and_hides_missing_choices():
    import copy

    from strategies._categorical import categorical_of

    space = ConstrainedSpace(SPACE, _feasible(5))
    clone = copy.deepcopy(space)  # unpickling looks up attributes before `base` is set
    assert clone.feasible_mask.tolist() == space.feasible_mask.tolist() and clone.from_index(3).index == 3
    with pytest.raises(AttributeError, match="base"):
        ConstrainedSpace.__new__(ConstrainedSpace).from_index

    class PlainSpace:
        name, n_archs = "plain", SPACE.n_archs

    plain = ConstrainedSpace(PlainSpace(), np.ones(SPACE.n_archs, dtype=bool))
    assert not hasattr(plain, "choice_sizes")
    with pytest.raises(NasbenchError, match="needs a space with categorical choices; ConstrainedSpace has none"):
        categorical_of(plain)


def test_constrained_strategy_errors():
    with pytest.raises(NasbenchError, match="no arch meets"):
        ConstrainedStrategy(RandomSearch(SPACE, seed=0), np.zeros(SPACE.n_archs, dtype=bool))
    with pytest.raises(NasbenchError, match="1-D bool array"):
        ConstrainedStrategy(RandomSearch(SPACE, seed=0), np.ones(SPACE.n_archs))
    with pytest.raises(UnknownNameError, match="on_infeasible must be"):
        ConstrainedStrategy(RandomSearch(SPACE, seed=0), _feasible(), on_infeasible="skip")
    only = np.zeros(SPACE.n_archs, dtype=bool)
    only[0] = True
    s = ConstrainedStrategy(RandomSearch(SPACE, seed=0), only, max_rejections=10)
    s.set_fidelities([200])
    with pytest.raises(NasbenchError, match="proposed 10 infeasible archs in a row"):
        s.ask()


def test_pareto_evolution_is_deterministic_and_uses_latency():
    latency = np.random.default_rng(0).uniform(1, 10, SPACE.n_archs)
    values = np.random.default_rng(1).uniform(0, 100, SPACE.n_archs)

    def run(seed):
        s = ParetoEvolution(SPACE, cost=latency, seed=seed, population_size=10)
        s.set_fidelities([200])
        out = []
        for _ in range(60):
            arch, fid = s.ask()
            s.tell(arch, fid, float(values[arch.index]))
            out.append(arch.index)
        return out

    assert run(3) == run(3) and run(3) != run(4)
    with pytest.raises(NasbenchError, match="1-D array by arch index without NaN; got shape \\(15625,\\) with NaN"):
        ParetoEvolution(SPACE, cost=np.full(SPACE.n_archs, np.nan))


def test_pareto_evolution_prefers_the_front_over_the_most_accurate_end():
    """Tournaments go to the lowest non-dominated rank, not the highest value: a cheap, inaccurate member
    on the front is a parent about as often as the accurate one; a dominated member almost never."""
    cheap, dominated, accurate = 0, 1, 2
    cost = np.full(SPACE.n_archs, 5.0)
    cost[[cheap, dominated, accurate]] = (1.0, 5.0, 4.0)
    parents = []

    class Recording:  # the space, noting every parent handed to mutate
        def __getattr__(self, name):
            return getattr(SPACE, name)

        def mutate(self, arch, rng):
            parents.append(arch.index)
            return SPACE.mutate(arch, rng)

    s = ParetoEvolution(Recording(), cost=cost, seed=0, population_size=3, sample_size=3)
    s.set_fidelities([200])
    for index, value in ((cheap, 1.0), (dominated, 7.0), (accurate, 8.0)):
        s.ask()
        s.tell(SPACE.from_index(index), 200, value)
    for _ in range(270):  # no more tells: the population stays these three
        s.ask()
    counts = np.bincount(parents, minlength=3)
    # rank 0: cheap and accurate; the dominated member wins only a draw of three of itself (1 in 27)
    assert counts[cheap] > 90 and counts[accurate] > 90 and counts[dominated] < 25, counts


def test_pareto_evolution_is_in_the_one_registry():
    import inspect

    from strategies.registry import (
        NEEDS_COST,
        STRATEGIES,
        list_strategies,
        make_strategy,
        needs_cost,
        parameters_of,
        strategy_class,
        takes_cost,
    )

    assert STRATEGIES["pareto_evolution"] == "strategies.pareto_evolution:ParetoEvolution"
    assert strategy_class("pareto_evolution") is ParetoEvolution
    # NEEDS_COST (read without imports) is exactly the built-ins whose class needs a cost column
    required = {n for n in STRATEGIES
                if inspect.signature(strategy_class(n)).parameters.get("cost", None) is not None
                and inspect.signature(strategy_class(n)).parameters["cost"].default is inspect.Parameter.empty}
    assert NEEDS_COST == required == {"pareto_evolution"}
    assert needs_cost("pareto_evolution") and not needs_cost("regularized_evolution")
    assert needs_cost("strategies.pareto_evolution:ParetoEvolution") and not needs_cost("optuna:tpe")
    assert takes_cost("pareto_evolution") and takes_cost("optuna:nsgaii") and not takes_cost("random_search")
    assert parameters_of("pareto_evolution") == {"population_size": 20, "sample_size": 3}  # cost comes from compare
    info = {i.name: i for i in list_strategies()}["pareto_evolution"]
    assert info.source == "built-in" and "NSGA-II" in info.reference and "--objectives" in info.reference
    s = make_strategy("pareto_evolution", SPACE, seed=0, cost=np.ones(SPACE.n_archs), population_size=5)
    assert isinstance(s, ParetoEvolution) and s.params() == {"population_size": 5, "sample_size": 3}
    with pytest.raises(NasbenchError, match="pareto_evolution optimises the search value against a per-arch cost: "
                                            "pass cost=.*--objectives test_acc,latency_ms@pixel3"):
        make_strategy("pareto_evolution", SPACE, seed=0)
    with pytest.raises(NasbenchError, match="unknown parameter 'colour'; it takes 'population_size', 'sample_size'"):
        make_strategy("pareto_evolution", SPACE, seed=0, cost=np.ones(SPACE.n_archs), colour=1)


def test_front_of_history_and_constrained_best():
    acc = np.array([1.0, 5.0, 3.0, 4.0])
    lat = np.array([1.0, 5.0, 2.0, 6.0])
    assert front_of_history([0, 1, 2, 3, 1], acc, lat).tolist() == [0, 1, 2]
    assert constrained_best(acc, [True, False, True, True]) == (3, 4.0)
    with pytest.raises(NasbenchError, match="no arch is feasible"):
        constrained_best(acc, [False] * 4)


def test_constraint_on_the_benchmark(latency_root):
    import nasbench
    from nasbench.benchmarks.latency import load_latency

    bench = nasbench.load("nb201/cifar10")
    c = parse_constraint("latency_ms@pixel3 <= 10")
    np.testing.assert_array_equal(c.feasible(bench), load_latency("nb201").column("pixel3") <= 10)
    assert int(c.feasible(bench).sum()) == 7202
    assert parse_constraint("params_m < 1").feasible(bench).sum() > 0
    with pytest.raises(UnknownNameError, match="unknown latency device 'pixel9'"):
        parse_constraint("latency_ms@pixel9 <= 10").feasible(bench)
    with pytest.raises(UnknownNameError, match="only latency_ms takes a device"):
        Constraint("params_m", "pixel3", "<", 1.0).column(bench)
