"""The grid spaces: TransNAS-Bench-101 micro and NAS-Bench-Macro."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from nasbench.errors import InvalidArchError
from nasbench.spaces import get_space
from nasbench.spaces.macro import MacroArch, MacroSpace
from nasbench.spaces.transnas_micro import TNBMicroArch, TNBMicroSpace, unique_string

SPACES = [TNBMicroSpace(), MacroSpace()]


@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.name)
def test_index_string_and_choices_round_trip_over_the_whole_space(space):
    archs = space.all_archs()
    assert len(archs) == space.n_archs == len({a.index for a in archs})
    assert [a.index for a in archs] == list(range(space.n_archs))
    for a in archs:
        assert space.from_string(a.string) == a and space.from_index(a.index) == a
        assert space.from_choices(space.to_choices(a)) == a
    np.testing.assert_array_equal(space.choice_table(), [a.choices for a in archs])
    idx, scalar = space.to_indices([a.string for a in archs[:50]] + archs[50:60] + list(range(60, 70)))
    assert idx.tolist() == list(range(70)) and not scalar
    assert get_space(space.name).n_archs == space.n_archs


@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.name)
def test_sample_mutate_neighbors(space):
    rng = np.random.default_rng(0)
    k, d = space.arch_type.N_OPTIONS, space.arch_type.N_DECISIONS
    for _ in range(50):
        a = space.sample(rng)
        assert space.is_valid(a)
        m = space.mutate(a, rng)
        assert sum(x != y for x, y in zip(a.choices, m.choices)) == 1
        nbrs = space.neighbors(a)
        assert len(nbrs) == len(set(nbrs)) == d * (k - 1) and m in nbrs and a not in nbrs
    again = np.random.default_rng(0)
    assert space.sample(again) == space.sample(np.random.default_rng(0))
    a = space.from_index(5)
    assert pickle.loads(pickle.dumps(a)) == a and hash(pickle.loads(pickle.dumps(a))) == hash(a)
    with pytest.raises(AttributeError, match="immutable"):
        a.index = 3


def test_sampling_is_uniform_over_the_grid():
    space = MacroSpace()
    rng = np.random.default_rng(1)
    counts = np.bincount([space.sample(rng).choices[0] for _ in range(3000)], minlength=3)
    assert counts.min() > 900


def test_tnb_strings_and_naslib_tuples():
    a = TNBMicroArch.from_string("64-41414-3_23_232")
    assert a.choices == (3, 2, 3, 2, 3, 2) and a.to_naslib() == a.choices
    assert TNBMicroArch.from_naslib("(3, 2, 3, 2, 3, 2)") == a == TNBMicroArch.from_naslib([3, 2, 3, 2, 3, 2])
    assert a.op_names[0] == "nor_conv_3x3" and a.index == 3 * 4**5 + 2 * 4**4 + 3 * 16 * 4 + 2 * 16 + 3 * 4 + 2
    idx, _ = TNBMicroSpace().to_indices(["(3, 2, 3, 2, 3, 2)", (3, 2, 3, 2, 3, 2)])
    assert idx.tolist() == [a.index, a.index]


def test_macro_strings():
    a = MacroArch.from_string("02012100")
    assert a.choices == (0, 2, 0, 1, 2, 1, 0, 0) and a.string == "02012100"
    assert a.op_names[1] == "mbv2_k5_e6" and MacroSpace().canonical_key(a) == a.index


def test_tnb_canonical_key_merges_only_equivalent_cells():
    space = TNBMicroSpace()
    # the output takes only node 0 through a 3x3 conv: edges into unused nodes do not matter
    x = space.from_string("64-41414-0_00_300")
    y = space.from_string("64-41414-0_01_300")  # node 2 = skip of node 1 = zero: still unused
    z = space.from_string("64-41414-0_00_200")
    assert space.canonical_key(x) == space.canonical_key(y) != space.canonical_key(z)
    # summands commute: node 3 = skip(conv3(x)) + skip(conv1(x)) whichever node holds which conv
    assert unique_string((3, 2, 0, 0, 1, 1)) == unique_string((2, 3, 0, 0, 1, 1))
    assert unique_string((3, 2, 0, 0, 1, 1)) != unique_string((3, 3, 0, 0, 1, 1))
    keys = {space.canonical_key(a) for a in space.all_archs()}
    assert 1 < len(keys) < space.n_archs


@pytest.mark.parametrize("bad, match", [
    ("64-41414-4_23_232", "op codes 0-3"), ("64-41414-3_23", "64-41414-a_bc_def"), (b"x", "list"),
    ("(3, 2)", "6 choices"), ("(x", "NASLib TNB micro tuple"), (4096, r"\[0, 4095\]"), (-1, r"\[0, 4095\]"),
    (True, "index"), (2.0, "arch string"), (np.zeros((2, 2), dtype=int), "1-D"),
])
def test_tnb_bad_archs(bad, match):
    with pytest.raises(InvalidArchError, match=match):
        TNBMicroSpace().to_indices([bad] if not isinstance(bad, (bytes, np.ndarray)) else bad)


@pytest.mark.parametrize("bad, match", [
    ("0201210", "8 characters"), ("02012103", "8 characters"), ("abc", "8 characters"), (6561, r"\[0, 6560\]"),
])
def test_macro_bad_archs(bad, match):
    with pytest.raises(InvalidArchError, match=match):
        MacroSpace().to_indices([bad])


def test_bad_values_for_arch_constructors():
    with pytest.raises(InvalidArchError, match="takes 8 ints; got the string"):
        MacroArch("02012100")
    with pytest.raises(InvalidArchError, match="expected a MacroArch"):
        MacroSpace().mutate(TNBMicroArch.from_index(0), np.random.default_rng(0))
    with pytest.raises(InvalidArchError, match="arch string must be a str"):
        MacroArch.from_string(5)
    with pytest.raises(InvalidArchError, match="takes a sequence"):
        MacroArch(5)
