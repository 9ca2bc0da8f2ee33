import numpy as np

from strategies._stream import UniformStream


def test_stream_draws_the_generators_doubles_in_order():
    stream = UniformStream(np.random.default_rng(3))
    got = [stream.random() for _ in range(1500)]  # crosses block boundaries
    assert got == np.random.default_rng(3).random(1500).tolist()
    assert stream.n_used == 1500


def test_integers_are_floor_of_scaled_uniforms():
    u = np.random.default_rng(9).random(20)
    stream = UniformStream(np.random.default_rng(9))
    assert stream.integers(7) == int(u[0] * 7)
    assert stream.integers(2, 5) == 2 + int(u[1] * 3)
    arr = stream.integers(0, 5, size=6)
    assert arr.tolist() == [int(x * 5) for x in u[2:8]]
    assert stream.random(size=2).tolist() == u[8:10].tolist()


def test_shuffle_is_fisher_yates_from_the_end():
    u = np.random.default_rng(4).random(10)
    items = list(range(5))
    UniformStream(np.random.default_rng(4)).shuffle(items)
    expected = list(range(5))
    for k, i in enumerate(range(4, 0, -1)):
        j = int(u[k] * (i + 1))
        expected[i], expected[j] = expected[j], expected[i]
    assert items == expected


def test_space_sample_and_mutate_accept_the_stream():
    from nasbench.spaces import NB201Space

    space = NB201Space()
    u = np.random.default_rng(0).random(8)
    stream = UniformStream(np.random.default_rng(0))
    arch = space.sample(stream)
    assert list(arch.ops) == [int(x * 5) for x in u[:6]]
    child = space.mutate(arch, stream)
    edge = int(u[6] * 6)
    assert sum(a != b for a, b in zip(arch.ops, child.ops)) == 1
    assert child.ops[edge] == (arch.ops[edge] + 1 + int(u[7] * 4)) % 5
