"""The pilot driver ``perf/perf_pilot.py``: a tiny resumable run per space, one-line errors, defaults."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from nasbench.errors import NasbenchError

SCRIPT = Path(__file__).resolve().parents[2] / "perf" / "perf_pilot.py"


@pytest.fixture(scope="module")
def pilot():
    spec = importlib.util.spec_from_file_location("perf_pilot", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_tiny_pilot_runs_and_resumes(pilot, tmp_path, space):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from nasbench.training.trainer import TrainConfig

    config = TrainConfig(C=2, N=1, epochs=1, batch_size=25, device="cpu", latency_repeats=1, latency_warmup=0)
    kwargs = dict(space=space, n_archs=3, seeds=(0, 1), sample_seed=0, config=config, split=(50, 50, 50))
    lines = []
    first = pilot.run_pilot(tmp_path, log=lines.append, **kwargs)
    assert len(lines) == 6 and first["n_archs"] == 3 and first["complete"] and first["space"] == space
    # an interrupted write leaves a cut line; it is ignored and that run is redone
    runs = tmp_path / "runs.jsonl"
    text = runs.read_text().splitlines()
    runs.write_text("\n".join(text[:-1]) + "\n" + text[-1][:20])
    lines.clear()
    second = pilot.run_pilot(tmp_path, log=lines.append, **kwargs)
    assert len(lines) == 1
    for key in ("spearman_seeds", "noise_sd", "median_acc"):
        assert np.isclose(second[key], first[key], equal_nan=True)
    assert json.loads((tmp_path / "summary.json").read_text())["n_archs"] == 3
    with pytest.raises(NasbenchError, match=r"a pilot needs at least two distinct training seeds; got \(0, 0\)"):
        pilot.run_pilot(tmp_path, **{**kwargs, "seeds": (0, 0)})


def test_summary_needs_three_finished_archs(pilot, tmp_path):
    done = {(a, s): {"valid_acc": [90.0]} for a in (1, 2) for s in (0, 1)}
    with pytest.raises(NasbenchError, match="the pilot has 2 archs with all seeds \\[0, 1\\]; a summary needs at least 3"):
        pilot.summarise_runs(done, [1, 2, 3], (0, 1))


def test_main_reports_errors_in_one_line(pilot, tmp_path, capsys):
    assert pilot.main(["nb201", "--out", str(tmp_path), "--n-archs", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: n_archs must be an int in [1, 6466]")
    assert pilot.main(["darts", "--out", str(tmp_path), "--summary-only"]) == 2
    assert "has 0 archs with all seeds [0, 1]; a summary needs at least 3" in capsys.readouterr().err


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_defaults_are_the_recipes(pilot, space):
    from nasbench.training import recipes

    kwargs, split = ((recipes.DIGITS_TRAIN_KWARGS, recipes.DIGITS_SPLIT) if space == "nb201"
                     else (recipes.DARTS_TRAIN_KWARGS, recipes.DARTS_SPLIT))
    args = pilot._parser().parse_args([space, "--out", "x"])
    assert tuple(args.split) == split
    assert {k: getattr(args, k) for k in kwargs if hasattr(args, k)} == {k: v for k, v in kwargs.items()
                                                                       if hasattr(args, k)}
    assert {k for k in kwargs if not hasattr(args, k)} == {"lr_min", "momentum", "nesterov"}
