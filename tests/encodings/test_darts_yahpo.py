"""DARTS genotypes <-> YAHPO nb301 configurations <-> the ONNX model's codes (nasbench/encodings/darts_yahpo.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench.encodings.darts_yahpo import (
    CAT_NAMES,
    NA,
    PREFIX,
    YahpoCodes,
    arch_to_config,
    config_to_arch,
    edge_name,
    inputs_name,
)
from nasbench.errors import DataIntegrityError, InvalidArchError
from nasbench.spaces.darts import OPS, DARTSArch, DARTSSpace
from tests.conftest import require_shared

FOLDER = "yahpo_nb301"


def _archs(n, seed=0):
    rng = np.random.default_rng(seed)
    space = DARTSSpace()
    return [space.sample(rng) for _ in range(n)]


def _op(name):
    return OPS.index(name)


def test_round_trip_both_ways_over_random_archs():
    for arch in _archs(2000):
        config = arch_to_config(arch)
        assert len(config) == 22  # 8 edges + 3 input pairs per cell
        back = config_to_arch(config)
        assert back == arch and back.key == arch.key
        assert arch_to_config(back) == config
        # the order of a node's two pairs is not part of the configuration
        swapped = DARTSArch(*[[p for k in range(4) for p in (cell[2 * k + 1], cell[2 * k])] for cell in arch.cells()])
        assert arch_to_config(swapped) == config


def test_darts_v2_genotype_by_nb301_numbering():
    """DARTS-V2 (Liu et al., 2019), written out by hand from NB301's numbering: the edge from node
    src into node k is edge offset(k) + src, offsets 0, 2, 5, 9."""
    normal = [(0, _op("sep_conv_3x3")), (1, _op("sep_conv_3x3")), (0, _op("sep_conv_3x3")), (1, _op("sep_conv_3x3")),
              (1, _op("sep_conv_3x3")), (0, _op("skip_connect")), (0, _op("skip_connect")), (2, _op("dil_conv_3x3"))]
    reduce = [(0, _op("max_pool_3x3")), (1, _op("max_pool_3x3")), (2, _op("skip_connect")), (1, _op("max_pool_3x3")),
              (0, _op("max_pool_3x3")), (2, _op("skip_connect")), (2, _op("skip_connect")), (1, _op("max_pool_3x3"))]
    want = {
        "edge_normal_0": "sep_conv_3x3", "edge_normal_1": "sep_conv_3x3",
        "edge_normal_2": "sep_conv_3x3", "edge_normal_3": "sep_conv_3x3", "inputs_node_normal_3": "0_1",
        "edge_normal_6": "sep_conv_3x3", "edge_normal_5": "skip_connect", "inputs_node_normal_4": "0_1",
        "edge_normal_9": "skip_connect", "edge_normal_11": "dil_conv_3x3", "inputs_node_normal_5": "0_2",
        "edge_reduce_0": "max_pool_3x3", "edge_reduce_1": "max_pool_3x3",
        "edge_reduce_4": "skip_connect", "edge_reduce_3": "max_pool_3x3", "inputs_node_reduce_3": "1_2",
        "edge_reduce_5": "max_pool_3x3", "edge_reduce_7": "skip_connect", "inputs_node_reduce_4": "0_2",
        "edge_reduce_11": "skip_connect", "edge_reduce_10": "max_pool_3x3", "inputs_node_reduce_5": "1_2",
    }
    assert arch_to_config(DARTSArch(normal, reduce)) == {PREFIX + k: v for k, v in want.items()}


def test_configurations_obey_nb301s_config_space():
    """Every parameter our translation sets is one config_space_v2.json makes active, and vice versa:
    an edge is present exactly when its condition on the node's input pair holds."""
    doc = json.loads((require_shared(f"{FOLDER}/config_space_v2.json") / FOLDER / "config_space_v2.json").read_text())
    choices = {h["name"]: h.get("choices") for h in doc["hyperparameters"]}
    conditions = {c["child"]: (c["parent"], set(c["values"])) for c in doc["conditions"]}
    assert set(CAT_NAMES) | {"epoch"} == set(choices)
    assert all(c["type"] == "IN" for c in doc["conditions"]) and not doc["forbiddens"]
    for arch in _archs(500, seed=1):
        config = arch_to_config(arch)
        for name in CAT_NAMES:
            if name in conditions:
                parent, values = conditions[name]
                active = config[parent] in values
            else:
                active = True
            assert (name in config) == active, name
            if active:
                assert config[name] in choices[name]


@pytest.fixture(scope="module")
def codes():
    path = require_shared(f"{FOLDER}/encoding_v2.json") / FOLDER / "encoding_v2.json"
    return YahpoCodes(json.loads(path.read_text())), json.loads(path.read_text())


def test_codes_equal_yahpos_name_by_name_lookup(codes):
    enc, raw = codes
    archs = _archs(300, seed=2)
    X = enc.encode(archs)
    assert X.dtype == np.int32 and X.shape == (300, 34)
    for arch, row in zip(archs, X):
        config = arch_to_config(arch)
        assert row.tolist() == [raw[name][config.get(name, NA)] for name in CAT_NAMES]
        np.testing.assert_array_equal(enc.encode_config(config), row)
    assert (X[:, :28] == raw[CAT_NAMES[0]][NA]).sum(axis=1).tolist() == [12] * 300  # 6 inactive edges per cell
    assert enc.cardinalities.tolist() == [8] * 28 + [4, 7, 11] * 2


@pytest.mark.parametrize("mutate, match", [
    (lambda c: c.update({PREFIX + "edge_normal_99": "skip_connect"}), "is not a YAHPO nb301 parameter"),
    (lambda c: c.update({inputs_name("normal", 3): "0_3"}), r"inputs_node_normal_3 must be one of '0_1', '0_2', '1_2'"),
    (lambda c: c.pop(inputs_name("reduce", 5)), "inputs_node_reduce_5 must be one of"),
    (lambda c: c.update({edge_name("normal", 0): "conv_7x7"}), "edge_normal_0 is active .* got 'conv_7x7'"),
    (lambda c: c.pop(edge_name("normal", 1)), "edge_normal_1 is active"),
])
def test_bad_configurations_are_refused(mutate, match):
    config = arch_to_config(_archs(1)[0])
    mutate(config)
    with pytest.raises(InvalidArchError, match=match):
        config_to_arch(config)


def test_inactive_edges_and_non_dicts_are_refused():
    arch = DARTSArch([(0, 0), (1, 0)] * 1 + [(0, 0), (1, 0)] * 3, [(0, 0), (1, 0)] * 4)
    config = arch_to_config(arch)
    config[edge_name("normal", 4)] = "skip_connect"  # node 3 reads 0 and 1, not 2
    with pytest.raises(InvalidArchError, match="edge_normal_4 is inactive"):
        config_to_arch(config)
    with pytest.raises(InvalidArchError, match="is a dict of parameter values; got list"):
        config_to_arch([1, 2])
    with pytest.raises(InvalidArchError, match="expected a DARTSArch"):
        arch_to_config("[(0, 1)]")
    assert config_to_arch({**arch_to_config(arch), "epoch": 7}) == arch  # the fidelity may ride along


def test_encoding_files_are_checked(codes):
    _, raw = codes
    broken = {k: dict(v) for k, v in raw.items()}
    del broken[CAT_NAMES[3]]["sep_conv_5x5"]
    with pytest.raises(DataIntegrityError, match="must give an int code to .*edge_normal_3"):
        YahpoCodes(broken)
    broken = {k: dict(v) for k, v in raw.items()}
    broken[CAT_NAMES[30]]["0_1"] = broken[CAT_NAMES[30]]["0_2"]
    with pytest.raises(DataIntegrityError, match="are not distinct"):
        YahpoCodes(broken)
    with pytest.raises(InvalidArchError, match="expected DARTSArch values"):
        YahpoCodes(raw).encode(["not an arch"])


def test_categorical_view_is_a_bijection_on_valid_choices():
    from nasbench.encodings.darts_yahpo import DARTSChoiceSpace

    space = DARTSChoiceSpace()
    assert space.name == "darts" and len(space.choice_sizes) == 22
    for arch in _archs(500, seed=4):
        assert space.from_choices(space.to_choices(arch)) == arch
    rng = np.random.default_rng(5)
    for choices in np.floor(rng.random((500, 22)) * np.array(space.choice_sizes)).astype(int).tolist():
        assert space.to_choices(space.from_choices(choices)) == tuple(choices)  # every tuple is an arch
    with pytest.raises(InvalidArchError, match=r"22 ints below \(7, 7, 3"):
        space.from_choices([0] * 21)
    with pytest.raises(InvalidArchError, match="22 ints below"):
        space.from_choices([0, 0, 3] + [0] * 19)
    with pytest.raises(InvalidArchError, match="DARTS choices are 22 ints; got 'abc'"):
        space.from_choices("abc")
