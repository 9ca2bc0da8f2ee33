"""NAS-Bench-Graph: the space against the package's hash, and every served value against the light files."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from nasbench.errors import DataIntegrityError, InvalidArchError, UnknownNameError

pytest.importorskip("nas_bench_graph", reason="NAS-Bench-Graph needs pip install 'nasbench[graph]'")

from nas_bench_graph.architecture import Arch as PackageArch  # noqa: E402

from nasbench.benchmarks.graph import DATASETS, bench_file, graph_space, read_bench_file  # noqa: E402
from nasbench.spaces.graph import LINKS, OPS, PROTEIN_OPS, GraphArch  # noqa: E402


@pytest.fixture(scope="module")
def space():
    return graph_space("cora")


def test_space_is_the_set_of_table_keys(space):
    records, _ = read_bench_file(bench_file("cora"))
    assert space.n_archs == 26206 and set(space.keys.tolist()) == set(records)
    assert graph_space("proteins").n_archs == 2021
    for a in space.all_archs()[::97]:
        assert PackageArch(list(a.link), list(a.ops)).valid_hash() == a.key  # canonical forms hash to themselves
        assert space.from_string(a.string) == a and space.from_index(space.index_of(a)) == a


def test_equivalent_link_lists_are_one_arch(space):
    # node relabelling: [0,0,1,0] is [0,0,0,1] with the last two nodes swapped
    a = space.arch([0, 0, 1, 0], ["gcn", "gin", "fc", "cheb"])
    assert a == space.arch([0, 0, 0, 1], ["gcn", "gin", "cheb", "fc"]) and a.link == (0, 0, 0, 1)
    # the space follows the package's hash, which decides the table keys, even where the package's README
    # calls two archs equal that its hash keeps apart
    b, c = space.arch([0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"]), space.arch([0, 1, 1, 2], ["gcn", "cheb", "gin", "fc"])
    assert (b == c) == (PackageArch([0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"]).valid_hash()
                        == PackageArch([0, 1, 1, 2], ["gcn", "cheb", "gin", "fc"]).valid_hash())


def test_sample_mutate_neighbors(space):
    rng = np.random.default_rng(0)
    for _ in range(30):
        a = space.sample(rng)
        m = space.mutate(a, rng)
        nbrs = space.neighbors(a)
        assert m != a and m in nbrs and a not in nbrs and len(nbrs) == len(set(nbrs)) > 0
        for n in nbrs:  # one change away: some (link, ops) one decision from a's canonical form reaches it
            assert space.is_valid(n)
    proteins = graph_space("proteins")
    for _ in range(30):
        a = proteins.sample(rng)
        assert all(o in PROTEIN_OPS for n in proteins.neighbors(a) for o in n.ops)
        assert all(o in PROTEIN_OPS for o in proteins.mutate(a, rng).ops)
    assert pickle.loads(pickle.dumps(a)) == a
    assert pickle.loads(pickle.dumps(proteins)).n_archs == 2021


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_value_equals_the_light_file(dataset):
    import nasbench

    bench = nasbench.load(f"graph/{dataset}")
    from tabular_data.safe_pickle import PLAIN, RestrictedUnpickler

    class Reader(RestrictedUnpickler):  # an independent read of the same file: numpy scalars as numpy does
        def find_class(self, module, name):
            if name == "scalar":
                return np.core.multiarray.scalar if hasattr(np, "core") else np._core.multiarray.scalar
            return super().find_class(module, name)

    with open(bench_file(dataset), "rb") as fh:
        source = Reader(fh, PLAIN | {("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                                     ("numpy._core.multiarray", "scalar")}).load()
    archs = bench.space.all_archs()
    keys = [PackageArch(list(a.link), list(a.ops)).valid_hash() for a in archs]
    assert len(archs) == len(source) == bench.n_archs
    scale, perf = (1.0, "roc_auc") if dataset == "proteins" else (100.0, "acc")
    assert bench.query(archs, f"valid_{perf}").tolist() == [float(source[k]["valid_perf"]) * scale for k in keys]
    assert bench.query(archs, f"test_{perf}").tolist() == [float(source[k]["perf"]) * scale for k in keys]
    assert bench.column("latency_s").tolist() == [float(source[k]["latency"]) for k in keys]
    assert bench.column("params_m").tolist() == [float(source[k]["para"]) for k in keys]
    assert bench.higher_is_better(f"valid_{perf}") and not bench.higher_is_better("latency_s")


def test_bad_input(space, tmp_path):
    import nasbench

    with pytest.raises(UnknownNameError, match="unknown NAS-Bench-Graph dataset 'imdb'"):
        nasbench.load("graph/imdb")
    with pytest.raises(InvalidArchError, match="only skip layers"):
        space.arch([0, 1, 2, 3], ["skip"] * 4)
    with pytest.raises(InvalidArchError, match="input from a node in \\[0, 1\\]"):
        space.arch([0, 2, 0, 0], ["gcn"] * 4)
    with pytest.raises(InvalidArchError, match="unknown NAS-Bench-Graph layer 'gru'"):
        space.arch([0, 0, 0, 0], ["gru"] * 4)
    with pytest.raises(InvalidArchError, match="not in this space's layers"):
        graph_space("proteins").arch([0, 0, 0, 0], ["gat"] * 4)
    with pytest.raises(InvalidArchError, match="arch string reads"):
        space.from_string("gcn,gcn")
    with pytest.raises(InvalidArchError, match=r"\[0, 26205\]"):
        space.from_index(26206)
    bad = tmp_path / "x.bench"

    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    bad.write_bytes(pickle.dumps({0: Payload()}))
    with pytest.raises(DataIntegrityError, match="cannot be read safely"):
        read_bench_file(bad)
    bad.write_bytes(pickle.dumps({0: {"perf": 1.0}}))
    with pytest.raises(DataIntegrityError, match="must map an int hash"):
        read_bench_file(bad)
    bad.write_bytes(pickle.dumps({0: np.array([1.0], dtype=object)[0:1]}))
    with pytest.raises(DataIntegrityError, match="cannot be read safely"):
        read_bench_file(bad)


def test_all_ops_and_links_are_reachable(space):
    seen_ops = {o for a in space.all_archs() for o in a.ops}
    seen_links = {a.link for a in space.all_archs()}
    assert seen_ops == set(OPS) and seen_links == set(LINKS)
    assert isinstance(next(itertools.islice(space.all_archs(), 1, None)), GraphArch)


def test_categorical_view_round_trips(space):
    for a in space.all_archs()[::53]:
        assert space.from_choices(space.to_choices(a)) == a
    assert space.choice_sizes == (9, 9, 9, 9, 9) and graph_space("proteins").choice_sizes == (9, 5, 5, 5, 5)
    assert space.from_choices((8, 8, 8, 8, 8)) == space.arch([0, 1, 2, 3], ["skip", "skip", "skip", "fc"])
