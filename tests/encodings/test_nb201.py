import numpy as np
import pytest

from nasbench.encodings import get_encoding, list_encodings
from nasbench.encodings.nb201 import nb201_features, prune_ops
from nasbench.errors import InvalidArchError, UnknownNameError
from nasbench.spaces.nb201 import NB201Arch, canonical_ids, ops_table


@pytest.mark.parametrize("name,width", [("onehot", 30), ("adjacency", 58), ("path", 84), ("iso", 122)])
def test_shapes_and_inputs(name, width):
    enc = get_encoding("nb201", name)
    assert enc.n_features == width
    X, scalar = enc.encode([0, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", NB201Arch.from_index(6111)])
    assert X.shape == (3, width) and X.dtype == np.float32 and not scalar
    one, scalar = enc.encode(6111)
    assert scalar and np.array_equal(one[0], X[2])


def test_onehot_decodes_to_ops():
    X = nb201_features("onehot")
    assert np.array_equal(X.reshape(-1, 6, 5).argmax(axis=2), ops_table())


def test_path_encoding_counts_live_routes():
    enc = get_encoding("nb201", "path")
    all_conv3 = NB201Arch(["nor_conv_3x3"] * 6)
    assert enc(all_conv3).sum() == 4  # 4 routes from input to output, all live
    dead = NB201Arch(["none"] * 6)
    assert enc(dead).sum() == 0
    # 0->3 skip only: one path of length 1
    only_skip = NB201Arch(["none", "none", "none", "skip_connect", "none", "none"])
    assert enc(only_skip).sum() == 1


def test_iso_is_constant_within_isomorphism_classes():
    X = nb201_features("iso")
    ids = canonical_ids()
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    first = np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]
    reps = np.repeat(order[first], np.diff(np.r_[np.flatnonzero(first), ids.size]))
    assert np.array_equal(X[order], X[reps])
    # and distinguishes classes more than one-hot of pruned ops alone does
    assert np.unique(X, axis=0).shape[0] > 5000


def test_prune_removes_dangling_edges():
    # edge 0->1 conv, but node 1 feeds nothing live: 1->2 none, 1->3 none
    ops = (3, 1, 0, 1, 0, 1)
    assert prune_ops(ops) == (0, 1, 0, 1, 0, 1)
    # 0->2 is live only through 2->3; without it the edge is dropped too
    assert prune_ops((3, 1, 0, 1, 0, 0)) == (0, 0, 0, 1, 0, 0)


def test_errors():
    enc = get_encoding("nb201", "onehot")
    with pytest.raises(InvalidArchError, match=r"must be in \[0, 15624\]"):
        enc.encode(np.array([0, 15625]))
    with pytest.raises(InvalidArchError, match="unknown NB201 operation"):
        enc.encode("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(UnknownNameError, match="unknown encoding 'bogus' for nb201"):
        get_encoding("nb201", "bogus")
    with pytest.raises(UnknownNameError, match="no encodings for search space 'nb999'"):
        get_encoding("nb999")
    assert "iso" in list_encodings("nb201")["nb201"]
