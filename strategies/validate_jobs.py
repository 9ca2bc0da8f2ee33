"""The work of ``nasbench validate`` that runs per arch: training jobs and latency timing.

:func:`train_task` is one executor task (train one arch with one seed, in any process);
:func:`latency_ms_here` times a network on this machine. Both need the ``train`` extra (torch).
"""

from __future__ import annotations

from strategies.validate_config import NB201_CIFAR_NETWORK, ValidateConfig

__all__ = ["latency_ms_here", "own_latency_network", "train_task"]

# per process: the loaded data split of each (dataset, folder, split), reused by every job of a worker
_DATA_CACHE: dict = {}


def _data(cfg: ValidateConfig):
    key = (cfg.dataset, cfg.data_dir, cfg.split)
    if key not in _DATA_CACHE:
        from nasbench.training.data import load_cifar10, load_digits

        if cfg.dataset == "cifar10":
            _DATA_CACHE[key] = load_cifar10(cfg.data_dir)
        else:
            _DATA_CACHE[key] = load_digits(*cfg.split) if cfg.split else load_digits()
    return _DATA_CACHE[key]


def train_task(task: dict) -> dict:
    """Train one (arch, seed) and, with ``latency_where="task"``, time its network: one executor task.

    Parameters
    ----------
    task : dict
        ``arch_index``, ``seed`` (training seed), ``config`` (a :meth:`ValidateConfig.to_dict`) and
        optionally ``latency_network`` (``(C, N, input_shape)`` of the network to time; default
        :data:`NB201_CIFAR_NETWORK`).

    Returns
    -------
    dict
        ``arch_index``, ``seed``, ``test_acc`` / ``valid_acc`` (final epoch, %), ``train_time_s``,
        ``params_m``, ``flops_m``, ``latency_ms`` (the ``latency_network``, batch 1, ms; NaN when
        ``latency_repeats == 0`` or when timed by the driver), ``latency_trained_ms`` (the trained
        network at the data's input size), ``device``.
    """
    from nasbench.training.trainer import TrainConfig, train_arch

    cfg = ValidateConfig(**task["config"])
    C, N = cfg.network
    data = _data(cfg)
    tc = TrainConfig(C=C, N=N, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, device=cfg.device,
                     bn_recalibration=cfg.bn_recalibration, warmup_steps=cfg.warmup_steps, grad_clip=cfg.grad_clip,
                     latency_repeats=cfg.latency_repeats)
    res = train_arch(int(task["arch_index"]), data, tc, seed=int(task["seed"]))
    latency = (latency_ms_here(res.arch_index, cfg, task.get("latency_network"))
               if cfg.latency_where == "task" else float("nan"))
    return {"arch_index": res.arch_index, "seed": res.seed, "test_acc": float(res.test_acc[-1]),
            "valid_acc": float(res.valid_acc[-1]), "train_time_s": res.train_time_s, "params_m": res.params_m,
            "flops_m": res.flops_m, "latency_ms": latency, "latency_trained_ms": res.latency_ms,
            "device": res.device}


def latency_ms_here(arch_index: int, config: ValidateConfig, network=None) -> float:
    """Median batch-1 latency (ms) of an NB201 network of ``arch_index`` on this device, 1 thread.

    Parameters
    ----------
    network : (C, N, input_shape) or None
        The network to time (10 classes); None means :data:`NB201_CIFAR_NETWORK`. Latency does not
        depend on the weights, so a freshly built network stands for a trained one.

    NaN when ``config.latency_repeats == 0``.
    """
    import torch

    from nasbench.training.model import build_network
    from nasbench.training.trainer import measure_latency_ms, resolve_device

    C, N, shape = network or NB201_CIFAR_NETWORK
    device = resolve_device(config.device)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tables' CPU figures and the trainer use one thread per process
    try:
        net = build_network(int(arch_index), C=int(C), N=int(N), in_channels=int(shape[0]), n_classes=10,
                            seed=0).to(device)
        return measure_latency_ms(net, tuple(shape), device, repeats=config.latency_repeats)
    finally:
        torch.set_num_threads(threads)


def own_latency_network(bench, config: ValidateConfig):
    """``(C, N, input_shape)`` when ``bench`` stores the CPU latency of exactly the network validate trains.

    That is ``nb201/digits`` (or a table made like it) retrained on digits at the table's C and N; then
    the table's ``latency_ms_cpu`` is the prediction to compare with. None otherwise.
    """
    if config.dataset != "digits" or "latency_ms_cpu" not in getattr(bench, "metrics", {}):
        return None
    info = getattr(bench, "describe", dict)().get("info", {})
    made = info.get("train_config", {})
    if (made.get("C"), made.get("N")) != tuple(config.network) or info.get("split", {}).get("upsample", 1) != 1:
        return None
    return (*config.network, _data(config).input_shape)
