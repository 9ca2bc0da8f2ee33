"""Measure NB201 inference latency on the machine at hand with PyTorch (``nasbench latency measure``).

The measured medians become a device of the ``measured`` latency table through
:func:`nasbench.benchmarks.latency.save_device`.
"""

from __future__ import annotations

import numpy as np

from nasbench.checks import check_int
from nasbench.errors import UnknownNameError
from nasbench.provenance import machine, versions

__all__ = ["measure_latency"]


def _check_measure_memory(batch_size: int, input_size: int, C: int) -> None:
    """Refuse a measurement whose activations cannot fit in memory, before allocating them.

    An NB201 network keeps at most about ``3 + 8 * C`` float32 channels per input pixel alive during
    inference (the stem's and a cell's feature maps at full resolution; later stages are smaller), so
    the peak is about ``batch_size * input_size**2 * 4 * (3 + 8 * C)`` bytes.
    """
    need = batch_size * input_size**2 * 4 * (3 + 8 * max(int(C), 1))
    try:  # Linux MemAvailable; elsewhere unknown, and nothing is refused
        with open("/proc/meminfo") as fh:
            have = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:")), None)
    except (OSError, ValueError, IndexError):
        have = None
    if have is not None and need > 0.8 * have:
        raise UnknownNameError(
            f"measuring batch {batch_size} at input size {input_size} needs about {need / 2**30:.1f} GiB of "
            f"activations, but {have / 2**30:.1f} GiB of memory are available; expected a smaller --batch-size or "
            "--input-size.")


def _check_measure_args(torch, device, batch_size, warmup, repeats, input_size, threads) -> tuple:
    """``(batch_size, warmup, repeats, input_size, threads)`` as Python ints once checked; raise otherwise."""
    if device not in ("cpu", "cuda"):
        raise UnknownNameError(f"--device must be 'cpu' or 'cuda'; got {device!r}.")
    if device == "cuda" and not torch.cuda.is_available():
        raise UnknownNameError("--device cuda asked for, but torch sees no CUDA GPU here; use --device cpu.")
    counts = tuple(check_int(name, value, low, error=UnknownNameError) for name, value, low in
                   (("batch_size", batch_size, 1), ("warmup", warmup, 0), ("repeats", repeats, 1),
                    ("input_size", input_size, 4)))
    if threads is not None:
        threads = check_int("threads (--threads)", threads, 1, error=UnknownNameError)
    return (*counts, threads)


def measure_latency(archs, *, device: str = "cpu", batch_size: int = 1, warmup: int = 10, repeats: int = 30,
                    C: int = 16, N: int = 5, input_size: int = 32, n_classes: int = 10, threads: int | None = 1,
                    log=None) -> dict:
    """Measure the inference latency (ms) of NB201 networks on this machine with PyTorch.

    Each network is built by :func:`nasbench.training.model.build_network` and timed on a fixed random
    input by the project's one latency timer, :func:`nasbench.training.trainer.forward_times_ms`
    (eval mode, no gradients, ``warmup`` untimed passes, then ``repeats`` timed ones; on CUDA the
    device is synchronised before and after each pass). The latency is the median of the timed passes.

    Parameters
    ----------
    archs : sequence of NB201 archs (indices, strings or NB201Arch values)
    device : {"cpu", "cuda"}
    batch_size : int
    warmup, repeats : int
    C, N, input_size, n_classes : int
        Network width, cells per stage, input resolution (32 for CIFAR) and classifier width.
    threads : int or None
        ``torch.set_num_threads`` on CPU (None: leave torch's default).
    log : callable, optional
        Receives one line per measured arch.

    Returns
    -------
    dict with ``indices`` (int64 array of shape (n,)), ``median_ms``, ``min_ms`` and ``iqr_ms``
    (float64 arrays of shape (n,)) and ``provenance`` (machine, versions, settings).

    Raises
    ------
    OptionalDependencyError
        PyTorch is not installed (the message names the install command).
    UnknownNameError
        ``device`` is not cpu/cuda, or cuda is not available.
    """
    from nasbench.training._deps import require_torch

    torch = require_torch()
    from nasbench.spaces import get_space
    from nasbench.training.model import build_network
    from nasbench.training.trainer import forward_times_ms

    batch_size, warmup, repeats, input_size, threads = _check_measure_args(torch, device, batch_size, warmup, repeats,
                                                                           input_size, threads)
    _check_measure_memory(batch_size, input_size, C)
    indices, _ = get_space("nb201").to_indices(archs)
    if device == "cpu" and threads is not None:
        torch.set_num_threads(int(threads))
    generator = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch_size, 3, input_size, input_size, generator=generator).to(device)
    medians, minima, iqrs = [], [], []
    for index in indices.tolist():
        net = build_network(int(index), C=C, N=N, in_channels=3, n_classes=n_classes, seed=0).to(device).eval()
        times = forward_times_ms(net, x, device, warmup=warmup, repeats=repeats)
        medians.append(float(np.median(times)))
        minima.append(float(times.min()))
        iqrs.append(float(np.subtract(*np.percentile(times, [75, 25]))))
        if log is not None:
            log(f"{index}\t{medians[-1]:.4f} ms (min {minima[-1]:.4f}, IQR {iqrs[-1]:.4f})")
    this_machine = machine()
    provenance = {
        "device": device,
        "device_name": torch.cuda.get_device_name() if device == "cuda" else this_machine["processor"],
        "platform": this_machine["platform"],
        "torch_version": versions("torch")["torch"],
        "threads": torch.get_num_threads() if device == "cpu" else None,
        "batch_size": batch_size, "warmup": warmup, "repeats": repeats, "statistic": "median",
        "network": {"C": C, "N": N, "input_size": input_size, "n_classes": n_classes, "builder":
                    "nasbench.training.model.build_network (none edges skipped in forward)"},
    }
    return {"indices": indices, "median_ms": np.array(medians), "min_ms": np.array(minima),
            "iqr_ms": np.array(iqrs), "provenance": provenance}
