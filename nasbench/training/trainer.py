"""Train one NB201 network and record its curves, cost and latency.

:func:`train_arch` trains with mini-batch SGD (Nesterov momentum, weight decay, cosine learning
rate decayed per step) and records, per epoch, the training loss and accuracy and the validation
and test accuracy, plus the wall-clock training time, the parameter count, the FLOPs (see
:mod:`nasbench.training.flops`) and the batch-1 inference latency on the device it ran on.

Determinism: every random draw (initial parameters, mini-batch order) comes from private
:class:`torch.Generator` objects seeded from ``seed``; torch's global RNG is neither used nor
changed. On the CPU, with the same number of threads, the same arch, data, config and seed give
bit-identical curves; deterministic algorithms are switched on for the duration of the run.
(On CUDA, results may still differ in the last bits between runs.)

Examples
--------
>>> from nasbench.training.data import load_digits
>>> data = load_digits(200, 100, 100)
>>> result = train_arch(6111, data, TrainConfig(C=4, N=1, epochs=2, device="cpu"), seed=0)
>>> result.valid_acc.shape
(2,)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time

import numpy as np

from nasbench.checks import check_int, check_number, is_int
from nasbench.errors import NasbenchError, UnknownNameError
from nasbench.rng import child_seeds
from nasbench.timing import Stopwatch
from nasbench.training._deps import require_torch
from nasbench.training.data import DataSplit
from nasbench.training.flops import count_flops
from nasbench.training.model import build_network, check_input_shape, count_params

torch = require_torch()
F = torch.nn.functional

__all__ = ["TrainConfig", "TrainResult", "train_arch", "measure_latency_ms", "forward_times_ms", "resolve_device"]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Network size and training hyper-parameters.

    Parameters
    ----------
    C : int, default 16
        Channels of the first stage.
    N : int, default 5
        Cells per stage.
    epochs : int, default 12
        Training epochs (the schedule length; the "fidelity").
    batch_size : int, default 64
        Mini-batch size; a final batch of a single sample is dropped (BatchNorm needs two).
    lr : float, default 0.1
        Initial learning rate, decayed by a cosine to ``lr_min`` over all steps.
    lr_min : float, default 0.0
    momentum : float, default 0.9
    nesterov : bool, default True
    weight_decay : float, default 5e-4
        L2 penalty on every parameter (NB201's setting).
    device : str, default "auto"
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or ``"cuda:K"``.
    n_threads : int or None, default 1
        Sets ``torch.set_num_threads`` for the run (a process-wide setting); None leaves it.
    eval_batch_size : int, default 2048
        Images per forward pass when evaluating valid and test together.
    latency_warmup : int, default 5
        Batch-1 forward passes run before timing.
    latency_repeats : int, default 30
        Timed batch-1 forward passes; the latency is their median. 0 skips the measurement.
    bn_recalibration : int, default 0
        Before each evaluation, recompute every BatchNorm's running mean and variance from this
        many training images (the first ones of the epoch's order, in one no-gradient forward pass
        in training mode), instead of using the exponential moving averages kept during training.
        0 keeps the moving averages (NB201's protocol). Short schedules (tens of steps) leave
        the moving averages far behind the weights, which makes the evaluated accuracy low and
        noisy; recalibration removes that noise at the cost of one forward pass.
    warmup_steps : int, default 0
        Linear learning-rate warm-up over the first steps (from ``lr / warmup_steps`` to ``lr``);
        the cosine decay then runs over the remaining steps. 0 switches it off.
    grad_clip : float, default 0.0
        Clip the global L2 norm of the gradients to this value before each step; 0 switches it off.
        Together with the warm-up this keeps short, high-rate schedules from diverging.
    """

    C: int = 16
    N: int = 5
    epochs: int = 12
    batch_size: int = 64
    lr: float = 0.1
    lr_min: float = 0.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    device: str = "auto"
    n_threads: int | None = 1
    eval_batch_size: int = 2048
    latency_warmup: int = 5
    latency_repeats: int = 30
    bn_recalibration: int = 0
    warmup_steps: int = 0
    grad_clip: float = 0.0

    def __post_init__(self):
        # a numpy scalar is stored as the Python number it equals, so that to_dict stays JSON
        for names, low in ((("C", "N", "epochs", "batch_size", "eval_batch_size"), 1),
                           (("latency_warmup", "latency_repeats", "bn_recalibration", "warmup_steps"), 0)):
            for name in names:
                object.__setattr__(self, name, check_int(f"TrainConfig.{name}", getattr(self, name), low))
        for name in ("lr", "lr_min", "momentum", "weight_decay", "grad_clip"):
            value = getattr(self, name)
            check_number(f"TrainConfig.{name}", value, 0)
            if not isinstance(value, (int, float)):
                object.__setattr__(self, name, float(value))
        if self.lr_min > self.lr:
            raise NasbenchError(
                f"TrainConfig.lr_min must not exceed lr; got lr_min={self.lr_min!r} > lr={self.lr!r}."
            )
        if self.nesterov and self.momentum == 0:
            raise NasbenchError(
                "Nesterov momentum needs momentum > 0; got momentum=0 with nesterov=True. "
                "Set momentum (e.g. 0.9) or nesterov=False."
            )
        if self.n_threads is not None and (not is_int(self.n_threads) or self.n_threads < 1):
            raise NasbenchError(f"TrainConfig.n_threads must be None or an int >= 1; got {self.n_threads!r}.")

    def to_dict(self) -> dict:
        """The config as a JSON-serialisable dict."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What one training run measured.

    Attributes
    ----------
    arch_index : int
        NB201 index of the trained arch.
    seed : int
    train_loss : ndarray of float64, shape (epochs,)
        Mean cross-entropy over the epoch's training samples (measured during the epoch).
    train_acc, valid_acc, test_acc : ndarray of float64, shape (epochs,)
        Accuracy in %; train_acc is measured during the epoch, valid_acc and test_acc after it
        (eval mode).
    train_time_s : float
        Wall-clock seconds spent in training steps (evaluation excluded).
    eval_time_s : float
        Wall-clock seconds spent in the per-epoch evaluations.
    params_m : float
        Trainable parameters in millions.
    flops_m : float
        Multiply-accumulates of one forward pass of one image, in millions.
    latency_ms : float
        Median batch-1 inference time in milliseconds on ``device`` (NaN when not measured).
    device : str
        Where it ran, e.g. ``"cpu"`` or ``"cuda:0"``.
    n_threads : int
        torch intra-op threads during the run.
    """

    arch_index: int
    seed: int
    train_loss: np.ndarray
    train_acc: np.ndarray
    valid_acc: np.ndarray
    test_acc: np.ndarray
    train_time_s: float
    eval_time_s: float
    params_m: float
    flops_m: float
    latency_ms: float
    device: str
    n_threads: int

    def to_dict(self) -> dict:
        """The result as a JSON-serialisable dict (arrays become lists)."""
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, np.ndarray):
                out[key] = value.tolist()
        return out


def resolve_device(device: str):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:K"`` into a :class:`torch.device`.

    Raises
    ------
    UnknownNameError
        If the name is not one of these.
    NasbenchError
        If CUDA is asked for but not available.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str) or not (
        device in ("cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())
    ):
        raise UnknownNameError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:K'; got {device!r}."
        )
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise NasbenchError(
            f"device {device!r} was asked for, but torch has no CUDA device here "
            f"(torch {torch.__version__}). Use device='auto' or 'cpu'."
        )
    return torch.device(device)


def check_seed_and_data(seed, data) -> None:
    """Raise NasbenchError unless ``seed`` is a non-negative int and ``data`` a DataSplit."""
    if not is_int(seed) or seed < 0:
        raise NasbenchError(f"seed must be a non-negative int; got {seed!r}. Pass for example seed=0.")
    if not isinstance(data, DataSplit):
        raise NasbenchError(
            f"data must be a DataSplit; got {type(data).__name__}. "
            "Load one with nasbench.training.data.load_digits() or load_cifar10(folder)."
        )


@contextlib.contextmanager
def _run_settings(n_threads):
    """Deterministic algorithms and the thread count for one run; restored afterwards."""
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    old_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True, warn_only=True)
    if n_threads is not None:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)
        if n_threads is not None:
            torch.set_num_threads(old_threads)


def _child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 63-bit seeds: 64 bits of each child :func:`nasbench.rng.child_seeds` (stable).

    63 bits rather than :func:`~nasbench.rng.child_int_seeds`' 32: torch takes them, and the trained
    tables were made with these.
    """
    return [int(child.generate_state(1, dtype=np.uint64)[0]) & ((1 << 63) - 1) for child in child_seeds(seed, n)]


def _learning_rate(config: TrainConfig, step: int, total_steps: int) -> float:
    """Linear warm-up over ``config.warmup_steps``, then cosine decay to ``lr_min`` (per step)."""
    warm = min(config.warmup_steps, total_steps - 1)
    if step < warm:
        return config.lr * (step + 1) / warm
    progress = (step - warm) / max(total_steps - warm, 1)
    return config.lr_min + 0.5 * (config.lr - config.lr_min) * (1 + math.cos(math.pi * progress))


def _hits(model, x, y, batch_size: int):
    """Boolean tensor, shape (len(x),): whether each sample is classified correctly."""
    with torch.no_grad():
        return torch.cat([model(x[s:s + batch_size]).argmax(1) == y[s:s + batch_size]
                          for s in range(0, len(x), batch_size)])


def _recalibrate_bn(model, x):
    """Set every BatchNorm's running statistics to the batch statistics of ``x`` (one pass)."""
    saved = {}
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            saved[module] = module.momentum
            module.reset_running_stats()
            module.momentum = None  # cumulative average: after one batch, exactly its statistics
    model.train()
    with torch.no_grad():
        model(x)
    for module, momentum in saved.items():
        module.momentum = momentum


def measure_latency_ms(model, input_shape, device, *, warmup: int = 5, repeats: int = 30) -> float:
    """Median wall-clock milliseconds of one batch-1 forward pass (eval mode, no gradients).

    Parameters
    ----------
    model : torch.nn.Module
        Already on ``device``; its training mode is restored afterwards.
    input_shape : tuple of 3 ints
        ``(channels, height, width)``.
    device : torch.device
    warmup : int, default 5
        Untimed passes first.
    repeats : int, default 30
        Timed passes; CUDA is synchronised around each one.

    Returns
    -------
    float
        The median over ``repeats`` in ms, or NaN when ``repeats == 0``.
    """
    if repeats == 0:
        return float("nan")
    x = torch.zeros((1, *check_input_shape(input_shape)), device=device)
    return float(np.median(forward_times_ms(model, x, device, warmup=warmup, repeats=repeats)))


def forward_times_ms(model, x, device, *, warmup: int, repeats: int) -> np.ndarray:
    """Wall-clock ms of each of ``repeats`` forward passes of ``model`` on ``x`` (eval mode, no gradients),
    after ``warmup`` untimed ones: float64 array of shape (repeats,).

    The one latency timer of the project (``measure_latency_ms`` here, ``nasbench latency measure``).
    On CUDA the device is synchronised before and after each timed pass, so a pass is timed whole;
    the model's training mode is restored afterwards.
    """
    cuda = torch.device(device).type == "cuda"
    was_training = model.training
    model.eval()
    times = np.empty(repeats)
    try:
        with torch.no_grad():
            for _ in range(warmup):
                model(x)
            for i in range(repeats):
                if cuda:
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                model(x)
                if cuda:
                    torch.cuda.synchronize(device)
                times[i] = (time.perf_counter() - start) * 1e3
    finally:
        model.train(was_training)
    return times


def _tensors(data: DataSplit, device, fmt) -> dict:
    """The split on ``device``: ``x_train``, ``y_train``, and valid and test joined as ``x_eval``,
    ``y_eval`` (one evaluation pass), with ``n_valid`` the number of validation images."""
    x_valid = torch.as_tensor(data.x_valid, device=device).contiguous(memory_format=fmt)
    x_test = torch.as_tensor(data.x_test, device=device).contiguous(memory_format=fmt)
    return {"x_train": torch.as_tensor(data.x_train, device=device).contiguous(memory_format=fmt),
            "y_train": torch.as_tensor(data.y_train, device=device),
            "x_eval": torch.cat([x_valid, x_test]).contiguous(memory_format=fmt),
            "y_eval": torch.cat([torch.as_tensor(data.y_valid, device=device),
                                 torch.as_tensor(data.y_test, device=device)]),
            "n_valid": len(x_valid)}


def _train_epoch(model, optimizer, t: dict, perm, config: TrainConfig, step: int, total_steps: int, device):
    """One epoch of SGD over the mini-batches of ``perm`` (batches under 2 images skipped).

    Returns
    -------
    (float, float, int)
        Mean training loss (nats) and accuracy (%) over the epoch's batches, and the next step.
    """
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    seen = 0
    for begin in range(0, len(perm), config.batch_size):
        idx = perm[begin:begin + config.batch_size]
        if len(idx) < 2:
            continue
        lr = _learning_rate(config, step, total_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        xb, yb = t["x_train"][idx], t["y_train"][idx]
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        step += 1
        loss_sum += loss.detach() * len(idx)
        correct += (logits.detach().argmax(1) == yb).sum()
        seen += len(idx)
    return float(loss_sum) / seen, 100.0 * int(correct) / seen, step


def _train_and_evaluate(model, t: dict, config: TrainConfig, device, order_seed: int):
    """Train ``model`` for ``config.epochs`` epochs; evaluate valid and test accuracy after each.

    Returns
    -------
    (dict, float, float)
        Curves ``train_loss``, ``train_acc``, ``valid_acc``, ``test_acc`` (arrays of shape
        (epochs,)), and the wall-clock seconds of training and of evaluation.
    """
    n = len(t["x_train"])
    steps_per_epoch = sum(1 for s in range(0, n, config.batch_size) if min(config.batch_size, n - s) >= 2)
    if steps_per_epoch == 0:
        raise NasbenchError(f"the training set needs at least 2 images; got {n}.")
    total_steps = config.epochs * steps_per_epoch
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                nesterov=config.nesterov, weight_decay=config.weight_decay)
    order_gen = torch.Generator(device="cpu")
    order_gen.manual_seed(order_seed)
    curves = {k: np.empty(config.epochs) for k in ("train_loss", "train_acc", "valid_acc", "test_acc")}
    train_time = eval_time = 0.0
    step, n_valid = 0, t["n_valid"]
    for epoch in range(config.epochs):
        clock = Stopwatch()  # wall clock of the epoch's training steps
        model.train()
        perm = torch.randperm(n, generator=order_gen).to(device)
        curves["train_loss"][epoch], curves["train_acc"][epoch], step = _train_epoch(
            model, optimizer, t, perm, config, step, total_steps, device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_time += clock.wall_s

        clock.restart()  # wall clock of BN recalibration and evaluation
        if config.bn_recalibration:
            _recalibrate_bn(model, t["x_train"][perm[:config.bn_recalibration]])
        model.eval()
        # valid and test in one pass (fewer per-op overheads than two)
        hits = _hits(model, t["x_eval"], t["y_eval"], config.eval_batch_size)
        curves["valid_acc"][epoch] = 100.0 * float(hits[:n_valid].sum()) / n_valid
        curves["test_acc"][epoch] = 100.0 * float(hits[n_valid:].sum()) / max(len(hits) - n_valid, 1)
        eval_time += clock.wall_s
    return curves, train_time, eval_time


def train_arch(arch, data: DataSplit, config: TrainConfig = TrainConfig(), seed: int = 0, *,
               build=None) -> TrainResult:
    """Train the NB201 network of ``arch`` on ``data`` and measure it.

    Parameters
    ----------
    arch : NB201Arch, str or int
        An arch value, an NB201 arch string or an NB201 index.
    data : DataSplit
        For example from :func:`nasbench.training.data.load_digits`.
    config : TrainConfig
    seed : int, default 0
        Seeds the initial parameters and the mini-batch order (two independent streams).
    build : callable or None
        Model builder with :func:`~nasbench.training.model.build_network`'s signature; None builds
        NB201 networks, :func:`nasbench.training.darts_model.build_darts_network` DARTS ones
        (``arch_index`` is then -1).

    Returns
    -------
    TrainResult

    Raises
    ------
    NasbenchError
        If ``seed`` is not a non-negative int, ``data`` is not a DataSplit, or the config asks for
        an unavailable device.
    InvalidArchError
        If ``arch`` is not an NB201 arch.
    """
    check_seed_and_data(seed, data)
    if not isinstance(config, TrainConfig):
        raise NasbenchError(f"config must be a TrainConfig; got {type(config).__name__}.")
    device = resolve_device(config.device)
    input_shape = check_input_shape(data.input_shape)
    init_seed, order_seed = _child_seeds(int(seed), 2)

    with _run_settings(config.n_threads):
        # channels-last tensors run the small convolutions and BatchNorms ~25% faster on CPU
        fmt = torch.channels_last
        model = (build_network if build is None else build)(arch, C=config.C, N=config.N, in_channels=input_shape[0],
                              n_classes=data.n_classes, seed=init_seed).to(device, memory_format=fmt)
        params_m = count_params(model) / 1e6
        flops_m = count_flops(model, input_shape) / 1e6
        curves, train_time, eval_time = _train_and_evaluate(model, _tensors(data, device, fmt), config, device,
                                                            order_seed)
        latency_ms = measure_latency_ms(model, input_shape, device, warmup=config.latency_warmup,
                                        repeats=config.latency_repeats)
        n_threads = torch.get_num_threads()

    arch_index = getattr(model.arch, "index", -1)  # spaces without an index (DARTS): -1
    return TrainResult(arch_index, int(seed), curves["train_loss"], curves["train_acc"], curves["valid_acc"],
                       curves["test_acc"], train_time, eval_time, params_m, flops_m, latency_ms, str(device),
                       n_threads)
