import numpy as np
import pytest

from nasbench.encodings import get_encoding
from nasbench.errors import InvalidArchError
from nasbench.spaces.nb101 import NB101Arch, NB101Space

CHAIN = NB101Arch([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])


def test_adjacency_pads_before_output():
    X = get_encoding("nb101", "adjacency")(CHAIN)[0]
    adj = np.zeros((7, 7))
    adj[np.triu_indices(7, 1)] = X[:21]
    assert adj[0, 1] == 1 and adj[1, 6] == 1 and adj.sum() == 2
    assert X[21:].reshape(5, 3)[0].tolist() == [0, 0, 1]


def test_path_counts_paths():
    enc = get_encoding("nb101", "path")
    assert enc(CHAIN)[0].sum() == 1
    diamond = NB101Arch([[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                        ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"])
    x = enc(diamond)[0]
    # input->output directly (the empty sequence, feature 0) and two paths through one conv3x3 (feature 1)
    assert x.sum() == 3 and x[0] == 1 and x[1] == 2


def test_isomorphic_cells_encode_equally():
    a = NB101Arch([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                  ["input", "conv3x3-bn-relu", "maxpool3x3", "output"])
    b = NB101Arch([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                  ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    assert a == b
    enc = get_encoding("nb101", "path")
    assert np.array_equal(enc(a), enc(b))


def test_batch_and_errors():
    rng = np.random.default_rng(0)
    archs = [NB101Space().sample(rng) for _ in range(5)]
    X, scalar = get_encoding("nb101").encode(archs)
    assert X.shape == (5, 36) and not scalar
    with pytest.raises(InvalidArchError, match="NB101 encodings take NB101Arch values"):
        get_encoding("nb101").encode([archs[0], 3])
