"""Latency models: exact on synthetic data, validated inputs, JSON/npz round trips, and the issue's figures."""

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, InvalidArchError, MissingDataError, UnknownNameError
from nasbench.spaces.nb201 import EDGES, ops_table
from surrogates.latency import (
    AdditiveLatencyModel,
    CrossDeviceLatencyModel,
    InteractionLatencyModel,
    degenerate_mask,
    edge_reach,
    latency_scores,
    live_edges,
    load_latency_model,
    one_hot,
    pairwise,
    save_latency_model,
)
from surrogates.latency.additive import NotFittedError
from surrogates.latency.evaluate import evaluate_adaptation, evaluate_device, summarise

OPS = ops_table().astype(np.int64)


def _synthetic(rng, n, interaction=0.0):
    costs = rng.uniform(0, 2, size=(6, 5))
    costs[:, 0] = 0.0
    ops = OPS[rng.choice(len(OPS), n, replace=False)]
    y = 3.0 + costs[np.arange(6), ops].sum(axis=1)
    y += interaction * ((ops[:, 0] == 3) & (ops[:, 5] == 3))
    return ops, y, costs


def _reach_reference(ops):
    """Plain-Python reachability per edge: (input reaches its source, its target reaches the output, live)."""
    fed, used, live = [], [], []
    for row in ops.tolist():
        open_edges = [(s, t) for (s, t), o in zip(EDGES, row) if o != 0]

        def reach(a, b):
            if a == b:
                return True
            return any(s == a and reach(t, b) for s, t in open_edges)

        fed.append([reach(0, s) for s, _ in EDGES])
        used.append([reach(t, 3) for _, t in EDGES])
        live.append([o != 0 and f and u for o, f, u in zip(row, fed[-1], used[-1])])
    return np.array(fed), np.array(used), np.array(live)


def test_live_edges_match_the_reference_and_count_degenerate_cells():
    sample = OPS[::37]
    fed, used, live = _reach_reference(sample)
    np.testing.assert_array_equal(live_edges(sample, EDGES), live)
    np.testing.assert_array_equal(np.stack(edge_reach(sample, EDGES)), np.stack([fed, used]))
    # both kinds of dead edge occur: computing on a constant (not fed) and feeding dead code (not used)
    assert np.any(~fed & used & (sample != 0)) and np.any(fed & ~used & (sample != 0))
    assert int(degenerate_mask(OPS, EDGES).sum()) == 341  # cells whose output ignores the input


def test_encodings():
    x = one_hot(OPS[:3], 5)
    assert x.shape == (3, 30) and np.all(x.sum(axis=1) == 6)
    assert pairwise(x, 5).shape == (3, 375)  # 15 edge pairs x 25 op pairs
    assert np.all(pairwise(x, 5).sum(axis=1) == 15)
    with pytest.raises(InvalidArchError, match="op indices must be in \\[0, 4\\]"):
        one_hot(np.array([[5, 0]]), 5)
    with pytest.raises(InvalidArchError, match="integer array of shape"):
        one_hot(np.array([0.5, 1.0]), 5)
    with pytest.raises(InvalidArchError, match="integer array of shape \\(n_archs, 6\\)"):
        live_edges(np.zeros((2, 3), dtype=int), EDGES)


def test_additive_recovers_exact_costs():
    rng = np.random.default_rng(0)
    ops, y, costs = _synthetic(rng, 200)
    model = AdditiveLatencyModel(5).fit(ops, y)
    np.testing.assert_allclose(model.op_costs_, costs, atol=1e-6)
    assert model.intercept_ == pytest.approx(3.0, abs=1e-6)
    np.testing.assert_allclose(model.predict(OPS), 3.0 + costs[np.arange(6), OPS].sum(axis=1), atol=1e-6)


def test_interaction_learns_a_pair_the_additive_model_misses():
    ops, y, costs = _synthetic(np.random.default_rng(1), 1000, interaction=2.0)
    truth = 3.0 + costs[np.arange(6), OPS].sum(axis=1) + 2.0 * ((OPS[:, 0] == 3) & (OPS[:, 5] == 3))
    add = AdditiveLatencyModel(5).fit(ops, y)
    inter = InteractionLatencyModel(5, EDGES).fit(ops, y)

    def rmse(model):
        return float(np.sqrt(np.mean((model.predict(OPS) - truth) ** 2)))

    assert rmse(inter) < 0.1 * rmse(add)
    # the fast predict equals the explicit design-matrix product
    explicit = inter.additive_.predict(OPS) + inter._design(OPS) @ inter.coef_ + inter.intercept_
    np.testing.assert_allclose(inter.predict(OPS), explicit, atol=1e-9)


def test_fitting_errors():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        AdditiveLatencyModel(5).predict(OPS[:2])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        InteractionLatencyModel(5, EDGES).predict(OPS[:2])
    with pytest.raises(InvalidArchError, match="finite and positive"):
        AdditiveLatencyModel(5).fit(OPS[:3], np.array([1.0, -1.0, 2.0]))
    with pytest.raises(InvalidArchError, match=r"shape \(3,\), one per arch"):
        AdditiveLatencyModel(5).fit(OPS[:3], np.ones(4))
    with pytest.raises(InvalidArchError, match="at least 2 archs"):
        AdditiveLatencyModel(5).fit(OPS[:1], np.ones(1))
    with pytest.raises(InvalidArchError, match="n_ops must be an int >= 2"):
        AdditiveLatencyModel(1).fit(OPS[:3], np.ones(3))
    with pytest.raises(InvalidArchError, match="reference_op must be in"):
        AdditiveLatencyModel(5, reference_op=7).fit(OPS[:3], np.ones(3))
    with pytest.raises(InvalidArchError, match="edges must be"):
        InteractionLatencyModel(5, [(1, 0)]).fit(OPS[:3], np.ones(3))


def test_cross_device_recovers_a_low_rank_device():
    rng = np.random.default_rng(2)
    factors = rng.uniform(1, 2, size=(500, 2))
    known = factors @ rng.uniform(0.5, 2, size=(2, 6))
    new = factors @ np.array([1.5, 0.7]) + 0.3
    model = CrossDeviceLatencyModel(rank=2, alpha=0.0).fit(known)
    shots = rng.choice(500, 8, replace=False)
    model.adapt(shots, new[shots])
    np.testing.assert_allclose(model.predict(np.arange(500)), new, rtol=1e-8)
    assert model.explained_.sum() == pytest.approx(1.0)


def test_cross_device_errors(tmp_path):
    model = CrossDeviceLatencyModel()
    with pytest.raises(NotFittedError, match="fit\\(known\\)"):
        model.adapt(np.arange(5), np.ones(5))
    with pytest.raises(InvalidArchError, match="rank must be an int >= 1"):
        CrossDeviceLatencyModel(rank=0).fit(np.ones((10, 2)))
    with pytest.raises(InvalidArchError, match="finite and positive"):
        CrossDeviceLatencyModel().fit(np.full((10, 2), np.nan))
    with pytest.raises(InvalidArchError, match="n_archs > rank=4"):
        CrossDeviceLatencyModel().fit(np.ones((3, 2)))
    fitted = CrossDeviceLatencyModel(rank=1).fit(np.random.default_rng(0).uniform(1, 2, (20, 3)))
    with pytest.raises(NotFittedError, match="adapt"):
        fitted.predict(np.arange(3))
    with pytest.raises(InvalidArchError, match="at least 3 distinct"):
        fitted.adapt(np.array([1, 1, 2]), np.ones(3))
    with pytest.raises(InvalidArchError, match=r"rows must be in \[0, 19\]"):
        fitted.adapt(np.array([1, 2, 30]), np.ones(3))
    with pytest.raises(InvalidArchError, match="alpha must be a number >= 0; got -1"):
        CrossDeviceLatencyModel(alpha=-1).fit(np.ones((10, 2)))
    with pytest.raises(InvalidArchError, match="1-D integer array of table rows; got float64"):
        fitted.adapt(np.array([1.0, 2.0, 3.0]), np.ones(3))
    with pytest.raises(NotFittedError, match="adapt.* before saving"):
        save_latency_model(fitted, tmp_path / "m")
    with pytest.raises(NotFittedError, match="InteractionLatencyModel is not fitted yet; call fit"):
        save_latency_model(InteractionLatencyModel(5, EDGES), tmp_path / "m")


def test_latency_scores_by_hand():
    scores = latency_scores([10.0, 10.0, 0.01, 20.0], [10.5, 12.0, 1.0, 20.0], meaningful=[True, True, False, True])
    assert scores["within"] == pytest.approx(2 / 3) and scores["within_all"] == pytest.approx(0.5)
    assert scores["n_meaningful"] == 3 and scores["n"] == 4
    assert scores["rmse_ms"] == pytest.approx(np.sqrt((0.25 + 4 + 0.99 ** 2) / 4))
    with pytest.raises(InvalidArchError, match="same non-zero length"):
        latency_scores([1.0], [1.0, 2.0])
    with pytest.raises(InvalidArchError, match="meaningful must have shape"):
        latency_scores([1.0, 2.0], [1.0, 2.0], meaningful=[True])
    assert summarise([{"device": "a", "within": 0.2}, {"device": "b", "within": 0.9},
                      {"device": "c", "within": 0.5}]) == {"median": 0.5, "min": 0.2, "max": 0.9, "median_device": "c"}


@pytest.mark.parametrize("kind", ["additive", "interaction", "cross_device"])
def test_save_load_round_trip(tmp_path, kind):
    rng = np.random.default_rng(3)
    ops, y, _ = _synthetic(rng, 300, interaction=1.0)
    if kind == "additive":
        model, x = AdditiveLatencyModel(5).fit(ops, y), OPS
    elif kind == "interaction":
        model, x = InteractionLatencyModel(5, EDGES).fit(ops, y), OPS
    else:
        model = CrossDeviceLatencyModel(rank=2).fit(rng.uniform(1, 2, (100, 4))).adapt(np.arange(10), np.arange(1, 11.0))
        x = np.arange(100)
    directory = save_latency_model(model, tmp_path / "m", {"device": "x"})
    loaded, meta = load_latency_model(directory)
    assert meta == {"device": "x"} and type(loaded) is type(model)
    assert loaded.predict(x).tobytes() == model.predict(x).tobytes()


def test_load_errors(tmp_path):
    with pytest.raises(MissingDataError, match="no latency model at"):
        load_latency_model(tmp_path)
    model = AdditiveLatencyModel(5).fit(OPS[:40], np.arange(1, 41.0))
    directory = save_latency_model(model, tmp_path / "m")
    (directory / "state.npz").write_bytes(b"junk")
    with pytest.raises(DataIntegrityError, match="does not match its sha256"):
        load_latency_model(directory)
    meta = (directory / "metadata.json").read_text()
    (directory / "metadata.json").write_text(meta.replace('"additive"', '"nope"'))
    with pytest.raises(UnknownNameError, match="unknown latency model kind 'nope'"):
        load_latency_model(directory)
    (directory / "metadata.json").write_text("{")
    with pytest.raises(DataIntegrityError, match="not valid JSON"):
        load_latency_model(directory)
    (directory / "metadata.json").write_text('{"format": "other"}')
    with pytest.raises(DataIntegrityError, match="not a nasbench latency model"):
        load_latency_model(directory)


def test_a_failed_save_leaves_no_partial_folder(tmp_path, monkeypatch):
    model = AdditiveLatencyModel(5).fit(OPS[:40], np.arange(1, 41.0))
    params, arrays = model.get_state()
    monkeypatch.setattr(model, "get_state", lambda: (params, {**arrays, "bad": "not a number"}))
    with pytest.raises(ValueError, match="could not convert string to float"):
        save_latency_model(model, tmp_path / "m")
    assert [p.name for p in tmp_path.iterdir()] == [".m.lock"]  # only the writers' lock file


def test_evaluation_is_deterministic_and_validated():
    rng = np.random.default_rng(4)
    ops, y, _ = _synthetic(rng, 400)
    meaningful = np.ones(400, dtype=bool)
    make = lambda: AdditiveLatencyModel(5)  # noqa: E731
    a = evaluate_device(make, ops, y, meaningful, 50, seed=7)
    assert a == evaluate_device(make, ops, y, meaningful, 50, seed=7) and a["within"] == 1.0
    with pytest.raises(InvalidArchError, match="n_train must be in"):
        evaluate_device(make, ops, y, meaningful, 400)
    with pytest.raises(InvalidArchError, match="must not be among"):
        evaluate_adaptation(np.ones((10, 3)), 0, [0, 1], meaningful[:10], 5)


def test_issue_figures_on_help(latency_root):
    """Done means: 100 archs -> >= 90 % within +-10 % (median device); 20-shot adaptation -> >= 80 %."""
    from nasbench.benchmarks.latency import load_latency

    tables = load_latency("nb201")
    table, devices = tables.matrix(tables.devices[:27])
    meaningful = ~degenerate_mask(OPS, EDGES)
    make = lambda: AdditiveLatencyModel(5)  # noqa: E731
    rows = [{"device": d, **evaluate_device(make, OPS, table[:, j], meaningful, 100, n_repeats=1, device_key=j)}
            for j, d in enumerate(devices)]
    assert summarise(rows)["median"] >= 0.9
    families = [d.rsplit("_", 1)[0] if d.rsplit("_", 1)[-1] in ("1", "32", "256") else d for d in devices]
    adapted = []
    for t, d in enumerate(devices):
        others = [k for k in range(27) if families[k] != families[t]]
        adapted.append({"device": d, **evaluate_adaptation(table, t, others, meaningful, 20, n_repeats=1)})
    assert summarise(adapted)["median"] >= 0.8


def test_reports_are_reproducible():
    from surrogates.latency.report import adaptation_report, surrogate_report

    rng = np.random.default_rng(5)
    ops = OPS[:400]
    base = 1.0 + one_hot(ops, 5) @ rng.uniform(0, 1, 30)
    table = np.stack([base * s for s in (1.0, 2.0, 3.5)], axis=1) * rng.uniform(0.95, 1.05, (400, 3))
    meaningful = np.ones(400, dtype=bool)
    args = (ops, table, ["a", "b", "c"], meaningful)
    first = surrogate_report(*args, n_ops=5, edges=EDGES, sizes=(50,), n_repeats=2, seed=1)
    assert first == surrogate_report(*args, n_ops=5, edges=EDGES, sizes=(50,), n_repeats=2, seed=1)
    assert first["summary"][0]["median"] > 0.5
    ada = adaptation_report(table, ["a", "b", "c"], meaningful, families=["x", "y", "z"], shots=(10,), rank=2, seed=1)
    assert ada == adaptation_report(table, ["a", "b", "c"], meaningful, families=["x", "y", "z"], shots=(10,),
                                    rank=2, seed=1)
    assert {s["protocol"] for s in ada["summary"]} == {"leave-one-device-out", "leave-one-hardware-out"}
