"""Speed of tabular lookups, printed beside plain-Python baselines measured in the same run.

Usage::

    python perf/perf_query.py [--from ../shared/data]

Uses nb201/cifar10 from $NASBENCH_DATA; with --from it imports the public NB201 files into a
temporary store first. Prints:

* batched lookups: 10**6 random archs through ``bench.query`` (numba kernel), beside a Python
  dict lookup in a list comprehension and numpy fancy indexing;
* single-arch queries through the public API, beside one Python dict lookup.

Figures are the best of several repeats (the machine is shared, so the minimum is the least noisy).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit

import numpy as np


def best_time(fn, number: int, repeat: int = 7) -> float:
    """Best seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", help="import NB201 from this folder into a temporary store")
    parser.add_argument("--n", type=int, default=10**6, help="batch size (default 10**6)")
    args = parser.parse_args()
    if args.source:
        from tabular_data.importers.nb201 import import_nb201

        root = tempfile.mkdtemp(prefix="nasbench-perf-")
        import_nb201(args.source, root, log=lambda line: None)
        os.environ["NASBENCH_DATA"] = root

    import nasbench

    bench = nasbench.load("nb201/cifar10")
    rng = np.random.default_rng(0)
    idx = rng.integers(0, bench.n_archs, size=args.n)
    column = np.array(bench.column("test_acc", 200))
    as_dict = {i: float(v) for i, v in enumerate(column)}
    idx_list = idx.tolist()

    bench.query(idx, "test_acc", 200)  # compile / load the kernel outside the timing
    t_api = best_time(lambda: bench.query(idx, "test_acc", 200), number=3)
    t_dict = best_time(lambda: [as_dict[i] for i in idx_list], number=1, repeat=3)
    t_numpy = best_time(lambda: column[idx], number=3)
    assert np.array_equal(bench.query(idx, "test_acc", 200), np.array([as_dict[i] for i in idx_list]))

    print(f"batched lookup of {args.n:,} random archs (test_acc, fidelity 200):")
    print(f"  bench.query (numba kernel)       {t_api * 1e3:8.2f} ms   {args.n / t_api:12.3e} lookups/s")
    print(f"  baseline: Python dict in a list  {t_dict * 1e3:8.2f} ms   {args.n / t_dict:12.3e} lookups/s")
    print(f"  baseline: numpy fancy indexing   {t_numpy * 1e3:8.2f} ms   {args.n / t_numpy:12.3e} lookups/s")

    q = bench.query
    t_single = best_time(lambda: q(6111, "test_acc", 200), number=200_000)
    t_single_default = best_time(lambda: q(6111, "test_acc"), number=200_000)
    string = bench.space.from_index(6111).string
    t_single_str = best_time(lambda: q(string, "test_acc", 200), number=50_000)
    t_dict_single = best_time(lambda: as_dict[6111], number=200_000)
    print("single-arch query through the public Python API:")
    print(f"  bench.query(6111, 'test_acc', 200)   {t_single * 1e6:7.3f} us")
    print(f"  bench.query(6111, 'test_acc')        {t_single_default * 1e6:7.3f} us")
    print(f"  bench.query(arch_string, ...)        {t_single_str * 1e6:7.3f} us")
    print(f"  baseline: Python dict lookup         {t_dict_single * 1e6:7.3f} us")


if __name__ == "__main__":
    from nasbench.errors import NasbenchError

    try:
        main()
    except NasbenchError as exc:
        raise SystemExit(f"perf_query: {exc}") from None
