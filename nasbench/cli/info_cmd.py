"""``nasbench info NAME``: a short summary in plain words first, then every detail of the manifest."""

import json

import numpy as np

HELP = "describe a benchmark: dataset semantics, metrics with units, fidelities, coverage, sources"


def add_arguments(parser):
    parser.add_argument("name", help="benchmark name, e.g. nb201/cifar10")
    parser.add_argument("--json", action="store_true", help="print the manifest as JSON")


def run(args) -> int:
    import nasbench

    bench = nasbench.load(args.name)
    manifest = bench.describe()
    if args.json:
        print(json.dumps(manifest, indent=1))
        return 0
    for line in summary_lines(bench, manifest):
        print(line)
    print("details:")
    for key, value in manifest.get("info", {}).items():
        if isinstance(value, dict):
            for k, v in value.items():
                print(f"  {key}.{k}: {v}")
        else:
            print(f"  {key}: {value}")
    print("metrics:")
    for name, m in bench.metrics.items():
        label = f"predicted by {m.predicted_by}" if m.predicted_by else "measured"
        direction = "higher is better" if bench.higher_is_better(name) else "lower is better"
        print(f"  {name} [{m.unit or '-'}, {direction}] ({label}): {m.description}")
        print(f"    fidelity: {m.fidelity_meaning}; mean over: {m.mean_over}")
        noise = bench.noise(name)
        print(f"    noisy evaluations draw: {noise['source']} ({noise['n_outcomes']} outcome"
              f"{'s' if noise['n_outcomes'] != 1 else ''} per arch)")
        if not bench.enumerable:
            continue
        cov = m.coverage
        if len(cov) > 4:
            counts = [c["n_archs_mean"] for c in cov]
            print(f"    coverage: fidelities {cov[0]['fidelity']}..{cov[-1]['fidelity']}, "
                  f"{min(counts)}-{max(counts)} of {bench.n_archs} archs")
        else:
            text = ", ".join(
                f"{c['fidelity']}: {c['n_archs_mean']}" + (f" ({c['n_archs_seeds']} per-seed)" if m.n_seeds else "")
                for c in cov
            )
            print(f"    coverage (archs of {bench.n_archs}): {text}")
    print("sources:")
    for key, src in manifest.get("sources", {}).items():
        digest = f" sha256 {src['sha256'][:16]}..." if src.get("sha256") else ""
        print(f"  {key}: {src.get('file') or src.get('path')}{digest}")
        print(f"    {src.get('provenance', '')}")
    return 0


def _value(x) -> str:
    return f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x)


def summary_lines(bench, manifest: dict) -> list[str]:
    """Six lines a newcomer reads first: what the benchmark is, what to search and report, how noisy
    an evaluation is, what it costs, the best arch (enumerable benchmarks) and where the details are."""
    size = f"{bench.n_archs} archs" if bench.enumerable else "too many archs to list: answered arch by arch"
    lines = [f"{bench.name}: {bench.kind} benchmark over the {bench.space.name} space ({size})"]
    info = manifest.get("info", {})
    dataset = info.get("dataset") if isinstance(info.get("dataset"), str) else manifest.get("dataset")
    about = _first_sentence(info.get("about") or info.get("protocol") or "")
    if dataset or about:
        lines.append(f"  what: {'; '.join(str(x) for x in (dataset, about) if x)}")
    search = bench.default_search_metric()
    if search is None:
        lines.append("  search: no validation metric; choose one knowingly with --search-metric")
        return lines + [f"  metrics: {', '.join(bench.metrics)} (details below)"]
    fidelity = bench.default_fidelity(search)
    metric = bench.metric_info(search)
    direction = "higher is better" if bench.higher_is_better(search) else "lower is better"
    at = f" at fidelity {fidelity} ({metric.fidelity_meaning})" if fidelity is not None else ""
    lines.append(f"  search: {search} [{metric.unit or '-'}, {direction}]{at}")
    noise = bench.noise(search, fidelity)
    if noise["n_outcomes"] > 1:
        lines.append(f"  noise: an evaluation draws one of {noise['n_outcomes']} equally likely outcomes per arch "
                     f"({noise['source']}; `--noise mean` uses their mean)")
    else:
        lines.append("  noise: none: every evaluation returns the same value")
    if not bench.live:
        lines.append(f"  cost: {_cost_text(bench, fidelity, search)}")
    report = "test_acc" if "test_acc" in bench.metrics else search
    if bench.enumerable:
        fid = bench.default_fidelity(report)
        index, best = bench.best(report, fid)
        lines.append(f"  best {report}: {_value(best)} (arch {index}, fidelity {fid})")
    lines += _made_lines(manifest, f"{search}@{fidelity}")
    lines.append(f"  metrics: {', '.join(bench.metrics)} (details below; --json for the manifest)")
    return lines


def _made_lines(manifest: dict, key: str) -> list[str]:
    """How a surrogate shipped with nasbench was made (its models' ``provenance`` metadata), and the
    held-out quality of the model of ``key`` (``METRIC@FIDELITY``); nothing for other benchmarks."""
    models = manifest.get("models") or {}
    meta = models.get(key) or next(iter(models.values()), {})
    made = meta.get("provenance") if isinstance(meta, dict) else None
    if not isinstance(made, dict):
        return []
    versions = ", ".join(f"{k} {v}" for k, v in made.get("versions", {}).items())
    recipe = made.get("recipe", {})
    kwargs = ", ".join(f"{k}={v}" for k, v in recipe.get("train_kwargs", {}).items())
    record = made.get("pilot", {})
    pilot = "; ".join([f"{record.get('spearman_valid_acc_seeds')} on the pilot's {record.get('n_archs')} archs"]
                      + [f"{s.get('spearman_valid_acc_seeds')} on {name}"
                         for name, s in (record.get("at_scale") or {}).items()])
    gen = made.get("generation", {})
    parts = ", ".join(f"{p} {s['chunks_done']}/{s['n_chunks']} chunks" for p, s in gen.get("parts", {}).items())
    sc = meta.get("scores_held_out", {})
    lines = [f"  made by: {made.get('command')} ({versions})",
             f"  recipe: {kwargs} on {recipe.get('dataset', '?')}, split {recipe.get('split')}"
             + ("" if recipe.get("is_darts_recipe", True) else " (not the DARTS_TRAIN_KWARGS recipe of this nasbench)"),
             f"  pilot: seed-to-seed Spearman of valid_acc {pilot}",
             f"  data: {gen.get('n_archs')} archs trained ({parts}"
             f"{'; generation still running' if gen.get('partial') else ''})"]
    if "mae_vs_one_seed" in sc:
        lines.append(f"  quality of {meta.get('metric')}@{meta.get('fidelity')} on {sc['n']} held-out archs: R2 "
                     f"{sc['r2']:.3f}, Kendall tau {sc['kendall_tau']:.3f}, top-10% tau {sc['top10_kendall_tau']:.3f}, "
                     f"error vs one seed {sc['mae_vs_one_seed']:.3f} against seed vs seed {sc['mae_seed_vs_seed']:.3f}")
    loso = meta.get("leave_one_strategy_out") or {}
    if loso:
        lines.append("  leave-one-strategy-out Kendall tau: "
                     + ", ".join(f"{name} {v['kendall_tau']:.3f} ({v['n']} archs)" for name, v in loso.items()))
    return lines


def _cost_text(bench, fidelity, search: str) -> str:
    """Median simulated seconds of one evaluation (:meth:`Benchmark.median_cost`), with its provenance."""
    median, provenance = bench.median_cost(fidelity, metric=search, rng=np.random.default_rng(0))
    prov = provenance if isinstance(provenance, dict) else {"source": str(provenance)}
    how = prov.get("source", "")
    if prov.get("predicted_by"):
        how = f"predicted by {prov['predicted_by']}"
    return f"median {_value(median)} simulated s per evaluation ({how})"


def _first_sentence(text: str, limit: int = 160) -> str:
    """The text up to its first full stop, shortened to ``limit`` characters."""
    head = str(text).split(". ")[0].rstrip(".")
    return head if len(head) <= limit else head[: limit - 3].rstrip() + "..."
