"""NB201's Table 5 rows for CIFAR-10 from a run of configs/nb201-protocol.toml, beside the paper's.

NB201 reports, per method, the mean and standard deviation over its 500 runs of the returned arch's
accuracy after the 200-epoch schedule: the cifar10-valid validation accuracy and the CIFAR-10 test
accuracy. This script reads a compare output folder (``summary.csv``: each run's final incumbent) and
the imported nb201/cifar10 table, and prints the same two columns for every strategy, the paper's
numbers beside them, and the paired test of REA against RS from ``stats.json``.

Run:  nasbench compare --config configs/nb201-protocol.toml --out DIR
      python configs/nb201_protocol_report.py DIR
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

# NB201 (Dong & Yang, ICLR 2020), Table 5, CIFAR-10 "validation" and "test", mean and std over 500
# runs, as reproduced in NASWOT (Mellor et al., ICML 2021) Table 2(a), which copies them unchanged.
PAPER = {
    "regularized_evolution": ("REA", (91.19, 0.31), (93.92, 0.30)),
    "random_search": ("RS", (90.93, 0.36), (93.70, 0.36)),
    "reinforce": ("REINFORCE", (91.09, 0.37), (93.85, 0.37)),
    "bohb": ("BOHB", (90.82, 0.53), (93.61, 0.52)),
}


def rows(out_dir: Path) -> list[dict]:
    """One dict per strategy: n runs, mean and std (ddof 1) of valid_acc@200 and test_acc@200 of the
    final incumbents, and the paper's values."""
    import nasbench

    bench = nasbench.load("nb201/cifar10")
    valid = bench.column("valid_acc", 200)
    test = bench.column("test_acc", 200)
    by_strategy: dict[str, list[int]] = {}
    with open(out_dir / "summary.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            by_strategy.setdefault(row["strategy"], []).append(int(row["final_incumbent_index"]))
    out = []
    for name, idx in by_strategy.items():
        idx = np.array(idx)
        label, paper_valid, paper_test = PAPER.get(name, (name, None, None))
        out.append({"strategy": label, "n": idx.size,
                    "valid": (float(valid[idx].mean()), float(valid[idx].std(ddof=1))),
                    "test": (float(test[idx].mean()), float(test[idx].std(ddof=1))),
                    "paper_valid": paper_valid, "paper_test": paper_test})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="a finished `nasbench compare` folder of the protocol config")
    args = parser.parse_args(argv)

    def fmt(pair):
        return "-" if pair is None else f"{pair[0]:.2f} +- {pair[1]:.2f}"

    print("| method | runs | valid_acc@200 (ours) | valid (paper) | test_acc@200 (ours) | test (paper) |")
    print("|---|---|---|---|---|---|")
    for r in rows(args.out_dir):
        print(f"| {r['strategy']} | {r['n']} | {fmt(r['valid'])} | {fmt(r['paper_valid'])} | {fmt(r['test'])} "
              f"| {fmt(r['paper_test'])} |")
    stats = json.loads((args.out_dir / "stats.json").read_text())
    for p in stats["pairwise_wilcoxon"]:
        if {p["a"], p["b"]} == {"random_search", "regularized_evolution"}:
            print(f"\nREA vs RS, final regret paired over all runs: mean difference ({p['a']} - {p['b']}) "
                  f"{p['mean_difference']:+.3f} points, Wilcoxon W = {p['wilcoxon_W']:.1f}, p = {p['p_value']:.3g} "
                  f"(Holm {p['p_value_holm']:.3g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
