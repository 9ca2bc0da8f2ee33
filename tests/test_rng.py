"""nasbench.rng: one way to derive child seeds, pinned to numpy's SeedSequence.spawn."""

import numpy as np
import pytest

from nasbench.errors import NasbenchError
from nasbench.rng import as_generator, child_int_seeds, child_seed, child_seeds


def _state(seq):
    return seq.generate_state(4).tolist()


def test_child_seed_is_the_spawned_child_at_every_depth():
    spawned = np.random.SeedSequence(7).spawn(5)
    assert [_state(s) for s in child_seeds(7, 5)] == [_state(s) for s in spawned]
    grandchild = spawned[2].spawn(3)[1]
    assert _state(child_seed(7, 2, 1)) == _state(grandchild) == _state(child_seed(spawned[2], 1))


def test_child_seed_is_fresh_and_keys_name_their_own_streams():
    a, b = child_seed(3, 0x626F6F74), child_seed(3, 0x626F6F74)
    assert a is not b and _state(a) == _state(b)
    a.spawn(2)  # spawning from one user's object does not move another's children
    assert _state(b.spawn(1)[0]) == _state(child_seed(3, 0x626F6F74, 0))
    assert _state(child_seed(3, 0)) != _state(child_seed(3, 1))


def test_child_int_seeds_are_stable_and_prefix_consistent():
    assert child_int_seeds(0, 3) == [3757552657, 673228719, 3241444873]
    assert child_int_seeds(0, 5)[:3] == child_int_seeds(0, 3)


@pytest.mark.parametrize("seed", [-1, True, 1.5, "0"])
def test_bad_root_seeds_are_refused(seed):
    with pytest.raises(NasbenchError, match="seed must be a non-negative int"):
        child_seed(seed, 0)
    with pytest.raises(NasbenchError, match="seed must be a non-negative int"):
        as_generator(seed)
