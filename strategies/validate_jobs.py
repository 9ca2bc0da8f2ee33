"""The work of ``nasbench validate`` that runs per arch: training jobs and latency timing.

:func:`train_task` is one executor task (train one arch with one seed, in any process);
:func:`latency_ms_here` times a network on this machine. Both need the ``train`` extra (torch).
The networks are those of the config's space: NB201 cells or DARTS genotypes
(:func:`nasbench.training.darts_model.build_darts_network`); :func:`parse_arch` reads an arch of
either space from every form it is written in (no torch needed for that).
"""

from __future__ import annotations

from nasbench.checks import is_int
from nasbench.errors import InvalidArchError
from strategies.validate_config import NB201_CIFAR_NETWORK, ValidateConfig

__all__ = ["latency_ms_here", "own_latency_network", "parse_arch", "train_task", "task_arch"]

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


def parse_arch(space: str, arch):
    """One arch of ``space`` as its value: an :class:`NB201Arch` or a :class:`DARTSArch`.

    Parameters
    ----------
    space : {"nb201", "darts"}
    arch : int, str, NB201Arch or DARTSArch
        NB201: an index (int or decimal text) or an arch string. DARTS: NASLib's genotype text
        ``[[(src, op) x 8], [(src, op) x 8]]``, the 32-digit code of
        :mod:`nasbench.training.darts_archs`, or ``DARTSArch(normal=[...], reduce=[...])`` as a
        compare run's ``summary.csv`` writes it (read as literals, never evaluated).

    Raises
    ------
    InvalidArchError
        If ``arch`` is none of these.
    """
    if space == "nb201":
        from nasbench.spaces.nb201 import NB201Arch

        if isinstance(arch, NB201Arch):
            return arch
        if isinstance(arch, str):
            text = arch.strip()
            return NB201Arch.from_index(int(text)) if text.isascii() and text.isdigit() else NB201Arch.from_string(text)
        return NB201Arch.from_index(int(arch))
    from nasbench.spaces.darts import DARTSArch

    if isinstance(arch, DARTSArch):
        return arch
    if not isinstance(arch, str):
        raise InvalidArchError(f"a DARTS arch is a DARTSArch or genotype text; got {arch!r} of type "
                               f"{type(arch).__name__}. Pass NASLib's text '[[(0, 1), (1, 3), ...], [...]]'.")
    text = arch.strip()
    if text.isascii() and text.isdigit():
        from nasbench.training.darts_archs import arch_from_code

        return arch_from_code(text)
    if text.startswith("DARTSArch("):
        return _darts_from_repr(text)
    return DARTSArch.from_naslib(text)


def _darts_from_repr(text: str):
    """``DARTSArch(normal=[...], reduce=[...])`` (the arch's repr) back to the arch, by literals only."""
    import ast

    from nasbench.spaces.darts import DARTSArch

    try:
        call = ast.parse(text, mode="eval").body
        ok = (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "DARTSArch"
              and not call.args and sorted(k.arg for k in call.keywords) == ["normal", "reduce"])
        cells = {k.arg: ast.literal_eval(k.value) for k in call.keywords} if ok else None
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        cells = None
    if cells is None:
        raise InvalidArchError(f"expected a DARTS arch written as DARTSArch(normal=[...], reduce=[...]); got "
                               f"{text[:120]!r}. Pass NASLib's genotype text instead.")
    return DARTSArch(cells["normal"], cells["reduce"])


def task_arch(task: dict, space: str):
    """The arch a task trains: ``task["arch"]`` (an NB201 string or NASLib's DARTS genotype text), or
    the NB201 index ``task["arch_index"]`` of tasks that carry only that."""
    return parse_arch(space, task["arch"] if task.get("arch") is not None else task["arch_index"])


def _builder(space: str):
    """The network builder of ``space`` (None: the trainer's NB201 default)."""
    if space == "darts":
        from nasbench.training.darts_model import build_darts_network

        return build_darts_network
    return None


def train_task(task: dict) -> dict:
    """Train one (arch, seed) and, with ``latency_where="task"``, time its network: one executor task.

    Parameters
    ----------
    task : dict
        ``arch`` (NB201 arch string or NASLib's DARTS genotype text, of ``config["space"]``) or
        ``arch_index`` (NB201), ``seed`` (training seed), ``config`` (a :meth:`ValidateConfig.to_dict`),
        optionally ``pick`` (the arch's position among the validated ones, returned as is) and
        ``latency_network`` (``(C, N, input_shape)`` of the network to time; default
        :data:`NB201_CIFAR_NETWORK`).

    Returns
    -------
    dict
        ``pick``, ``arch_index`` (NB201 index; None for DARTS, which has none), ``seed``,
        ``test_acc`` / ``valid_acc`` (final epoch, %) and ``test_acc_curve`` / ``valid_acc_curve``
        (every epoch, %), ``train_time_s``, ``params_m``, ``flops_m``,
        ``latency_ms`` (the ``latency_network``, batch 1, ms; NaN when ``latency_repeats == 0`` or
        when timed by the driver), ``latency_trained_ms`` (the trained network at the data's input
        size), ``device``.
    """
    from nasbench.training.trainer import TrainConfig, train_arch

    cfg = ValidateConfig(**task["config"])
    C, N = cfg.network
    data = _data(cfg)
    tc = TrainConfig(C=C, N=N, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, device=cfg.device,
                     bn_recalibration=cfg.bn_recalibration, warmup_steps=cfg.warmup_steps, grad_clip=cfg.grad_clip,
                     latency_repeats=cfg.latency_repeats)
    arch = task_arch(task, cfg.space)
    res = train_arch(arch, data, tc, seed=int(task["seed"]), build=_builder(cfg.space))
    latency = (latency_ms_here(arch, cfg, task.get("latency_network"))
               if cfg.latency_where == "task" else float("nan"))
    return {"pick": task.get("pick"), "arch_index": None if cfg.space == "darts" else res.arch_index,
            "seed": res.seed, "test_acc": float(res.test_acc[-1]), "valid_acc": float(res.valid_acc[-1]),
            "test_acc_curve": res.test_acc.tolist(), "valid_acc_curve": res.valid_acc.tolist(),
            "train_time_s": res.train_time_s, "params_m": res.params_m, "flops_m": res.flops_m, "latency_ms": latency,
            "latency_trained_ms": res.latency_ms, "device": res.device}


def latency_ms_here(arch, config: ValidateConfig, network=None) -> float:
    """Median batch-1 latency (ms) of the network of ``arch`` (``config.space``) on this device, 1 thread.

    Parameters
    ----------
    arch : int, str, NB201Arch or DARTSArch
        An NB201 index, arch string or arch; or a DARTS genotype (``config.space == "darts"``).
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
    build = _builder(config.space) or build_network
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the tables' CPU figures and the trainer use one thread per process
    try:
        arch = int(arch) if is_int(arch) else arch  # a numpy int becomes the index it stands for
        net = build(arch, C=int(C), N=int(N), in_channels=int(shape[0]), n_classes=10, seed=0).to(device)
        return measure_latency_ms(net, tuple(shape), device, repeats=config.latency_repeats)
    finally:
        torch.set_num_threads(threads)


def own_latency_network(bench, config: ValidateConfig):
    """``(C, N, input_shape)`` when ``bench`` stores the CPU latency of exactly the network validate trains.

    That is ``nb201/digits`` (or a table made like it) retrained on digits at the table's C and N; then
    the table's ``latency_ms_cpu`` is the prediction to compare with. DARTS networks are always timed
    as trained (there is no latency table of another DARTS network to compare with). None otherwise.
    """
    if config.space == "darts":
        return (*config.network, _data(config).input_shape)
    if config.dataset != "digits" or "latency_ms_cpu" not in getattr(bench, "metrics", {}):
        return None
    info = getattr(bench, "describe", dict)().get("info", {})
    made = info.get("train_config", {})
    if (made.get("C"), made.get("N")) != tuple(config.network) or info.get("split", {}).get("upsample", 1) != 1:
        return None
    return (*config.network, _data(config).input_shape)
