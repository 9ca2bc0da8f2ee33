"""Archs proposed by search strategies on the growing ``darts/digits`` surrogate (NB301's data design).

NAS-Bench-301 trained, besides uniform samples, the archs that search strategies visited, so that
the surrogate is accurate where searches go. :func:`propose` does the same on this project's data:

1. fit a surrogate of final validation accuracy on every trained part except the held-out one
   (:func:`nasbench.training.darts_surrogate.fit_surrogate_on_runs`);
2. run each strategy (ask/tell, :mod:`strategies`) for ``budget`` evaluations per run and
   ``n_runs`` runs (seeds spawned from one root seed), answering each ask with the surrogate's
   mean plus Gaussian noise of the measured single-run SD (a plausible training outcome, as the
   benchmark's noisy evaluations do);
3. keep, per strategy, the genotypes not trained yet in any part (held-out included) and not
   proposed by an earlier strategy; when there are more than ``n_per_strategy``, an evenly spaced
   subset of them in proposal order (all runs, early and late phases alike).

The lists are written as JSON arch codes, one file per strategy, ready for
``nasbench generate --space darts --part traj-<round>-<strategy> --archs-file FILE --proposed-by
STRATEGY`` (one labelled part each). Rerun after each round: the surrogate grows with the data.

``python -m strategies.darts_proposals --parent DIR --out DIR --round 1`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np


__all__ = ["propose", "STRATEGIES", "main"]

STRATEGIES = ("regularized_evolution", "local_search", "bananas", "reinforce")


def propose(parent, *, strategies=STRATEGIES, n_per_strategy: int = 250, budget: int = 100, n_runs: int = 10,
            seed: int = 0, log=None) -> dict:
    """Genotypes proposed by each strategy on the current surrogate (see the module doc).

    Parameters
    ----------
    parent : path
        Folder of the parts' build folders.
    strategies : sequence of str
        Registry names (:mod:`strategies.registry`).
    n_per_strategy : int
        New genotypes to keep per strategy (fewer when the runs propose fewer new ones).
    budget : int
        Evaluations per strategy run.
    n_runs : int
        Runs per strategy (seeds spawned from ``seed``).
    seed : int
    log : callable or None

    Returns
    -------
    dict
        strategy name -> list of arch codes (new, distinct over all strategies), plus
        ``"_surrogate"``: the fit's counts and noise SD.
    """
    from nasbench.spaces.darts import DARTSSpace
    from nasbench.training.darts_archs import arch_code, arch_from_code
    from nasbench.training.darts_runs import load_runs
    from nasbench.training.darts_surrogate import fit_surrogate_on_runs
    from strategies.registry import make_strategy

    runs = load_runs(parent)
    model, noise_std, n_train = fit_surrogate_on_runs(runs, seed=seed)
    known = {arch_from_code(c).key for c in runs["codes"]}
    # the held-out list may not be fully trained yet: exclude all of it
    from nasbench.training import generate as gen

    for folder in Path(parent).iterdir():
        if (folder / "config.json").exists():
            known |= {arch_from_code(c).key for c in gen.read_job(folder).archs}
    space = DARTSSpace()
    root = np.random.SeedSequence(seed)
    out = {"_surrogate": {"n_train_archs": n_train, "noise_std": noise_std}}
    from nasbench.training.darts_surrogate import encode_archs

    for s_index, name in enumerate(strategies):
        kept, seen_here = [], set()
        for run_seed in root.spawn(len(strategies))[s_index].spawn(n_runs):
            strategy_seed, noise_seed = run_seed.spawn(2)
            strategy = make_strategy(name, space, seed=np.random.default_rng(strategy_seed))
            strategy.set_fidelities((None,))
            noise = np.random.default_rng(noise_seed)
            for _ in range(budget):
                arch, fidelity = strategy.ask()
                mean = float(model.predict(encode_archs([arch]))[0])
                strategy.tell(arch, fidelity, mean + noise_std * float(noise.standard_normal()))
                if arch.key not in known and arch.key not in seen_here:
                    seen_here.add(arch.key)
                    kept.append(arch_code(arch))
        if len(kept) > n_per_strategy:  # evenly over the runs and their phases, not just the first steps
            kept = [kept[i] for i in np.linspace(0, len(kept) - 1, n_per_strategy).round().astype(int)]
        known |= {arch_from_code(c).key for c in kept}
        out[name] = kept
        if log is not None:
            log(f"{name}: {len(kept)} new genotypes")
    return out


def _run(args) -> int:
    out = propose(args.parent, strategies=args.strategies, n_per_strategy=args.n_per_strategy,
                  budget=args.budget, n_runs=args.n_runs, seed=args.round if args.seed is None else args.seed,
                  log=lambda s: print(s, flush=True))
    os.makedirs(args.out, exist_ok=True)
    for name, codes in out.items():
        if name.startswith("_"):
            continue
        path = Path(args.out) / f"traj-{args.round}-{name}.json"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(codes, indent=0) + "\n")
        os.replace(tmp, path)
        print(f"nasbench generate --space darts --part traj-{args.round}-{name} --archs-file {path} "
              f"--proposed-by {name}")
    print(json.dumps(out["_surrogate"]))
    return 0


def main(argv=None) -> int:
    """``python -m strategies.darts_proposals --parent DIR --out DIR --round K``."""
    from nasbench.training.scripts import script_main

    parser = argparse.ArgumentParser(prog="python -m strategies.darts_proposals",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--parent", required=True)
    parser.add_argument("--out", required=True, help="folder for traj-<round>-<strategy>.json")
    parser.add_argument("--round", type=int, required=True)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--n-per-strategy", type=int, default=250)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--n-runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: the round number)")
    return script_main(parser, _run, argv)


if __name__ == "__main__":
    sys.exit(main())
