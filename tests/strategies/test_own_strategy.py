"""Your own strategy in compare: by import path and by entry point, serially, in spawned workers and on
Ray, byte for byte; per-strategy parameters from the command line and config files; --list-strategies."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest

from nasbench.errors import NasbenchError, UnknownNameError
from strategies.registry import (
    import_root,
    list_strategies,
    make_strategy,
    parameters_of,
    parse_param_assignments,
    parse_value,
    resolve,
    strategy_class,
)
from tests.strategies.conftest import output_files, output_manifest

MODULE = "nbx_user_strategies"
SOURCE = textwrap.dedent('''
    """A user's strategies, outside the nasbench package."""
    from strategies import Strategy


    class Greedy(Strategy):
        """Mutate the incumbent; with probability eps sample a fresh arch."""

        name = "greedy"

        def __init__(self, space, *, seed=None, eps: float = 0.2):
            super().__init__(space, seed=seed)
            self.eps = eps

        def params(self):
            return {"eps": self.eps}

        def ask(self):
            if self.best_arch is None or self.rng.random() < self.eps:
                return self.space.sample(self.rng), self.fidelity
            return self.space.mutate(self.best_arch, self.rng), self.fidelity

        def _tell(self, arch, fidelity, value):
            pass


    class NotAStrategy:
        pass
''')


@pytest.fixture
def user_module(tmp_path, monkeypatch, synthetic_root):
    """``nbx_user_strategies`` on sys.path, and a distribution registering its Greedy as ``my_greedy``."""
    (tmp_path / f"{MODULE}.py").write_text(SOURCE)
    dist = tmp_path / "nbx_user_strategies-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nbx-user-strategies\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[nasbench.strategies]\nmy_greedy = {MODULE}:Greedy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NASBENCH_DATA", str(synthetic_root))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    yield tmp_path
    sys.modules.pop(MODULE, None)


def test_resolve_every_form(user_module):
    assert resolve("regularized_evolution") == "strategies.evolution:RegularizedEvolution"
    assert resolve(f"{MODULE}:Greedy") == f"{MODULE}:Greedy"
    assert resolve("my_greedy") == f"{MODULE}:Greedy"  # entry point
    assert resolve("optuna:tpe") == "optuna:tpe"
    assert strategy_class("my_greedy").__name__ == "Greedy"
    assert parameters_of("my_greedy") == {"eps": 0.2}
    assert import_root("my_greedy") == str(user_module.resolve())
    assert import_root("bananas") is None
    names = {i.name: i for i in list_strategies([f"{MODULE}:Greedy"])}
    assert names["my_greedy"].source == "entry point"
    assert names[f"{MODULE}:Greedy"].parameters == {"eps": 0.2}
    assert "Mutate the incumbent" in names["my_greedy"].reference
    assert "AAAI 2019" in names["regularized_evolution"].reference


def test_bad_names_and_classes(user_module):
    with pytest.raises(UnknownNameError, match=r"unknown strategy 'annealing'; expected one of 'random_search'.*"
                                               r"'my_greedy'.*import path 'package.module:Class'"):
        resolve("annealing")
    with pytest.raises(UnknownNameError, match=r"cannot import the module 'no_such_mod' of strategy "
                                               r"'no_such_mod:X' \(No module named 'no_such_mod'\)"):
        strategy_class("no_such_mod:X")
    with pytest.raises(UnknownNameError, match=rf"the module '{MODULE}' has no 'Missing'"):
        strategy_class(f"{MODULE}:Missing")
    with pytest.raises(NasbenchError, match="NotAStrategy, not a subclass of strategies.Strategy"):
        strategy_class(f"{MODULE}:NotAStrategy")
    with pytest.raises(UnknownNameError, match="a strategy is a built-in name"):
        resolve("")


def test_two_distributions_registering_one_name_are_refused(user_module):
    dist = user_module / "other-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: other\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[nasbench.strategies]\nmy_greedy = elsewhere:Greedy\n")
    with pytest.raises(NasbenchError, match="two installed distributions register the strategy 'my_greedy'"):
        resolve("my_greedy")


def test_unknown_parameters_are_named(user_module, task):
    with pytest.raises(NasbenchError, match=r"bad parameters for regularized_evolution: unknown parameter 'populaton'; "
                                            r"it takes 'population_size', 'sample_size'"):
        make_strategy("regularized_evolution", task.space, populaton=3)
    assert make_strategy("my_greedy", task.space, seed=0, eps=0.5).params() == {"eps": 0.5}


def test_parameter_values_are_literals_never_code():
    assert parse_value("20") == 20 and parse_value("0.5") == 0.5 and parse_value("true") is True
    assert parse_value('"path"') == "path" == parse_value("'path'") == parse_value("path")
    assert parse_value("[1, 2]") == [1, 2] and parse_value("null") is None
    assert parse_param_assignments(["regularized_evolution.population_size=20", "optuna:tpe.n_startup_trials=5",
                                    f"{MODULE}:Greedy.eps=0.1"]) == {
        "regularized_evolution": {"population_size": 20}, "optuna:tpe": {"n_startup_trials": 5},
        f"{MODULE}:Greedy": {"eps": 0.1}}
    with pytest.raises(NasbenchError, match=r"cannot read the parameter value '__import__\(\"os\"\)'"):
        parse_value('__import__("os")')
    with pytest.raises(NasbenchError, match="a parameter value is one line"):
        parse_value("1\nx = 2")
    with pytest.raises(NasbenchError, match=r"--strategy-params takes STRATEGY.PARAMETER=VALUE.*got 'population_size=3'"):
        parse_param_assignments(["population_size=3"])
    with pytest.raises(NasbenchError, match="gives bananas.n_init twice"):
        parse_param_assignments(["bananas.n_init=3", "bananas.n_init=4"])


def _compare(out, *extra):
    from nasbench.cli import main

    strategies = f"{MODULE}:Greedy,my_greedy,random_search"
    return main(["compare", "nb201/synthetic", "--strategies", strategies, "--seeds", "4", "--budget", "30",
                 "--out", str(out), "--no-plots", "--quiet",
                 "--strategy-params", "my_greedy.eps=0.5", f"{MODULE}:Greedy.eps=0.1", *extra])


def test_compare_with_own_strategies_serial_and_two_jobs_same_bytes(user_module, tmp_path_factory):
    a, b, c = (tmp_path_factory.mktemp(n) for n in ("own_a", "own_b", "own_c"))
    assert _compare(a, "--jobs", "1") == 0
    assert _compare(b, "--jobs", "2") == 0  # spawned workers
    assert _compare(c, "--jobs", "2") == 0
    assert output_files(a) == output_files(b) == output_files(c)
    assert output_manifest(a) == output_manifest(b) == output_manifest(c)
    m = output_manifest(a)
    assert m["strategies"]["my_greedy"] == {"class": f"{MODULE}:Greedy", "params": {"eps": 0.5}, "path": "python"}
    assert m["strategies"][f"{MODULE}:Greedy"]["params"] == {"eps": 0.1}
    board = (a / "leaderboard.csv").read_text()
    assert "my_greedy" in board and f"{MODULE}:Greedy" in board
    # different eps, different runs: the parameters reach the workers
    summary = (a / "summary.csv").read_text().splitlines()
    assert [r.split(",")[2:] for r in summary if r.startswith("my_greedy")] != \
        [r.split(",")[2:] for r in summary if r.startswith(f"{MODULE}:Greedy")]


def test_compare_with_own_strategies_on_ray_same_bytes(user_module, tmp_path_factory):
    try:
        import ray
    except ImportError:
        if os.environ.get("NASBENCH_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed; NASBENCH_REQUIRE_RAY=1 forbids skipping")
        pytest.skip('ray is not installed (pip install "nasbench[distributed]")')
    if ray.is_initialized():
        pytest.skip("a Ray instance is already running in this process")
    local, r1, r2 = (tmp_path_factory.mktemp(n) for n in ("own_local", "own_ray1", "own_ray2"))
    assert _compare(local, "--jobs", "1") == 0
    assert _compare(r1, "--executor", "ray", "--jobs", "2") == 0  # the module is not on the workers' sys.path
    assert _compare(r2, "--executor", "ray", "--jobs", "2") == 0
    assert output_files(local) == output_files(r1) == output_files(r2)
    assert output_manifest(local) == output_manifest(r1) == output_manifest(r2)


def test_config_file_params_and_cli_params_merge(user_module, tmp_path, capsys):
    from nasbench.cli import main

    config = tmp_path / "cmp.toml"
    config.write_text(textwrap.dedent(f'''
        benchmark = "nb201/synthetic"
        strategies = ["regularized_evolution", "{MODULE}:Greedy"]
        n_seeds = 3
        max_evals = 25
        [params.regularized_evolution]
        population_size = 5
        ["params"."{MODULE}:Greedy"]
        eps = 0.3
    '''))
    out = tmp_path / "o"
    assert main(["compare", "--config", str(config), "--out", str(out), "--no-plots", "--quiet",
                 "--strategy-params", "regularized_evolution.sample_size=2"]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert m["strategies"]["regularized_evolution"]["params"] == {"population_size": 5, "sample_size": 2}
    assert m["strategies"][f"{MODULE}:Greedy"]["params"] == {"eps": 0.3}
    capsys.readouterr()
    assert main(["compare", "--config", str(config), "--quiet", "--strategy-params", "bananas.n_init=3"]) == 2
    assert "--strategy-params sets 'bananas', which is not among --strategies" in capsys.readouterr().err
    assert main(["compare", "--config", str(config), "--quiet", "--strategy-params",
                 "regularized_evolution.populaton=3"]) == 2
    assert "regularized_evolution: unknown parameter 'populaton'; it takes" in capsys.readouterr().err


def test_list_strategies_shows_parameters_defaults_and_references(user_module, capsys):
    from nasbench.cli import main

    assert main(["compare", "--list-strategies", "--strategies", f"{MODULE}:Greedy"]) == 0
    out = capsys.readouterr().out
    assert "regularized_evolution  [built-in: strategies.evolution:RegularizedEvolution]" in out
    assert "parameters: population_size=10, sample_size=3" in out
    assert "Real, Aggarwal, Huang & Le" in out
    assert f"my_greedy  [entry point: {MODULE}:Greedy]" in out and "parameters: eps=0.2" in out
    assert f"{MODULE}:Greedy  [import path: {MODULE}:Greedy]" in out
