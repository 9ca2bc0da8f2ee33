"""``nasbench info NAME``."""

import json

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
    size = f"{bench.n_archs} archs" if bench.enumerable else "not enumerable: answered arch by arch"
    print(f"{bench.name}  ({bench.kind}, space {bench.space.name}, {size})")
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
